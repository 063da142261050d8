"""The memory step (``MemoryStep``: lookup before translation) and ``remember`` (store
after it)."""

from __future__ import annotations

from dataclasses import dataclass

from ..document import Document, MemoryHit, Note, Origin, Severity
from .records import Match, MemoryStore, StoreResult, memory_key

# -- the pipeline step ---------------------------------------------------------------


@dataclass
class MemoryStep:
    """Fill segments from the memory before the engine runs (see module docstring).

    Exact usable hit: ``target`` set, origin MEMORY_EXACT, ``seg.memory`` says
    where it came from. Otherwise fuzzy hits >= threshold become a ``memory-fuzzy``
    info note and ``seg.fuzzy``; the segment stays NONE so the engine translates it.
    """

    memory: MemoryStore
    model: str
    glossary_version: str
    fuzzy_threshold: float = 0.75
    fuzzy_limit: int = 3
    name = "memory"  # class attribute, not a dataclass field

    def __call__(self, doc: Document) -> Document:
        used: list[str] = []
        exact = fuzzy = 0
        fuzzy_cache: dict[str, list[Match]] = {}  # repeated sentences: one query
        for seg in doc.segments:
            if not seg.translatable or seg.target is not None:
                continue
            hit = self.memory.lookup(seg.zh)  # Simplified text of a Traditional draft
            if hit is not None and hit.reusable_for(self.model, self.glossary_version):
                seg.target = hit.target
                seg.origin = Origin.MEMORY_EXACT
                seg.memory = MemoryHit(
                    score=1.0, origin=hit.origin, status=hit.status, model=hit.model,
                    glossary_version=hit.glossary_version, updated=hit.updated)
                used.append(seg.zh)
                exact += 1
                continue
            key = memory_key(seg.zh)
            if key not in fuzzy_cache:
                fuzzy_cache[key] = self.memory.fuzzy(seg.zh, self.fuzzy_threshold,
                                                     self.fuzzy_limit)
            matches = fuzzy_cache[key]
            if not matches:
                continue
            fuzzy += 1
            seg.fuzzy = [
                MemoryHit(score=m.score, source=m.source, target=m.target, origin=m.origin,
                          status=m.status, model=m.model, glossary_version=m.glossary_version,
                          # An identical source that was not reusable: other model/glossary.
                          stale=m.key == key)
                for m in matches]
            best = matches[0]
            if best.key == key and not (best.origin == "machine" and best.model):
                why = f"exact memory match, {best.status} (not reviewed: not reused)"
            elif best.key == key:
                why = (f"exact memory match from another model/glossary "
                       f"({best.model or '?'}, glossary {best.glossary_version or '?'})")
            else:
                why = f"memory match {best.score:.0%} ({best.status}) for \u201c{best.source}\u201d"
            seg.note("memory-fuzzy", f"{why}: \u201c{best.target}\u201d", Severity.INFO,
                     step=self.name)
        if used:
            self.memory.record_use(used)
        if self.memory.readonly:
            doc.notes.append(Note("memory-readonly", f"translation memory {self.memory.location} "
                                  "is read-only: used for lookups, but this run's "
                                  "translations are not stored in it", Severity.WARNING,
                                  self.name))
        doc.run.memory_hits = {"exact": exact, "fuzzy": fuzzy}
        return doc


def remember(doc: Document, memory: MemoryStore, model: str,
             glossary_version: str, author: str = "") -> StoreResult:
    """Store every machine-translated segment's *final* English (``seg.text``, after
    glossary enforcement and grammar: what the user received) as a machine entry."""
    pairs = [(s.zh, s.text) for s in doc.segments
             if s.translatable and s.origin is Origin.MACHINE and s.target is not None]
    if memory.readonly:  # MemoryStep noted it on the document
        return StoreResult()
    source_file = doc.path.name if getattr(doc, "path", None) else ""
    return memory.store_many(pairs, "machine", model, glossary_version, author=author,
                             source_file=source_file)
