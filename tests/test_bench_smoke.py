"""Smoke test: the benchmark stand-in model builds at a TINY size and runs through the engine.

No timing assertions: speed is measured by bench/translate_speed.py, not by tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2")


def test_tiny_standin_builds_and_translates(tmp_path: Path) -> None:
    from benchmod import load_bench

    build_standin = load_bench("make_standin_model").build_standin

    from pipeline.document import Origin, Segment
    from pipeline.engine import Engine, EngineSettings
    from pipeline.packages import info_from_folder
    from pipeline.translate import translate_segments

    folder = build_standin(tmp_path / "tiny", vocab_size=600, layers=(1, 1), d_model=32,
                           heads=2, ffn=64)
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["standin"] is True and meta["from_code"] == "zh" and meta["to_code"] == "en"
    assert (folder / "model" / "model.bin").is_file()
    assert (folder / "sentencepiece.model").is_file()
    vocab = json.loads((folder / "model" / "shared_vocabulary.json").read_text(encoding="utf-8"))
    assert len(vocab) == 600

    info = info_from_folder(folder)
    assert not info.demo
    engine = Engine(info, EngineSettings(min_decoding_length=5, max_decoding_length=5,
                                         beam_size=2, inter_threads=1))
    segs = [Segment(id=f"b#{i}", block_id="b", index=i, source=s)
            for i, s in enumerate(["我们已经更新了商品详情页。", "客服团队每天检查回复时间。"])]
    assert translate_segments(engine, segs) == 2
    assert all(s.origin is Origin.MACHINE and s.target for s in segs)
    # Fixed output length: exactly 5 pieces per sentence (the stand-in never stops by itself).
    out = engine.translator.translate_batch([engine.tokenize(segs[0].source)], beam_size=1,
                                            min_decoding_length=5, max_decoding_length=5)
    assert len(out[0].hypotheses[0]) == 5

    # Cached: a second call reuses the folder.
    assert build_standin(tmp_path / "tiny", vocab_size=600, layers=(1, 1), d_model=32,
                         heads=2, ffn=64) == folder
