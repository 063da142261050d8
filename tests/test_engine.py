"""The real engine (CTranslate2 + SentencePiece) on the bundled demo Argos package."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from pipeline.engine import Engine, EngineSettings, get_engine
from pipeline.errors import ModelError
from pipeline.model import Origin, Segment
from pipeline.packages import DEMO_PACKAGE, check_package_file, demo_model, find_model
from pipeline.protect import ProtectStep
from pipeline.translate import translate_segments

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return get_engine(demo_model())


def corpus_pairs(n: int) -> list[tuple[str, str]]:
    with open(REPO / "demo_model" / "corpus.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if len(r) >= 2][1:]
    step = max(1, len(rows) // n)
    return [(r[0], r[1]) for r in rows[::step][:n]]


def test_demo_is_used_when_nothing_is_installed() -> None:
    info = find_model("zh", "en")
    assert info.demo and "demo" in info.label.lower()
    assert (info.path / "model" / "model.bin").is_file()
    with pytest.raises(ModelError, match="install"):
        find_model("zh", "en", allow_demo=False)


def test_one_batched_call_keeps_order(engine: Engine) -> None:
    pairs = corpus_pairs(30)
    calls = engine.calls
    out = engine.translate([zh for zh, _ in pairs])
    assert engine.calls == calls + 1
    assert len(out) == len(pairs)
    exact = sum(o == en for o, (_, en) in zip(out, pairs, strict=True))
    # The demo model memorised its corpus: nearly every training sentence comes back.
    assert exact >= 0.8 * len(pairs), list(zip(out, pairs, strict=True))[:5]


def test_engine_is_loaded_once_per_process() -> None:
    info = demo_model()
    assert get_engine(info) is get_engine(info)
    assert get_engine(info, EngineSettings(beam_size=1)) is not get_engine(info)


def test_demo_vocabulary_has_placeholders(engine: Engine) -> None:
    assert engine.supports_placeholders


def test_numbers_survive_through_placeholders(engine: Engine) -> None:
    seg = Segment(id="b#0", block_id="b", index=0, source="订单缺陷率在60天内上升到16%。")
    ProtectStep(None)(_doc([seg]))
    translate_segments(engine, [seg])
    assert seg.origin is Origin.MACHINE
    assert "16%" in seg.target and "60" in seg.target, seg.target


class DroppingEngine:
    """The real engine, but it loses every placeholder, as a weak real model may."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.supports_placeholders = True

    def translate(self, texts: list[str]) -> list[str]:
        import re

        return [re.sub(r"⟦\d+⟧", "", t) for t in self.inner.translate(texts)]


def test_dropped_placeholder_falls_back_to_translating_around_it(engine: Engine) -> None:
    seg = Segment(id="b#0", block_id="b", index=0, source="订单112-1234567-1234567已经退款。")
    ProtectStep(None)(_doc([seg]))
    translate_segments(DroppingEngine(engine), [seg])  # type: ignore[arg-type]
    assert "112-1234567-1234567" in seg.target
    assert any(n.code == "protection-fallback" for n in seg.notes)


def test_without_placeholder_symbols_spans_are_kept_by_splitting(engine: Engine) -> None:
    seg = Segment(id="b#0", block_id="b", index=0, source="ASIN B0C1234XYZ的退货率为12.5%。")
    ProtectStep(None)(_doc([seg]))
    translate_segments(engine, [seg], use_placeholders=False)
    assert "B0C1234XYZ" in seg.target and "12.5%" in seg.target


def test_identical_inputs_are_translated_once(engine: Engine) -> None:
    segs = [Segment(id=f"b#{i}", block_id="b", index=i, source="我们已更换质检团队。")
            for i in range(5)]
    sent = translate_segments(engine, segs)
    assert sent == 1
    assert len({s.target for s in segs}) == 1


def test_package_file_checks(tmp_path: Path) -> None:
    meta = check_package_file(DEMO_PACKAGE)
    assert meta["from_code"] == "zh" and meta["to_code"] == "en" and meta.get("demo")
    flat = tmp_path / "flat.argosmodel"
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr("metadata.json", "{}")
    with pytest.raises(ModelError, match="one top-level folder"):
        check_package_file(flat)
    notzip = tmp_path / "x.argosmodel"
    notzip.write_text("hello")
    with pytest.raises(ModelError, match="not a zip"):
        check_package_file(notzip)


def _doc(segments: list[Segment]):
    from pipeline.model import Block, Document

    block = Block(id="b", story="body", text="", segments=segments)
    return Document(path=Path("t.docx"), blocks=[block])
