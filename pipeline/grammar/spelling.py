"""Spelling candidates ranked by word frequency and the neighbouring words, and the
capitalisation checks a fix must pass."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

from .. import wordsplit
from ..document import Change
from ..postedit import (
    edit_context,
)
from .backends import STEP, Finding
from .guards import at_sentence_start


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

