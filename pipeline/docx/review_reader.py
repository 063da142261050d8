"""Read a review DOCX back: its metadata, its rows (as the reviewer left them), comments.

The reader trusts nothing about row order or count: a reviewer may sort the table,
delete rows, copy rows, or edit the Chinese. Nor about the table itself: columns are
found by their header text (a deleted or moved column is not read "by position"), and a
table split in two (Word: Layout > Split Table; LibreOffice page-break splits) is read
as one: every later table that repeats the header, or whose rows carry segment ids,
continues it, in document order. A row that cannot be read is named in a warning and
in ``ReviewData.unreadable``, never dropped silently. Each row carries its segment id and the
fingerprint of the source it was made from (``fp:`` + 10 hex chars of sha1), which is how
apply-review matches rows to segments and detects altered sources. Only the text of the
cells is read, so a document saved by Word or LibreOffice reads the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .ooxml import W, safe_parser
from .review_writer import METADATA_PREFIX as _PREFIX
from .review_writer import fingerprint

METADATA_PREFIX = _PREFIX.strip()
# Header texts of the first column and of the English column, per mode.
ENGLISH_HEADERS = {"english": "translate", "polished": "polish"}
# Column header text (lower case) -> field, for both modes.
COLUMN_HEADERS = {"id": "id", "中文原文": "source", "original": "source", "english": "english",
                  "polished": "english", "status": "status", "notes": "notes",
                  "changes": "notes"}
REVIEWER_STATUSES = {"ok", "reviewed", "rejected"}

_FP_RE = re.compile(r"fp:\s*([0-9a-fA-F]{6,40})")
_W = W
_RT_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"


@dataclass
class ReviewComment:
    """A Word/Writer comment. ``row`` is the table row it is anchored in, if any."""

    author: str
    text: str
    row: int | None = None
    segment_id: str = ""


@dataclass
class ReviewRow:
    row: int  # 1-based position in the table as saved (header excluded)
    id: str
    fingerprint: str  # as printed in the ID cell ("" if the reviewer removed it)
    source: str  # the source cell as saved (the reviewer may have changed it)
    english: str
    status: str
    notes: str
    comments: list[str] = field(default_factory=list)
    has_source: bool = True  # False: the review has no source column (deleted)

    @property
    def source_altered(self) -> bool:
        """The source cell no longer matches the fingerprint it was printed with."""
        return self.has_source and bool(self.fingerprint) and \
            fingerprint(self.source) != self.fingerprint.lower()

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "fingerprint": self.fingerprint,
                "source": self.source, "english": self.english, "status": self.status,
                "notes": self.notes, "comments": self.comments}


@dataclass
class ReviewData:
    path: Path
    metadata: dict[str, Any]
    mode: str  # "translate" or "polish"
    rows: list[ReviewRow]
    comments: list[ReviewComment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # problems reading, for the report
    # Rows that look like review rows but could not be read: {"table", "row", "reason",
    # "text"} (apply-review lists them; --strict fails on them).
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    tables: int = 1  # review tables read (more than 1: the table was split)

    @property
    def source_path(self) -> Path | None:
        value = self.metadata.get("source_path")
        return Path(value) if value else None


_SKIP = {f"{_W}del", f"{_W}moveFrom", f"{_W}instrText", f"{_W}txbxContent",
         "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}


def _para_text(p: Any) -> str:
    """A paragraph's text with tracked changes taken as accepted.

    python-docx's ``Paragraph.text`` skips runs inside ``w:ins`` (and content controls),
    so a reviewer's edit made with Track Changes on would be lost.
    """
    out: list[str] = []

    def walk(el: Any) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == f"{_W}t":
                out.append(child.text or "")
            elif tag == f"{_W}tab":
                out.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                out.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                out.append("-")
            else:
                walk(child)

    walk(p)
    return "".join(out)


def _cell_text(cell: Any) -> str:
    """The cell's paragraphs joined by newlines (tracked insertions included)."""
    return "\n".join(_para_text(p) for p in cell._tc.iter(f"{_W}p"))


def _flat(text: str) -> str:
    """One segment is one line: a reviewer's Enter in a cell becomes a space."""
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _columns(header: list[str]) -> dict[str, int] | None:
    """Field -> column index from a header row; None unless it has ID and English."""
    cols: dict[str, int] = {}
    for i, text in enumerate(header):
        name = COLUMN_HEADERS.get(text)
        if name is not None and name not in cols:
            cols[name] = i
    return cols if "id" in cols and "english" in cols else None


def _header(row: Any) -> list[str]:
    return [_flat(_cell_text(c)).lower() for c in row.cells]


def _find_tables(document: Any) -> tuple[list[tuple[Any, dict[str, int], bool]], str] | None:
    """The review table and every later table continuing it, in document order:
    (table, columns, first row is a header). None when there is no review table."""
    tables = list(document.tables)
    found: list[tuple[Any, dict[str, int], bool]] = []
    mode = ""
    for table in tables:
        rows = list(table.rows)
        if not rows:
            continue
        header = _header(rows[0])
        cols = _columns(header)
        if cols is not None:
            if not found:
                mode = ENGLISH_HEADERS[header[cols["english"]]]
            found.append((table, cols, True))
        elif found and _continues(rows, found[-1][1]):
            found.append((table, found[-1][1], False))
    return (found, mode) if found else None


def _continues(rows: list[Any], cols: dict[str, int]) -> bool:
    """A headerless table whose rows carry segment ids in the ID column continues the
    review table before it (a split table)."""
    for row in rows[:5]:
        cells = row.cells
        if len(cells) > cols["id"] and _FP_RE.search(_cell_text(cells[cols["id"]])):
            return True
    return False


def _metadata(document: Any) -> tuple[dict[str, Any], list[str]]:
    """The metadata JSON from the last paragraph that carries it (body or table)."""
    found: str | None = None
    for p in document.element.body.iter(f"{_W}p"):
        text = _para_text(p).strip()
        if text.startswith(METADATA_PREFIX):
            found = text
    if found is None:
        return {}, ["no review metadata paragraph found: pass --source"]
    raw = found[len(METADATA_PREFIX):].strip()
    # Editors may turn straight quotes into curly ones ("smart quotes" on retype).
    for bad, good in (("“", '"'), ("”", '"'), ("„", '"')):
        raw = raw.replace(bad, good)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, [f"review metadata is not valid JSON ({exc.msg}): pass --source"]
    if not isinstance(data, dict):
        return {}, ["review metadata is not a JSON object: pass --source"]
    return data, []


def _comments(document: Any) -> dict[str, tuple[str, str]]:
    """Comment id -> (author, text), from word/comments.xml when there is one."""
    from lxml import etree

    out: dict[str, tuple[str, str]] = {}
    for rel in document.part.rels.values():
        if rel.reltype != _RT_COMMENTS or rel.is_external:
            continue
        try:
            root = etree.fromstring(rel.target_part.blob, safe_parser())
        except etree.XMLSyntaxError:
            continue
        for c in root.iter(f"{_W}comment"):
            text = "\n".join("".join(t.text or "" for t in p.iter(f"{_W}t"))
                             for p in c.iter(f"{_W}p")).strip()
            out[c.get(f"{_W}id", "")] = (c.get(f"{_W}author", ""), text)
    return out


def _row_comment_ids(tr: Any) -> list[str]:
    ids: list[str] = []
    for tag in ("commentRangeStart", "commentReference"):
        for el in tr.iter(f"{_W}{tag}"):
            cid = el.get(f"{_W}id", "")
            if cid and cid not in ids:
                ids.append(cid)
    return ids


def _parse_id_cell(text: str) -> tuple[str, str]:
    m = _FP_RE.search(text)
    fp = m.group(1).lower() if m else ""
    rest = text[:m.start()] + text[m.end():] if m else text
    lines = [ln.strip() for ln in rest.splitlines() if ln.strip()]
    return (lines[0] if lines else ""), fp


def read_review(path: Path) -> ReviewData:
    """Read a review DOCX; raise InputError if it is not one."""
    import docx

    from .safety import check_input

    path = Path(path)
    check_input(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds on broken packages
        raise InputError(f"{path}: cannot open as a review document ({exc})") from None
    found = _find_tables(document)
    if found is None:
        raise InputError(f"{path}: not a review document (no table with the header "
                         "ID | 中文原文 | English | Status | Notes)")
    tables, mode = found
    metadata, warnings = _metadata(document)
    if metadata.get("mode") and metadata["mode"] != mode:
        warnings.append(f"metadata says mode {metadata['mode']!r} but the table is {mode!r}")
    first = tables[0][1]
    for name, label in (("source", "Chinese source"), ("status", "Status"), ("notes", "Notes")):
        if name not in first:
            warnings.append(f"the review table has no {label} column: rows are read "
                            "without it")
    comment_texts = _comments(document)
    comments: list[ReviewComment] = []
    anchored: set[str] = set()
    rows: list[ReviewRow] = []
    unreadable: list[dict[str, Any]] = []
    n = 0
    for ti, (table, cols, has_header) in enumerate(tables, start=1):
        width = max(cols.values()) + 1
        for row in list(table.rows)[1 if has_header else 0:]:
            cells = row.cells
            texts = [_cell_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue  # an empty row added by the reviewer
            n += 1
            where = f"row {n}" + (f" (table {ti})" if len(tables) > 1 else "")
            if len(texts) < width:
                unreadable.append({"table": ti, "row": n, "text": " | ".join(
                    _flat(x) for x in texts)[:200],
                    "reason": f"{len(texts)} cells, the header has {width}"})
                warnings.append(f"{where}: only {len(texts)} cells (the header has {width}); "
                                "row not read")
                continue
            seg_id, fp = _parse_id_cell(texts[cols["id"]])
            if not seg_id:
                unreadable.append({"table": ti, "row": n, "reason": "no segment id",
                                   "text": " | ".join(_flat(x) for x in texts)[:200]})
                warnings.append(f"{where}: no segment id in the ID cell; row ignored")
                continue
            cell = {name: texts[i] for name, i in cols.items()}
            r = ReviewRow(n, seg_id, fp, cell.get("source", "").strip(),
                          _flat(cell["english"]), _flat(cell.get("status", "")).lower(),
                          cell.get("notes", "").strip(), has_source="source" in cols)
            for cid in _row_comment_ids(row._tr):
                if cid in comment_texts:
                    author, text = comment_texts[cid]
                    r.comments.append(f"{author}: {text}" if author else text)
                    comments.append(ReviewComment(author, text, n, seg_id))
                    anchored.add(cid)
            rows.append(r)
    if len(tables) > 1:
        warnings.append(f"the review table was split in {len(tables)} tables: all were read, "
                        "in order")
    for cid, (author, text) in comment_texts.items():
        if cid not in anchored:
            comments.append(ReviewComment(author, text))
    return ReviewData(path, metadata, mode, rows, comments, warnings, unreadable, len(tables))
