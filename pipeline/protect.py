"""Protect what the engine must not change: numbers, IDs, dates, URLs, Latin names.

Real zh->en models (the official Argos packages, OPUS-MT, NLLB...) have no placeholder
symbols, and MT models copy numbers, IDs and Latin names they see in the source. So the
source goes to the engine whole and unmasked; this module finds the spans that must come
back unchanged (``find_spans``: numbers, percentages, money, dates, times, order IDs,
ASINs, other IDs, URLs, e-mail addresses, inline English, emoji, right-to-left text) and
records them on the segment (``Segment.protected``, each with its English rendering: a
date 2026年10月15日 must come back as "October 15, 2026" or an accepted equivalent,
1.5万 as 15,000). After translation the translate step checks each span
(``missing_spans``: numbers by value, dates in any accepted English form, the rest
exactly), repairs a garbled value when that is unambiguous (``repair``), and only when
that fails translates the sentence piecewise around the spans (``pipeline.translate``).

Glossary terms are not protected here: the glossary step enforces them after translation.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cjk import HAN as HAN_CLASS
from .document import Document, Protected, Segment
from .quantities import CN_SCALES, MONTHS

if TYPE_CHECKING:
    from .glossary import Glossary

_MONTHS = [m.capitalize() for m in MONTHS]

_NUM = r"\d+(?:[.,]\d+)*"
EMOJI = "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]"
RTL = "[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC]"
# Ordered: earlier patterns win where spans overlap at the same start.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(rf"(?:https?://|www\.)[^\s{HAN_CLASS}，。；、）)】>\"“”]+"
                       rf"[^\s{HAN_CLASS}，。；、）)】>\"“”.,;:!?]")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("order-id", re.compile(r"(?<![A-Za-z0-9-])\d{3}-\d{7}-\d{7}(?![A-Za-z0-9-])")),
    ("asin", re.compile(r"(?<![A-Za-z0-9])B0[A-Z0-9]{8}(?![A-Za-z0-9])")),
    ("date", re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
                        r"|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}")),
    ("time", re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")),
    # IDs: letters and digits mixed (SKUs, case numbers, tracking numbers), or long digit runs.
    ("id", re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])"
                      r"[A-Za-z0-9][A-Za-z0-9_-]{1,}[A-Za-z0-9](?![A-Za-z0-9_-])"
                      r"|(?<![\d.])\d{8,}(?![\d.])")),
    ("money", re.compile(rf"(?:US\$|\$|¥|￥|€|£)\s?{_NUM}|{_NUM}\s?[万亿]?\s?(?:美元|美金|元|人民币|欧元|英镑)")),
    ("percent", re.compile(rf"{_NUM}\s?[%％]")),
    ("number", re.compile(rf"(?<![A-Za-z]){_NUM}(?:\s?[万亿])?")),
    # Inline English inside Chinese (brand and store names, product names): a small model
    # drops Latin words it has not seen, and no model should translate a brand.
    ("latin", re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z&'.+-]+(?:[ ][A-Za-z][A-Za-z&'.+-]*)*"
                         r"(?<![.'-])(?![A-Za-z0-9_-])")),
    # Emoji and right-to-left words (Arabic, Hebrew): models without them in their
    # vocabulary drop them; they must come back as they are.
    ("emoji", re.compile(EMOJI + r"(?:[\u200d\ufe0f\U0001F3FB-\U0001F3FF]*" + EMOJI + r")*"
                         r"[\ufe0f\U0001F3FB-\U0001F3FF]*")),
    ("rtl", re.compile(rf"{RTL}+(?:[ ]+{RTL}+)*")),
]
# Kinds compared by numeric value in the English (1.5万 == 15,000 == 15000).
VALUE_KINDS = frozenset({"number", "percent", "money"})


def render_date(text: str) -> str:
    """2026年10月15日 -> October 15, 2026; 10月15日 -> October 15; 2026-10-15 kept."""
    m = re.fullmatch(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?", text)
    if not m:
        return text
    year, month, day = m.group(1), int(m.group(2)), m.group(3)
    if not 1 <= month <= 12:
        return text
    name = _MONTHS[month - 1]
    if day and year:
        return f"{name} {int(day)}, {year}"
    if day:
        return f"{name} {int(day)}"
    return f"{name} {year}"


def _format_number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def render_number(text: str) -> str:
    """1.5万 -> 15,000; 3亿 -> 300,000,000; other numbers unchanged."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s?([万亿])", text)
    if not m:
        return text
    value = float(m.group(1)) * CN_SCALES[m.group(2)]
    return _format_number(value)


def render_money(text: str) -> str:
    m = re.fullmatch(rf"({_NUM}\s?[万亿]?)\s?(美元|美金|元|人民币|欧元|英镑)", text)
    if not m:
        return text.replace("￥", "¥")
    amount, unit = render_number(m.group(1)), m.group(2)
    prefix = {"美元": "$", "美金": "$", "欧元": "€", "英镑": "£"}.get(unit)
    return f"{prefix}{amount}" if prefix else f"CNY {amount}"


def render(kind: str, text: str) -> str:
    text = unicodedata.normalize("NFKC", text) if kind != "term" else text
    if kind == "date":
        return render_date(text)
    if kind == "number":
        return render_number(text)
    if kind == "money":
        return render_money(text)
    if kind == "percent":
        return text.replace(" %", "%")
    return text




@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str
    render: str


def find_spans(text: str) -> list[Span]:
    """Non-overlapping protected spans; leftmost, then longest, then earlier pattern wins."""
    candidates: list[tuple[int, int, int, Span]] = []
    for order, (kind, pattern) in enumerate(PATTERNS):
        for m in pattern.finditer(text):
            if m.end() > m.start():
                span = Span(m.start(), m.end(), kind, m.group(), render(kind, m.group()))
                candidates.append((m.start(), -(m.end() - m.start()), order, span))
    candidates.sort(key=lambda c: c[:3])
    chosen: list[Span] = []
    last_end = 0
    for _, _, _, span in candidates:
        if span.start >= last_end:
            chosen.append(span)
            last_end = span.end
    return chosen


def protect_spans(text: str) -> list[Protected]:
    return [Protected(s.kind, s.text, s.render, s.start, s.end) for s in find_spans(text)]


# ---- checking the English -------------------------------------------------------------

_EN_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![A-Za-z0-9_])"
                           r"(?:\s?(?P<pct>%|percent\b))?")
_SHORT_MONTHS = [m[:3] for m in _MONTHS]


def number_value(text: str) -> float | None:
    """The value of a source number/percent/money span (1.5万 -> 15000; ¥1,200 -> 1200)."""
    text = unicodedata.normalize("NFKC", text)
    m = re.search(r"(\d+(?:[.,]\d+)*)\s?([万亿])?", text)
    if not m:
        return None
    digits = m.group(1)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    elif "," in digits:
        return None
    try:
        value = float(digits)
    except ValueError:
        return None
    if m.group(2):
        value *= CN_SCALES[m.group(2)]
    return round(value, 6)


_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_NUMBER_WORD_RE = re.compile(rf"\b(?:{'|'.join(_NUMBER_WORDS)})\b", re.IGNORECASE)


def english_numbers(text: str) -> list[tuple[float, bool, int, int]]:
    """Numbers in English text: (value, is_percent, start, end); "five" counts as 5."""
    out = [(float(_NUMBER_WORDS[m.group().lower()]), False, m.start(), m.end())
           for m in _NUMBER_WORD_RE.finditer(text)]
    for m in _EN_NUMBER_RE.finditer(text):
        raw = m.group().split("%")[0].replace("percent", "").strip().replace(",", "")
        try:
            out.append((round(float(raw), 6), bool(m.group("pct")), m.start(), m.end()))
        except ValueError:
            continue
    return out


def _date_parts(text: str) -> tuple[int | None, int, int | None] | None:
    text = unicodedata.normalize("NFKC", text)
    m = re.fullmatch(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?", text) \
        or re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
    if not m:
        return None
    year, month, day = m.group(1), int(m.group(2)), m.group(3)
    if not 1 <= month <= 12:
        return None
    return (int(year) if year else None, month, int(day) if day else None)


def date_forms(text: str) -> re.Pattern[str] | None:
    """A pattern for every accepted English rendering of a source date."""
    parts = _date_parts(text)
    if parts is None:
        return None
    year, month, day = parts
    mon = rf"(?:{_MONTHS[month - 1]}|{_SHORT_MONTHS[month - 1]}\.?)"
    d = rf"0?{day}(?:st|nd|rd|th)?" if day else ""
    forms = []
    if day and year:
        forms += [rf"{mon}\s+{d},?\s+{year}", rf"{d}\s+{mon},?\s+{year}",
                  rf"{year}-0?{month}-0?{day}", rf"{year}/0?{month}/0?{day}",
                  rf"0?{month}/0?{day}/{year}"]
    elif day:
        forms += [rf"{mon}\s+{d}", rf"{d}\s+{mon}"]
    else:
        forms += [rf"{mon},?\s+{year}", rf"{year}-0?{month}(?!-?\d)"]
    return re.compile(rf"(?<![\w/-])(?:{'|'.join(forms)})(?![\w/-]|-\d)")


_DATE_EN_RE = re.compile(
    rf"(?<![\w])(?:{'|'.join(_MONTHS + _SHORT_MONTHS)})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|(?<![\w])(?:{'|'.join(_MONTHS)})\s+\d{{4}}")


def _exact_re(p: Protected) -> re.Pattern[str]:
    text = unicodedata.normalize("NFKC", p.render) if p.kind not in ("emoji", "rtl") else p.render
    flags = re.IGNORECASE if p.kind == "latin" and text.islower() else 0
    if p.kind in ("emoji", "rtl"):
        return re.compile(re.escape(text))
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])", flags)


def _match_non_values(english: str, protected: list[Protected]
                      ) -> tuple[str, list[Protected]]:
    """Find each non-value span (date, ID, URL, name...) in ``english``; return the text
    with what matched blanked out (same length, so its digits are not counted as
    numbers) and the spans not found."""
    missing: list[Protected] = []
    blanked = english
    for p in protected:
        if p.kind in VALUE_KINDS:
            continue
        if p.kind == "date":
            pattern = date_forms(p.source)
            m = pattern.search(blanked) if pattern else _exact_re(p).search(blanked)
        else:
            m = _exact_re(p).search(blanked)
        if m is None:
            missing.append(p)
        else:
            blanked = blanked[:m.start()] + " " * (m.end() - m.start()) + blanked[m.end():]
    return blanked, missing


def missing_spans(english: str, protected: list[Protected]) -> list[Protected]:
    """The protected spans that did not come back in ``english``.

    Numbers, percentages and money are compared by value (each English number counts
    once), dates in any accepted English form, everything else exactly.
    """
    english_n = unicodedata.normalize("NFKC", english)
    blanked, missing = _match_non_values(english_n, protected)
    value_spans = [p for p in protected if p.kind in VALUE_KINDS]
    # (value, is_percent): "60%" in the English does not stand for a source "60 days".
    available = Counter((v, pct) for v, pct, _, _ in english_numbers(blanked))
    for p in value_spans:
        value = number_value(p.source)
        if value is None:
            if not _exact_re(p).search(english_n):
                missing.append(p)
            continue
        key = (value, p.kind == "percent")
        if available[key] > 0:
            available[key] -= 1
        else:
            missing.append(p)
    return missing


# Candidates in the English for a garbled copy of a span of each kind.
_REPAIR_RES: dict[str, re.Pattern[str]] = {
    "order-id": re.compile(r"(?<![\w-])\d{2,4}-\d{5,9}-\d{5,9}(?![\w-])"),
    "asin": re.compile(r"(?<![A-Za-z0-9])B0[A-Z0-9]{6,10}(?![A-Za-z0-9])"),
    "id": re.compile(r"(?<![\w-])(?=[\w-]*\d)[A-Za-z0-9][\w-]{3,}[A-Za-z0-9](?![\w-])"),
    "date": _DATE_EN_RE,
    "percent": re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?%"),
    "money": re.compile(r"(?:US\$|\$|¥|€|£|CNY\s)\s?\d[\d,]*(?:\.\d+)?"),
    "number": re.compile(r"(?<![\w.,-])\d[\d,]*(?:\.\d+)?(?![\w%-]|\.\d|,\d)"),
}


def repair(english: str, protected: list[Protected], missing: list[Protected]
           ) -> tuple[str, list[Protected]]:
    """Replace a garbled copy of a missing span by the span's rendering, when unambiguous.

    For each kind with exactly ONE missing span, look for text of the same kind in the
    English that matches no span of the source (e.g. "61%" where the source has 16%, an
    order ID with a digit dropped); if there is exactly one, it is replaced. Returns the
    English and the spans still missing.
    """
    by_kind: dict[str, list[Protected]] = {}
    for p in missing:
        by_kind.setdefault(p.kind, []).append(p)
    source_text = unicodedata.normalize("NFKC", " ".join(p.source for p in protected))
    renders = {unicodedata.normalize("NFKC", p.render) for p in protected}
    source_values = {number_value(p.source) for p in protected if p.kind in VALUE_KINDS}
    still: list[Protected] = []
    for kind, spans in by_kind.items():
        if kind == "latin" and len(spans) == 1:
            # A name that came back in another case ("A-to-Z"): put the source's back.
            found = list(re.finditer(rf"(?<![A-Za-z0-9]){re.escape(spans[0].render)}"
                                     rf"(?![A-Za-z0-9])", english, re.IGNORECASE))
            if len(found) == 1:
                m = found[0]
                english = english[:m.start()] + spans[0].render + english[m.end():]
                continue
        pattern = _REPAIR_RES.get(kind)
        if pattern is None or len(spans) != 1:
            still += spans
            continue
        # Numbers inside dates, IDs and names that did come back are not candidates.
        searched = _match_non_values(english, protected)[0] if kind in VALUE_KINDS \
            else english
        extras = []
        for m in pattern.finditer(searched):
            text = m.group()
            if text in renders or (kind not in VALUE_KINDS and text in source_text):
                continue
            if kind in VALUE_KINDS and number_value(text) in source_values:
                continue
            if kind == "date" and any(
                    (pat := date_forms(p.source)) is not None and pat.fullmatch(text)
                    for p in protected if p.kind == "date"):
                continue
            extras.append(m)
        if len(extras) != 1:
            still += spans
            continue
        m = extras[0]
        english = english[:m.start()] + spans[0].render + english[m.end():]
    return english, still


_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
# A list marker at the start of a segment: （1） (1) 1、 1. 1) 一、 二. — never "1.5".
LIST_MARKER_RE = re.compile(
    r"\s*(?:[（(]\s*(?P<p>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）]"
    r"|(?P<d>\d{1,2})\s*(?:[、)）]|[.．](?!\d))"
    r"|(?P<c>[一二三四五六七八九十]{1,3})\s*[、.．])\s*")


def chinese_numeral(text: str) -> int:
    """一..九十九 as an int (enough for list markers)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text, 0)


def render_marker(m: re.Match[str]) -> str:
    if m.group("p"):
        return f"({chinese_numeral(m.group('p'))}) "
    return f"{chinese_numeral(m.group('d') or m.group('c'))}. "


class ProtectStep:
    """Detect glossary terms (``seg.terms``) and the spans the English must keep
    (``seg.protected``); the engine input is the source without its list marker."""

    name = "protect"

    def __init__(self, glossary: Glossary | None = None, protect_numbers: bool = True) -> None:
        self.glossary = glossary
        self.protect_numbers = protect_numbers

    def protect_segment(self, seg: Segment) -> None:
        if self.glossary is not None:
            seg.terms = self.glossary.detect(seg.zh)
        body = seg.zh  # the Simplified text of a Traditional draft (chinese_script)
        marker = LIST_MARKER_RE.match(body)
        if marker and marker.end() < len(body):
            # "一、根本原因" -> engine sees "根本原因"; the English gets "1. " back in front.
            seg.list_marker = render_marker(marker)
            body = body[marker.end():]
        seg.engine_input = body
        seg.protected = protect_spans(body) if self.protect_numbers else []

    def __call__(self, doc: Document) -> Document:
        for seg in doc.segments:
            if seg.translatable and seg.target is None:
                self.protect_segment(seg)
        return doc
