"""The side-by-side review DOCX: one row per segment, made for editing in Word or Writer.

Layout (see docs/ARCHITECTURE.md, "Review DOCX format"): a header block (file, model —
loudly if it is the demo —, glossary, grammar backend, counts, document-level findings),
then a landscape table ``ID | 中文原文 | English | Status | Notes``. The reviewer edits
only English and Status. Rows are shaded by origin and worst QA severity. The last
paragraph carries machine-readable metadata as plain text so it survives any editor.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..document import Document, Origin, Segment, Severity
from ..fileio import atomic_write

METADATA_PREFIX = "pipeline-review-metadata: "
REVIEW_VERSION = 1

HEADERS = {
    "translate": ["ID", "中文原文", "English", "Status", "Notes"],
    "polish": ["ID", "Original", "Polished", "Status", "Changes"],
}
# Column widths in cm for a landscape A4 page with 1.5 cm margins (26.7 cm usable).
WIDTHS_CM = [2.6, 8.2, 8.2, 2.2, 5.5]

ORIGIN_FILL = {
    Origin.MEMORY_EXACT: "E2EFDA",  # green: reused from the memory
    Origin.REVIEWED: "DDEBF7",  # blue
    Origin.PASSTHROUGH: "F2F2F2",  # grey
    Origin.NONE: "F2F2F2",
    Origin.ENGINE_FAILED: "F8CBAD",
}
SEVERITY_FILL = {Severity.ERROR: "F8CBAD", Severity.WARNING: "FCE4D6"}


def fingerprint(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]


def status_of(seg: Segment) -> str:
    if not seg.translatable and seg.origin is Origin.NONE:
        return Origin.PASSTHROUGH.value
    return seg.origin.value


def notes_text(seg: Segment, mode: str = "translate") -> str:
    lines: list[str] = []
    if seg.skip_reason:
        lines.append(f"skipped: {seg.skip_reason}")
    for note in sorted(seg.notes, key=lambda n: -n.severity.rank):
        lines.append(f"[{note.severity.value}] {note.message}")
    if seg.terms and mode == "translate":
        terms = "; ".join(dict.fromkeys(f"{t.source} → {t.canonical}" for t in seg.terms))
        lines.append(f"terms: {terms}")
    for ch in seg.changes:
        why = f" ({ch.message})" if ch.message else ""
        lines.append(f"{ch.step or 'edit'}: “{ch.before}” → “{ch.after}”{why}")
    return "\n".join(lines)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _set_cell(cell: Any, text: str, *, bold: bool = False, size: float | None = None,
              color: Any = None) -> None:
    from docx.shared import Pt

    lines = text.split("\n")
    para = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            para = cell.add_paragraph()
        run = para.add_run(line)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color


def _cjk_font(document: Any, name: str = "Noto Sans CJK SC") -> None:
    """Tell Word which font to use for Chinese so the source column renders everywhere."""
    from docx.oxml.ns import qn

    style = document.styles["Normal"]
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def build_review(doc: Document, mode: str = "translate") -> Any:
    """Return a python-docx Document holding the review of ``doc``."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt, RGBColor

    out = docx.Document()
    _cjk_font(out)
    out.styles["Normal"].font.size = Pt(9.5)
    section = out.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))

    run_info = doc.run
    counts = doc.counts()
    title = "Translation review" if mode == "translate" else "Polish review"
    out.add_heading(f"{title}: {doc.path.name}", level=1)
    red = RGBColor(0xC0, 0x00, 0x00)
    model = run_info.model if run_info.model is not None else {}
    if mode == "translate":
        p = out.add_paragraph()
        p.add_run("Model: ").bold = True
        run = p.add_run(str(model.get("label", "none")))
        if model.get("demo"):
            run.bold = True
            run.font.color.rgb = red
            warn = out.add_paragraph()
            w = warn.add_run("DEMO MODEL: this English comes from a tiny demo model trained on the "
                             "project's own sample sentences. Do not send it. Install the real "
                             "model: pipeline models install zh-en (or --file X.argosmodel).")
            w.bold = True
            w.font.color.rgb = red
    info = [("File", str(doc.path)),
            ("Glossary", str(run_info.glossary if run_info.glossary is not None else "none")),
            ("Grammar", str(run_info.grammar if run_info.grammar is not None else "none")),
            ("Memory", str(run_info.memory if run_info.memory is not None else "none")),
            ("Segments", f"{counts['segments']} (translated {counts['translated']}, "
                         f"skipped {counts['skipped']}, failed {counts['failed']})")]
    for label, value in info:
        p = out.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run(value)
    if doc.notes:
        out.add_heading("Document checks", level=2)
        for note in sorted(doc.notes, key=lambda n: -n.severity.rank):
            p = out.add_paragraph(style="List Bullet")
            r = p.add_run(f"[{note.severity.value}] ")
            r.bold = True
            if note.severity is Severity.ERROR:
                r.font.color.rgb = red
            p.add_run(note.message)
    hint = out.add_paragraph()
    hint.add_run("How to review: edit only the English and Status columns (Status: ok, "
                 "reviewed or rejected), then run: pipeline apply-review "
                 f"{doc.path.stem}.review.docx").italic = True

    headers = HEADERS[mode]
    table = out.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _set_cell(cell, text, bold=True)
        _shade(cell, "D9D9D9")
    _repeat_header(table.rows[0])
    for seg in doc.segments:
        cells = table.add_row().cells
        _set_cell(cells[0], f"{seg.id}\nfp:{fingerprint(seg.source)}", size=7.5)
        _set_cell(cells[1], seg.source)
        _set_cell(cells[2], seg.text if seg.target is not None or not seg.translatable else "")
        _set_cell(cells[3], status_of(seg), size=8)
        _set_cell(cells[4], notes_text(seg, mode), size=8)
        fill = ORIGIN_FILL.get(seg.origin) if seg.translatable else ORIGIN_FILL[Origin.PASSTHROUGH]
        worst = seg.worst_severity()
        if worst in SEVERITY_FILL:
            _shade(cells[4], SEVERITY_FILL[worst])  # type: ignore[index]
            _shade(cells[3], SEVERITY_FILL[worst])  # type: ignore[index]
        if fill:
            for c in cells[:3]:
                _shade(c, fill)
    # Word reads the cell widths, LibreOffice the grid columns: set both.
    for column, width in zip(table.columns, WIDTHS_CM, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS_CM, strict=True):
            cell.width = Cm(width)

    metadata = {
        "version": REVIEW_VERSION, "mode": mode, "source_path": str(doc.path.resolve()),
        "source_sha256": run_info.source_sha256, "model": model.get("id", ""),
        "glossary": run_info.glossary_version, "segments": counts["segments"],
    }
    tail = out.add_paragraph()
    r = tail.add_run(METADATA_PREFIX + json.dumps(metadata, ensure_ascii=False))
    r.font.size = Pt(6)
    r.font.color.rgb = RGBColor(0x99, 0x99, 0x99)
    return out


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    # A bare <w:tblHeader/> means "on"; w:val="true" is not an ST_OnOff value that
    # validators following the Open XML SDK accept.
    if tr_pr.find(qn("w:tblHeader")) is None:
        tr_pr.append(OxmlElement("w:tblHeader"))


def write_review(doc: Document, path: Path, mode: str = "translate", force: bool = True) -> Path:
    review = build_review(doc, mode)
    return atomic_write(Path(path), lambda tmp: review.save(str(tmp)), force=force)
