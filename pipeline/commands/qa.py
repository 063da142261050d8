"""`pipeline qa`: run the QA checks on a review DOCX (as the reviewer left it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import out, print_json, user_errors


def qa(
    review: Annotated[Path, typer.Argument(help="A review document (<stem>.review.docx).")],
    json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    glossary: Annotated[list[Path] | None, typer.Option(
        "--glossary", help="Extra glossary TSV for the term checks (repeatable).")] = None,
    no_builtin_glossary: Annotated[bool, typer.Option(
        "--no-builtin-glossary", help="Use only the --glossary files for the term checks.")] = False,
    check: Annotated[list[str] | None, typer.Option(
        "--check", help="Run only this check (repeatable); see --list-checks.")] = None,
    list_checks: Annotated[bool, typer.Option(
        "--list-checks", help="List the checks and exit.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when any error-severity finding is reported.")] = False,
) -> None:
    """Check the English in a review DOCX: numbers, IDs, dates, terms, grammar, dropped
    clauses, Chinese left in, the Plan of Action's sections...

    Exit 0 when the checks ran (findings are printed, not fatal); with --strict, exit 1
    when there are errors. Exit 2 for a bad input.
    """
    with user_errors():
        from ..qa import CHECKS

        if list_checks:
            for c in CHECKS:
                out.print(f"{c.name:24} {c.severity.value:8} {c.description}")
            return
        data = run_qa(review, list(glossary or []), list(check) if check else None,
                      builtin_glossary=not no_builtin_glossary)
        if json:
            print_json(data)
        else:
            _show(data)
        if strict and data["counts"]["error"]:
            raise typer.Exit(1)


def run_qa(review: Path, glossaries: list[Path], checks: list[str] | None,
           builtin_glossary: bool = True) -> dict[str, Any]:
    from ..cjk import has_chinese
    from ..document import Block, Document, Origin, Segment
    from ..docx.review_reader import read_review
    from ..glossary import load_glossaries
    from ..qa import QAStep, summarize
    from ..steps import run_steps

    data = read_review(review)
    source_path = data.source_path or Path(review)
    doc = Document(source_path)
    blocks: dict[str, Block] = {}
    for row in data.rows:
        block_id = row.id.rsplit("#", 1)[0]
        block = blocks.get(block_id)
        if block is None:
            block = blocks[block_id] = Block(block_id, block_id.split("/", 1)[0], "")
            doc.blocks.append(block)
        # Translate reviews check Chinese rows; polish reviews check the English drafts.
        chinese = has_chinese(row.source)
        translatable = row.status != "passthrough" and \
            (chinese if data.mode == "translate" else not chinese)
        seg = Segment(row.id, block_id, len(block.segments), row.source,
                      translatable=translatable,
                      target=row.english if translatable else None,
                      origin=Origin.REVIEWED if translatable else Origin.NONE,
                      row=row.row)
        if not translatable and row.english != row.source:
            seg.target = row.english  # a passthrough row the reviewer edited
        block.segments.append(seg)
    glossary = load_glossaries(glossaries, builtin=builtin_glossary) \
        if glossaries or builtin_glossary else None
    run_steps(doc, [QAStep(glossary=glossary, checks=checks)])
    findings = [{"id": "", "row": None, **n.to_dict()} for n in doc.notes]
    for seg in doc.segments:
        findings.extend({"id": seg.id, "row": seg.row, **n.to_dict()}
                        for n in seg.notes)
    return {"review": str(review), "source": str(source_path), "rows": len(data.rows),
            "warnings": data.warnings, "counts": summarize(doc), "findings": findings}


def _show(data: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    c = data["counts"]
    out.print(f"[bold]{escape(Path(data['review']).name)}[/]: {data['rows']} rows; "
              f"{c['error']} errors, {c['warning']} warnings, {c['info']} info")
    for w in data["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    if not data["findings"]:
        return
    table = Table(show_header=True, header_style="bold")
    for col in ("row", "id", "severity", "check", "message"):
        table.add_column(col, overflow="fold")
    order = {"error": 0, "warning": 1, "info": 2}
    for f in sorted(data["findings"], key=lambda f: (order[f["severity"]], f["row"] or 0)):
        style = "red" if f["severity"] == "error" else None
        table.add_row(str(f["row"] or ""), Text(f["id"] or "(document)"), f["severity"],
                      f["code"], Text(f["message"]), style=style)
    out.print(table)
