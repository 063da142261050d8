"""Grammar throughput: words per second, cold and warm, on appeal-like English.

    .venv/bin/python bench/grammar_throughput.py            # N=20 warm runs
    .venv/bin/python bench/grammar_throughput.py --runs 50 --words 2000

cold: a new process; time from nothing to the first result = Harper's Linter creation
      plus the first lint (plus, for "polish", the symspellpy dictionary load).
warm: the median of N runs in a process where everything is loaded, per 1,000 words:
      wall-clock and CPU time (process_time: less disturbed by other work on a busy
      machine), with the two sides interleaved run by run, and their ratio.
Two measures each: "harper" is the bare lint of the whole text (one call); "polish" is the
whole step as `pipeline polish` runs it (`pipeline.polish.polish_document` on the text's
sentences: glossary normalisation, post-edit rules, Harper in batched calls, the
joined-word splitter and speller, re-checks until stable).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Appeal-like paragraphs: clean Seller Central English and typical Chinese-writer errors.
PARAGRAPHS = [
    "Dear amazon: We has received your notification,our ODR is too high.In manycases the "
    "customer did not received the item.",
    "We received your notification on March 3, 2024 that our selling privileges were "
    "deactivated because our Order Defect Rate (ODR) was 2.8%, above the 1% target.",
    "Root cause 1: Our warehouse team shipped 14 orders after the expected ship date because "
    "our carrier missed two scheduled pickups.",
    "I has checked all the orders in the first time,and we found these problems has been "
    "caused by our staff.",
    "Actions taken: We refunded all affected customers in full, updated the detail page and "
    "moved 80% of our inventory to Fulfillment by Amazon (FBA).",
    "Meanwhile ,our team have 4 years experience in FBA and we provide high- quality "
    "products!!!",
    "Preventive measures: Our operations manager checks the Late Shipment Rate and Valid "
    "Tracking Rate in Seller Central every morning at 10:30.",
    "Rcently we has changed the carrier,furtherto we will check the VTR and LSR everyday.",
    "Three A-to-z Guarantee claims were filed for ASIN B0C1234XYZ because the description "
    "did not state that the adapter is sold separately.",
    "We has aconcern about ourignorance of the policy；we informcustomer’s about delays.",
]


def appeal_text(words: int) -> list[str]:
    out: list[str] = []
    n = 0
    while n < words:
        p = PARAGRAPHS[len(out) % len(PARAGRAPHS)]
        out.append(p)
        n += len(p.split())
    return out


def count_words(paras: list[str]) -> int:
    return sum(len(p.split()) for p in paras)


def polish_all(step: object, paras: list[str]) -> None:
    """What `pipeline polish` does to a document: sentences, then `polish_document`."""
    from pipeline.document import Block, Document, RunInfo
    from pipeline.polish import polish_document, segment_english

    doc = Document(path=Path("bench.txt"), run=RunInfo(format="txt"))
    for i, p in enumerate(paras):
        doc.blocks.append(segment_english(Block(id=f"line{i + 1}", story="body", text=p)))
    polish_document(doc, step)  # type: ignore[arg-type]


def child_cold(kind: str, words: int) -> dict[str, float]:
    """Runs in a fresh process: first result from nothing loaded."""
    paras = appeal_text(words)
    t0 = time.perf_counter()
    from pipeline.grammar import GrammarStep, HarperBackend, _harper_linter

    t_import = time.perf_counter() - t0
    backend = HarperBackend()
    t1 = time.perf_counter()
    _harper_linter(backend.words)  # Linter() + dictionary import
    t_linter = time.perf_counter() - t1
    if kind == "harper":
        backend.check("\n\n".join(paras))
    else:
        polish_all(GrammarStep("harper"), paras)
    return {"import_s": t_import, "linter_s": t_linter, "total_s": time.perf_counter() - t0}


def cold(kind: str, words: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--words", str(words)],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm(paras: list[str], runs: int) -> dict[str, dict[str, list[float]]]:
    """Both sides, interleaved run by run (a busy machine slows both alike): wall-clock
    and CPU (``time.process_time``) seconds per run."""
    from pipeline.grammar import GrammarStep, HarperBackend

    backend, step = HarperBackend(), GrammarStep("harper")
    text = "\n\n".join(paras)
    backend.check(text)
    polish_all(step, paras)  # load everything
    out: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []}
                                              for k in ("harper", "polish")}
    for _ in range(runs):
        for kind in ("harper", "polish"):
            t0, c0 = time.perf_counter(), time.process_time()
            if kind == "harper":
                backend.check(text)
            else:
                polish_all(step, paras)
            out[kind]["wall"].append(time.perf_counter() - t0)
            out[kind]["cpu"].append(time.process_time() - c0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--words", type=int, default=1000)
    ap.add_argument("--child", choices=["harper", "polish"])
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child_cold(args.child, args.words)))
        return
    paras = appeal_text(args.words)
    words = count_words(paras)
    from pipeline.grammar import HarperBackend

    print(f"text: {words} words in {len(paras)} appeal-like paragraphs; "
          f"{HarperBackend().version}; Python {sys.version.split()[0]}")
    w = warm(paras, args.runs)
    per_k = 1000 / words  # per 1,000 words
    for kind in ("harper", "polish"):
        c = cold(kind, args.words)
        wall = statistics.median(w[kind]["wall"])
        cpu = statistics.median(w[kind]["cpu"])
        cold_wps, warm_wps = words / c["total_s"], words / wall
        print(f"{kind:7s} cold: {c['total_s']:.2f} s to first result "
              f"(import {c['import_s']:.2f} s, Linter {c['linter_s']:.2f} s) "
              f"= {cold_wps:,.0f} words/s")
        print(f"{kind:7s} warm: {wall * 1000 * per_k:.1f} ms per 1,000 words wall-clock, "
              f"{cpu * 1000 * per_k:.1f} ms CPU (medians of {args.runs}) "
              f"= {warm_wps:,.0f} words/s")
    ratio_wall = statistics.median(p / h for p, h in zip(w["polish"]["wall"],
                                                          w["harper"]["wall"], strict=True))
    ratio_cpu = statistics.median(p / h for p, h in zip(w["polish"]["cpu"],
                                                         w["harper"]["cpu"], strict=True))
    print(f"polish / bare Harper, same runs: {ratio_wall:.2f}x wall-clock, {ratio_cpu:.2f}x CPU")

if __name__ == "__main__":
    main()
