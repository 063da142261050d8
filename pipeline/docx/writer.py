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
    with most of its text, and the block id is listed in doc.run.formatting_dropped.
"""

from __future__ import annotations

import copy
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..cjk import HAN_RE
from ..document import Block, Document
from ..errors import InputError, OutputError
from ..fileio import atomic_write
from .convert import load_source
from .ooxml import W_BR, W_R, W_RPR, W_T, W_TAB, XML_SPACE, W, w
from .pieces import Piece, Pieces, paragraph_pieces
from .reader import Package, ParaRef, walk
from .safety import DOCX_MAIN, DOTX_MAIN

# rPr children that do not change how English looks (language tags, East Asian font
# hints, complex-script twins): runs differing only in these count as one formatting.
IGNORED_RPR = {w(t) for t in ("lang", "noProof", "rFonts", "szCs", "bCs", "iCs", "cs",
                              "kern", "webHidden", "specVanish", "eastAsianLayout",
                              "rPrChange", "snapToGrid")}
_TEXT_SPLIT = re.compile(r"(\t|\r\n|\r|\n|\x0b)")
# Characters XML 1.0 cannot hold (lxml refuses them); an engine may still emit them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters an XML document cannot contain."""
    return _NOT_XML.sub("", text)


# ----------------------------------------------------------------------------- placing
@dataclass
class _RunGroup:
    """Consecutive pieces of one run (and one field result): the unit English goes into."""

    run: etree._Element
    field: int | None
    pieces: list[Piece] = field(default_factory=list)
    start: int = 0
    end: int = 0
    key: tuple[object, ...] = ()

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


@dataclass
class Plan:
    """Where the English goes: text per run group, plus new runs around kept fields."""

    texts: list[str]
    before: dict[int, str] = field(default_factory=dict)  # field id -> run before the field
    after: dict[int, str] = field(default_factory=dict)  # field id -> run after the field
    dropped: bool = False  # some inline formatting could not be placed
    fields_unplaced: bool = False  # a computed field result is not where the English says


_HAN = HAN_RE  # a field result with Chinese is translated like the segment step does


def format_key(run: etree._Element, ctx: tuple[object, ...]) -> tuple[object, ...]:
    """What the English would look like in this run: visible rPr plus link/field/control."""
    rpr = run.find(W_RPR)
    parts: list[str] = []
    if rpr is not None:
        for child in rpr:
            if not isinstance(child.tag, str) or child.tag in IGNORED_RPR:
                continue
            if not child.tag.startswith(W):
                continue  # w14/w15 effects etc.: not basic formatting
            attrs = ",".join(f"{k}={v}" for k, v in sorted(child.attrib.items()))
            parts.append(f"{child.tag}[{attrs}]")
    return (ctx, tuple(sorted(parts)))


def _groups(pieces: Sequence[Piece]) -> list[_RunGroup]:
    groups: list[_RunGroup] = []
    pos = 0
    for piece in pieces:
        if not groups or groups[-1].run is not piece.run or groups[-1].field != piece.field:
            groups.append(_RunGroup(piece.run, piece.field, start=pos,
                                    key=format_key(piece.run, piece.ctx)))
        groups[-1].pieces.append(piece)
        pos += len(piece.text)
        groups[-1].end = pos
    return groups


def _dominant(groups: Sequence[_RunGroup], s: int, e: int) -> int:
    """Index of the group holding most of [s, e); plain (unlinked) runs win ties."""
    best, best_score = 0, (-1, False)
    for i, g in enumerate(groups):
        overlap = max(0, min(e, g.end) - max(s, g.start))
        score = (overlap, g.key[0] == ())
        if score > best_score:
            best, best_score = i, score
    return best


def _anchors(groups: Sequence[_RunGroup]) -> list[tuple[int, list[int], str]]:
    """Computed field results (page numbers, dates in digits...) the English must keep.

    A field result with no Chinese is left exactly as it is, so the field still works
    (a PAGE field keeps counting pages); the English is split around it. Results with
    Chinese in them are translated like any text.
    """
    by_field: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        if g.field is not None:
            by_field.setdefault(g.field, []).append(i)
    out = []
    for fid, idxs in by_field.items():
        text = "".join(groups[i].text for i in idxs)
        if text.strip() and not _HAN.search(text):
            out.append((fid, idxs, text))
    return sorted(out, key=lambda a: a[1][0])


def _plan_anchored(groups: Sequence[_RunGroup], anchors: list[tuple[int, list[int], str]],
                   target: str, source_len: int) -> Plan | None:
    """Split ``target`` around the anchors' text; None when it does not contain them in order."""
    cuts: list[tuple[int, int]] = []
    pos = 0
    for _fid, idxs, text in anchors:
        expected = groups[idxs[0]].start * len(target) // max(source_len, 1)
        found: list[tuple[int, int]] = []
        for needle in dict.fromkeys((text, text.strip())):
            found = [(m.start(), m.start() + len(needle))
                     for m in re.finditer(re.escape(needle), target[pos:])]
            if found:
                break
        if not found:
            return None
        # Of several occurrences ("Chapter 1 ... 1"), take the one nearest the field's
        # relative position in the source.
        s, e = min(found, key=lambda se: abs(pos + se[0] - expected))
        cuts.append((pos + s, pos + e))
        pos += e
    starts = [0] + [e for _s, e in cuts]
    ends = [s for s, _e in cuts] + [len(target)]
    chunks = [target[a:b] for a, b in zip(starts, ends, strict=True)]
    anchored = {i for _f, idxs, _t in anchors for i in idxs}
    plan = Plan(texts=[""] * len(groups))
    for _f, idxs, _t in anchors:
        for i in idxs:
            plan.texts[i] = groups[i].text
    bounds = [-1] + [idxs[0] for _f, idxs, _t in anchors] + [len(groups)]
    lasts = [-1] + [idxs[-1] for _f, idxs, _t in anchors]
    keys = set()
    for k, chunk in enumerate(chunks):
        lo, hi = lasts[k], bounds[k + 1]
        region = [i for i in range(lo + 1, hi) if i not in anchored]
        host = next((i for i in region if groups[i].text.strip()), region[0] if region else None)
        if host is not None:
            plan.texts[host] += chunk
            keys.update(groups[i].key for i in region if groups[i].text.strip())
        elif chunk:
            # No run of its own between two fields: a new run just outside the field.
            if k < len(anchors):
                plan.before[anchors[k][0]] = chunk
            else:
                plan.after[anchors[k - 1][0]] = chunk
    plan.dropped = len(keys) > 1
    return plan


def plan(pieces: Sequence[Piece], block: Block, source_text: str) -> Plan:
    """Where each part of ``block``'s English goes among the paragraph's runs.

    Pure with respect to the XML (it only reads the pieces), so it can be tested with
    arbitrary text.
    """
    groups = _groups(pieces)
    target = block.target_text()
    out = Plan(texts=[""] * len(groups))
    if not groups:
        return out
    anchors = _anchors(groups)
    in_field = {i for _f, idxs, _t in anchors for i in idxs}
    if anchors:
        anchored = _plan_anchored(groups, anchors, target, len(source_text))
        if anchored is not None:
            return anchored
        out.fields_unplaced = True  # the English lost the number: fields emptied, reported
    visible_keys = {g.key for g in groups if g.text.strip()}
    if len(visible_keys) <= 1:
        # Into the first run with text, preferring one outside a field result (which
        # Word would overwrite when it updates the field).
        visible = [i for i, g in enumerate(groups) if g.text.strip()]
        out.texts[next((i for i in visible if i not in in_field), visible[0] if visible else 0)] = target
        return out
    units = block.target_units()
    aligned = bool(block.segments) and block.rebuilt_source() == source_text
    if not aligned:
        out.texts[_dominant(groups, 0, len(source_text))] = target
        out.dropped = True
        return out
    spans: list[tuple[int, int]] = []
    pos = 0
    for seg in block.segments:
        pos += len(seg.gap_before)
        spans.append((pos, pos + len(seg.source)))
        pos += len(seg.source)
    last = 0
    for (s, e), unit in zip(spans, units, strict=True):
        hit = [i for i, g in enumerate(groups)
               if min(e, g.end) > max(s, g.start) and source_text[max(s, g.start):min(e, g.end)].strip()]
        if not hit:
            choice = max(last, next((i for i, g in enumerate(groups) if g.end > s), last))
        elif len({groups[i].key for i in hit}) == 1:
            choice = hit[0]
        else:
            choice = hit[0] + _dominant(groups[hit[0]:hit[-1] + 1], s, e)
            out.dropped = True
        choice = max(choice, last)  # keep the English in reading order
        out.texts[choice] += unit
        last = choice
    return out


def _text_elements(text: str) -> list[etree._Element]:
    """w:t / w:tab / w:br elements for ``text`` (tabs and line breaks as Word writes them)."""
    els: list[etree._Element] = []
    for part in _TEXT_SPLIT.split(text):
        if part not in ("\t", "\n", "\r\n", "\r", "\x0b"):
            part = xml_safe(part)
        if part == "":
            continue
        if part == "\t":
            els.append(etree.Element(W_TAB))
        elif part in ("\n", "\r\n", "\r", "\x0b"):
            els.append(etree.Element(W_BR))
        else:
            t = etree.Element(W_T)
            t.text = part
            if part != part.strip() or "  " in part:
                t.set(XML_SPACE, "preserve")
            els.append(t)
    return els


def _replace_run_text(group: _RunGroup, text: str) -> None:
    if text == group.text:
        return  # unchanged (a kept field result): leave its XML exactly as it was
    first = group.pieces[0].elem
    for el in _text_elements(text):
        first.addprevious(el)
    for piece in group.pieces:
        parent = piece.elem.getparent()
        if parent is not None:
            parent.remove(piece.elem)
    # The run itself stays, with its rPr, drawings and field characters.


def _new_run(like: etree._Element, text: str) -> etree._Element:
    """A run with ``like``'s formatting holding ``text``."""
    run = etree.Element(W_R)
    rpr = like.find(W_RPR) if like.tag == W_R else None
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    for el in _text_elements(text):
        run.append(el)
    return run


@dataclass
class Placed:
    dropped: bool = False
    fields_unplaced: bool = False


def place_text(p: etree._Element, pieces: Pieces, block: Block, source_text: str) -> Placed:
    """Put ``block``'s English into paragraph ``p`` (whose text pieces are ``pieces``)."""
    groups = _groups(pieces.visible)
    if not groups:
        run = etree.SubElement(p, W_R)
        for el in _text_elements(block.target_text()):
            run.append(el)
        return Placed()
    pl = plan(pieces.visible, block, source_text)
    for fid, text in pl.before.items():
        span = pieces.fields[fid]
        span.begin.addprevious(_new_run(span.begin, text))
    for fid, text in pl.after.items():
        span = pieces.fields[fid]
        end = span.end if span.end is not None else span.begin
        end.addnext(_new_run(end, text))
    for group, text in zip(groups, pl.texts, strict=True):
        _replace_run_text(group, text)
    return Placed(pl.dropped, pl.fields_unplaced)


# ----------------------------------------------------------------------------- writing
def _serialize(root: etree._Element) -> bytes:
    tree = root.getroottree()
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                          standalone=tree.docinfo.standalone)


def write_docx(doc: Document, out_path: Path, *, force: bool = False) -> Path:
    """Write the English DOCX for ``doc`` to ``out_path`` atomically; returns the path.

    Only blocks with ``block.changed`` are rewritten. ``doc.run.formatting_dropped``
    lists the blocks whose inline formatting could not be placed on the English.
    """
    src = Path(doc.path)
    out_path = Path(out_path)
    if out_path.exists() and out_path.resolve() == src.resolve():
        raise OutputError(f"{out_path}: refusing to overwrite the input document")
    if out_path.exists() and out_path.is_dir():
        raise OutputError(f"{out_path}: is a directory")
    # A Strict, macro-enabled, legacy or RTF input is written as the plain .docx it was
    # read as (the conversion is cached, so LibreOffice does not run twice).
    source = load_source(src)
    changed = {b.id: b for b in doc.blocks if b.changed}
    dropped: list[str] = []
    unplaced: list[str] = []
    with Package(src, source) as pkg:
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
            placed = place_text(ref.p, ref.pieces, block, block.text)
            for mirror in ref.mirrors:
                # The fallback (VML) copy of a text box gets the same English.
                mp = paragraph_pieces(mirror)
                place_text(mirror, mp, block, mp.text)
            if placed.dropped:
                dropped.append(ref.id)
            if placed.fields_unplaced:
                unplaced.append(ref.id)
            dirty.add(ref.part)
        new_parts = {part: _serialize(pkg.xml(part)) for part in dirty}
        ct_name = pkg.find("[Content_Types].xml")
        if pkg.is_template and ct_name is not None:
            # A .dotx becomes a plain document so the .docx output opens in Word.
            new_parts[ct_name] = pkg.raw(ct_name).replace(DOTX_MAIN.encode(), DOCX_MAIN.encode())

        def write(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w") as zout:
                for info in pkg.members():
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
    doc.run.formatting_dropped = dropped
    doc.run.fields_unplaced = unplaced
    return out_path
