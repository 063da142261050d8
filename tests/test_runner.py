"""The library entry point (Pipeline) with the real engine, glossary, grammar and memory."""

from __future__ import annotations

from pathlib import Path

from docx_factory import build_simple

from pipeline.document import Origin
from pipeline.memory import TranslationMemory
from pipeline.runner import Pipeline, RunOptions


def test_reviewed_memory_hit_is_not_edited(tmp_path: Path) -> None:
    src = build_simple(tmp_path / "a.docx", ["我们已经更换了质检团队。", "订单缺陷率已经下降。"])
    reviewer_wording = "We replaced the QC team, as agreed with the AtoZ claims desk."
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        tm.store("我们已经更换了质检团队。", reviewer_wording, origin="reviewed",
                 model="any", glossary_version="any")
    pipeline = Pipeline(RunOptions(out_dir=tmp_path / "out", memory=tmp_path / "tm.sqlite"))
    try:
        result = pipeline.run(src)
    finally:
        pipeline.close()
    first, second = result.doc.segments
    assert first.origin is Origin.MEMORY_EXACT and first.reviewed
    assert first.text == reviewer_wording  # glossary and grammar leave a reviewer's words alone
    assert not first.changes
    assert second.origin is Origin.MACHINE
    assert "Order Defect Rate (ODR)" in second.text


def test_timings_cover_every_step(tmp_path: Path) -> None:
    src = build_simple(tmp_path / "b.docx", ["我们已经联系了所有买家。"])
    pipeline = Pipeline(RunOptions(grammar="none"))
    try:
        result = pipeline.run(src)
    finally:
        pipeline.close()
    timings = result.doc.run.timings
    assert set(timings) >= {"read", "segment", "protect", "translate", "glossary", "grammar",
                            "qa", "write"}
    assert all(v >= 0 for v in timings.values())
    import json

    report = json.loads(result.outputs["report"].read_text(encoding="utf-8"))
    assert "write" in report["timings_s"]
