"""Traditional / Simplified Chinese: detect a draft's script, convert for matching.

Sellers in Taiwan and Hong Kong write their drafts in Traditional characters
(訂單缺陷率), while the glossary, the memory and the model are Simplified (订单缺陷率).
``convert_document`` (run by the segment step) decides per document which script the
Chinese is written in, and for a Traditional draft fills ``Segment.simplified`` with the
OpenCC ``t2s`` conversion of each translatable segment. Steps that match or translate
Chinese read ``Segment.zh``; the review, the report and any text the English DOCX keeps
untranslated still show the original Traditional text (``Segment.source``).

The conversion keeps the length: when a phrase conversion would change it, the
segment is converted character by character instead, so term offsets found in
``simplified`` are valid in ``source`` too.

OpenCC (the ``opencc`` package, with its own conversion tables) is imported on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .cjk import has_chinese
from .document import Document, Note, Severity

TRADITIONAL = "traditional"
SIMPLIFIED = "simplified"
_MIN_TRADITIONAL = 2  # fewer Traditional-only characters than this: a stray character


@lru_cache(maxsize=4)
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


# OpenCC keeps 帐 for 帳, but mainland usage (and so the glossary and the model) writes
# 账 for accounts and money (账户, 账号, 账单); 帐 stays for tents and curtains.
_ZHANG = re.compile("(?<![蚊营軍军])帐(?![篷幕子])")


def to_simplified(text: str) -> str:
    """``text`` in Simplified characters, same length as ``text``.

    OpenCC ``t2s`` (characters and variant phrases; not ``tw2sp``, whose Taiwan-to-
    mainland vocabulary changes meaning here: 停用 -> 禁用), character by character
    when a phrase would change the length; then 帐 -> 账 in money senses.
    """
    out = _converter("t2s").convert(text)
    if len(out) != len(text):  # a phrase mapped to another length: go char by char
        conv = _converter("t2s")
        out = "".join(c if len(s := conv.convert(c)) != 1 else s for c in text)
    if "帐" in out:
        out = "".join(o if (t != "帳" or o != "帐") else n for t, o, n in
                      zip(text, out, _ZHANG.sub("账", out), strict=True))
    return out


def to_traditional(text: str) -> str:
    """``text`` in Traditional characters (OpenCC s2t); for tests and sample making."""
    return _converter("s2t").convert(text)


def script_counts(text: str) -> tuple[int, int]:
    """(Traditional-only, Simplified-only) character counts of ``text``.

    A character is Traditional-only when t2s changes it, Simplified-only when s2t does.
    """
    trad = simp = 0
    t2s, s2t = to_simplified(text), _converter("s2t").convert(text)
    for a, b in zip(text, t2s, strict=False):
        trad += a != b
    if len(s2t) == len(text):
        simp = sum(a != b for a, b in zip(text, s2t, strict=False))
    return trad, simp


def detect_script(text: str) -> str:
    """"traditional" when ``text`` has more Traditional-only than Simplified-only
    characters (and at least two), else "simplified"."""
    if not has_chinese(text):
        return SIMPLIFIED
    trad, simp = script_counts(text)
    return TRADITIONAL if trad >= _MIN_TRADITIONAL and trad > simp else SIMPLIFIED


def convert_document(doc: Document) -> Document:
    """Set ``doc.script`` and, for a Traditional draft, ``Segment.simplified``."""
    segments = [s for s in doc.segments if s.translatable]
    doc.script = detect_script("\n".join(s.source for s in segments))
    if doc.script != TRADITIONAL:
        return doc
    converted = 0
    for seg in segments:
        simple = to_simplified(seg.source)
        if simple != seg.source:
            seg.simplified = simple
            converted += 1
    doc.notes.append(Note(
        "traditional-chinese",
        f"the draft is written in Traditional Chinese: {converted} sentences were converted "
        "to Simplified (OpenCC t2s) for the glossary, the memory and the engine; the review "
        "and the report show the original text", Severity.INFO, "segment"))
    return doc
