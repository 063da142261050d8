"""Finding terms: the Chinese detection trie, English rendering patterns and the
term check (``term_problems``) shared by the glossary step and QA."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..document import Severity, TermHit
from ..errors import GlossaryError
from .terms import (
    _ALNUM,
    _CJK_RE,
    _END,
    Term,
    _fold,
    _fold_lower,
    _is_ascii_alnum,
    _squash,
    zh_key,
)

# --------------------------------------------------------------------------- matching

@dataclass(frozen=True)
class _Variant:
    term: int  # index into Glossary.terms
    exact: str | None  # folded form that must match case-sensitively, or None
    latin_start: bool  # starts with an ASCII letter/digit: needs a boundary before
    latin_end: bool
    rank: int  # 1 normal, 0 low


def _case_sensitive(variant: str) -> bool:
    """Short all-caps acronyms ("FBA", "ODR", "A-Z索赔") must match in capitals: "odr"
    or "Fba" inside ordinary text is something else."""
    letters = [c for c in _fold(variant) if c.isascii() and c.isalpha()]
    return bool(letters) and len(letters) <= 5 and all(c.isupper() for c in letters)


def _spacing_forms(variant: str) -> list[str]:
    """Chinese writers put a space between Latin and Chinese or not ("FBA 仓"/"FBA仓")."""
    cuts = [i for i in range(1, len(variant))
            if (_is_ascii_alnum(variant[i - 1]) and _CJK_RE.match(variant[i]))
            or (_CJK_RE.match(variant[i - 1]) and _is_ascii_alnum(variant[i]))][:3]
    forms = [variant]
    for mask in range(1, 1 << len(cuts)):
        s = variant
        for bit, cut in reversed(list(enumerate(cuts))):
            if mask >> bit & 1:
                s = s[:cut] + " " + s[cut:]
        forms.append(s)
    return forms


_BULLET_RE = re.compile(r"^\s*(?:[-–—•*·▪●○◦]|\(?\d{1,3}[.)、]|\(?[A-Za-z][.)])?\s*[\"'“‘(\[]*\s*$")


def _sentence_start(text: str, i: int) -> str:
    """"punct" after . ! ?, "line" at the start of a line or list item, else ""."""
    before = text[:i]
    stripped = before.rstrip().rstrip("\"'“‘([")
    if stripped.endswith((".", "!", "?")):
        return "punct"
    if _BULLET_RE.match(before[before.rfind("\n") + 1:]):
        return "line"
    return ""


def _phrase_re(phrase: str) -> str:
    return r"\s+".join(re.escape(p) for p in phrase.split(" "))


def _caps_line(text: str, start: int, end: int) -> bool:
    """True when the match sits in an all-caps line (a heading), not just shouted words."""
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    letters = [c for c in text[a:b if b >= 0 else len(text)] if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _shape(replacement: str, before: str, start: str, caps: bool = False) -> str:
    """Give the replacement the case its place needs: all caps in an all-caps heading; a
    capital at a sentence start (at a line start only if the writer used one)."""
    if caps:
        return replacement.upper()
    if replacement[:1].islower() and (start == "punct"
                                      or (start == "line" and before[:1].isupper())):
        return replacement[:1].upper() + replacement[1:]
    return replacement


# Word forms for the term checks: "listed" is also "list", "lists", "listing", "relisted";
# "return" also "returned", "returns"; "reinstate" also "reinstatement"; "retraction"
# also "retract". Words of fewer than four letters and words with digits or capitals
# inside (ASIN, A-to-z) match as is (plus a plural s).
_FILLER = r"(?:\s+(?:of|the|our|its|their|this|these|those|that|for|a|an|all|every|each|any|" \
    r"new|his|her|your|my)){0,2}"


def _bases(word: str) -> set[str]:
    """Possible base forms of a (possibly inflected) lower-case word."""
    bases = {word}
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""),
                         ("ed", "e"), ("es", ""), ("s", ""), ("ment", ""), ("ments", ""),
                         ("ion", ""), ("ion", "e"), ("ions", ""), ("ions", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)] + repl
            if suffix in ("ing", "ed") and len(stem) >= 4 and stem[-1] == stem[-2] \
                    and stem[-1] not in "aeiouls":
                stem = stem[:-1]  # shipped -> ship
            bases.add(stem)
    if word.endswith("ss"):
        bases.discard(word[:-1])
    return bases


def _forms(base: str) -> set[str]:
    forms = {base, base + "s", base + "es", base + "ed", base + "ing", base + "ment",
             base + "ments"}
    if base.endswith("e"):
        forms |= {base + "d", base[:-1] + "ing", base[:-1] + "ion", base[:-1] + "ions"}
    elif base.endswith(("ct", "ss", "rt", "pt")):
        forms |= {base + "ion", base + "ions"}  # retract -> retraction
    if base.endswith("y") and len(base) > 3 and base[-2] not in "aeiou":
        forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    if len(base) >= 3 and base[-1] not in "aeiouwxy" and base[-2] in "aeiou" \
            and base[-3] not in "aeiou":
        forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}  # ship -> shipped
    return forms


def _word_re(word: str) -> str:
    if len(word) < 4 or not word.isalpha() or any(c.isupper() for c in word[1:]):
        return re.escape(word) + ("(?:e?s)?" if word.isalpha() else "")
    forms: set[str] = set()
    for b in _bases(word.lower()):
        forms |= _forms(b)
    alts = "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f)))
    return f"(?:re-?)?(?:{alts})"


def rendering_re(phrase: str) -> re.Pattern[str]:
    """Case-insensitive pattern for an English rendering that accepts word forms of each
    word (list/listed/listing/relisted) and a small word in between ("reinstatement of
    our selling privileges" for "reinstate selling privileges")."""
    return _rendering_re(_squash(phrase))


@lru_cache(maxsize=2048)
def _rendering_re(phrase: str) -> re.Pattern[str]:
    words = [w for w in re.split(r"[\s\-]+", phrase) if w]
    if not words:
        return re.compile(r"(?!x)x")
    body = _word_re(words[0]) + "".join(_FILLER + r"[\s\-]+" + _word_re(w) for w in words[1:])
    return re.compile(rf"(?<![{_ALNUM}]){body}(?![{_ALNUM}])", re.IGNORECASE)


@dataclass(frozen=True)
class TermProblem:
    """A source term whose English is wrong (code "term-wrong") or missing ("term-missing")."""

    code: str
    hit: TermHit
    term: Term
    # The wrong rendering seen: term-wrong, or term-missing for an ambiguous (low
    # priority) source word whose flagged rendering may be meant ("links" for 链接).
    found: str = ""

    @property
    def severity(self) -> Severity:
        return Severity.ERROR if self.code == "term-wrong" else Severity.WARNING

    @property
    def message(self) -> str:
        if self.code == "term-missing" and self.found:
            return (f"glossary: “{self.found}” for “{self.hit.source}”: if it means "
                    f"“{self.term.canonical}”, write that (Amazon's term)")
        if self.code == "term-wrong":
            return (f"glossary: “{self.found}” is not Amazon's term for “{self.hit.source}”: "
                    f"use “{self.term.canonical}”")
        return (f"glossary: “{self.hit.source}” should be “{self.term.canonical}”"
                + (f" ({self.term.acronym})" if self.term.acronym else "")
                + ", not found in the English")




class Matcher:
    """Detection and term checks of a :class:`~pipeline.glossary.Glossary`."""

    terms: list[Term]
    _en_patterns: dict[str, re.Pattern[str]]

    # ----------------------------------------------------------------- detection

    def _build_detector(self) -> None:
        self._trie: dict[str, Any] = {}
        self._by_key: dict[str, int] = {}
        for ti, term in enumerate(self.terms):
            rank = 0 if term.priority == "low" else 1
            for variant in term.zh_variants:
                key = zh_key(variant)
                if key in self._by_key:
                    other = self.terms[self._by_key[key]]
                    raise GlossaryError(f"{term.where}: duplicate Chinese term '{variant}' "
                                        f"(already at {other.where})")
                for n, form in enumerate(_spacing_forms(_squash(variant))):
                    fkey = _fold_lower(form)
                    if n and fkey in self._by_key:
                        continue  # a generated spacing form never beats a listed variant
                    self._by_key[fkey] = ti
                    entry = _Variant(ti, _fold(form) if _case_sensitive(form) else None,
                                     _is_ascii_alnum(fkey[0]), _is_ascii_alnum(fkey[-1]), rank)
                    node = self._trie
                    for ch in fkey:
                        node = node.setdefault(ch, {})
                    node.setdefault(_END, []).append(entry)

    def detect(self, text: str, *, include_low: bool = True) -> list[TermHit]:
        """Every glossary term in ``text``, in order, never overlapping; longest wins.

        Latin variants match on word boundaries only ("FBA" is not in "FBAX"); short
        all-caps ones case-sensitively. Runs on the joined paragraph text, so a term split
        across formatting runs is still found.
        """
        if not text or not self._trie:
            return []
        folded = _fold_lower(text)
        exact = _fold(text)
        n = len(folded)
        root = self._trie
        cands: list[tuple[int, int, int, int, int]] = []
        for i in range(n):
            node = root.get(folded[i])
            j = i + 1
            while node is not None:
                ends = node.get(_END)
                if ends:
                    for v in ends:
                        if not include_low and v.rank == 0:
                            continue
                        if v.exact is not None and exact[i:j] != v.exact:
                            continue
                        if v.latin_start and i > 0 and _is_ascii_alnum(folded[i - 1]):
                            continue
                        if v.latin_end and j < n and _is_ascii_alnum(folded[j]):
                            continue
                        cands.append((j - i, v.rank, i, j, v.term))
                if j >= n:
                    break
                node = node.get(folded[j])
                j += 1
        if not cands:
            return []
        cands.sort(key=lambda c: (-c[0], -c[1], c[2]))
        taken = bytearray(n)
        chosen: list[tuple[int, int, int]] = []
        for _, _, i, j, ti in cands:
            if any(taken[i:j]):
                continue
            taken[i:j] = b"\x01" * (j - i)
            chosen.append((i, j, ti))
        chosen.sort()
        return [TermHit(i, j, text[i:j], self.terms[ti].canonical, self.terms[ti].acronym)
                for i, j, ti in chosen]

    def term_for(self, hit: TermHit) -> Term:
        """The entry a hit came from (by its matched text, then by its canonical form)."""
        ti = self._by_key.get(_fold_lower(_squash(hit.source)))
        if ti is not None:
            return self.terms[ti]
        for t in self.terms:
            if t.canonical == hit.canonical and t.acronym == hit.acronym:
                return t
        raise KeyError(f"no glossary entry for {hit.source!r} ({hit.canonical})")


    def en_pattern(self, phrase: str) -> re.Pattern[str]:
        """Case-insensitive, plural-tolerant whole-word pattern for an English phrase."""
        key = _squash(phrase)
        pat = self._en_patterns.get(key)
        if pat is None:
            pat = re.compile(rf"(?<![{_ALNUM}]){_phrase_re(key)}(?:e?s)?(?![{_ALNUM}])",
                             re.IGNORECASE)
            self._en_patterns[key] = pat
        return pat

    # ----------------------------------------------------------------- term checks

    def accepted_spans(self, term: Term, english: str) -> list[tuple[int, int]]:
        """Where ``english`` renders ``term`` acceptably: the canonical form or an
        ``allowed`` alternative in any word form, or the acronym."""
        spans = [m.span() for phrase in (term.canonical, *term.allowed) if phrase
                 for m in rendering_re(phrase).finditer(english)]
        if term.acronym:
            spans += [m.span() for m in re.finditer(
                rf"(?<![{_ALNUM}]){re.escape(term.acronym)}s?(?![{_ALNUM}])", english)]
        return spans

    def term_problems(self, hits: Iterable[TermHit], english: str) -> list[TermProblem]:
        """The term-check logic, one home for the glossary step and QA. For each source
        term (once per canonical form):

        - "term-wrong" when a wrong rendering is used that is not inside an accepted
          rendering, or a flagged rendering while no accepted rendering is there at all
          ("returned goods" has "returned": accepted for 退货);
        - else "term-missing" when no accepted rendering is there (not for low-priority
          terms, whose flagged renderings are only a "term-missing" warning: the
          ambiguous Chinese may mean them)."""
        problems: list[TermProblem] = []
        seen: set[str] = set()
        for hit in hits:
            if not hit.canonical:
                continue
            try:
                term = self.term_for(hit)
            except KeyError:
                term = Term((hit.source,), hit.canonical, hit.acronym)
            if term.canonical in seen:
                continue
            seen.add(term.canonical)
            accepted = self.accepted_spans(term, english)
            wrong = wrong_kind = ""
            for kind, renderings in (("replace", term.wrong_renderings),
                                     ("flag", term.flag_renderings)):
                for w in renderings:
                    for m in self.en_pattern(w).finditer(english):
                        # A replaceable wrong rendering is excused only inside an accepted
                        # one; a flagged one (a common word) wherever the term is rendered.
                        if kind == "flag" and accepted:
                            break  # a common word, used in another sense
                        if not any(a <= m.start() and m.end() <= b for a, b in accepted):
                            wrong, wrong_kind = m.group(0), kind
                            break
                    if wrong:
                        break
                if wrong:
                    break
            if wrong and term.priority == "low" and wrong_kind == "flag":
                # An ambiguous source word (链接 is a listing or a real link): the flagged
                # rendering may be the right meaning, so it is a warning, not an error.
                problems.append(TermProblem("term-missing", hit, term, wrong))
            elif wrong:
                problems.append(TermProblem("term-wrong", hit, term, wrong))
            elif not accepted and term.priority != "low":
                problems.append(TermProblem("term-missing", hit, term))
        return problems
