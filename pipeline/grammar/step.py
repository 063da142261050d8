"""The grammar step: post-edit rules, then a grammar checker, with only safe fixes applied.

Backends sit behind one interface, :class:`GrammarBackend` (``check(text) -> [Finding]``):

* ``harper`` (default): Harper through harper-py, offline and in-process. Plain-text mode;
  glossary terms, acronyms and brand names are added to its dictionary so they are never
  "corrected". One Linter per thread, created on first use and reused (cold start is
  ~0.5-0.8 s, then ~16 ms per 1000 words).
* ``languagetool``: a LanguageTool server you run (``--languagetool-url`` or
  ``PIPELINE_LANGUAGETOOL_URL``), through language-tool-python, with a 10 s timeout. If the
  server cannot be reached, at start or later, the step falls back to Harper and says so
  in the document (and segment) notes.
* ``none``: only the post-edit rules.

Only findings of an allow-list of rules are applied (spelling ranked by word frequency
and the neighbouring words, applied only when clearly the likeliest, joined words through
:mod:`pipeline.wordsplit`, agreement, "did" + base form, punctuation spacing, sentence
capitalisation, a/an, repeated words, a few one-reading word-form rules); everything else
becomes a ``Note`` for the reviewer, and rewrites that change content (the addressee) are
``grammar-suggestion`` notes. Edits are applied from the end of the text backwards, then
the text is checked again until nothing more is applied (at most ``MAX_PASSES`` times).
:meth:`GrammarStep.polish_many` / :func:`polish_texts` do this for many sentences at
once: Harper is called once per pass on all of them (its cost is mostly per call). No edit
touches a protected span: URLs, e-mail addresses, domain names, anything with a digit
(B0C1234XYZ, 24H), inner capitals (AtoZ, AliExpress), acronyms (ASIN) and the glossary's
words.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import sys
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from .. import wordsplit
from ..document import Change, Document, Note, Severity
from ..errors import InputError
from ..postedit import (
    apply_postedit,
    apply_postedit_many,
    edit_context,
    load_rules,
    next_to_chinese,
    overlaps,
    protected_spans,
    suggestions,
)

STEP = "grammar"
BACKENDS = ("harper", "languagetool", "none")
ENV_URL = "PIPELINE_LANGUAGETOOL_URL"
LANGUAGETOOL_TIMEOUT_S = 10.0
MAX_PASSES = 4

# Words no checker may "correct": Amazon acronyms and names, carriers, platforms.
BUILTIN_WORDS: tuple[str, ...] = (
    "FBA", "FBM", "MFN", "ERP", "ODR", "ASIN", "ASINs", "SKU", "SKUs", "FNSKU", "FNSKUs",
    "VTR", "LSR", "OTDR", "AHR", "RDR", "NCX", "VOC", "LOA", "SOP", "SOPs", "POA", "POAs",
    "IP", "QC", "A-to-z", "AtoZ", "Amazon", "Amazon's", "Seller Central", "Seller Performance",
    "Seller Support", "Selling Partner Support", "Account Health", "Brand Registry", "Buy Box",
    "chargeback", "chargebacks", "Chargeback", "Chargebacks",
    "Buy Shipping", "Fulfillment by Amazon", "UPS", "USPS", "FedEx", "DHL", "eBay",
    "AliExpress", "Alibaba", "Shopify", "PayPal", "Walmart", "Temu", "Shein", "Shenzhen",
    "Yiwu", "Guangzhou",
)

# Harper rules applied automatically, with the category that picks the guards.
HARPER_AUTO: dict[str, str] = {
    "SpellCheck": "spelling",
    "SplitWords": "split",
    "PronounVerbAgreement": "agreement",
    "IAmAgreement": "agreement",
    "PronounInflectionBe": "agreement",
    "HavePronoun": "agreement",
    "DidPast": "agreement",
    "HelpedPast": "agreement",
    "AnA": "agreement",
    "SingleBe": "grammar",
    "RepeatedWords": "grammar",
    "Everyday": "grammar",
    "CorrectNumberSuffix": "grammar",
    "CommaFixes": "punctuation",
    "DiscourseMarkers": "punctuation",
    # Measured on JFLEG dev (bench/jfleg_gleu.py --try-notes): right in every case seen;
    # applied only when Harper offers exactly one replacement (see _ONE_SUGGESTION).
    "ThenThan": "grammar",
    "ThereToTheir": "grammar",
    "ToTwoToo": "grammar",
    "RegularIrregulars": "grammar",
    "AdjectiveDoubleDegree": "grammar",
    "MassNouns": "grammar",
    "OpenCompounds": "grammar",
    # Typos with one reading: "teh", "dose not", "it`s", "There fore", "Further more".
    "The": "grammar",
    "DoesOrDose": "grammar",
    "WrongApostrophe": "punctuation",
    "Someone": "grammar",
    "Therefore": "grammar",
    "Furthermore": "grammar",
    "Everybody": "grammar",
    "SentenceCapitalization": "capitalization",
    "CapitalizePersonalPronouns": "capitalization",
}
# Rules applied only when Harper has exactly one replacement, of one word ("choosed" has
# two, "chose"/"chosen": a note; "every stuff" -> "every piece of stuff": a note).
_ONE_SUGGESTION = frozenset({"ThenThan", "ThereToTheir", "ToTwoToo", "RegularIrregulars",
                             "AdjectiveDoubleDegree", "MassNouns"})
# Harper's lint kinds that are worth a warning when reported (the rest are info).
_WARN_KINDS = {"Spelling", "Agreement", "Grammar", "Typo", "Punctuation", "Capitalization",
               "Repetition", "WordChoice"}
# LanguageTool rules applied automatically (spelling ones are found by issue type too).
LANGUAGETOOL_AUTO: dict[str, str] = {
    "MORFOLOGIK_RULE_EN_US": "spelling",
    "MORFOLOGIK_RULE_EN_GB": "spelling",
    "HE_VERB_AGR": "agreement",
    "NON3PRS_VERB": "agreement",
    "PERS_PRONOUN_AGREEMENT": "agreement",
    "DID_BASEFORM": "agreement",
    "EN_A_VS_AN": "agreement",
    "ENGLISH_WORD_REPEAT_RULE": "grammar",
    "UPPERCASE_SENTENCE_START": "capitalization",
    "I_LOWERCASE": "capitalization",
    "COMMA_PARENTHESIS_WHITESPACE": "punctuation",
    "SENTENCE_WHITESPACE": "punctuation",
    "DOUBLE_PUNCTUATION": "punctuation",
}
# A full stop after these is not a sentence end ("Co., Ltd. and", "e.g. the").
_ABBREVIATIONS = frozenset("""
co ltd inc corp llc plc no nos vs etc approx dept est fig mr mrs ms dr st jr sr
jan feb mar apr jun jul aug sep sept oct nov dec al ref
""".split())


# ----------------------------------------------------------------------------- findings
@dataclass
class Finding:
    """One problem a backend found, in code-point offsets of the checked text."""

    start: int
    end: int
    text: str  # text[start:end]
    rule: str  # the backend's rule id: "SpellCheck", "MORFOLOGIK_RULE_EN_US"...
    category: str  # spelling, split, agreement, grammar, punctuation, capitalization, style...
    message: str
    replacements: list[str] = field(default_factory=list)  # each replaces text[start:end]
    auto: bool = False  # on the allow-list: may be applied automatically (under guards)
    source: str = ""  # the backend's name
    severity: Severity = Severity.INFO  # for the note when it is not applied


class GrammarBackend(Protocol):
    name: str
    version: str

    def check(self, text: str) -> list[Finding]: ...


class BackendUnavailable(Exception):
    """The backend cannot be used (server down, bad URL, timeout...)."""


# ----------------------------------------------------------------------------- stdout guard
_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_saved: int | None = None


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (Harper's Rust core prints
    debug lines there, which ``contextlib.redirect_stdout`` cannot catch and which would
    corrupt ``--json`` output). Re-entrant and thread-safe: the first caller redirects,
    the last restores."""
    global _quiet_depth, _quiet_saved
    with _quiet_lock:
        if _quiet_depth == 0:
            try:
                sys.stdout.flush()
            except (OSError, ValueError, AttributeError):
                pass
            try:
                saved = os.dup(1)
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.close(null)
                _quiet_saved = saved
            except OSError:
                _quiet_saved = None
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _quiet_saved is not None:
                os.dup2(_quiet_saved, 1)
                os.close(_quiet_saved)
                _quiet_saved = None


# ----------------------------------------------------------------------------- Harper
_local = threading.local()


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def harper_words(words: Iterable[str]) -> tuple[str, ...]:
    """Dictionary entries for Harper: each term, plus the words of multi-word terms."""
    out: set[str] = set()
    for w in words:
        w = w.strip()
        if not w:
            continue
        if " " not in w:
            out.add(w)
        out.update(t for t in re.findall(r"[A-Za-z][A-Za-z'’-]*", w) if len(t) > 1)
    return tuple(sorted(out))


def _harper_linter(words: tuple[str, ...]) -> Any:
    """This thread's Linter (created on first use) with exactly ``words`` imported."""
    linter = getattr(_local, "linter", None)
    if linter is None:
        import harper

        with quiet_stdout():
            linter = harper.Linter(harper.Dialect.AMERICAN)
            config = linter.get_lint_config()
            # LongSentences plus overlap removal hides every other lint in a long sentence.
            config["LongSentences"] = False
            linter.set_lint_config(config)
        _local.linter = linter
        _local.words = None
    if _local.words != words:
        with quiet_stdout():
            linter.clear_words()
            if words:
                linter.import_words(list(words))
        _local.words = words
    return linter


class HarperBackend:
    """Harper (harper-py), plain-text mode, American English."""

    name = "harper"

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = harper_words(words)
        self.version = f"harper-py {_package_version('harper-py')}"

    def check(self, text: str) -> list[Finding]:
        if not text.strip():
            return []
        linter = _harper_linter(self.words)
        with quiet_stdout():
            organized = linter.organized_lints(text, language="plaintext")
        findings: list[Finding] = []
        for rule, lints in organized.items():
            category = HARPER_AUTO.get(rule)
            for lint in lints:
                start, end = lint.span.start, lint.span.end
                replacements: list[str] = []
                for s in lint.suggestions:
                    kind = int(s.kind)
                    if kind == 1:  # REMOVE
                        replacements.append("")
                    elif kind == 2:  # INSERT_AFTER
                        replacements.append(text[start:end] + s.replacement_text)
                    else:
                        replacements.append(s.replacement_text)
                kind_name = lint.lint_kind
                findings.append(Finding(
                    start, end, text[start:end], rule,
                    category or kind_name.lower(), lint.message, replacements,
                    auto=category is not None, source=self.name,
                    severity=Severity.WARNING if kind_name in _WARN_KINDS else Severity.INFO))
        findings.sort(key=lambda f: (f.start, f.end))
        return findings


# ----------------------------------------------------------------------------- LanguageTool
def _utf16_index_map(text: str) -> list[int] | None:
    """UTF-16 offset of each code point (plus the end), or None when they are equal."""
    if all(ord(c) < 0x10000 for c in text):
        return None
    pos, out = 0, []
    for ch in text:
        out.append(pos)
        pos += 2 if ord(ch) >= 0x10000 else 1
    out.append(pos)
    return out


def utf16_to_index(text: str, offset: int) -> int:
    """The code-point index of a UTF-16 offset into ``text`` (LanguageTool's unit)."""
    table = _utf16_index_map(text)
    if table is None:
        return offset
    import bisect

    return bisect.bisect_left(table, offset)


def index_to_utf16(text: str, index: int) -> int:
    return index + sum(1 for c in text[:index] if ord(c) >= 0x10000)


class LanguageToolBackend:
    """A LanguageTool server through language-tool-python (never its local download)."""

    name = "languagetool"

    def __init__(self, url: str | None, timeout: float = LANGUAGETOOL_TIMEOUT_S,
                 language: str = "en-US") -> None:
        if not url:
            raise BackendUnavailable(f"no server URL (give --languagetool-url or set {ENV_URL})")
        if not re.match(r"^https?://", url):
            raise BackendUnavailable(f"{url}: not an http(s) URL")
        if not url.endswith("/"):
            url += "/"  # the client joins "v2/" onto it: keep a base path
        self.url = url
        try:
            import language_tool_python as ltp
            from language_tool_python.match import Match
        except ImportError as exc:
            raise BackendUnavailable(f"language-tool-python is not installed ({exc})") from None
        # The client waits 300 s per request by default (class attribute _TIMEOUT).
        client = type("LanguageToolClient", (ltp.LanguageTool,), {"_TIMEOUT": timeout})
        try:
            # remote_server: the client only talks to that server; it never downloads.
            self._tool = client(language, remote_server=url)
        except Exception as exc:  # LanguageToolError, requests errors, bad JSON...
            raise BackendUnavailable(f"{url}: {_one_line(exc)}") from None
        # language-tool-python >= 2.8 already turns ``offset`` into code points (not the
        # length); older ones leave both in UTF-16 units.
        self._offset_converted = hasattr(Match, "FOUR_BYTES_POSITIONS")
        self._check_lock = threading.Lock()
        self.version = f"server {url} (language-tool-python {_package_version('language-tool-python')})"

    def check(self, text: str) -> list[Finding]:
        if not text.strip():
            return []
        try:
            # One request at a time: the client's Match keeps per-text offset data in
            # class attributes, which concurrent checks would mix up.
            with self._check_lock:
                matches = self._tool.check(text)
        except Exception as exc:
            raise BackendUnavailable(f"{self.url}: {_one_line(exc)}") from None
        findings: list[Finding] = []
        for m in matches:
            if self._offset_converted:
                start = int(m.offset)
                start16 = index_to_utf16(text, start)
            else:
                start16 = int(m.offset)
                start = utf16_to_index(text, start16)
            end = utf16_to_index(text, start16 + int(m.error_length))
            if not 0 <= start <= end <= len(text):
                continue
            rule = str(getattr(m, "rule_id", "") or "")
            issue = str(getattr(m, "rule_issue_type", "") or "")
            category = LANGUAGETOOL_AUTO.get(rule)
            if category is None and issue == "misspelling":
                category = "spelling"
            auto = category is not None
            if category is None:
                category = str(getattr(m, "category", "") or "other").lower()
            severity = Severity.WARNING if issue in ("misspelling", "grammar", "typographical") \
                else Severity.INFO
            findings.append(Finding(start, end, text[start:end], rule, category,
                                    str(m.message), [str(r) for r in m.replacements],
                                    auto=auto, source=self.name, severity=severity))
        findings.sort(key=lambda f: (f.start, f.end))
        return findings


class NoneBackend:
    name = "none"
    version = "post-edit rules only"

    def check(self, text: str) -> list[Finding]:
        return []


def _one_line(exc: BaseException) -> str:
    """A short reason: requests' messages run to several hundred characters."""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    low = msg.lower()
    if "connection refused" in low or "failed to establish" in low:
        return "cannot connect (connection refused)"
    if "timed out" in low or "timeout" in low:
        return "no answer (timed out)"
    if "name or service not known" in low or "nodename nor servname" in low:
        return "unknown host"
    return msg[:200]


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


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
SPELL_EDIT_COST = 2.0  # log10 units of corpus frequency one letter edit costs
SPELL_MARGIN = 1.0  # the best candidate must beat the next by this much (a factor of 10)
COMMON_WORD = 100_000  # a word this frequent is a real word, never "corrected"


def _edits1(word: str) -> set[str]:
    """Every string one edit (delete, transpose, replace, insert) from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    out.update(a + c + b[1:] for a, b in splits if b for c in _LETTERS)
    out.update(a + c + b for a, b in splits for c in _LETTERS)
    return out


def spelling_candidates(word: str, suggestions: Sequence[str] = ()) -> list[tuple[float, str]]:
    """Corrections for a misspelt ``word``, best first, each with a score: log10 of its
    corpus frequency minus ``SPELL_EDIT_COST`` per edit (a noisy-channel ranking).
    Candidates: the checker's suggestions plus every dictionary word one edit away; at
    most two edits (three for words of 8+ letters)."""
    return list(_spelling_candidates(word.lower(), tuple(suggestions)))


@lru_cache(maxsize=4096)
def _spelling_candidates(word: str, suggestions: tuple[str, ...]) -> tuple[tuple[float, str], ...]:
    """Cached: the same misspelling recurs across passes and sentences."""
    low = word.lower()
    cands = {s.lower() for s in suggestions if s.isalpha() and s[1:] == s[1:].lower()}
    cands.update(e for e in _edits1(low) if wordsplit.word_count(e) > 0)
    scored: list[tuple[float, str]] = []
    for c in cands:
        count = wordsplit.word_count(c)
        if count <= 0 or c == low:
            continue
        d = _osa_distance(low, c)
        if d > (3 if len(low) >= 8 else 2):  # "imidiatly" -> "immediately" is 3
            continue
        scored.append((math.log10(count) - SPELL_EDIT_COST * d, c))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return tuple(scored)


CONTEXT_WEIGHT = 2.5  # weight of the neighbour words' pair statistics in the ranking
_PREV_WORD = re.compile(r"([A-Za-z]+(?:['’][a-z]+)?)[ \t]+$")
_NEXT_WORD = re.compile(r"^[ \t]+([A-Za-z]+)")


def in_context(text: str, start: int, end: int,
               ranked: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """``ranked`` re-scored with the words on either side (no punctuation between): plus
    ``CONTEXT_WEIGHT`` times the pair statistics (:func:`wordsplit.pair_pmi`) of the word
    before and the candidate, and of the candidate and the word after ("a creat deal":
    "great", not "create")."""
    if not CONTEXT_WEIGHT or not ranked:
        return list(ranked)
    m = _PREV_WORD.search(text, max(0, start - 40), start)
    prev = m.group(1) if m else None
    m = _NEXT_WORD.match(text[end:end + 40])
    nxt = m.group(1) if m else None
    if prev is None and nxt is None:
        return list(ranked)
    out = []
    for score, cand in ranked:
        ctx = 0.0
        if prev is not None:
            ctx += wordsplit.pair_pmi(prev, cand)
        if nxt is not None:
            ctx += wordsplit.pair_pmi(cand, nxt)
        out.append((score + CONTEXT_WEIGHT * ctx, cand))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


def spelling_fix(text: str, f: Finding) -> str | None:
    """The correction of a misspelt word, when it is safe to apply: a lower-case word (or
    capitalised only at a sentence start) of 3+ letters that the frequency dictionary
    does not know as a common word, and a best candidate (see
    :func:`spelling_candidates`) at least ten times likelier than the next one."""
    word = f.text
    if not re.fullmatch(r"[A-Za-z]{3,}", word):
        return None
    if word[1:] != word[1:].lower():
        return None
    if word[0].isupper() and not at_sentence_start(text, f.start):
        return None  # likely a name
    if wordsplit.word_count(word) >= COMMON_WORD:
        return None
    ranked = spelling_candidates(word, f.replacements)
    if not ranked:
        return None
    alone = ranked
    ranked = in_context(text, f.start, f.end, ranked)
    margin = SPELL_MARGIN if len(word) > 3 else 1.5 * SPELL_MARGIN  # "hte" -> "the"

    def clear(r: Sequence[tuple[float, str]]) -> bool:
        return len(r) < 2 or r[0][0] - r[1][0] >= margin

    # Clear in context, or the same best word clear without it (the context agrees).
    if not (clear(ranked) or (alone[0][1] == ranked[0][1] and clear(alone))):
        return None  # too close to call: a suggestion for the reviewer
    best = ranked[0][1]
    return best[0].upper() + best[1:] if word[0].isupper() else best


_FIRST_WORD = re.compile(r"([\"'“‘(\[]?)([a-z]+)\b(?![\w'’@.-]*[A-Z0-9@])")


def capitalize_start(text: str) -> tuple[str, list[Change]]:
    """Capitalise the first word of a sentence that starts the text in lower case
    ("in my opinion, ..." -> "In my opinion, ..."); Harper misses the first sentence of a
    text. Only a complete sentence (it ends with . ! or ?) whose first word is a common
    English word: a lower-case list item ("refunded the buyer;") or a brand stays."""
    stripped = text.rstrip(" \t\"'”’)")
    if not stripped.endswith((".", "!", "?")):
        return text, []
    lead = len(text) - len(text.lstrip())
    m = _FIRST_WORD.match(text, lead)
    if m is None or wordsplit.word_count(m.group(2)) < COMMON_WORD or m.group(2) == "i":
        return text, []
    a, b = m.span(2)
    new = m.group(2)[0].upper() + m.group(2)[1:]
    before, after = edit_context(text, a, b, new)
    change = Change("harper:SentenceStart", before, after,
                    "a sentence starts with a capital letter", STEP)
    return text[:a] + new + text[b:], [change]


def _fix_log_p(word: str, fix: str) -> float:
    """log10 P(fix) minus ``SPELL_EDIT_COST`` per edit: comparable with
    :func:`wordsplit.split_log_p` (a missing space costs nothing there: it is the usual
    join error, so "aconcern" stays "a concern" and not "concern")."""
    return wordsplit.log_p(fix) - SPELL_EDIT_COST * _osa_distance(word.lower(), fix.lower())


def capitalization_ok(text: str, f: Finding, new: str) -> bool:
    """Only "we" -> "We" at a real sentence start, or "i" -> "I"."""
    if f.text == "i" and new == "I":
        return True
    word = f.text
    return (word.isalpha() and word.islower() and new == word[:1].upper() + word[1:]
            and at_sentence_start(text, f.start))


# ----------------------------------------------------------------------------- correcting
@dataclass
class _Edit:
    start: int
    end: int
    new: str
    rule: str
    message: str


def _note_for(f: Finding) -> Note:
    sugg = ", ".join(f"“{r}”" for r in f.replacements[:3] if r != f.text)
    text = f"“{f.text}”: {f.message}" + (f" (suggestions: {sugg})" if sugg else "")
    return Note(f"grammar-{f.category}", text, f.severity, STEP)


def plan_edits(text: str, findings: Sequence[Finding], words: tuple[str, ...],
               disabled: Collection[str] = (),
               extra_auto: Mapping[str, str] | None = None,
               protected: Collection[str] = ()) -> tuple[list[_Edit], list[Note]]:
    """Decide, for each finding, an automatic edit, a note, or nothing (protected span).

    ``disabled`` names rules never applied (their findings become notes; "wordsplit" turns
    the joined-word splitter off); ``extra_auto`` maps more rules to a category to apply
    automatically. Both are for measuring (bench/jfleg_gleu.py). ``protected`` holds more
    words never split or respelt: the words of the glossary's terms ("chargeback")."""
    guarded = guarded_spans(text, words)
    protected_words = frozenset(words) | frozenset(protected)
    edits: list[_Edit] = []
    notes: list[Note] = []
    for f in findings:
        if overlaps(f.start, f.end, guarded) or next_to_chinese(text, f.start, f.end):
            continue
        if extra_auto and f.rule in extra_auto and not f.auto:
            f = replace(f, auto=True, category=extra_auto[f.rule])
        if disabled and f.rule in disabled and f.auto:
            f = replace(f, auto=False)
        tag = f"{f.source}:{f.rule}"
        if f.category in ("spelling", "split"):
            split = None
            if wordsplit.is_splittable(f.text) and "wordsplit" not in disabled:
                split = wordsplit.split_joined(f.text, protected_words,
                                               [r for r in f.replacements if " " in r])
            fix = None
            if f.auto and f.text.lower() not in protected_words:
                fix = spelling_fix(text, f)
            if split is not None and fix is not None and \
                    _fix_log_p(f.text, fix) > wordsplit.split_log_p(split):
                split = None  # "langage" is "language", not "lang age"
            if split is not None:
                edits.append(_Edit(f.start, f.end, split, "wordsplit",
                                   f"joined words split ({tag})"))
                continue
            if fix is not None and f.category == "spelling":
                edits.append(_Edit(f.start, f.end, fix, tag, f.message))
                continue
            if fix is not None:  # a split the checker suggested that is really a misspelling
                edits.append(_Edit(f.start, f.end, fix, f"{f.source}:SpellCheck", f.message))
                continue
            if f.category == "spelling" and f.text.isalpha() and f.text[1:].islower():
                ranked = [c for _, c in spelling_candidates(f.text, f.replacements)[:3]]
                if ranked:  # the likeliest corrections first
                    cap = f.text[0].isupper()
                    f = replace(f, replacements=[c[0].upper() + c[1:] if cap else c
                                                 for c in ranked])
            note = _note_for(f)
            if f.text[:1].isupper() and not at_sentence_start(text, f.start):
                note.severity = Severity.INFO  # most likely a name (Huaqiang, Yiwu)
            notes.append(note)
            continue
        if not f.auto or not f.replacements:
            notes.append(_note_for(f))
            continue
        if f.rule in _ONE_SUGGESTION and f.source == "harper" and (
                len(f.replacements) != 1 or " " in f.replacements[0].strip()):
            notes.append(_note_for(f))
            continue
        new = f.replacements[0]
        if "\n" in new or new == f.text:
            continue
        if f.category == "capitalization" and not capitalization_ok(text, f, new):
            continue  # after "Ltd." or "3.": not a sentence start, not worth a note
        edits.append(_Edit(f.start, f.end, new, tag, f.message))
    return edits, notes


def apply_edits(text: str, edits: Sequence[_Edit]) -> tuple[str, list[Change]]:
    """Apply non-overlapping edits from the end backwards; returns text and Changes."""
    changes: list[Change] = []
    limit = len(text) + 1
    out = text
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if e.end > limit or (e.end == limit and e.start == e.end):
            continue  # overlaps an edit already applied
        before, after = edit_context(text, e.start, e.end, e.new)
        out = out[:e.start] + e.new + out[e.end:]
        changes.append(Change(e.rule, before, after, e.message, STEP))
        limit = e.start
    changes.reverse()
    return out, changes


def correct(text: str, backend: GrammarBackend, words: tuple[str, ...] = (),
            disabled: Collection[str] = (), extra_auto: Mapping[str, str] | None = None,
            protected: Collection[str] = ()) -> tuple[str, list[Change], list[Note]]:
    """Check, apply the allowed fixes, re-check until stable; notes from the last check."""
    changes: list[Change] = []
    notes: list[Note] = []
    seen = {text}
    for n in range(MAX_PASSES + 1):
        edits, notes = plan_edits(text, backend.check(text), words, disabled, extra_auto,
                                  protected)
        if not edits or n == MAX_PASSES:
            break
        new, made = apply_edits(text, edits)
        if new in seen:  # an edit undoing another: stop here
            break
        seen.add(new)
        text = new
        changes.extend(made)
    unique = list({(nt.code, nt.message): nt for nt in notes}.values())
    return text, changes, unique


BATCH_CHARS = 20_000  # texts joined into one Harper call, at most this long
_SEPARATOR = "\n\n"


def check_many(backend: GrammarBackend, texts: Sequence[str]) -> list[list[Finding]]:
    """``backend.check`` on each text. Harper's cost is mostly per call (~1-2 ms), so
    texts are joined with blank lines into calls of up to ``BATCH_CHARS`` and the findings
    mapped back; a finding across a join is dropped. Other backends: one call each."""
    out: list[list[Finding]] = [[] for _ in texts]
    if backend.name != "harper":
        return [backend.check(t) for t in texts]
    batch: list[int] = []
    size = 0

    def flush() -> None:
        nonlocal batch, size
        if not batch:
            return
        starts: list[int] = []
        pos = 0
        for i in batch:
            starts.append(pos)
            pos += len(texts[i]) + len(_SEPARATOR)
        joined = _SEPARATOR.join(texts[i] for i in batch)
        for f in backend.check(joined):
            k = bisect.bisect_right(starts, f.start) - 1
            a = starts[k]
            if f.end > a + len(texts[batch[k]]):
                continue  # spans a join
            out[batch[k]].append(replace(f, start=f.start - a, end=f.end - a))
        batch, size = [], 0

    for i, t in enumerate(texts):
        if not t.strip():
            continue
        if _SEPARATOR in t or "\r" in t or t != t.strip():
            out[i] = backend.check(t)  # its own paragraphs or edges: alone
            continue
        if size + len(t) > BATCH_CHARS:
            flush()
        batch.append(i)
        size += len(t) + len(_SEPARATOR)
    flush()
    return out


def correct_many(texts: Sequence[str], backend: GrammarBackend, words: tuple[str, ...] = (),
                 disabled: Collection[str] = (), extra_auto: Mapping[str, str] | None = None,
                 protected: Collection[str] = ()) -> list[tuple[str, list[Change], list[Note]]]:
    """:func:`correct` on many texts at once: each pass checks every text still changing
    in one batch (:func:`check_many`)."""
    cur = list(texts)
    changes: list[list[Change]] = [[] for _ in texts]
    notes: list[list[Note]] = [[] for _ in texts]
    seen = [{t} for t in texts]
    active = list(range(len(texts)))
    for n in range(MAX_PASSES + 1):
        if not active:
            break
        found = check_many(backend, [cur[i] for i in active])
        still: list[int] = []
        for i, findings in zip(active, found, strict=True):
            edits, notes[i] = plan_edits(cur[i], findings, words, disabled, extra_auto,
                                         protected)
            if not edits or n == MAX_PASSES:
                continue
            new, made = apply_edits(cur[i], edits)
            if new in seen[i]:  # an edit undoing another: stop here
                continue
            seen[i].add(new)
            cur[i] = new
            changes[i].extend(made)
            still.append(i)
        active = still
    return [(cur[i], changes[i], list({(nt.code, nt.message): nt for nt in notes[i]}.values()))
            for i in range(len(texts))]


# ----------------------------------------------------------------------------- the step
def _glossary_words(glossary: Any) -> list[str]:
    if glossary is None or not hasattr(glossary, "dictionary_words"):
        return []
    return [str(w) for w in glossary.dictionary_words()]


def _glossary_terms(glossary: Any) -> list[str]:
    """Every term's canonical English (one-word terms and the words of longer ones)."""
    if glossary is None:
        return []
    return [str(getattr(t, "canonical", "") or "") for t in getattr(glossary, "terms", ())]


class GrammarStep:
    """Post-edit rules, then the backend's allowed fixes, on every segment's English."""

    name = "grammar"

    def __init__(self, backend: str = "harper", languagetool_url: str | None = None,
                 glossary: Any = None, *, timeout: float = LANGUAGETOOL_TIMEOUT_S,
                 disabled: Collection[str] = (),
                 extra_auto: Mapping[str, str] | None = None) -> None:
        if backend not in BACKENDS:
            raise InputError(f"unknown grammar backend {backend!r} ({', '.join(BACKENDS)})")
        self.requested = backend
        self.languagetool_url = languagetool_url or os.environ.get(ENV_URL) or None
        self.glossary = glossary
        self.timeout = timeout
        self.words = tuple(sorted(set(BUILTIN_WORDS) | set(_glossary_words(glossary))))
        # The words of the glossary's terms: never split or respelt ("chargeback"), and
        # in the checker's dictionary so it does not flag them.
        self.protected = frozenset(w.lower() for w in harper_words(_glossary_terms(glossary)))
        # For measuring (bench/jfleg_gleu.py): rules to leave out ("postedit:<id>", a
        # checker rule, "wordsplit") and checker rules to apply automatically as well.
        self.disabled = frozenset(disabled)
        self.extra_auto = dict(extra_auto or {})
        self.rules = tuple(r for r in load_rules()
                           if f"postedit:{r.id}" not in self.disabled)
        self.fallback: str | None = None  # why LanguageTool was replaced by Harper
        self._backend: GrammarBackend | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> GrammarBackend:
        with self._lock:
            if self._backend is None:
                if self.requested == "none":
                    self._backend = NoneBackend()
                elif self.requested == "languagetool":
                    try:
                        self._backend = LanguageToolBackend(self.languagetool_url, self.timeout)
                    except BackendUnavailable as exc:
                        self._fall_back(str(exc))
                else:
                    self._backend = HarperBackend(self._harper_words())
            assert self._backend is not None
            return self._backend

    def _fall_back(self, reason: str) -> None:
        self.fallback = f"LanguageTool unavailable ({reason}); used Harper instead"
        self._backend = HarperBackend(self._harper_words())

    def _harper_words(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.words) | {w for w in self.protected if " " not in w}))

    def describe(self) -> str:
        b = self.backend
        text = f"{b.name} ({b.version})"
        if self.fallback:
            text += f"; {self.fallback}"
        return text

    def fallback_note(self) -> Note | None:
        if not self.fallback:
            return None
        return Note("grammar-fallback", self.fallback, Severity.WARNING, STEP)

    def polish(self, text: str) -> tuple[str, list[Change], list[Note]]:
        """Post-edit rules then the backend, on one string."""
        return self.polish_many([text])[0]

    def polish_many(self, texts: Sequence[str]) -> list[tuple[str, list[Change], list[Note]]]:
        """:meth:`polish` on many strings, with the checker called on all of them at once
        (Harper: one call per pass instead of one per sentence and pass)."""
        if self.backend.name != "harper":
            return [self._polish_one(t) for t in texts]
        cur: list[str] = []
        changes: list[list[Change]] = []
        for text in texts:
            made: list[Change] = []
            if "SentenceStart" not in self.disabled:  # before the rules: "in fact we"
                text, made = capitalize_start(text)
            cur.append(text)
            changes.append(made)
        for i, (text, more) in enumerate(apply_postedit_many(cur, self.rules)):
            cur[i] = text
            changes[i].extend(more)
        notes: list[list[Note]] = [[] for _ in texts]
        active = list(range(len(texts)))
        for _round in range(2):
            if not active:
                break
            results = correct_many([cur[i] for i in active], self.backend, self.words,
                                   self.disabled, self.extra_auto, self.protected)
            edited: list[int] = []
            for i, (text, more, found) in zip(active, results, strict=True):
                cur[i], notes[i] = text, found
                changes[i].extend(more)
                if more:
                    edited.append(i)
            # A split word can reveal a post-edit pattern ("Theseproblems has" ->
            # "These problems has"): run the rules again on the checker's output.
            still: list[int] = []
            again_all = apply_postedit_many([cur[i] for i in edited], self.rules)
            for i, (text, again) in zip(edited, again_all, strict=True):
                cur[i] = text
                changes[i].extend(again)
                if again:
                    still.append(i)
            active = still
        return [self._finish(cur[i], changes[i], notes[i]) for i in range(len(texts))]

    def _finish(self, text: str, changes: list[Change],
                notes: list[Note]) -> tuple[str, list[Change], list[Note]]:
        if "SentenceStart" not in self.disabled:
            text, cap = capitalize_start(text)
            changes.extend(cap)
        # Rewrites that would change content are offered, never made.
        return text, changes, suggestions(text, self.rules) + notes

    def _polish_one(self, text: str) -> tuple[str, list[Change], list[Note]]:
        changes: list[Change] = []
        if "SentenceStart" not in self.disabled:
            text, changes = capitalize_start(text)
        text, more = apply_postedit(text, self.rules)
        changes.extend(more)
        notes: list[Note] = []
        for _round in range(2):
            text, more, notes = self._correct(text)
            changes.extend(more)
            if not more:
                break
            text, again = apply_postedit(text, self.rules)
            changes.extend(again)
            if not again:
                break
        return self._finish(text, changes, notes)

    def _correct(self, text: str) -> tuple[str, list[Change], list[Note]]:
        backend = self.backend
        try:
            return correct(text, backend, self.words, self.disabled, self.extra_auto,
                           self.protected)
        except BackendUnavailable as exc:
            with self._lock:
                if self._backend is backend:
                    self._fall_back(str(exc))
            note = self.fallback_note()
            text, changes, notes = correct(text, self.backend, self.words, self.disabled,
                                           self.extra_auto, self.protected)
            if note is not None:
                notes.insert(0, note)
            return text, changes, notes

    def __call__(self, doc: Document) -> Document:
        # Untranslated, not Chinese, or a reviewer's wording: left alone.
        segs = [seg for seg in doc.segments if seg.target is not None and not seg.reviewed]
        for seg, (new, changes, notes) in zip(
                segs, self.polish_many([str(seg.target) for seg in segs]), strict=True):
            seg.target = new
            seg.changes.extend(changes)
            seg.notes.extend(notes)
        doc.run.grammar = self.describe()
        note = self.fallback_note()
        if note is not None:
            doc.run.grammar_fallback = self.fallback
            if not any(n.code == note.code for n in doc.notes):
                doc.notes.append(note)
        return doc


def polish_text(text: str, backend: str = "harper", languagetool_url: str | None = None,
                glossary: Any = None, *, step: GrammarStep | None = None,
                normalize_terms: bool = True) -> tuple[str, list[Change], list[Note]]:
    """Polish one English string: glossary normalisation (when a glossary is given),
    post-edit rules, then the backend. Pass ``step`` to reuse one across calls."""
    step = step or GrammarStep(backend, languagetool_url, glossary)
    changes: list[Change] = []
    gloss = step.glossary if step.glossary is not None else glossary
    if normalize_terms and gloss is not None:
        # Glossary.normalize(text) -> (text, changes); normalize_text may return the text only.
        fn = getattr(gloss, "normalize", None) or getattr(gloss, "normalize_text", None)
        if fn is not None:
            result = fn(text)
            if isinstance(result, tuple):
                text = result[0]
                changes.extend(_as_change(c) for c in result[1])
            else:
                text = str(result)
    text, more, notes = step.polish(text)
    changes.extend(more)
    if step.fallback and not any(n.code == "grammar-fallback" for n in notes):
        note = step.fallback_note()
        if note is not None:
            notes.insert(0, note)
    return text, changes, notes


def polish_texts(texts: Sequence[str], *, step: GrammarStep,
                 normalize_terms: bool = True) -> list[tuple[str, list[Change], list[Note]]]:
    """:func:`polish_text` on many strings with one step, the checker called in batches
    (what `pipeline polish` runs on a document's sentences)."""
    pre: list[tuple[str, list[Change]]] = [_normalize(t, step.glossary, normalize_terms)
                                           for t in texts]
    out = []
    for (_, changes), (text, more, notes) in zip(
            pre, step.polish_many([t for t, _ in pre]), strict=True):
        if step.fallback and not any(n.code == "grammar-fallback" for n in notes):
            note = step.fallback_note()
            if note is not None:
                notes.insert(0, note)
        out.append((text, changes + more, notes))
    return out


def _normalize(text: str, gloss: Any, enabled: bool) -> tuple[str, list[Change]]:
    """Glossary normalisation: wrong renderings to the Amazon term."""
    changes: list[Change] = []
    if enabled and gloss is not None:
        # Glossary.normalize(text) -> (text, changes); normalize_text may return the text only.
        fn = getattr(gloss, "normalize", None) or getattr(gloss, "normalize_text", None)
        if fn is not None:
            result = fn(text)
            if isinstance(result, tuple):
                text = result[0]
                changes.extend(_as_change(c) for c in result[1])
            else:
                text = str(result)
    return text, changes


def _as_change(c: Any) -> Change:
    if isinstance(c, Change):
        return c
    if isinstance(c, dict):
        return Change(str(c.get("rule", "glossary")), str(c.get("before", "")),
                      str(c.get("after", "")), str(c.get("message", "")), STEP)
    return Change("glossary", "", str(c), "glossary normalisation", STEP)
