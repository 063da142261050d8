"""Refuse inputs that are not safe or not plain Word DOCX, with one clear line each.

Everything here works on the raw bytes and the zip directory (no python-docx), so a
hostile or broken file is turned away before any real parsing: legacy and encrypted
OLE2 files, corrupt or truncated zips, zip bombs, other Office formats, macro-enabled
and ISO Strict packages, and XML with DTDs (entity expansion / XXE).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from .errors import InputError

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024  # the largest real appeal is a few MB
MAX_RATIO = 100  # compression ratio allowed for members over RATIO_MIN_SIZE
RATIO_MIN_SIZE = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_PART_SIZE = 100 * 1024 * 1024  # one XML part, checked again while decompressing

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT_W_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
STRICT_REL_PREFIX = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOTX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
# Content types we refuse, with what to tell the user.
REFUSED_MAIN = {
    "application/vnd.ms-word.document.macroEnabled.main+xml":
        "macro-enabled Word document (.docm); save it as .docx (Word Document) first",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml":
        "macro-enabled Word template (.dotm); save it as .docx (Word Document) first",
}
OTHER_OFFICE = {
    "spreadsheetml": "an Excel workbook (.xlsx), not a Word document",
    "presentationml": "a PowerPoint presentation (.pptx), not a Word document",
    "ms-excel": "an Excel workbook (.xlsm/.xlsb), not a Word document",
    "ms-powerpoint": "a PowerPoint presentation (.pptm), not a Word document",
}

# resolve_entities=False and no_network=True: an entity is never expanded or fetched;
# huge_tree=False keeps lxml's own limits on depth and text size.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                              remove_blank_text=False, load_dtd=False, dtd_validation=False)


def safe_parse(data: bytes, part: str, source: Path | str = "") -> etree._Element:
    """Parse one XML part with the safe parser; a DTD or bad XML is an InputError."""
    where = f"{source}: " if source else ""
    try:
        root = etree.fromstring(data, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{where}corrupt DOCX: {part} is not well-formed XML ({exc.msg})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # Word itself refuses DTDs in OOXML; a DTD here is an entity-expansion/XXE attempt.
        raise InputError(f"{where}refused: {part} declares an XML DTD/entities "
                         "(not allowed in DOCX; possible XXE attack)")
    return root


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
    if "WordDocument".encode("utf-16-le") in data:
        return ("refused: legacy binary Word (.doc, OLE2) file; open it in Word or "
                "LibreOffice and save as .docx")
    return "refused: legacy binary Office (OLE2) file, not a .docx; save it as .docx"


def _sniff_other(head: bytes) -> str:
    if head.startswith(b"{\\rtf"):
        return "an RTF file, not a .docx; save it as .docx"
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


def main_part_info(zf: zipfile.ZipFile, source: Path | str = "") -> tuple[str, str]:
    """(zip name of the main document part, its content type); refuses what we can't do."""
    where = f"{source}: " if source else ""
    names = set(zf.namelist())
    if "mimetype" in names and "[Content_Types].xml" not in names:
        head = read_member(zf, "mimetype", source)[:100].decode("ascii", "replace")
        kind = "an OpenDocument file (.odt)" if "opendocument.text" in head else \
            f"an OpenDocument file ({head.strip()})"
        raise InputError(f"{where}refused: {kind}, not a .docx; save it as .docx")
    ct_name = find_member(names, "[Content_Types].xml")
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

    main = None
    rels_name = find_member(names, "_rels/.rels")
    if rels_name is not None:
        rels = safe_parse(read_member(zf, rels_name, source), rels_name, source)
        for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
            rtype = rel.get("Type", "")
            if rtype.startswith(STRICT_REL_PREFIX) and rtype.endswith("/officeDocument"):
                raise InputError(f"{where}refused: ISO/IEC 29500 Strict Open XML document; "
                                 "in Word use Save As > Word Document (.docx)")
            if rtype.endswith("/officeDocument") and rel.get("TargetMode") != "External":
                main = find_member(names, resolve_target("", rel.get("Target", "")))
                if main is not None:
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
    if ctype in REFUSED_MAIN:
        raise InputError(f"{where}refused: {REFUSED_MAIN[ctype]}")
    return main, ctype


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


def check_input(path: Path) -> None:
    """Raise InputError (one line) unless ``path`` is a readable, safe Word DOCX/DOTX."""
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
        raise InputError(f"{path}: {_ole2_message(path)}")
    if not head.startswith(ZIP_MAGICS):
        raise InputError(f"{path}: {_sniff_other(head)}")
    with open_zip(path) as zf:
        check_zip_limits(zf, path)
        main, _ctype = main_part_info(zf, path)
        root = safe_parse(read_member(zf, main, path), main, path)
        if root.tag.startswith(f"{{{STRICT_W_NS}}}"):
            raise InputError(f"{path}: refused: ISO/IEC 29500 Strict Open XML document; "
                             "in Word use Save As > Word Document (.docx)")
        if root.tag != f"{{{W_NS}}}document":
            raise InputError(f"{path}: not a Word document: main part {main} is "
                             f"<{etree.QName(root).localname}>, not <w:document>")
        if root.find(f"{{{W_NS}}}body") is None:
            raise InputError(f"{path}: corrupt DOCX: {main} has no <w:body>")
