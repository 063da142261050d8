from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cjk import has_chinese
from pipeline.document import Block, Document
from pipeline.segment import segment_block, segment_document, split_spans


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_spans(text)]


@pytest.mark.parametrize("text, expected", [
    ("我们已整改。客服已培训！是否有效？", ["我们已整改。", "客服已培训！", "是否有效？"]),
    ("原因一；原因二；", ["原因一；", "原因二；"]),
    ("客服回复慢……我们已改进。", ["客服回复慢……", "我们已改进。"]),
    ("他说：“好的。”然后离开了。", ["他说：“好的。”", "然后离开了。"]),
    ("（我们已更换供应商。）后来情况好转。", ["（我们已更换供应商。）", "后来情况好转。"]),
    ("订单缺陷率为2.8%，高于1%。", ["订单缺陷率为2.8%，高于1%。"]),
    ("1.5倍的退货。", ["1.5倍的退货。"]),
    ("1. 质检不严格", ["1. 质检不严格"]),
    ("（1）质检不严格。（2）客服回复慢。", ["（1）质检不严格。", "（2）客服回复慢。"]),
    ("一、根本原因", ["一、根本原因"]),
    ("质检不严格.我们已改进", ["质检不严格.", "我们已改进"]),
    ("第一行\n第二行", ["第一行", "第二行"]),
    ("Order 112-1234567-1234567. ASIN B0C1234XYZ.", ["Order 112-1234567-1234567. ASIN B0C1234XYZ."]),
    ("", []),
    ("   ", []),
])
def test_split(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_block_segments_mark_non_chinese_as_passthrough() -> None:
    block = segment_block(Block(id="body/p0", story="body",
                                text="ASIN B0C1234XYZ 已下架。 Order 112-1234567-1234567"))
    assert [s.translatable for s in block.segments] == [True, False]
    assert block.segments[1].skip_reason
    assert [s.id for s in block.segments] == ["body/p0#0", "body/p0#1"]


def test_target_text_joins_english_with_spaces() -> None:
    block = segment_block(Block(id="b", story="body", text="第一句。第二句。"))
    for seg, en in zip(block.segments, ["First.", "Second."], strict=True):
        seg.target = en
    assert block.target_text() == "First. Second."
    assert block.changed


def test_segment_document_fills_every_block() -> None:
    doc = Document(path=__import__("pathlib").Path("x.docx"),
                   blocks=[Block(id=f"b{i}", story="body", text=t)
                           for i, t in enumerate(["甲。乙。", "丙"])])
    segment_document(doc)
    assert [s.source for s in doc.segments] == ["甲。", "乙。", "丙"]


cjk_text = st.text(alphabet=st.sampled_from(
    list("我们的订单缺陷率已经降低客服质检。！？；…“”‘’（）()「」.!?;,，、 \n\t1234567890.%ABCxyz")),
    max_size=200)


@settings(max_examples=400, deadline=None)
@given(cjk_text)
def test_lossless_on_appeal_alphabet(text: str) -> None:
    block = segment_block(Block(id="b", story="body", text=text))
    assert block.rebuilt_source() == text
    for seg in block.segments:
        assert seg.source == seg.source.strip()
        assert seg.source
        assert seg.gap_before.strip() == ""


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_lossless_on_any_unicode(text: str) -> None:
    block = segment_block(Block(id="b", story="body", text=text))
    assert block.rebuilt_source() == text
    assert all(s.translatable == has_chinese(s.source) for s in block.segments)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9]{1,3}\.[0-9]{1,2}%?", fullmatch=True))
def test_never_splits_inside_numbers(number: str) -> None:
    text = f"订单缺陷率为{number}，我们已整改。"
    assert sentences(text) == [text]
