"""pytest fixtures for the PostgreSQL translation memory (imported by conftest.py).

``pg_cluster`` (session): a throwaway cluster (tests/pg_server.py), stopped at the end of
the session; ``PIPELINE_TEST_PG_URL`` names a server of your own instead. ``pg_url``: a
fresh, empty database per test. Without PostgreSQL or psycopg the tests skip with the
reason, unless ``PIPELINE_REQUIRE_SERVERS`` is set (CI): then they fail.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count(1)


def _unavailable(reason: str) -> None:
    if os.environ.get("PIPELINE_REQUIRE_SERVERS"):
        pytest.fail(f"PIPELINE_REQUIRE_SERVERS is set but {reason}")
    pytest.skip(reason)


class _OwnServer:
    """PIPELINE_TEST_PG_URL: databases are created on that server (needs CREATEDB)."""

    def __init__(self, url: str) -> None:
        self.base = url

    def url(self, database: str = "postgres") -> str:
        return self.base.rsplit("/", 1)[0] + "/" + database

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        pass


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install -e '.[team]'")
    own = os.environ.get("PIPELINE_TEST_PG_URL")
    if own:
        yield _OwnServer(own)
        return
    from pg_server import PostgresCluster, pg_bin

    if pg_bin() is None:
        _unavailable("PostgreSQL is not installed (apt-get install postgresql "
                     "postgresql-contrib; .ci/run does it)")
    try:
        cluster = PostgresCluster()
    except (RuntimeError, OSError) as exc:
        _unavailable(f"a throwaway PostgreSQL cluster could not be started: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: object) -> str:
    """A fresh empty database on the session's server."""
    return pg_cluster.create_database(f"tm_{os.getpid()}_{next(_counter)}")  # type: ignore[attr-defined]


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def memory_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """A new, empty memory of each back-end: an SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "memory.sqlite"
    return request.getfixturevalue("pg_url")
