"""Which path each segment takes through the translate step, and what the step costs.

    .venv/bin/python bench/protect_paths.py                 # the sample draft, demo model
    .venv/bin/python bench/protect_paths.py --model PATH    # an unpacked Argos package
    .venv/bin/python bench/protect_paths.py --docx FILE --repeats 5

Prints, measured in one run on the same machine:

1. the share of the document's segments translated WHOLE (as one sentence, every number,
   ID, date and Latin name back; ``whole-repaired``: a garbled value replaced), split for
   length, or piecewise (the last resort), and whether every protected value came back;
2. the translate step (``pipeline.translate.translate_segments``: whole-sentence call,
   checks, repairs, any piecewise call) against raw CTranslate2 on the same path (the
   same engine inputs, tokenized, one ``translate_batch`` with the same settings,
   decoded) on the demo corpus's Chinese sentences (``--speed-text``): the median of
   ``--repeats`` interleaved runs each, after a warm-up, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docx", type=Path, default=ROOT / "samples" / "draft_zh.docx")
    ap.add_argument("--model", type=Path, help="an unpacked Argos package (default: demo)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--speed-text", type=Path, default=ROOT / "demo_model" / "corpus.tsv",
                    help="zh<TAB>en file whose Chinese sentences are timed (default: the "
                         "demo corpus; the document's segments when the file is absent)")
    a = ap.parse_args(argv)

    from pipeline.document import Segment
    from pipeline.engine import get_engine
    from pipeline.packages import demo_model, info_from_folder
    from pipeline.protect import ProtectStep, missing_spans
    from pipeline.runner import Pipeline, RunOptions
    from pipeline.translate import needs_engine, translate_segments, whole_share

    info = info_from_folder(a.model) if a.model else demo_model()
    engine = get_engine(info)
    pipe = Pipeline(RunOptions(grammar="none", model=info.path))
    try:
        doc = pipe.prepare(a.docx)
    finally:
        pipe.close()
    segs = [s for s in doc.segments if needs_engine(s)]
    translate_segments(engine, segs)
    whole, total = whole_share(segs)
    paths = Counter(s.path.value for s in segs)
    lost = [(s.source, [p.source for p in missing_spans(s.mt or "", s.protected)]) for s in segs]
    lost = [x for x in lost if x[1]]
    n_spans = sum(len(s.protected) for s in segs)
    print(f"model: {info.label}")
    print(f"document: {a.docx.name}: {total} segments through the engine, {n_spans} protected "
          "spans (numbers, IDs, dates, URLs, Latin names...)")
    print(f"paths: {dict(paths)}")
    print(f"translated whole: {whole}/{total} = {whole / max(total, 1):.1%} "
          f"(whole {paths.get('whole', 0)}, whole-repaired {paths.get('whole-repaired', 0)})")
    print(f"protected values not back in the English: {len(lost)} segments")
    for src, spans in lost[:10]:
        print(f"  {spans}  in  {src}")

    # Speed on the same path: the demo corpus's Chinese sentences (unique, sentences the
    # demo knows, as a real model knows real text), else the document's.
    sources = [s.source for s in segs]
    if a.speed_text.is_file():
        lines = a.speed_text.read_text(encoding="utf-8").splitlines()[1:]
        sources = list(dict.fromkeys(line.split("\t")[0] for line in lines if "\t" in line))

    def make() -> list[Segment]:
        out = [Segment(id=f"b#{i}", block_id="b", index=i, source=src)
               for i, src in enumerate(sources)]
        ProtectStep(None)(_doc(out))
        return out

    s = engine.settings

    def raw(texts: list[str]) -> list[str]:
        tokens = [engine.tokenize(t) for t in texts]
        res = engine.translator.translate_batch(
            tokens, beam_size=s.beam_size, length_penalty=s.length_penalty,
            max_batch_size=s.max_batch_tokens or s.max_batch_examples,
            batch_type="tokens" if s.max_batch_tokens else "examples",
            max_decoding_length=s.max_decoding_length, replace_unknowns=True)
        return [engine.detokenize(r.hypotheses[0]) for r in res]

    translate_segments(engine, make()[:16])  # warm-up
    raw([x.engine_input or x.source for x in make()[:16]])
    t_pipe: list[float] = []
    t_raw: list[float] = []
    n = 0
    for _ in range(a.repeats):
        batch = make()
        n = len(batch)
        t0 = time.perf_counter()
        translate_segments(engine, batch)
        t_pipe.append(time.perf_counter() - t0)
        inputs = list(dict.fromkeys(x.engine_input or x.source for x in make()))
        t0 = time.perf_counter()
        raw(inputs)
        t_raw.append(time.perf_counter() - t0)
    p, r = statistics.median(t_pipe), statistics.median(t_raw)
    timed_paths = Counter(x.path.value for x in batch)
    print(f"\nspeed ({n} segments per run, median of {a.repeats} interleaved runs):")
    print(f"  translate step: {p:.2f} s ({n / p:.1f} segments/s)   runs "
          + " ".join(f"{t:.2f}" for t in t_pipe))
    print(f"  raw CTranslate2: {r:.2f} s ({n / r:.1f} segments/s)   runs "
          + " ".join(f"{t:.2f}" for t in t_raw))
    print(f"  translate step / raw: {r / p:.2f}x the raw speed (1.00x = no overhead)")
    print(f"  paths in a timed run: {dict(timed_paths)} (piecewise = a second engine call)")
    return 0


def _doc(segments):
    from pipeline.document import Block, Document

    return Document(path=Path("bench.docx"),
                    blocks=[Block(id="b", story="body", text="", segments=segments)])


if __name__ == "__main__":
    raise SystemExit(main())
