"""QA checks on each segment's English, plus the document-level Plan-of-Action check.

Each check is a small named function with a severity (like translate-toolkit's checks):
``func(source, target, ctx) -> list[str]`` returns one message per problem, an empty list
when the pair passes. ``CHECKS`` is the registry; ``QAStep`` runs them over a Document and
turns every message into a ``Note(code=check.name, step="qa")``.

Numbers are compared as *values*, with Chinese forms understood: 2026年10月15日 equals
"October 15, 2026", "2026-10-15" and "15 October 2026"; 1.5万 equals 15,000; 两个 equals
"two"/"2"; 3倍 equals "3 times"/"threefold"; 85%以上 equals "over 85%". Only numbers the
reader would miss are *required* in the English (digits, and Chinese numerals of 2 or more
with a measure word: 一个 is usually just "a"); English number words only count as
matches, never as extras, because "one" is often a pronoun. A missing number in digits is
an error (number-mismatch); one only in Chinese numerals is a warning (numeral-mismatch).
Seller jargon with a numeral in it (五点描述, 一件代发, 三包, 一对一: ``FIXED_EXPRESSIONS``)
is not a quantity at all.

Term checks use :meth:`pipeline.glossary.Glossary.term_problems`, the same logic as the
glossary step (word forms, ``allowed`` alternatives). The grammar check (Harper, report
only) runs on reviewed English; machine English has been through the grammar step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .errors import InputError
from .model import Document, Note, Severity, TermHit
from .protect import PATTERNS as _PROTECT_LIST

PROTECT_PATTERNS = dict(_PROTECT_LIST)

# --------------------------------------------------------------------------------------
# Character classes

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
HAN_RE = re.compile(f"[{HAN}]")
# Full-width forms (！..～), full-width currency signs, ideographic space and CJK
# punctuation (、。〈〉《》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟). “” ‘’ are fine in English.
FULLWIDTH_RE = re.compile("[\uff01-\uff5e\uffe0-\uffe6\u3000-\u3003\u3008-\u301f]")

# Length of English per Chinese character (ASCII copied from the source subtracted;
# greetings such as 您好 left out), measured on real pairs with 8+ Chinese characters:
# demo_model/corpus.tsv and the good appeals of tests/qa_eval, 438 pairs (`python
# bench/qa_eval.py --ratios`). By source length: 8-15 characters min 2.00, median 3.69;
# 16-31 min 2.00, median 3.71; 32+ min 2.91, median 3.67; max 6.18. By clauses (split at
# ，；：): one clause min 2.00; two or more clauses min 2.62, 5th percentile 2.91. So a
# single-clause English below RATIO_BOUNDS[0] is a warning (length-ratio), and a
# multi-clause source whose English is below REAL_MIN, or below CLAUSE_FLOOR with fewer
# clauses, is an error (dropped-clause).
RATIO_BOUNDS = (1.6, 8.0)
RATIO_MIN_HAN = 8  # shorter sources vary too much to judge
CLAUSE_FLOOR = 2.3
REAL_MIN = 2.0  # no real pair of 8+ Chinese characters is shorter
MULTI_CLAUSE_MIN = 2.6  # no real pair with a source of 2+ clauses is shorter (2.62)
RATIO_MEDIAN = 3.7
_ZH_QUOTE_RE = re.compile(f"[“「『\"][^”」』\"]*[{HAN}][^”」』\"]*[”」』\"]")
_EN_QUOTE_RE = re.compile("[“”\"‘’«»]|(?<![A-Za-z])'|'(?![A-Za-z])")


# --------------------------------------------------------------------------------------
# The registry


@dataclass
class QAContext:
    """What a check may need besides the two texts. Every field is optional."""

    glossary: Any = None  # a pipeline.glossary.Glossary (detect / wrong_renderings_in)
    terms: list[TermHit] | None = None  # terms already detected in the source (protect step)
    ratio_bounds: tuple[float, float] = RATIO_BOUNDS
    # Report-only grammar checker for reviewed English (a GrammarReport), or None.
    grammar: Callable[[str], list[str]] | None = None


CheckFunc = Callable[[str, str, QAContext], list[str]]


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    func: CheckFunc
    description: str = ""
    # False: the check also runs on passthrough (non-Chinese) segments, whose "English"
    # is the source itself. Comparisons between source and English make no sense there.
    compares: bool = True


CHECKS: list[Check] = []


def check(name: str, severity: Severity, description: str,
          compares: bool = True) -> Callable[[CheckFunc], CheckFunc]:
    """Register ``func`` as a check (decorator)."""

    def register(func: CheckFunc) -> CheckFunc:
        CHECKS.append(Check(name, severity, func, description, compares))
        return func

    return register


def check_names() -> list[str]:
    return [c.name for c in CHECKS]


def get_checks(names: Iterable[str] | None = None) -> list[Check]:
    """The checks named (all when None), in registry order; unknown names are an error."""
    if names is None:
        return list(CHECKS)
    wanted = list(names)
    known = {c.name for c in CHECKS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown QA check {unknown[0]!r} (known: {', '.join(check_names())})")
    return [c for c in CHECKS if c.name in wanted]


# --------------------------------------------------------------------------------------
# Extraction of IDs, dates, times and quantities (both languages, one parser)

_BLANK = "\ue000"  # private-use char: not a letter or digit, so lookarounds see a boundary


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + _BLANK * (end - start) + text[end:]


@dataclass(frozen=True)
class IdRef:
    kind: str
    text: str


@dataclass(frozen=True)
class DateRef:
    text: str
    # Possible (year, month, day) readings; None = not stated. 10/11/2026 has two.
    readings: frozenset[tuple[int | None, int | None, int | None]]


@dataclass(frozen=True)
class TimeRef:
    text: str
    minutes: frozenset[int]  # possible minutes after midnight (3点 without 下午: 3:00 or 15:00)


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    text: str
    strong: bool  # must appear in the English (see the module docstring)
    kind: str = "number"  # number | percent | money
    currencies: frozenset[str] = frozenset()
    unit: str = ""  # hour, day, week, month, year, minute, second, times
    comparator: str = ""  # "gt" (以上, over...) or "lt" (以下, under...)
    ordinal: bool = False


@dataclass
class Analysis:
    ids: list[IdRef] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    times: list[TimeRef] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)

    def values(self) -> set[Fraction]:
        """Every number the text states in any form (for matching, not for requiring)."""
        vals = {q.value for q in self.quantities}
        for d in self.dates:
            for y, m, day in d.readings:
                vals.update(v for v in (y, m, day) if v is not None)
        for t in self.times:
            for minutes in t.minutes:
                h = minutes // 60
                vals.update({Fraction(h), Fraction(h % 12 or 12)})
        return {Fraction(v) for v in vals}


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


# ---- Chinese numerals -----------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUM = "零〇一二两三四五六七八九十百千万亿"


def parse_chinese_int(s: str) -> int | None:
    """三十五 -> 35, 两万 -> 20000, 一百零五 -> 105, 二〇二六 -> 2026; 七八 (approximate) -> None."""
    s = s.lstrip("百千万亿")
    if not s or any(c not in CN_NUM for c in s):
        return None
    if not any(c in _CN_UNITS or c in _CN_BIG for c in s):
        if len(s) == 1:
            return _CN_DIGITS[s]
        if "〇" in s or "零" in s or len(s) >= 3:  # digit by digit: 二〇二六
            return int("".join(str(_CN_DIGITS[c]) for c in s))
        return None  # 七八个: "seven or eight"
    total = section = number = 0
    prev_digit = False
    for c in s:
        if c in _CN_DIGITS:
            if prev_digit and _CN_DIGITS[c] != 0:
                return None  # 三十五六: approximate
            number = _CN_DIGITS[c]
            prev_digit = _CN_DIGITS[c] != 0
        elif c in _CN_UNITS:
            if number == 0 and c == "十" and section == 0:
                number = 1  # 十五 = 15
            section += number * _CN_UNITS[c]
            number = 0
            prev_digit = False
        else:
            section += number
            total = (total + section) * _CN_BIG[c] if total < _CN_BIG[c] else total + section * _CN_BIG[c]
            section = number = 0
            prev_digit = False
    return total + section + number


# ---- English number words ---------------------------------------------------------------

_EN_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_EN_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
_EN_MULT = {"once": 1, "twice": 2, "thrice": 3, "double": 2, "doubled": 2, "triple": 3,
            "tripled": 3, "quadruple": 4, "quadrupled": 4}
_EN_WORD = "|".join(sorted([*_EN_SMALL, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))
_EN_WORDS_RE = re.compile(
    rf"(?i)\b(?:{_EN_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_EN_WORD}))*(?:-?fold\b|\b)")
_EN_ORD_RE = re.compile(rf"(?i)\b(?:{'|'.join(_EN_ORDINALS)})\b")
_EN_MULT_RE = re.compile(rf"(?i)\b(?:{'|'.join(_EN_MULT)})\b")


def parse_english_words(s: str) -> int | None:
    s = re.sub(r"-?fold$", "", s.lower())
    words = [w for w in re.split(r"[\s-]+", s) if w and w != "and"]
    if not words:
        return None
    total = current = 0
    for w in words:
        if w in _EN_SMALL:
            current += _EN_SMALL[w]
        elif w in _EN_TENS:
            current += _EN_TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _EN_SCALES:
            total += (current or 1) * _EN_SCALES[w]
            current = 0
        else:
            return None
    return total + current


# ---- dates ---------------------------------------------------------------------------------

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_MONTH_FULL = {m: i + 1 for i, m in enumerate(_MONTHS)}
_MON = r"(?:January|February|March|April|May|June|July|August|September|October|November|" \
       r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_CN_N = rf"(\d{{1,4}}|[{CN_NUM}]{{1,5}})"

_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # Chinese: 2026年10月15日, 2026年10月, 10月15日, 十月十五号, 10月份
    ("cn_ymd", re.compile(rf"{_CN_N}\s*年\s*{_CN_N}\s*月\s*{_CN_N}\s*[日号]")),
    ("cn_ym", re.compile(rf"{_CN_N}\s*年\s*{_CN_N}\s*月(?:份)?")),
    ("cn_md", re.compile(rf"(?<![个{CN_NUM}\d]){_CN_N}\s*月\s*{_CN_N}\s*[日号]")),
    ("cn_m", re.compile(rf"(?<![个{CN_NUM}\d])(\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月份?"
                        rf"(?![\d{CN_NUM}])")),
    # Numeric: 2026-10-15, 2026/10/15, 2026.10.15; 10/15/2026 and 15/10/2026 (both readings)
    ("ymd", re.compile(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d|\.\d)")),
    ("xyz", re.compile(r"(?<![\d.])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d|\.\d)")),
    # English: October 15, 2026 / Oct. 15th / 15 October 2026 / 15th of October / October 2026
    ("en_mdy", re.compile(rf"\b({_MON})\s+{_DAY}\b(?:,?\s+(\d{{4}})\b)?")),
    ("en_dmy", re.compile(rf"\b{_DAY}\s+(?:of\s+)?({_MON})(?:,?\s+(\d{{4}})\b)?")),
    ("en_my", re.compile(rf"\b({_MON}),?\s+(\d{{4}})\b")),
    ("en_m", re.compile(r"\b(January|February|March|April|June|July|August|September|October|"
                        r"November|December)\b")),
]


def _num(s: str | None) -> int | None:
    if s is None:
        return None
    s = s.strip()
    if s.isdigit():
        return int(s) if len(s) <= 6 else None
    return parse_chinese_int(s)


def _month(s: str) -> int | None:
    w = s.lower().rstrip(".")
    return _MONTH_FULL.get(w) or _MONTH_ABBR.get(w)


def _valid(y: int | None, m: int | None, d: int | None) -> bool:
    return (m is None or 1 <= m <= 12) and (d is None or 1 <= d <= 31) and \
        (y is None or 1000 <= y <= 9999)


def _date_readings(kind: str, g: tuple[str | None, ...]) -> set[tuple[int | None, ...]]:
    if kind == "cn_ymd":
        cands = {(_num(g[0]), _num(g[1]), _num(g[2]))}
    elif kind == "cn_ym":
        cands = {(_num(g[0]), _num(g[1]), None)}
    elif kind == "cn_md":
        cands = {(None, _num(g[0]), _num(g[1]))}
    elif kind == "cn_m":
        cands = {(None, _num(g[0]), None)}
    elif kind == "ymd":
        cands = {(int(g[0]), int(g[1]), int(g[2]))}
    elif kind == "xyz":  # US month/day or day/month: accept either reading
        a, b, y = int(g[0]), int(g[1]), int(g[2])
        cands = {(y, a, b), (y, b, a)}
    elif kind == "en_mdy":
        cands = {(_num(g[2]), _month(g[0] or ""), int(g[1] or 0))}
    elif kind == "en_dmy":
        cands = {(_num(g[2]), _month(g[1] or ""), int(g[0] or 0))}
    elif kind == "en_my":
        cands = {(int(g[1] or 0), _month(g[0] or ""), None)}
    else:  # en_m
        cands = {(None, _month(g[0] or ""), None)}
    return {c for c in cands if c[1] is not None and _valid(*c)}  # type: ignore[arg-type]


def _extract_dates(text: str, out: Analysis) -> str:
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            readings = _date_readings(kind, m.groups())
            if readings:
                out.dates.append(DateRef(m.group(), frozenset(readings)))  # type: ignore[arg-type]
                text = _blank(text, m.start(), m.end())
    return text


# ---- times of day ------------------------------------------------------------------------

_CN_PERIOD = {"凌晨": 0, "早上": 0, "早晨": 0, "上午": 0, "中午": 12, "下午": 12, "傍晚": 12,
              "晚上": 12, "夜里": 12, "夜间": 12}
_TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("cn", re.compile(rf"({'|'.join(_CN_PERIOD)})\s*(\d{{1,2}}|[{CN_NUM}]{{1,3}})\s*[点時时]"
                      rf"(?:\s*(\d{{1,2}}|[{CN_NUM}]{{1,3}})\s*分|(半))?")),
    ("cn_bare", re.compile(rf"(?<![\d{CN_NUM}])(\d{{1,2}}|[{CN_NUM}]{{1,3}})\s*点"
                           rf"\s*(?:(\d{{1,2}}|[{CN_NUM}]{{1,3}})\s*分|(半)|(整))")),
    ("en_ampm", re.compile(r"(?i)(?<![\d:.])(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])")),
    ("clock", re.compile(r"(?<![\d:.])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])")),
    ("oclock", re.compile(r"(?i)(?<![\d:.])(\d{1,2})\s*o'?clock")),
    ("words", re.compile(r"(?i)\b(noon|midday|midnight)\b")),
]


def _both_halves(h: int, minute: int) -> set[int]:
    """A clock time with no am/pm: 3:00 may be 03:00 or 15:00."""
    if h >= 12:
        return {(h % 24) * 60 + minute}
    return {h * 60 + minute, (h + 12) * 60 + minute}


def _time_minutes(kind: str, g: tuple[str | None, ...]) -> set[int]:
    if kind == "cn":
        h = _num(g[1])
        minute = 30 if g[3] else (_num(g[2]) or 0)
        if h is None or h > 24 or minute > 59:
            return set()
        offset = _CN_PERIOD[g[0] or ""]
        if offset and h < 12:
            h += offset
        if g[0] == "凌晨" and h == 12:
            h = 0
        return {(h % 24) * 60 + minute}
    if kind == "cn_bare":
        h = _num(g[0])
        minute = 30 if g[2] else (_num(g[1]) or 0)
        if h is None or h > 24 or minute > 59:
            return set()
        return _both_halves(h, minute)
    if kind == "en_ampm":
        h, minute = int(g[0] or 0), int(g[1] or 0)
        if not 1 <= h <= 12 or minute > 59:
            return set()
        pm = (g[2] or "").lower().startswith("p")
        return {((h % 12) + (12 if pm else 0)) * 60 + minute}
    if kind == "clock":
        h, minute = int(g[0] or 0), int(g[1] or 0)
        if h > 24 or minute > 59:
            return set()
        return _both_halves(h, minute)
    if kind == "oclock":
        h = int(g[0] or 0)
        return _both_halves(h, 0) if h <= 24 else set()
    word = (g[0] or "").lower()
    return {0} if word == "midnight" else {12 * 60}


def _extract_times(text: str, out: Analysis) -> str:
    for kind, pattern in _TIME_PATTERNS:
        for m in pattern.finditer(text):
            minutes = _time_minutes(kind, m.groups())
            if minutes:
                out.times.append(TimeRef(m.group(), frozenset(minutes)))
                text = _blank(text, m.start(), m.end())
    return text


# ---- quantities: numbers, percentages, money, durations, comparators ---------------------

# Currency marks -> the ISO codes they may stand for ($ is also CAD/AUD; ¥ is also JPY).
_CURRENCY = {
    "$": {"USD", "CAD", "AUD"}, "US$": {"USD"}, "USD": {"USD"}, "dollar": {"USD", "CAD", "AUD"},
    "dollars": {"USD", "CAD", "AUD"}, "美元": {"USD"}, "美金": {"USD"},
    "¥": {"CNY", "JPY"}, "RMB": {"CNY"}, "CNY": {"CNY"}, "yuan": {"CNY"}, "renminbi": {"CNY"},
    "元": {"CNY"}, "块": {"CNY"}, "人民币": {"CNY"}, "元人民币": {"CNY"},
    "€": {"EUR"}, "EUR": {"EUR"}, "euro": {"EUR"}, "euros": {"EUR"}, "欧元": {"EUR"},
    "£": {"GBP"}, "GBP": {"GBP"}, "pound": {"GBP"}, "pounds": {"GBP"}, "英镑": {"GBP"},
    "JPY": {"JPY"}, "yen": {"JPY"}, "日元": {"JPY"},
    "C$": {"CAD"}, "CAD": {"CAD"}, "加元": {"CAD"}, "A$": {"AUD"}, "AUD": {"AUD"}, "澳元": {"AUD"},
}
_CUR_PREFIX = r"US\$|C\$|A\$|\$|¥|€|£|(?:USD|RMB|CNY|EUR|GBP|JPY|CAD|AUD)\s?|人民币\s?"
_CUR_SUFFIX = (r"元人民币|美元|美金|欧元|英镑|日元|加元|澳元|元|块|"
               r"(?:USD|RMB|CNY|EUR|GBP|JPY|CAD|AUD|yuan|renminbi|dollars?|euros?|pounds?|yen)\b")

# A number in digits: 15,000 / 1.5 / 3; then an optional scale word.
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"\s?万|\s?亿|千(?![克米瓦])|\s(?:thousand|million|billion)\b|\s?(?:k|K|bn)\b"
_SCALES = {"万": 10_000, "亿": 100_000_000, "千": 1000, "thousand": 1000, "million": 10**6,
           "billion": 10**9, "k": 1000, "K": 1000, "bn": 10**9}

# Units after a number. Chinese measure words make a Chinese numeral count as a number.
_UNITS_EN = {
    "hour": r"hours?|hrs?|h(?![A-Za-z])", "minute": r"minutes?|mins?", "second": r"seconds?|secs?",
    "day": r"(?:business |working |calendar )?days?", "week": r"weeks?", "month": r"months?",
    "year": r"years?", "times": r"times|fold",
}
_UNITS_ZH = {"hour": "小时|个小时|钟头", "minute": "分钟", "second": "秒钟|秒", "day": "个工作日|工作日|天",
             "week": "个星期|星期|周|个礼拜|礼拜", "month": "个月", "year": "年", "times": "倍"}
_UNIT_RE = "|".join(f"(?P<u_{k}>{v})" for k, v in _UNITS_ZH.items()) + "|" + \
    "|".join(f"(?P<e_{k}>{v})" for k, v in _UNITS_EN.items())
_MEASURE = ("个|次|名|位|人|件|份|条|项|笔|单|张|家|种|款|批|箱|套|岁|层|步|遍|封|本|台|只|双|盒|"
            "包|瓶|公斤|千克|克|米|日|号|点|篇|页|处|类|个订单|个ASIN|个SKU")

_NUMBER_RE = re.compile(
    rf"(?P<cur1>{_CUR_PREFIX})?"
    rf"(?:(?P<dig>{_DIGITS})(?P<scale>{_SCALE})?(?P<ord>st|nd|rd|th)?"
    rf"|(?P<cn>[{CN_NUM}]+))"
    rf"(?P<approx>多|余)?"
    rf"(?:\s?(?P<pct>%|percent\b|per cent\b|pct\b))?"
    rf"(?:\s?(?P<cur2>{_CUR_SUFFIX}))?"
    rf"(?:[\s-]?(?:{_UNIT_RE})(?![A-Za-z]))?"
    rf"(?P<measure>{_MEASURE})?"
)
_PERCENT_CN_RE = re.compile(rf"百分之\s*(?P<v>\d+(?:\.\d+)?|[{CN_NUM}]+)")
_DIGIT_BOUND = re.compile(r"[\dA-Za-z.,]")

_GT_ZH_BEFORE = re.compile(r"(?:超过|超出|高于|大于|多于|不少于|不低于|至少)\s*$")
_LT_ZH_BEFORE = re.compile(r"(?:低于|小于|少于|不超过|不高于|不到|不足|最多|至多)\s*$")
_GT_ZH_AFTER = re.compile(r"^\s*(?:以上|及以上|或以上|之上)")
_LT_ZH_AFTER = re.compile(r"^\s*(?:以下|及以下|或以下|之下)")
_GT_EN_BEFORE = re.compile(
    r"(?i)(?:over|more than|above|at least|exceed(?:s|ed|ing)?|higher than|greater than|upwards of|"
    r"in excess of|no (?:less|fewer) than|not less than|minimum of|beyond)"
    r"(?:\s+[A-Za-z'-]+){0,2}\s*$")  # "above the recommended 97%"
_LT_EN_BEFORE = re.compile(
    r"(?i)(?:under|less than|below|at most|no more than|not more than|not exceed(?:ing)?|fewer than|"
    r"lower than|up to|maximum of|within)(?:\s+[A-Za-z'-]+){0,2}\s*$")
_GT_EN_AFTER = re.compile(r"(?i)^\s*(?:\+|or more|or above|or higher|and above|and up|plus\b|or over)")
_LT_EN_AFTER = re.compile(r"(?i)^\s*(?:or less|or fewer|or below|or lower|and below|or under|at most)")


_GT_SIGN = re.compile(r"(?:>|≥|>=)\s*$")
_LT_SIGN = re.compile(r"(?:<|≤|<=)\s*$")


def _comparator(text: str, start: int, end: int) -> str:
    before, after = text[max(0, start - 40):start], text[end:end + 16]
    if _GT_ZH_BEFORE.search(before) or _GT_ZH_AFTER.match(after) or _GT_SIGN.search(before) or \
            _GT_EN_BEFORE.search(before) or _GT_EN_AFTER.match(after):
        return "gt"
    if _LT_ZH_BEFORE.search(before) or _LT_ZH_AFTER.match(after) or _LT_SIGN.search(before) or \
            _LT_EN_BEFORE.search(before) or _LT_EN_AFTER.match(after):
        return "lt"
    return ""


def _currencies(mark: str | None) -> frozenset[str]:
    if not mark:
        return frozenset()
    mark = mark.strip()
    return frozenset(_CURRENCY.get(mark) or _CURRENCY.get(mark.lower()) or _CURRENCY.get(mark.upper())
                     or ())


def _unit_of(m: re.Match[str]) -> str:
    for k in _UNITS_EN:
        if m.group(f"u_{k}") or m.group(f"e_{k}"):
            return k
    return ""


def _digit_value(dig: str, scale: str | None) -> Fraction | None:
    dig = dig.replace(",", "")
    if len(dig) > 30:
        return None
    value = Fraction(dig)
    if scale:
        value *= _SCALES[scale.strip()]
    return value


def _extract_quantities(text: str, out: Analysis) -> str:
    for m in _PERCENT_CN_RE.finditer(text):
        raw = m.group("v")
        if raw[0].isdigit():
            value = Fraction(raw) if len(raw) <= 30 else None
        else:
            value = 100 if raw == "百" else parse_chinese_int(raw)  # 百分之百 = 100%
        if value is None:
            continue
        out.quantities.append(Quantity(Fraction(value), m.group(), True, "percent",
                                       comparator=_comparator(text, m.start(), m.end())))
        text = _blank(text, m.start(), m.end())
    for m in _NUMBER_RE.finditer(text):
        if not (m.group("dig") or m.group("cn")):
            continue
        start, end = m.start(), m.end()
        # "3" inside a word or a longer token is not a number of its own.
        if m.group("dig") and start > 0 and _DIGIT_BOUND.match(text[start - 1]) and not m.group("cur1"):
            continue
        unit = _unit_of(m)
        cur = _currencies(m.group("cur1")) or _currencies(m.group("cur2"))
        kind = "percent" if m.group("pct") else "money" if cur else "number"
        ordinal = bool(m.group("ord"))
        if m.group("dig"):
            value = _digit_value(m.group("dig"), m.group("scale"))
            strong = True
        else:
            cn = m.group("cn")
            prev = text[start - 1] if start else ""
            if prev in "周期拜" or prev in "数几多若":  # 周一 = Monday; 数十 = dozens
                continue
            n = parse_chinese_int(cn)
            if n is None:
                continue
            value = Fraction(n)
            ordinal = prev == "第"
            counted = bool(unit or m.group("measure") or kind != "number")
            # 一个 is usually "a"; 第二 may become "second" or "Secondly".
            strong = counted and n >= 2 and not ordinal and not m.group("approx")
        if value is None:
            continue
        comparator = "gt" if m.group("approx") else _comparator(text, start, end)
        out.quantities.append(Quantity(value, m.group(), strong, kind, cur, unit, comparator,
                                       ordinal))
        text = _blank(text, start, end)
    # English number words, ordinals and multiplicatives count as matches (never required).
    for m in _EN_WORDS_RE.finditer(text):
        n = parse_english_words(m.group())
        if n is None:
            continue
        after = text[m.end():m.end() + 24]
        um = re.match(rf"[\s-]?(?:{_UNIT_RE})(?![A-Za-z])", after)
        unit = "times" if m.group().lower().endswith("fold") else (_unit_of(um) if um else "")
        pm = re.match(r"\s?(%|percent\b|per cent\b)", after)
        out.quantities.append(Quantity(Fraction(n), m.group(), False,
                                       "percent" if pm else "number", unit=unit,
                                       comparator=_comparator(text, m.start(), m.end())))
    for m in _EN_ORD_RE.finditer(text):
        out.quantities.append(Quantity(Fraction(_EN_ORDINALS[m.group().lower()]), m.group(),
                                       False, ordinal=True))
    for m in _EN_MULT_RE.finditer(text):
        out.quantities.append(Quantity(Fraction(_EN_MULT[m.group().lower()]), m.group(), False,
                                       unit="times"))
    return text


# The protect step's placeholders (⟦0⟧); one left in the English is reported by its own
# check, and its digit must not count as a number.
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


# --------------------------------------------------------------------------------------
# The checks


@check("empty-target", Severity.ERROR, "the English is empty")
def check_empty(source: str, target: str, ctx: QAContext) -> list[str]:
    if source.strip() and not target.strip():
        return ["the English is empty"]
    return []


@check("untranslated", Severity.ERROR, "the English is the Chinese source, unchanged")
def check_untranslated(source: str, target: str, ctx: QAContext) -> list[str]:
    if HAN_RE.search(source) and target.strip() == source.strip():
        return ["not translated: the English is identical to the Chinese source"]
    return []


@check("chinese-left", Severity.ERROR, "Chinese characters left in the English", compares=False)
def check_chinese_left(source: str, target: str, ctx: QAContext) -> list[str]:
    if target.strip() == source.strip() and HAN_RE.search(source):
        return []  # reported once, as "untranslated"
    found = HAN_RE.findall(target)
    if not found:
        return []
    snippet = "".join(dict.fromkeys(found))[:20]
    return [f"Chinese left in the English: {snippet}"]


@check("placeholder-left", Severity.ERROR, "a ⟦n⟧ placeholder left in the English", compares=False)
def check_placeholder(source: str, target: str, ctx: QAContext) -> list[str]:
    found = [m.group() for m in PLACEHOLDER_RE.finditer(target)]
    if not found or PLACEHOLDER_RE.search(source):
        return []
    return [f"placeholder {' '.join(dict.fromkeys(found))} left in the English: a protected "
            "number, ID or term was lost; copy it from the source"]


@check("spm-marker", Severity.ERROR, "a SentencePiece \"\u2581\" marker left in the English",
       compares=False)
def check_spm_marker(source: str, target: str, ctx: QAContext) -> list[str]:
    if "\u2581" in target and "\u2581" not in source:
        return ["a SentencePiece \"\u2581\" marker is left in the English (a tokenizer "
                "problem): replace it with a space"]
    return []


@check("fullwidth-punctuation", Severity.WARNING,
       "full-width (Chinese) punctuation in the English", compares=False)
def check_fullwidth(source: str, target: str, ctx: QAContext) -> list[str]:
    if HAN_RE.search(target):
        return []  # untranslated text: its punctuation is not the problem
    found = FULLWIDTH_RE.findall(target)
    if not found:
        return []
    chars = " ".join(dict.fromkeys(found))
    return [f"full-width punctuation in the English: {chars} (use ASCII , . ; : ( ) etc.)"]


@check("id-mismatch", Severity.ERROR, "an ASIN, order ID, SKU, case or tracking number "
       "is not copied exactly")
def check_ids(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    target_n = unicodedata.normalize("NFKC", target)
    missing = [i for i in dict.fromkeys(src.ids) if not _contains_id(target_n, i.text)]
    if not missing:
        return []
    source_texts = {i.text for i in src.ids}
    extra = [i.text for i in dict.fromkeys(tgt.ids) if i.text not in source_texts]
    messages = []
    for ident in missing:
        msg = f"{ident.kind} {_short(ident.text)} is not in the English"
        near = [e for e in extra if e.lower() == ident.text.lower() or
                _similar(e, ident.text)]
        if near:
            msg += f" (it has {_short(near[0])}: altered?)"
        messages.append(msg)
    return messages


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _similar(a: str, b: str) -> bool:
    """Same length with at most two differing characters: a typo'd or garbled ID."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 2


@check("date-mismatch", Severity.ERROR, "a date differs between Chinese and English")
def check_dates(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    messages = []
    target_readings = [r for d in tgt.dates for r in d.readings]
    for d in src.dates:
        if not any(_date_matches(s, t) for s in d.readings for t in target_readings):
            messages.append(f"date {d.text} not found in the English"
                            + (f" (it has: {', '.join(x.text for x in tgt.dates)})" if tgt.dates else ""))
    return messages


def _date_matches(s: tuple[int | None, ...], t: tuple[int | None, ...]) -> bool:
    return all(sv is None or sv == tv for sv, tv in zip(s, t, strict=True))


@check("time-mismatch", Severity.ERROR, "a time of day differs between Chinese and English")
def check_times(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    target_minutes = {m for t in tgt.times for m in t.minutes}
    return [f"time {t.text} not found in the English" for t in src.times
            if not t.minutes & target_minutes]


def _missing_numbers(source: str, target: str, digits: bool) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    have = tgt.values()
    missing: dict[Fraction, str] = {}
    for q in src.quantities:
        if not q.strong or q.value in have or q.value in missing:
            continue
        if any(c.isdigit() for c in q.text) == digits:
            missing[q.value] = q.text
    if not missing:
        return []
    source_values = src.values()
    extra = [q.text.strip() for q in tgt.quantities if q.strong and q.value not in source_values]
    hint = f" (the English has {', '.join(dict.fromkeys(extra))})" if extra else ""
    return [f"number {_fmt(v)} (from “{text.strip()}”) is not in the English{hint}"
            for v, text in missing.items()]


@check("number-mismatch", Severity.ERROR, "a number in the Chinese (in digits) is missing "
       "from the English")
def check_numbers(source: str, target: str, ctx: QAContext) -> list[str]:
    return _missing_numbers(source, target, digits=True)


@check("numeral-mismatch", Severity.WARNING, "a count in Chinese numerals (三名, 两天) is "
       "missing from the English")
def check_numerals(source: str, target: str, ctx: QAContext) -> list[str]:
    return _missing_numbers(source, target, digits=False)


_LIST_MARKER_RE = re.compile(r"^\s*\(?\d{1,2}[.)]\s")


@check("number-extra", Severity.WARNING, "the English has a number the Chinese does not")
def check_extra_numbers(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    have = src.values()
    marker = _LIST_MARKER_RE.match(unicodedata.normalize("NFKC", target))
    extra: dict[Fraction, str] = {}
    for q in tgt.quantities:
        if not q.strong or q.value in have or q.value in extra:
            continue
        if marker and q.text.strip().rstrip(".)") == marker.group().strip().strip("(.)"):
            continue  # "1. ..." list numbering added in English
        extra[q.value] = q.text
    return [f"the English has {_fmt(v)} (“{text.strip()}”), which the source does not"
            for v, text in extra.items()]


@check("percent-mismatch", Severity.WARNING, "a percentage lost its percent sign")
def check_percent(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    tgt_pct = {q.value for q in tgt.quantities if q.kind == "percent"}
    tgt_vals = tgt.values()
    return [f"{_fmt(q.value)}% (“{q.text.strip()}”) appears in the English without “%”"
            for q in src.quantities if q.kind == "percent" and q.value not in tgt_pct
            and q.value in tgt_vals]


def _fmt_cur(codes: frozenset[str]) -> str:
    return "/".join(sorted(codes))


@check("amount-mismatch", Severity.ERROR, "a money amount has a different currency in English")
def check_amounts(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    messages = []
    for q in src.quantities:
        if q.kind != "money":
            continue
        same = [t for t in tgt.quantities if t.kind == "money" and t.value == q.value]
        if same and not any(t.currencies & q.currencies for t in same):
            messages.append(f"amount “{q.text.strip()}” ({_fmt_cur(q.currencies)}) is "
                            f"“{same[0].text.strip()}” ({_fmt_cur(same[0].currencies)}) in English")
    return messages


@check("currency-missing", Severity.WARNING, "a money amount lost its currency in English")
def check_currency_missing(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    messages = []
    for q in src.quantities:
        if q.kind != "money":
            continue
        same = [t for t in tgt.quantities if t.value == q.value]
        if same and not any(t.kind == "money" for t in same):
            messages.append(f"amount “{q.text.strip()}” appears in the English without its "
                            f"currency ({_fmt_cur(q.currencies)})")
    return messages


@check("unit-mismatch", Severity.WARNING, "a duration has a different unit in English "
       "(24小时 -> 24 days)")
def check_units(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    messages = []
    for q in src.quantities:
        if not q.unit:
            continue
        same = [t for t in tgt.quantities if t.value == q.value and t.unit]
        if same and not any(t.unit == q.unit for t in same):
            messages.append(f"“{q.text.strip()}” ({q.unit}s) is “{same[0].text.strip()}” "
                            f"({same[0].unit}s) in English")
    return messages


_CMP_WORDS = {"gt": "more than / over / at least", "lt": "less than / under / at most"}


@check("comparison-mismatch", Severity.WARNING,
       "以上/以下/超过 (more/less than) lost or reversed in English")
def check_comparison(source: str, target: str, ctx: QAContext) -> list[str]:
    src, tgt = analyze(source), analyze(target)
    messages = []
    for q in src.quantities:
        if not q.comparator:
            continue
        same = [t for t in tgt.quantities if t.value == q.value]
        if not same or any(t.comparator == q.comparator for t in same):
            continue
        other = next((t.comparator for t in same if t.comparator), "")
        what = "reversed" if other else "missing"
        messages.append(f"“{q.text.strip()}” has a comparison ({_CMP_WORDS[q.comparator]}) "
                        f"that is {what} in the English")
    return messages


def _terms(source: str, ctx: QAContext) -> list[TermHit]:
    if ctx.glossary is not None:
        return list(ctx.glossary.detect(source))
    return list(ctx.terms or [])


def _glossary(ctx: QAContext) -> Any:
    if ctx.glossary is not None:
        return ctx.glossary
    from .glossary import Glossary

    return _empty_glossary(Glossary)


@lru_cache(maxsize=1)
def _empty_glossary(cls: Any) -> Any:
    return cls([], "none")


def _term_problems(source: str, target: str, ctx: QAContext) -> list[Any]:
    hits = _terms(source, ctx)
    return _glossary(ctx).term_problems(hits, target) if hits else []


@check("term-missing", Severity.WARNING, "a glossary term's required English is not used")
def check_term_missing(source: str, target: str, ctx: QAContext) -> list[str]:
    return [p.message for p in _term_problems(source, target, ctx) if p.code == "term-missing"]


@check("term-wrong", Severity.ERROR, "a wrong rendering of a glossary term is used (“AtoZ”)")
def check_term_wrong(source: str, target: str, ctx: QAContext) -> list[str]:
    if ctx.glossary is None:
        return []
    problems = _term_problems(source, target, ctx)
    # Replaceable wrong renderings are wrong anywhere, unless inside an accepted
    # rendering of a term in the source.
    accepted = [span for hit in _terms(source, ctx) if hit.canonical
                for span in _accepted(ctx.glossary, hit, target)]
    messages = []
    for term, wrong in ctx.glossary.wrong_renderings_in(target):
        at = target.find(wrong)
        if at >= 0 and any(a <= at and at + len(wrong) <= b for a, b in accepted):
            continue  # inside an accepted rendering of a source term
        messages.append(f"glossary: “{wrong}” is a wrong rendering; write “{term.canonical}”")
    messages += [p.message for p in problems if p.code == "term-wrong"
                 and not any(p.found in m for m in messages)]
    return list(dict.fromkeys(messages))


def _accepted(glossary: Any, hit: TermHit, target: str) -> list[tuple[int, int]]:
    try:
        term = glossary.term_for(hit)
    except KeyError:
        return []
    return list(glossary.accepted_spans(term, target))


_REPEAT_RE = re.compile(r"(?i)(?<![A-Za-z'-])([A-Za-z]+)(\s+)\1(?![A-Za-z'-])")
_REPEAT_OK = {"that", "had", "is", "bye", "very", "so", "ha", "no"}


@check("repeated-word", Severity.WARNING, "a word is repeated (“the the”)")
def check_repeated(source: str, target: str, ctx: QAContext) -> list[str]:
    found = [m.group(1) for m in _REPEAT_RE.finditer(target)
             if m.group(1).lower() not in _REPEAT_OK and "\n" not in m.group(2)]
    return [f"repeated word: “{w} {w}”" for w in dict.fromkeys(found)]


@check("double-space", Severity.INFO, "two or more spaces in a row")
def check_double_space(source: str, target: str, ctx: QAContext) -> list[str]:
    if re.search(r"\S {2,}\S", target):
        return ["two or more spaces in a row"]
    return []


_PAIRS = {")": "(", "]": "[", "}": "{"}
_LIST_PAREN_RE = re.compile(r"(?m)(?:^|(?<=\s))(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})\)")


def _bracket_problems(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = _LIST_PAREN_RE.sub("", text)  # "1) first step" is list numbering, not a bracket
    stack: list[str] = []
    problems = []
    for c in text:
        if c in "([{":
            stack.append(c)
        elif c in _PAIRS:
            if stack and stack[-1] == _PAIRS[c]:
                stack.pop()
            else:
                problems.append(f"unmatched “{c}”")
    problems.extend(f"unclosed “{c}”" for c in stack)
    if text.count('"') % 2:
        problems.append("odd number of \" quotes")
    if text.count("“") != text.count("”"):
        problems.append("unpaired “ ” quotes")
    return problems


@check("unpaired-brackets", Severity.WARNING, "unpaired brackets or quotes")
def check_brackets(source: str, target: str, ctx: QAContext) -> list[str]:
    problems = _bracket_problems(target)
    if not problems or _bracket_problems(source):
        return []  # the source is unbalanced too (a sentence split inside brackets)
    return ["; ".join(dict.fromkeys(problems))]


# Greetings often left out of the English ("Dear Seller Performance Team," for
# 尊敬的卖家绩效团队，您好：): not counted as text or as a clause.
_FORMULA_RE = re.compile(r"您好|你好|大家好|此致|敬礼")


def length_ratio(source: str, target: str) -> float | None:
    """English characters per Chinese character, ASCII copied from the source (IDs,
    numbers) subtracted; None for sources under RATIO_MIN_HAN Chinese characters."""
    source = _FORMULA_RE.sub("", source)
    han = len(HAN_RE.findall(source))
    if han < RATIO_MIN_HAN or not target.strip():
        return None
    copied = sum(1 for c in source if c.isascii() and not c.isspace())
    return (len(target.strip()) - copied) / han


_ZH_CLAUSE_RE = re.compile(r"[，；;：:]|(?<=[\u4e00-\u9fff]),")
_EN_CLAUSE_RE = re.compile(r"[,;:]|\b(?:and|but|while|which|who|so|because|including|then|"
                           r"after|before|when|if|whereas|where|until|unless)\b", re.IGNORECASE)


def clause_counts(source: str, target: str) -> tuple[int, int]:
    """Clauses in the Chinese (parts between ，；： with two or more Chinese characters)
    and in the English (1 + commas, semicolons, colons and linking words)."""
    source = _FORMULA_RE.sub("", source)
    zh = sum(1 for part in _ZH_CLAUSE_RE.split(source) if len(HAN_RE.findall(part)) >= 2)
    en = 1 + len(_EN_CLAUSE_RE.findall(target))
    return zh, en


def _dropped(source: str, target: str) -> tuple[float, int, int] | None:
    ratio = length_ratio(source, target)
    if ratio is None:
        return None
    zh, en = clause_counts(source, target)
    if zh < 2:
        return None
    if ratio < REAL_MIN or (ratio < CLAUSE_FLOOR and en < zh):
        return ratio, zh, en
    if ratio < RATIO_MEDIAN and _ZH_QUOTE_RE.search(source) and not _EN_QUOTE_RE.search(target):
        return ratio, zh, en  # a quoted phrase of the Chinese went missing with its clause
    return None


@check("dropped-clause", Severity.ERROR, "part of the sentence is missing: the Chinese has "
       "more clauses and the English is far shorter than real translations")
def check_dropped_clause(source: str, target: str, ctx: QAContext) -> list[str]:
    found = _dropped(source, target)
    if found is None:
        return []
    ratio, zh, en = found
    fewer = f" (the English {en})" if en < zh else ""
    return [f"part of the sentence seems dropped: the Chinese has {zh} clauses{fewer} and "
            f"the English is short for it ({ratio:.1f} characters per Chinese character; real "
            f"translations of such sentences have {MULTI_CLAUSE_MIN:g} or more)"]


@check("length-ratio", Severity.WARNING, "the English is far shorter or longer than usual")
def check_length_ratio(source: str, target: str, ctx: QAContext) -> list[str]:
    ratio = length_ratio(source, target)
    if ratio is None or _dropped(source, target) is not None:
        return []
    low, high = ctx.ratio_bounds
    if ratio < low:
        return [f"the English is unusually short for the source ({ratio:.1f} characters per "
                f"Chinese character; usual {low:g}-{high:g}): something left out?"]
    if ratio > high:
        return [f"the English is unusually long for the source ({ratio:.1f} characters per "
                f"Chinese character; usual {low:g}-{high:g}): repeated or invented text?"]
    return []


class GrammarReport:
    """Report-only grammar check of reviewed English (Harper through pipeline.grammar):
    the agreement and grammar rules the grammar step trusts enough to apply ("we has",
    "I has", "did not paid", a/an), never rewriting the text. Glossary words, IDs,
    acronyms and URLs are protected: a finding touching them is dropped. When Harper
    cannot be loaded the check reports nothing and ``unavailable`` says why."""

    CATEGORIES = frozenset({"agreement", "grammar"})
    SKIP_RULES = frozenset({"RepeatedWords"})  # the repeated-word check reports these

    def __init__(self, glossary: Any = None) -> None:
        from .grammar import BUILTIN_WORDS

        words = set(BUILTIN_WORDS)
        if glossary is not None and hasattr(glossary, "dictionary_words"):
            words |= {str(w) for w in glossary.dictionary_words()}
        self.words = tuple(sorted(words))
        self.unavailable: str | None = None
        self._backend: Any = None

    def __call__(self, text: str) -> list[str]:
        if self.unavailable is not None or not text.strip():
            return []
        from .grammar import HarperBackend, guarded_spans

        try:
            if self._backend is None:
                self._backend = HarperBackend(self.words)
            findings = self._backend.check(text)
        except Exception as exc:  # noqa: BLE001 - an optional checker must not stop QA
            self.unavailable = f"{type(exc).__name__}: {exc}"
            return []
        guards = guarded_spans(text, self.words)
        messages = []
        for f in findings:
            if not f.auto or f.category not in self.CATEGORIES or f.rule in self.SKIP_RULES:
                continue
            if any(a < f.end and f.start < b for a, b in guards):
                continue
            fix = f"; suggested: “{f.replacements[0]}”" if f.replacements and f.replacements[0] \
                else ""
            messages.append(f"grammar: “{f.text}”: {f.message.rstrip('.')}{fix}")
        return list(dict.fromkeys(messages))


@check("grammar", Severity.ERROR, "a grammar error in reviewed English (“we has”, “I has”); "
       "reported, never rewritten")
def check_grammar(source: str, target: str, ctx: QAContext) -> list[str]:
    if ctx.grammar is None:
        return []
    return ctx.grammar(target)


# --------------------------------------------------------------------------------------
# Running checks


def run_checks(source: str, target: str, ctx: QAContext | None = None,
               checks: Iterable[Check] | None = None, translatable: bool = True,
               skip_codes: Iterable[str] = ()) -> list[Note]:
    """Notes for one source/English pair. ``translatable=False``: a passthrough segment,
    only the checks that look at the English alone run. ``skip_codes``: codes already
    reported by an earlier step."""
    ctx = ctx or QAContext()
    skip = set(skip_codes)
    notes: list[Note] = []
    for c in (CHECKS if checks is None else checks):
        if c.name in skip or (c.compares and not translatable):
            continue
        for message in c.func(source, target, ctx):
            notes.append(Note(c.name, message, c.severity, "qa"))
    return notes


class QAStep:
    """Run the QA checks on every segment with English, and the POA check on the document.

    Re-running is safe: notes from an earlier QA run are replaced, not duplicated.
    """

    name = "qa"

    def __init__(self, glossary: Any = None, checks: list[str] | None = None,
                 poa: bool = True, grammar: bool = True) -> None:
        self.glossary = glossary
        self.checks = get_checks(checks)
        self.poa = poa
        # The grammar check runs on reviewed English only: machine English went through
        # the grammar step, which notes what it did not fix.
        self.grammar = GrammarReport(glossary) if grammar and \
            any(c.name == "grammar" for c in self.checks) else None

    def check_segment(self, seg: Any) -> list[Note]:
        seg.notes = [n for n in seg.notes if n.step != "qa"]
        if seg.translatable:
            if seg.target is None:
                return []  # no English yet: nothing to check
            target = seg.target
        else:
            target = seg.text
        # The glossary step notes term problems itself; do not say the same twice.
        already = {n.code for n in seg.notes if n.step and n.step != "qa"}
        ctx = QAContext(glossary=self.glossary, terms=seg.terms or None,
                        grammar=self.grammar if seg.reviewed else None)
        notes = run_checks(seg.zh, target, ctx, self.checks, seg.translatable, already)
        seg.notes.extend(notes)
        return notes

    def __call__(self, doc: Document) -> Document:
        for seg in doc.segments:
            self.check_segment(seg)
        doc.notes = [n for n in doc.notes if n.step != "qa"]
        if self.poa:
            from .poa import check_poa

            doc.notes.extend(check_poa(doc))
        return doc


def summarize(doc: Document) -> dict[str, int]:
    """Counts of QA notes by severity (segment and document level)."""
    counts = {s.value: 0 for s in Severity}
    for note in [*doc.notes, *(n for s in doc.segments for n in s.notes)]:
        if note.step == "qa":
            counts[note.severity.value] += 1
    return counts
