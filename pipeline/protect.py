"""Protect what the engine must not touch: glossary terms, numbers, IDs, dates, URLs.

A model garbles numbers and IDs it has not seen ("16%" became "61%"; new order IDs came
out wrong 4 times in 4). So before translation every such span is replaced by a
placeholder token ``⟦n⟧`` and put back afterwards, rendered in English (a date
2026年10月15日 becomes "October 15, 2026"; a glossary term becomes its canonical English).

The translate step checks that every placeholder came back exactly once; when one is
dropped or mangled it falls back to translating the text *between* the protected spans
(see ``pipeline.translate``), so no text is ever lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import Document, Protected, Segment
from .segment import HAN as HAN_CLASS

if TYPE_CHECKING:
    from .glossary import Glossary

TOKEN_OPEN, TOKEN_CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧
MAX_PLACEHOLDERS = 32  # the demo model's SentencePiece has ⟦0⟧..⟦31⟧ as single symbols


def token(n: int) -> str:
    return f"{TOKEN_OPEN}{n}{TOKEN_CLOSE}"


# Tolerant of what an engine does to a token: spaces inside, doubled brackets.
TOKEN_RE = re.compile(rf"{TOKEN_OPEN}+\s*(\d+)\s*{TOKEN_CLOSE}+")
STRAY_RE = re.compile(rf"[{TOKEN_OPEN}{TOKEN_CLOSE}]")

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]

_NUM = r"\d+(?:[.,]\d+)*"
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
]


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
    value = float(m.group(1)) * (10_000 if m.group(2) == "万" else 100_000_000)
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


def find_spans(text: str, glossary: Glossary | None = None) -> list[Span]:
    """Non-overlapping protected spans: terms and patterns; leftmost, then longest wins."""
    candidates: list[Span] = []
    if glossary is not None:
        # Low-priority (ambiguous) terms are detected for review but not forced on the engine.
        for hit in glossary.detect(text, include_low=False):
            rendered = hit.acronym if hit.acronym and hit.source.upper() == hit.acronym.upper() \
                else hit.canonical
            candidates.append(Span(hit.start, hit.end, "term", hit.source, rendered))
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if m.end() > m.start():
                candidates.append(Span(m.start(), m.end(), kind, m.group(), render(kind, m.group())))
    candidates.sort(key=lambda s: (s.start, -(s.end - s.start)))
    chosen: list[Span] = []
    last_end = 0
    for span in candidates:
        if span.start >= last_end:
            chosen.append(span)
            last_end = span.end
    return chosen


def mask(text: str, spans: Iterable[Span]) -> tuple[str, list[Protected]]:
    """Replace spans with ``⟦n⟧`` tokens (numbered in order); return the masked text."""
    out: list[str] = []
    protected: list[Protected] = []
    pos = 0
    for n, span in enumerate(spans):
        tok = token(n)
        out.append(text[pos:span.start])
        out.append(tok)
        protected.append(Protected(tok, span.kind, span.text, span.render))
        pos = span.end
    out.append(text[pos:])
    return "".join(out), protected


@dataclass
class Restored:
    text: str
    missing: list[Protected]  # tokens the engine dropped or mangled beyond recognition
    duplicated: list[Protected]
    unknown: list[str]  # tokens in the output that were never in the input


def restore(output: str, protected: list[Protected]) -> Restored:
    """Put the protected renders back in place of their tokens in the engine output."""
    by_number = {int(TOKEN_RE.match(p.token).group(1)): p for p in protected}  # type: ignore[union-attr]
    seen: dict[int, int] = {}
    unknown: list[str] = []

    def put_back(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in by_number:
            unknown.append(m.group())
            return ""
        seen[n] = seen.get(n, 0) + 1
        return by_number[n].render

    text = TOKEN_RE.sub(put_back, output)
    text = STRAY_RE.sub("", text)
    text = _tidy_spaces(text)
    missing = [p for n, p in by_number.items() if n not in seen]
    duplicated = [p for n, p in by_number.items() if seen.get(n, 0) > 1]
    return Restored(text, missing, duplicated, unknown)


def _tidy_spaces(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([,.;:!?%)])", r"\1", text)
    return text.strip()


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


def unmask_terms(engine_input: str, protected: list[Protected]) -> tuple[str, list[Protected]]:
    """Put glossary terms back as source text, keep (renumbered) placeholders for the rest.

    The second try when an engine drops placeholders: fewer tokens, more real words.
    """
    by_token = {p.token: p for p in protected}
    kept: list[Protected] = []

    def swap(m: re.Match[str]) -> str:
        p = by_token.get(m.group())
        if p is None:
            return m.group()
        if p.kind == "term":
            return p.source
        new = Protected(token(len(kept)), p.kind, p.source, p.render)
        kept.append(new)
        return new.token

    return TOKEN_RE.sub(swap, engine_input), kept


class ProtectStep:
    """Detect glossary terms (``seg.terms``) and mask terms and numbers for the engine."""

    name = "protect"

    def __init__(self, glossary: Glossary | None = None, protect_terms: bool = True,
                 protect_numbers: bool = True) -> None:
        self.glossary = glossary
        self.protect_terms = protect_terms
        self.protect_numbers = protect_numbers

    def protect_segment(self, seg: Segment) -> None:
        if self.glossary is not None:
            seg.terms = self.glossary.detect(seg.zh)
        body = seg.zh  # the Simplified text of a Traditional draft (chinese_script)
        marker = LIST_MARKER_RE.match(body)
        if marker and marker.end() < len(body):
            # "一、根本原因" -> engine sees "根本原因"; the English gets "1. " back in front.
            seg.meta["marker"] = render_marker(marker)
            body = body[marker.end():]
        spans = find_spans(body, self.glossary if self.protect_terms else None)
        if not self.protect_numbers:
            spans = [s for s in spans if s.kind == "term"]
        spans = spans[:MAX_PLACEHOLDERS]
        seg.engine_input, seg.protected = mask(body, spans)

    def __call__(self, doc: Document) -> Document:
        for seg in doc.segments:
            if seg.translatable and seg.target is None:
                self.protect_segment(seg)
        return doc


def mask_pair(zh: str, en: str, glossary: Glossary | None = None) -> tuple[str, str] | None:
    """Mask a parallel training pair the way the pipeline masks input at run time.

    Each protected span of ``zh`` must be found in ``en`` (its render, or for a term its
    canonical form, "canonical (ACRONYM)" or the acronym, case-insensitively); the same
    token then replaces it on both sides. Returns None when a span has no counterpart.
    Used to train the demo model to copy placeholders.
    """
    spans = find_spans(zh, glossary)[:MAX_PLACEHOLDERS]
    if not spans:
        return None
    masked_zh, protected = mask(zh, spans)
    masked_en = en
    for p in protected:
        forms = [p.render]
        if p.kind == "term" and glossary is not None:
            term = next((t for t in glossary.terms if t.canonical == p.render or
                         (t.acronym and t.acronym == p.render)), None)
            if term is not None:
                if term.acronym:
                    forms = [f"{term.canonical} ({term.acronym})", term.canonical, term.acronym]
                else:
                    forms = [term.canonical]
        for form in forms:
            flags = re.IGNORECASE if p.kind == "term" else 0
            m = re.search(rf"(?<![\w⟦]){re.escape(form)}(?![\w⟧])", masked_en, flags) \
                or (re.search(rf"(?<![\w⟦]){re.escape(form)}(?=s\b)", masked_en, flags)
                    if p.kind == "term" else None)
            if m:
                masked_en = masked_en[:m.start()] + p.token + masked_en[m.end():]
                break
        else:
            return None
    return masked_zh, masked_en
