"""Traditional Chinese drafts (issue #18): detected per document, converted to
Simplified for the glossary, the memory and the engine; the original text is kept."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from pipeline.chinese_script import detect_script, to_simplified, to_traditional
from pipeline.document import Block, Document
from pipeline.segment import segment_document

TRAD = "我們的店鋪因訂單缺陷率達到2.8%而被停用。我們已聯繫所有買家並退款。"


def to_traditional_docx(src: Path, dst: Path) -> Path:
    """The same document with every run's text converted s2t (runs, tables, headers)."""
    document = docx.Document(str(src))

    def paragraphs():
        yield from document.paragraphs
        for table in document.tables:
            for row in table.rows:
                for cell in row.cells:
                    yield from cell.paragraphs
        for section in document.sections:
            yield from section.header.paragraphs
            yield from section.footer.paragraphs

    for p in paragraphs():
        for run in p.runs:
            run.text = to_traditional(run.text)
    document.save(str(dst))
    return dst


def test_detection_and_length_keeping_conversion() -> None:
    assert detect_script(TRAD) == "traditional"
    assert detect_script(to_simplified(TRAD)) == "simplified"
    assert detect_script("Order Defect Rate 2.8%") == "simplified"
    assert detect_script("我们的账户于2024年被停用。") == "simplified"  # 于/们: Simplified
    assert to_simplified(TRAD).startswith("我们的店铺因订单缺陷率达到2.8%而被停用")
    # Mainland forms: 帳戶 -> 账户 (not OpenCC's 帐户); tents stay 帐. No Taiwan-to-mainland
    # vocabulary (tw2sp would turn 停用 "suspended" into 禁用 "disabled").
    assert to_simplified("帳戶與帳號，帳篷，停用") == "账户与账号，帐篷，停用"
    for text in (TRAD, "台灣的帳號與發票", "週末後裡面的麵"):
        assert len(to_simplified(text)) == len(text)


def test_segments_keep_the_original_and_carry_the_simplified_text() -> None:
    doc = segment_document(Document(Path("x.docx"), [Block("body/p0", "body", TRAD)]))
    assert doc.script == "traditional"
    first = doc.segments[0]
    assert first.source.startswith("我們的店鋪") and first.zh.startswith("我们的店铺")
    assert doc.notes[0].code == "traditional-chinese"
    simple = segment_document(Document(Path("y.docx"), [Block("body/p0", "body",
                                                               to_simplified(TRAD))]))
    assert simple.script == "simplified" and simple.segments[0].simplified is None
    assert not simple.notes


@pytest.mark.slow
def test_run_on_a_traditional_draft_finds_the_same_terms(tmp_path: Path, sample_zh: Path) -> None:
    from pipeline.cli import app

    trad = to_traditional_docx(sample_zh, tmp_path / "draft_zh_hant.docx")
    assert detect_script("\n".join(p.text for p in docx.Document(str(trad)).paragraphs)) \
        == "traditional"
    runner = CliRunner()
    reports = {}
    for name, src in (("simplified", sample_zh), ("traditional", trad)):
        out = tmp_path / name
        res = runner.invoke(app, ["run", str(src), "--out", str(out), "--grammar", "none"])
        assert res.exit_code == 0, res.output
        reports[name] = json.loads(next(out.glob("*.report.json")).read_text(encoding="utf-8"))

    def terms(report: dict) -> list[tuple[str, str]]:
        return [(seg["id"], t["canonical"]) for seg in report["segments"]
                for t in seg["terms"]]

    simplified, traditional = terms(reports["simplified"]), terms(reports["traditional"])
    assert simplified and traditional == simplified
    # The engine saw the same Simplified input: the same English and the same findings
    # (the POA structure check included).
    def english(report: dict) -> list[tuple[str, str, list[str]]]:
        return [(s["id"], s["final"], sorted(n["code"] for n in s["notes"]))
                for s in report["segments"] if s["translatable"]]

    assert english(reports["traditional"]) == english(reports["simplified"])
    assert [n["code"] for n in reports["traditional"]["document_notes"]] == \
        [n["code"] for n in reports["simplified"]["document_notes"]] + ["traditional-chinese"]
    # The report and review keep the original Traditional text.
    sources = [s["source"] for s in reports["traditional"]["segments"] if s["translatable"]]
    assert any("訂單" in s or "賬戶" in s or "買家" in s for s in sources)
    assert not any("订单" in s for s in sources)
    review = docx.Document(str(next((tmp_path / "traditional").glob("*.review.docx"))))
    cells = "\n".join(c.text for t in review.tables for r in t.rows for c in r.cells)
    assert "我們" in cells


def test_a_glossary_listing_traditional_terms_matches_both_scripts(tmp_path: Path) -> None:
    from pipeline.glossary import load_glossaries

    path = Path(__file__).parent / "data" / "interop" / "excel_big5.txt"
    g = load_glossaries([path], builtin=False)
    assert g.terms[0].zh_variants == ("訂單缺陷率", "订单缺陷率")
    assert g.terms[1].zh_variants == ("帳戶健康", "账户健康")
    doc = segment_document(Document(Path("x.docx"), [Block("body/p0", "body", TRAD)]))
    assert [h.canonical for h in g.detect(doc.segments[0].zh)] == ["Order Defect Rate"]
    assert [h.canonical for h in g.detect("订单缺陷率")] == ["Order Defect Rate"]


def test_memory_hits_a_traditional_sentence_through_its_simplified_form(tmp_path: Path) -> None:
    from pipeline.document import Origin
    from pipeline.memory import MemoryStep, TranslationMemory, remember

    doc = segment_document(Document(Path("x.docx"), [Block("body/p0", "body", TRAD)]))
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        tm.store(doc.segments[0].zh, "Our store was deactivated.", "reviewed")
        MemoryStep(tm, "m", "g")(doc)
        first, second = doc.segments
        assert first.origin is Origin.MEMORY_EXACT and first.source.startswith("我們")
        second.target, second.origin = "We refunded all buyers.", Origin.MACHINE
        remember(doc, tm, "m", "g")
        assert tm.lookup("我们已联系所有买家并退款。").target == "We refunded all buyers."
