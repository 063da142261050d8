"""Reader and writer on real DOCX files built with python-docx plus raw WordprocessingML."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pytest
from docx_factory import STORY_TEXTS, build_all_stories, build_simple, fake_translate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.document import Block, Segment
from pipeline.docx.audit import account
from pipeline.docx.ooxml import W_T
from pipeline.docx.reader import (
    Package,
    paragraph_pieces,
    read_docx,
    walk,
)
from pipeline.docx.writer import place_text, plan, write_docx, xml_safe
from pipeline.errors import InputError, OutputError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture()
def all_stories(tmp_path: Path) -> Path:
    return build_all_stories(tmp_path / "draft.docx")


# ----------------------------------------------------------------------------- reading
def test_reader_ids_stories_and_styles(all_stories: Path) -> None:
    doc = read_docx(all_stories)
    by_id = {b.id: b for b in doc.blocks}
    assert by_id["body/p0"].style == "Heading 1"
    assert by_id["body/p2"].style == "List Number"
    assert by_id["body/p3"].text == "我们承诺立即整改。"  # sentence across runs: one block
    assert by_id["body/t0/r1/c2/t0/r0/c1/p0"].text == "嵌套单元格"  # nested table
    assert by_id["header:default:s0/p0"].text == STORY_TEXTS["header"]
    assert by_id["header:first:s0/p0"].story == "header"
    assert by_id["footer:even:s0/p0"].story == "footer"
    assert by_id["footnote:1/p0"].text.strip() == STORY_TEXTS["footnote"]
    assert by_id["endnote:1/p0"].text.strip() == STORY_TEXTS["endnote"]
    assert by_id["comment:0/p0"].text == STORY_TEXTS["comment"]
    assert by_id["body/p6/tx0/p0"].story == "textbox"
    assert by_id["body/p6"].text == "文本框锚点。"  # the box's text is not in its anchor
    assert by_id["body/p7"].text == "请访问卖家中心。"  # hyperlink text inline
    assert by_id["body/p8"].text == "内联控件文本之后。"  # inline content control
    assert by_id["body/p9"].text == "块级控件段落。"  # block content control
    assert by_id["body/p10"].text == "保留插入的文字。"  # w:ins kept, w:del left out
    assert by_id["body/p11"].text == "日期：二〇二四年"  # fldSimple result
    assert by_id["body/p12"].text == "复杂域：引用文字"  # field result, not the code
    assert by_id["body/p13"].text == "北京仓库。"  # smart tag
    assert by_id["body/p14"].text == "公式："  # equation left out
    assert doc.run.untouched == {"equations": 1, "field_codes": 1}
    # Merged cells are not repeated (python-docx's row.cells would repeat them).
    texts = [b.text for b in doc.blocks]
    assert texts.count("合并单元格") == 1 and texts.count("纵向合并") == 1
    assert len(by_id) == len(doc.blocks)  # ids unique
    # The text box is read once although Word stores it twice (Choice + Fallback).
    assert texts.count(STORY_TEXTS["textbox"]) == 1


def test_accounting_exact(all_stories: Path) -> None:
    acc = account(all_stories)
    assert acc["ok"], acc
    assert acc["lost"] == [] and acc["double"] == []
    assert acc["skipped_chars"] == {"fallback-copy": len(STORY_TEXTS["textbox"] + "第二段。")}


def test_walk_is_shared_and_stable(all_stories: Path) -> None:
    with Package(all_stories) as pkg:
        first = [(r.id, paragraph_pieces(r.p).text) for r in walk(pkg)]
    with Package(all_stories) as pkg:
        second = [(r.id, r.pieces.text) for r in walk(pkg)]
    assert first == second
    doc = read_docx(all_stories)
    walked = dict(first)
    for b in doc.blocks:
        assert walked[b.id] == b.text


def test_whitespace_paragraphs_are_not_blocks(tmp_path: Path) -> None:
    p = build_simple(tmp_path / "w.docx", ["中文", "   ", "", "英文"])
    doc = read_docx(p)
    assert [b.id for b in doc.blocks] == ["body/p0", "body/p3"]
    assert doc.run.empty_paragraphs == 2


# ----------------------------------------------------------------------------- writing
def test_every_story_translated(all_stories: Path, tmp_path: Path) -> None:
    before = sha(all_stories)
    doc = fake_translate(read_docx(all_stories))
    out = write_docx(doc, tmp_path / "draft.en.docx")
    assert sha(all_stories) == before  # the input is never modified
    again = {b.id: b for b in read_docx(out).blocks}
    for b in doc.blocks:
        assert again[b.id].text == b.target_text(), b.id
    stories = {b.story for b in again.values() if b.text.startswith("EN[")}
    assert {"body", "table", "textbox", "header", "footer", "footnote", "endnote",
            "comment"} <= stories
    assert all(b.text.startswith("EN[") for b in again.values())
    # python-docx reopens it and sees the English header and comment too.
    d = docx.Document(str(out))
    assert d.sections[0].header.paragraphs[0].text.startswith("EN[header:default")
    assert next(iter(d.comments)).paragraphs[0].text.startswith("EN[comment:0")
    # Both copies of the text box carry the English, so Word and old readers agree.
    xml = members(out)["word/document.xml"].decode()
    assert xml.count("EN[body/p6/tx0/p0]") == 2
    assert STORY_TEXTS["textbox"] not in xml.replace(f"EN[body/p6/tx0/p0] {STORY_TEXTS['textbox']}", "")
    assert account(out)["ok"]


def test_untouched_left_alone(all_stories: Path, tmp_path: Path) -> None:
    doc = fake_translate(read_docx(all_stories), only={"footnote:1/p0"})
    out = write_docx(doc, tmp_path / "out.docx")
    old, new = members(all_stories), members(out)
    assert list(old) == list(new)  # same parts, same order
    changed = {n for n in old if old[n] != new[n]}
    assert changed == {"word/footnotes.xml"}


def test_unchanged_paragraphs_in_changed_part_identical(all_stories: Path, tmp_path: Path) -> None:
    doc = fake_translate(read_docx(all_stories), only={"body/p1"})
    out = write_docx(doc, tmp_path / "out.docx")

    def paras(path: Path) -> dict[str, bytes]:
        with Package(path) as pkg:
            return {r.id: etree.tostring(r.p) for r in walk(pkg) if r.part == "word/document.xml"}

    a, b = paras(all_stories), paras(out)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == ["body/p1"]


def test_deleted_text_equation_and_field_code_untouched(all_stories: Path, tmp_path: Path) -> None:
    out = write_docx(fake_translate(read_docx(all_stories)), tmp_path / "o.docx")
    xml = members(out)["word/document.xml"].decode()
    assert "<w:delText>删除的文字</w:delText>" in xml
    assert "<m:t>x=1</m:t>" in xml
    assert "REF 标签 \\h" in xml
    assert 'w:instr=" DATE "' in xml  # the simple field stays a field


def _runs(path: Path, block_id: str) -> list[tuple[str, bool, bool]]:
    """(text, bold, in hyperlink) of each text run of a block in ``path``."""
    with Package(path) as pkg:
        ref = next(r for r in walk(pkg) if r.id == block_id)
        out = []
        for piece in ref.pieces.visible:
            rpr = piece.run.find(f"{{{W}}}rPr")
            bold = rpr is not None and rpr.find(f"{{{W}}}b") is not None
            out.append((piece.text, bold, bool(piece.ctx)))
        return out


def _with_segments(block: Block, parts: list[tuple[str, str]]) -> None:
    """Segments from (source, target) pairs; their sources must rebuild block.text."""
    block.segments = [Segment(id=f"{block.id}#{i}", block_id=block.id, index=i, source=s,
                              target=t) for i, (s, t) in enumerate(parts)]
    assert block.rebuilt_source() == block.text


def test_bold_segment_stays_bold(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph("第一句。")
    p.add_run("第二句加粗。").bold = True
    src = tmp_path / "b.docx"
    d.save(str(src))
    doc = read_docx(src)
    _with_segments(doc.blocks[0], [("第一句。", "First."), ("第二句加粗。", "Second, bold.")])
    out = write_docx(doc, tmp_path / "o.docx")
    assert _runs(out, "body/p0") == [("First.", False, False), (" Second, bold.", True, False)]
    assert doc.run.formatting_dropped == []


def test_bold_word_inside_sentence_is_reported(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph("我们")
    p.add_run("立即").bold = True
    p.add_run("整改。")
    src = tmp_path / "b.docx"
    d.save(str(src))
    doc = read_docx(src)
    _with_segments(doc.blocks[0], [("我们立即整改。", "We will fix it at once.")])
    out = write_docx(doc, tmp_path / "o.docx")
    assert [t for t, *_ in _runs(out, "body/p0")] == ["We will fix it at once."]
    assert doc.run.formatting_dropped == ["body/p0"]


def test_uniform_paragraph_keeps_first_run_format(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph()
    for part in ("全部", "加粗", "文字。"):
        p.add_run(part).bold = True
    src = tmp_path / "u.docx"
    d.save(str(src))
    doc = fake_translate(read_docx(src))
    out = write_docx(doc, tmp_path / "o.docx")
    assert _runs(out, "body/p0") == [("EN[body/p0] 全部加粗文字。", True, False)]
    assert doc.run.formatting_dropped == []


def test_hyperlink_segment_stays_link(all_stories: Path, tmp_path: Path) -> None:
    doc = read_docx(all_stories)
    _with_segments(doc.block("body/p7"),
                   [("请访问", "Please visit"), ("卖家中心", "Seller Central"), ("。", ".")])
    out = write_docx(doc, tmp_path / "o.docx")
    runs = _runs(out, "body/p7")
    assert (" Seller Central", False, True) in runs
    assert doc.run.formatting_dropped == []
    d = docx.Document(str(out))
    links = [h for p in d.paragraphs for h in p.hyperlinks]
    assert [(h.text.strip(), h.address) for h in links] == [("Seller Central", "https://example.com")]


def _field_paragraph(tmp_path: Path, inner: str) -> Path:
    from docx_factory import add_xml_paragraph

    d = docx.Document()
    add_xml_paragraph(d, inner)
    path = tmp_path / "f.docx"
    d.save(str(path))
    return path


def _field(code: str, result: str) -> str:
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {code} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t>{result}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')


def test_page_number_fields_survive(tmp_path: Path) -> None:
    from docx_factory import run_xml

    src = _field_paragraph(tmp_path, run_xml("第 ") + _field("PAGE", "1") + run_xml(" 页 共 ")
                           + _field("NUMPAGES", "5") + run_xml(" 页"))
    doc = read_docx(src)
    assert doc.blocks[0].text == "第 1 页 共 5 页"
    _with_segments(doc.blocks[0], [("第 1 页 共 5 页", "Page 1 of 5")])
    out = write_docx(doc, tmp_path / "o.docx")
    assert read_docx(out).blocks[0].text == "Page 1 of 5"
    xml = members(out)["word/document.xml"].decode()
    assert xml.count('w:fldCharType="begin"') == 2 and " PAGE " in xml and " NUMPAGES " in xml
    runs = [t for t, *_ in _runs(out, "body/p0")]
    assert runs == ["Page ", "1", " of ", "5"]  # the numbers are still the fields' results
    assert doc.run.fields_unplaced == [] and doc.run.formatting_dropped == []


def test_field_first_in_paragraph_gets_new_run_before_it(tmp_path: Path) -> None:
    src = _field_paragraph(tmp_path, _field("PAGE", "3") + '<w:r><w:t>页</w:t></w:r>')
    doc = read_docx(src)
    _with_segments(doc.blocks[0], [("3页", "Page 3")])
    out = write_docx(doc, tmp_path / "o.docx")
    assert read_docx(out).blocks[0].text == "Page 3"
    xml = members(out)["word/document.xml"].decode()
    assert xml.index("Page ") < xml.index('w:fldCharType="begin"')


def test_field_number_missing_from_english_is_reported(tmp_path: Path) -> None:
    from docx_factory import run_xml

    src = _field_paragraph(tmp_path, run_xml("第 ") + _field("PAGE", "1") + run_xml(" 页"))
    doc = read_docx(src)
    _with_segments(doc.blocks[0], [("第 1 页", "Page one")])
    out = write_docx(doc, tmp_path / "o.docx")
    assert read_docx(out).blocks[0].text == "Page one"
    assert doc.run.fields_unplaced == ["body/p0"]


def test_tabs_and_breaks_written_as_word_elements(tmp_path: Path) -> None:
    src = build_simple(tmp_path / "t.docx", ["中文"])
    doc = read_docx(src)
    _with_segments(doc.blocks[0], [("中文", "a\tb\nc")])
    out = write_docx(doc, tmp_path / "o.docx")
    xml = members(out)["word/document.xml"].decode()
    assert "<w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t>" in xml
    assert read_docx(out).blocks[0].text == "a\tb\nc"


def test_dotx_template_written_as_docx(tmp_path: Path) -> None:
    from docx_factory import rewrite_part

    src = build_simple(tmp_path / "a.docx", ["模板文字"])
    tpl = rewrite_part(src, tmp_path / "t.dotx", "[Content_Types].xml",
                       lambda b: b.replace(b"wordprocessingml.document.main", b"wordprocessingml.template.main"))
    doc = fake_translate(read_docx(tpl))
    assert doc.run.format == "dotx"
    out = write_docx(doc, tmp_path / "t.en.docx")
    assert docx.Document(str(out)).paragraphs[0].text.startswith("EN[")


# ----------------------------------------------------------------------------- other Word files
_TRANSITIONAL_URI = re.compile(
    r"http://schemas\.openxmlformats\.org/(wordprocessingml|officeDocument|drawingml|"
    r"schemaLibrary)/2006/([A-Za-z-]+)")


def to_strict(src: Path, dst: Path) -> Path:
    """An ISO/IEC 29500 Strict copy of a transitional package, made the way Word writes
    Strict: every namespace and relationship type under http://purl.oclc.org/ooxml/, a
    w:conformance attribute, and measures with units ("36pt", "0.5in") instead of twips.
    (Made here from a python-docx file; the corpus test reads real Strict files.)"""
    def strict_uri(m: re.Match[str]) -> str:
        name = {"extended-properties": "extendedProperties",
                "custom-properties": "customProperties"}.get(m.group(2), m.group(2))
        return f"http://purl.oclc.org/ooxml/{m.group(1)}/{name}"

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith((".xml", ".rels")):
                text = _TRANSITIONAL_URI.sub(strict_uri, data.decode("utf-8"))
                if info.filename == "word/document.xml":
                    text = re.sub(r"(<w:document\b)", r'\1 w:conformance="strict"', text, count=1)
                    text = text.replace(
                        "<w:p><w:r>", '<w:p><w:pPr><w:ind w:start="36pt" w:hanging="0.5in"/>'
                        '<w:jc w:val="end"/></w:pPr><w:r>', 1)
                data = text.encode("utf-8")
            zout.writestr(info.filename, data)
    return dst


def test_iso_strict_read_and_written_as_transitional(all_stories: Path, tmp_path: Path) -> None:
    strict = to_strict(all_stories, tmp_path / "strict.docx")
    assert b"purl.oclc.org/ooxml/wordprocessingml/main" in members(strict)["word/document.xml"]
    before = sha(strict)
    plain = read_docx(all_stories)
    doc = read_docx(strict)
    assert [(b.id, b.text, b.style) for b in doc.blocks] == \
        [(b.id, b.text, b.style) for b in plain.blocks]  # every story, same ids
    assert doc.run.format == "strict"
    assert [n.code for n in doc.notes] == ["input-strict"] and "Strict" in doc.notes[0].message
    assert account(strict)["ok"]
    out = write_docx(fake_translate(doc), tmp_path / "strict.en.docx")
    assert sha(strict) == before
    parts = members(out)
    assert not any(b"purl.oclc.org" in data for data in parts.values())
    assert b'Target="word/document.xml"' in parts["_rels/.rels"]
    assert (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
            in parts["_rels/.rels"])
    body = parts["word/document.xml"].decode("utf-8")
    assert "conformance" not in body
    assert '<w:ind w:left="720" w:hanging="720"/>' in body and '<w:jc w:val="right"/>' in body
    again = {b.id: b.text for b in read_docx(out).blocks}
    assert again == {b.id: b.target_text() for b in doc.blocks}
    assert read_docx(out).run.format == "docx"
    assert docx.Document(str(out)).paragraphs[0].text.startswith("EN[")  # python-docx opens it


def test_strict_mapping_leaves_the_text_alone(tmp_path: Path) -> None:
    text = "规范见 http://purl.oclc.org/ooxml/wordprocessingml/main 第 3 节"
    strict = to_strict(build_simple(tmp_path / "a.docx", [text]), tmp_path / "s.docx")
    doc = read_docx(strict)
    assert doc.run.format == "strict" and [b.text for b in doc.blocks] == [text]
    out = write_docx(fake_translate(doc), tmp_path / "s.en.docx")
    assert [b.text for b in read_docx(out).blocks] == [doc.blocks[0].target_text()]


VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def to_docm(src: Path, dst: Path, template: bool = False) -> Path:
    """A macro-enabled copy of ``src`` laid out as Word saves one: a VBA project part
    (with its own relationships and vbaData.xml), its content types and relationship."""
    main = ("application/vnd.ms-word.template.macroEnabledTemplate.main+xml" if template
            else "application/vnd.ms-word.document.macroEnabled.main+xml")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.wordprocessingml."
                    b"document.main+xml", main.encode()).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    b'<Override PartName="/word/vbaData.xml" '
                    b'ContentType="application/vnd.ms-word.vbaData+xml"/></Types>')
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", (
                    f'<Relationship Id="rIdVba" Type="{VBA_REL}" Target="vbaProject.bin"/>'
                    "</Relationships>").encode())
            zout.writestr(info.filename, data)
        zout.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub AutoOpen() Shell ... End Sub")
        zout.writestr("word/_rels/vbaProject.bin.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            'Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/wordVbaData"'
            ' Target="vbaData.xml"/></Relationships>'))
        zout.writestr("word/vbaData.xml", '<?xml version="1.0"?><wne:vbaSuppData xmlns:wne='
                      '"http://schemas.microsoft.com/office/word/2006/wordml"/>')
    return dst


@pytest.mark.parametrize("template", [False, True])
def test_macro_enabled_read_and_written_without_macros(all_stories: Path, tmp_path: Path,
                                                       template: bool) -> None:
    name = "draft.dotm" if template else "draft.docm"
    docm = to_docm(all_stories, tmp_path / name, template)
    before = sha(docm)
    doc = read_docx(docm)
    assert [b.text for b in doc.blocks] == [b.text for b in read_docx(all_stories).blocks]
    assert doc.run.format == ("dotm" if template else "docm")
    (note,) = doc.notes
    assert note.code == f"input-{doc.run.format}" and note.severity.value == "warning"
    assert "macros were not carried over" in note.message
    out = write_docx(fake_translate(doc), tmp_path / "draft.en.docx")
    assert sha(docm) == before
    parts = members(out)
    assert not {"word/vbaProject.bin", "word/vbaData.xml",
                "word/_rels/vbaProject.bin.rels"} & set(parts)
    assert b"vbaProject" not in parts["word/_rels/document.xml.rels"]
    types = parts["[Content_Types].xml"].decode()
    assert "macroEnabled" not in types and "vba" not in types
    assert ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            in types)  # a template too: the output is a document
    assert docx.Document(str(out)).paragraphs[0].text.startswith("EN[")


# ----------------------------------------------------------------------------- nothing lost
def test_existing_output_needs_force(all_stories: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.docx"
    out.write_bytes(b"keep me")
    doc = fake_translate(read_docx(all_stories))
    with pytest.raises(OutputError, match="already exists"):
        write_docx(doc, out)
    assert out.read_bytes() == b"keep me"
    write_docx(doc, out, force=True)
    assert zipfile.is_zipfile(out)


def test_never_overwrites_input(all_stories: Path) -> None:
    before = sha(all_stories)
    doc = fake_translate(read_docx(all_stories))
    with pytest.raises(OutputError, match="input"):
        write_docx(doc, all_stories, force=True)
    assert sha(all_stories) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unwritable_folder_is_output_error(all_stories: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            write_docx(fake_translate(read_docx(all_stories)), locked / "o.docx")
    finally:
        locked.chmod(0o700)
    assert list(locked.iterdir()) == []  # no temporary file left behind


def test_output_folder_under_a_file_is_output_error(all_stories: Path, tmp_path: Path) -> None:
    # Works as root too: a folder cannot be created below a regular file.
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_docx(fake_translate(read_docx(all_stories)), blocker / "sub" / "o.docx")


def test_input_changed_since_read(tmp_path: Path) -> None:
    src = build_simple(tmp_path / "a.docx", ["原文"])
    doc = fake_translate(read_docx(src))
    build_simple(src, ["改过的原文"])
    with pytest.raises(InputError, match="changed since it was read"):
        write_docx(doc, tmp_path / "o.docx")
    assert not (tmp_path / "o.docx").exists()


@pytest.mark.skipif(shutil.which("libreoffice") is None and shutil.which("soffice") is None,
                    reason="LibreOffice is not installed")
def test_libreoffice_opens_output(all_stories: Path, tmp_path: Path) -> None:
    out = write_docx(fake_translate(read_docx(all_stories)), tmp_path / "draft.en.docx")
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    profile = tmp_path / "lo-profile"
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "draft.en.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        for marker in ("EN[header:", "EN[body/p6/tx0/p0]", "EN[footnote:1/p0]", "EN[body/p1]"):
            assert marker in text, marker


# ----------------------------------------------------------------------------- properties
_text = st.text(min_size=0, max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=st.lists(st.tuples(st.text(min_size=1, max_size=12), st.booleans()), min_size=1,
                     max_size=5),
       targets=st.lists(st.one_of(st.none(), _text), min_size=1, max_size=4),
       cut=st.data())
def test_place_text_any_unicode(runs: list[tuple[str, bool]], targets: list[str | None],
                                cut: st.DataObject) -> None:
    """Whatever the runs and segments, the paragraph ends up holding exactly the English."""
    p = etree.Element(f"{{{W}}}p")
    for text, bold in runs:
        r = etree.SubElement(p, f"{{{W}}}r")
        if bold:
            etree.SubElement(etree.SubElement(r, f"{{{W}}}rPr"), f"{{{W}}}b")
        t = etree.SubElement(r, W_T)
        t.text = xml_safe(text).replace("\r", "")  # an XML parser never yields a raw CR
    pieces = paragraph_pieces(p)
    source = pieces.text
    # Split the source into len(targets) consecutive segments (the segmenter's job).
    bounds = sorted(cut.draw(st.lists(st.integers(0, len(source)), min_size=len(targets) - 1,
                                      max_size=len(targets) - 1)))
    edges = [0, *bounds, len(source)]
    block = Block(id="b", story="body", text=source)
    block.segments = [Segment(id=f"b#{i}", block_id="b", index=i, source=source[a:b], target=t)
                      for i, (a, b, t) in enumerate(zip(edges[:-1], edges[1:], targets, strict=True))]
    assert "".join(plan(pieces.visible, block, source).texts) == block.target_text()
    place_text(p, pieces, block, source)
    got = paragraph_pieces(p).text
    want = block.target_text().replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    assert got == xml_safe(want)


@given(st.text())
def test_xml_safe_always_serialisable(text: str) -> None:
    t = etree.Element(W_T)
    t.text = xml_safe(text)
    assert (etree.fromstring(etree.tostring(t)).text or "") == xml_safe(text)


_docx_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sources=st.lists(_docx_text, min_size=1, max_size=4), english=st.lists(st.text(), min_size=4,
                                                                              max_size=4))
def test_docx_round_trip_any_unicode(tmp_path_factory: pytest.TempPathFactory,
                                     sources: list[str], english: list[str]) -> None:
    """Arbitrary Unicode in and out of a real DOCX: no crash, the English reads back."""
    folder = tmp_path_factory.mktemp("rt")
    src = build_simple(folder / "in.docx", sources)
    doc = read_docx(src)
    assert [b.text for b in doc.blocks] == [s for s in sources if s.strip()]
    for b, en in zip(doc.blocks, english, strict=False):
        b.segments = [Segment(id=f"{b.id}#0", block_id=b.id, index=0, source=b.text, target=en)]
    out = write_docx(doc, folder / "out.docx", force=True)
    back = {b.id: b.text for b in read_docx(out).blocks}
    for b in doc.blocks:
        want = xml_safe(b.target_text().replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n"))
        assert back.get(b.id, "") == (want if want.strip() else ""), b.id
    assert account(out)["ok"]


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.one_of(st.tuples(st.just("text"), st.text(min_size=1, max_size=8)),
                                st.tuples(st.just("field"), st.from_regex(r"[0-9]{1,3}", fullmatch=True))),
                      min_size=1, max_size=6),
       english=st.text(max_size=30))
def test_fields_any_english(parts: list[tuple[str, str]], english: str) -> None:
    """Page-number fields among text: whatever the English, the paragraph holds exactly it."""
    xml = "".join(
        f'<w:r><w:t xml:space="preserve">{escape(xml_safe(v).replace(chr(13), ""))}</w:t></w:r>'
        if kind == "text" else _field("PAGE", v) for kind, v in parts)
    p = etree.fromstring(f'<w:p xmlns:w="{W}">{xml}</w:p>')
    pieces = paragraph_pieces(p)
    block = Block(id="b", story="body", text=pieces.text)
    block.segments = [Segment(id="b#0", block_id="b", index=0, source=pieces.text, target=english)]
    place_text(p, pieces, block, pieces.text)
    want = english.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    assert paragraph_pieces(p).text == xml_safe(want)
