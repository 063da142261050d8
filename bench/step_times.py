"""End-to-end `pipeline run` on a generated 200-segment Chinese DOCX: time per step.

    .venv/bin/python bench/step_times.py             # ~1 min: 1 cold + 2 warm runs
    .venv/bin/python bench/step_times.py --quick     # 1 cold + 1 warm run, 80 segments
    .venv/bin/python bench/step_times.py --model demo --grammar none   # other set-ups

The document is written with python-docx from the unique sentences of
demo_model/corpus.tsv (else the sample draft's sentences, repeated with a numbered
suffix so each stays unique), grouped into 1-4-sentence paragraphs. One fresh process
then runs the pipeline's own ``Pipeline.run`` (read, segment, [memory], protect,
translate, glossary, grammar, QA, write) several times on it: the first run is cold
(the model is loaded inside the translate step, as in a one-off `pipeline run`), the
later ones warm (the same Pipeline, as in `pipeline batch`). Step times come from the
report JSON's ``timings_s``; "write" is taken from ``doc.run.timings`` because the
report is written inside that step (so its own timings lack it).

With the stand-in model (random weights) the output length is fixed at --out-tokens
(default 32) through ``EngineSettings.min/max_decoding_length``; the English is gibberish,
so the glossary/grammar/QA times are only indicative: use --model demo for realistic
English (fast tiny model) or --model PATH for a real model.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    benchmark_paragraphs,
    machine_load,
    median,
    resolve_model,
    run_worker,
    text_source,
    wait_quiet,
)

SCRIPT = Path(__file__).resolve()
STEPS = ["read", "segment", "memory", "protect", "translate", "glossary", "grammar", "qa", "write"]


def make_docx(paragraphs: list[list[str]], path: Path) -> Path:
    """A plain appeal-like DOCX: a title, then the paragraphs (every 12th as a heading)."""
    import docx

    d = docx.Document()
    d.add_heading("关于恢复销售权限的行动计划", level=0)
    for i, sentences in enumerate(paragraphs):
        text = "".join(sentences)
        if i % 12 == 11 and len(sentences) == 1:
            d.add_heading(text, level=1)
        else:
            d.add_paragraph(text)
    d.core_properties.author = "bench"
    d.save(str(path))
    return path


def worker_main(cfg: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    from pipeline.engine import EngineSettings
    from pipeline.runner import Pipeline, RunOptions

    t_import = time.perf_counter() - t0
    n = int(cfg["out_tokens"])
    engine = EngineSettings(**({"min_decoding_length": n, "max_decoding_length": n} if n else {}))
    out_root = Path(cfg["out"])
    memory = Path(cfg["memory"]) if cfg.get("memory") else None
    options = RunOptions(out_dir=out_root / "run0", model=Path(cfg["model"]), engine=engine,
                         grammar=cfg["grammar"], memory=memory, force=True)
    notes: list[str] = []
    try:
        pipeline = Pipeline(options)
    except Exception as exc:  # noqa: BLE001 - e.g. no built-in glossary in a partial tree
        if not options.builtin_glossary or type(exc).__name__ != "GlossaryError":
            raise
        notes.append(f"built-in glossary unavailable ({exc}); ran without it")
        options.builtin_glossary = False
        pipeline = Pipeline(options)
    runs: list[dict[str, Any]] = []
    try:
        sent_before = 0
        for i in range(cfg["runs"]):
            pipeline.options.out_dir = out_root / f"run{i}"
            t = time.perf_counter()
            result = pipeline.run(Path(cfg["docx"]))
            wall = time.perf_counter() - t
            report = json.loads(result.outputs["report"].read_text(encoding="utf-8"))
            steps = dict(report.get("timings_s", {}))
            meta_t = result.doc.run.timings
            write_in_report = "write" in steps
            if not write_in_report and "write" in meta_t:
                steps["write"] = meta_t["write"]
            runs.append({"wall_s": wall, "steps": steps, "write_in_report": write_in_report,
                         "counts": report.get("counts", {}),
                         "engine_calls": pipeline.engine.calls,
                         "engine_inputs": pipeline.engine.sentences - sent_before,
                         "paths": dict(Counter(s.get("path", "none")
                                               for s in report.get("segments", [])))})
            sent_before = pipeline.engine.sentences
    finally:
        pipeline.close()
    print(json.dumps({"import_s": t_import, "runs": runs, "notes": notes,
                      "process_s": time.perf_counter() - t0}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--model", default="auto",
                    help="standin | demo | auto (an installed real model, else the stand-in) | PATH")
    ap.add_argument("--segments", type=int, help="segments in the document (default 200; quick 80)")
    ap.add_argument("--runs", type=int, help="runs in one process, the first cold (default 3; quick 2)")
    ap.add_argument("--out-tokens", type=int,
                    help="fixed output length (default 32 for the stand-in, natural (0) otherwise)")
    ap.add_argument("--grammar", default="harper", help="harper | languagetool | none")
    ap.add_argument("--memory", type=Path, help="a translation memory to use (adds the memory step)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--max-wait", type=float, default=300,
                    help="seconds to wait for other processes to go quiet first (default 300)")
    ap.add_argument("--keep", type=Path, help="write the DOCX and outputs here instead of a temp dir")
    a = ap.parse_args()
    if a.worker:
        worker_main(json.loads(a.worker))
        return

    model, desc, standin = resolve_model(a.model)
    out_tokens = a.out_tokens if a.out_tokens is not None else (32 if standin else 0)
    segments = a.segments or (80 if a.quick else 200)
    runs = a.runs or (2 if a.quick else 3)
    source, _ = text_source()
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp:
        work = a.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        paras = benchmark_paragraphs(segments)
        docx_path = make_docx(paras, work / "bench_zh.docx")
        print(f"pipeline run, time per step ({runs} runs in one process: 1 cold, {runs - 1} warm)")
        if standin:
            print("  MODEL: STAND-IN (Transformer-base shape, int8, ~32k vocab, RANDOM weights): "
                  "translate time is real, the English is gibberish")
        print(f"  model: {desc}")
        print(f"  document: {docx_path.name}, {segments} sentences in {len(paras)} paragraphs "
              f"from {source}; output length: "
              f"{f'fixed {out_tokens} tokens' if out_tokens else 'natural'}; grammar: {a.grammar}")
        print(f"  machine before: {machine_load()}")
        cfg = {"name": "step_times", "model": str(model), "docx": str(docx_path),
               "out": str(work / "out"), "runs": runs, "out_tokens": out_tokens,
               "grammar": a.grammar, "memory": str(a.memory) if a.memory else None}
        waited, load = wait_quiet(a.max_wait)
        if waited >= 1:
            print(f"  waited {waited:.0f} s for other processes to go quiet (now {load:.2f} cores)")
        t0 = time.perf_counter()
        r = run_worker(SCRIPT, cfg)
        total = time.perf_counter() - t0
        print(f"  machine after: {machine_load()}")
        print(f"  other processes used {r['others_cores']:.2f} cores during the run"
              + ("  (BUSY: the times are inflated)" if r["others_cores"] >= 0.15 else ""))

    for note in r.get("notes", []):
        print(f"  NOTE: {note}")
    cold = r["runs"][0]
    warm = r["runs"][1:]
    counts = cold["counts"]
    print(f"  segments: {counts.get('segments')} ({counts.get('translated')} translated, "
          f"{counts.get('skipped')} skipped, {counts.get('failed')} failed); "
          f"engine calls per run: {cold['engine_calls']}, inputs: {cold['engine_inputs']}")
    print(f"  translation paths (first run): {cold.get('paths', {})}")
    names = [s for s in STEPS if any(s in run["steps"] for run in r["runs"])]
    names += [s for s in cold["steps"] if s not in names]
    print(f"\n  {'step':<10} {'cold s':>8} {'warm s':>8} {'warm %':>7}")
    warm_med = {s: median([w["steps"].get(s, 0.0) for w in warm]) if warm else float("nan")
                for s in names}
    warm_sum = sum(v for v in warm_med.values() if v == v)
    for s in names:
        w = warm_med[s]
        share = f"{100 * w / warm_sum:6.1f}%" if warm and warm_sum else "      -"
        print(f"  {s:<10} {cold['steps'].get(s, 0.0):8.3f} {w:8.3f} {share}")
    cold_sum = sum(cold["steps"].values())
    print(f"  {'sum':<10} {cold_sum:8.3f} {warm_sum:8.3f}")
    warm_wall = median([w["wall_s"] for w in warm]) if warm else float("nan")
    print(f"  {'run wall':<10} {cold['wall_s']:8.3f} {warm_wall:8.3f}   "
          "(wall - sum = work outside the timed steps: lazy loading of grammar/QA, describe)")
    print(f"  imports {r['import_s']:.2f} s; worker process {r['process_s']:.1f} s; "
          f"this script {total:.1f} s")
    ref = warm_med if warm else cold["steps"]
    slowest = max(ref, key=lambda s: ref[s] if ref[s] == ref[s] else -1)
    print(f"\n  slowest step ({'warm' if warm else 'cold'}): {slowest} "
          f"({ref[slowest]:.3f} s); cold translate includes loading the model")
    if not cold["write_in_report"]:
        print("  note: the report JSON's timings_s has no 'write' (the report is written inside "
              "that step); taken from doc.run.timings")


if __name__ == "__main__":
    main()
