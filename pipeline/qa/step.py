"""``run_checks`` for one pair, ``QAStep`` over a Document, ``summarize``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..document import Document, Note, Severity
from .checks import GrammarReport  # importing checks registers them in CHECKS
from .context import CHECKS, Check, QAContext, get_checks

if TYPE_CHECKING:
    from ..glossary import Glossary

# --------------------------------------------------------------------------------------
# Running checks


def run_checks(source: str, target: str, ctx: QAContext | None = None,
               checks: Iterable[Check] | None = None, translatable: bool = True,
               skip_codes: Iterable[str] = ()) -> list[Note]:
    """Notes for one source/English pair. ``translatable=False``: a passthrough segment,
    only the checks that look at the English alone run. ``skip_codes``: codes already
    reported by an earlier step."""
    ctx = ctx or QAContext()
    skip = set(skip_codes)
    notes: list[Note] = []
    for c in (CHECKS if checks is None else checks):
        if c.name in skip or (c.compares and not translatable):
            continue
        for message in c.func(source, target, ctx):
            notes.append(Note(c.name, message, c.severity, "qa"))
    return notes


class QAStep:
    """Run the QA checks on every segment with English, and the POA check on the document.

    Re-running is safe: notes from an earlier QA run are replaced, not duplicated.
    """

    name = "qa"

    def __init__(self, glossary: Glossary | None = None, checks: list[str] | None = None,
                 poa: bool = True, grammar: bool = True) -> None:
        self.glossary = glossary
        self.checks = get_checks(checks)
        self.poa = poa
        # The grammar check runs on reviewed English only: machine English went through
        # the grammar step, which notes what it did not fix.
        self.grammar = GrammarReport(glossary) if grammar and \
            any(c.name == "grammar" for c in self.checks) else None

    def check_segment(self, seg: Any) -> list[Note]:
        seg.notes = [n for n in seg.notes if n.step != "qa"]
        if seg.translatable:
            if seg.target is None:
                return []  # no English yet: nothing to check
            target = seg.target
        else:
            target = seg.text
        # The glossary step notes term problems itself; do not say the same twice.
        already = {n.code for n in seg.notes if n.step and n.step != "qa"}
        ctx = QAContext(glossary=self.glossary, terms=seg.terms or None,
                        grammar=self.grammar if seg.reviewed else None)
        notes = run_checks(seg.zh, target, ctx, self.checks, seg.translatable, already)
        seg.notes.extend(notes)
        return notes

    def __call__(self, doc: Document) -> Document:
        for seg in doc.segments:
            self.check_segment(seg)
        doc.notes = [n for n in doc.notes if n.step != "qa"]
        if self.poa:
            from .poa import check_poa

            doc.notes.extend(check_poa(doc))
        return doc


def summarize(doc: Document) -> dict[str, int]:
    """Counts of QA notes by severity (segment and document level)."""
    counts = {s.value: 0 for s in Severity}
    for note in [*doc.notes, *(n for s in doc.segments for n in s.notes)]:
        if note.step == "qa":
            counts[note.severity.value] += 1
    return counts
