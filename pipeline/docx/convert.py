"""Turn the Word files users have into the plain transitional DOCX the reader and writer use.

:func:`load_source` looks at a file (:func:`pipeline.docx.safety.inspect_input` refuses
what is unsafe or not Word) and gives back a :class:`Source`:

* a plain ``.docx`` / ``.dotx``: read as it is (``data`` is None);
* ISO/IEC 29500 **Strict**: the package rewritten in memory with the transitional
  namespaces and relationship types (see :func:`strict_to_transitional`);
* macro-enabled ``.docm`` / ``.dotm``: the package without its macros (VBA project,
  VBA data, key-map customizations, attached toolbars), main content type ``.docx``
  (see :func:`strip_macros`);
* legacy ``.doc`` / ``.dot``, WPS Office ``.wps`` (a Word 97 binary file) and ``.rtf``:
  converted to DOCX by LibreOffice (``soffice``) in a temporary folder with a private
  profile, headless, with a timeout (see :func:`convert_with_soffice`); without
  LibreOffice they are refused with one line that names it.

The converted package is checked like any input (zip limits, DTDs, main part) and kept
in a small in-process cache, so the writer re-opening the same unchanged file does not
convert it again. The input file is never modified: LibreOffice works on a copy.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..errors import InputError
from .ooxml import PKG_REL_NS, W_NS, W, safe_parse, safe_parser
from .safety import (
    DOCX_MAIN,
    DOTX_MAIN,
    KIND_DOCX,
    KIND_MACRO,
    KIND_RTF,
    KIND_STRICT,
    KIND_WORD_BINARY,
    MACRO_MAIN,
    XML_SUFFIXES,
    check_package,
    content_types,
    find_member,
    inspect_input,
    main_part_info,
    read_member,
    resolve_target,
)

SOFFICE_TIMEOUT_S = 180  # a cold LibreOffice start on a busy machine takes a while
CACHE_SIZE = 8


@dataclass(frozen=True)
class Source:
    """What a Word file was and the plain DOCX package to read in its place."""

    kind: str  # docx_safety.KIND_*: docx, strict, macro, word-binary, rtf
    format: str  # docx, dotx, docm, dotm, strict, doc, wps, rtf (what the user has)
    data: bytes | None  # the transitional DOCX package; None: the file itself is one
    note: str = ""  # one line for the user about what was done (empty for a plain DOCX)


# ----------------------------------------------------------------------------- Strict
STRICT_PREFIX = "http://purl.oclc.org/ooxml/"
TRANSITIONAL_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Strict URIs whose transitional name is not simply ".../<area>/2006/<name>".
STRICT_SPECIAL = {
    "http://purl.oclc.org/ooxml/officeDocument/extendedProperties":
        "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "http://purl.oclc.org/ooxml/officeDocument/customProperties":
        "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "http://purl.oclc.org/ooxml/officeDocument/relationships": TRANSITIONAL_REL,
}
REL_TYPE_SPECIAL = {"extendedProperties": "extended-properties",
                    "customProperties": "custom-properties"}
_STRICT_URI = re.compile(r"http://purl\.oclc\.org/ooxml/[A-Za-z0-9_./-]+")
_TAG = re.compile(r"<[^<>]+>")


def transitional_uri(uri: str) -> str:
    """The transitional namespace or relationship type for a Strict one.

    ``http://purl.oclc.org/ooxml/wordprocessingml/main`` ->
    ``http://schemas.openxmlformats.org/wordprocessingml/2006/main``; relationship types
    ``http://purl.oclc.org/ooxml/officeDocument/relationships/styles`` ->
    ``http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles``.
    """
    if uri in STRICT_SPECIAL:
        return STRICT_SPECIAL[uri]
    rel_prefix = STRICT_PREFIX + "officeDocument/relationships/"
    if uri.startswith(rel_prefix):
        tail = uri[len(rel_prefix):]
        return f"{TRANSITIONAL_REL}/{REL_TYPE_SPECIAL.get(tail, tail)}"
    area, _, name = uri[len(STRICT_PREFIX):].partition("/")
    if not name:
        return uri
    return f"http://schemas.openxmlformats.org/{area}/2006/{name}"


_W = W
_MEASURE = re.compile(r"^(-?\d+(?:\.\d+)?)(mm|cm|in|pt|pc|pi)$")
_PERCENT = re.compile(r"^(-?\d+(?:\.\d+)?)%$")
_POINTS = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pc": 12.0, "pi": 12.0}
HALF_POINT_ELEMENTS = {"sz", "szCs", "kern", "position"}  # ST_HpsMeasure; the rest: twips
SIDE_PARENTS = {"tblBorders", "tcBorders", "tblCellMar", "tcMar", "pBdr", "tblPrExChange"}
SIDES = {"start": "left", "end": "right", "startChars": "leftChars", "endChars": "rightChars"}
# Strict has no w:txbxContent in DrawingML shapes; Word writes this one there instead.
WNE_TXBX = "{http://schemas.microsoft.com/office/word/2006/wordml}txbxContent"


def _transitional_values(root: etree._Element) -> None:
    """WordprocessingML values Strict writes differently, in the form Word writes them in
    a transitional .docx: universal measures ("12pt") as twips or half-points, percentages
    as numbers, start/end sides as left/right, no w:conformance."""
    root.attrib.pop(f"{_W}conformance", None)
    for el in list(root.iter(WNE_TXBX)):
        el.tag = f"{_W}txbxContent"
    for el in root.iter(f"{_W}*"):
        local = el.tag[len(_W):]
        for key, value in list(el.attrib.items()):
            if not key.startswith(_W):
                continue
            m = _MEASURE.match(value)
            if m:
                points = float(m.group(1)) * _POINTS[m.group(2)]
                factor = 2 if local in HALF_POINT_ELEMENTS else 20
                el.set(key, str(round(points * factor)))
                continue
            m = _PERCENT.match(value)
            if m:  # widths in fiftieths of a percent; other percentages as plain numbers
                factor = 50 if key == f"{_W}w" else 1
                el.set(key, str(round(float(m.group(1)) * factor)))
        if local in ("jc", "jcH") and el.get(f"{_W}val") in ("start", "end"):
            el.set(f"{_W}val", "left" if el.get(f"{_W}val") == "start" else "right")
        if local == "ind" and any(f"{_W}{old}" in el.attrib for old in SIDES):
            items = list(el.attrib.items())  # renamed in place, order kept
            el.attrib.clear()
            for key, value in items:
                side = SIDES.get(key[len(_W):]) if key.startswith(_W) else None
                el.set(f"{_W}{side}" if side else key, value)
        parent = el.getparent()
        if (local in ("start", "end") and parent is not None
                and etree.QName(parent).localname in SIDE_PARENTS):
            el.tag = f"{_W}{SIDES[local]}"


def _xml_text(data: bytes, name: str, where: Path | str) -> str:
    root = safe_parse(data, name, where)
    return etree.tostring(root.getroottree(), encoding="unicode")


def strict_to_transitional(zf: zipfile.ZipFile, where: Path | str = "") -> bytes:
    """The package of a Strict document rewritten as a transitional one (a new zip)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zf.infolist():
            data = read_member(zf, info.filename, where)
            if info.filename.lower().endswith(XML_SUFFIXES) or \
                    info.filename == "[Content_Types].xml":
                text = _xml_text(data, info.filename, where)
                if STRICT_PREFIX in text:
                    # Inside tags only (namespace declarations, relationship types,
                    # graphicData uri=...): the document's own text is never changed.
                    text = _TAG.sub(lambda t: _STRICT_URI.sub(
                        lambda m: transitional_uri(m.group(0)), t.group(0)), text)
                root = etree.fromstring(text.encode("utf-8"), safe_parser())
                if W_NS in text:
                    _transitional_values(root)
                data = etree.tostring(root.getroottree(), xml_declaration=True,
                                      encoding="UTF-8", standalone=True)
            _copy_entry(zout, info, data)
    return out.getvalue()


def _copy_entry(zout: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    zi.compress_type = zipfile.ZIP_STORED if info.compress_type == zipfile.ZIP_STORED \
        else zipfile.ZIP_DEFLATED
    zi.external_attr = info.external_attr
    zout.writestr(zi, data)


# ----------------------------------------------------------------------------- macros
# Parts of a macro-enabled file that hold or bind macros ([MS-OFFMACRO2]); none of them
# may stay in a .docx.
MACRO_PART_TYPES = {
    "application/vnd.ms-office.vbaProject",
    "application/vnd.ms-word.vbaData+xml",
    "application/vnd.ms-word.keyMapCustomizations+xml",
    "application/vnd.ms-word.attachedToolbars",
}
MACRO_REL_SUFFIXES = ("/vbaProject", "/vbaData", "/keyMapCustomizations", "/attachedToolbars",
                      "/wordVbaData")


def strip_macros(zf: zipfile.ZipFile, where: Path | str = "") -> tuple[bytes, list[str]]:
    """The package without its macro parts, as a .docx; returns (zip bytes, removed parts)."""
    names = set(zf.namelist())
    overrides, defaults = content_types(zf, where)
    main, _ctype = main_part_info(zf, where)

    def part_type(name: str) -> str:
        return overrides.get(name.lower()) or defaults.get(name.rsplit(".", 1)[-1].lower(), "")

    removed = {n for n in names if part_type(n) in MACRO_PART_TYPES}
    rels_parts = [n for n in names if n.lower().endswith(".rels")]
    for rels_name in rels_parts:  # parts bound by a macro relationship go too
        base = _rels_source(rels_name)
        for rel in safe_parse(read_member(zf, rels_name, where), rels_name, where).iter(
                f"{{{PKG_REL_NS}}}Relationship"):
            if rel.get("Type", "").endswith(MACRO_REL_SUFFIXES) and \
                    rel.get("TargetMode") != "External":
                target = find_member(names, resolve_target(base, rel.get("Target", "")))
                if target is not None:
                    removed.add(target)
    removed |= {r for r in rels_parts if find_member(removed, _rels_source(r)) is not None}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zf.infolist():
            name = info.filename
            if name in removed:
                continue
            data = read_member(zf, name, where)
            if name.lower() == "[content_types].xml":
                data = _docx_content_types(data, removed, name, where)
            elif name in rels_parts:
                data = _drop_rels(data, _rels_source(name), names, removed, name, where)
            _copy_entry(zout, info, data)
    return out.getvalue(), sorted(removed)


def _rels_source(rels_name: str) -> str:
    """The part a .rels part belongs to ("word/_rels/document.xml.rels" -> "word/document.xml")."""
    folder, _, base = rels_name.rpartition("/")
    parent = folder.rpartition("/")[0] if folder.endswith("_rels") else folder
    src = base[:-len(".rels")]
    return f"{parent}/{src}" if parent else src


def _docx_content_types(data: bytes, removed: set[str], name: str, where: Path | str) -> bytes:
    root = safe_parse(data, name, where)
    gone = {r.lower() for r in removed}
    for el in list(root):
        tag = etree.QName(el).localname
        ctype = el.get("ContentType", "")
        if tag == "Override" and el.get("PartName", "").lstrip("/").lower() in gone:
            root.remove(el)
        elif tag == "Default" and ctype in MACRO_PART_TYPES:
            root.remove(el)
        elif ctype in MACRO_MAIN:
            el.set("ContentType", DOTX_MAIN if MACRO_MAIN[ctype] == "dotm" else DOCX_MAIN)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          standalone=True)


def _drop_rels(data: bytes, base: str, names: set[str], removed: set[str], name: str,
               where: Path | str) -> bytes:
    root = safe_parse(data, name, where)
    changed = False
    for rel in list(root):
        target = None
        if rel.get("TargetMode") != "External":
            target = find_member(names, resolve_target(base, rel.get("Target", "")))
        if rel.get("Type", "").endswith(MACRO_REL_SUFFIXES) or (target in removed):
            root.remove(rel)
            changed = True
    if not changed:
        return data
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          standalone=True)


# ----------------------------------------------------------------------------- LibreOffice
def find_soffice() -> str | None:
    """The LibreOffice program (``soffice``), or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates: list[Path] = []
    if sys.platform == "win32":
        for env in ("ProgramFiles", "ProgramFiles(x86)"):
            if os.environ.get(env):
                candidates.append(Path(os.environ[env]) / "LibreOffice" / "program" / "soffice.exe")
    elif sys.platform == "darwin":
        candidates.append(Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"))
    return next((str(c) for c in candidates if c.is_file()), None)


LEGACY_NAMES = {KIND_WORD_BINARY: "legacy binary Word (.doc/.wps)", KIND_RTF: "RTF"}


def _kill(proc: subprocess.Popen[bytes]) -> None:
    # soffice starts soffice.bin: end the whole tree it started, not just the launcher.
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True,
                           timeout=30, creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
            proc.kill()
    except (OSError, subprocess.SubprocessError):
        pass
    proc.wait()


def convert_with_soffice(path: Path, kind: str, timeout: float = SOFFICE_TIMEOUT_S) -> bytes:
    """The .docx LibreOffice makes of ``path`` (converted in a temporary folder)."""
    what = LEGACY_NAMES.get(kind, "this")
    soffice = find_soffice()
    if soffice is None:
        raise InputError(f"{path}: refused: {what} file; install LibreOffice (soffice) to "
                         "convert it automatically, or open it in Word and save as .docx")
    # LibreOffice reads by content; the name only has to point it at the right family
    # (a WPS Office .wps is a Word 97 file).
    suffix = ".rtf" if kind == KIND_RTF else ".doc"
    with tempfile.TemporaryDirectory(prefix="pipeline-convert-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        copy = folder / f"input{suffix}"  # an ASCII name; the user's file is never touched
        shutil.copyfile(path, copy)
        outdir = folder / "out"
        profile = (folder / "profile").as_uri()  # private: parallel runs never collide
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible",
               "--nologo", "--nodefault", "--norestore", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(copy)]
        kwargs: dict[str, object] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True
        else:
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=tmp, **kwargs)  # type: ignore[call-overload]
        except OSError as exc:
            raise InputError(f"{path}: cannot start LibreOffice ({soffice}) to convert this "
                             f"{what} file: {exc.strerror or exc}") from None
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise InputError(f"{path}: LibreOffice took over {timeout:g} s to convert this "
                             f"{what} file; open it and save as .docx") from None
        result = outdir / "input.docx"
        if not result.is_file() or result.stat().st_size == 0:
            said = " ".join(output.decode("utf-8", "replace").split())[:120]
            raise InputError(f"{path}: LibreOffice could not convert this {what} file "
                             f"(damaged or password-protected?){': ' + said if said else ''}")
        return result.read_bytes()


# ----------------------------------------------------------------------------- loading
_cache: OrderedDict[tuple[str, int, int], Source] = OrderedDict()
_lock = threading.Lock()
NOTES = {
    "strict": "ISO/IEC 29500 Strict document: read with its Strict namespaces mapped to the "
              "transitional ones; the English is a normal .docx",
    "docm": "macro-enabled document (.docm): the macros were not carried over; the English "
            "is a .docx without macros",
    "dotm": "macro-enabled template (.dotm): the macros were not carried over; the English "
            "is a .docx without macros",
    "doc": "legacy Word .doc file: converted to .docx by LibreOffice before reading; check "
           "the layout of the English",
    "wps": "WPS Office .wps file: converted to .docx by LibreOffice before reading; check "
           "the layout of the English",
    "rtf": "RTF file: converted to .docx by LibreOffice before reading; check the layout of "
           "the English",
}


def _cache_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _check_bytes(data: bytes, path: Path, what: str) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: {what} did not give a DOCX package ({exc})") from None
    with zf:
        return check_package(zf, path)


def _template_format(zf: zipfile.ZipFile, path: Path, plain: str, template: str) -> str:
    _main, ctype = main_part_info(zf, path)
    return template if "template" in ctype.lower() else plain


def load_source(path: Path) -> Source:
    """The plain DOCX to read for ``path``; InputError (one line) when it cannot be had."""
    path = Path(path)
    kind = inspect_input(path)
    if kind == KIND_DOCX:
        with zipfile.ZipFile(path) as zf:
            fmt = _template_format(zf, path, "docx", "dotx")
        return Source(kind, fmt, None)
    key = _cache_key(path)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    source = _convert(path, kind)
    with _lock:
        _cache[key] = source
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return source


def _convert(path: Path, kind: str) -> Source:
    if kind == KIND_STRICT:
        with zipfile.ZipFile(path) as zf:
            data = strict_to_transitional(zf, path)
            fmt = "strict"
        after = _check_bytes(data, path, "the Strict-to-transitional mapping")
        if after == KIND_MACRO:  # a Strict .docm: both steps
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                data, _removed = strip_macros(zf, path)
            after = _check_bytes(data, path, "removing the macros")
        if after != KIND_DOCX:
            raise InputError(f"{path}: refused: this Strict document could not be mapped to "
                             "a transitional one; in Word use Save As > Word Document (.docx)")
        return Source(kind, fmt, data, NOTES[fmt])
    if kind == KIND_MACRO:
        with zipfile.ZipFile(path) as zf:
            fmt = _template_format(zf, path, "docm", "dotm")
            data, _removed = strip_macros(zf, path)
        if _check_bytes(data, path, "removing the macros") != KIND_DOCX:
            raise InputError(f"{path}: refused: macros could not be removed; save it as .docx")
        return Source(kind, fmt, data, NOTES[fmt])
    if kind in (KIND_WORD_BINARY, KIND_RTF):
        fmt = "rtf" if kind == KIND_RTF else ("wps" if path.suffix.lower() in (".wps", ".wpt")
                                              else "doc")
        data = convert_with_soffice(path, kind)
        after = _check_bytes(data, path, "LibreOffice")
        if after == KIND_MACRO:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                data, _removed = strip_macros(zf, path)
            after = _check_bytes(data, path, "removing the macros")
        if after != KIND_DOCX:
            raise InputError(f"{path}: LibreOffice's conversion is not a plain .docx ({after})")
        return Source(kind, fmt, data, NOTES[fmt])
    raise InputError(f"{path}: not a Word document ({kind})")


__all__ = ["Source", "convert_with_soffice", "find_soffice", "load_source",
           "strict_to_transitional", "strip_macros", "transitional_uri"]
