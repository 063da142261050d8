"""The document-level Plan-of-Action check: sections present, rejected habits flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.document import Block, Document, Origin, Segment, Severity
from pipeline.qa.poa import Text, check_poa, check_texts, is_poa

GOOD = [
    ("关于恢复销售权限的行动计划", "Plan of Action for the reinstatement of selling privileges"),
    ("根本原因：我们的发货流程没有检查追踪号。",
     "Root cause: our shipping process did not check tracking numbers."),
    ("已采取的纠正措施：我们已于2026年10月1日为所有未发货订单退款。",
     "Corrective actions taken: we refunded all unshipped orders on October 1, 2026."),
    ("预防措施：物流主管每天检查有效追踪率。",
     "Preventive measures: the shipping supervisor checks the Valid Tracking Rate daily."),
]


def texts(pairs: list[tuple[str, str]], english: bool = True) -> list[Text]:
    return [Text(f"body/p{i}#0", zh, en if english else "") for i, (zh, en) in enumerate(pairs)]


def codes(items: list[Text]) -> set[str]:
    return {n.code for n in check_texts(items)}


def test_good_poa_has_no_findings() -> None:
    assert check_texts(texts(GOOD)) == []
    assert check_texts(texts(GOOD, english=False)) == []  # Chinese alone is enough


def test_sections_found_in_english_only() -> None:
    items = [Text(t.id, "", t.english) for t in texts(GOOD)]
    assert check_texts(items) == []


@pytest.mark.parametrize("drop,code", [
    (1, "poa-missing-root-cause"),
    (2, "poa-missing-corrective-actions"),
    (3, "poa-missing-preventive-measures"),
])
def test_missing_section(drop: int, code: str) -> None:
    pairs = [p for i, p in enumerate(GOOD) if i != drop]
    notes = check_texts(texts(pairs))
    assert [n.code for n in notes] == [code]
    assert notes[0].severity is Severity.WARNING and notes[0].step == "qa"


@pytest.mark.parametrize("zh,en,code", [
    ("请再给我们一次机会。", "Please give us another chance.", "poa-pleading"),
    ("我们会珍惜这次机会。", "We will treasure the opportunity.", "poa-pleading"),
    ("", "We sincerely hope you forgive us.", "poa-pleading"),
    ("这是恶意买家的投诉。", "This was a complaint from a malicious buyer.", "poa-blame"),
    ("", "The suspension was Amazon's mistake.", "poa-blame"),
    ("", "Our account was wrongly suspended.", "poa-blame"),
    ("同行恶意攻击我们的listing。", "", "poa-blame"),
    ("我们不熟悉亚马逊的规则。", "We are not familiar with Amazon's rules.", "poa-ignorance"),
    ("我们对此不知情。", "", "poa-ignorance"),
    ("", "We were unaware of the policy.", "poa-ignorance"),
    ("我们不了解规则。", "", "poa-ignorance"),
])
def test_stance_hits(zh: str, en: str, code: str) -> None:
    notes = check_texts(texts([*GOOD, (zh, en)]))
    assert code in {n.code for n in notes}
    note = next(n for n in notes if n.code == code)
    assert "body/p4#0" in note.message  # the place is named


@pytest.mark.parametrize("en", [
    "We thank the Seller Performance Team for the notification.",
    "We request reinstatement of our selling privileges.",
    "A third-party inspection company checks every shipment.",
    "Our new seller onboarding checklist covers all policies.",
])
def test_stance_no_false_alarm(en: str) -> None:
    assert check_texts(texts([*GOOD, ("", en)])) == []


def test_promises_only() -> None:
    pairs = [
        ("关于恢复销售权限的申诉", "Appeal for the reinstatement of selling privileges"),
        ("根本原因是我们的疏忽。", "The root cause is our negligence."),
        ("我们将严格遵守亚马逊的政策。", "We will strictly abide by Amazon's policies."),
        ("我们会防止此类问题再次发生。", "We will prevent this from happening again."),
    ]
    found = codes(texts(pairs))
    assert "poa-promises-only" in found
    pairs.append(("我们已经删除了所有问题listing。", "We have removed all problem listings."))
    assert "poa-promises-only" not in codes(texts(pairs))


def test_promises_judged_on_chinese_when_no_english() -> None:
    pairs = [("申诉", ""), ("我们将加强管理。", "")]
    assert "poa-promises-only" in codes(texts(pairs, english=False))
    pairs.append(("我们已经聘请了质检员。", ""))
    assert "poa-promises-only" not in codes(texts(pairs, english=False))


def test_not_a_poa_is_left_alone() -> None:
    items = texts([("今天天气很好。", "The weather is nice today."),
                   ("请再给我们一次机会。", "Please give us another chance.")])
    assert not is_poa(items)
    assert check_texts(items) == []
    assert check_texts([]) == []


def test_check_poa_on_document() -> None:
    block = Block("body/p0", "body", "")
    for i, (zh, en) in enumerate(GOOD[:2]):
        block.segments.append(Segment(f"body/p0#{i}", "body/p0", i, zh, target=en,
                                      origin=Origin.MACHINE))
    block.segments.append(Segment("body/p0#2", "body/p0", 2, "We hired two inspectors.",
                                  translatable=False))
    doc = Document(Path("a.docx"), [block])
    found = {n.code for n in check_poa(doc)}
    assert found == {"poa-missing-preventive-measures"}


# --- per section -------------------------------------------------------------------------------

SECTIONED = [
    ("关于恢复销售权限的行动计划", "Plan of Action for the reinstatement of selling privileges"),
    ("一、根本原因", "1. Root cause"),
    ("我们的仓库没有发货截止时间。", "Our warehouse had no shipping cutoff time."),
    ("二、纠正措施", "2. Corrective actions"),
    ("我们已于10月2日招聘了两名打包员工。", "We hired two packing staff on October 2."),
    ("三、预防措施", "3. Preventive measures"),
    ("仓库主管每天下午2点检查所有待发货订单。",
     "Our warehouse supervisor checks all pending orders at 2 p.m. every day."),
    ("运营经理每周一查看账户状况页面。", "Our operations manager reviews Account Health every Monday."),
]
CLOSING = [("感谢您的审阅，我们请求恢复销售权限。",
            "Thank you for your review. We request reinstatement of our selling privileges.")]
PROMISES = [("我们以后会更加注意发货时间。", "We will pay more attention to shipping times."),
            ("我们保证此类问题不会再次发生。", "We promise that this will not happen again.")]


def test_sections_found_by_headings_in_either_language() -> None:
    from pipeline.qa.poa import split_sections

    for english in (True, False):
        sections = split_sections(texts(SECTIONED, english=english))
        assert sorted(sections) == ["corrective actions", "preventive measures", "root cause"]
        assert [len(v) for v in sections.values()] == [1, 1, 2]
    assert codes(texts(SECTIONED)) == set()


def test_promises_only_preventive_section_is_an_error_despite_past_corrective_actions() -> None:
    pairs = SECTIONED[:6] + PROMISES + CLOSING  # the closing is not a measure
    for english in (True, False):
        notes = check_texts(texts(pairs, english=english))
        vague = [n for n in notes if n.code == "poa-vague-prevention"]
        assert len(vague) == 1 and vague[0].severity is Severity.ERROR
        assert "pay more attention" in vague[0].message or "更加注意" in vague[0].message


def test_plain_preventive_statements_without_promises_are_left_alone() -> None:
    pairs = SECTIONED[:6] + [("所有商品现在都要经过三道检验。",
                              "All products now go through a three-step inspection.")]
    assert codes(texts(pairs)) == set()


def test_one_vague_promise_among_concrete_measures_is_a_warning() -> None:
    notes = check_texts(texts(SECTIONED + PROMISES[:1]))
    assert [(n.code, n.severity) for n in notes] == [("poa-vague-promise", Severity.WARNING)]
    assert "body/p8#0" in notes[0].message


def test_corrective_section_with_only_promises() -> None:
    pairs = SECTIONED[:4] + [("我们将删除该listing。", "We will delete the listing.")] + SECTIONED[5:]
    assert "poa-promises-only" in codes(texts(pairs))


@pytest.mark.parametrize("text,vague", [
    ("Our compliance specialist will check every new listing before it goes live.", False),
    ("From October 8, we will have our ERP system alert the supervisor daily.", False),
    ("质检员将在每批货入库时抽检20%的商品。", False),
    ("We will complete the review of all product detail pages by October 15, 2026;", False),
    ("我们将在10月15日前完成所有商品详情页的审核。", False),
    ("We will strengthen our internal management.", True),
    ("We will strictly comply with Amazon's policies from now on.", True),
    ("我们会加强对员工的管理。", True),
])
def test_vague_promise_needs_a_mechanism(text: str, vague: bool) -> None:
    """A promise is vague unless it names two of who, what, how often, by when."""
    from pipeline.qa.poa import is_vague_promise

    assert is_vague_promise(text) is vague
