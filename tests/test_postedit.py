"""Post-edit rules: every row of pipeline/data/postedit_rules.tsv is tested by its own
example columns, plus clean text that no rule may touch."""

from __future__ import annotations

import pytest

from pipeline.postedit import (
    SUGGESTION,
    apply_postedit,
    apply_rule,
    load_rules,
    next_to_chinese,
    parse_rules,
    protected_spans,
    suggestions,
)

ALL_RULES = load_rules()
RULES = tuple(r for r in ALL_RULES if r.kind != "suggest")  # the rules that edit
SUGGEST = tuple(r for r in ALL_RULES if r.kind == "suggest")  # offered to the reviewer


def test_table_is_loaded_and_ids_are_unique() -> None:
    assert len(RULES) >= 40 and SUGGEST
    assert len({r.id for r in ALL_RULES}) == len(ALL_RULES)
    for r in ALL_RULES:
        assert r.message and r.example_before and r.example_after, r.id
        assert r.example_before != r.example_after, r.id


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_example(rule) -> None:
    """The whole rule chain turns example_before into example_after, and this rule fires."""
    out, changes = apply_postedit(rule.example_before)
    assert out == rule.example_after
    assert f"postedit:{rule.id}" in {c.rule for c in changes}
    for c in changes:
        assert c.step == "grammar" and c.before != c.after and c.message


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_idempotent_on_its_output(rule) -> None:
    out, changes = apply_postedit(rule.example_after)
    assert out == rule.example_after
    assert changes == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_fires_alone(rule) -> None:
    changes: list = []
    assert apply_rule(rule, rule.example_before, changes) != rule.example_before
    assert changes and all(c.rule == f"postedit:{rule.id}" for c in changes)


@pytest.mark.parametrize("rule", SUGGEST, ids=[r.id for r in SUGGEST])
def test_suggest_rule_offers_and_never_edits(rule) -> None:
    """A suggest rule's rewrite changes content: a note for the reviewer, never an edit."""
    out, changes = apply_postedit(rule.example_before)
    assert f"postedit:{rule.id}" not in {c.rule for c in changes}
    notes = suggestions(out)
    assert notes and all(n.code == SUGGESTION for n in notes)
    assert any(f"→ “{rule.example_after.strip()}”" in n.message for n in notes)
    assert suggestions(rule.example_after) == []


def test_salutation_is_a_suggestion_not_an_edit() -> None:
    """Issue #17: changing the addressee is the reviewer's decision."""
    for text in ("Dear Amazon Team,", "Dear amazon:", "Dear Amazon Seller Performance Team:"):
        out, changes = apply_postedit(text)
        assert out.lower() == text.lower()  # at most "amazon" -> "Amazon"
        assert [n.code for n in suggestions(out)] == [SUGGESTION]
    assert suggestions("Dear Seller Performance Team,") == []


@pytest.mark.parametrize("before, after", [
    ("We dont know it.", "We don't know it."),
    ("It doesnt fit and we didnt ship it.", "It doesn't fit and we didn't ship it."),
    ("Our english and chinese invoices, sent on friday.",
     "Our English and Chinese invoices, sent on Friday."),
    ("We will refund u in full.", "We will refund you in full."),
])
def test_new_learner_rules(before: str, after: str) -> None:
    assert apply_postedit(before)[0] == after


@pytest.mark.parametrize("text", [
    "See chinese.example.com and english-guide.pdf for u.s. sizes.",
    "We cant-do attitude; the (u) option; ASIN B0CHINESE1.",
    "In May and March we shipped 12 units; the wont of the market.",
])
def test_new_learner_rules_leave_these(text: str) -> None:
    assert apply_postedit(text)[0] == text


CLEAN = [
    "Our Order Defect Rate (ODR) was 2.8%, above the 1% target.",
    "We check the dashboard every morning at 10:30, e.g. the Late Shipment Rate.",
    "In the U.S. marketplace, 95% of our orders ship within two days.",
    "See https://sellercentral.amazon.com/help/hub/reference/external/G200285170 for details.",
    "Contact us at support@example.com or visit Amazon.com and amazon.co.uk.",
    "The invoice.pdf file and the photos (IMG_0012.jpg) are attached.",
    "We shipped 1,250 units; 3.5 kg per carton.",
    "We offer pre- and post-sale support.",
    "This was the first time a buyer reported the problem; we did it for the first time.",
    "Our warehouse team stays in contact with the carrier.",
    "Dear Seller Performance Team,",
    "The buyer wrote “the box was empty” in the message.",
    "Version 2.0 of our SOP took effect on March 5, 2024.",
    "Root cause 1: the carrier missed two scheduled pickups.",
    "We have 4 years of experience with Fulfillment by Amazon (FBA).",
    "Why did the order arrive late? The carrier lost the first scan.",
    "ASIN B0C1234XYZ and SKU AB-1234-XY were affected.",
    "The A-to-z Guarantee claim was closed in the seller's favor.",
    "Everyday items such as cables are sold separately.",
    "We did not ship the order, and the customer did not receive it.",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_is_unchanged(text: str) -> None:
    out, changes = apply_postedit(text)
    assert out == text
    assert changes == []


@pytest.mark.parametrize("text", [
    "我们已经收到通知，谢谢。",
    "（1）我们检查了所有订单；",
    "我们在 Amazon 上销售，已经三年！",
    "根本原因：承运商延误。",
    "买家、卖家和平台",
])
def test_chinese_text_keeps_its_punctuation(text: str) -> None:
    out, changes = apply_postedit(text)
    assert out == text
    assert changes == []


def test_latin_inside_mixed_text() -> None:
    out, _ = apply_postedit("我们说：ok。The item，the box and the label。")
    # The Chinese part keeps its marks; the English sentence gets ASCII ones.
    assert out.startswith("我们说：ok")
    assert out.endswith("The item, the box and the label.")


def test_full_appeal_paragraph() -> None:
    text = ("dear amazon:We has checked all orders in the first time，our team have 4 years "
            "experience.In manycases the buyer did not received the item；we contacted with "
            "the carrier!!!1、We reply within 24H.2、We ship within 12h.")
    out, changes = apply_postedit(text)
    # The addressee stays (a suggestion for the reviewer).
    assert out == (
        "Dear Amazon: We have checked all orders immediately, our team "
        "have 4 years of experience. In manycases the buyer did not receive the item; we "
        "contacted the carrier. 1. We reply within 24 hours. 2. We ship within 12 hours.")
    assert len(changes) >= 12
    assert [n.code for n in suggestions(out)] == [SUGGESTION]


def test_changes_show_words_around_the_edit() -> None:
    _, changes = apply_postedit("our notification,our ODR")
    assert [(c.before, c.after) for c in changes] == [("notification,our", "notification, our")]


def test_protected_spans() -> None:
    text = "See https://a.example.com/x?y=1,z and mail me@example.com or Amazon.com's page."
    spans = [text[a:b] for a, b in protected_spans(text)]
    assert spans == ["https://a.example.com/x?y=1,z", "me@example.com", "Amazon.com's"]


def test_next_to_chinese() -> None:
    assert next_to_chinese("我们，他们", 2, 3)
    assert next_to_chinese("ok，我们", 2, 3)
    assert not next_to_chinese("ok，the", 2, 3)
    assert not next_to_chinese("item 1，2", 6, 7)


@pytest.mark.parametrize("row, message", [
    ("x\tsed\ta\tb\tm\tbefore\tafter", "kind must be one of regex, literal, suggest"),
    ("x\tregex\t(\tb\tm\tbefore\tafter", "bad pattern"),
    ("x\tregex\ta\tb", "4 columns"),
    ("x\tregex\t\tb\tm\tbefore\tafter", "empty pattern"),
])
def test_bad_rows_name_the_line(row: str, message: str) -> None:
    header = "\t".join(["id", "kind", "pattern", "replacement", "message", "example_before",
                        "example_after"])
    with pytest.raises(ValueError, match=rf"t\.tsv:2: .*{message}"):
        parse_rules(f"{header}\n{row}\n", "t.tsv")


def test_duplicate_ids_are_refused() -> None:
    rows = "a\tliteral\tx\ty\tm\tx\ty\na\tliteral\tz\ty\tm\tz\ty\n"
    with pytest.raises(ValueError, match="duplicate rule id"):
        parse_rules(rows)


def test_literal_rules_match_whole_words() -> None:
    (rule,) = parse_rules("informations\tliteral\tinformations\tinformation\tm\ta\tb\n")
    changes: list = []
    assert apply_rule(rule, "misinformations informations", changes) == \
        "misinformations information"


@pytest.mark.parametrize("before, after", [
    ("Thus we refunded the buyer.", "Thus, we refunded the buyer."),
    ("We checked it. Finally we refunded the buyer.",
     "We checked it. Finally, we refunded the buyer."),
    ("On the other hand the carrier was late.", "On the other hand, the carrier was late."),
    ("Moreover the buyer closed the A-to-z Guarantee claim.",
     "Moreover, the buyer closed the A-to-z Guarantee claim."),
])
def test_intro_comma_phrases(before: str, after: str) -> None:
    assert apply_postedit(before)[0] == after


@pytest.mark.parametrize("text", [
    "Thus 112-1234567-1234567 was refunded.",  # an ID after the phrase: untouched
    "Besides ASIN B0C1234XYZ, nothing changed.",  # "Besides" is a preposition there
    "However much we tried, it failed.",  # "However" + adverb: left to Harper
    "The buyer thus opened an A-to-z Guarantee claim.",  # not at a sentence start
    "Finally-approved chargeback claims are listed.",
])
def test_intro_comma_leaves_ids_and_mid_sentence_words(text: str) -> None:
    assert apply_postedit(text)[0] == text
