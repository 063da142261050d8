"""Test set-up: keep Argos and caches out of HOME, and find ../shared when present."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# argostranslate reads its settings at import time: set them before any test imports it.
_SANDBOX = Path(tempfile.mkdtemp(prefix="pipeline-tests-"))
for var, sub in [("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                 ("XDG_CACHE_HOME", "cache"), ("ARGOS_PACKAGES_DIR", "argos-packages")]:
    os.environ[var] = str(_SANDBOX / sub)
    (_SANDBOX / sub).mkdir(parents=True, exist_ok=True)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def shared_dir() -> Path | None:
    env = os.environ.get("PIPELINE_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    found = shared_dir()
    if found is None:
        pytest.skip("../shared is not present (a fresh clone): skipping shared-data tests")
    return found


@pytest.fixture(scope="session")
def sample_zh() -> Path:
    return SAMPLES / "draft_zh.docx"


# The PostgreSQL memory's fixtures (pg_cluster, pg_url, memory_spec over both back-ends).
from pg_fixtures import memory_spec, pg_cluster, pg_url  # noqa: E402, F401
