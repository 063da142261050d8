from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.protect import find_spans, mask, mask_pair, render_date, restore, token


def kinds(text: str) -> list[tuple[str, str, str]]:
    return [(s.kind, s.text, s.render) for s in find_spans(text)]


@pytest.mark.parametrize("text, expected", [
    ("订单112-1234567-1234567已退款", [("order-id", "112-1234567-1234567", "112-1234567-1234567")]),
    ("ASIN B0C1234XYZ被下架", [("latin", "ASIN", "ASIN"), ("asin", "B0C1234XYZ", "B0C1234XYZ")]),
    ("店铺名称：SunnyHome Store | 申诉", [("latin", "SunnyHome Store", "SunnyHome Store")]),
    ("订单缺陷率为2.8%", [("percent", "2.8%", "2.8%")]),
    ("85%以上的商品", [("percent", "85%", "85%")]),
    ("2026年10月15日起", [("date", "2026年10月15日", "October 15, 2026")]),
    ("10月3日", [("date", "10月3日", "October 3")]),
    ("2026-10-15", [("date", "2026-10-15", "2026-10-15")]),
    ("1.5万件", [("number", "1.5万", "15,000")]),
    ("500美元", [("money", "500美元", "$500")]),
    ("3000元", [("money", "3000元", "CNY 3000")]),
    ("$1,200", [("money", "$1,200", "$1,200")]),
    ("SKU ABC-123_X", [("latin", "SKU", "SKU"), ("id", "ABC-123_X", "ABC-123_X")]),
    ("案例编号 12345678901", [("id", "12345678901", "12345678901")]),
    ("见https://sellercentral.amazon.com/help。", [("url", "https://sellercentral.amazon.com/help",
                                                    "https://sellercentral.amazon.com/help")]),
    ("１６％", [("percent", "１６％", "16%")]),
    ("没有数字", []),
])
def test_find_spans(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert kinds(text) == expected


def test_render_date_rejects_bad_month() -> None:
    assert render_date("2026年13月1日") == "2026年13月1日"


def test_mask_numbers_tokens_in_order() -> None:
    masked, protected = mask("从2.8%降到0.5%", find_spans("从2.8%降到0.5%"))
    assert masked == f"从{token(0)}降到{token(1)}"
    assert [p.render for p in protected] == ["2.8%", "0.5%"]


def test_restore_tolerates_spaces_and_reports_missing() -> None:
    _, protected = mask("从2.8%降到0.5%", find_spans("从2.8%降到0.5%"))
    ok = restore("fell from ⟦ 0 ⟧ to ⟦1⟧.", protected)
    assert ok.text == "fell from 2.8% to 0.5%." and not ok.missing
    dropped = restore("fell from ⟦0⟧.", protected)
    assert [p.render for p in dropped.missing] == ["0.5%"]
    invented = restore("⟦0⟧ ⟦0⟧ ⟦1⟧ ⟦7⟧", protected)
    assert invented.duplicated and invented.unknown == ["⟦7⟧"]
    assert "⟦" not in invented.text


def test_mask_pair_aligns_numbers_and_dates() -> None:
    pair = mask_pair("2026年10月15日，订单缺陷率为2.8%。",
                     "On October 15, 2026, the Order Defect Rate was 2.8%.")
    assert pair == ("⟦0⟧，订单缺陷率为⟦1⟧。", "On ⟦0⟧, the Order Defect Rate was ⟦1⟧.")
    assert mask_pair("退款500美元。", "We refunded 400 dollars.") is None
    assert mask_pair("没有数字。", "No numbers.") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_mask_restore_never_loses_protected_text(text: str) -> None:
    spans = find_spans(text)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    masked, protected = mask(text, spans)
    restored = restore(masked, protected)
    assert not restored.missing or "⟦" in text or "⟧" in text
    if "⟦" not in text and "⟧" not in text:
        for p in protected:
            assert p.render.strip() in restored.text


def test_glossary_terms_are_protected_and_rendered_canonical() -> None:
    from pipeline.glossary import load_glossaries

    glossary = load_glossaries([])
    spans = find_spans("我们的订单缺陷率为2.8%，部分A-to-z索赔来自FBA订单。", glossary)
    terms = [(s.text, s.render) for s in spans if s.kind == "term"]
    assert ("订单缺陷率", "Order Defect Rate") in terms
    assert any(r.startswith("A-to-z Guarantee claim") for _, r in terms)
    assert ("FBA", "FBA") in terms  # a bare acronym stays an acronym; enforce expands it
    pair = mask_pair("订单缺陷率为2.8%。", "The Order Defect Rate (ODR) was 2.8%.", glossary)
    assert pair == ("⟦0⟧为⟦1⟧。", "The ⟦0⟧ was ⟦1⟧.")


@pytest.mark.parametrize("text, expected", [
    ("供应商的联系方式是info@example.com。", [("email", "info@example.com", "info@example.com")]),
    ("GS1条码", [("id", "GS1", "GS1")]),
])
def test_ids_stop_at_chinese_and_latin(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert kinds(text) == expected
