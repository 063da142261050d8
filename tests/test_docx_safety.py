"""Refusals: every bad input is an InputError (exit 2) with one clear line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx_factory import build_simple, rewrite_part
from lxml import etree

from pipeline.docx.reader import read_docx
from pipeline.docx.safety import OLE2_MAGIC, check_input, safe_parse
from pipeline.errors import InputError


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    return build_simple(tmp_path / "good.docx", ["申诉"])


def refused(path: Path, pattern: str) -> str:
    with pytest.raises(InputError, match=pattern) as info:
        read_docx(path)
    msg = str(info.value)
    assert "\n" not in msg and info.value.exit_code == 2
    return msg


def test_good_file_passes(good: Path) -> None:
    check_input(good)
    assert read_docx(good).blocks[0].text == "申诉"


def test_missing_and_directory(tmp_path: Path) -> None:
    refused(tmp_path / "nope.docx", "no such file")
    refused(tmp_path, "is a directory")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.docx").write_bytes(b"")
    refused(tmp_path / "e.docx", "empty file")


def test_legacy_doc_with_embedded_zip(tmp_path: Path, good: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # An OLE2 .doc that carries a zip inside: zipfile.is_zipfile() says yes, but it is a
    # .doc (read by its first bytes), and it is not a plain DOCX for check_input.
    fake = tmp_path / "old.doc"
    fake.write_bytes(OLE2_MAGIC + b"\0" * 504 + "WordDocument".encode("utf-16-le")
                     + b"\0" * 100 + good.read_bytes())
    assert zipfile.is_zipfile(fake)
    with pytest.raises(InputError, match="legacy binary Word"):
        check_input(fake)
    # Without LibreOffice on the PATH (a machine without it), the refusal names it.
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    msg = refused(fake, "legacy binary Word .*install LibreOffice \\(soffice\\)")
    assert "save as .docx" in msg


def test_ole2_that_is_not_word(tmp_path: Path) -> None:
    other = tmp_path / "book.doc"
    other.write_bytes(OLE2_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 64)
    refused(other, "not a Word document")


def test_encrypted_docx(tmp_path: Path) -> None:
    enc = tmp_path / "secret.docx"
    enc.write_bytes(OLE2_MAGIC + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64)
    refused(enc, "encrypted")


def test_not_a_zip(tmp_path: Path) -> None:
    for name, data, pattern in [("b.docx", b"%PDF-1.4\n", "PDF"),
                                ("c.docx", b"hello world, plain text", "not a zip")]:
        (tmp_path / name).write_bytes(data)
        refused(tmp_path / name, pattern)


def test_truncated_zip(tmp_path: Path, good: Path) -> None:
    cut = tmp_path / "cut.docx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    refused(cut, "corrupt or truncated")


def test_corrupt_member_data(tmp_path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("word/document.xml")
    # Scribble over the compressed bytes of document.xml (past its local header).
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start:start + 40] = b"\xff" * 40
    bad = tmp_path / "bad.docx"
    bad.write_bytes(bytes(data))
    refused(bad, "corrupt")


def test_zip_bomb_ratio(tmp_path: Path, good: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr("word/media/zeros.bin", b"\0" * (5 * 1024 * 1024))
    refused(bomb, "zip bomb")


def _package(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in files.items():
            zf.writestr(member, text)
    return path


def test_xlsx_and_pptx(tmp_path: Path) -> None:
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="{}"/></Relationships>')
    ct = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Override PartName="/{}" ContentType="{}"/></Types>')
    xlsx = _package(tmp_path, "book.docx", {
        "[Content_Types].xml": ct.format("xl/workbook.xml", "application/vnd.openxmlformats-"
                                         "officedocument.spreadsheetml.sheet.main+xml"),
        "_rels/.rels": rels.format("xl/workbook.xml"), "xl/workbook.xml": "<workbook/>"})
    refused(xlsx, "Excel")
    pptx = _package(tmp_path, "deck.docx", {
        "[Content_Types].xml": ct.format("ppt/presentation.xml", "application/vnd.openxmlformats-"
                                         "officedocument.presentationml.presentation.main+xml"),
        "_rels/.rels": rels.format("ppt/presentation.xml"), "ppt/presentation.xml": "<p/>"})
    refused(pptx, "PowerPoint")


def test_odt_and_plain_zip(tmp_path: Path) -> None:
    odt = _package(tmp_path, "a.docx", {"mimetype": "application/vnd.oasis.opendocument.text"})
    refused(odt, "OpenDocument")
    plain = _package(tmp_path, "b.docx", {"readme.txt": "hi"})
    refused(plain, "Content_Types")


def test_docm_read_dotx_accepted(tmp_path: Path, good: Path) -> None:
    docm = rewrite_part(good, tmp_path / "m.docm", "[Content_Types].xml", lambda b: b.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml"))
    doc = read_docx(docm)  # read (without its macros: see test_reader_writer)
    assert doc.blocks[0].text == "申诉" and doc.run.format == "docm"
    with pytest.raises(InputError, match="macro-enabled"):
        check_input(docm)  # not a plain DOCX (review documents must be one)
    dotx = rewrite_part(good, tmp_path / "t.dotx", "[Content_Types].xml", lambda b: b.replace(
        b"wordprocessingml.document.main", b"wordprocessingml.template.main"))
    assert read_docx(dotx).blocks[0].text == "申诉"


def test_iso_strict_read_not_plain(tmp_path: Path, good: Path) -> None:
    strict = rewrite_part(good, tmp_path / "s.docx", "word/document.xml", lambda b: b.replace(
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        b"http://purl.oclc.org/ooxml/wordprocessingml/main"))
    assert read_docx(strict).blocks[0].text == "申诉"
    with pytest.raises(InputError, match="Strict"):
        check_input(strict)


def test_dtd_and_external_entity_refused(tmp_path: Path, good: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")

    def add_xxe(xml: bytes) -> bytes:
        decl, rest = xml.split(b"?>", 1)
        dtd = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
        return decl + b"?>" + dtd + rest.replace("申诉".encode(), b"&xxe;", 1)

    xxe = rewrite_part(good, tmp_path / "xxe.docx", "word/document.xml", add_xxe)
    msg = refused(xxe, "DTD")
    assert "TOP-SECRET" not in msg


def _with_custom_xml(good: Path, dst: Path, item: bytes) -> Path:
    """``good`` with another customXml item (python-docx's template has one, as Word's do)."""
    with zipfile.ZipFile(good) as zf:
        assert "customXml/item1.xml" in zf.namelist()
    return rewrite_part(good, dst, "customXml/item1.xml", lambda _b: item)


def test_dtd_in_custom_xml_refused(tmp_path: Path, good: Path) -> None:
    # Issue #12 item 10: a DTD in customXml/item1.xml was accepted and copied to the output.
    dtd = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- data -->\n'
           b'<!DOCTYPE r [<!ENTITY big "xxxxxxxx">]><r>&big;</r>')
    msg = refused(_with_custom_xml(good, tmp_path / "c.docx", dtd), "customXml/item1.xml.*DTD")
    assert "xxxxxxxx" not in msg
    with pytest.raises(InputError, match="customXml/item1.xml"):
        check_input(tmp_path / "c.docx")
    # The same in UTF-16 (the encoding does not hide it).
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r SYSTEM "x.dtd"><r/>'
    refused(_with_custom_xml(good, tmp_path / "u.docx", utf16.encode("utf-16")),
            "customXml/item1.xml.*DTD")
    # A customXml item without a DTD is fine.
    fine = _with_custom_xml(good, tmp_path / "ok.docx", b'<?xml version="1.0"?><r>1</r>')
    assert read_docx(fine).blocks[0].text == "申诉"


def test_dtd_in_relationships_refused(tmp_path: Path, good: Path) -> None:
    rels = rewrite_part(good, tmp_path / "r.docx", "word/_rels/document.xml.rels",
                        lambda b: b.replace(b"?>", b'?><!DOCTYPE Relationships [<!ENTITY a "b">]>',
                                            1))
    refused(rels, "document.xml.rels declares an XML DTD")


def test_safe_parser_never_expands_entities(tmp_path: Path) -> None:
    secret = tmp_path / "s.txt"
    secret.write_text("TOP-SECRET")
    xml = f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}"><!ENTITY i "INTERNAL">]><x>&e;&i;</x>'
    with pytest.raises(InputError, match="DTD"):
        safe_parse(xml.encode(), "x.xml")
    # python-docx's own parser does not resolve entities either (checked, not assumed).
    from docx.oxml.parser import oxml_parser

    root = etree.parse(io.BytesIO(xml.encode()), oxml_parser).getroot()
    assert "TOP-SECRET" not in etree.tostring(root, method="text").decode()


def test_duplicate_member_names(tmp_path: Path, good: Path) -> None:
    dup = tmp_path / "dup.docx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dup, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        with pytest.warns(UserWarning):
            zout.writestr("word/document.xml", zin.read("word/document.xml"))
    refused(dup, "duplicate part")
