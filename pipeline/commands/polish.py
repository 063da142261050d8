"""`pipeline polish`: clean up an English appeal draft (.docx, or .txt one paragraph a line)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import check_languagetool_url, console, out, print_json, user_errors


def polish(
    input: Annotated[Path, typer.Argument(
        help="English draft: .docx, or .txt with one paragraph per line.")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (default: next to the input).")] = None,
    grammar: Annotated[str, typer.Option(
        "--grammar", help="Grammar backend: harper (default, offline), languagetool or none.")
    ] = "harper",
    languagetool_url: Annotated[str | None, typer.Option(
        "--languagetool-url", envvar="PIPELINE_LANGUAGETOOL_URL",
        help="Your LanguageTool server, e.g. http://localhost:8081/ (with --grammar "
             "languagetool; falls back to Harper if it cannot be reached).")] = None,
    glossary: Annotated[list[Path] | None, typer.Option(
        "--glossary", help="Extra glossary TSV (repeatable): its terms are normalised and "
                           "never 'corrected'.")] = None,
    no_builtin_glossary: Annotated[bool, typer.Option(
        "--no-builtin-glossary", help="Use only the --glossary files.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Polish an English draft: writes NAME.polished.docx, NAME.review.docx and
    NAME.polished.report.json (for .txt: NAME.polished.txt, one line per input line)."""
    with user_errors():
        from ..errors import InputError
        from ..grammar import BACKENDS
        from ..polish import polish_file

        if grammar not in BACKENDS:
            raise InputError(f"unknown grammar backend {grammar!r} ({', '.join(BACKENDS)})")
        check_languagetool_url(languagetool_url)
        with console.status(f"Polishing {input.name}…"):
            result = polish_file(input, out_dir, grammar, languagetool_url, list(glossary or []),
                                 force, builtin_glossary=not no_builtin_glossary)
        if result.fallback:
            console.print(f"[bold yellow]warning:[/] {result.fallback}", soft_wrap=True)
        if json:
            print_json(result.to_dict())
            return
        summary = result.to_dict()
        out.print(f"Polished {input.name}: {summary['changed_segments']} of "
                  f"{summary['segments']} sentences changed ({result.changes} edits, "
                  f"{result.notes} notes). Grammar: {result.grammar}")
        for kind, path in result.outputs.items():
            out.print(f"  {kind}: {path}")
