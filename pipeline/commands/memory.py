"""`pipeline memory ...`: import/export TMX, show statistics, create/migrate the schema.

Only typer/rich at module level: the memory and lxml load inside the commands so
`pipeline --help` stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .common import user_errors

app = typer.Typer(help="Translation memory: import/export TMX, stats, migrate",
                  no_args_is_help=True)

MemoryOpt = Annotated[str, typer.Option(
    "--memory", "-m",
    help="Translation memory: an SQLite file (e.g. LIBRARY/.pipeline/memory.sqlite) or a "
         "team's PostgreSQL database (postgresql://user@host:port/db).")]


def _spec(memory: str) -> Path | str:
    from ..memory import memory_spec

    spec = memory_spec(memory)
    assert spec is not None
    return spec


@app.command("import")
def import_cmd(
    tmx_file: Annotated[Path, typer.Argument(help="TMX file (1.1-1.4) to import.",
                                             metavar="FILE.tmx")],
    memory: MemoryOpt,
    origin: Annotated[str, typer.Option(help="Origin for units without an x-origin prop: "
                                        "reviewed (always reused) or machine.")] = "reviewed",
    status_as: Annotated[str | None, typer.Option(
        "--status-as", help="Store every unit as reviewed (always reused) or draft (only "
        "a suggestion), whatever its tool says; units marked rejected stay rejected. "
        "Default: map Trados/memoQ/XLIFF statuses (see docs/memory.md).")] = None,
) -> None:
    """Import translation units from a TMX file (created if the memory is new)."""
    with user_errors():
        from ..errors import InputError, PipelineError
        from ..memory import open_memory
        from ..tmx import import_tmx_report

        spec = _spec(memory)
        if status_as not in (None, "reviewed", "draft"):
            raise InputError(f"--status-as must be reviewed or draft, not {status_as!r}")
        if not tmx_file.is_file():  # before opening the memory: no empty .sqlite left behind
            raise InputError(f"{tmx_file} does not exist")
        new_memory = isinstance(spec, Path) and not spec.exists()
        try:
            with open_memory(spec) as tm:
                res = import_tmx_report(tm, tmx_file, origin, status_as=status_as)
        except PipelineError:
            if new_memory and isinstance(spec, Path):  # a failed import leaves no new file
                _remove_new_memory(spec)
            raise
    typer.echo(f"{tmx_file}: {res.read} units read, {res.inserted} new, {res.updated} "
               f"updated, {res.unchanged} unchanged, {res.kept} kept (stored entry wins), "
               f"{res.skipped} skipped")
    for line in res.lines():
        typer.echo(f"  {line}")
    if res.read and not res.stored and not res.kept:
        typer.echo(f"warning: no unit of {tmx_file} had both Chinese and English text",
                   err=True)


def _remove_new_memory(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            p.unlink()
        except OSError:
            pass


@app.command("export")
def export_cmd(
    memory: MemoryOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="TMX file to write (or a folder: "
                                      "<memory name>.tmx inside it).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    srclang: Annotated[str, typer.Option(help="xml:lang of the Chinese side.")] = "zh-CN",
    tgtlang: Annotated[str, typer.Option(help="xml:lang of the English side.")] = "en-US",
) -> None:
    """Export the whole memory as TMX 1.4."""
    with user_errors():
        from ..errors import OutputError
        from ..memory import open_memory
        from ..tmx import export_tmx

        spec = _spec(memory)
        stem = spec.stem if isinstance(spec, Path) else (spec.rsplit("/", 1)[-1].split("?")[0]
                                                         or "memory")
        target = out / f"{stem}.tmx" if out.is_dir() else out
        if target.exists() and not force:
            raise OutputError(f"{target} already exists (use --force to overwrite)")
        with open_memory(spec, readonly=True) as tm:  # never writes the memory
            n = export_tmx(tm, target, srclang, tgtlang, force=force)
    typer.echo(f"wrote {n} units to {target}")


@app.command("stats")
def stats_cmd(
    memory: MemoryOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Entries by origin, model and glossary version."""
    with user_errors():
        from ..memory import open_memory

        with open_memory(_spec(memory), readonly=True) as tm:  # never writes the memory
            st = tm.stats()
    if as_json:
        typer.echo(json.dumps(st, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Translation memory {st['path']} ({st.get('backend', 'sqlite')}, "
                        f"schema {st.get('schema', '?')})", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("entries", str(st["entries"]))
    for origin, n in st["by_origin"].items():
        table.add_row(f"  {origin}", str(n))
    for status, n in st.get("by_status", {}).items():
        table.add_row(f"  status {status}", str(n))
    for model, n in st["models"].items():
        table.add_row(f"  machine, model {model or '(none)'}", str(n))
    for gv, n in st["glossary_versions"].items():
        table.add_row(f"  machine, glossary {gv or '(none)'}", str(n))
    table.add_row("reuses", str(st["uses"]))
    Console().print(table)
    if st["entries"]:
        typer.echo(f"oldest {st['oldest']}, newest {st['newest']}")


@app.command("migrate")
def migrate_cmd(memory: MemoryOpt) -> None:
    """Create the memory's schema, or bring an older one up to date (SQLite or PostgreSQL).

    Safe to run again: a memory already up to date is left as it is. On PostgreSQL it also
    creates the pg_trgm extension and the trigram index when they are missing.
    """
    with user_errors():
        from ..memory import open_memory

        with open_memory(_spec(memory)) as tm:
            version = tm.migrate()
            where = tm.location
            extra = ""
            if getattr(tm, "trigram", None) is False:
                extra = " (no pg_trgm: fuzzy lookups scan)"
    typer.echo(f"translation memory {where}: schema {version}{extra}")
