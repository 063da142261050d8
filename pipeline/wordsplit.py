"""A gated splitter for joined words ("manycases" -> "many cases").

Copying from PDFs and typing in Chinese IMEs glues English words together. Splitting is
only safe under guards, so :func:`split_joined` splits a word only when

  * the grammar checker has already flagged it as misspelt (the caller's gate: a word
    the checker knows is never split);
  * it is a plain word: letters only (an ending "'s"/"’s" is kept aside), no digits, no
    capitals after the first letter (so IDs like B0C1234XYZ, brands like AliExpress,
    AtoZ and acronyms like ASIN or FNSKU are never split), not part of a URL;
  * it is not a protected word (glossary terms, acronyms, brand names);
  * every part is a dictionary word: symspellpy's bundled English frequency dictionary,
    a part of 4+ letters must be common (count >= MIN_COUNT), a part of 1-3 letters must
    be in a short list of function words ("a", "of", "our"...), so "Rcently" (a
    misspelling) does not become "R cent ly".

Candidates: the likeliest segmentation by word frequency (symspellpy's bundled English
frequency dictionary; spaces are only inserted, never a letter changed), the checker's
own suggestions that are splits of the same letters, and, for a word the dictionary
knows only as a rare entry, the best split into two common words. A contraction glued
to the next word ("didn'tknow", "I'mvery") is split after the contraction.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Collection, Iterable
from functools import lru_cache
from importlib import resources

MIN_COUNT = 1_000_000  # corpus count a 4+ letter part needs (the median entry is ~230k)
MAX_PARTS = 3
# Short parts a join may produce: common function and content words of 1-3 letters.
SHORT_WORDS = frozenset("""
a i an am as at be by do go he if in is it me my no of on or so to up us we
all and any are ask bad big box but buy can day did due end few for get got had has her
him his how its let low may new not now off old one our out own pay per put run saw say
see set she the too top try two use was way who why yet you job law tax fee key lot add
act age ago air art car cut far fit fix hit kit log map mix net pack red sea six ten
""".split())

_PLAIN_RE = re.compile(r"^([A-Za-z][a-z]*)((?:['’]s)?)$")
# A contraction glued to the next word: "didn'tknow", "I'mvery", "it'sa".
_CONTRACTION_RE = re.compile(
    r"^([A-Za-z][a-z]*(?:n['’]t|['’](?:s|re|ve|ll|d|m)))([a-z]{2,}(?:['’]s)?)$")
_CONTRACTION_STEMS = frozenset("""
do does did is was are were have has had can could would should must need won ca
i you we they he she it that there what who let
""".split())
RARE_JOIN = 20_000  # a join rarer than this loses to a split into two common words
_lock = threading.Lock()
_counts: dict[str, int] | None = None
_total = 0


def _dictionary() -> dict[str, int]:
    """symspellpy's bundled English frequency dictionary (82,765 words and their corpus
    counts), read once into a dict (~0.1 s; building a SymSpell index took 0.6-10 s)."""
    global _counts, _total
    with _lock:
        if _counts is None:
            path = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt")
            counts: dict[str, int] = {}
            with resources.as_file(path) as p, open(p, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 2 and parts[1].isdigit():
                        counts[parts[0]] = int(parts[1])
            if not counts:
                raise RuntimeError("symspellpy's English dictionary could not be loaded")
            _total = sum(counts.values())
            _counts = counts
        return _counts


_bigrams: dict[str, int] | None = None


def _bigram_dictionary() -> dict[str, int]:
    """symspellpy's bundled English bigram dictionary ("of the" -> corpus count; 242,342
    pairs), read once (~0.3 s) when a spelling correction first needs context."""
    global _bigrams
    with _lock:
        if _bigrams is None:
            path = resources.files("symspellpy").joinpath(
                "frequency_bigramdictionary_en_243_342.txt")
            pairs: dict[str, int] = {}
            with resources.as_file(path) as p, open(p, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[2].isdigit():
                        pairs[f"{parts[0]} {parts[1]}"] = int(parts[2])
            _bigrams = pairs
        return _bigrams


def bigram_count(first: str, second: str) -> int:
    """The corpus count of the word pair (lower-cased) in the bigram dictionary, 0 if absent."""
    table = _bigrams if _bigrams is not None else _bigram_dictionary()
    return table.get(f"{first.lower()} {second.lower()}", 0)


_bigram_total = 0


def pair_pmi(first: str, second: str) -> float:
    """log10 of P(first second) / (P(first) P(second)): how much likelier the two words
    are together than apart ("great deal": 2.7), never below 0: a pair the bigram
    dictionary does not list, or lists below chance, counts 0 (it lists only frequent
    pairs, so a penalty would favour rare words over common ones)."""
    global _bigram_total
    table = _bigrams if _bigrams is not None else _bigram_dictionary()
    n = table.get(f"{first.lower()} {second.lower()}", 0)
    a, b = word_count(first), word_count(second)
    if n <= 0 or a <= 0 or b <= 0:
        return 0.0
    if not _bigram_total:
        _bigram_total = sum(table.values())
    return max(0.0, math.log10((n / _bigram_total) / ((a / _total) * (b / _total))))


def word_count(word: str) -> int:
    """The corpus count of ``word`` (lower-cased) in the frequency dictionary, 0 if absent."""
    return (_counts if _counts is not None else _dictionary()).get(word.lower(), 0)


def is_plain_word(word: str) -> bool:
    """Letters only (plus a final 's), at most an initial capital: a splittable shape."""
    return _PLAIN_RE.match(word) is not None


def is_splittable(word: str) -> bool:
    """A plain word, or a contraction glued to a plain word ("didn'tknow")."""
    return is_plain_word(word) or _CONTRACTION_RE.match(word) is not None


def _valid_part(part: str) -> bool:
    low = part.lower()
    if not part.isalpha():
        return False
    if len(low) == 1:  # "interestion" is not "interest i on"
        return part in ("a", "A", "I")
    if len(low) <= 3:
        return low in SHORT_WORDS
    return word_count(low) >= MIN_COUNT


def valid_split(word: str, candidate: str) -> bool:
    """True if ``candidate`` is ``word`` with spaces added and every part a common word."""
    parts = candidate.split()
    if not 2 <= len(parts) <= MAX_PARTS or "".join(parts) != word:
        return False
    return all(_valid_part(p) for p in parts)


def split_log_p(split: str) -> float:
    """log10 probability of a split ("many cases"): the sum over its words."""
    return sum(log_p(w) for w in re.split(r"\s+", re.sub(r"['’]s$", "", split.strip())) if w)


def log_p(word: str) -> float:
    """log10 probability of a word in the corpus; unknown words get a length penalty."""
    counts = _dictionary()
    c = counts.get(word.lower(), 0)
    if c:
        return math.log10(c / _total)
    return math.log10(10.0 / (_total * 10 ** len(word)))


@lru_cache(maxsize=4096)
def segment(stem: str) -> str:
    """The likeliest way to write ``stem`` as words (spaces inserted, letters unchanged):
    the split with the highest product of word probabilities (Viterbi over positions)."""
    n = len(stem)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(-math.inf, 0)] * n
    for j in range(1, n + 1):
        for i in range(max(0, j - 24), j):
            score = best[i][0] + log_p(stem[i:j])
            if score > best[j][0]:
                best[j] = (score, i)
    parts: list[str] = []
    j = n
    while j > 0:
        i = best[j][1]
        parts.append(stem[i:j])
        j = i
    return " ".join(reversed(parts))


def _rare_join_split(stem: str) -> str | None:
    """A two-part split of a word the dictionary has only as a rare entry, when both
    parts are common and together far likelier than the join ("wehave" is in the web
    corpus as a word; "we have" is what was meant)."""
    join = word_count(stem)
    if join == 0 or join >= RARE_JOIN:
        return None
    counts = _dictionary()
    best: tuple[float, str] | None = None
    for i in range(1, len(stem)):
        a, b = stem[:i], stem[i:]
        if not (_valid_part(a) and _valid_part(b)):
            continue
        p = math.log10(counts.get(a.lower(), 1)) + math.log10(counts.get(b.lower(), 1)) \
            - math.log10(_total)
        if best is None or p > best[0]:
            best = (p, f"{a} {b}")
    if best is None or best[0] < math.log10(join) + 2:
        return None
    return best[1]


def _lowered(protected: Collection[str]) -> frozenset[str]:
    if isinstance(protected, frozenset):
        return _lowered_cached(protected)
    return frozenset(p.lower() for p in protected)


@lru_cache(maxsize=16)
def _lowered_cached(protected: frozenset[str]) -> frozenset[str]:
    return frozenset(p.lower() for p in protected)


def split_joined(word: str, protected: Collection[str] = (),
                 suggestions: Iterable[str] = ()) -> str | None:
    """The split form of a joined ``word`` ("informcustomer’s" -> "inform customer’s",
    "didn'tknow" -> "didn't know").

    Returns None when the word must not or cannot be split. Call it only for words the
    checker flagged as misspelt. ``protected`` holds words never to touch (compared
    case-sensitively and lower-cased: glossary terms such as "chargeback");
    ``suggestions`` are the checker's own replacements, used when they are a valid split
    of the same letters.
    """
    if word in protected or word.lower() in _lowered(protected):
        return None
    c = _CONTRACTION_RE.match(word)
    if c is not None:
        head, tail = c.group(1), c.group(2)
        stem = re.split(r"['’]", head)[0].lower()
        if stem in _CONTRACTION_STEMS or head.lower().endswith(("n't", "n’t")) and \
                stem[:-1] in _CONTRACTION_STEMS:
            bare = re.sub(r"['’]s$", "", tail)
            if _valid_part(bare) or word_count(bare) >= 100_000:
                return f"{head} {tail}"
        return None
    m = _PLAIN_RE.match(word)
    if m is None or len(word) < 4:
        return None
    stem, suffix = m.group(1), m.group(2)
    if len(stem) < 4:
        return None
    candidates = [segment(stem)]
    for s in suggestions:
        if suffix and s.endswith(suffix):
            s = s[: -len(suffix)]
        candidates.append(s)
    rare = _rare_join_split(stem)
    if rare is not None:
        candidates.append(rare)
    for cand in candidates:
        if valid_split(stem, cand):
            return cand + suffix
    return None
