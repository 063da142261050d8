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

Candidates come from symspellpy ``word_segmentation`` with ``max_edit_distance=0`` (it
only inserts spaces, never changes a letter), then the checker's own suggestions that
are splits of the same letters.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterable
from importlib import resources
from typing import Any

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
_lock = threading.Lock()
_symspell: Any = None


def _dictionary() -> Any:
    """symspellpy with its bundled English frequency dictionary, loaded once (~0.6 s)."""
    global _symspell
    with _lock:
        if _symspell is None:
            from symspellpy import SymSpell

            sym = SymSpell(max_dictionary_edit_distance=0, prefix_length=7)
            path = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt")
            with resources.as_file(path) as p:
                if not sym.load_dictionary(str(p), term_index=0, count_index=1):
                    raise RuntimeError("symspellpy's English dictionary could not be loaded")
            _symspell = sym
        return _symspell


def word_count(word: str) -> int:
    """The corpus count of ``word`` (lower-cased) in the frequency dictionary, 0 if absent."""
    return int(_dictionary().words.get(word.lower(), 0))


def is_plain_word(word: str) -> bool:
    """Letters only (plus a final 's), at most an initial capital: a splittable shape."""
    return _PLAIN_RE.match(word) is not None


def _valid_part(part: str) -> bool:
    low = part.lower()
    if not part.isalpha():
        return False
    if len(low) <= 3:
        return low in SHORT_WORDS
    return word_count(low) >= MIN_COUNT


def valid_split(word: str, candidate: str) -> bool:
    """True if ``candidate`` is ``word`` with spaces added and every part a common word."""
    parts = candidate.split()
    if not 2 <= len(parts) <= MAX_PARTS or "".join(parts) != word:
        return False
    return all(_valid_part(p) for p in parts)


def split_joined(word: str, protected: Collection[str] = (),
                 suggestions: Iterable[str] = ()) -> str | None:
    """The split form of a joined ``word`` ("informcustomer’s" -> "inform customer’s").

    Returns None when the word must not or cannot be split. Call it only for words the
    checker flagged as misspelt. ``protected`` holds words never to touch (compared
    case-sensitively and lower-cased); ``suggestions`` are the checker's own
    replacements, used when they are a valid split of the same letters.
    """
    m = _PLAIN_RE.match(word)
    if m is None or len(word) < 4:
        return None
    if word in protected or word.lower() in {p.lower() for p in protected}:
        return None
    stem, suffix = m.group(1), m.group(2)
    if len(stem) < 4:
        return None
    candidates: list[str] = []
    seg = _dictionary().word_segmentation(stem, max_edit_distance=0)
    candidates.append(seg.corrected_string)
    for s in suggestions:
        if suffix and s.endswith(suffix):
            s = s[: -len(suffix)]
        candidates.append(s)
    for cand in candidates:
        if valid_split(stem, cand):
            return cand + suffix
    return None
