"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests (real server, Debian package).

`.ci/run` installs PostgreSQL (Debian `postgresql`) when it is missing. The cluster lives
in a temporary folder, listens on a free port on 127.0.0.1 only, trusts local
connections, and is stopped and deleted at the end. PostgreSQL refuses to run as root:
as root the cluster belongs to the `postgres` system user (made by the Debian package),
otherwise to the current user. Set PIPELINE_TEST_PG_URL to use a server of your own
instead (it must allow CREATE DATABASE).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bin() -> Path | None:
    """The folder of initdb/pg_ctl (newest version installed), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """initdb + pg_ctl start on a free port; ``url(db)``; ``create_database``; ``stop``."""

    def __init__(self) -> None:
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (initdb not found)")
        self.bindir = bindir
        self.home = Path(tempfile.mkdtemp(prefix="pg-cluster-"))
        self.data = self.home / "data"
        self.port = _free_port()
        self.user = "pipeline"
        self._as: list[str] = []
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chmod(self.home, 0o777)  # noqa: S103 - a private temporary folder
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust",
                  "-E", "UTF8", "--locale", "C.UTF-8" if self._has_c_utf8() else "C")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.home / "server.log"), "-w",
                  "-t", "60", "-o", f"-p {self.port} -h 127.0.0.1 -k {self.home} "
                  "-c fsync=off -c max_connections=60", "start")

    @staticmethod
    def _has_c_utf8() -> bool:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True)
        return any(x.lower() in ("c.utf8", "c.utf-8") for x in out.stdout.split())

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self._as, str(self.bindir / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.home)
        if done.returncode != 0:
            log = self.home / "server.log"
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr[-1500:]}{tail}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.home, ignore_errors=True)


def wait_for(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


__all__ = ["PostgresCluster", "pg_bin", "wait_for"]
