"""The SQLite translation memory (``TranslationMemory``): schema, migrations, store,
exact and fuzzy lookup, history."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InputError
from .records import (
    _BUSY_TIMEOUT_MS,
    _CANDIDATES,
    _CHUNK,
    _COLUMNS,
    _COLUMNS_2,
    _HISTORY_COLUMNS,
    _NCOL,
    DECISIONS,
    ORIGINS,
    SCHEMA_VERSION,
    STATUSES,
    Match,
    MemoryEntry,
    StoreResult,
    _Connected,
    _grams,
    check_entry,
    keep_existing,
    length_window,
    memory_key,
    now_iso,
    score_candidates,
)
from .schema import _MIGRATIONS, _SCHEMA


def _match(row: sqlite3.Row | tuple, score: float = 1.0) -> Match:
    return Match(*row[:_NCOL], score=score)


class TranslationMemory(_Connected):
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

    def migrate(self) -> str:
        """Bring the schema to ``SCHEMA_VERSION`` (opening a writable memory already
        does); returns the version. A read-only memory cannot be migrated."""
        if self.readonly and self.schema_version != SCHEMA_VERSION:
            raise InputError(f"translation memory {self.path} is read-only: cannot migrate "
                             f"schema {self.schema_version} to {SCHEMA_VERSION}")
        return self.schema_version

    # -- reading --------------------------------------------------------------------

    def lookup(self, source: str) -> Match | None:
        """The entry for exactly this source (after normalisation), or None."""
        key = memory_key(source)
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
        key = memory_key(source)
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

    def check_integrity(self) -> None:
        """Damage anywhere in the file (also in pages a query happens not to read) is one
        clear error: ``stats`` and export read the whole memory, so they say so first."""
        with self._lock, self._guard():
            problems = [r[0] for r in self._conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise self._damaged(Exception("; ".join(problems)))

    def entries(self) -> Iterator[Match]:
        """Every entry, oldest first (streamed, not loaded at once)."""
        self.check_integrity()
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
        self.check_integrity()
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
                                     " WHERE key = ? ORDER BY id", (memory_key(source),))
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
                key = memory_key(e.source)
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
        keys = [(memory_key(s),) for s in sources]
        if not keys or self.readonly:  # a read-only memory is used, not counted
            return
        with self._write() as c:
            c.executemany("UPDATE tm SET uses = uses + 1 WHERE key = ?", keys)

    def delete(self, source: str) -> bool:
        """Remove the entry for this source; True if there was one."""
        key = memory_key(source)
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
