"""Grammar backends behind one interface (``check(text) -> [Finding]``): Harper (in-process),
a LanguageTool server, or none; the rule tables that say which findings may be applied, and
the file-descriptor guard that keeps Harper's stdout chatter out of the output."""

from __future__ import annotations

import bisect
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..document import Severity

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

