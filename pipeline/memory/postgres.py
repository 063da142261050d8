"""A team's translation memory in PostgreSQL (``--memory postgresql://user@host/db``).

Same interface and rules as the SQLite file (``pipeline.memory``): exact and fuzzy lookup,
reviewed wins (``keep_existing``), statuses, provenance, the approval history, TMX
import/export. Needs the ``team`` extra (``pip install 'appeal-pipeline[team]'``, the
psycopg 3 driver); it is imported only when a URL is given.

* **Schema**: created by the tool on first use (or ``pipeline memory migrate``), in one
  transaction under an advisory lock so two first users do not both create it; the
  version lives in ``tm_meta`` (same numbering as the SQLite file).
* **Concurrency**: every store is one transaction of ``INSERT ... ON CONFLICT DO UPDATE``
  whose ``WHERE`` is the who-wins rule, so the row lock of the database decides: two
  reviewers approving the same sentence at once are serialised, the later approval wins
  and both are kept in ``tm_history``. A killed process's transaction is rolled back.
* **Fuzzy lookup**: candidates from a ``pg_trgm`` GIN index (``%`` operator, ordered by
  ``similarity()``), then scored exactly as SQLite does (``score_candidates``), so both
  back-ends give the same scores. Without ``pg_trgm`` (the extension cannot be created
  without privileges, or the database's locale makes it ignore Chinese) a plain scan
  inside the length window is used, with a one-line warning.
* **Secrets**: the URL's password is never shown: messages, stats and reports use
  ``redact_url``. Prefer ``PGPASSWORD`` or ``~/.pgpass`` to a password in the URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import InputError
from .pg_schema import _MIGRATIONS, _SCHEMA, _UPSERT, _driver, _host, _password, _warn
from .records import (
    _COLUMNS,
    _HISTORY_COLUMNS,
    DECISIONS,
    ORIGINS,
    SCHEMA_VERSION,
    STATUSES,
    Match,
    MemoryEntry,
    StoreResult,
    _Connected,
    check_entry,
    keep_existing,
    length_window,
    memory_key,
    now_iso,
    redact_url,
    score_candidates,
)

_CANDIDATES = 200  # as SQLite: candidates scored exactly per fuzzy query
_CHUNK = 500
# pg_trgm's similarity is much stricter than a character ratio (one changed character
# breaks three trigrams): a low bar keeps the recall of a 0.5-0.75 character ratio.
_TRGM_THRESHOLD = 0.1
_LOCK_ID = 0x7067_746D  # advisory lock for creating/migrating the schema

class PgTranslationMemory(_Connected):
    """A translation memory in a PostgreSQL database (see the module docstring).

    One connection per object (autocommit; each write is an explicit transaction); the
    object may be shared between threads (a lock serialises use of the connection).
    """

    def __init__(self, url: str, *, create: bool = True, readonly: bool = False) -> None:
        self.url = url
        self.location = redact_url(url)
        self.path = self.location  # what older callers print; never the password
        self.host = _host(url)
        self.readonly = False
        self.schema_version = SCHEMA_VERSION
        self.trigram = False
        self._trgm_said = False  # one warning about pg_trgm per memory, not two
        self._lock = threading.RLock()
        psycopg = _driver()
        self._errors = psycopg.Error
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=15,
                                         application_name="appeal-pipeline")
        except psycopg.Error as exc:
            raise InputError(f"cannot connect to the translation memory at {self.host} "
                             f"({self._reason(exc)})") from None
        except (ValueError, UnicodeError) as exc:  # a malformed URL or option
            raise InputError(f"translation memory {self.location}: bad URL "
                             f"({self._clean(str(exc))})") from None
        try:
            with self._guard():
                self._setup(create, readonly)
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing -------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        """One line, no password, no URL with a password."""
        line = " ".join(text.split())
        secret = _password(self.url)
        if secret:
            line = line.replace(secret, "***")
        return line.replace(self.url, self.location)

    def _reason(self, exc: Exception) -> str:
        text = str(exc).strip().splitlines()
        # libpq: 'connection failed: connection to server at "h" (ip), port p failed: X'
        first = text[0] if text else type(exc).__name__
        if "failed:" in first:
            first = first.rsplit("failed:", 1)[1].strip() or first
        return self._clean(first)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """A database error is one line naming the memory, never a traceback."""
        try:
            yield
        except InputError:
            raise
        except self._errors as exc:
            if getattr(exc, "sqlstate", None) is None and self._conn.closed:
                raise InputError(f"lost the connection to the translation memory at "
                                 f"{self.host} ({self._reason(exc)})") from None
            raise InputError(f"translation memory {self.location}: "
                             f"{self._reason(exc)}") from None

    @contextmanager
    def _write(self) -> Iterator[Any]:
        if self.readonly:
            raise InputError(f"translation memory {self.location} is read-only: cannot store")
        with self._lock, self._guard(), self._conn.transaction():
            with self._conn.cursor() as cur:
                yield cur

    def _setup(self, create: bool, readonly: bool) -> None:
        c = self._conn
        version = self._version()
        if version is None:
            if readonly or not create:
                raise InputError(f"{self.location} holds no translation memory yet: create "
                                 f"it with: pipeline memory migrate --memory URL")
            self._create()
            version = self._version()
        if version != SCHEMA_VERSION:
            if version in _MIGRATIONS and not readonly:
                self.migrate()
            else:
                raise InputError(f"{self.location}: unsupported translation memory schema "
                                 f"{version} (expected {SCHEMA_VERSION})")
        if readonly:
            c.execute("SET default_transaction_read_only = on")
            self.readonly = True
        else:
            # (with a list has_table_privilege is true if *any* is held: ask each)
            row = c.execute("SELECT has_table_privilege('tm', 'INSERT')"
                            " AND has_table_privilege('tm', 'UPDATE')"
                            " AND has_table_privilege('tm_history', 'INSERT')").fetchone()
            self.readonly = not row[0]
        self.trigram = self._trigram_ready()
        if self.trigram:
            c.execute(f"SET pg_trgm.similarity_threshold = {_TRGM_THRESHOLD}")

    def _version(self) -> str | None:
        c = self._conn
        if c.execute("SELECT to_regclass('tm_meta')").fetchone()[0] is None:
            if c.execute("SELECT to_regclass('tm')").fetchone()[0] is not None:
                raise InputError(f"{self.location} has a table tm that is not a translation "
                                 "memory's: use another database")
            return None
        row = c.execute("SELECT value FROM tm_meta WHERE key = 'schema'").fetchone()
        return row[0] if row else "?"

    def _create(self) -> None:
        """The schema and, when the extension can be had, the trigram index."""
        with self._lock, self._conn.transaction():
            c = self._conn
            c.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            if c.execute("SELECT to_regclass('tm_meta')").fetchone()[0] is not None:
                return  # somebody else created it meanwhile
            for stmt in _SCHEMA:
                c.execute(stmt)
            c.execute("INSERT INTO tm_meta(key, value) VALUES ('schema', %s), ('created', %s)"
                      " ON CONFLICT DO NOTHING", (SCHEMA_VERSION, now_iso()))
            self._trigram_index()

    def _trigram_index(self) -> bool:
        """CREATE EXTENSION pg_trgm + the GIN index, inside a savepoint: without the
        privilege (or the contrib package) the memory works with a plain scan."""
        try:
            with self._conn.transaction():
                self._conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except self._errors as exc:
            self._trgm_said = True
            _warn(f"translation memory {self.location}: pg_trgm is not available "
                  f"({self._reason(exc)}): fuzzy lookup scans instead of using an index; "
                  "ask the database owner to run CREATE EXTENSION pg_trgm, then "
                  "pipeline memory migrate")
            return False
        self._conn.execute("CREATE INDEX IF NOT EXISTS tm_key_trgm ON tm"
                           " USING gin (key gin_trgm_ops)")
        return True

    def _trigram_ready(self) -> bool:
        c = self._conn
        if c.execute("SELECT to_regclass('tm_key_trgm')").fetchone()[0] is None:
            if self._trgm_said:
                pass
            elif c.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone():
                _warn(f"translation memory {self.location}: no trigram index: run "
                      "pipeline memory migrate")
            else:
                _warn(f"translation memory {self.location}: pg_trgm is not installed in "
                      "the database: fuzzy lookup scans instead of using an index")
            return False
        # pg_trgm only sees "word" characters: in a database whose locale does not class
        # CJK as letters (LC_CTYPE=C) it would ignore Chinese altogether.
        if not c.execute("SELECT show_trgm('翻译')").fetchone()[0]:
            _warn(f"translation memory {self.location}: the database's locale hides Chinese "
                  "from pg_trgm (create it with a UTF-8 locale): fuzzy lookup scans")
            return False
        return True

    def migrate(self) -> str:
        """Create or bring the schema to ``SCHEMA_VERSION``; (re)create the trigram index
        when it is missing. Returns the version."""
        if self.readonly:
            raise InputError(f"translation memory {self.location} is read-only: cannot migrate")
        with self._lock, self._guard():
            with self._conn.transaction():
                c = self._conn
                c.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                version = self._version()
                while version in _MIGRATIONS:
                    for stmt in _MIGRATIONS[version]:
                        c.execute(stmt)
                    version = self._version()
                if c.execute("SELECT to_regclass('tm_key_trgm')").fetchone()[0] is None:
                    self._trigram_index()
            self.trigram = self._trigram_ready()
            if self.trigram:
                self._conn.execute(f"SET pg_trgm.similarity_threshold = {_TRGM_THRESHOLD}")
        self.schema_version = version or SCHEMA_VERSION
        return self.schema_version

    # -- reading --------------------------------------------------------------------

    def lookup(self, source: str) -> Match | None:
        key = memory_key(source)
        if not key:
            return None
        with self._lock, self._guard():
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM tm WHERE key_hash = md5(%s)"
                                     " AND key = %s", (key, key)).fetchone()
        return Match(*row) if row else None

    def fuzzy(self, source: str, threshold: float = 0.75, limit: int = 3) -> list[Match]:
        """As ``TranslationMemory.fuzzy``: same candidates' scores, same order."""
        key = memory_key(source)
        if not key or limit <= 0:
            return []
        threshold = max(0.0, min(1.0, threshold))
        lo, hi = length_window(len(key), threshold)
        if self.trigram:
            # No length condition here: with one the planner prefers the length index
            # (or a sequential scan, which computes the trigrams of every row) to the
            # trigram index; score_candidates applies the length bound anyway.
            sql = (f"SELECT {_COLUMNS} FROM tm WHERE key %% %(q)s AND status <> 'rejected'"
                   " ORDER BY similarity(key, %(q)s) DESC LIMIT %(n)s")
        else:  # a plain scan of the length window
            sql = (f"SELECT {_COLUMNS} FROM tm WHERE length BETWEEN %(lo)s AND %(hi)s"
                   " AND status <> 'rejected'")
        with self._lock, self._guard():
            with self._conn.transaction():
                if self.trigram:  # a seq scan is never cheaper than the index here
                    self._conn.execute("SET LOCAL enable_seqscan = off")
                rows = self._conn.execute(sql, {"q": key, "lo": lo, "hi": hi,
                                                "n": _CANDIDATES}).fetchall()
            if self.trigram and len(key) <= 3:
                # Too short for trigrams to find a one-character change: the window is
                # tiny anyway (a handful of lengths), scan it.
                rows += self._conn.execute(
                    f"SELECT {_COLUMNS} FROM tm WHERE length BETWEEN %s AND %s"
                    " AND status <> 'rejected' AND NOT (key %% %s) LIMIT 2000",
                    (lo, hi, key)).fetchall()
        return score_candidates(key, (Match(*r) for r in rows), threshold, limit)

    def entries(self) -> Iterator[Match]:
        """Every entry, oldest first (streamed in chunks)."""
        last = 0
        while True:
            with self._lock, self._guard():
                rows = self._conn.execute(
                    f"SELECT {_COLUMNS}, id FROM tm WHERE id > %s ORDER BY id LIMIT %s",
                    (last, _CHUNK)).fetchall()
            if not rows:
                return
            for row in rows:
                yield Match(*row[:-1])
            last = rows[-1][-1]

    def history(self, source: str) -> list[dict[str, Any]]:
        key = memory_key(source)
        with self._lock, self._guard():
            cur = self._conn.execute(f"SELECT {_HISTORY_COLUMNS} FROM tm_history"
                                     " WHERE md5(key) = md5(%s) AND key = %s ORDER BY id",
                                     (key, key))
            names = [d.name for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def stats(self) -> dict[str, Any]:
        with self._lock, self._guard():
            c = self._conn
            entries = c.execute("SELECT COUNT(*) FROM tm").fetchone()[0]
            by_origin = dict.fromkeys(ORIGINS, 0)
            by_origin.update(dict(c.execute("SELECT origin, COUNT(*) FROM tm GROUP BY origin")
                                  .fetchall()))
            by_status = dict.fromkeys(STATUSES, 0)
            by_status.update(dict(c.execute("SELECT status, COUNT(*) FROM tm GROUP BY status")
                                  .fetchall()))
            models = dict(c.execute("SELECT model, COUNT(*) FROM tm WHERE origin='machine'"
                                    " GROUP BY model ORDER BY COUNT(*) DESC").fetchall())
            glossaries = dict(c.execute(
                "SELECT glossary_version, COUNT(*) FROM tm WHERE origin='machine'"
                " GROUP BY glossary_version ORDER BY COUNT(*) DESC").fetchall())
            uses, first, last = c.execute(
                "SELECT COALESCE(SUM(uses), 0), MIN(created), MAX(updated) FROM tm").fetchone()
        return {"path": self.location, "backend": "postgresql", "schema": self.schema_version,
                "fuzzy_index": "pg_trgm" if self.trigram else "none (scan)",
                "entries": entries, "by_origin": by_origin, "by_status": by_status,
                "models": models, "glossary_versions": glossaries, "uses": int(uses),
                "oldest": first, "newest": last}

    # -- writing --------------------------------------------------------------------

    def store(self, source: str, target: str, origin: str = "machine", model: str = "",
              glossary_version: str = "") -> str:
        res = self.store_entries([MemoryEntry(source, target, origin, model, glossary_version)])
        for name in ("inserted", "updated", "unchanged", "kept"):
            if getattr(res, name):
                return name
        return "unchanged"

    def store_many(self, pairs: Iterable[tuple[str, str]], origin: str = "machine",
                   model: str = "", glossary_version: str = "", *, author: str = "",
                   source_file: str = "") -> StoreResult:
        return self.store_entries(MemoryEntry(s, t, origin, model, glossary_version,
                                              author=author, source_file=source_file)
                                  for s, t in pairs)

    def store_entries(self, entries: Iterable[MemoryEntry]) -> StoreResult:
        """Store entries in one transaction (rules: ``TranslationMemory.store_entries``).

        Each entry is one upsert whose WHERE clause is the who-wins rule, so concurrent
        writers are ordered by the row lock; a row the upsert left alone is counted
        ``kept`` (the stored entry wins) or ``unchanged`` (same text)."""
        res = StoreResult()
        stamp = now_iso()
        with self._write() as cur:
            chunk: list[tuple[MemoryEntry, str, str]] = []
            for e in entries:
                status = check_entry(e)
                key = memory_key(e.source)
                if not key or not e.target.strip():
                    continue
                chunk.append((e, key, status))
                if len(chunk) >= _CHUNK:
                    self._store_chunk(cur, chunk, stamp, res)
                    chunk = []
            if chunk:
                self._store_chunk(cur, chunk, stamp, res)
        return res

    def _store_chunk(self, cur: Any, chunk: list[tuple[MemoryEntry, str, str]], stamp: str,
                     res: StoreResult) -> None:
        params = [{"key": key, "source": e.source, "target": e.target, "origin": e.origin,
                   "model": e.model, "glossary_version": e.glossary_version,
                   "length": len(key), "created": e.created or stamp,
                   "insert_updated": e.updated or e.created or stamp,
                   "update_updated": e.updated or stamp, "given_updated": e.updated,
                   "uses": e.uses, "status": status, "extra": e.extra, "author": e.author,
                   "source_file": e.source_file}
                  for e, key, status in chunk]
        cur.executemany(_UPSERT, params, returning=True)
        outcomes: list[str | None] = []
        while True:
            row = cur.fetchone()
            outcomes.append(None if row is None else ("inserted" if row[0] else "updated"))
            if not cur.nextset():
                break
        left = {key for (_, key, _), o in zip(chunk, outcomes, strict=True) if o is None}
        stored: dict[str, tuple[str, str, str, str]] = {}
        if left:
            cur.execute("SELECT key, status, origin, target, updated FROM tm WHERE key_hash"
                        " IN (SELECT md5(k) FROM unnest(%s::text[]) AS k)", (list(left),))
            stored = {r[0]: r[1:] for r in cur.fetchall()}
        history = []
        for (e, key, status), outcome in zip(chunk, outcomes, strict=True):
            if outcome is None:
                old = stored.get(key)
                kept = old is not None and keep_existing(old[0], old[1], old[2], old[3], e,
                                                         status)
                outcome = "kept" if kept else "unchanged"
            setattr(res, outcome, getattr(res, outcome) + 1)
            if status in DECISIONS:
                history.append((key, e.source, e.target, e.origin, status, e.model,
                                e.glossary_version, e.author, e.source_file,
                                e.updated or stamp, outcome))
        if history:
            cur.executemany("INSERT INTO tm_history(key, source, target, origin, status,"
                            " model, glossary_version, author, source_file, at, outcome)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", history)

    # -- the team glossary -------------------------------------------------------------

    def push_glossary(self, name: str, content: str, terms: int, author: str = "",
                      source_file: str = "") -> None:
        """Make ``content`` (glossary TSV text) the team glossary ``name``, in one
        transaction; the later push wins and the history keeps every push."""
        stamp = now_iso()
        with self._write() as cur:
            for stmt in _SCHEMA:  # (a memory made before the glossary tables existed)
                if "tm_glossary" in stmt:
                    cur.execute(stmt)
            cur.execute("INSERT INTO tm_glossary(name, content, terms, author, source_file,"
                        " updated) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE"
                        " SET content = EXCLUDED.content, terms = EXCLUDED.terms,"
                        " author = EXCLUDED.author, source_file = EXCLUDED.source_file,"
                        " updated = EXCLUDED.updated",
                        (name, content, terms, author, source_file, stamp))
            cur.execute("INSERT INTO tm_glossary_history(name, content, terms, author,"
                        " source_file, at) VALUES (%s, %s, %s, %s, %s, %s)",
                        (name, content, terms, author, source_file, stamp))

    def pull_glossary(self, name: str) -> dict[str, Any] | None:
        """The team glossary ``name``: ``{content, terms, author, source_file, updated}``."""
        with self._lock, self._guard():
            if self._conn.execute("SELECT to_regclass('tm_glossary')").fetchone()[0] is None:
                return None
            cur = self._conn.execute("SELECT content, terms, author, source_file, updated"
                                     " FROM tm_glossary WHERE name = %s", (name,))
            row = cur.fetchone()
            if row is None:
                return None
            return dict(zip([d.name for d in cur.description], row, strict=True))

    def record_use(self, sources: Iterable[str]) -> None:
        keys = [(k, k) for k in (memory_key(s) for s in sources) if k]
        if not keys or self.readonly:
            return
        with self._write() as cur:
            cur.executemany("UPDATE tm SET uses = uses + 1 WHERE key_hash = md5(%s)"
                            " AND key = %s", keys)

    def delete(self, source: str) -> bool:
        key = memory_key(source)
        with self._write() as cur:
            cur.execute("DELETE FROM tm WHERE key_hash = md5(%s) AND key = %s", (key, key))
            return cur.rowcount > 0
