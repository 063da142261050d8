"""A separate process that writes/reads a translation memory, for the concurrency tests.

    python tests/memory_worker.py write SPEC PREFIX N SHARED   # N own + SHARED common entries
    python tests/memory_worker.py hold SPEC PREFIX N MARKER    # stops mid-transaction
    python tests/memory_worker.py approve SPEC SOURCE TARGET AUTHOR [MARKER RELEASE]

SPEC is an SQLite path or a postgresql:// URL. Prints one JSON line when done.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.memory import MemoryEntry, memory_spec, open_memory  # noqa: E402


def own(prefix: str, i: int) -> str:
    return f"{prefix}的第{i}句话已经翻译好了。"


def common(i: int) -> str:
    return f"所有进程共同的第{i}句话。"


def write(spec: str, prefix: str, n: int, shared: int) -> dict:
    found = 0
    with open_memory(memory_spec(spec)) as tm:
        for start in range(0, n, 20):
            pairs = [(own(prefix, i), f"{prefix} sentence {i}.") for i in range(start,
                                                                               min(n, start + 20))]
            tm.store_many(pairs, "reviewed", author=prefix)
            # Interleave the shared sentences: machine from some writers, reviewed from others.
            origin = "reviewed" if prefix.endswith(("0", "2")) else "machine"
            tm.store_many([(common(i), f"common {i} by {prefix}.") for i in range(shared)
                           if i % 5 == start // 20 % 5], origin, "m1", "g1", author=prefix)
            found += sum(1 for s, _ in pairs if tm.lookup(s) is not None)
            tm.fuzzy(own(prefix, start) + "吗", 0.6)
    return {"found": found}


def hold(spec: str, prefix: str, n: int, marker: str) -> None:
    def entries() -> Iterator[MemoryEntry]:
        for i in range(n):
            yield MemoryEntry(own(prefix, i), f"{prefix} sentence {i}.", "reviewed")
            if i == n - 50:  # well past the first chunk of 500 statements
                Path(marker).write_text("in transaction", encoding="utf-8")
                time.sleep(3600)  # killed here, the transaction still open

    with open_memory(memory_spec(spec)) as tm:
        tm.store_entries(entries())


def approve(spec: str, source: str, target: str, author: str, marker: str | None,
            release: str | None) -> dict:
    def entries() -> Iterator[MemoryEntry]:
        yield MemoryEntry(source, target, "reviewed", author=author, source_file=f"{author}.docx")
        if marker and release:
            # 499 more: the PostgreSQL back-end sends 500 statements at a time, so the
            # approval above is written (and its row locked) before we wait.
            for i in range(499):
                yield MemoryEntry(f"{author}的填充句子{i}。", f"filler {i}", "reviewed")
            Path(marker).write_text("approved, not committed", encoding="utf-8")
            while not Path(release).exists():
                time.sleep(0.02)

    with open_memory(memory_spec(spec)) as tm:
        res = tm.store_entries(entries())
    return {"inserted": res.inserted, "updated": res.updated}


if __name__ == "__main__":
    mode, spec, *rest = sys.argv[1:]
    if mode == "write":
        out = write(spec, rest[0], int(rest[1]), int(rest[2]))
    elif mode == "hold":
        hold(spec, rest[0], int(rest[1]), rest[2])
        out = {}
    else:
        out = approve(spec, rest[0], rest[1], rest[2], *(rest[3:5] or (None, None)))
    print(json.dumps(out))
