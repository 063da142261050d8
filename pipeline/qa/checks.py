"""The named QA checks: ``func(source, target, ctx) -> list[str]``, each with a severity
declared at import by ``@check`` (see :mod:`pipeline.qa`)."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..cjk import FULLWIDTH_RE, HAN, HAN_RE
from ..document import Severity, TermHit
from .analysis import PLACEHOLDER_RE, _contains_id, _fmt, analyze
from .context import (
    _EN_QUOTE_RE,
    _ZH_QUOTE_RE,
    CLAUSE_FLOOR,
    MULTI_CLAUSE_MIN,
    RATIO_MEDIAN,
    RATIO_MIN_HAN,
    REAL_MIN,
    QAContext,
    check,
)

if TYPE_CHECKING:
    from ..glossary import Glossary

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


def _glossary(ctx: QAContext) -> Glossary:
    return ctx.glossary if ctx.glossary is not None else _empty_glossary()


@lru_cache(maxsize=1)
def _empty_glossary() -> Glossary:
    from ..glossary import Glossary

    return Glossary([], "none")


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


def _accepted(glossary: Glossary, hit: TermHit, target: str) -> list[tuple[int, int]]:
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


_ZH_CLAUSE_RE = re.compile(rf"[，；;：:]|(?<=[{HAN}]),")
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

    def __init__(self, glossary: Glossary | None = None) -> None:
        from ..grammar import BUILTIN_WORDS

        words = set(BUILTIN_WORDS)
        if glossary is not None:
            words |= {str(w) for w in glossary.dictionary_words()}
        self.words = tuple(sorted(words))
        self.unavailable: str | None = None
        self._backend: Any = None

    def __call__(self, text: str) -> list[str]:
        if self.unavailable is not None or not text.strip():
            return []
        from ..grammar import HarperBackend, guarded_spans

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


