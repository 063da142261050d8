"""Refuse inputs that are not safe or not Word documents, with one clear line each.

Everything here works on the raw bytes and the zip directory (no python-docx), so a
hostile or broken file is turned away before any real parsing: encrypted OLE2 files,
corrupt or truncated zips, zip bombs, other Office formats, and XML with DTDs (entity
expansion / XXE) in *any* part of the package.

:func:`inspect_input` also says what kind of Word file it is; the kinds other than a
plain DOCX are made into one by :mod:`pipeline.docx.convert` (ISO Strict and macro-enabled
packages in memory, legacy .doc / .wps / .rtf with LibreOffice). :func:`check_input`
accepts plain DOCX/DOTX only (for files we write ourselves, such as review documents).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from ..errors import InputError
from .ooxml import (
    CT_NS,
    PKG_REL_NS,
    STRICT_REL_PREFIX,
    STRICT_W_NS,
    W_NS,
    safe_parse,
)

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024  # the largest real appeal is a few MB
MAX_RATIO = 100  # compression ratio allowed for members over RATIO_MIN_SIZE
RATIO_MIN_SIZE = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_PART_SIZE = 100 * 1024 * 1024  # one XML part, checked again while decompressing

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOTX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
DOTM_MAIN = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
MACRO_MAIN = {DOCM_MAIN: "docm", DOTM_MAIN: "dotm"}

# What inspect_input finds (the kinds pipeline.docx.convert turns into a plain DOCX).
KIND_DOCX = "docx"  # transitional .docx / .dotx: read as it is
KIND_STRICT = "strict"  # ISO/IEC 29500 Strict package
KIND_MACRO = "macro"  # .docm / .dotm
KIND_WORD_BINARY = "word-binary"  # OLE2 with a WordDocument stream: .doc, .dot, WPS Office .wps
KIND_RTF = "rtf"

# check_input's messages for the kinds it does not accept itself.
NOT_PLAIN = {
    KIND_STRICT: "refused: ISO/IEC 29500 Strict Open XML document; "
                 "in Word use Save As > Word Document (.docx)",
    KIND_MACRO: "refused: macro-enabled Word document (.docm/.dotm); "
                "save it as .docx (Word Document) first",
    KIND_WORD_BINARY: "refused: legacy binary Word (.doc/.wps, OLE2) file; open it in Word or "
                      "LibreOffice and save as .docx",
    KIND_RTF: "refused: an RTF file, not a .docx; save it as .docx",
}
OTHER_OFFICE = {
    "spreadsheetml": "an Excel workbook (.xlsx), not a Word document",
    "presentationml": "a PowerPoint presentation (.pptx), not a Word document",
    "ms-excel": "an Excel workbook (.xlsm/.xlsb), not a Word document",
    "ms-powerpoint": "a PowerPoint presentation (.pptm), not a Word document",
}

# The prolog of an XML document: declaration, comments, processing instructions, space.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
XML_SUFFIXES = (".xml", ".rels", ".vml")


def _decode_head(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"<\x00")):
        return data.decode("utf-16-le", "replace")
    if data.startswith((b"\xfe\xff", b"\x00<")):
        return data.decode("utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def declares_dtd(data: bytes) -> bool:
    """True when the XML ``data`` has a document type declaration (before its root element).

    A DTD can only stand in the prolog, so this reads the prolog and no further. Data
    that is not XML at all is not a DTD (such a part is simply copied, like a picture).
    """
    text = _decode_head(data).lstrip("\ufeff")
    pos = 0
    while True:
        m = _PROLOG_ITEM.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
    return text.startswith("<!DOCTYPE", pos) or text.startswith("<!doctype", pos)


def check_no_dtd(zf: zipfile.ZipFile, source: Path | str = "",
                 content_types: dict[str, str] | None = None) -> None:
    """Refuse the package when any XML part (customXml, settings, rels...) has a DTD.

    Parts are XML by their name (.xml, .rels, .vml) or their content type (``...xml``).
    """
    where = f"{source}: " if source else ""
    xml_parts = {k for k, v in (content_types or {}).items() if v.endswith("xml")}
    for info in zf.infolist():
        name = info.filename
        if name.endswith("/") or not (name.lower().endswith(XML_SUFFIXES)
                                      or name.lower() in xml_parts):
            continue
        if declares_dtd(read_member(zf, name, source)):
            raise InputError(f"{where}refused: {name} declares an XML DTD/entities "
                             "(not allowed in DOCX; possible XXE attack)")


def read_member(zf: zipfile.ZipFile, name: str, source: Path | str = "") -> bytes:
    """Decompress one member, never more than MAX_PART_SIZE (the header can lie)."""
    where = f"{source}: " if source else ""
    try:
        with zf.open(name) as fh:
            data = fh.read(MAX_PART_SIZE + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{where}corrupt DOCX: cannot read {name} ({exc})") from None
    except Exception as exc:  # zlib.error and friends: still a corrupt package
        raise InputError(f"{where}corrupt DOCX: cannot read {name} ({type(exc).__name__})") from None
    if len(data) > MAX_PART_SIZE:
        raise InputError(f"{where}refused: {name} is larger than {MAX_PART_SIZE // 2**20} MB "
                         "uncompressed (possible zip bomb)")
    return data


def _ole2_message(path: Path) -> str:
    # The directory of an OLE2 file names its streams in UTF-16LE; an encrypted OOXML
    # file is an OLE2 container with an "EncryptedPackage" stream.
    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:
        return ("refused: encrypted (password-protected) document; open it in Word, "
                "remove the password and save as .docx")
    return "refused: legacy binary Office (OLE2) file, not a Word document; save it as .docx"


def _is_word_binary(path: Path) -> bool:
    # Word 97-2003 (.doc/.dot) and WPS Office (.wps) files have a "WordDocument" stream.
    return "WordDocument".encode("utf-16-le") in path.read_bytes()


def _sniff_other(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "a PDF, not a .docx"
    if head.startswith(b"<?xml") or head.startswith(b"<"):
        return "an XML/HTML text file, not a .docx package"
    return "not a .docx (not a zip package)"


def resolve_target(base_part: str, target: str) -> str:
    """Zip member name of a relationship target relative to ``base_part``."""
    target = target.strip()
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    folder = posixpath.dirname(base_part)
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


def find_member(names: set[str], wanted: str) -> str | None:
    """The zip member for a part name, tolerating percent-encoding either way."""
    if wanted in names:
        return wanted
    unq = unquote(wanted)
    if unq in names:
        return unq
    lowered = {n.lower(): n for n in names}  # part names are case-insensitive (OPC)
    return lowered.get(wanted.lower()) or lowered.get(unq.lower())


def content_types(zf: zipfile.ZipFile, source: Path | str = "") -> tuple[dict[str, str],
                                                                        dict[str, str]]:
    """(overrides: lower-case part name -> type, defaults: extension -> type)."""
    where = f"{source}: " if source else ""
    ct_name = find_member(set(zf.namelist()), "[Content_Types].xml")
    if ct_name is None:
        raise InputError(f"{where}not a .docx: the zip has no [Content_Types].xml "
                         "(not an Office Open XML package)")
    ct_root = safe_parse(read_member(zf, ct_name, source), ct_name, source)
    overrides = {
        o.get("PartName", "").lstrip("/").lower(): o.get("ContentType", "")
        for o in ct_root.iter(f"{{{CT_NS}}}Override")
    }
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "")
                for d in ct_root.iter(f"{{{CT_NS}}}Default")}
    return overrides, defaults


def main_part_info(zf: zipfile.ZipFile, source: Path | str = "") -> tuple[str, str]:
    """(zip name of the main document part, its content type); refuses what is not Word."""
    main, ctype, _strict = _main_part(zf, source)
    return main, ctype


def _main_part(zf: zipfile.ZipFile, source: Path | str = "") -> tuple[str, str, bool]:
    """(main part, its content type, whether the package relationships are ISO Strict)."""
    where = f"{source}: " if source else ""
    names = set(zf.namelist())
    if "mimetype" in names and "[Content_Types].xml" not in names:
        head = read_member(zf, "mimetype", source)[:100].decode("ascii", "replace")
        kind = "an OpenDocument file (.odt)" if "opendocument.text" in head else \
            f"an OpenDocument file ({head.strip()})"
        raise InputError(f"{where}refused: {kind}, not a .docx; save it as .docx")
    overrides, defaults = content_types(zf, source)

    main = None
    strict = False
    rels_name = find_member(names, "_rels/.rels")
    if rels_name is not None:
        rels = safe_parse(read_member(zf, rels_name, source), rels_name, source)
        for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
            rtype = rel.get("Type", "")
            if rtype.endswith("/officeDocument") and rel.get("TargetMode") != "External":
                main = find_member(names, resolve_target("", rel.get("Target", "")))
                if main is not None:
                    strict = rtype.startswith(STRICT_REL_PREFIX)
                    break
    if main is None:
        main = find_member(names, "word/document.xml")
    if main is None:
        for key, what in OTHER_OFFICE.items():
            if any(key in ct for ct in overrides.values()):
                raise InputError(f"{where}refused: this is {what}")
        raise InputError(f"{where}not a Word document: no word/document.xml in the package")
    ctype = overrides.get(main.lower()) or defaults.get(main.rsplit(".", 1)[-1].lower(), "")
    for key, what in OTHER_OFFICE.items():
        if key in ctype:
            raise InputError(f"{where}refused: this is {what}")
    return main, ctype, strict


def check_zip_limits(zf: zipfile.ZipFile, source: Path | str = "") -> None:
    where = f"{source}: " if source else ""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{where}refused: {len(infos)} parts in the package (limit {MAX_MEMBERS})")
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise InputError(f"{where}corrupt DOCX: duplicate part {info.filename!r} in the zip")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise InputError(f"{where}refused: zip-encrypted part {info.filename!r}")
        total += info.file_size
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(f"{where}refused: {info.filename} expands {info.file_size // max(info.compress_size, 1)}:1 "
                             "(possible zip bomb)")
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise InputError(f"{where}refused: {total // 2**20} MB uncompressed "
                         f"(limit {MAX_TOTAL_UNCOMPRESSED // 2**20} MB; possible zip bomb)")


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open the package as a zip; corrupt/truncated zips are an InputError."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{path}: corrupt or truncated DOCX (bad zip: {exc})") from None


def check_package(zf: zipfile.ZipFile, source: Path | str) -> str:
    """All checks of an opened OOXML package; returns KIND_DOCX, KIND_STRICT or KIND_MACRO."""
    check_zip_limits(zf, source)
    main, ctype, strict_rels = _main_part(zf, source)  # every part it reads: safe_parse
    overrides, _defaults = content_types(zf, source)
    check_no_dtd(zf, source, overrides)  # then every other XML part
    root = safe_parse(read_member(zf, main, source), main, source)
    ns = STRICT_W_NS if root.tag.startswith(f"{{{STRICT_W_NS}}}") else W_NS
    if root.tag != f"{{{ns}}}document":
        raise InputError(f"{source}: not a Word document: main part {main} is "
                         f"<{etree.QName(root).localname}>, not <w:document>")
    if root.find(f"{{{ns}}}body") is None:
        raise InputError(f"{source}: corrupt DOCX: {main} has no <w:body>")
    if ns == STRICT_W_NS or strict_rels:
        return KIND_STRICT
    if ctype in MACRO_MAIN:
        return KIND_MACRO
    return KIND_DOCX


def inspect_input(path: Path) -> str:
    """What kind of Word file ``path`` is (KIND_*); InputError (one line) for anything else.

    Refused here for good: missing/empty/unreadable files, encrypted documents, OLE2
    files that are not Word, PDFs and other non-Word files, corrupt or truncated zips,
    zip bombs, other Office formats, and DTDs in any XML part.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file (not found)")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a .docx file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise InputError(f"{path}: empty file (0 bytes), not a .docx")
    # Check the magic at offset 0: a .doc may carry an embedded zip that fools is_zipfile.
    if head == OLE2_MAGIC:
        message = _ole2_message(path)
        if "encrypted" not in message and _is_word_binary(path):
            return KIND_WORD_BINARY
        raise InputError(f"{path}: {message}")
    if head.startswith(b"{\\rtf"):
        return KIND_RTF
    if not head.startswith(ZIP_MAGICS):
        raise InputError(f"{path}: {_sniff_other(head)}")
    with open_zip(path) as zf:
        return check_package(zf, path)


def check_input(path: Path) -> None:
    """Raise InputError (one line) unless ``path`` is a readable, safe plain DOCX/DOTX.

    For files that must be a DOCX as they are (review documents). Inputs to translate
    go through :func:`pipeline.docx.convert.load_source`, which also takes Strict,
    macro-enabled, legacy and RTF files.
    """
    kind = inspect_input(path)
    if kind != KIND_DOCX:
        raise InputError(f"{path}: {NOT_PLAIN[kind]}")
