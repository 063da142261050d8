"""Glossaries saved by Excel on Chinese Windows (GB18030 / Big5) and the review table
header (issue #18)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.errors import GlossaryError
from pipeline.glossary import detect_encoding, load_glossaries, read_glossary_file

DATA = Path(__file__).parent / "data" / "interop"


def test_gb18030_glossary_saved_by_excel_is_read_and_named() -> None:
    path = DATA / "excel_gb18030.txt"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really a legacy file
    terms = read_glossary_file(path)
    assert [(t.zh_variants, t.canonical, t.acronym) for t in terms] == [
        (("订单缺陷率",), "Order Defect Rate", "ODR"),
        (("账户健康",), "Account Health", ""),
        (("买家之声",), "Voice of the Customer", "VOC")]
    assert terms[0].note == "卖家绩效指标"
    g = load_glossaries([path], builtin=False)
    assert g.name == "excel_gb18030.txt (read as GB18030)"
    assert [h.canonical for h in g.detect("我们的订单缺陷率很高")] == ["Order Defect Rate"]


def test_big5_glossary_is_read() -> None:
    terms = read_glossary_file(DATA / "excel_big5.txt")
    assert terms[0].zh_variants == ("訂單缺陷率", "订单缺陷率")
    assert terms[2].note == "退貨、負評與客戶回饋"
    assert detect_encoding((DATA / "excel_big5.txt").read_bytes(), "x") == ("cp950", "Big5")


def test_gb_text_that_also_decodes_as_big5_is_read_as_gb(tmp_path: Path) -> None:
    # These GB2312 bytes are valid Big5 too ("虛とぜ煦"): the common characters decide.
    path = tmp_path / "g.txt"
    path.write_bytes("zh\ten\n店铺评分\tstore rating\n客户服务\tcustomer service\n"
                     .encode("gb18030"))
    assert detect_encoding(path.read_bytes(), str(path))[1] == "GB18030"
    assert read_glossary_file(path)[0].zh_variants == ("店铺评分",)


def test_ambiguous_or_unknown_bytes_are_refused_with_one_line(tmp_path: Path) -> None:
    from pipeline.commands.glossary import app

    ambiguous = tmp_path / "a.txt"
    ambiguous.write_bytes("zh\ten\n蚌埠\tBengbu\n".encode("gb18030"))  # rare either way
    with pytest.raises(GlossaryError, match=r"a.txt:2: not UTF-8 text, and it reads as "
                                            r"GB18030 or Big5 alike"):
        read_glossary_file(ambiguous)
    junk = tmp_path / "j.txt"
    junk.write_bytes(b"zh\ten\n\x81\x30\x81\x30x\tfoo\n\xa4\xa4\n")
    with pytest.raises(GlossaryError, match=r"j.txt:2: not UTF-8 text \(nor GB18030 or Big5"):
        read_glossary_file(junk)
    res = CliRunner().invoke(app, ["check", str(junk)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert junk.read_bytes().startswith(b"zh\ten")  # never modified


def test_review_table_header_is_a_bare_on_off_element(tmp_path: Path) -> None:
    from pipeline.document import Block, Document
    from pipeline.docx.review_writer import write_review
    from pipeline.segment import segment_document

    doc = segment_document(Document(tmp_path / "x.docx", [Block("body/p0", "body", "你好。")]))
    path = write_review(doc, tmp_path / "x.review.docx")
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert "<w:tblHeader/>" in xml and 'w:tblHeader w:val' not in xml


def test_check_names_the_encoding_and_what_a_tbx_import_skipped() -> None:
    from pipeline.commands.glossary import app

    res = CliRunner().invoke(app, ["check", str(DATA / "excel_gb18030.txt")])
    assert res.exit_code == 0 and res.output.startswith("OK: 3 terms (read as GB18030)")
    res = CliRunner().invoke(app, ["check", str(DATA / "tbx_basic_statuses.tbx")])
    assert res.exit_code == 0 and "skipped 1 entries: no English term" in res.output
