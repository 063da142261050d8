"""Translation-memory records and rules shared by both stores: entries, matches, the
``MemoryStore`` interface, the normalised key, who-wins (``keep_existing``), memory
specs and labels (``open_memory``)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..cjk import CJK_WIDE

ORIGINS = ("machine", "reviewed")
STATUSES = ("reviewed", "draft", "rejected")
# 2: status and extra columns; 3: provenance (author, source_file) and the approval
# history. Older schemas are migrated on open (or by ``pipeline memory migrate``).
SCHEMA_VERSION = "3"
# Statuses a person decides: every store of one is kept in the history table.
DECISIONS = ("reviewed", "rejected")
_BUSY_TIMEOUT_MS = 30_000
# How many bigram-overlap candidates are scored exactly per fuzzy query. A sentence
# that clears a 0.75 character ratio shares most of its bigrams, so it ranks near the
# top of the Dice order; 200 keeps a query in milliseconds at 100k entries.
_CANDIDATES = 200
_CHUNK = 500  # rows per executemany / IN (...) query, below SQLite's variable limit

# A space next to a CJK character or CJK punctuation carries no meaning in Chinese
# (stray spaces from Word/PDF copy-paste); a space between Latin words does.
_CJK_SPACE = re.compile(f"(?<=[{CJK_WIDE}]) | (?=[{CJK_WIDE}])")


def memory_key(text: str) -> str:
    """The lookup key: NFKC (full-width -> half-width etc.), whitespace collapsed to one
    space, and no space at all next to CJK characters."""
    return _CJK_SPACE.sub("", " ".join(unicodedata.normalize("NFKC", text).split()))


def _grams(key: str) -> set[str]:
    # Padded bigrams so one-character keys still have grams and the start/end of a
    # sentence count for something.
    padded = f"\x02{key}\x03"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class MemoryEntry:
    """One row to store (used by ``store_entries`` and TMX import)."""

    source: str
    target: str
    origin: str = "machine"
    model: str = ""
    glossary_version: str = ""
    created: str | None = None  # ISO UTC "YYYY-MM-DDThh:mm:ssZ"; None = now
    updated: str | None = None
    uses: int = 0
    status: str | None = None  # reviewed/draft/rejected; None: from the origin
    # What an import keeps for export but the memory does not use (JSON text: TMX props
    # of other tools, locale variants such as zh-TW or en-GB text).
    extra: str = ""
    # Provenance: who stored it (a reviewer, the user who ran the pipeline) and from
    # which file (the review DOCX, the translated document, the TMX). The engine/model
    # is ``model``; when is ``created``/``updated``.
    author: str = ""
    source_file: str = ""

    @property
    def effective_status(self) -> str:
        if self.status is not None:
            return self.status
        return "reviewed" if self.origin == "reviewed" else "draft"


@dataclass
class Match:
    """A memory entry as found by ``lookup``/``fuzzy``/``entries`` (score 1.0 = exact)."""

    source: str
    target: str
    origin: str
    model: str
    glossary_version: str
    created: str
    updated: str
    uses: int
    key: str
    status: str = "reviewed"
    extra: str = ""
    author: str = ""  # provenance: who stored the current text
    source_file: str = ""  # provenance: from which file (review DOCX, document, TMX)
    score: float = 1.0

    @property
    def reviewed(self) -> bool:
        return self.status == "reviewed"

    def reusable_for(self, model: str, glossary_version: str) -> bool:
        """Reviewed: always. A machine draft: only from the same model and glossary
        version. Anybody's draft, or a rejected entry: never."""
        if self.status == "reviewed":
            return True
        return (self.status == "draft" and self.origin == "machine"
                and self.model == model and self.glossary_version == glossary_version)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StoreResult:
    """What a store did: new rows, replaced rows, identical rows, refused ("kept": the
    existing reviewed entry wins over a machine one or over an older-dated review)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.kept


_COLUMNS = ("source, target, origin, model, glossary_version, created, updated, uses, key,"
            " status, extra, author, source_file")
_NCOL = 13
# A schema-2 memory opened read-only (it cannot be migrated): no provenance yet.
_COLUMNS_2 = _COLUMNS.replace("author, source_file", "'' AS author, '' AS source_file")
_HISTORY_COLUMNS = ("source, target, origin, status, model, glossary_version, author,"
                    " source_file, at, outcome")


class _Connected:
    """What both stores share: one connection under a lock, a context manager, a count.
    Subclasses set ``_conn`` and ``_lock`` and provide ``_guard`` (one-line errors)."""

    _conn: Any
    _lock: Any

    def _guard(self) -> Any:  # pragma: no cover - every store overrides it
        raise NotImplementedError

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock, self._guard():
            return self._conn.execute("SELECT COUNT(*) FROM tm").fetchone()[0]


@runtime_checkable
class MemoryStore(Protocol):
    """What a translation memory back-end offers (SQLite file or PostgreSQL database).

    ``location`` is what to show a user: the file path, or the URL with any password
    replaced by ``***``. Both back-ends apply the same rules (``keep_existing``) and the
    same fuzzy scoring (``score_candidates``).
    """

    location: str
    readonly: bool
    schema_version: str

    def lookup(self, source: str) -> Match | None: ...
    def fuzzy(self, source: str, threshold: float = 0.75, limit: int = 3) -> list[Match]: ...
    def entries(self) -> Iterator[Match]: ...
    def history(self, source: str) -> list[dict[str, Any]]: ...
    def stats(self) -> dict[str, Any]: ...
    def store(self, source: str, target: str, origin: str = "machine", model: str = "",
              glossary_version: str = "") -> str: ...
    def store_many(self, pairs: Iterable[tuple[str, str]], origin: str = "machine",
                   model: str = "", glossary_version: str = "", *, author: str = "",
                   source_file: str = "") -> StoreResult: ...
    def store_entries(self, entries: Iterable[MemoryEntry]) -> StoreResult: ...
    def record_use(self, sources: Iterable[str]) -> None: ...
    def delete(self, source: str) -> bool: ...
    def migrate(self) -> str: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: object) -> None: ...


def is_memory_url(spec: object) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` URL (a team's database)."""
    return isinstance(spec, str) and spec.lower().startswith(("postgresql://", "postgres://"))


def memory_spec(value: str | Path | None) -> str | Path | None:
    """A ``--memory`` value as given: a URL stays a string, anything else is a path."""
    if value is None or isinstance(value, Path):
        return value
    return value if is_memory_url(value) else Path(value)


_PASSWORD_KEYS = {"password", "passfile_password", "sslpassword"}


def redact_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db`` (and a
    ``?password=`` parameter likewise). Anything else is returned unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() in _PASSWORD_KEYS else v) for k, v in pairs],
                          safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def current_user() -> str:
    """Who stores (provenance): ``PIPELINE_USER`` if set, else the login name."""
    import getpass
    import os

    try:
        return os.environ.get("PIPELINE_USER") or getpass.getuser()
    except Exception:  # no login name (a service account on Windows...)
        return ""


def memory_label(spec: str | Path | None) -> str:
    """How to name a memory in messages, reports and manifests: never a password."""
    if spec is None:
        return "none"
    return redact_url(str(spec)) if is_memory_url(spec) else str(spec)


def open_memory(spec: str | Path, *, create: bool = True, readonly: bool = False) -> Any:
    """The memory at ``spec``: a ``postgresql://`` URL (``PgTranslationMemory``, needs the
    ``team`` extra) or an SQLite file path (``TranslationMemory``)."""
    if is_memory_url(spec):
        from .postgres import PgTranslationMemory

        return PgTranslationMemory(str(spec), create=create, readonly=readonly)
    from .sqlite import TranslationMemory

    return TranslationMemory(Path(spec), create=create, readonly=readonly)


def score_candidates(key: str, candidates: Iterable[Match], threshold: float,
                     limit: int) -> list[Match]:
    """The fuzzy rule both back-ends share: ``difflib`` character ratio on the normalised
    keys, >= threshold, best first; ties reviewed first, then most recently updated, then by key."""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(key)  # seq2 is the one SequenceMatcher caches
    found: list[Match] = []
    for m in candidates:
        matcher.set_seq1(m.key)
        # The cheap upper bounds first; ratio() is the expensive one.
        if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
            continue
        score = 1.0 if m.key == key else matcher.ratio()
        if score >= threshold:
            m.score = round(score, 4)
            found.append(m)
    # Stable sorts: by key (so full ties come out the same on every back-end), newest
    # first, then by score and reviewed-first.
    found.sort(key=lambda m: m.key)
    found.sort(key=lambda m: m.updated, reverse=True)
    found.sort(key=lambda m: (-m.score, not m.reviewed))
    return found[:limit]


def length_window(n: int, threshold: float) -> tuple[int, int]:
    """ratio = 2*M/(n+m) <= 2*min(n,m)/(n+m): the key lengths that can reach threshold."""
    if threshold > 0:
        return int(n * threshold / (2 - threshold)), int(n * (2 - threshold) / threshold) + 1
    return 0, 1 << 30


def check_entry(e: MemoryEntry) -> str:
    """The entry's status, after checking origin and status (ValueError if invalid)."""
    if e.origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {e.origin!r}")
    status = e.effective_status
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    return status


def keep_existing(old_status: str, old_origin: str, old_target: str, old_updated: str,
                   new: MemoryEntry, new_status: str) -> bool:
    """True when the stored entry wins over ``new`` (see ``store_entries``)."""
    if old_status == "reviewed":
        if new_status == "rejected" and new.target == old_target:
            return False  # this very text was rejected after all
        # A non-reviewed text never replaces a review; an older-dated review neither.
        return new_status != "reviewed" or (new.updated is not None
                                            and new.updated < old_updated)
    if new_status == "reviewed":
        return False
    if old_status == "draft" and old_origin != "machine" and new.origin == "machine":
        return True  # a person's draft beats an engine's output
    return old_status == "rejected" and new.target == old_target and new_status == "draft"
