from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.protect import find_spans, missing_spans, protect_spans, render_date, repair


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


def test_emoji_and_right_to_left_text_are_protected() -> None:
    assert kinds("我们很抱歉😊，谢谢") == [("emoji", "😊", "😊")]
    assert kinds("买家写了شكرا جزيلا给我们") == [("rtl", "شكرا جزيلا", "شكرا جزيلا")]
    assert kinds("商品名שלום") == [("rtl", "שלום", "שלום")]
    assert kinds("⟦⟧【】") == []  # brackets are not emoji


def spans(text: str):
    return protect_spans(text)


def test_missing_spans_compares_numbers_by_value_and_dates_by_form() -> None:
    src = spans("2026年10月15日，订单缺陷率为2.8%，共1.5万件，退款500美元。")
    ok = "On October 15, 2026, the Order Defect Rate was 2.8%, 15000 units, refunds of $500."
    assert missing_spans(ok, src) == []
    alt = "On 15 Oct. 2026 the ODR was 2.8 percent, 15,000 units, and USD 500 refunded."
    assert missing_spans(alt, src) == []
    bad = "On October 16, 2026, the rate was 8.2%, 15,000 units, refunds of $500."
    assert [p.source for p in missing_spans(bad, src)] == ["2026年10月15日", "2.8%"]


def test_missing_spans_counts_each_number_once() -> None:
    src = spans("从1%降到1%。")
    assert missing_spans("from 1% to 1%", src) == []
    assert [p.source for p in missing_spans("down to 1%", src)] == ["1%"]


def test_missing_spans_ids_and_names_exact() -> None:
    src = spans("订单112-1234567-1234567来自SunnyHome Store😊")
    assert missing_spans("Order 112-1234567-1234567 from SunnyHome Store 😊", src) == []
    got = missing_spans("Order 112-1234567-123456 from Sunny Home Store", src)
    assert [p.kind for p in got] == ["order-id", "latin", "emoji"]


def test_repair_replaces_one_garbled_value_of_its_kind() -> None:
    src = spans("订单缺陷率从16%降到0.5%，订单112-1234567-1234567已退款。")
    out = "The ODR fell from 61% to 0.5%, and order 112-1234567-123457 was refunded."
    missing = missing_spans(out, src)
    fixed, still = repair(out, src, missing)
    assert still == []
    assert fixed == "The ODR fell from 16% to 0.5%, and order 112-1234567-1234567 was refunded."
    assert missing_spans(fixed, src) == []


def test_repair_refuses_when_ambiguous_or_absent() -> None:
    src = spans("从16%降到5%。")
    out = "from 61% to 50%"  # two garbled percentages: which is which?
    fixed, still = repair(out, src, missing_spans(out, src))
    assert fixed == out and len(still) == 2
    src = spans("SunnyHome Store的订单")
    out = "Orders of the store"  # a dropped name is never guessed
    fixed, still = repair(out, src, missing_spans(out, src))
    assert fixed == out and [p.kind for p in still] == ["latin"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_spans_are_ordered_and_found_in_their_own_rendering(text: str) -> None:
    found = find_spans(text)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
    protected = protect_spans(text)
    assert all(text[p.start:p.end] == p.source for p in protected)
    # The English made of exactly the renderings keeps every span.
    english = " ; ".join(p.render for p in protected)
    assert missing_spans(english, protected) == [], (english, protected)


def test_glossary_terms_are_not_protected() -> None:
    # Terms go to the engine as Chinese; the glossary step enforces them afterwards.
    assert [s.kind for s in find_spans("我们的订单缺陷率为2.8%，部分A-to-z索赔来自FBA订单。")] == \
        ["percent", "latin", "latin"]


@pytest.mark.parametrize("text, expected", [
    ("供应商的联系方式是info@example.com。", [("email", "info@example.com", "info@example.com")]),
    ("GS1条码", [("id", "GS1", "GS1")]),
])
def test_ids_stop_at_chinese_and_latin(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert kinds(text) == expected


def test_small_numbers_may_come_back_as_words() -> None:
    src = spans("我们组建了一个由5名成员组成的团队。")
    assert missing_spans("We set up a team of five members.", src) == []


def test_repair_ignores_digits_of_dates_that_came_back() -> None:
    src = spans("2026年10月15日，退货率为16%。")
    out = "On October 15, 2026, the return rate was 61%."
    fixed, still = repair(out, src, missing_spans(out, src))
    assert still == [] and fixed == "On October 15, 2026, the return rate was 16%."
    src = spans("2026年10月15日共有60个订单。")
    out = "On October 15, 2026, there were 06 orders."
    fixed, still = repair(out, src, missing_spans(out, src))
    assert still == [] and fixed.endswith("there were 60 orders.")


def test_repair_restores_the_case_of_a_latin_name() -> None:
    src = spans("部分A-to-z索赔")
    out = "Some A-to-Z Guarantee claims"
    fixed, still = repair(out, src, missing_spans(out, src))
    assert still == [] and fixed == "Some A-to-z Guarantee claims"


def test_a_number_that_became_a_percentage_is_missing() -> None:
    src = spans("订单缺陷率在60天内上升到16%。")
    assert missing_spans("The rate rose to 16% in 60 days.", src) == []
    assert [p.source for p in missing_spans("The rate fell from 60% to 16%.", src)] == ["60"]
