"""Read a DOCX into Blocks: one per non-empty paragraph in every story.

One walk (:func:`walk`) enumerates every paragraph element of every story with its
stable id; the reader, the writer and the text accounting all use it, so they can never
disagree about which paragraph an id names. The package is read with lxml directly
(safe parser, no DTDs, no entity expansion), not python-docx, so text boxes, content
controls, footnotes, comments and tracked changes are all reachable and the writer can
leave every part it does not change exactly as it was.

Ids (stable for the same input):
  body/p3                      body paragraph (counting every w:p, empty ones too)
  body/t0/r1/c2/p0             table cell paragraph; nested: body/t0/r1/c2/t0/r0/c0/p0
  header:default:s0/p0         header of section 0 (default/first/even); footer:... likewise
  footnote:2/p0, endnote:1/p0  by the note's w:id;  comment:5/p0 by the comment's w:id
  body/p3/tx0/p0               paragraph 0 of the first text box anchored in body/p3
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docx.styles import BabelFish
from lxml import etree

from ..document import Block, Document, Note, RunInfo, Severity
from ..errors import InputError
from .convert import Source, load_source
from .ooxml import (
    M_OMATH,
    MC_AC,
    MC_CHOICE,
    MC_FALLBACK,
    PKG_REL_NS,
    R_ID,
    W_CUSTOMXML,
    W_DEL,
    W_FLDCHAR,
    W_INS,
    W_MOVEFROM,
    W_MOVETO,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_SDT,
    W_SDTCONTENT,
    W_SECTPR,
    W_SECTPRCHANGE,
    W_TBL,
    W_TC,
    W_TR,
    W_TXBX,
    safe_parse,
    w,
)
from .pieces import FieldSpan, Piece, Pieces, paragraph_pieces  # noqa: F401  (API)
from .safety import find_member, main_part_info, open_zip, read_member, resolve_target

NOTE_TYPES_SKIPPED = {"separator", "continuationSeparator", "continuationNotice"}


# ----------------------------------------------------------------------------- package
@dataclass
class Rel:
    id: str
    type: str
    target: str | None  # zip member name, None when external or missing


class Package:
    """A DOCX zip opened for reading: safe, cached XML parts and relationships.

    Strict, macro-enabled, legacy and RTF files are opened as the plain DOCX
    :func:`pipeline.docx.convert.load_source` makes of them (``source`` says what was done).
    """

    def __init__(self, path: Path, source: Source | None = None) -> None:
        self.path = Path(path)
        self.source = source if source is not None else load_source(self.path)
        if self.source.data is not None:
            self.zf: zipfile.ZipFile = zipfile.ZipFile(io.BytesIO(self.source.data))
        else:
            self.zf = open_zip(self.path)
        try:
            self.names = set(self.zf.namelist())
            self.main, self.main_content_type = main_part_info(self.zf, self.path)
        except BaseException:
            self.zf.close()
            raise
        self._xml: dict[str, etree._Element] = {}
        self._rels: dict[str, list[Rel]] = {}

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zf.close()

    def members(self) -> list[zipfile.ZipInfo]:
        """The zip entries, in the package's order (for writing a modified copy)."""
        return self.zf.infolist()

    def find(self, name: str) -> str | None:
        """The member called ``name`` (as a zip may spell it), or None."""
        return find_member(self.names, name)

    @property
    def is_template(self) -> bool:
        """A .dotx/.dotm main part (written out as a plain document)."""
        return "template.main" in self.main_content_type

    def raw(self, name: str) -> bytes:
        return read_member(self.zf, name, self.path)

    def xml(self, name: str) -> etree._Element:
        if name not in self._xml:
            self._xml[name] = safe_parse(self.raw(name), name, self.path)
        return self._xml[name]

    def rels(self, part: str) -> list[Rel]:
        if part not in self._rels:
            folder, _, base = part.rpartition("/")
            rels_name = find_member(self.names, f"{folder}/_rels/{base}.rels" if folder
                                    else f"_rels/{base}.rels")
            out: list[Rel] = []
            if rels_name is not None:
                for rel in self.xml(rels_name).iter(f"{{{PKG_REL_NS}}}Relationship"):
                    target = None
                    if rel.get("TargetMode") != "External":
                        target = find_member(self.names,
                                             resolve_target(part, rel.get("Target", "")))
                    out.append(Rel(rel.get("Id", ""), rel.get("Type", ""), target))
            self._rels[part] = out
        return self._rels[part]

    def rel_targets(self, part: str, suffix: str) -> list[str]:
        return [r.target for r in self.rels(part)
                if r.type.endswith(suffix) and r.target is not None]

    def style_names(self) -> dict[str, str]:
        """styleId -> style name (paragraph styles), plus '' -> the default style."""
        names: dict[str, str] = {}
        for part in self.rel_targets(self.main, "/styles"):
            for st in self.xml(part).iter(w("style")):
                sid = st.get(w("styleId"), "")
                name_el = st.find(w("name"))
                name = name_el.get(w("val"), sid) if name_el is not None else sid
                # Word stores built-in names in lower case ("heading 1"); show them
                # the way Word and python-docx do ("Heading 1").
                name = BabelFish.internal2ui(name)
                names[sid] = name
                if st.get(w("type")) == "paragraph" and st.get(w("default")) in ("1", "true", "on"):
                    names[""] = name
        return names


# ----------------------------------------------------------------------------- walk
@dataclass
class ParaRef:
    """One w:p with its stable id; ``mirrors`` are fallback copies of a text-box paragraph."""

    id: str
    story: str
    part: str
    p: etree._Element
    mirrors: list[etree._Element] = field(default_factory=list)
    _pieces: Pieces | None = None

    @property
    def pieces(self) -> Pieces:
        if self._pieces is None:
            self._pieces = paragraph_pieces(self.p)
        return self._pieces


def _content_of(el: etree._Element) -> etree._Element | None:
    """The child holding the real content of a transparent wrapper, else None."""
    if el.tag == W_SDT:
        return el.find(W_SDTCONTENT)
    if el.tag in (W_CUSTOMXML, W_INS, W_MOVETO):
        return el
    if el.tag == MC_AC:
        return el.find(MC_CHOICE)
    return None


def _iter_through(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, looking through content controls and custom XML."""
    for child in parent:
        if child.tag == tag:
            yield child
        else:
            inner = _content_of(child)
            if inner is not None:
                yield from _iter_through(inner, tag)


def _walk_container(container: etree._Element, prefix: str, story: str, part: str,
                    ctr: dict[str, int] | None = None) -> Iterator[ParaRef]:
    ctr = ctr if ctr is not None else {"p": 0, "t": 0}
    for child in container:
        tag = child.tag
        if tag == W_P:
            pid = f"{prefix}/p{ctr['p']}"
            ctr["p"] += 1
            yield ParaRef(pid, story, part, child)
            yield from _walk_textboxes(child, pid, part)
        elif tag == W_TBL:
            tid = f"{prefix}/t{ctr['t']}"
            ctr["t"] += 1
            yield from _walk_table(child, tid, story, part)
        else:
            inner = _content_of(child)
            if inner is not None:
                yield from _walk_container(inner, prefix, story, part, ctr)


def _walk_table(tbl: etree._Element, tid: str, story: str, part: str) -> Iterator[ParaRef]:
    # Raw w:tc elements: a gridSpan cell is one w:tc and a vMerge continuation is its own
    # (normally empty) w:tc, so merged cells never repeat text (python-docx's
    # row.cells does repeat them).
    for r, tr in enumerate(_iter_through(tbl, W_TR)):
        for c, tc in enumerate(_iter_through(tr, W_TC)):
            yield from _walk_container(tc, f"{tid}/r{r}/c{c}", story, part)


def _ancestors_until(el: etree._Element, stop: etree._Element) -> Iterator[etree._Element]:
    node = el.getparent()
    while node is not None and node is not stop:
        yield node
        node = node.getparent()


def _top_textboxes(scope: etree._Element) -> list[etree._Element]:
    """Text boxes directly in ``scope`` (not nested in another one, not in a fallback)."""
    found = []
    for tx in scope.iter(W_TXBX):
        if tx is scope:
            continue
        if any(a.tag in (W_TXBX, MC_FALLBACK, W_DEL, W_MOVEFROM)
               for a in _ancestors_until(tx, scope)):
            continue
        found.append(tx)
    return found


def _fallback_mirror(tx: etree._Element, p: etree._Element) -> etree._Element | None:
    choice = next((a for a in _ancestors_until(tx, p) if a.tag == MC_CHOICE), None)
    if choice is None:
        return None
    fallback = choice.getparent().find(MC_FALLBACK) if choice.getparent() is not None else None
    if fallback is None:
        return None
    primaries = [t for t in choice.iter(W_TXBX)
                 if not any(a.tag == W_TXBX for a in _ancestors_until(t, choice))]
    copies = [t for t in fallback.iter(W_TXBX)
              if not any(a.tag == W_TXBX for a in _ancestors_until(t, fallback))]
    idx = next(i for i, t in enumerate(primaries) if t is tx)
    return copies[idx] if idx < len(copies) else None


def _walk_textboxes(p: etree._Element, pid: str, part: str) -> Iterator[ParaRef]:
    for i, tx in enumerate(_top_textboxes(p)):
        prefix = f"{pid}/tx{i}"
        refs = list(_walk_container(tx, prefix, "textbox", part))
        mirror = _fallback_mirror(tx, p)
        if mirror is not None:
            copies = {r.id: r for r in _walk_container(mirror, prefix, "textbox", part)}
            for ref in refs:
                copy = copies.get(ref.id)
                if copy is not None:
                    ref.mirrors.append(copy.p)
        yield from refs


@dataclass
class Story:
    prefix: str
    kind: str  # body, header, footer, footnote, endnote, comment
    part: str
    container: etree._Element


def header_footer_parts(pkg: Package) -> tuple[dict[str, str], list[str]]:
    """part -> id prefix for referenced headers/footers; plus unreferenced ones."""
    rels = {r.id: r.target for r in pkg.rels(pkg.main) if r.target is not None}
    body = pkg.xml(pkg.main).find(w("body"))
    assigned: dict[str, str] = {}
    if body is not None:
        sects = [s for s in body.iter(W_SECTPR)
                 if not any(a.tag == W_SECTPRCHANGE for a in _ancestors_until(s, body))]
        for s, sect in enumerate(sects):
            for ref in sect:
                kind = {w("headerReference"): "header", w("footerReference"): "footer"}.get(ref.tag)
                target = rels.get(ref.get(R_ID, "")) if kind else None
                if kind and target and target not in assigned:
                    assigned[target] = f"{kind}:{ref.get(w('type'), 'default')}:s{s}"
    all_hf = pkg.rel_targets(pkg.main, "/header") + pkg.rel_targets(pkg.main, "/footer")
    unreferenced = [p for p in dict.fromkeys(all_hf) if p not in assigned]
    return assigned, unreferenced


def stories(pkg: Package) -> Iterator[Story]:
    """Every story container in reading order: body, headers/footers, notes, comments."""
    root = pkg.xml(pkg.main)
    bodies = root.findall(w("body"))
    if not bodies:
        raise InputError(f"{pkg.path}: corrupt DOCX: no <w:body> in {pkg.main}")
    for i, body in enumerate(bodies):
        # A second <w:body> only occurs in odd generated files; its text still counts.
        yield Story("body" if i == 0 else f"body{i}", "body", pkg.main, body)
    hf, _unref = header_footer_parts(pkg)
    for part, prefix in hf.items():
        yield Story(prefix, prefix.split(":", 1)[0], part, pkg.xml(part))
    for kind, suffix, item in (("footnote", "/footnotes", "footnote"),
                               ("endnote", "/endnotes", "endnote"),
                               ("comment", "/comments", "comment")):
        for part in dict.fromkeys(pkg.rel_targets(pkg.main, suffix)):
            seen: Counter[str] = Counter()
            for note in pkg.xml(part).iter(w(item)):
                if note.get(w("type")) in NOTE_TYPES_SKIPPED:
                    continue
                nid = note.get(w("id"), "")
                seen[nid] += 1
                # Duplicate ids only occur in broken files; keep our ids unique anyway.
                suffix_n = f"~{seen[nid] - 1}" if seen[nid] > 1 else ""
                yield Story(f"{kind}:{nid}{suffix_n}", kind, part, note)


def walk(pkg: Package) -> Iterator[ParaRef]:
    """THE walk: every paragraph of every story, with its id, in reading order."""
    for st in stories(pkg):
        story = st.kind
        for ref in _walk_container(st.container, st.prefix, story, st.part):
            if story == "body" and ref.story == "body" and "/t" in ref.id:
                ref.story = "table"
            yield ref


# ----------------------------------------------------------------------------- reader
def paragraph_style(p: etree._Element, styles: dict[str, str]) -> str:
    ppr = p.find(W_PPR)
    sid = ""
    if ppr is not None:
        ps = ppr.find(W_PSTYLE)
        if ps is not None:
            sid = ps.get(w("val"), "")
    return styles.get(sid, sid)


def untouched_counts(pkg: Package, parts: list[str]) -> dict[str, int]:
    counts = {"equations": 0, "field_codes": 0}
    for part in dict.fromkeys(parts):
        root = pkg.xml(part)
        counts["equations"] += sum(
            1 for m in root.iter(M_OMATH) if not any(a.tag == M_OMATH for a in m.iterancestors()))
        counts["field_codes"] += sum(1 for f in root.iter(W_FLDCHAR)
                                     if f.get(w("fldCharType")) == "begin")
    return counts


def read_docx(path: Path) -> Document:
    """Blocks (no segments) for every non-empty paragraph of every story of ``path``."""
    path = Path(path)
    source = load_source(path)
    try:
        with Package(path, source) as pkg:
            return _read(pkg)
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as exc:
        raise InputError(f"{path}: corrupt DOCX ({type(exc).__name__}: {exc})") from None


def _read(pkg: Package) -> Document:
    styles = pkg.style_names()
    blocks: list[Block] = []
    empty = 0
    parts: list[str] = []
    for ref in walk(pkg):
        parts.append(ref.part)
        text = ref.pieces.text
        if not text.strip():
            empty += 1  # whitespace-only: nothing to translate, left as is
            continue
        blocks.append(Block(id=ref.id, story=ref.story, text=text,
                            style=paragraph_style(ref.p, styles)))
    doc = Document(path=pkg.path, blocks=blocks, run=RunInfo(
        format=pkg.source.format, empty_paragraphs=empty,
        untouched=untouched_counts(pkg, parts)))
    if pkg.source.note:
        # Said on screen, at the top of the review document and in the report.
        severity = Severity.INFO if pkg.source.format == "strict" else Severity.WARNING
        doc.notes.append(Note(f"input-{pkg.source.format}", pkg.source.note, severity, "read"))
    return doc
