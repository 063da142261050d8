"""`pipeline glossary ...`: list, check, import/export TBX, push/pull the team glossary.

Only typer/rich (and the lead's typer/rich-only helpers) at module level: the glossary
and lxml load inside the commands so `pipeline --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import out, print_json, user_errors

app = typer.Typer(help="Glossary: list, check, import/export TBX, push/pull a team glossary",
                  no_args_is_help=True)

GlossaryOpt = Annotated[list[Path] | None, typer.Option(
    "--glossary", "-g", metavar="FILE",
    help="A user glossary (TSV or TBX) overriding built-in entries; repeatable.")]
NoBuiltinOpt = Annotated[bool, typer.Option(
    "--no-builtin-glossary", "--no-builtin", help="Leave out the built-in Amazon glossary.")]


@app.command("list")
def list_cmd(
    glossary: GlossaryOpt = None,
    no_builtin: NoBuiltinOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the effective glossary (built-in plus --glossary files)."""
    from ..glossary import load_glossaries

    with user_errors():
        g = load_glossaries(list(glossary or []), builtin=not no_builtin)
    if as_json:
        print_json({"name": g.name, "version": g.version, "count": len(g.terms),
                    "terms": [t.to_dict() for t in g.terms]})
        return
    table = Table(title=f"{g.name} — version {g.version}", show_lines=False)
    table.add_column("Chinese", overflow="fold")
    table.add_column("English (canonical)", overflow="fold")
    table.add_column("Acronym")
    for t in g.terms:
        english = t.canonical + (" [dim](low priority)[/]" if t.priority == "low" else "")
        table.add_row(" | ".join(t.zh_variants), english, t.acronym)
    out.print(table)


@app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="Glossary file to validate (TSV or TBX).",
                                         metavar="FILE")],
) -> None:
    """Validate a glossary file; exit 2 with file:line: message if it is invalid."""
    from ..glossary import Glossary, file_encoding, read_glossary_file

    with user_errors():
        terms = read_glossary_file(file)
        Glossary(terms, file.name)  # builds the matchers: catches what only they see
        details: list[str] = []
        if file.suffix.lower() == ".tbx":  # what the termbase import skipped or mapped
            from ..glossary.tbx import import_tbx_report

            details = import_tbx_report(file)[1].lines()
        encoding = file_encoding(file)
    legacy = f" (read as {encoding})" if encoding not in ("UTF-8", "UTF-16", "XML") else ""
    out.print(f"OK: {len(terms)} terms{legacy}")
    for line in details:
        out.print(f"  {line}", soft_wrap=True)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="TBX file (v2 <martif> or v3 <tbx>).",
                                         metavar="FILE.tbx")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR",
        help="Folder for <name>.tsv (default: next to the input).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Convert a TBX termbase to a glossary TSV you can edit and pass with --glossary."""
    from ..fileio import output_path
    from ..glossary import import_tbx_to_tsv

    with user_errors():
        dst = output_path(file, out_dir, ".tsv")
        path, count, dropped = import_tbx_to_tsv(file, dst, force=force)
    out.print(f"wrote {path} ({count} terms)")
    for line in dropped:
        out.print(f"  {line}", soft_wrap=True)


@app.command("export")
def export_cmd(
    out_file: Annotated[Path, typer.Option("--out", "-o", metavar="FILE.tbx",
                                           help="TBX file to write.")],
    glossary: GlossaryOpt = None,
    no_builtin: NoBuiltinOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the effective glossary as TBX-Basic for memoQ, Trados or OmegaT."""
    from ..glossary import load_glossaries
    from ..glossary.tbx import export_tbx

    with user_errors():
        g = load_glossaries(list(glossary or []), builtin=not no_builtin)
        path = export_tbx(g.terms, out_file, title=g.name, force=force)
    out.print(f"wrote {path} ({len(g.terms)} terms)")


TeamMemoryOpt = Annotated[str, typer.Option(
    "--memory", "-m", metavar="URL",
    help="The team's PostgreSQL memory: postgresql://user@host:port/db.")]
NameOpt = Annotated[str, typer.Option("--name", help="Which team glossary (several may be "
                                      "kept in one database).")]


def _team_memory(memory: str):  # noqa: ANN202 - PgTranslationMemory, imported lazily
    from ..errors import InputError
    from ..memory import is_memory_url, open_memory

    if not is_memory_url(memory):
        raise InputError("glossary push/pull needs a team database: "
                         "--memory postgresql://user@host/db")
    return open_memory(memory)


@app.command("push")
def push_cmd(
    file: Annotated[Path, typer.Argument(help="Glossary file (TSV or TBX) to publish.",
                                         metavar="FILE")],
    memory: TeamMemoryOpt,
    name: NameOpt = "team",
) -> None:
    """Publish a glossary file as the team glossary in the database (replaces it)."""
    with user_errors():
        from ..glossary import Glossary, format_tsv, read_glossary_file
        from ..memory import current_user

        terms = read_glossary_file(file)  # file:line errors before anything is sent
        Glossary(terms, file.name)
        with _team_memory(memory) as tm:
            tm.push_glossary(name, format_tsv(terms), len(terms), author=current_user(),
                             source_file=file.name)
            where = tm.location
    out.print(f"pushed {len(terms)} terms from {file} to {where} (glossary {name!r})",
              soft_wrap=True, markup=False)


@app.command("pull")
def pull_cmd(
    memory: TeamMemoryOpt,
    out_file: Annotated[Path, typer.Option("--out", "-o", metavar="FILE.tsv",
                                           help="Glossary TSV to write.")],
    name: NameOpt = "team",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the team glossary from the database to a TSV (use it with --glossary)."""
    with user_errors():
        from ..errors import InputError
        from ..fileio import atomic_write_text
        from ..glossary import parse_glossary

        with _team_memory(memory) as tm:
            got = tm.pull_glossary(name)
            where = tm.location
        if got is None:
            raise InputError(f"{where} has no team glossary {name!r} yet: "
                             "pipeline glossary push FILE --memory URL")
        terms = parse_glossary(got["content"], f"{where} glossary {name}")
        atomic_write_text(out_file, got["content"], force=force)
    out.print(f"wrote {out_file} ({len(terms)} terms, pushed {got['updated']} by "
              f"{got['author'] or '?'} from {got['source_file'] or '?'})",
              soft_wrap=True, markup=False)
