"""Translation memory lookups per second: SQLite file vs PostgreSQL (pg_trgm).

    .venv/bin/python bench/memory_lookup.py                    # 1k, 10k, 100k entries
    .venv/bin/python bench/memory_lookup.py --sizes 1000,10000 --queries 100   # quick
    .venv/bin/python bench/memory_lookup.py --quick

Builds each memory with N synthetic appeal-like sentences (words drawn from the demo
corpus, 12-40 characters), then times, on the same machine in one run:

* exact lookups (``lookup``) of stored sentences;
* fuzzy lookups (``fuzzy(threshold=0.75)``) of stored sentences with two characters
  changed, and how often the sentence it came from is the best hit (recall).

PostgreSQL runs in a throwaway cluster (tests/pg_server.py) started by this script, on
127.0.0.1 (TCP, so every lookup is a round trip); it needs PostgreSQL and psycopg
(``pip install -e '.[team]'``). ``--pg-url`` uses a server of your own instead (it must
allow CREATE DATABASE; the database ``tm_bench_N`` is dropped and re-created).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH.parent / "tests"))

from _common import corpus_pairs, machine_load  # noqa: E402

from pipeline.memory import MemoryEntry, open_memory  # noqa: E402


def words() -> list[str]:
    """Chinese runs of 2-4 characters from the demo corpus (a realistic alphabet)."""
    out: set[str] = set()
    for zh, _ in corpus_pairs():
        run = "".join(ch for ch in zh if "\u4e00" <= ch <= "\u9fff")
        out.update(run[i:i + n] for n in (2, 3, 4) for i in range(0, len(run) - n + 1, n))
    return sorted(out) or ["我们", "订单", "缺陷", "买家", "退款", "库存", "物流", "检查"]


def sentences(n: int, rng: random.Random) -> list[str]:
    vocab = words()
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        s = ""
        target = rng.randint(12, 40)
        while len(s) < target:
            s += rng.choice(vocab)
        s += "。"
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def mutate(s: str, rng: random.Random, vocab: str) -> str:
    chars = list(s)
    for i in rng.sample(range(len(chars) - 1), 2):
        chars[i] = rng.choice(vocab)
    return "".join(chars)


def fill(tm: object, data: list[str]) -> float:
    t = time.perf_counter()
    for i in range(0, len(data), 2000):
        tm.store_entries(MemoryEntry(s, f"English {i + j}.", "reviewed")  # type: ignore[attr-defined]
                         for j, s in enumerate(data[i:i + 2000]))
    return time.perf_counter() - t


def measure(tm: object, exact: list[str], fuzzy: list[tuple[str, str]]) -> dict[str, float]:
    t = time.perf_counter()
    hits = sum(1 for q in exact if tm.lookup(q) is not None)  # type: ignore[attr-defined]
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    found = 0
    for q, original in fuzzy:
        best = tm.fuzzy(q, 0.75, 3)  # type: ignore[attr-defined]
        found += bool(best) and best[0].source == original
    t_fuzzy = time.perf_counter() - t
    assert hits == len(exact)
    return {"exact_per_s": len(exact) / t_exact, "fuzzy_per_s": len(fuzzy) / t_fuzzy,
            "fuzzy_ms": 1000 * t_fuzzy / len(fuzzy), "recall": found / len(fuzzy)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="entry counts, comma-separated (default 1000,10000,100000)")
    ap.add_argument("--queries", type=int, default=300, help="queries of each kind per size")
    ap.add_argument("--quick", action="store_true", help="sizes 1000,10000 and 100 queries")
    ap.add_argument("--pg-url", help="a PostgreSQL server of your own (admin URL)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args()
    sizes = [1000, 10000] if args.quick else [int(x) for x in args.sizes.split(",") if x]
    queries = 100 if args.quick else args.queries
    print(f"load: {machine_load()}")

    cluster = None
    admin = args.pg_url
    if not args.no_pg and admin is None:
        try:
            from pg_server import PostgresCluster

            cluster = PostgresCluster()
            admin = cluster.url()
        except Exception as exc:  # noqa: BLE001 - say why and go on with SQLite only
            print(f"PostgreSQL: not measured ({exc})")
    rng = random.Random(16)
    vocab = "".join(sorted(set("".join(words()))))
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="tm-bench-") as tmp:
            for n in sizes:
                data = sentences(n, rng)
                exact = rng.sample(data, min(queries, n))
                fuzzy = [(mutate(s, rng, vocab), s) for s in rng.sample(data, min(queries, n))]
                specs: list[tuple[str, object]] = [("sqlite", Path(tmp) / f"tm{n}.sqlite")]
                if admin:
                    import psycopg

                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f"DROP DATABASE IF EXISTS tm_bench_{n}")
                        conn.execute(f"CREATE DATABASE tm_bench_{n}")
                    specs.append(("postgresql", admin.rsplit("/", 1)[0] + f"/tm_bench_{n}"))
                result = {}
                for name, spec in specs:
                    with open_memory(spec) as tm:  # type: ignore[arg-type]
                        build = fill(tm, data)
                        if name == "postgresql":
                            tm._conn.execute("ANALYZE tm")
                        measure(tm, exact[:20], fuzzy[:20])  # warm caches
                        result[name] = {"build_s": build, **measure(tm, exact, fuzzy)}
                    r = result[name]
                    print(f"{n:>7} entries  {name:<10} build {r['build_s']:6.1f} s  "
                          f"exact {r['exact_per_s']:8.0f}/s  fuzzy {r['fuzzy_per_s']:7.1f}/s "
                          f"({r['fuzzy_ms']:.1f} ms)  fuzzy recall {r['recall']:.0%}",
                          flush=True)
                rows.append((n, result))
    finally:
        if cluster is not None:
            cluster.stop()
    print("\nratios PostgreSQL / SQLite (> 1: PostgreSQL faster)")
    for n, result in rows:
        if "postgresql" in result:
            a, b = result["sqlite"], result["postgresql"]
            print(f"{n:>7} entries  exact {b['exact_per_s'] / a['exact_per_s']:.2f}  "
                  f"fuzzy {b['fuzzy_per_s'] / a['fuzzy_per_s']:.2f}")


if __name__ == "__main__":
    main()
