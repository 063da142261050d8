"""The ``enforce`` step: normalisation, acronym first/later mentions, term-check notes."""

from __future__ import annotations

import re

from ..document import Change, Document, Origin, Segment
from .core import Glossary
from .matcher import _phrase_re, _sentence_start, _shape
from .terms import _ALNUM, STEP, Term, _en_key

# --------------------------------------------------------------------------- enforce step

class EnforceStep:
    """After translation: normalise wrong renderings, acronym first/later mentions, and
    note source terms whose English is missing or wrong."""

    name = STEP

    def __init__(self, glossary: Glossary, acronyms: bool = True) -> None:
        self.glossary = glossary
        self.acronyms = acronyms
        self._acr_terms = [t for t in glossary.terms
                           if t.acronym and t.acronym.lower() != t.canonical.lower()]
        self._acr_res = [(t, self._acronym_re(t)) for t in self._acr_terms]

    @staticmethod
    def _acronym_re(t: Term) -> re.Pattern[str]:
        acr = re.escape(t.acronym)
        edge = rf"[{_ALNUM}\-]"
        full = _phrase_re(t.canonical)
        plural = t.plural_form
        if plural and not _en_key(plural).startswith(_en_key(t.canonical)):
            full = f"{_phrase_re(plural)}|{full}"  # "Plans of Action (POA)"
        return re.compile(
            rf"(?<!{edge})(?:(?P<full>(?i:{full}))(?P<fpl>(?i:e?s))?"
            rf"(?P<paren>[ \t]*\([ \t]*{acr}s?[ \t]*\))?|(?P<bare>{acr})(?P<bpl>s)?)(?!{edge})")

    def __call__(self, doc: Document) -> Document:
        seen: set[str] = set()  # acronyms already introduced, in document order
        for seg in doc.segments:
            if seg.target is None or seg.reviewed:
                # English the reader sees as is (passthrough, or a reviewer's wording).
                if self.acronyms and (seg.reviewed or not seg.translatable):
                    self._mark_defined(seg.text, seen)
                if seg.reviewed:
                    self.check_terms(seg)
                continue
            text, changes = self.glossary.fix_renderings(seg.target)
            if self.acronyms:
                text, more = self.apply_acronyms(text, seen)
                changes += more
            if changes:
                seg.changes.extend(changes)
                seg.target = text
            self.check_terms(seg)
        return doc

    def _mark_defined(self, text: str, seen: set[str]) -> None:
        for t, pat in self._acr_res:
            if any(m.group("full") for m in pat.finditer(text)):
                seen.add(t.acronym)

    def apply_acronyms(self, text: str, seen: set[str]) -> tuple[str, list[Change]]:
        """First mention "Order Defect Rate (ODR)", later mentions "ODR"; ``seen`` carries
        the state from segment to segment."""
        matches: list[tuple[int, int, Term, re.Match[str]]] = []
        for t, pat in self._acr_res:
            matches.extend((m.start(), m.end(), t, m) for m in pat.finditer(text))
        if not matches:
            return text, []
        matches.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        out: list[str] = []
        changes: list[Change] = []
        pos = 0
        for start, end, t, m in matches:
            if start < pos:
                continue
            acr = t.acronym
            before = m.group(0)
            if m.group("full") is not None:
                if acr not in seen:
                    seen.add(acr)
                    if m.group("paren"):
                        continue
                    after = f"{m.group('full')}{m.group('fpl') or ''} ({acr})"
                    why = f"first mention: “{t.canonical} ({acr})”"
                else:
                    plural = m.group("fpl") or (
                        t.plural_form and _en_key(m.group("full")) == _en_key(t.plural_form)
                        and _en_key(t.plural_form) != _en_key(t.canonical))
                    after = acr + ("s" if plural and t.plural_form else "")
                    why = f"later mention: “{acr}”"
            else:
                if acr in seen:
                    continue
                seen.add(acr)
                base = t.canonical if not m.group("bpl") else (t.plural_form or t.canonical)
                base = _shape(base, acr, _sentence_start(text, start))
                after = f"{base} ({acr})"
                why = f"first mention: “{t.canonical} ({acr})”"
            if after == before:
                continue
            out.append(text[pos:start])
            out.append(after)
            changes.append(Change("glossary:acronym", before, after, why, STEP))
            pos = end
        if not changes:
            return text, []
        out.append(text[pos:])
        return "".join(out), changes

    def check_terms(self, seg: Segment) -> None:
        """term-wrong (error) / term-missing (warning) notes for the segment's source terms
        (the logic is :meth:`Glossary.term_problems`, shared with QA)."""
        if not seg.terms or seg.target is None or seg.origin is Origin.ENGINE_FAILED:
            return
        for p in self.glossary.term_problems(seg.terms, seg.target):
            seg.note(p.code, p.message, p.severity, STEP)
