"""``analyze(text)``: the IDs, dates, times and quantities of one text (cached)."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from functools import lru_cache

from ..protect import PATTERNS as _PROTECT_LIST
from ..quantities import (
    _BLANK,
    Analysis,
    IdRef,
    _blank,
    _extract_dates,
    _extract_quantities,
    _extract_times,
)

PROTECT_PATTERNS = dict(_PROTECT_LIST)

# ---- IDs ------------------------------------------------------------------------------

_A = "A-Za-z0-9"
# The same patterns the protect step masks, so QA checks exactly what was protected.
_ID_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("URL", PROTECT_PATTERNS["url"]),
    ("email", PROTECT_PATTERNS["email"]),
    ("order ID", PROTECT_PATTERNS["order-id"]),
    ("ASIN", PROTECT_PATTERNS["asin"]),
    ("tracking number", re.compile(rf"(?<![{_A}])1Z[0-9A-Z]{{16}}(?![{_A}])")),
]
_TOKEN_RE = re.compile(rf"(?<![{_A}_\-/.])[{_A}](?:[{_A}]|[-_/.](?=[{_A}]))*")
# Number + unit or word: "24-hour", "10am", "2nd", "5kg", "3-5days" are not IDs.
_NOT_ID_RE = re.compile(
    r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?-?(?:[a-z]+|(?i:am|pm|h|hrs?|st|nd|rd|th|k|kg|g|cm|mm|"
    r"m|km|ml|l|pcs|x|s|d|w|gb|mb|tb|mah|v|hz))")
_DATE_TOKEN_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _classify_token(tok: str) -> str | None:
    """The kind of ID a token is, or None (a word, a number, a date...)."""
    has_digit = any(c.isdigit() for c in tok)
    has_alpha = any(c.isalpha() for c in tok)
    if has_digit and has_alpha:
        if len(tok) >= 5 and not _NOT_ID_RE.fullmatch(tok):
            return "code"
        return None
    if has_digit and not _DATE_TOKEN_RE.fullmatch(tok):
        digits = sum(c.isdigit() for c in tok)
        if re.fullmatch(r"\d+\.\d+", tok):
            return None  # a decimal number
        if digits >= 8:
            return "number ID"  # case IDs, tracking numbers, long references
    return None


def _extract_ids(text: str, out: Analysis) -> str:
    for kind, pattern in _ID_PATTERNS:
        for m in pattern.finditer(text):
            out.ids.append(IdRef(kind, m.group()))
            text = _blank(text, m.start(), m.end())
    for m in _TOKEN_RE.finditer(text):
        kind = _classify_token(m.group())
        if kind:
            out.ids.append(IdRef(kind, m.group()))
            text = _blank(text, m.start(), m.end())
    return text



PLACEHOLDER_RE = re.compile("\u27e6+\\s*\\d*\\s*\u27e7+|[\u27e6\u27e7]")


# Seller jargon with a numeral in it is not a quantity: 五点描述 is the listing's bullet
# points, 一件代发 dropshipping, 三包 a warranty, 一对一 one-to-one. Blanked before parsing.
FIXED_EXPRESSIONS = (
    "五点描述", "五点卖点", "五点文案", "五点内容", "一件代发", "三包", "一对一", "一站式",
    "一条龙", "一键", "一线", "一手", "二手", "一口价", "三无", "一次性", "第一时间", "百分百", "三番五次", "千方百计", "一五一十",
    "十全十美", "四面八方", "三天两头", "两手准备", "一揽子", "一刀切", "双十一", "双十二", "一体化",
    "一系列", "一部分", "一方面", "另一方面", "万无一失", "一丝不苟", "一如既往", "一视同仁",
)
_FIXED_RE = re.compile("|".join(sorted(FIXED_EXPRESSIONS, key=len, reverse=True)))


@lru_cache(maxsize=4096)
def analyze(text: str) -> Analysis:
    """IDs, dates, times and quantities stated in ``text`` (Chinese or English)."""
    out = Analysis()
    text = PLACEHOLDER_RE.sub(lambda m: _BLANK * len(m.group()), text)
    text = _FIXED_RE.sub(lambda m: _BLANK * len(m.group()), text)
    text = unicodedata.normalize("NFKC", text)
    text = _extract_ids(text, out)
    text = _extract_dates(text, out)
    text = _extract_times(text, out)
    _extract_quantities(text, out)
    return out


def _fmt(v: Fraction) -> str:
    if v.denominator == 1:
        return f"{v.numerator:,}" if abs(v.numerator) >= 10_000 else str(v.numerator)
    return f"{float(v):g}"


def _contains_id(text: str, ident: str) -> bool:
    return re.search(rf"(?<![{_A}]){re.escape(ident)}(?![{_A}])", text) is not None


