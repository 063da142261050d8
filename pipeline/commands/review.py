"""`pipeline apply-review`: put the reviewer's English from a review DOCX into the final DOCX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import console, out, print_json, user_errors

_MAX_LISTED = 20


def apply_review(
    review: Annotated[Path, typer.Argument(help="The edited review document (<stem>.review.docx).")],
    source: Annotated[Path | None, typer.Option(
        "--source", help="The original Chinese DOCX (default: the path recorded in the review).")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (default: the review's folder).")] = None,
    memory: Annotated[str | None, typer.Option(
        "--memory", help="Translation memory to store the reviewed sentences in: an SQLite "
        "file or postgresql://user@host/db.")] = None,
    glossary: Annotated[list[Path] | None, typer.Option(
        "--glossary", help="Extra glossary TSV for the QA term checks (repeatable).")] = None,
    no_builtin_glossary: Annotated[bool, typer.Option(
        "--no-builtin-glossary", help="Use only the --glossary files for the term checks.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Also apply rows whose sentence changed in the original since the "
                        "review was made.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when QA finds errors or a row could not be applied.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the apply report as JSON.")] = False,
) -> None:
    """Apply a reviewed review DOCX: writes <stem>.en.docx and <stem>.apply-review.json.

    Exit 0 when the English was written (findings are reported, not fatal); with
    --strict, exit 1 when QA errors remain or rows were stale, unknown, unreadable or
    conflicting.
    """
    with user_errors():
        from ..apply_review import apply_review as run_apply
        from ..memory import memory_spec

        result = run_apply(review, source=source, out_dir=out_dir,
                           memory_path=memory_spec(memory),
                           force=force, glossaries=list(glossary or []),
                           builtin_glossary=not no_builtin_glossary)
        data = result.to_dict()
        if json:
            print_json(data)
        else:
            _show(data)
        problems = bool(data["stale"] or data["unknown"] or data["unreadable"] or
                        any(d["conflict"] for d in data["duplicates"]))
        if strict and (data["qa"]["error"] or problems):
            raise typer.Exit(1)


def _show(data: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    c = data["counts"]
    out.print(f"[bold]{escape(Path(data['source']).name)}[/]: {c['rows_applied']} rows applied "
              f"({c['edited']} edited, {c['confirmed']} confirmed) of {c['segments']} segments")
    for w in data["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    sections = [
        ("deleted", "Rows deleted from the review (segment keeps the draft English or source)",
         lambda d: f"{d['id']} (kept {d['kept']}): {d['text'][:70]}"),
        ("stale", "Rows whose sentence changed in the original (applied only with --force)",
         lambda d: f"{d['id']} (row {d['row']}, {'applied' if d['applied'] else 'NOT applied'}): "
                   f"{d['english'][:60]}"),
        ("moved", "Rows matched by their Chinese after the original moved them",
         lambda d: f"row {d['row']}: {d['review_id']} -> {d['id']}"),
        ("altered_source", "Rows whose Chinese was edited (applied by id, not stored)",
         lambda d: f"{d['id']} (row {d['row']}): {d['review_source'][:50]}"),
        ("duplicates", "Duplicated rows (first row wins)",
         lambda d: f"{d['id']}: rows {d['rows']}" + (" [conflicting edits]" if d["conflict"] else "")),
        ("unknown", "Rows with unknown ids (ignored)",
         lambda d: f"row {d['row']} {d['id']}: {d['english'][:60]}"),
        ("unreadable", "Rows that could not be read (NOT applied: fix them and run again)",
         lambda d: f"row {d['row']} (table {d['table']}, {d['reason']}): {d['text'][:60]}"),
        ("empty", "Rows with the English cleared (draft English kept)",
         lambda d: f"{d['id']} (row {d['row']})"),
    ]
    for key, title, fmt in sections:
        items = data[key]
        if not items:
            continue
        out.print(f"[bold]{title}:[/] {len(items)}")
        for item in items[:_MAX_LISTED]:
            out.print(f"  {fmt(item)}", soft_wrap=True, markup=False)
        if len(items) > _MAX_LISTED:
            out.print(f"  … and {len(items) - _MAX_LISTED} more (see the JSON report)")
    if data["rejected"]:
        out.print(f"[bold]Rows marked rejected[/] (applied, not stored in the memory): "
                  f"{escape(', '.join(data['rejected'][:_MAX_LISTED]))}")
    qa = data["qa"]
    out.print(f"QA: {qa['error']} errors, {qa['warning']} warnings, {qa['info']} info")
    notes = [n for n in data["qa_notes"] if n["severity"] != "info"]
    if notes:
        table = Table(show_header=True, header_style="bold")
        for col in ("id", "severity", "check", "message"):
            table.add_column(col, overflow="fold")
        order = {"error": 0, "warning": 1}
        for n in sorted(notes, key=lambda n: order.get(n["severity"], 2))[:40]:
            table.add_row(Text(n["id"] or "(document)"), n["severity"], n["code"],
                          Text(n["message"]))
        out.print(table)
    if data["memory"]:
        m = data["memory"]
        out.print(f"Memory {escape(m['path'])}: {m['stored']} reviewed sentences stored")
    for kind, path in data["outputs"].items():
        out.print(f"{kind}: {escape(path)}")
