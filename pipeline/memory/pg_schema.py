"""The PostgreSQL store's SQL (schema, the who-wins upsert) and connection helpers
(the driver import, host and password of a URL, one-time warnings)."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

from ..errors import InputError

_warned: set[str] = set()

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS tm_meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE IF NOT EXISTS tm (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        key_hash text GENERATED ALWAYS AS (md5(key)) STORED UNIQUE,
        source text NOT NULL,
        target text NOT NULL,
        origin text NOT NULL CHECK (origin IN ('machine', 'reviewed')),
        model text NOT NULL DEFAULT '',
        glossary_version text NOT NULL DEFAULT '',
        length integer NOT NULL,
        created text NOT NULL,
        updated text NOT NULL,
        uses integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'reviewed'
            CHECK (status IN ('reviewed', 'draft', 'rejected')),
        extra text NOT NULL DEFAULT '',
        author text NOT NULL DEFAULT '',
        source_file text NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS tm_length ON tm(length)",
    """CREATE TABLE IF NOT EXISTS tm_history (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        source text NOT NULL,
        target text NOT NULL,
        origin text NOT NULL,
        status text NOT NULL,
        model text NOT NULL DEFAULT '',
        glossary_version text NOT NULL DEFAULT '',
        author text NOT NULL DEFAULT '',
        source_file text NOT NULL DEFAULT '',
        at text NOT NULL,
        outcome text NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS tm_history_key ON tm_history(md5(key))",
    # The team glossary (`pipeline glossary push/pull`): one TSV per name, and every push.
    """CREATE TABLE IF NOT EXISTS tm_glossary (
        name text PRIMARY KEY,
        content text NOT NULL,
        terms integer NOT NULL,
        author text NOT NULL DEFAULT '',
        source_file text NOT NULL DEFAULT '',
        updated text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tm_glossary_history (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        content text NOT NULL,
        terms integer NOT NULL,
        author text NOT NULL DEFAULT '',
        source_file text NOT NULL DEFAULT '',
        at text NOT NULL)""",
)
# Migrations of the PostgreSQL schema, by the version they start from (none yet: the
# first PostgreSQL schema is version 3, the SQLite file's current one).
_MIGRATIONS: dict[str, tuple[str, ...]] = {}

# The who-wins rule of ``pipeline.memory.keep_existing`` in SQL (t: stored, EXCLUDED: new).
_KEEP = """(
    (t.status = 'reviewed'
        AND NOT (EXCLUDED.status = 'rejected' AND EXCLUDED.target = t.target)
        AND (EXCLUDED.status <> 'reviewed'
             OR (%(given_updated)s::text IS NOT NULL
                 AND %(given_updated)s::text < t.updated COLLATE "C")))
    OR (t.status <> 'reviewed' AND EXCLUDED.status <> 'reviewed' AND (
        (t.status = 'draft' AND t.origin <> 'machine' AND EXCLUDED.origin = 'machine')
        OR (t.status = 'rejected' AND EXCLUDED.target = t.target
            AND EXCLUDED.status = 'draft'))))"""
_NEW_EXTRA = "CASE WHEN EXCLUDED.extra <> '' THEN EXCLUDED.extra ELSE t.extra END"
_UPSERT = f"""
INSERT INTO tm AS t (key, source, target, origin, model, glossary_version, length, created,
                     updated, uses, status, extra, author, source_file)
VALUES (%(key)s, %(source)s, %(target)s, %(origin)s, %(model)s, %(glossary_version)s,
        %(length)s, %(created)s, %(insert_updated)s, %(uses)s, %(status)s, %(extra)s,
        %(author)s, %(source_file)s)
ON CONFLICT (key_hash) DO UPDATE SET
    source = EXCLUDED.source, target = EXCLUDED.target, origin = EXCLUDED.origin,
    model = EXCLUDED.model, glossary_version = EXCLUDED.glossary_version,
    updated = %(update_updated)s, status = EXCLUDED.status, extra = {_NEW_EXTRA},
    author = EXCLUDED.author, source_file = EXCLUDED.source_file
WHERE NOT {_KEEP}
  AND (t.target, t.origin, t.model, t.glossary_version, t.status, t.extra)
      IS DISTINCT FROM (EXCLUDED.target, EXCLUDED.origin, EXCLUDED.model,
                        EXCLUDED.glossary_version, EXCLUDED.status, {_NEW_EXTRA})
RETURNING (xmax = 0) AS inserted"""


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise InputError("a postgresql:// memory needs the PostgreSQL driver: "
                         "pip install 'appeal-pipeline[team]'") from None
    return psycopg


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "?"
    if not host:
        return "localhost (Unix socket)"
    return f"{host}:{port}" if port else host


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)
