"""Write the English DOCX: the input package with changed paragraphs' text replaced.

The writer re-opens ``doc.path``, runs the same walk as the reader to find each changed
block's paragraph by id, and rewrites only the text elements of that paragraph. Every
zip member of a part with no changed paragraph is copied as it was; paragraph
properties, drawings, bookmarks, footnote references and comment anchors stay in place.

Placing the English in the runs (see :func:`place_text`):
  * one formatting in the paragraph -> all English goes into the first text run;
  * several formattings -> each segment's English goes into the run that carried that
    segment, when the segment lay within one formatting (a bold sentence stays bold, a
    hyperlinked sentence stays a link);
  * a segment that mixed formattings (a bold word inside a sentence) goes into the run
    with most of its text, and the block id is listed in doc.meta["formatting_dropped"].
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .docx_safety import DOTX_MAIN, DOCX_MAIN, check_input, find_member
from .errors import InputError, OutputError
from .fileio import atomic_write
from .model import Block, Document, Segment
from .reader import (
    W_BR,
    W_R,
    W_RPR,
    W_T,
    W_TAB,
    Package,
    ParaRef,
    Piece,
    paragraph_pieces,
    w,
    walk,
)

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# rPr children that do not change how English looks (language tags, East Asian font
# hints, complex-script twins): runs differing only in these count as one formatting.
IGNORED_RPR = {w(t) for t in ("lang", "noProof", "rFonts", "szCs", "bCs", "iCs", "cs",
                              "kern", "webHidden", "specVanish", "eastAsianLayout",
                              "rPrChange", "snapToGrid")}
_TEXT_SPLIT = re.compile(r"(\t|\n)")


# ----------------------------------------------------------------------------- placing
@dataclass
class _RunGroup:
    run: etree._Element
    pieces: list[Piece] = field(default_factory=list)
    start: int = 0
    end: int = 0
    key: tuple[object, ...] = ()

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


def format_key(run: etree._Element, ctx: tuple[object, ...]) -> tuple[object, ...]:
    """What the English would look like in this run: visible rPr plus link/field/control."""
    rpr = run.find(W_RPR)
    parts: list[str] = []
    if rpr is not None:
        for child in rpr:
            if not isinstance(child.tag, str) or child.tag in IGNORED_RPR:
                continue
            if not child.tag.startswith("{http://schemas.openxmlformats.org/wordprocessingml"):
                continue  # w14/w15 effects etc.: not basic formatting
            attrs = ",".join(f"{k}={v}" for k, v in sorted(child.attrib.items()))
            parts.append(f"{child.tag}[{attrs}]")
    return (ctx, tuple(sorted(parts)))


def _groups(pieces: Sequence[Piece]) -> list[_RunGroup]:
    groups: list[_RunGroup] = []
    pos = 0
    for piece in pieces:
        if not groups or groups[-1].run is not piece.run:
            groups.append(_RunGroup(piece.run, start=pos, key=format_key(piece.run, piece.ctx)))
        groups[-1].pieces.append(piece)
        pos += len(piece.text)
        groups[-1].end = pos
    return groups


def target_units(block: Block) -> list[str]:
    """The English of each segment with its gap, exactly as Block.target_text joins them."""
    units: list[str] = []
    prev: Segment | None = None
    for seg in block.segments:
        gap = seg.gap_before
        if prev is not None and gap == "" and prev.target is not None and seg.target is not None:
            gap = " "
        units.append(gap + seg.text)
        prev = seg
    if units:
        units[-1] += block.tail
    else:
        units.append(block.tail)
    return units


def _dominant(groups: list[_RunGroup], s: int, e: int) -> int:
    """Index of the group holding most of [s, e); plain (unlinked) runs win ties."""
    best, best_score = 0, (-1, False)
    for i, g in enumerate(groups):
        overlap = max(0, min(e, g.end) - max(s, g.start))
        score = (overlap, g.key[0] == ())
        if score > best_score:
            best, best_score = i, score
    return best


def plan(pieces: Sequence[Piece], block: Block, source_text: str) -> tuple[list[str], bool]:
    """English text for each run group of the paragraph, and whether formatting was dropped.

    Pure with respect to the XML (it only reads the pieces), so it can be tested with
    arbitrary text.
    """
    groups = _groups(pieces)
    target = block.target_text()
    if not groups:
        return [], False
    out = [""] * len(groups)
    visible_keys = {g.key for g in groups if g.text.strip()}
    if len(visible_keys) <= 1:
        out[next((i for i, g in enumerate(groups) if g.text.strip()), 0)] = target
        return out, False
    units = target_units(block)
    aligned = bool(block.segments) and block.rebuilt_source() == source_text
    if not aligned:
        out[_dominant(groups, 0, len(source_text))] = target
        return out, True
    dropped = False
    pos = len(block.segments[0].gap_before)
    last = 0
    for seg, unit in zip(block.segments, units):
        s, e = pos, pos + len(seg.source)
        nxt = block.segments[seg.index + 1] if seg.index + 1 < len(block.segments) else None
        pos = e + (len(nxt.gap_before) if nxt is not None else 0)
        hit = [i for i, g in enumerate(groups)
               if min(e, g.end) > max(s, g.start) and source_text[max(s, g.start):min(e, g.end)].strip()]
        if not hit:
            choice = max(last, next((i for i, g in enumerate(groups) if g.end > s), last))
        elif len({groups[i].key for i in hit}) == 1:
            choice = hit[0]
        else:
            choice = hit[0] + _dominant(groups[hit[0]:hit[-1] + 1], s, e)
            dropped = True
        choice = max(choice, last)  # keep the English in reading order
        out[choice] += unit
        last = choice
    return out, dropped


def _text_elements(text: str) -> list[etree._Element]:
    els: list[etree._Element] = []
    for part in _TEXT_SPLIT.split(text):
        if part == "":
            continue
        if part == "\t":
            els.append(etree.Element(W_TAB))
        elif part == "\n":
            els.append(etree.Element(W_BR))
        else:
            t = etree.Element(W_T)
            t.text = part
            if part != part.strip() or "  " in part:
                t.set(XML_SPACE, "preserve")
            els.append(t)
    return els


def _replace_run_text(group: _RunGroup, text: str) -> None:
    first = group.pieces[0].elem
    parent = first.getparent()
    for el in _text_elements(text):
        first.addprevious(el)
    for piece in group.pieces:
        if piece.elem.getparent() is not None:
            piece.elem.getparent().remove(piece.elem)
    del parent  # the run keeps its rPr, drawings, field characters...


def place_text(p: etree._Element, pieces: Sequence[Piece], block: Block, source_text: str) -> bool:
    """Put ``block``'s English into paragraph ``p``; True when some formatting was dropped."""
    groups = _groups(pieces)
    if not groups:
        run = etree.SubElement(p, W_R)
        for el in _text_elements(block.target_text()):
            run.append(el)
        return False
    texts, dropped = plan(pieces, block, source_text)
    for group, text in zip(groups, texts):
        _replace_run_text(group, text)
    return dropped


# ----------------------------------------------------------------------------- writing
def _serialize(root: etree._Element) -> bytes:
    tree = root.getroottree()
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                          standalone=tree.docinfo.standalone)


def write_docx(doc: Document, out_path: Path, *, force: bool = False) -> Path:
    """Write the English DOCX for ``doc`` to ``out_path`` atomically; returns the path.

    Only blocks with ``block.changed`` are rewritten. ``doc.meta["formatting_dropped"]``
    lists the blocks whose inline formatting could not be placed on the English.
    """
    src = Path(doc.path)
    out_path = Path(out_path)
    if out_path.exists() and out_path.resolve() == src.resolve():
        raise OutputError(f"{out_path}: refusing to overwrite the input document")
    if out_path.exists() and out_path.is_dir():
        raise OutputError(f"{out_path}: is a directory")
    check_input(src)
    changed = {b.id: b for b in doc.blocks if b.changed}
    dropped: list[str] = []
    with Package(src) as pkg:
        refs: list[ParaRef] = [r for r in walk(pkg) if r.id in changed]
        found = {r.id for r in refs}
        missing = sorted(set(changed) - found)
        if missing:
            raise InputError(f"{src}: changed since it was read: block {missing[0]} not found")
        for ref in refs:  # check all before touching any
            if ref.pieces.text != changed[ref.id].text:
                raise InputError(f"{src}: changed since it was read: block {ref.id} differs")
        dirty: set[str] = set()
        for ref in refs:
            block = changed[ref.id]
            lost = place_text(ref.p, ref.pieces.visible, block, block.text)
            for mirror in ref.mirrors:
                # The fallback (VML) copy of a text box gets the same English.
                mp = paragraph_pieces(mirror)
                place_text(mirror, mp.visible, block, mp.text)
            if lost:
                dropped.append(ref.id)
            dirty.add(ref.part)
        new_parts = {part: _serialize(pkg.xml(part)) for part in dirty}
        ct_name = find_member(pkg.names, "[Content_Types].xml")
        if "template.main" in pkg.main_content_type and ct_name is not None:
            # A .dotx becomes a plain document so the .docx output opens in Word.
            new_parts[ct_name] = pkg.raw(ct_name).replace(DOTX_MAIN.encode(), DOCX_MAIN.encode())

        def write(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w") as zout:
                for info in pkg.zf.infolist():
                    data = new_parts.get(info.filename)
                    if data is None:
                        data = pkg.raw(info.filename)
                    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    zi.compress_type = (zipfile.ZIP_STORED if info.compress_type == zipfile.ZIP_STORED
                                        else zipfile.ZIP_DEFLATED)
                    zi.external_attr = info.external_attr
                    zout.writestr(zi, data)

        try:
            atomic_write(out_path, write, force=force)
        except OSError as exc:
            raise OutputError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    doc.meta["formatting_dropped"] = dropped
    return out_path
