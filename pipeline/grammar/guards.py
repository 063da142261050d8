"""Spans no grammar edit may touch (digits, inner capitals, acronyms, the glossary's words)
and where a sentence starts."""

from __future__ import annotations

import re
from functools import lru_cache

from ..postedit import protected_spans

# A full stop after these is not a sentence end ("Co., Ltd. and", "e.g. the").
_ABBREVIATIONS = frozenset("""
co ltd inc corp llc plc no nos vs etc approx dept est fig mr mrs ms dr st jr sr
jan feb mar apr jun jul aug sep sept oct nov dec al ref
""".split())


# ----------------------------------------------------------------------------- guards
_DIGIT_TOKEN = re.compile(r"[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*")
_INNER_CAPS = re.compile(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z]*\b")
_ALL_CAPS = re.compile(r"\b[A-Z]{2,}s?\b")


@lru_cache(maxsize=16)
def _words_regex(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])")


def guarded_spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans no grammar edit may touch: URLs, IDs, acronyms, inner capitals, glossary."""
    spans = protected_spans(text)
    for rx in (_DIGIT_TOKEN, _INNER_CAPS, _ALL_CAPS):
        spans.extend(m.span() for m in rx.finditer(text))
    wr = _words_regex(words)
    if wr is not None:
        spans.extend(m.span() for m in wr.finditer(text))
    return spans


_CONTEXT = 400  # characters before a position that decide whether a sentence starts there
_SENTENCE_END = re.compile(r"(\S*?)([.!?]+)[\"'”’)\]]*$")


def at_sentence_start(text: str, pos: int) -> bool:
    """True if ``pos`` starts a sentence: text or line start, or after a real sentence end
    (a full stop after an ordinary word, not after "Ltd.", "e.g.", "3."; or ! or ?)."""
    # Only the last few hundred characters matter: looking at the whole prefix made
    # sentence splitting quadratic on a long single-line paragraph.
    j = pos
    while j > 0 and text[j - 1] in " \t\"'“‘([":
        j -= 1
    if j == 0:
        return True
    prefix = text[max(0, j - _CONTEXT):j]
    if prefix.endswith(("\n", "\r")):
        # A line break starts a sentence only after a blank line, a sentence end or a
        # colon (a soft break inside a sentence does not).
        before = prefix.rstrip()
        return not before or before.endswith((".", "!", "?", ":", "\n")) or \
            prefix.rstrip(" \t").endswith(("\n\n", "\r\n\r\n"))
    k = max(prefix.rfind(" "), prefix.rfind("\t"), prefix.rfind("\n"), prefix.rfind("\r")) + 1
    m = _SENTENCE_END.search(prefix, k)  # within the last token only
    if m is None:
        return False
    if "!" in m.group(2) or "?" in m.group(2):
        return True
    token = m.group(1).strip("(\"'“‘[")
    if re.fullmatch(r"[\d.,]*\d[%)]?", token):
        # A number ends a sentence ("in 2023.", "2.8%."), but "3." opening a line is a
        # list marker.
        before = prefix[: m.start(1)].rstrip()
        marker = not before or before[-1] in ".!?:;"
        return not (marker and token.isdigit() and len(token) <= 2)
    # Not a sentence end: an initial ("J."), a dotted abbreviation ("e.g.", "U.S."), or a
    # known abbreviation ("Ltd.", "Co.", "No."). Anything else is: "high.", "SOP.", IDs.
    return not (len(token) < 2 or "." in token
                or token.lower().rstrip(")") in _ABBREVIATIONS)
