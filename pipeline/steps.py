"""The one run loop: a list of steps over a document, timed in one place.

A *step* is anything with a ``name`` and ``__call__(doc) -> doc`` (``SegmentStep``,
``MemoryStep``, ``ProtectStep``, ``EnforceStep``, ``GrammarStep``, ``QAStep``, or a
function wrapped in ``FnStep``). ``run_steps`` runs a list of them in order and adds each
step's wall time to ``doc.run.timings[step.name]``; ``on_step`` (progress) is told the name
of each step when it is done. An exception in a step propagates to the caller, which
isolates it per document (``pipeline batch`` turns it into a failed document; ``pipeline
run`` into a one-line error). The commands are different lists of steps over this loop:

- ``pipeline run``: read, then ``Pipeline.prepare_steps`` (segment, memory, protect),
  translate (``share_time``: one engine call for many documents), ``Pipeline.finish_steps``
  (glossary, grammar, qa) and the write (``timed``);
- ``pipeline batch``: the same lists per document, translation shared across documents;
- ``pipeline polish``: read, then ``[polish]``, then write;
- ``pipeline apply-review`` and ``pipeline qa``: ``[qa]`` over a document rebuilt from the
  review (``run_steps`` without the timings in the output).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from .document import Document


class Step(Protocol):
    """A pipeline step: takes a Document, returns it (usually the same object)."""

    name: str

    def __call__(self, doc: Document) -> Document: ...


@dataclass
class FnStep:
    """A function ``doc -> None`` (or ``-> doc``) as a named step."""

    name: str
    fn: Callable[[Document], object]

    def __call__(self, doc: Document) -> Document:
        result = self.fn(doc)
        return result if isinstance(result, Document) else doc


@contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall time of the ``with`` body to ``timings[name]`` (seconds, 4 decimals),
    also when the body raises."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - t0, 4)


def run_steps(doc: Document, steps: Sequence[Step],
              on_step: Callable[[str], None] | None = None) -> Document:
    """Run ``steps`` over ``doc`` in order, each timed into ``doc.run.timings``."""
    for step in steps:
        with timed(doc.run.timings, step.name):
            doc = step(doc)
        if on_step is not None:
            on_step(step.name)
    return doc


def share_time(docs: Sequence[Document], name: str, elapsed: float) -> None:
    """One call served several documents (batched translation): share its time out by
    segment count into each document's ``timings[name]``."""
    total = sum(len(d.segments) for d in docs) or 1
    for d in docs:
        d.run.timings[name] = round(elapsed * len(d.segments) / total, 4)
