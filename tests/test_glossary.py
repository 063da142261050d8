"""Glossary: loading/validation, detection in Chinese, normalisation of English, the
enforce step (acronyms, term notes) and the `pipeline glossary` list/check commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.document import Block, Document, Origin, Segment, Severity
from pipeline.errors import GlossaryError
from pipeline.glossary import (
    EnforceStep,
    Glossary,
    Term,
    builtin_path,
    fix_renderings_text,
    format_tsv,
    load_glossaries,
    parse_glossary,
    read_glossary_file,
    zh_key,
)

HEADER = "zh_variants\tcanonical\tacronym\twrong_renderings\tpriority\tnote\n"


@pytest.fixture(scope="module")
def g() -> Glossary:
    return load_glossaries([])


def write(tmp_path: Path, text: str, name: str = "my.tsv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def error_of(path: Path) -> str:
    with pytest.raises(GlossaryError) as info:
        read_glossary_file(path)
    return str(info.value)


# --------------------------------------------------------------------------- built-in file

def test_builtin_glossary_loads_with_the_core_appeal_terms(g: Glossary) -> None:
    assert builtin_path().name == "amazon.tsv"
    assert len(g.terms) >= 100
    assert re.fullmatch(r"amazon \(built-in, \d+ terms\)", g.name)
    assert re.fullmatch(r"[0-9a-f]{12}", g.version)
    canon = {t.canonical for t in g.terms}
    for required in ["Plan of Action", "root cause", "corrective actions", "preventive measures",
                     "selling privileges", "reinstatement", "A-to-z Guarantee claim",
                     "Order Defect Rate", "Fulfillment by Amazon", "Late Shipment Rate",
                     "Valid Tracking Rate", "Account Health", "Seller Central",
                     "customer service", "Amazon Brand Registry", "listing", "chargeback claim"]:
        assert required in canon, required
    # Ambiguous short Chinese words are either left out or marked low priority.
    by_zh = {v: t for t in g.terms for v in t.zh_variants}
    for word in ["后台", "指标", "店铺"]:
        assert by_zh[word].priority == "low", word
    for word in ["上网", "渠道", "关联"]:
        assert word not in by_zh, word
    assert by_zh["客服"].canonical == "customer service"


def test_builtin_canonicals_survive_normalisation_and_wrong_renderings_map_to_them(
        g: Glossary) -> None:
    for t in g.terms:
        assert g.fix_renderings(t.canonical) == (t.canonical, []), t.canonical
        for w in t.wrong_renderings:
            text, changes = g.fix_renderings(f"We saw {w} here.")
            assert text == f"We saw {t.canonical} here.", w
            assert [c.rule for c in changes] == [f"glossary:{t.canonical}"]


REPO = Path(__file__).resolve().parent.parent
BUILTIN_TSV = REPO / "glossaries" / "amazon.tsv"


@pytest.fixture(scope="module")
def file_terms() -> list[Term]:
    """The built-in file's entries, read from the file itself."""
    return read_glossary_file(BUILTIN_TSV)


def test_builtin_file_size_sources_and_packaged_copy(file_terms: list[Term]) -> None:
    assert len(file_terms) >= 300
    assert [t.where for t in file_terms if not t.ref] == []  # every entry names its source
    packaged = REPO / "pipeline" / "data" / "glossaries" / "amazon.tsv"
    assert packaged.read_bytes() == BUILTIN_TSV.read_bytes()  # the wheel ships the same file


def test_builtin_variants_are_each_detected_as_their_own_term(
        g: Glossary, file_terms: list[Term]) -> None:
    assert g.terms == file_terms
    owner: dict[str, Term] = {}
    for t in file_terms:
        for v in t.zh_variants:
            key = zh_key(v)
            assert key not in owner, f"{v!r} claimed by {owner.get(key)} and {t.where}"
            owner[key] = t
            sentence = f"关于{v}，我们已经处理完毕。"
            hits = g.detect(sentence)
            assert [g.term_for(h) for h in hits if h.source == v] == [t], (v, hits)
            # Low-priority (ambiguous) entries are found for review but never forced on the
            # engine: the protect step asks for normal-priority terms only.
            strict = [h for h in g.detect(sentence, include_low=False) if h.source == v]
            assert bool(strict) == (t.priority != "low"), v


def test_builtin_covers_the_areas_appeals_use(g: Glossary) -> None:
    by_zh = {v: t for t in g.terms for v in t.zh_variants}
    canon = {t.canonical for t in g.terms}
    for required in [
            # listing content
            "product title", "bullet points", "product description", "search terms",
            "A+ content", "main image", "variation", "product detail page",
            # product condition and authenticity
            "Condition Guidelines", "used item", "refurbished", "used sold as new",
            "inauthentic", "counterfeit products", "supply chain documentation",
            "letter of authorization",
            # feedback, reviews, messages
            "seller feedback", "product review", "feedback removal", "review manipulation",
            "Buyer-Seller Messaging",
            # intellectual property
            "rights owner", "infringement", "test buy", "Amazon Brand Registry", "design patent",
            "utility patent", "retraction",
            # compliance and safety
            "Restricted Products", "dangerous goods", "Safety Data Sheet",
            "Children's Product Certificate", "test report", "product safety", "recall",
            "expiration-dated products",
            # account
            "Seller Identity Verification", "related accounts", "Section 3", "drop shipping",
            "Amazon Services Business Solutions Agreement", "account deactivation",
            "account reactivation", "funds on hold", "disbursement"]:
        assert required in canon, required
    assert by_zh["五点描述"].canonical == "bullet points"
    assert by_zh["搜索关键词"] is by_zh["后台关键词"]
    assert by_zh["A+"].canonical == "A+ content"
    for word in ["标题", "品牌", "反馈", "差评", "投诉", "专利", "有效期", "第三条", "主体",
                 "二手", "翻新", "划线", "假冒", "不真实", "评论", "关键词", "标签"]:
        assert by_zh[word].priority == "low", word


# --------------------------------------------------------------------------- loading

def test_duplicate_chinese_key_names_file_and_both_lines(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "订单缺陷率\tOrder Defect Rate\n"
              "# a comment line still counts as a line\n"
              "缺陷订单|订单缺陷率\tdefective orders\n")
    assert error_of(p) == f"{p}:4: duplicate Chinese term '订单缺陷率' (already on line 2)"


def test_duplicate_key_ignores_latin_case_and_full_width(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "FBA\tFulfillment by Amazon\nＦＢＡ仓|fba\tfulfillment center\n")
    assert error_of(p).startswith(f"{p}:3: duplicate Chinese term 'fba'")


def test_empty_canonical_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "订单缺陷率\tOrder Defect Rate\n\n根本原因\t  \tRC\n")
    assert error_of(p) == f"{p}:4: empty canonical English term"


def test_bad_column_counts(tmp_path: Path) -> None:
    too_many = write(tmp_path, HEADER + "根本原因\troot cause\t\t\t\tnote\textra\n", "a.tsv")
    assert error_of(too_many) == f"{too_many}:2: 7 columns, expected 6 (a tab inside a cell?)"
    spaces = write(tmp_path, HEADER + "根本原因 root cause\n", "b.tsv")
    assert error_of(spaces) == (f"{spaces}:2: 1 column, expected 6 (columns must be "
                                "separated by tabs)")


def test_trailing_empty_columns_are_accepted(tmp_path: Path) -> None:
    # Excel may export empty cells to the right; a text editor may drop trailing ones.
    p = write(tmp_path, HEADER + "根本原因\troot cause\t\t\t\t\t\t\n预防措施\tpreventive measures\n")
    assert [t.canonical for t in read_glossary_file(p)] == ["root cause", "preventive measures"]


def test_utf8_bom_crlf_and_comments(tmp_path: Path) -> None:
    text = ("\ufeff# my glossary\r\n\r\n" + HEADER.replace("\n", "\r\n")
            + "# --- section\r\n根本原因|根源\troot cause\t\troot reason\t\tnote\r\n")
    terms = read_glossary_file(write(tmp_path, text))
    assert terms == [Term(("根本原因", "根源"), "root cause", "", ("root reason",), "note")]
    assert terms[0].line == 5


def test_excel_unicode_text_utf16_is_accepted(tmp_path: Path) -> None:
    # Excel "Unicode Text (*.txt)": UTF-16 LE with BOM, CRLF, cells with quotes quoted.
    text = HEADER + '根本原因\troot cause\t\t\t\t"Amazon says ""root cause"""\n'
    p = tmp_path / "excel.txt"
    p.write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
    (term,) = read_glossary_file(p)
    assert term.note == 'Amazon says "root cause"'


def test_csv_with_commas_is_accepted(tmp_path: Path) -> None:
    p = write(tmp_path, "zh_variants,canonical,acronym\n订单缺陷率|ODR,Order Defect Rate,ODR\n",
              "sheet.csv")
    (term,) = read_glossary_file(p)
    assert (term.zh_variants, term.canonical, term.acronym) == (("订单缺陷率", "ODR"),
                                                                 "Order Defect Rate", "ODR")


@pytest.mark.parametrize(("body", "message"), [
    ("", ":1: empty glossary: no header line"),
    ("中文\t英文\t颜色\n", ":1: unknown column '颜色' in the header line"),
    ("zh_variants\tnote\n根本原因\tx\n", ":1: the header line must name the columns"),
    (HEADER + '根本原因\t"root cause\n', ":2: unbalanced double quote"),
    (HEADER + "根\troot\n", ":2: Chinese variant '根' is one character"),
    (HEADER + "根本原因\troot cause\t\t\tmaybe\n", ":2: priority 'maybe' must be empty"),
    (HEADER + "根本原因\troot cause|cause\n", ":2: canonical 'root cause|cause' must be one form"),
    (HEADER + "根本原因\troot cause\t\tRoot Cause\n", ":2: wrong rendering 'Root Cause' is the "
     "canonical term itself"),
    (HEADER + "根本原因\troot cause\t\t(reason)\n", ":2: wrong rendering '(reason)' must start"),
    (HEADER + "根本原因\troot cause\n原因\treason\t\troot cause\n",
     ":3: wrong rendering 'root cause' is the canonical term of"),
    (HEADER + "根本原因\troot cause\t\tbase reason\n原因\treason\t\tbase reason\n",
     ":3: wrong rendering 'base reason' is also listed on"),
])
def test_invalid_files_name_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    p = write(tmp_path, body)
    assert error_of(p).startswith(f"{p}{message}")


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    assert "not found" in error_of(tmp_path / "nope.tsv")
    p = tmp_path / "gbk.tsv"  # Excel on Chinese Windows: read as GB18030 (issue #18)
    p.write_bytes(HEADER.encode() + "根本原因\troot cause\n".encode("gbk"))
    assert read_glossary_file(p)[0].zh_variants == ("根本原因",)
    p.write_bytes(HEADER.encode() + b"\x81\x30\x81\x30x\troot cause\n\xa4\xa4\n")
    assert error_of(p).startswith(f"{p}:2: not UTF-8 text")


def test_column_order_comes_from_the_header(tmp_path: Path) -> None:
    p = write(tmp_path, "English\tnote\tChinese\n root cause \tfrom the POA\t 根本原因 ｜ 根源 \n")
    (term,) = read_glossary_file(p)
    assert (term.zh_variants, term.canonical, term.note) == (("根本原因", "根源"), "root cause",
                                                              "from the POA")


def test_flag_renderings_and_priority_are_read(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "后台\tSeller Central\t\tseller backend|?in the background\tlow\n")
    (term,) = read_glossary_file(p)
    assert term.wrong_renderings == ("seller backend",)
    assert term.flag_renderings == ("in the background",)
    assert term.priority == "low"


def test_format_tsv_round_trips(g: Glossary, tmp_path: Path) -> None:
    odd = Term(("#井号", "引号"), 'say "hi"', "", ("x & y",), " tab-free, quotes \" and # ")
    text = format_tsv(list(g.terms) + [odd], ["a comment"])
    assert parse_glossary(text, "mem") == list(g.terms) + [
        Term(odd.zh_variants, odd.canonical, "", ("x & y",), 'tab-free, quotes " and #')]


def test_user_glossary_overrides_builtin_entry(g: Glossary, tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "订单缺陷率\tdefect metric\t\tstore index\n新词\tnew word\n")
    merged = load_glossaries([p])
    assert merged.name == f"{g.name} + my.tsv"
    assert merged.version != g.version
    assert len(merged.terms) == len(g.terms) + 1  # one entry replaced, one added
    (hit,) = merged.detect("订单缺陷率")
    assert hit.canonical == "defect metric"
    # The whole built-in entry is replaced: its other variants go with it.
    assert [h.canonical for h in merged.detect("订单瑕疵率")] == []
    # The user entry claims "store index"; the built-in entry that had it loses it.
    assert merged.fix_renderings("the store index")[0] == "the defect metric"
    assert [t.canonical for t in merged.terms if t.canonical == "performance metrics"]
    assert load_glossaries([p], builtin=False).name == "my.tsv"
    assert len(load_glossaries([p], builtin=False).terms) == 2
    assert load_glossaries([], builtin=False).terms == []


def test_later_user_file_wins(tmp_path: Path) -> None:
    a = write(tmp_path, HEADER + "根本原因\troot cause\n", "a.tsv")
    b = write(tmp_path, HEADER + "根本原因\tunderlying cause\n", "b.tsv")
    merged = load_glossaries([a, b], builtin=False)
    assert merged.name == "a.tsv + b.tsv"
    assert [t.canonical for t in merged.terms] == ["underlying cause"]


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    a = write(tmp_path, HEADER + "根本原因\troot cause\t\t\t\tnote one\n", "a.tsv")
    b = write(tmp_path, "# comment\n" + HEADER + "根本原因\troot cause\t\t\t\tnote two\n", "b.tsv")
    c = write(tmp_path, HEADER + "根本原因\troot causes\n", "c.tsv")
    va, vb, vc = (load_glossaries([p], builtin=False).version for p in (a, b, c))
    assert va == vb != vc


# --------------------------------------------------------------------------- detection

def tuples(hits: list) -> list[tuple[int, int, str, str]]:
    return [(h.start, h.end, h.source, h.canonical) for h in hits]


def test_detect_longest_match_and_variants(g: Glossary) -> None:
    assert tuples(g.detect("账户状况评级下降")) == [(0, 6, "账户状况评级", "Account Health Rating")]
    assert tuples(g.detect("订单瑕疵率")) == [(0, 5, "订单瑕疵率", "Order Defect Rate")]
    assert tuples(g.detect("店铺绩效指标")) == [(0, 4, "店铺绩效", "Account Health"),
                                            (4, 6, "指标", "performance metrics")]


def test_detect_longest_wins_over_leftmost() -> None:
    custom = Glossary([Term(("甲乙",), "first"), Term(("乙丙丁",), "second"),
                       Term(("丁戊",), "third")])
    # Leftmost-first would take 甲乙 then 丁戊; the longest (乙丙丁) wins instead.
    assert tuples(custom.detect("甲乙丙丁戊")) == [(1, 4, "乙丙丁", "second")]


def test_detect_latin_terms_inside_chinese_and_boundaries(g: Glossary) -> None:
    assert tuples(g.detect("我们的FBA库存")) == [(3, 6, "FBA", "Fulfillment by Amazon"),
                                             (6, 8, "库存", "inventory")]
    assert [h.source for h in g.detect("FBAX库存")] == ["库存"]  # not inside a longer word
    assert [h.source for h in g.detect("2FBA")] == []
    assert [h.source for h in g.detect("FNSKU和SKU")] == ["FNSKU", "SKU"]
    assert [h.canonical for h in g.detect("我们收到了AtoZ，ODR上升")] == [
        "A-to-z Guarantee claim", "Order Defect Rate"]


def test_detect_case_rules(g: Glossary) -> None:
    # Short all-caps acronyms are case-sensitive; mixed-case variants are not.
    assert g.detect("fba和odr") == []
    assert [h.source for h in g.detect("收到atoz和A-TO-Z")] == ["atoz", "A-TO-Z"]
    assert [h.canonical for h in g.detect("这个Listing")] == ["listing"]


def test_detect_full_width_and_spacing(g: Glossary) -> None:
    assert tuples(g.detect("ＦＢＡ仓")) == [(0, 4, "ＦＢＡ仓", "fulfillment center")]
    assert tuples(g.detect("A-to-z 索赔")) == [(0, 9, "A-to-z 索赔", "A-to-z Guarantee claim")]
    assert tuples(g.detect("FBA 仓")) == [(0, 5, "FBA 仓", "fulfillment center")]


def test_detect_priority_filter_and_term_for(g: Glossary) -> None:
    text = "在后台查看订单缺陷率"
    assert [h.source for h in g.detect(text)] == ["后台", "订单缺陷率"]
    assert [h.source for h in g.detect(text, include_low=False)] == ["订单缺陷率"]
    hit = g.detect("A-to-z 索赔")[0]
    assert g.term_for(hit).canonical == "A-to-z Guarantee claim"
    assert g.detect("") == []


def test_detect_runs_on_joined_paragraph_text_split_into_runs(g: Glossary, tmp_path: Path) -> None:
    # A term split over formatting runs (bold "缺陷", different font) is one term in the
    # paragraph's joined text, which is what the reader hands to detection.
    d = docx.Document()
    para = d.add_paragraph()
    for piece, bold in [("我们的订单", False), ("缺陷", True), ("率和F", False), ("BA", True),
                        ("库存", False)]:
        para.add_run(piece).bold = bold
    path = tmp_path / "runs.docx"
    d.save(str(path))
    (para,) = docx.Document(str(path)).paragraphs
    assert len(para.runs) == 5
    assert tuples(g.detect(para.text)) == [(3, 8, "订单缺陷率", "Order Defect Rate"),
                                           (9, 12, "FBA", "Fulfillment by Amazon"),
                                           (12, 14, "库存", "inventory")]


# --------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize(("before", "after"), [
    ("AtoZ claims were filed.", "A-to-z Guarantee claims were filed."),
    ("We received an AtoZ claim.", "We received an A-to-z Guarantee claim."),
    ("Two A2Z guarantee claims.", "Two A-to-z Guarantee claims."),
    ("Our order defect ratio is 2%.", "Our Order Defect Rate is 2%."),
    ("Our ORDER DEFECT RATIO is 2%.", "Our Order Defect Rate is 2%."),
    ("The A-to-Z Guarantee Claim was closed.", "The A-to-z Guarantee claim was closed."),
    ("An A-to-z Guarantee claim was filed.", "An A-to-z Guarantee claim was filed."),
    ("We had 3 AtoZ Guarantee claims.", "We had 3 A-to-z Guarantee claims."),
    ("Root reason: we failed. Rectification measures were taken.",
     "Root cause: we failed. Corrective actions were taken."),
    ("We took rectification measures.", "We took corrective actions."),
    ("1. Root reason of the problem", "1. Root cause of the problem"),
    ("ROOT REASON ANALYSIS", "ROOT CAUSE ANALYSIS"),
    ("We completed the Amazon brand filing.", "We completed the Amazon Brand Registry."),
    ("Please restore sales permission.", "Please reinstate selling privileges."),
    ("Our sales permissions were removed.", "Our selling privileges were removed."),
    ("The seller backend shows it.", "The Seller Central shows it."),
    ("We check the store index daily.", "We check the performance metrics daily."),
    ("water and electricity bills", "utility bills"),
    ("the order defect rate", "the order defect rate"),  # plain lower case is acceptable
    ("Clean text stays exactly as it is.", "Clean text stays exactly as it is."),
    ("We use Amazon logistics.", "We use Amazon logistics."),  # flag-only: not replaced
    ("A storefront index", "A storefront index"),  # word boundaries
])
def test_normalize(g: Glossary, before: str, after: str) -> None:
    text, changes = g.fix_renderings(before)
    assert text == after
    assert bool(changes) == (before != after)
    assert g.fix_renderings(text) == (text, [])  # never applied twice
    assert fix_renderings_text(before) == after


def test_normalize_records_one_change_per_replacement(g: Glossary) -> None:
    text, changes = g.fix_renderings("AtoZ claims and one A2Z claim; order defect ratio.")
    assert text == "A-to-z Guarantee claims and one A-to-z Guarantee claim; Order Defect Rate."
    assert [(c.rule, c.before, c.after, c.step) for c in changes] == [
        ("glossary:A-to-z Guarantee claim", "AtoZ claims", "A-to-z Guarantee claims", "glossary"),
        ("glossary:A-to-z Guarantee claim", "A2Z claim", "A-to-z Guarantee claim", "glossary"),
        ("glossary:Order Defect Rate", "order defect ratio", "Order Defect Rate", "glossary")]
    assert all(c.message for c in changes)


def test_wrong_renderings_in(g: Glossary) -> None:
    found = g.wrong_renderings_in("Our order defect ratio and AtoZ claims; Amazon logistics.")
    assert [(t.canonical, w) for t, w in found] == [("Order Defect Rate", "order defect ratio"),
                                                   ("A-to-z Guarantee claim", "AtoZ claims")]
    assert g.wrong_renderings_in("All fine: Order Defect Rate.") == []


def test_dictionary_words(g: Glossary) -> None:
    words = g.dictionary_words()
    for w in ["FBA", "ODR", "ASIN", "A-to-z", "ERP", "FNSKU", "3PL", "MFN"]:
        assert w in words, w
    assert "AtoZ" not in words and "A2Z" not in words  # wrong forms stay flagged
    assert len(words) == len(set(words))


# --------------------------------------------------------------------------- enforce step

def make_doc(g: Glossary, rows: list[tuple[str, str | None]]) -> Document:
    doc = Document(Path("appeal.docx"))
    for i, (zh, en) in enumerate(rows):
        translatable = bool(re.search(r"[\u4e00-\u9fff]", zh))
        seg = Segment(id=f"body/p{i}#0", block_id=f"body/p{i}", index=0, source=zh,
                      translatable=translatable, target=en,
                      origin=Origin.MACHINE if en is not None else Origin.NONE)
        if translatable:
            seg.terms = g.detect(zh)
        doc.blocks.append(Block(id=f"body/p{i}", story="body", text=zh, segments=[seg]))
    return doc


def test_acronym_first_and_later_mentions_across_segments(g: Glossary) -> None:
    doc = make_doc(g, [
        ("订单缺陷率过高", "Our order defect ratio is too high."),
        ("我们复查了订单缺陷率", "We checked the Order Defect Rate (ODR) again."),
        ("订单缺陷率下降", "The Order Defect Rate fell."),
        ("ODR下降", "ODR fell, and FBA orders too."),
        ("亚马逊物流", "Fulfillment by Amazon (FBA) again, then FBA."),
    ])
    EnforceStep(g)(doc)
    assert [s.target for s in doc.segments] == [
        "Our Order Defect Rate (ODR) is too high.",
        "We checked the ODR again.",
        "The ODR fell.",
        "ODR fell, and Fulfillment by Amazon (FBA) orders too.",
        "FBA again, then FBA.",
    ]
    first = doc.segments[0].changes
    assert [(c.rule, c.after) for c in first] == [
        ("glossary:Order Defect Rate", "Order Defect Rate"),
        ("glossary:acronym", "Order Defect Rate (ODR)")]
    assert not any(n.code.startswith("term-") for s in doc.segments for n in s.notes)


def test_acronym_bare_first_mention_already_expanded_and_off(g: Glossary) -> None:
    doc = make_doc(g, [("ODR超过1%", "ODR exceeded 1%."),
                       ("行动计划", "Plan of Action (POA) for our account."),
                       ("行动计划", "This Plan of Action covers it.")])
    EnforceStep(g)(doc)
    assert [s.target for s in doc.segments] == [
        "Order Defect Rate (ODR) exceeded 1%.",
        "Plan of Action (POA) for our account.",
        "This POA covers it."]
    assert doc.segments[1].changes == []  # already right: no double expansion

    off = make_doc(g, [("ODR超过1%", "ODR exceeded 1%."), ("订单缺陷率", "order defect ratio")])
    EnforceStep(g, acronyms=False)(off)
    assert [s.target for s in off.segments] == ["ODR exceeded 1%.", "Order Defect Rate"]


def test_acronym_defined_in_untranslated_english_counts(g: Glossary) -> None:
    doc = make_doc(g, [("Order Defect Rate (ODR) report", None),
                       ("订单缺陷率", "The Order Defect Rate is 2%.")])
    EnforceStep(g)(doc)
    assert doc.segments[0].target is None  # passthrough text is never edited
    assert doc.segments[1].target == "The ODR is 2%."


def test_term_check_notes(g: Glossary) -> None:
    doc = make_doc(g, [
        ("纠正措施如下", "We changed the packaging."),  # required term missing
        ("我们使用亚马逊物流", "We use Amazon logistics."),  # flagged wrong rendering
        ("在后台查看", "We looked in the system."),  # low priority: no warning
        ("根本原因", "Root reason: staff."),  # fixed by normalisation: no note
        ("订单缺陷率", "ODR is fine."),  # the acronym counts as the term
    ])
    EnforceStep(g)(doc)
    notes = [[(n.code, n.severity, n.step) for n in s.notes] for s in doc.segments]
    assert notes == [
        [("term-missing", Severity.WARNING, "glossary")],
        [("term-wrong", Severity.ERROR, "glossary")],
        [], [], []]
    assert "“纠正措施” should be “corrective actions”" in doc.segments[0].notes[0].message
    assert "“Amazon logistics”" in doc.segments[1].notes[0].message
    assert doc.segments[3].target == "Root cause: staff."


def test_enforce_leaves_untranslated_and_failed_segments_alone(g: Glossary) -> None:
    doc = make_doc(g, [("纠正措施", None), ("纠正措施", "纠正措施")])
    doc.segments[1].origin = Origin.ENGINE_FAILED
    EnforceStep(g)(doc)
    assert doc.segments[0].target is None
    assert all(s.notes == [] and s.changes == [] for s in doc.segments)


def test_a_name_keeps_its_form_when_the_engine_adds_a_plural(g: Glossary) -> None:
    doc = make_doc(g, [
        ("我们使用亚马逊物流", "We use Fulfillment by Amazons for all orders."),
        ("账户状况良好", "Our Account Healths are good."),
        ("配送前取消率下降", "The Pre-fulfillment Cancel Rates fell."),
        ("卖家平台", "SELLER CENTRALS"),  # an all-capitals heading
        ("两个A-to-z索赔", "Two A-to-z Guarantee claims were closed."),  # a real plural
        ("两个行动计划", "Both Plan of Actions were sent."),  # the plural column's form
        ("秒杀", "Our Lightning Deals ended."),
    ])
    EnforceStep(g)(doc)
    assert [s.target for s in doc.segments] == [
        "We use Fulfillment by Amazon (FBA) for all orders.",
        "Our Account Health are good.",
        "The Pre-fulfillment Cancel Rate fell.",
        "SELLER CENTRAL",
        "Two A-to-z Guarantee claims were closed.",
        "Both Plans of Action (POA) were sent.",
        "Our Lightning Deals ended.",
    ]
    rules = [c.message for c in doc.segments[1].changes]
    assert rules == ["“Account Health” is a name: it has no plural"]
    assert not any(n.code.startswith("term-") for s in doc.segments for n in s.notes)


def test_plural_column_and_the_name_rule(tmp_path: Path) -> None:
    text = ("zh_variants\tcanonical\twrong_renderings\tplural\n"
            "数据\tsales data\t\t-\n"          # explicit: no plural
            "整改报告\tReport of Action\t\tReports of Action\n"
            "退货中心\tReturns Center\t\t\n"    # a capitalised name: none
            "退货单\treturn slip\treturn bill\t\n")  # an ordinary term: derived
    terms = parse_glossary(text, "t.tsv")
    assert [t.plural_form for t in terms] == [None, "Reports of Action", None, "return slips"]
    assert parse_glossary(format_tsv(terms), "t.tsv") == terms
    mine = Glossary(terms)
    assert mine.fix_renderings("Sales datas and Report of Actions, Returns Centers; return bills.")[0] \
        == "Sales data and Reports of Action, Returns Center; return slips."
    with pytest.raises(GlossaryError, match="t.tsv:2: plural"):
        parse_glossary("zh_variants\tcanonical\tplural\n数据\tdata\ta|b\n", "t.tsv")


def test_a_term_given_with_its_latin_form_in_brackets_is_said_once(g: Glossary) -> None:
    zh = "亚马逊交易保障索赔（A-to-Z 索赔）已关闭"
    hits = g.detect(zh)
    assert [h.source for h in hits] == ["亚马逊交易保障索赔", "A-to-Z 索赔"]
    assert hits[0].canonical == hits[1].canonical == "A-to-z Guarantee claim"
    # What translating the two masked terms gives, and the engine's variants of it.
    doc = make_doc(g, [
        (zh, f"The {hits[0].canonical} ({hits[1].canonical}) was closed."),
        (zh, f"Two {hits[0].canonical}s（{hits[1].canonical}s） were closed."),
        (zh, "The A-to-Z Guarantee Claim (AtoZ claim) was closed."),
        ("订单缺陷率（ODR）", "The Order Defect Rate (ODR) is 2%."),  # term (ACRONYM) stays
        ("FBA（亚马逊物流）", "FBA (FBA) orders."),
        ("负面反馈（差评）", "negative feedback (negative review)"),  # two terms: both stay
    ])
    EnforceStep(g)(doc)
    assert [s.target for s in doc.segments] == [
        "The A-to-z Guarantee claim was closed.",
        "Two A-to-z Guarantee claims were closed.",
        "The A-to-z Guarantee claim was closed.",
        "The Order Defect Rate (ODR) is 2%.",
        "Fulfillment by Amazon (FBA) orders.",
        "negative feedback (negative review)",
    ]
    assert [c.rule for c in doc.segments[0].changes] == ["glossary:repeat"]
    assert not any(n.code == "term-missing" for s in doc.segments for n in s.notes)


# --------------------------------------------------------------------------- properties

_BUILTIN = load_glossaries([])
_ZH = [v for t in _BUILTIN.terms for v in t.zh_variants]
_EN = [w for t in _BUILTIN.terms for w in t.wrong_renderings + (t.canonical,)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(_ZH)), max_size=8))
def test_detect_never_crashes_and_never_overlaps(parts: list[str]) -> None:
    text = "".join(parts)
    hits = _BUILTIN.detect(text)
    last = 0
    for h in hits:
        assert last <= h.start < h.end <= len(text)
        assert text[h.start:h.end] == h.source
        assert _BUILTIN.term_for(h).canonical == h.canonical
        last = h.end


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(_EN),
                          st.sampled_from([" ", ". ", "s ", "\n", "A", "Amazon "])), max_size=8))
def test_normalize_never_crashes_and_is_stable(parts: list[str]) -> None:
    text = "".join(parts)
    out, changes = _BUILTIN.fix_renderings(text)
    assert isinstance(out, str)
    assert (out == text) == (changes == [])
    assert _BUILTIN.fix_renderings(out)[0] == out  # idempotent: never applied twice
    for c in changes:
        assert c.before in text and c.after in out


# --------------------------------------------------------------------------- CLI

def test_cli_check_and_list(tmp_path: Path) -> None:
    from pipeline.commands.glossary import app

    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(builtin_path())])
    assert ok.exit_code == 0
    assert re.fullmatch(r"OK: \d+ terms\n", ok.stdout)

    bad = write(tmp_path, HEADER + "订单缺陷率\tODR\n订单缺陷率\tODR again\n")
    res = runner.invoke(app, ["check", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}:3: duplicate Chinese term" in res.output

    user = write(tmp_path, HEADER + "新词\tnew word\tNW\n", "user.tsv")
    res = runner.invoke(app, ["list", "--glossary", str(user), "--no-builtin", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["name"] == "user.tsv" and data["count"] == 1
    assert data["terms"][0]["canonical"] == "new word"

    res = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "Order Defect Rate" in res.stdout and "订单缺陷率" in res.stdout


def test_allowed_column_is_read_and_written_back():
    text = ("zh_variants\tcanonical\twrong_renderings\tallowed\n"
            "退货商品\treturned item\treturn goods\treturned goods|returned products\n")
    [term] = parse_glossary(text, "t.tsv")
    assert term.allowed == ("returned goods", "returned products")
    assert parse_glossary(format_tsv([term]), "t.tsv") == [term]
    with pytest.raises(GlossaryError, match="both allowed and a wrong rendering"):
        parse_glossary("zh_variants\tcanonical\twrong_renderings\tallowed\n"
                       "退货商品\treturned item\treturn goods\treturn goods\n", "t.tsv")
