"""The SQLite memory's schema (version ``records.SCHEMA_VERSION``) and the migrations from
older versions, run on open or by ``pipeline memory migrate``."""

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
