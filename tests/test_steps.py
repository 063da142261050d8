"""The one run loop (pipeline.steps) and the Pipeline's lists of steps over it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from docx_factory import build_simple

from pipeline.document import Block, Document, Origin, Segment
from pipeline.runner import Pipeline, RunOptions
from pipeline.steps import FnStep, run_steps, share_time, timed


def _doc(n: int) -> Document:
    block = Block("body/p0", "body", "")
    block.segments = [Segment(f"body/p0#{i}", "body/p0", i, "我们。") for i in range(n)]
    return Document(Path("x.docx"), [block])


def test_run_steps_runs_in_order_and_adds_up_time_per_name() -> None:
    seen: list[str] = []
    done: list[str] = []
    doc = _doc(1)

    def sleepy(d: Document) -> None:
        seen.append("b")
        time.sleep(0.01)

    steps = [FnStep("a", lambda d: seen.append("a")), FnStep("b", sleepy), FnStep("b", sleepy)]
    assert run_steps(doc, steps, on_step=done.append) is doc
    assert seen == ["a", "b", "b"] and done == ["a", "b", "b"]
    assert list(doc.run.timings) == ["a", "b"]
    assert doc.run.timings["b"] >= 0.02  # both calls of "b" counted


def test_a_failing_step_is_timed_and_raises_to_the_caller() -> None:
    doc = _doc(1)

    def boom(d: Document) -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_steps(doc, [FnStep("boom", boom), FnStep("never", lambda d: None)])
    assert "boom" in doc.run.timings and "never" not in doc.run.timings


def test_a_step_may_return_a_new_document() -> None:
    other = _doc(2)
    assert run_steps(_doc(1), [FnStep("swap", lambda d: other)]) is other


def test_timed_and_share_time() -> None:
    timings: dict[str, float] = {}
    with timed(timings, "x"):
        time.sleep(0.01)
    assert timings["x"] >= 0.01
    docs = [_doc(1), _doc(3)]
    share_time(docs, "translate", 2.0)
    assert [d.run.timings["translate"] for d in docs] == [0.5, 1.5]
    share_time([_doc(0)], "translate", 1.0)  # no segments: no division by zero


class CountingEngine:
    """The real demo engine, counting what it is asked to translate."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def translate(self, texts: list[str]) -> list[str]:
        self.texts.extend(texts)
        return self.inner.translate(texts)  # type: ignore[attr-defined]


def test_an_injected_engine_translates_the_run(tmp_path: Path) -> None:
    src = build_simple(tmp_path / "a.docx", ["我们已经联系了所有买家。"])
    real = Pipeline(RunOptions(grammar="none")).engine
    engine = CountingEngine(real)
    pipeline = Pipeline(RunOptions(grammar="none", out_dir=tmp_path / "out"), engine=engine)
    try:
        result = pipeline.run(src)
    finally:
        pipeline.close()
    assert engine.texts == ["我们已经联系了所有买家。"]
    assert result.doc.segments[0].origin is Origin.MACHINE
    assert [s.name for s in pipeline.prepare_steps()] == ["segment", "protect"]
    assert [s.name for s in pipeline.finish_steps()] == ["glossary", "grammar", "qa"]
