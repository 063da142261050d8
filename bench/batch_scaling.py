"""How `pipeline batch` scales: wall time and peak memory for 10, 50, 200 documents.

    .venv/bin/python bench/batch_scaling.py                  # sizes 10 50 200
    .venv/bin/python bench/batch_scaling.py --sizes 10 50 --jobs 2 --grammar harper
    .venv/bin/python bench/batch_scaling.py --tracemalloc    # also Python heap peak (slower)

Documents are generated with python-docx from the demo corpus (demo_model/corpus.tsv):
a heading, 12-30 paragraphs of 1-3 corpus sentences and a small table each, drawn with
a fixed seed, so sentences repeat across documents the way they do in a real library.
Each size runs in a fresh child process with a fresh library and memory, so its peak
RSS (``VmHWM``; ``resource.getrusage`` where there is no /proc) is its own. Per size three runs:
``first`` (cold memory), ``rerun`` (manifest: everything up to date) and ``forced``
(--force: every segment comes from the memory, the engine gets nothing).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "demo_model" / "corpus.tsv"


def corpus_sentences() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[0] for line in lines if "\t" in line]


def make_library(folder: Path, n: int, seed: int = 1) -> None:
    import docx

    sentences = corpus_sentences()
    rnd = random.Random(seed)
    for i in range(n):
        d = docx.Document()
        d.add_heading(rnd.choice(sentences), level=1)
        for _ in range(rnd.randint(12, 30)):
            d.add_paragraph("".join(rnd.sample(sentences, rnd.randint(1, 3))))
        table = d.add_table(rows=2, cols=2)
        for cell in (c for row in table.rows for c in row.cells):
            cell.text = rnd.choice(sentences)
        sub = folder / f"shop{i % 5}"  # a little nesting, like a real library
        sub.mkdir(parents=True, exist_ok=True)
        d.save(str(sub / f"appeal_{i:04d}.docx"))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss across exec, so a child would report the (bigger) parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS


def child(src: Path, out: Path, jobs: int, grammar: str, force: bool, trace: bool) -> None:
    """One batch run in this process; prints a JSON line with its measurements."""
    sys.path.insert(0, str(REPO))
    if trace:
        import tracemalloc

        tracemalloc.start()
    from pipeline.batch import run_batch
    from pipeline.runner import RunOptions

    t0 = time.perf_counter()
    res = run_batch(src, out, RunOptions(grammar=grammar), jobs=jobs, force=force)
    wall = time.perf_counter() - t0
    traced = None
    if trace:
        import tracemalloc

        traced = tracemalloc.get_traced_memory()[1] / 2**20
    totals = res.to_dict()["totals"]
    print(json.dumps({"wall_s": round(wall, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
                      "traced_peak_mb": round(traced, 1) if traced is not None else None,
                      **totals}))


def run_child(src: Path, out: Path, args: argparse.Namespace, force: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(src), str(out), "--jobs", str(args.jobs),
           "--grammar", args.grammar]
    if force:
        cmd.append("--force")
    if args.tracemalloc:
        cmd.append("--tracemalloc")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode not in (0, 1):
        sys.exit(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--grammar", default="none", help="harper, languagetool or none")
    ap.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, args.jobs, args.grammar, args.force, args.tracemalloc)
        return

    rows = []
    print(f"jobs={args.jobs} grammar={args.grammar}", flush=True)
    header = (f"{'docs':>5} {'run':<7} {'wall s':>8} {'s/doc':>6} {'peak RSS MB':>11} "
              f"{'heap MB':>8} {'segments':>8} {'from TM':>7} {'engine':>6} {'failed':>6}")
    print(header)
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
            src, out = Path(tmp) / "library", Path(tmp) / "out"
            make_library(src, n)
            for label, force in (("first", False), ("rerun", False), ("forced", True)):
                r = run_child(src, out, args, force)
                r.update(docs=n, run=label)
                rows.append(r)
                heap = f"{r['traced_peak_mb']:.1f}" if r["traced_peak_mb"] is not None else "-"
                print(f"{n:>5} {label:<7} {r['wall_s']:>8.2f} {r['wall_s'] / n:>6.3f} "
                      f"{r['peak_rss_mb']:>11.1f} {heap:>8} {r['segments']:>8} "
                      f"{r['memory_hits']:>7} {r['engine_inputs']:>6} {r['failed']:>6}",
                      flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
