"""The `pipeline` command. Thin: parses options and calls the library.

Only typer/rich are imported here; each command imports heavy modules (python-docx,
CTranslate2, Harper) inside its function, so `pipeline --help` starts instantly.
"""

from __future__ import annotations

import typer

from .commands import models, run

app = typer.Typer(
    name="pipeline",
    help="Offline Chinese->English translation and polish of Amazon appeals (Plans of Action).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run.run)
app.add_typer(models.app, name="models")


def _optional_commands() -> None:
    """Commands from modules that may be absent in a partial install stay optional."""
    import importlib

    for module, attr, name, kind in [
        ("glossary", "app", "glossary", "group"),
        ("memory", "app", "memory", "group"),
        ("polish", "polish", "polish", "command"),
        ("qa", "qa", "qa", "command"),
        ("review", "apply_review", "apply-review", "command"),
        ("batch", "batch", "batch", "command"),
    ]:
        try:
            mod = importlib.import_module(f"pipeline.commands.{module}")
        except ImportError:
            continue
        obj = getattr(mod, attr, None)
        if obj is None:
            continue
        if kind == "group":
            app.add_typer(obj, name=name)
        else:
            app.command(name)(obj)


_optional_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
