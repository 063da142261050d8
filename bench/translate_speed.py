"""The translate step side by side: pipeline vs raw CTranslate2 (the limit) vs Argos's path.

    .venv/bin/python bench/translate_speed.py            # ~4 min: the three sides, ratios
    .venv/bin/python bench/translate_speed.py --quick    # ~1 min: fewer segments/candidates
    .venv/bin/python bench/translate_speed.py --sweep    # ~12 min: tune batch/threads/beam/type
    .venv/bin/python bench/translate_speed.py --variant max_batch_examples=16  # + a pipeline row
    .venv/bin/python bench/translate_speed.py --model PATH   # an unpacked Argos package

Sides, each configuration in its own fresh process, one warm-up call, then the median
of 3 timed runs over the same segments (unique Chinese sentences of demo_model/corpus.tsv
grouped into 1-4-sentence paragraphs):

* pipeline: ``pipeline.translate.translate_segments`` with ``pipeline.engine.Engine`` and
  the default ``EngineSettings`` (tokenize, one batched call, detokenize, bookkeeping).
* raw: ``ctranslate2.Translator.translate_batch`` on the same sentences and model with
  batch encode/decode and nothing else, for several settings; the fastest is the
  machine's limit.
* argos: Argos Translate's own path, i.e. ``PackageTranslation.translate(paragraph)`` per
  paragraph, which calls ``apply_packaged_translation`` (max_batch_size=settings.batch_size
  (32), batch_type "tokens", beam 4, length_penalty 0.2, Argos's own Translator settings).
  The sentence splitter is BYPASSED (MiniSBD downloads an ONNX model at run time and this
  machine is offline): the pipeline's splitter gives the same sentences. Argos is slow, so
  it runs on an evenly spaced subset of the paragraphs; its cost is per sentence (no
  batching beyond 32 tokens), so its sentences/s carries over to the full set.

The driver waits for the rest of the machine to go quiet before each process and re-runs
a process that another one disturbed (see --max-wait); the load is printed throughout.
Output length is fixed for every side (min_decoding_length = max_decoding_length =
--out-tokens; the stand-in's random weights never emit </s>). With a real model the
default is its natural length (--out-tokens 0); pass --out-tokens N to fix it there too.
Goals: pipeline >= 0.9x the raw limit, >= 10x the Argos path.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CACHE,
    benchmark_paragraphs,
    machine_load,
    median,
    resolve_model,
    run_worker,
    sandbox_argos_env,
    text_source,
    timed_runs,
    wait_quiet,
)

SCRIPT = Path(__file__).resolve()
GOAL_LIMIT = 0.9
GOAL_ARGOS = 10.0


def raw(name: str, **kw: Any) -> dict[str, Any]:
    s = {"beam_size": 4, "max_batch_size": 512, "batch_type": "tokens", "inter_threads": 2,
         "intra_threads": 1, "compute_type": "int8", "presort": False}
    s.update(kw)
    return {"name": name, "kind": "raw", "settings": s}


# The candidates for the limit in a normal run: the best of --sweep on this machine
# (tokens=512 is the pipeline's current default, kept for the overhead-alone ratio).
LIMIT_CANDIDATES = [
    raw("raw tokens=512 inter2 intra1"),
    raw("raw tokens=384 inter2 intra1", max_batch_size=384),
    raw("raw examples=16 inter2 intra1", max_batch_size=16, batch_type="examples"),
    raw("raw examples=24 inter2 intra1", max_batch_size=24, batch_type="examples"),
    raw("raw examples=32 inter2 intra1", max_batch_size=32, batch_type="examples"),
]
QUICK_CANDIDATES = [LIMIT_CANDIDATES[0], LIMIT_CANDIDATES[2]]

SWEEP = [
    *(raw(f"raw tokens={n} inter2 intra1", max_batch_size=n)
      for n in (128, 256, 384, 512, 768, 1024, 2048)),
    *(raw(f"raw tokens={n} inter1 intra2", max_batch_size=n, inter_threads=1, intra_threads=2)
      for n in (512, 2048)),
    raw("raw one batch inter1 intra2", max_batch_size=0, inter_threads=1, intra_threads=2),
    raw("raw tokens=512 inter1 intra1 (1 core)", inter_threads=1),
    *(raw(f"raw examples={n} inter2 intra1", max_batch_size=n, batch_type="examples")
      for n in (8, 16, 24, 32, 48, 64)),
    raw("raw tokens=512 inter2 presorted", presort=True),
    raw("raw tokens=512 inter2 beam1", beam_size=1),
    raw("raw tokens=512 inter2 beam2", beam_size=2),
    raw("raw tokens=512 inter2 int16", compute_type="int16"),  # fails where unsupported
    raw("raw tokens=512 inter2 float32", compute_type="float32"),
]


# -- workers (run in their own process) -----------------------------------------------------

def _flat(paras: list[list[str]]) -> list[str]:
    return [s for p in paras for s in p]


def _decoding(cfg: dict[str, Any]) -> dict[str, int]:
    n = int(cfg["out_tokens"])
    return {"min_decoding_length": n, "max_decoding_length": n} if n > 0 else {}


def worker_pipeline(cfg: dict[str, Any], paras: list[list[str]]) -> dict[str, Any]:
    from pipeline.document import Origin, Segment
    from pipeline.engine import Engine, EngineSettings
    from pipeline.packages import info_from_folder
    from pipeline.translate import translate_segments

    settings = EngineSettings(**cfg.get("settings", {}), **_decoding(cfg))
    engine = Engine(info_from_folder(Path(cfg["model"])), settings)

    def make() -> list[Segment]:
        return [Segment(id=f"body/p{i}#{j}", block_id=f"body/p{i}", index=j, source=s)
                for i, p in enumerate(paras) for j, s in enumerate(p)]

    translate_segments(engine, make()[:16])  # warm-up
    done: list[list[Segment]] = []

    def run(segs: list[Segment]) -> None:
        translate_segments(engine, segs)
        done.append(segs)

    cpu: list[float] = []
    times = timed_runs(run, cfg["repeats"], make, cpu)
    ok = all(s.origin is Origin.MACHINE for s in done[-1])
    n_tokens = sum(len(engine.tokenize(s)) for s in _flat(paras))
    return {"times": times, "cpu": cpu, "sentences": len(done[-1]), "all_translated": ok,
            "src_tokens": n_tokens, "engine_settings": repr(settings), "calls": engine.calls}


def worker_raw(cfg: dict[str, Any], paras: list[list[str]]) -> dict[str, Any]:
    import ctranslate2
    import sentencepiece

    s = cfg["settings"]
    model = Path(cfg["model"])
    tr = ctranslate2.Translator(str(model / "model"), device="cpu",
                                compute_type=s["compute_type"],
                                inter_threads=s["inter_threads"], intra_threads=s["intra_threads"])
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model / "sentencepiece.model"))
    prefix = json.loads((model / "metadata.json").read_text(encoding="utf-8")).get("target_prefix", "")
    sents = _flat(paras)
    core: list[float] = []

    def run(texts: list[str]) -> list[str]:
        toks = sp.encode(texts, out_type=str)
        order = list(range(len(toks)))
        if s["presort"]:
            order.sort(key=lambda i: len(toks[i]))
            toks = [toks[i] for i in order]
        kw: dict[str, Any] = {"target_prefix": [[prefix]] * len(toks)} if prefix else {}
        t0 = time.perf_counter()
        res = tr.translate_batch(toks, beam_size=s["beam_size"], max_batch_size=s["max_batch_size"],
                                 batch_type=s["batch_type"], length_penalty=0.0,
                                 replace_unknowns=True, **_decoding(cfg), **kw)
        core.append(time.perf_counter() - t0)
        out = sp.decode([r.hypotheses[0] for r in res])
        if s["presort"]:
            back = [""] * len(out)
            for pos, i in enumerate(order):
                back[i] = out[pos]
            out = back
        return out

    run(sents[:16])  # warm-up
    core.clear()
    cpu: list[float] = []
    times = timed_runs(lambda _: run(sents), cfg["repeats"], None, cpu)
    return {"times": times, "cpu": cpu, "translate_batch_times": core, "sentences": len(sents)}


class _PipelineSplitter:
    """Stands in for MiniSBD (which downloads a model at run time): the pipeline's splitter."""

    def split_sentences(self, text: str, lang_code: str | None = None) -> list[str]:
        from pipeline.segment import split_spans

        return [text[a:b] for a, b in split_spans(text)]


def worker_argos(cfg: dict[str, Any], paras: list[list[str]]) -> dict[str, Any]:
    sandbox_argos_env()  # before the first argostranslate import: it reads settings then
    import ctranslate2

    fixed = _decoding(cfg)
    if fixed:  # the only change to Argos's call: the same fixed output length as the others
        real_translator = ctranslate2.Translator

        class FixedLength:
            def __init__(self, *a: Any, **kw: Any) -> None:
                self._t = real_translator(*a, **kw)

            def translate_batch(self, *a: Any, **kw: Any) -> Any:
                return self._t.translate_batch(*a, **{**kw, **fixed})

        ctranslate2.Translator = FixedLength  # type: ignore[misc,assignment]

    from argostranslate import package
    from argostranslate import settings as argos_settings
    from argostranslate import translate as argos_translate

    pkg = package.Package(Path(cfg["model"]))
    # PackageTranslation.__init__ only builds the sentencizer (MiniSBD): skip it, keep the rest.
    translation = object.__new__(argos_translate.PackageTranslation)
    translation.from_lang = translation.to_lang = None  # type: ignore[assignment]
    translation.pkg = pkg
    translation.translator = None  # built on first use by Argos from its settings
    translation.sentencizer = _PipelineSplitter()  # type: ignore[assignment]

    subset = _argos_subset(paras, cfg["argos_segments"])
    texts = ["".join(p) for p in subset]
    translation.translate(texts[0])  # warm-up (also loads the model, as Argos does)
    cpu: list[float] = []
    times = timed_runs(lambda _: [translation.translate(t) for t in texts], cfg["repeats"],
                       None, cpu)
    return {"times": times, "cpu": cpu, "sentences": sum(len(p) for p in subset), "paragraphs": len(subset),
            "argos_settings": {"batch_size": argos_settings.batch_size,
                               "beam_size": argos_settings.beam_size,
                               "inter_threads": argos_settings.inter_threads,
                               "intra_threads": argos_settings.intra_threads,
                               "compute_type": argos_settings.compute_type}}


def _argos_subset(paras: list[list[str]], n_segments: int) -> list[list[str]]:
    """Evenly spaced paragraphs holding about ``n_segments`` sentences."""
    total = sum(len(p) for p in paras)
    if n_segments >= total:
        return paras
    step = total / n_segments
    out: list[list[str]] = []
    got = 0
    for i, p in enumerate(paras):
        if got >= n_segments:
            break
        if i % max(1, round(step)) == 0:
            out.append(p)
            got += len(p)
    return out


def worker_main(cfg: dict[str, Any]) -> None:
    paras = json.loads(Path(cfg["paras_file"]).read_text(encoding="utf-8"))
    fn = {"pipeline": worker_pipeline, "raw": worker_raw, "argos": worker_argos}[cfg["kind"]]
    result = fn(cfg, paras)
    result["median_s"] = median(result["times"])
    result["rate"] = result["sentences"] / result["median_s"]
    print(json.dumps(result))


# -- driver -------------------------------------------------------------------------------------

def measure_all(cfgs: list[dict[str, Any]], base: dict[str, Any], repeats: int,
                interleave: bool, max_wait: float) -> list[dict[str, Any]]:
    """Every configuration in its own processes: warm-up, then ``repeats`` timed runs.

    Interleaved (the default): ``repeats`` rounds, one fresh process per configuration
    per round (each with its own warm-up), so a background load that comes and goes
    hits every configuration alike. Otherwise one process per configuration.

    Quiet machine: before each process the driver waits until other processes use
    < 0.15 cores, and a process during which they used more is run again (3 tries);
    both only while the ``max_wait`` seconds of patience last. Every result keeps how
    many cores the rest of the machine used while it ran (``others``).
    """
    merged: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    rounds = repeats if interleave else 1
    per_process = 1 if interleave else repeats
    deadline = time.monotonic() + max_wait
    waited_total = 0.0
    for rnd in range(rounds):
        if interleave:
            print(f"  round {rnd + 1}/{rounds}...", file=sys.stderr, flush=True)
        for cfg in cfgs:
            if cfg["name"] in failed:
                continue
            for attempt in range(3):
                waited, _ = wait_quiet(max(0.0, deadline - time.monotonic()))
                waited_total += waited
                try:
                    r = run_worker(SCRIPT, {**base, **cfg, "repeats": per_process})
                except RuntimeError as exc:
                    failed[cfg["name"]] = str(exc).strip().splitlines()[-1]
                    break
                if r["others_cores"] < 0.15 or time.monotonic() >= deadline or attempt == 2:
                    break
                print(f"    {cfg['name']}: others used {r['others_cores']:.2f} cores, again",
                      file=sys.stderr, flush=True)
            if cfg["name"] in failed:
                continue
            m = merged.setdefault(cfg["name"], {**r, "times": [], "cpu": [], "others": [],
                                                "translate_batch_times": []})
            m["others"].append(r["others_cores"])
            m["times"] += r["times"]
            m["cpu"] += r["cpu"]
            m["translate_batch_times"] += r.get("translate_batch_times", [])
    out = []
    for cfg in cfgs:
        if cfg["name"] in failed:
            print(f"  {cfg['name']:<38} FAILED: {failed[cfg['name']]}")
            if cfg["kind"] == "pipeline":
                raise SystemExit("the pipeline side failed")
            continue
        r = merged[cfg["name"]]
        r["name"], r["kind"] = cfg["name"], cfg["kind"]
        if "settings" in cfg:
            r["settings"] = cfg["settings"]
        r["median_s"] = median(r["times"])
        r["rate"] = r["sentences"] / r["median_s"]
        runs = " ".join(f"{t:.2f}" for t in r["times"])
        extra = ""
        if r["translate_batch_times"]:
            extra = f"  (translate_batch alone {median(r['translate_batch_times']):.2f} s)"
        if r["kind"] == "argos":
            extra = f"  ({r['sentences']} sentences in {r['paragraphs']} paragraphs)"
        r["best_rate"] = r["sentences"] / min(r["times"])
        r["cpu_s"] = median(r["cpu"])
        busy = max(r["others"])
        flag = f"  BUSY: others used up to {busy:.2f} cores" if busy >= 0.15 else ""
        print(f"  {cfg['name']:<38} {r['median_s']:7.2f} s  {r['rate']:7.1f} sent/s  "
              f"cpu {r['cpu_s']:6.2f} s   runs {runs} (best {r['best_rate']:.1f}/s){extra}{flag}",
              flush=True)
        out.append(r)
    if waited_total >= 1:
        print(f"  (waited {waited_total:.0f} s in all for other processes to go quiet)")
    return out


def _raw_equivalent(overrides: dict[str, Any]) -> dict[str, Any]:
    """The raw configuration that makes the same translate_batch call as these settings."""
    from pipeline.engine import EngineSettings

    es = EngineSettings(**overrides)
    tokens = es.max_batch_tokens
    return {"beam_size": es.beam_size or 4, "max_batch_size": tokens or es.max_batch_examples,
            "batch_type": "tokens" if tokens else "examples",
            "inter_threads": es.resolved_inter(), "intra_threads": es.intra_threads,
            "compute_type": es.compute_type, "presort": False}


def _parse_override(text: str) -> tuple[str, Any]:
    key, _, value = text.partition("=")
    for conv in (int, float):
        try:
            return key.strip(), conv(value)
        except ValueError:
            pass
    return key.strip(), value.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--model", default="auto",
                    help="standin | demo | auto (an installed real model, else the stand-in) | PATH")
    ap.add_argument("--segments", type=int, help="segments for pipeline/raw (default 200; quick 80)")
    ap.add_argument("--argos-segments", type=int, help="segments for the Argos path (default 40; quick 16)")
    ap.add_argument("--out-tokens", type=int,
                    help="fixed output length (default 32 for the stand-in, natural (0) for a real model)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer segments and limit candidates (~1 min)")
    ap.add_argument("--sweep", action="store_true", help="measure the tuning grid instead (~10 min)")
    ap.add_argument("--join", type=int, default=1,
                    help="glue N corpus sentences into one (longer sentences; default 1)")
    ap.add_argument("--only", help="comma-separated substrings: run only the matching "
                    "raw configurations (e.g. 'tokens=256,examples=32')")
    ap.add_argument("--no-interleave", action="store_true",
                    help="one process per configuration (3 runs each) instead of 3 rounds")
    ap.add_argument("--no-argos", action="store_true", help="skip the (slow) Argos path")
    ap.add_argument("--engine", action="append", default=[], metavar="FIELD=VALUE",
                    help="override an EngineSettings field on the pipeline side (repeatable), "
                         "e.g. --engine max_batch_tokens=1024")
    ap.add_argument("--variant", action="append", default=[], metavar="F=V[,F=V]",
                    help="an extra pipeline row with these EngineSettings (repeatable), "
                         "e.g. --variant max_batch_examples=16")
    ap.add_argument("--max-wait", type=float, default=600,
                    help="seconds of patience in all for other processes to go quiet "
                         "(before each run, and to redo runs they disturbed; default 600)")
    ap.add_argument("--json", type=Path, help="also write all results to this file")
    a = ap.parse_args()
    if a.worker:
        worker_main(json.loads(a.worker))
        return

    model, desc, standin = resolve_model(a.model)
    out_tokens = a.out_tokens if a.out_tokens is not None else (32 if standin else 0)
    segments = a.segments or (80 if a.quick else 200)
    argos_segments = a.argos_segments or (16 if a.quick else 40)
    source, _ = text_source()
    base = {"model": str(model), "segments": segments, "argos_segments": argos_segments,
            "out_tokens": out_tokens, "repeats": a.repeats, "join": a.join}

    print("translate step benchmark" + (" (SWEEP)" if a.sweep else ""))
    if standin:
        print("  MODEL: STAND-IN (Transformer-base shape, int8, ~32k vocab, RANDOM weights): "
              "speed only, the output is gibberish")
    print(f"  model: {desc}")
    print(f"  text: {segments} unique sentences from {source}"
          + (f", {a.join} glued into each" if a.join > 1 else "") + "; "
          f"output length: {f'fixed {out_tokens} tokens' if out_tokens else 'natural'}")
    print(f"  machine before: {machine_load()}")
    how = ("interleaved rounds, a fresh process per configuration per round"
           if not a.no_interleave else "one process per configuration")
    print(f"  each configuration in its own process after a warm-up; median of {a.repeats} "
          f"runs ({how})")
    t_start = time.perf_counter()

    overrides = dict(_parse_override(o) for o in a.engine)
    label = "pipeline (" + (", ".join(a.engine) if a.engine else "EngineSettings defaults") + ")"
    cfgs: list[dict[str, Any]] = [{"name": label, "kind": "pipeline", "settings": overrides}]
    for variant in a.variant:
        extra = dict(_parse_override(o) for o in variant.split(",") if o.strip())
        cfgs.append({"name": f"pipeline ({variant})", "kind": "pipeline",
                     "settings": {**overrides, **extra}})
    pool = SWEEP if a.sweep else (QUICK_CANDIDATES if a.quick else LIMIT_CANDIDATES)
    if a.only:
        wanted = [w.strip() for w in a.only.split(",") if w.strip()]
        pool = [c for c in SWEEP + LIMIT_CANDIDATES if any(w in c["name"] for w in wanted)]
        pool = list({c["name"]: c for c in pool}.values())
    cfgs += pool
    if not a.no_argos and not a.sweep:
        cfgs.append({"name": "argos path (per paragraph)", "kind": "argos"})
    # The driver fixes the sentences once (the corpus may change while this runs).
    paras_file = CACHE / f"translate_speed-{os.getpid()}.json"
    CACHE.mkdir(parents=True, exist_ok=True)
    paras_file.write_text(json.dumps(benchmark_paragraphs(segments, a.join), ensure_ascii=False),
                          encoding="utf-8")
    base["paras_file"] = str(paras_file)
    try:
        results = measure_all(cfgs, base, a.repeats, not a.no_interleave, a.max_wait)
    finally:
        paras_file.unlink(missing_ok=True)
    pipe = results[0]
    raws = [r for r in results if r["kind"] == "raw"]
    argos = next((r for r in results if r["kind"] == "argos"), None)
    print(f"    source tokens: {pipe['src_tokens']} ({pipe['src_tokens'] / pipe['sentences']:.1f}"
          f"/sentence); {pipe['engine_settings']}")
    if argos is not None:
        print(f"    Argos settings: {argos['argos_settings']}; sentence splitter bypassed "
              "(MiniSBD downloads at run time)")

    beam4 = [r for r in raws if r["settings"]["beam_size"] == 4] or raws
    best = max(beam4, key=lambda r: r["rate"])
    print(f"  machine after: {machine_load()}")
    print(f"  total {time.perf_counter() - t_start:.0f} s")
    print("\nratios (sentences/s, same run, same machine):")
    vs_limit = vs_argos = None
    for pipe in (r for r in results if r["kind"] == "pipeline"):
        name = pipe["name"]
        ratio = pipe["rate"] / best["rate"]
        vs_limit = ratio if vs_limit is None else vs_limit
        print(f"  {name} / raw limit ({best['name']}): {ratio:.2f}x   "
              f"goal >= {GOAL_LIMIT}x: {'MET' if ratio >= GOAL_LIMIT else 'NOT MET'}")
        same = next((r for r in raws if r["settings"] == _raw_equivalent(pipe["settings"])), None)
        if same is not None:
            print(f"    / raw with the same settings ({same['name']}): "
                  f"{pipe['rate'] / same['rate']:.2f}x wall, {same['cpu_s'] / pipe['cpu_s']:.2f}x "
                  "cpu   (pipeline overhead alone)")
        if argos is not None:
            ratio = pipe["rate"] / argos["rate"]
            vs_argos = ratio if vs_argos is None else vs_argos
            print(f"    / argos path: {ratio:.1f}x   "
                  f"goal >= {GOAL_ARGOS:.0f}x: {'MET' if ratio >= GOAL_ARGOS else 'NOT MET'}")
    if argos is not None:
        print(f"  raw limit / argos path: {best['rate'] / argos['rate']:.1f}x")
    if a.sweep:
        print("\nsweep ranking:")
        for r in sorted(raws, key=lambda r: -r["rate"]):
            print(f"  {r['rate'] / best['rate']:5.2f}x  {r['rate']:6.1f} sent/s  {r['name']}")
    if a.json:
        a.json.write_text(json.dumps({"model": desc, "standin": standin, "base": base,
                                      "results": results, "pipeline_vs_limit": vs_limit,
                                      "pipeline_vs_argos": vs_argos}, indent=2) + "\n")


if __name__ == "__main__":
    main()
