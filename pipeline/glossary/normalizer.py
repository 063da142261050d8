"""Rewriting wrong English renderings of glossary terms (``Glossary.fix_renderings``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..document import Change
from .matcher import _caps_line, _phrase_re, _sentence_start, _shape
from .terms import _ALNUM, STEP, Term, _en_key, _has_edges, _squash

if TYPE_CHECKING:
    from .core import Glossary

class Normalizer:
    """English-side normalisation of a :class:`~pipeline.glossary.Glossary`."""

    terms: list[Term]

    def _build_normalizer(self) -> None:
        # key (lower-case, single spaces) -> (term index, "wrong" | "canonical"). Canonical
        # forms are in the same regex so that text already right is consumed as a whole
        # and never rewritten again ("A-to-z Guarantee claim" is not re-expanded).
        table: dict[str, tuple[int, str]] = {}
        for ti, t in enumerate(self.terms):
            if _has_edges(t.canonical):
                table.setdefault(_en_key(t.canonical), (ti, "canonical"))
        for ti, t in enumerate(self.terms):
            for w in t.wrong_renderings:
                table[_en_key(w)] = (ti, "wrong")  # a later (user) entry wins
        self._norm_table = table
        # Forms whose repetition in brackets is collapsed: every canonical, wrong rendering
        # and acronym, keyed to its term; an acronym in brackets is never a repeat.
        keys: dict[str, int] = {k: ti for k, (ti, _) in table.items()}
        acr: dict[int, str] = {}
        for ti, t in enumerate(self.terms):
            if t.acronym and _has_edges(t.acronym):
                keys.setdefault(_en_key(t.acronym), ti)
                acr[ti] = _en_key(t.acronym)
        self._repeat_keys = keys
        self._repeat_acr = acr
        if keys:
            forms = "|".join(_phrase_re(k) for k in sorted(keys, key=lambda k: (-len(k), k)))
            self._repeat_re: re.Pattern[str] | None = re.compile(
                rf"(?<![{_ALNUM}])(?P<a>{forms})(?P<apl>(?:e?s)?)[ \t]*[(（][ \t]*"
                rf"(?P<b>{forms})(?:e?s)?[ \t]*[)）](?![{_ALNUM}])", re.IGNORECASE | re.ASCII)
        else:
            self._repeat_re = None
        if not table:
            self._norm_re: re.Pattern[str] | None = None
            return
        alts = sorted(table, key=lambda k: (-len(k), k))
        self._norm_re = re.compile(
            rf"(?<![{_ALNUM}])({'|'.join(_phrase_re(a) for a in alts)})((?:e?s)?)(?![{_ALNUM}])",
            re.IGNORECASE | re.ASCII)

    def _lookup(self, core: str) -> tuple[int, str] | None:
        return self._norm_table.get(_en_key(core))

    def _canonical_fix(self, core: str, canonical: str) -> str | None:
        """Case repair of a canonical form: only for names with inner capitals, and only
        where the writer used inner capitals too ("A-to-Z Guarantee Claim" ->
        "A-to-z Guarantee claim"); plain lower case is left alone."""
        if _squash(core) == canonical:
            return None
        if not any(c.isupper() for c in canonical[1:]):
            return None
        if not any(c.isupper() for c in core[1:]):
            return None
        if core[:1].isupper():  # sentence start or title: keep the writer's capital
            canonical = canonical[:1].upper() + canonical[1:]
        return None if canonical == _squash(core) else canonical

    def _extend(self, text: str, start: int, end: int, plural: str, canonical: str,
                floor: int) -> tuple[int, int, str]:
        """Swallow words the canonical form already has next to the wrong rendering, so
        "AtoZ claims" becomes "A-to-z Guarantee claims", not "... claim claims", and
        "Amazon brand filing" becomes "Amazon Brand Registry", not "Amazon Amazon ..."."""
        words = canonical.split(" ")
        flags = re.IGNORECASE | re.ASCII
        if not plural:
            for k in range(len(words) - 1, 0, -1):
                tail = re.compile(r"\s+" + _phrase_re(" ".join(words[-k:]))
                                  + rf"((?:e?s)?)(?![{_ALNUM}])", flags)
                m = tail.match(text, end)
                if m:
                    end, plural = m.end(), m.group(1)
                    break
        for k in range(len(words) - 1, 0, -1):
            head = re.compile(rf"(?<![{_ALNUM}])" + _phrase_re(" ".join(words[:k])) + r"\s+\Z",
                              flags)
            m = head.search(text, floor, start)
            if m:
                start = m.start()
                break
        return start, end, plural

    def fix_renderings(self, english: str) -> tuple[str, list[Change]]:
        """Replace wrong renderings with canonical terms; one Change per replacement."""
        if not english or self._norm_re is None:
            return english, []
        out: list[str] = []
        changes: list[Change] = []
        pos = 0
        for m in self._norm_re.finditer(english):
            if m.start() < pos:
                continue  # inside a span an earlier replacement swallowed
            found = self._lookup(m.group(1))
            if found is None:
                continue
            ti, kind = found
            term = self.terms[ti]
            if kind == "canonical":
                start, end, plural = m.start(), m.end(), m.group(2)
                caps = _caps_line(english, start, end)
                fixed = None if caps else self._canonical_fix(m.group(1), term.canonical)
                if plural and term.plural_form != term.canonical + plural.lower():
                    # "Fulfillment by Amazons" (a name has no plural), "Plan of Actions"
                    # (the plural is "Plans of Action"): the engine's context added an "s".
                    form = term.plural_form
                    if form is None:
                        replacement = fixed or m.group(1)
                        message = f"“{term.canonical}” is a name: it has no plural"
                    else:
                        replacement = _shape(form, m.group(1), _sentence_start(english, start),
                                             caps)
                        message = f"the plural of “{term.canonical}” is “{form}”"
                elif fixed is None:
                    continue
                else:
                    replacement = fixed + plural
                    message = f"the Amazon term is written “{term.canonical}”"
            else:
                start, end, plural = self._extend(english, m.start(), m.end(), m.group(2),
                                                  term.canonical, pos)
                base = (term.plural_form or term.canonical) if plural else term.canonical
                before = english[start:end]
                replacement = _shape(base, before, _sentence_start(english, start),
                                     _caps_line(english, start, end))
                message = f"“{before}” is not Amazon's term: “{term.canonical}”"
            before = english[start:end]
            if replacement == before:
                continue
            out.append(english[pos:start])
            out.append(replacement)
            changes.append(Change(f"glossary:{term.canonical}", before, replacement, message, STEP))
            pos = end
        if changes:
            out.append(english[pos:])
            english = "".join(out)
        english, more = self.collapse_repeats(english)
        return english, changes + more

    def collapse_repeats(self, english: str) -> tuple[str, list[Change]]:
        """Say a term once: "A-to-z Guarantee claim (A-to-z Guarantee claim)" becomes
        "A-to-z Guarantee claim". The Chinese often gives a term with its Latin form in
        brackets (亚马逊交易保障索赔（A-to-Z 索赔）), and both become the same English.
        "Order Defect Rate (ODR)" (a term and its acronym) is left as it is."""
        if not english or "(" not in english and "（" not in english:
            return english, []
        if self._repeat_re is None:
            return english, []
        out: list[str] = []
        changes: list[Change] = []
        pos = 0
        for m in self._repeat_re.finditer(english):
            first, second = m.group("a"), m.group("b")
            if _en_key(first) != _en_key(second):
                a, b = self._repeat_keys.get(_en_key(first)), self._repeat_keys.get(_en_key(second))
                if a is None or a != b or _en_key(second) == self._repeat_acr.get(a):
                    continue  # different terms, or "term (ACRONYM)"
            keep = first + m.group("apl")
            out.append(english[pos:m.start()])
            out.append(keep)
            changes.append(Change("glossary:repeat", m.group(0), keep,
                                  f"the term is said once: “{keep}”", STEP))
            pos = m.end()
        if not changes:
            return english, []
        out.append(english[pos:])
        return "".join(out), changes

    def fix_renderings_text(self, english: str) -> str:
        return self.fix_renderings(english)[0]

    def wrong_renderings_in(self, english: str) -> list[tuple[Term, str]]:
        """Wrong renderings (the replaceable ones) present in ``english``, in order."""
        if not english or self._norm_re is None:
            return []
        found: list[tuple[Term, str]] = []
        for m in self._norm_re.finditer(english):
            hit = self._lookup(m.group(1))
            if hit is not None and hit[1] == "wrong":
                found.append((self.terms[hit[0]], m.group(0)))
        return found



    def dictionary_words(self) -> list[str]:
        """Acronyms and oddly-cased words for a spelling checker's user dictionary."""
        words: set[str] = set()
        for t in self.terms:
            if t.acronym:
                words.add(t.acronym)
            # Latin Chinese-column variants only when all capitals (FBM, MFN): "AtoZ" is
            # a form the checker should keep flagging.
            sources = [t.canonical] + [v for v in t.zh_variants
                                       if re.fullmatch(r"[A-Z0-9]+", v)]
            for s in sources:
                for tok in re.findall(r"[A-Za-z0-9](?:[A-Za-z0-9'\-]*[A-Za-z0-9])?", s):
                    inner_caps = sum(c.isupper() for c in tok) >= 2
                    mixed = "-" in tok and any(c.isupper() for c in tok) \
                        and any(c.islower() for c in tok.split("-")[-1])
                    wrong = self._norm_table.get(_en_key(tok), (0, ""))[1] == "wrong"
                    if (inner_caps or mixed or any(c.isdigit() for c in tok)) and not wrong:
                        words.add(tok)
        return sorted(words, key=lambda w: (w.lower(), w))


def fix_renderings_text(text: str, glossary: Glossary | None = None) -> str:
    """Amazon's terms in an English draft ("AtoZ claims" -> "A-to-z Guarantee claims")."""
    from .tsv import builtin_glossary

    return (glossary or builtin_glossary()).fix_renderings(text)[0]

