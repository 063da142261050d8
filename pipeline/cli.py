"""The `pipeline` command. Thin: parses options and calls the library.

Only typer/rich are imported here; each command imports heavy modules (python-docx,
CTranslate2, Harper) inside its function, so `pipeline --help` starts instantly.
"""

from __future__ import annotations

import typer

from .commands import batch, glossary, memory, models, polish, qa, review, run

app = typer.Typer(
    name="pipeline",
    help="Offline Chinese->English translation and polish of Amazon appeals (Plans of Action).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run.run)
app.command("batch")(batch.batch)
app.command("polish")(polish.polish)
app.command("apply-review")(review.apply_review)
app.command("qa")(qa.qa)
app.add_typer(glossary.app, name="glossary")
app.add_typer(memory.app, name="memory")
app.add_typer(models.app, name="models")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
