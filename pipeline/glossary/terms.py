"""Glossary entries (``Term``) and the text folding their keys are built on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..cjk import HAN_RE

STEP = "glossary"

# Header names (case-insensitive) and the field each one fills; aliases make hand-made
# spreadsheets work without renaming columns.
COLUMN_ALIASES: dict[str, str] = {
    "zh_variants": "zh", "zh": "zh", "chinese": "zh", "中文": "zh",
    "canonical": "canonical", "canonical_en": "canonical", "english": "canonical",
    "en": "canonical", "英文": "canonical",
    "acronym": "acronym", "缩写": "acronym",
    "wrong_renderings": "wrong", "wrong": "wrong", "wrong_en": "wrong",
    "priority": "priority", "优先级": "priority",
    "note": "note", "notes": "note", "备注": "note",
    "allowed": "allowed", "allowed_renderings": "allowed", "alternatives": "allowed",
    "plural": "plural", "复数": "plural",
    "ref": "ref", "source": "ref", "reference": "ref", "来源": "ref", "出处": "ref",
}
TSV_COLUMNS = ["zh_variants", "canonical", "acronym", "wrong_renderings", "priority", "note",
               "allowed", "plural", "ref"]
PRIORITIES = ("normal", "low")
NO_PLURAL = "-"  # the plural column's marker for "this term has no plural form"
# Lower-case words a capitalised name may contain ("Fulfillment by Amazon", "Plan of Action").
_NAME_MINOR = frozenset("a an and as at by for from in of on or the to with".split())

_SEP_RE = re.compile(r"[|｜]")  # the full-width bar is what a Chinese IME types
_WS_RE = re.compile(r"\s+")
_ALNUM = r"A-Za-z0-9"
_CJK_RE = HAN_RE
# Full-width ASCII (Ａ-ｚ, ０-９...) and odd spaces fold to plain ASCII, one char for one
# char, so match offsets still point into the original text.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
_END = ""  # trie key marking "a variant ends here" (never a character)


def _squash(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _fold_lower(text: str) -> str:
    """Fold and lower-case without changing the length (a few characters lower to two)."""
    folded = _fold(text)
    low = folded.lower()
    if len(low) == len(folded):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in folded)


def zh_key(variant: str) -> str:
    """The identity of a Chinese variant: duplicates and overrides compare these."""
    return _fold_lower(_squash(variant))


def _en_key(text: str) -> str:
    return _squash(text).lower()


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Term:
    """One glossary entry. ``source``/``line`` say where it was defined (for messages)."""

    zh_variants: tuple[str, ...]
    canonical: str
    acronym: str = ""
    wrong_renderings: tuple[str, ...] = ()  # replaced wherever they occur in English
    note: str = ""
    priority: str = "normal"  # "low": ambiguous Chinese; no term-missing warning
    # Wrong only where this term is in the source (too common to replace everywhere);
    # written with a leading "?" in the wrong_renderings column.
    flag_renderings: tuple[str, ...] = ()
    # Correct English other than the canonical form (word forms aside): QA accepts them
    # where the term is in the source ("returned items" for 退货商品). Never rewritten.
    allowed: tuple[str, ...] = ()
    source: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    # Where the term comes from (a URL or a source's name): documentation only.
    ref: str = ""
    # "" derives the plural (a capitalised name has none, see plural_form); NO_PLURAL ("-")
    # says the term has none; any other text is the plural form ("Plans of Action").
    plural: str = ""

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.source else "(glossary)"

    def to_dict(self) -> dict[str, Any]:
        return {"zh_variants": list(self.zh_variants), "canonical": self.canonical,
                "acronym": self.acronym, "wrong_renderings": list(self.wrong_renderings),
                "flag_renderings": list(self.flag_renderings), "allowed": list(self.allowed),
                "priority": self.priority, "plural": self.plural, "ref": self.ref,
                "note": self.note, "source": self.source, "line": self.line}

    @property
    def is_name(self) -> bool:
        """A capitalised name of two words or more ("Account Health", "Fulfillment by
        Amazon"): every word with letters starts with a capital, small linking words aside."""
        words = self.canonical.split(" ")
        return len(words) >= 2 and all(
            w[:1].isupper() or w in _NAME_MINOR or not any(c.isalpha() for c in w)
            for w in words)

    @property
    def plural_form(self) -> str | None:
        """The term's plural, or None when it has none: the ``plural`` column when set,
        else none for a capitalised name and the usual English plural for the rest."""
        if self.plural == NO_PLURAL:
            return None
        if self.plural:
            return self.plural
        if self.is_name:
            return None
        plural = _plural_phrase(self.canonical)
        return None if plural == self.canonical and not self.canonical.endswith("s") \
            else plural


def _has_edges(text: str) -> bool:
    """True when the text starts and ends with a letter or digit (word-boundary matchable)."""
    return bool(text) and text[0].isalnum() and text[-1].isalnum()


def _pluralize(word: str) -> str:
    if word.endswith("s"):
        return word  # canonical already plural ("corrective actions")
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def _plural_phrase(phrase: str) -> str:
    """Plural of a term: "claim" -> "claims", "Plan of Action" -> "Plans of Action";
    "Fulfillment by Amazon" has none."""
    words = phrase.split(" ")
    for i, w in enumerate(words):
        if i and w in ("by", "as"):
            return phrase
        if i and w in ("of", "for"):
            words[i - 1] = _pluralize(words[i - 1])
            return " ".join(words)
    words[-1] = _pluralize(words[-1])
    return " ".join(words)
