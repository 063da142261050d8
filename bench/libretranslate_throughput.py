"""Sentences per second: in-process engine vs LibreTranslate with 1 and 2 servers.

    python bench/libretranslate_throughput.py [--sentences 120] [--in-flight 4]

Starts real LibreTranslate servers on 127.0.0.1 (from `.venv-lt`, or the Python named by
PIPELINE_LT_PYTHON; the same set-up as the tests: demo package, regex sentence splitter),
translates the same Chinese sentences (from demo_model/corpus.tsv) through each, and
prints sentences/s and the ratios, all measured in this one run. Each figure is the median
of --repeats runs after one warm-up run (LibreTranslate caches translations it has
served, so every run uses sentences with a distinct number in them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, corpus_pairs

sys.path.insert(0, str(REPO / "tests"))


def _texts(n: int, run: int) -> list[str]:
    zh = [z for z, _ in corpus_pairs()] or ["我们已经联系了所有买家并全额退款。"]
    return [f"{zh[i % len(zh)].rstrip('。')}，第{run}批第{i}条。" for i in range(n)]


def _measure(translate, n: int, repeats: int) -> float:
    translate(_texts(n, 0))  # warm-up: models loaded, connections open
    rates = []
    for run in range(1, repeats + 1):
        texts = _texts(n, run)
        t0 = time.perf_counter()
        out = translate(texts)
        rates.append(len(texts) / (time.perf_counter() - t0))
        assert len(out) == len(texts) and all(out)
    return statistics.median(rates)


def main() -> None:
    from libretranslate_server import LibreTranslateServer, lt_python, packages_dir

    from pipeline.engine import get_engine
    from pipeline.libretranslate import LibreTranslateEngine, RemoteSettings
    from pipeline.packages import demo_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()
    if lt_python() is None:
        sys.exit("LibreTranslate is not installed: run .ci/run once, or set PIPELINE_LT_PYTHON")

    local = get_engine(demo_model())
    results = {"in-process engine": _measure(local.translate, args.sentences, args.repeats)}
    packages = packages_dir(Path(tempfile.mkdtemp(prefix="lt-bench-")))
    servers = [LibreTranslateServer(packages), LibreTranslateServer(packages)]
    try:
        settings = RemoteSettings(in_flight=args.in_flight)
        for label, urls in (("LibreTranslate, 1 server", [servers[0].url]),
                            ("LibreTranslate, 2 servers", [s.url for s in servers])):
            engine = LibreTranslateEngine(urls, settings=settings)
            results[label] = _measure(engine.translate, args.sentences, args.repeats)
    finally:
        for s in servers:
            s.close()
    base = results["LibreTranslate, 1 server"]
    print(f"{args.sentences} sentences, median of {args.repeats}, {args.in_flight} requests "
          "in flight per server, demo package, one machine:")
    for label, rate in results.items():
        print(f"  {label:28s} {rate:7.1f} sentences/s  ({rate / base:.2f}x one server)")


if __name__ == "__main__":
    main()
