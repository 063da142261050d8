"""The real engine (CTranslate2 + SentencePiece) on the bundled demo Argos package."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest

from pipeline.cjk import has_chinese
from pipeline.document import Origin, Segment, TranslationPath
from pipeline.engine import Engine, EngineSettings, get_engine
from pipeline.errors import ModelError
from pipeline.packages import DEMO_PACKAGE, check_package_file, demo_model, find_model
from pipeline.protect import ProtectStep
from pipeline.translate import split_long, translate_segments

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


def test_demo_package_has_the_official_layout(engine: Engine) -> None:
    import json

    # Like translate-zh_en-1_9: no placeholder symbols, the model adds </s> itself.
    assert engine.sp.piece_to_id("\u27e60\u27e7") == engine.sp.unk_id()
    config = json.loads((engine.info.path / "model" / "config.json").read_text("utf-8"))
    assert config["add_source_eos"] is True
    assert engine.max_input_tokens == 512  # read from the model's position table
    with zipfile.ZipFile(DEMO_PACKAGE) as zf:
        top = {n.split("/", 1)[0] for n in zf.namelist()}
        assert len(top) == 1 and "demo" in top.pop()
        meta = json.loads(zf.read(next(n for n in zf.namelist()
                                       if n.endswith("/metadata.json"))))
    official = {"package_version", "argos_version", "from_code", "from_name", "to_code",
                "to_name"}
    assert set(meta) == official | {"demo", "decode"} and meta["demo"] is True


def _translated(engine, source: str) -> Segment:
    seg = Segment(id="b#0", block_id="b", index=0, source=source)
    ProtectStep(None)(_doc([seg]))
    translate_segments(engine, [seg])
    return seg


def test_numbers_survive_a_whole_sentence(engine: Engine) -> None:
    seg = _translated(engine, "过去60天内，我们的订单缺陷率达到2.8%，远高于1%的目标。")
    assert seg.origin is Origin.MACHINE and seg.path is TranslationPath.WHOLE
    assert all(v in seg.target for v in ("60", "2.8%", "1%")), seg.target


def test_numbers_survive_a_sentence_the_demo_gets_wrong(engine: Engine) -> None:
    # The demo answers with a memorised sentence that has "60%" (not 60 days): the value
    # check sees it, and the sentence is translated around its numbers instead.
    seg = _translated(engine, "订单缺陷率在60天内上升到16%。")
    assert seg.origin is Origin.MACHINE
    assert "16%" in seg.target and re.search(r"\b60\b(?!%)", seg.target), seg.target
    if seg.path is not TranslationPath.WHOLE:
        assert any(n.code in ("protection-fallback", "protected-repaired") for n in seg.notes)


# Values the demo never saw in training, inside sentences it knows: (source, values).
UNSEEN = [
    ("例如，订单305-8812736-4409175的买家因为没有收到追踪信息而提出了A-to-z索赔。",
     ["305-8812736-4409175"]),
    ("我们已经更新了ASIN B0K7M2Q9ZT的商品详情页，补充了尺寸、材质和使用说明。", ["B0K7M2Q9ZT"]),
    ("过去60天内，我们的订单缺陷率达到3.7%，远高于1%的目标。", ["60", "3.7%", "1%"]),
    ("我们将在2027年3月9日前完成所有商品详情页的审核；", ["March 9, 2027"]),
    ("订单305-8812736-4409175的买家在2027年3月9日收到了退款。",
     ["305-8812736-4409175", "March 9, 2027"]),
    ("我们已经下架了SKU KT-7731-BLU-M。", ["KT-7731-BLU-M"]),
    ("店铺名称：Velmora Home | 申诉", ["Velmora Home"]),
]


def test_unseen_values_come_back_and_sentences_stay_whole(engine: Engine) -> None:
    segs = [Segment(id=f"b#{i}", block_id="b", index=i, source=src)
            for i, (src, _) in enumerate(UNSEEN)]
    ProtectStep(None)(_doc(segs))
    translate_segments(engine, segs)
    for seg, (_, values) in zip(segs, UNSEEN, strict=True):
        assert all(v in seg.target for v in values), (seg.source, seg.target)
    # The demo copies unseen values only approximately, but in the right place: the
    # translate step repairs them and keeps the sentence whole.
    whole = [s for s in segs if s.path in (TranslationPath.WHOLE, TranslationPath.WHOLE_REPAIRED)]
    assert len(whole) >= len(segs) - 2, [(s.source, s.path.value) for s in segs]


class GarblingEngine:
    """The real engine, but it changes the last digit of every order ID it returns, as a
    weak model may."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner

    def translate(self, texts: list[str]) -> list[str]:
        return [re.sub(r"(\d{3}-\d{7}-\d{6})\d", r"\g<1>0", t)
                for t in self.inner.translate(texts)]


class DroppingEngine(GarblingEngine):
    """The real engine, but it loses every order ID (and anything like one)."""

    def translate(self, texts: list[str]) -> list[str]:
        return [re.sub(r"\d[\d-]{8,}\d", "", t) for t in self.inner.translate(texts)]


SOURCE_WITH_ID = "例如，订单112-1234567-1234567的买家因为没有收到追踪信息而提出了A-to-z索赔。"


def test_a_garbled_id_is_repaired_in_the_whole_sentence(engine: Engine) -> None:
    seg = _translated(GarblingEngine(engine), SOURCE_WITH_ID)
    assert "112-1234567-1234567" in seg.target, seg.target
    assert seg.path is TranslationPath.WHOLE_REPAIRED
    assert any(n.code == "protected-repaired" for n in seg.notes)


def test_a_dropped_id_falls_back_to_translating_around_it(engine: Engine) -> None:
    seg = _translated(DroppingEngine(engine), SOURCE_WITH_ID)
    assert "112-1234567-1234567" in seg.target, seg.target
    assert seg.path is TranslationPath.PIECEWISE
    assert any(n.code == "protection-fallback" for n in seg.notes)
    assert seg.to_dict()["path"] == "piecewise"


# 600 Chinese characters, no punctuation (the case of issue #12.3).
LONG = ("我们的仓库团队每天检查所有待发货订单的包装和标签并且记录每一个问题的原因" * 17)[:600]


def test_a_long_sentence_without_punctuation_is_split_for_the_model(engine: Engine) -> None:
    # Regression (#12.3): 600+ characters, no punctuation: more than the 512 positions.
    assert len(LONG) == 600
    seg = _translated(engine, LONG)
    assert seg.origin is Origin.MACHINE and seg.path is TranslationPath.SPLIT, seg.notes
    assert seg.target and not has_chinese(seg.target)


def test_long_input_splits_at_commas_first(engine: Engine) -> None:
    text = "，".join(["我们已经联系了所有受影响的买家"] * 30)
    parts = split_long(engine, text, 60)
    assert "".join(parts) == text and len(parts) > 1
    assert all(engine.count_tokens(p) <= 60 for p in parts)
    assert all(p.endswith("，") for p in parts[:-1])
    nopunct = split_long(engine, LONG, 100)
    assert "".join(nopunct) == LONG and all(engine.count_tokens(p) <= 100 for p in nopunct)


class UnlimitedEngine:
    """The real engine with the input limit switched off, so CTranslate2 itself fails on
    the over-long input (a real engine error, not a simulated one)."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.calls: list[int] = []
        self.max_input_tokens = 100_000

    def translate(self, texts: list[str]) -> list[str]:
        self.calls.append(len(texts))
        return self.inner.translate(texts)


def test_an_engine_error_fails_only_its_segment(engine: Engine, monkeypatch) -> None:
    import pipeline.translate as tr

    monkeypatch.setattr(tr, "MAX_PART_TOKENS", 100_000)
    segs = [Segment(id=f"b#{i}", block_id="b", index=i, source=src) for i, src in
            enumerate(["我们已更换质检团队。", LONG * 3, "我们请求恢复我们的销售权限。"])]
    assert engine.count_tokens(LONG * 3) > engine.max_input_tokens
    ProtectStep(None)(_doc(segs))
    wrapped = UnlimitedEngine(engine)
    translate_segments(wrapped, segs)  # type: ignore[arg-type]
    assert [s.origin for s in segs] == [Origin.MACHINE, Origin.ENGINE_FAILED, Origin.MACHINE]
    assert segs[1].path is TranslationPath.FAILED and segs[1].target is None
    note = next(n for n in segs[1].notes if n.code == "engine-failed")
    assert "position" in note.message  # CTranslate2's own reason, in one line
    assert wrapped.calls[0] == 3 and 1 in wrapped.calls  # the batch, then halves


def test_emoji_and_rtl_text_never_vanish(engine: Engine) -> None:
    for source, keep in [("我们对给买家带来的不便深表歉意😊。", "😊"),
                         ("买家在消息中写了شكرا جزيلا。", "شكرا جزيلا")]:
        seg = _translated(engine, source)
        assert keep in seg.target, seg.target
        if seg.path is TranslationPath.PIECEWISE:
            assert any(n.code == "protection-fallback" for n in seg.notes)


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
    from pipeline.document import Block, Document

    block = Block(id="b", story="body", text="", segments=segments)
    return Document(path=Path("t.docx"), blocks=[block])
