"""Translation memory: a SQLite store of source sentence -> English, and the memory step.

Two storage back-ends share one interface (``MemoryStore``) and the rules below: this
module's SQLite file (``TranslationMemory``, the default) and a team's PostgreSQL database
(``pipeline.memory_pg.PgTranslationMemory``). ``open_memory(spec)`` takes a path or a
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
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .cjk import CJK_WIDE
from .document import Document, MemoryHit, Note, Origin, Severity
from .errors import InputError

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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tm (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('machine', 'reviewed')),
    model TEXT NOT NULL DEFAULT '',
    glossary_version TEXT NOT NULL DEFAULT '',
    length INTEGER NOT NULL,
    ngrams INTEGER NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'reviewed' CHECK (status IN ('reviewed', 'draft', 'rejected')),
    extra TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tm_length ON tm(length);
CREATE TABLE IF NOT EXISTS tm_gram (
    gram TEXT NOT NULL,
    entry INTEGER NOT NULL,
    PRIMARY KEY (gram, entry)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tm_history (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL,
    status TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    glossary_version TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tm_history_key ON tm_history(key);
"""


# Schema 1 -> 2: existing entries keep their meaning (machine = draft, reviewed = reviewed).
_MIGRATE_1_TO_2 = (
    "ALTER TABLE tm ADD COLUMN status TEXT NOT NULL DEFAULT 'reviewed'"
    " CHECK (status IN ('reviewed', 'draft', 'rejected'))",
    "ALTER TABLE tm ADD COLUMN extra TEXT NOT NULL DEFAULT ''",
    "UPDATE tm SET status = 'draft' WHERE origin = 'machine'",
    "UPDATE tm_meta SET value = '2' WHERE key = 'schema'",
)

# Schema 2 -> 3: provenance columns (empty for existing entries) and the history table.
_MIGRATE_2_TO_3 = (
    "ALTER TABLE tm ADD COLUMN author TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE tm ADD COLUMN source_file TEXT NOT NULL DEFAULT ''",
    *[stmt for stmt in _SCHEMA.split(";") if "tm_history" in stmt],
    "UPDATE tm_meta SET value = '3' WHERE key = 'schema'",
)
_MIGRATIONS = {"1": _MIGRATE_1_TO_2, "2": _MIGRATE_2_TO_3}


# A space next to a CJK character or CJK punctuation carries no meaning in Chinese
# (stray spaces from Word/PDF copy-paste); a space between Latin words does.
_CJK_SPACE = re.compile(f"(?<=[{CJK_WIDE}]) | (?=[{CJK_WIDE}])")


def normalize(text: str) -> str:
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
        from .memory_pg import PgTranslationMemory

        return PgTranslationMemory(str(spec), create=create, readonly=readonly)
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


def _match(row: sqlite3.Row | tuple, score: float = 1.0) -> Match:
    return Match(*row[:_NCOL], score=score)


def check_entry(e: MemoryEntry) -> str:
    """The entry's status, after checking origin and status (ValueError if invalid)."""
    if e.origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {e.origin!r}")
    status = e.effective_status
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    return status


class TranslationMemory:
    """A translation memory in one SQLite file. Use as a context manager or ``close()``.

    One connection per object; the object may be shared between threads (a lock
    serialises use of the connection). For parallel *processes* open one each.

    ``readonly=True`` opens without ever writing (stats, export). A memory that cannot be
    written (read-only file, folder or medium) is opened read-only too, with
    ``self.readonly`` set: lookups work, ``record_use`` does nothing and a store is an
    InputError. A damaged file (page corruption) is an InputError naming it, not a crash.
    """

    def __init__(self, path: Path, *, create: bool = True, readonly: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.readonly = False
        self.schema_version = SCHEMA_VERSION
        self._cols = _COLUMNS
        if self.path.is_dir():
            raise InputError(f"translation memory {self.path} is a folder: give the memory "
                             f"file, e.g. {self.path / 'memory.sqlite'}")
        if (not create or readonly) and not self.path.is_file():
            raise InputError(f"translation memory {self.path} does not exist")
        self._lock = threading.RLock()
        if readonly:
            self._open_readonly()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            self._conn = sqlite3.connect(str(self.path), timeout=_BUSY_TIMEOUT_MS / 1000,
                                         isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            if not self.path.is_file():
                raise InputError(f"cannot create translation memory {self.path} ({exc}): "
                                 "is its folder writable?") from None
            raise InputError(f"cannot open translation memory {self.path}: {exc}") from None
        try:
            self._setup()
        except sqlite3.OperationalError as exc:
            self._conn.close()
            if self.path.is_file() and _cannot_write(exc):
                self._open_readonly()
                return
            if not self.path.is_file():
                raise InputError(f"cannot create translation memory {self.path} ({exc}): "
                                 "is its folder writable?") from None
            raise InputError(f"cannot open translation memory {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if "malformed" in str(exc):
                raise self._damaged(exc) from None
            if "not a database" in str(exc):
                raise InputError(f"{self.path} is not a translation memory ({exc})") from None
            raise InputError(f"cannot open translation memory {self.path}: {exc}") from None
        except InputError:
            self._conn.close()
            raise

    def _setup(self) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._ensure_wal()
        c.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; no fsync per commit
        # Check and create in one write transaction: two processes (or threads) opening
        # a new memory at once must not both create, or see half a schema.
        with self._write() as c:
            tables = {r[0] for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "tm_meta" not in tables:
                # Never add our tables to somebody else's database.
                raise InputError(f"{self.path} is an SQLite file but not a translation memory")
            if "tm_meta" in tables:
                row = c.execute("SELECT value FROM tm_meta WHERE key='schema'").fetchone()
                while row is not None and row[0] in _MIGRATIONS:
                    for stmt in _MIGRATIONS[row[0]]:
                        if stmt.strip():
                            c.execute(stmt)
                    row = c.execute("SELECT value FROM tm_meta WHERE key='schema'").fetchone()
                if row is None or row[0] != SCHEMA_VERSION:
                    raise InputError(f"{self.path}: unsupported translation memory schema "
                                     f"{row[0] if row else '?'} (expected {SCHEMA_VERSION})")
                return
            # Statement by statement: executescript() would COMMIT our transaction.
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    c.execute(stmt)
            c.execute("INSERT OR IGNORE INTO tm_meta(key, value) VALUES ('schema', ?)",
                      (SCHEMA_VERSION,))
            c.execute("INSERT OR IGNORE INTO tm_meta(key, value) VALUES ('created', ?)",
                      (now_iso(),))

    def _open_readonly(self) -> None:
        """Open for reading only; a WAL memory on a read-only medium needs ``immutable``
        (its shared-memory file cannot be created)."""
        uri = self.path.resolve().as_uri()
        last: Exception | None = None
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                self._conn = sqlite3.connect(uri + query, uri=True, isolation_level=None,
                                             timeout=_BUSY_TIMEOUT_MS / 1000,
                                             check_same_thread=False)
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                tables = {r[0] for r in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'")}
                if "tm_meta" not in tables:
                    self._conn.close()
                    raise InputError(f"{self.path} is not a translation memory")
                row = self._conn.execute(
                    "SELECT value FROM tm_meta WHERE key='schema'").fetchone()
            except sqlite3.OperationalError as exc:
                self._conn.close()
                last = exc
                continue
            except sqlite3.DatabaseError as exc:
                self._conn.close()
                if "malformed" in str(exc):
                    raise self._damaged(exc) from None
                raise InputError(f"{self.path} is not a translation memory ({exc})") from None
            if row is None or row[0] not in ("2", SCHEMA_VERSION):
                self._conn.close()
                raise InputError(f"{self.path}: unsupported translation memory schema "
                                 f"{row[0] if row else '?'} (expected {SCHEMA_VERSION})")
            self.schema_version = row[0]
            if row[0] == "2":  # not migrated (read-only): readable without provenance
                self._cols = _COLUMNS_2
            self.readonly = True
            return
        raise InputError(f"cannot open translation memory {self.path} for reading: {last}")

    def _damaged(self, exc: Exception) -> InputError:
        return InputError(
            f"translation memory {self.path} is damaged ({exc}): restore it from a backup, "
            f"or save what is readable with: sqlite3 {self.path} .recover | sqlite3 "
            "recovered.sqlite")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Reading a damaged page is one clear InputError, not an sqlite3 traceback."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):  # e.g. "database is locked" after the busy timeout
                raise InputError(f"translation memory {self.path}: {exc}") from None
            raise self._damaged(exc) from None

    def _ensure_wal(self) -> None:
        """Switch to WAL. The switch needs an exclusive lock and SQLite does not always
        call the busy handler for it (two openers of a new file), so retry here."""
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        delay = 0.005
        while True:
            try:
                if self._conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    # -- plumbing -------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction. IMMEDIATE takes the write lock up front (waiting up to
        the busy timeout), so a read-then-write never fails on a lock upgrade."""
        if self.readonly:
            raise InputError(f"translation memory {self.path} is read-only: cannot store")
        with self._lock, self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def migrate(self) -> str:
        """Bring the schema to ``SCHEMA_VERSION`` (opening a writable memory already
        does); returns the version. A read-only memory cannot be migrated."""
        if self.readonly and self.schema_version != SCHEMA_VERSION:
            raise InputError(f"translation memory {self.path} is read-only: cannot migrate "
                             f"schema {self.schema_version} to {SCHEMA_VERSION}")
        return self.schema_version

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock, self._guard():
            return self._conn.execute("SELECT COUNT(*) FROM tm").fetchone()[0]

    # -- reading --------------------------------------------------------------------

    def lookup(self, source: str) -> Match | None:
        """The entry for exactly this source (after normalisation), or None."""
        key = normalize(source)
        if not key:
            return None
        with self._lock, self._guard():
            row = self._conn.execute(f"SELECT {self._cols} FROM tm WHERE key = ?",
                                     (key,)).fetchone()
        return _match(row) if row else None

    def fuzzy(self, source: str, threshold: float = 0.75, limit: int = 3) -> list[Match]:
        """Entries whose character similarity to ``source`` is >= threshold, best first.

        An identical entry is included (score 1.0). Ties are broken reviewed first,
        then most recently updated.
        """
        key = normalize(source)
        if not key or limit <= 0:
            return []
        threshold = max(0.0, min(1.0, threshold))
        lo, hi = length_window(len(key), threshold)
        grams = sorted(_grams(key))
        if len(grams) > 900:  # SQLite variable limit; a very long "sentence" anyway
            grams = grams[:900]
        marks = ",".join("?" * len(grams))
        sql = (f"SELECT {self._cols}, g.c, t.ngrams FROM ("
               f" SELECT entry, COUNT(*) AS c FROM tm_gram WHERE gram IN ({marks})"
               f" GROUP BY entry) AS g JOIN tm AS t ON t.id = g.entry"
               f" WHERE t.length BETWEEN ? AND ? AND t.status != 'rejected'"
               f" ORDER BY (2.0 * g.c) / (? + t.ngrams) DESC LIMIT ?")
        with self._lock, self._guard():
            rows = self._conn.execute(sql, (*grams, lo, hi, len(grams), _CANDIDATES)).fetchall()
        return score_candidates(key, (_match(r) for r in rows), threshold, limit)

    def entries(self) -> Iterator[Match]:
        """Every entry, oldest first (streamed, not loaded at once)."""
        last = 0
        while True:
            with self._lock, self._guard():
                rows = self._conn.execute(
                    f"SELECT {self._cols}, id FROM tm WHERE id > ? ORDER BY id LIMIT ?",
                    (last, _CHUNK)).fetchall()
            if not rows:
                return
            for row in rows:
                yield _match(row)
            last = rows[-1][_NCOL]

    def stats(self) -> dict[str, Any]:
        with self._lock, self._guard():
            c = self._conn
            entries = c.execute("SELECT COUNT(*) FROM tm").fetchone()[0]
            by_origin = dict.fromkeys(ORIGINS, 0)
            by_origin.update(dict(c.execute("SELECT origin, COUNT(*) FROM tm GROUP BY origin")))
            by_status = dict.fromkeys(STATUSES, 0)
            by_status.update(dict(c.execute("SELECT status, COUNT(*) FROM tm GROUP BY status")))
            models = dict(c.execute("SELECT model, COUNT(*) FROM tm WHERE origin='machine'"
                                    " GROUP BY model ORDER BY COUNT(*) DESC"))
            glossaries = dict(c.execute(
                "SELECT glossary_version, COUNT(*) FROM tm WHERE origin='machine'"
                " GROUP BY glossary_version ORDER BY COUNT(*) DESC"))
            uses, first, last = c.execute(
                "SELECT COALESCE(SUM(uses), 0), MIN(created), MAX(updated) FROM tm").fetchone()
        return {"path": str(self.path), "backend": "sqlite",
                "schema": self.schema_version, "entries": entries, "by_origin": by_origin,
                "by_status": by_status,
                "models": models, "glossary_versions": glossaries, "uses": uses,
                "oldest": first, "newest": last}

    # -- writing --------------------------------------------------------------------

    def store(self, source: str, target: str, origin: str = "machine", model: str = "",
              glossary_version: str = "") -> str:
        """Store one translation; returns "inserted", "updated", "unchanged" or "kept"
        ("kept": the entry already stored wins, e.g. a reviewed one over a machine one)."""
        res = self.store_entries([MemoryEntry(source, target, origin, model, glossary_version)])
        for name in ("inserted", "updated", "unchanged", "kept"):
            if getattr(res, name):
                return name
        return "unchanged"  # empty source: nothing stored

    def store_many(self, pairs: Iterable[tuple[str, str]], origin: str = "machine",
                   model: str = "", glossary_version: str = "", *, author: str = "",
                   source_file: str = "") -> StoreResult:
        """Store (source, target) pairs in one transaction (``author``/``source_file``:
        the provenance of all of them)."""
        return self.store_entries(MemoryEntry(s, t, origin, model, glossary_version,
                                              author=author, source_file=source_file)
                                  for s, t in pairs)

    def history(self, source: str) -> list[dict[str, Any]]:
        """Every reviewed/rejected text stored for this source (kept or not), oldest
        first: ``{source, target, origin, status, model, glossary_version, author,
        source_file, at, outcome}``."""
        if self.schema_version != SCHEMA_VERSION:
            return []
        with self._lock, self._guard():
            cur = self._conn.execute(f"SELECT {_HISTORY_COLUMNS} FROM tm_history"
                                     " WHERE key = ? ORDER BY id", (normalize(source),))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def store_entries(self, entries: Iterable[MemoryEntry]) -> StoreResult:
        """Store entries (with their own origin/model/dates) in one transaction.

        A later entry for the same key in the same batch wins under the same rules.
        An existing entry is kept (not replaced) when it is reviewed and the new one is
        not, or is a review dated after the new one; when it is a person's draft and the
        new one a machine draft; or when it is a rejected text and the new one the same
        text unreviewed. A rejection of exactly the stored text marks it rejected.
        """
        res = StoreResult()
        stamp = now_iso()
        with self._write() as c:
            for e in entries:
                status = check_entry(e)
                key = normalize(e.source)
                if not key or not e.target.strip():
                    continue  # an empty English would be "reused" as a blank
                outcome = self._store_one(c, e, key, status, stamp, res)
                if status in DECISIONS:
                    c.execute("INSERT INTO tm_history(key, source, target, origin, status,"
                              " model, glossary_version, author, source_file, at, outcome)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              (key, e.source, e.target, e.origin, status, e.model,
                               e.glossary_version, e.author, e.source_file,
                               e.updated or stamp, outcome))
        return res

    @staticmethod
    def _store_one(c: sqlite3.Connection, e: MemoryEntry, key: str, status: str, stamp: str,
                   res: StoreResult) -> str:
        row = c.execute("SELECT id, target, origin, model, glossary_version, updated,"
                        " status, extra FROM tm WHERE key = ?", (key,)).fetchone()
        created = e.created or stamp
        updated = e.updated or e.created or stamp
        if row is None:
            grams = _grams(key)
            cur = c.execute(
                "INSERT INTO tm(key, source, target, origin, model, glossary_version,"
                " length, ngrams, created, updated, uses, status, extra, author,"
                " source_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, e.source, e.target, e.origin, e.model, e.glossary_version,
                 len(key), len(grams), created, updated, e.uses, status, e.extra,
                 e.author, e.source_file))
            c.executemany("INSERT OR IGNORE INTO tm_gram(gram, entry) VALUES (?, ?)",
                          [(g, cur.lastrowid) for g in grams])
            res.inserted += 1
            return "inserted"
        rid, old_target, old_origin, old_model, old_gv, old_updated, old_status, \
            old_extra = row
        if keep_existing(old_status, old_origin, old_target, old_updated, e, status):
            res.kept += 1
            return "kept"
        extra = e.extra or old_extra
        if (old_target, old_origin, old_model, old_gv, old_status, old_extra) == (
                e.target, e.origin, e.model, e.glossary_version, status, extra):
            res.unchanged += 1
            return "unchanged"
        c.execute("UPDATE tm SET source = ?, target = ?, origin = ?, model = ?,"
                  " glossary_version = ?, updated = ?, status = ?, extra = ?,"
                  " author = ?, source_file = ? WHERE id = ?",
                  (e.source, e.target, e.origin, e.model, e.glossary_version,
                   e.updated or stamp, status, extra, e.author, e.source_file, rid))
        res.updated += 1
        return "updated"

    def record_use(self, sources: Iterable[str]) -> None:
        """Count one reuse for each source (exact hits the memory step applied)."""
        keys = [(normalize(s),) for s in sources]
        if not keys or self.readonly:  # a read-only memory is used, not counted
            return
        with self._write() as c:
            c.executemany("UPDATE tm SET uses = uses + 1 WHERE key = ?", keys)

    def delete(self, source: str) -> bool:
        """Remove the entry for this source; True if there was one."""
        key = normalize(source)
        with self._write() as c:
            row = c.execute("SELECT id FROM tm WHERE key = ?", (key,)).fetchone()
            if row is None:
                return False
            c.executemany("DELETE FROM tm_gram WHERE gram = ? AND entry = ?",
                          [(g, row[0]) for g in _grams(key)])
            c.execute("DELETE FROM tm WHERE id = ?", (row[0],))
            return True


def _cannot_write(exc: Exception) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open database" in text


def _is_corruption(exc: Exception) -> bool:
    text = str(exc).lower()
    return "malformed" in text or "corrupt" in text or "not a database" in text


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
            key = normalize(seg.zh)
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
