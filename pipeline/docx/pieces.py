"""The visible text of one paragraph (``w:p``) as ``Pieces``: each ``w:t`` / tab / break
with the run that holds it, field spans, and the text skipped with a reason. The reader
builds blocks from it and the writer places English back through it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .ooxml import (
    M_OMATH,
    M_OMATHPARA,
    MC_AC,
    MC_CHOICE,
    R_ID,
    W_BR,
    W_CR,
    W_DEL,
    W_FLDCHAR,
    W_FLDSIMPLE,
    W_HYPERLINK,
    W_MOVEFROM,
    W_NBHYPHEN,
    W_P,
    W_PPR,
    W_R,
    W_RT,
    W_RUBY,
    W_SDT,
    W_T,
    W_TAB,
    W_TXBX,
    w,
)

# Inline elements whose text is not visible text of the paragraph: left as they are.
SKIP_INLINE = {W_DEL: "deleted", W_MOVEFROM: "deleted", M_OMATH: "equation",
               M_OMATHPARA: "equation", W_PPR: "properties", W_RT: "ruby-annotation"}
# Inline containers whose identity matters for formatting (text moved out of them
# loses the link / field / content control).
KEYED_INLINE = {W_HYPERLINK: "link", W_FLDSIMPLE: "field", W_SDT: "sdt"}


@dataclass
class Piece:
    """One visible text element of a paragraph, with the run that holds it."""

    elem: etree._Element  # w:t, w:tab, w:br, w:cr or w:noBreakHyphen
    text: str
    run: etree._Element
    ctx: tuple[Any, ...]  # enclosing hyperlink / field / content control keys
    field: int | None = None  # innermost field whose result holds it (Pieces.fields key)


@dataclass
class FieldSpan:
    """Where a field starts and ends in the paragraph (runs with fldChar, or w:fldSimple)."""

    begin: etree._Element
    end: etree._Element | None = None  # None: the field ends in a later paragraph


@dataclass
class Pieces:
    visible: list[Piece] = field(default_factory=list)
    skipped: list[tuple[etree._Element, str]] = field(default_factory=list)  # (w:t, reason)
    fields: dict[int, FieldSpan] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.visible)


def _skip_subtree(node: etree._Element, reason: str, out: Pieces) -> None:
    for t in node.iter(W_T):
        out.skipped.append((t, reason))


def paragraph_pieces(p: etree._Element) -> Pieces:
    """The visible text of a w:p, in order; text boxes inside it are separate stories."""
    out = Pieces()
    # Field stack: [mode, field id]; mode "code" until the separator, then "result".
    state: list[list[Any]] = []
    _collect(p, (), out, state)
    return out


def _collect(node: etree._Element, ctx: tuple[Any, ...], out: Pieces,
             state: list[list[Any]]) -> None:
    for child in node:
        tag = child.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        if tag == W_R:
            _run_children(child, child, ctx, out, state)
        elif tag in (W_TXBX, W_P):
            continue  # a text box (or its paragraphs) is its own story
        elif tag in SKIP_INLINE:
            _skip_subtree(child, SKIP_INLINE[tag], out)
        elif tag in KEYED_INLINE:
            kind = KEYED_INLINE[tag]
            if kind == "link":
                key: tuple[Any, ...] = (kind, child.get(R_ID, ""), child.get(w("anchor"), ""))
            elif kind == "field":
                key = (kind, child.get(w("instr"), ""))
            else:
                key = (kind, id(child))
            if kind == "field":
                fid = len(out.fields)
                out.fields[fid] = FieldSpan(child, child)
                state.append(["result", fid])
                _collect(child, ctx + (key,), out, state)
                state.pop()
            else:
                _collect(child, ctx + (key,), out, state)
        elif tag == MC_AC:
            _alternate(child, ctx, out, state, None)
        elif tag == W_RUBY:
            _collect(child, ctx + (("ruby",),), out, state)
        else:
            # smartTag, customXml, ins, moveTo, dir, bdo, sdtContent...: transparent.
            _collect(child, ctx, out, state)


def _alternate(ac: etree._Element, ctx: tuple[Any, ...], out: Pieces, state: list[list[Any]],
               run: etree._Element | None) -> None:
    # Read the first Choice; the Fallback is a duplicate for older readers.
    choice = ac.find(MC_CHOICE)
    for alt in ac:
        if alt is choice:
            if run is None:
                _collect(alt, ctx, out, state)
            else:
                _run_children(alt, run, ctx, out, state)
        elif isinstance(alt.tag, str):
            _skip_subtree(alt, "fallback-copy", out)


def _run_children(holder: etree._Element, r: etree._Element, ctx: tuple[Any, ...], out: Pieces,
                  state: list[list[Any]]) -> None:
    """Run content of ``holder`` (the w:r itself, or an mc:Choice inside it)."""
    for child in holder:
        tag = child.tag
        if tag == W_FLDCHAR:
            kind = child.get(w("fldCharType"))
            if kind == "begin":
                fid = len(out.fields)
                out.fields[fid] = FieldSpan(r)
                state.append(["code", fid])
            elif kind == "separate" and state:
                state[-1][0] = "result"
            elif kind == "end" and state:
                out.fields[state[-1][1]].end = r
                state.pop()
            continue
        if any(mode == "code" for mode, _fid in state):
            # Between begin and separate: the field code (w:instrText, nested field
            # results); left untouched.
            _skip_subtree(child, "field-code", out)
            continue
        fid = state[-1][1] if state else None
        if tag == W_T:
            out.visible.append(Piece(child, child.text or "", r, ctx, fid))
        elif tag == W_TAB:
            out.visible.append(Piece(child, "\t", r, ctx, fid))
        elif tag == W_BR and child.get(w("type")) in (None, "textWrapping"):
            out.visible.append(Piece(child, "\n", r, ctx, fid))
        elif tag == W_CR:
            out.visible.append(Piece(child, "\n", r, ctx, fid))
        elif tag == W_NBHYPHEN:
            out.visible.append(Piece(child, "\u2011", r, ctx, fid))
        elif tag == MC_AC:
            _alternate(child, ctx, out, state, r)
        elif tag in SKIP_INLINE:
            _skip_subtree(child, SKIP_INLINE[tag], out)
        # Anything else (rPr, drawings, pictures, objects, symbols) is not text here:
        # text boxes in drawings are walked as their own stories, and any other w:t is
        # reported by the accounting.
