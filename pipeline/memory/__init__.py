"""Translation memory: a SQLite store of source sentence -> English, and the memory step.

Two storage back-ends share one interface (``MemoryStore``) and the rules below: the SQLite file
(``TranslationMemory``, the default) and a team's PostgreSQL database
(``pipeline.memory.postgres.PgTranslationMemory``). ``open_memory(spec)`` takes a path or a
``postgresql://`` URL and returns the right one.

One row per *normalised* source (NFKC + whitespace collapsed), so full-width and
half-width punctuation or stray spaces do not split entries. The original source text
of the row is kept for display and export.

Rules (see docs/memory.md):

* Each entry has an ``origin`` (``machine``: an engine's output; ``reviewed``: written or
  approved by a person, or imported) and a ``status`` (``reviewed``, ``draft`` or
  ``rejected``; TMX import maps CAT tools' statuses onto it). Entries stored without a
  status get ``reviewed`` for a reviewed origin and ``draft`` for a machine one.
* ``reviewed`` beats the rest: storing a non-reviewed translation never replaces a
  reviewed one; a reviewed one replaces anything (the latest review wins). A machine
  translation never replaces a person's draft, and never brings back a rejected text.
* An exact *reviewed* hit is always reused. An exact *machine draft* (this pipeline's
  own output) is reused only when it was produced by the same model and glossary
  version as the current run. Any other exact hit (another model, or somebody's draft)
  is only offered as a suggestion (a ``memory-fuzzy`` note with score 1.0) and the
  engine translates the segment again. A *rejected* entry is never used, not even as a
  suggestion.

Concurrency: WAL journal, a busy timeout, and every write in ``BEGIN IMMEDIATE`` so
two processes (two CLI runs on the same library) can write at once without
"database is locked" upgrades failing half way.

Fuzzy lookup: candidates come from a side table of character bigrams (Dice overlap,
best ``_CANDIDATES`` first, inside a length window that the threshold allows), then
are scored exactly with ``difflib.SequenceMatcher.ratio`` on the normalised text —
character-level similarity, which suits Chinese (no word boundaries).

Modules: ``records`` (entries, the interface, rules, specs), ``sqlite`` (the SQLite store), ``schema``,
``step`` (the memory step and ``remember``); ``postgres`` + ``pg_schema`` (the PostgreSQL store).
"""

from __future__ import annotations

from .records import (
    _COLUMNS,
    _HISTORY_COLUMNS,
    DECISIONS,
    ORIGINS,
    SCHEMA_VERSION,
    STATUSES,
    Match,
    MemoryEntry,
    MemoryStore,
    StoreResult,
    _grams,
    check_entry,
    current_user,
    is_memory_url,
    keep_existing,
    length_window,
    memory_key,
    memory_label,
    memory_spec,
    now_iso,
    open_memory,
    redact_url,
    score_candidates,
)
from .schema import _MIGRATE_1_TO_2
from .sqlite import TranslationMemory
from .step import MemoryStep, remember

__all__ = [
    "_COLUMNS", "_HISTORY_COLUMNS", "_MIGRATE_1_TO_2", "DECISIONS", "ORIGINS", "SCHEMA_VERSION",
    "STATUSES", "Match", "MemoryEntry", "MemoryStep", "MemoryStore", "StoreResult",
    "TranslationMemory", "_grams", "check_entry", "current_user", "is_memory_url",
    "keep_existing", "length_window", "memory_label", "memory_spec", "memory_key", "now_iso",
    "open_memory", "redact_url", "remember", "score_candidates",
]
