"""The data model every step reads and returns: a Document of Blocks of Segments.

A *block* is one paragraph-like unit of the input (a body paragraph, a table-cell
paragraph, a header line, a footnote paragraph...) with a stable location id, so the
writer can put English back in exactly the same place. A *segment* is one sentence of a
block. Steps (segment, memory, protect, translate, enforce, grammar, qa) take a Document
and return it; whatever a step does not handle it leaves untouched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Origin(str, Enum):
    """Where a segment's English came from."""

    NONE = "none"  # not translated (yet)
    PASSTHROUGH = "passthrough"  # not Chinese: copied as is
    MACHINE = "machine"
    MEMORY_EXACT = "memory-exact"
    REVIEWED = "reviewed"
    ENGINE_FAILED = "engine-failed"  # the engine gave nothing usable: source kept


@dataclass
class Note:
    """A finding about a segment (or the document), shown in review and report."""

    code: str  # short, stable, kebab-case name, e.g. "number-mismatch"
    message: str
    severity: Severity = Severity.INFO
    step: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "step": self.step,
                "message": self.message}


@dataclass
class Change:
    """One edit a step made to the English: before, after, which rule, why."""

    rule: str
    before: str
    after: str
    message: str = ""
    step: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TermHit:
    """A glossary term found in a segment's source."""

    start: int
    end: int
    source: str  # the text matched in the source
    canonical: str  # the English the glossary requires
    acronym: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Protected:
    """A span of the engine input the English must keep: a number, ID, date, URL, Latin
    name, emoji... (``pipeline.protect``). The source goes to the engine unmasked; the
    translate step checks that ``render`` (or, for numbers, the same value; for dates, an
    accepted English form) comes back, and repairs or translates around it if not."""

    kind: str  # "number", "percent", "money", "date", "order-id", "asin", "id", "url", ...
    source: str  # the text in the engine input
    render: str  # its expected English form ("October 15, 2026", "15,000", "$150")
    start: int = 0  # offsets of ``source`` in ``Segment.engine_input``
    end: int = 0


@dataclass
class MemoryHit:
    """A translation-memory entry found for a segment (``pipeline.memory.MemoryStep``):
    the exact hit that gave ``Segment.target`` (``Segment.memory``, score 1.0) or one of the
    fuzzy suggestions (``Segment.fuzzy``, best first)."""

    score: float  # 1.0 for an exact hit; the similarity for a fuzzy one
    origin: str  # "machine" or "reviewed": who wrote the stored English
    status: str  # the stored entry's status ("reviewed", "machine", "draft", ...)
    model: str  # the model id that translated it ("" for a person)
    glossary_version: str
    target: str = ""  # the stored English (fuzzy suggestions)
    source: str = ""  # the stored Chinese (fuzzy suggestions)
    updated: str = ""  # when it was stored (exact hits)
    stale: bool = False  # fuzzy: an identical source, not reusable (other model/glossary)


class TranslationPath(str, Enum):
    """How the engine produced a segment's English (``path`` in the report JSON)."""

    NONE = "none"  # not sent to the engine (memory, passthrough, reviewed, not yet)
    WHOLE = "whole"  # the whole sentence in one piece; every protected span came back
    WHOLE_REPAIRED = "whole-repaired"  # whole, and a garbled number/ID/date was replaced
    SPLIT = "split"  # too long for the model: translated in parts (commas, then length)
    PIECEWISE = "piecewise"  # last resort: translated around the protected spans
    FAILED = "failed"  # the engine raised an error on this input: the Chinese is kept


@dataclass
class Segment:
    id: str  # "<block id>#<n>", stable for the same input
    block_id: str
    index: int  # position within its block
    source: str
    gap_before: str = ""  # the exact text between the previous segment and this one
    translatable: bool = True  # False: no Chinese in it, passes through untouched
    skip_reason: str = ""  # why it is not translated (when translatable is False)
    engine_input: str | None = None  # what the engine translates (source minus list marker)
    protected: list[Protected] = field(default_factory=list)  # spans the English must keep
    mt: str | None = None  # the engine's English (after protected-span repair)
    path: TranslationPath = TranslationPath.NONE  # how the engine produced ``mt``
    target: str | None = None  # the current English, edited by later steps
    origin: Origin = Origin.NONE
    terms: list[TermHit] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # The list marker ("1. ", "（一）" rendered in English) protect cut off ``engine_input``;
    # translate puts it back in front of the English.
    list_marker: str = ""
    memory: MemoryHit | None = None  # the exact memory hit that gave ``target``, if any
    fuzzy: list[MemoryHit] = field(default_factory=list)  # fuzzy memory suggestions
    row: int | None = None  # the review-table row it was read from (``pipeline qa``)
    # The source in Simplified characters when the document is written in Traditional
    # Chinese (pipeline.chinese_script; same length as ``source``, so offsets are shared),
    # else None. Steps that match Chinese (memory, glossary, protect, engine, QA) read
    # ``zh``; the review, report and untranslated text keep the original ``source``.
    simplified: str | None = None

    @property
    def zh(self) -> str:
        """The Chinese to match and translate: ``simplified`` when set, else ``source``."""
        return self.simplified if self.simplified is not None else self.source

    @property
    def reviewed(self) -> bool:
        """A person approved this English (here or in the memory): steps must not edit it."""
        return self.origin is Origin.REVIEWED or (self.memory is not None
                                                  and self.memory.status == "reviewed")

    @property
    def text(self) -> str:
        """The English if there is one, else the source (what the writer emits)."""
        return self.target if self.target is not None else self.source

    def note(self, code: str, message: str, severity: Severity = Severity.INFO,
             step: str = "") -> None:
        self.notes.append(Note(code, message, severity, step))

    def worst_severity(self) -> Severity | None:
        if not self.notes:
            return None
        return max((n.severity for n in self.notes), key=lambda s: s.rank)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "location": self.block_id,
            "index": self.index,
            "source": self.source,
            "translatable": self.translatable,
            "skip_reason": self.skip_reason,
            "origin": self.origin.value,
            "machine_translation": self.mt,
            "path": self.path.value,
            "final": self.text,
            "terms": [t.to_dict() for t in self.terms],
            "notes": [n.to_dict() for n in self.notes],
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass
class Block:
    """A paragraph-like unit of the input at a stable location."""

    id: str  # e.g. "body/p3", "body/t0/r1/c2/p0", "header:default:s0/p0", "footnote:1/p0"
    story: str  # "body", "table", "header", "footer", "footnote", "endnote", "comment", "textbox"
    text: str
    style: str = ""  # paragraph style name ("Heading 1", "List Number"...)
    segments: list[Segment] = field(default_factory=list)
    tail: str = ""  # text after the last segment (whitespace), kept for losslessness

    def rebuilt_source(self) -> str:
        return "".join(s.gap_before + s.source for s in self.segments) + self.tail

    @property
    def changed(self) -> bool:
        """True when some segment has English: only then is the paragraph rewritten."""
        return any(s.target is not None and s.target != s.source for s in self.segments)

    def target_units(self) -> list[str]:
        """The English of each segment with the gap before it (the tail on the last one):
        what the DOCX writer places run by run. ``"".join`` of them is ``target_text``.

        Chinese sentences have no space between them; English ones need one.
        """
        units: list[str] = []
        prev: Segment | None = None
        for seg in self.segments:
            gap = seg.gap_before
            if prev is not None and gap == "" and prev.target is not None and seg.target is not None:
                gap = " "
            units.append(gap + seg.text)
            prev = seg
        if units:
            units[-1] += self.tail
        else:
            units.append(self.tail)
        return units

    def target_text(self) -> str:
        """The block's English: segment texts joined with their original gaps."""
        return "".join(self.target_units())


@dataclass
class RunInfo:
    """What a run used and measured, for the report JSON and the review header.

    ``None`` means "not set by this run" (the report writes "" or {}, the review "none")."""

    source_sha256: str = ""  # of the input file as read
    format: str = ""  # what the input was: docx, dotx, strict, docm, dotm, doc, wps, rtf, txt
    untouched: dict[str, int] = field(default_factory=dict)  # equations, field codes... kept
    empty_paragraphs: int = 0  # whitespace-only paragraphs (no block)
    # The translation model: name, version, demo, label, id, path (+ servers)
    model: dict[str, Any] | None = None
    glossary: str | None = None  # the glossary's name
    glossary_version: str = ""
    grammar: str | None = None  # the grammar backend as described (with its version)
    grammar_fallback: str = ""  # why the requested grammar backend was not used
    memory: str | None = None  # the memory's label (never a password)
    memory_hits: dict[str, int] = field(default_factory=dict)  # {"exact": n, "fuzzy": n}
    timings: dict[str, float] = field(default_factory=dict)  # step name -> seconds
    formatting_dropped: list[str] = field(default_factory=list)  # blocks rewritten plain
    fields_unplaced: list[str] = field(default_factory=list)  # blocks whose fields moved


@dataclass
class Document:
    path: Path
    blocks: list[Block] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # document-level findings
    run: RunInfo = field(default_factory=RunInfo)  # model, glossary, grammar, timings...
    # "traditional" when the draft is written in Traditional Chinese (its segments then
    # carry ``Segment.simplified``), "simplified" otherwise; "" before segmentation.
    script: str = ""

    @property
    def segments(self) -> list[Segment]:
        return [s for b in self.blocks for s in b.segments]

    def block(self, block_id: str) -> Block:
        for b in self.blocks:
            if b.id == block_id:
                return b
        raise KeyError(block_id)

    def counts(self) -> dict[str, int]:
        segs = self.segments
        return {
            "blocks": len(self.blocks),
            "segments": len(segs),
            "translated": sum(1 for s in segs if s.translatable and s.origin not in
                              (Origin.NONE, Origin.ENGINE_FAILED)),
            "skipped": sum(1 for s in segs if not s.translatable),
            "failed": sum(1 for s in segs if s.origin is Origin.ENGINE_FAILED),
        }

