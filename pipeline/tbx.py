"""TBX (TermBase eXchange) import and export of glossaries, for CAT tools.

Export writes TBX-Basic in the TBX v2 layout (root ``<martif>``, ``termEntry`` /
``langSet`` / ``tig``): the form memoQ, Trados MultiTerm (via MultiTerm Convert) and
OmegaT read without mapping. Import reads that and TBX v3 (root ``<tbx>``,
``conceptEntry`` / ``langSec`` / ``termSec``, DCA or DCT style).

Per entry: the Chinese ``langSet`` holds every variant; the English one holds the
canonical term (``preferredTerm-admn-sts``), the acronym (``termType`` acronym) and each
wrong rendering (``deprecatedTerm-admn-sts``; one that is only flagged carries a
``<note>check only</note>``) and each allowed alternative (``admittedTerm-admn-sts``).
The entry note is a ``<note>``; priority low is the note ``priority: low`` and a plural
form the note ``plural: ...``; the source is ``<admin type="source">``.

The XML parser never resolves entities nor touches the network (XXE-safe).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from lxml import etree

from .errors import GlossaryError
from .fileio import atomic_write
from .glossary import Glossary, Term, format_tsv, parse_glossary, sanitize_terms

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFERRED = "preferredTerm-admn-sts"
ADMITTED = "admittedTerm-admn-sts"
DEPRECATED = "deprecatedTerm-admn-sts"
CHECK_ONLY = "check only"
PRIORITY_LOW = "priority: low"
PLURAL_NOTE = "plural: "
_ACRONYM_TYPES = {"acronym", "abbreviation", "initialism", "shortform", "short form",
                  "abbreviatedform"}
_WRONG_STATUS = {"deprecatedterm-admn-sts", "supersededterm-admn-sts", "deprecated",
                 "superseded", "notrecommended"}


def _entry_id(term: Term) -> str:
    # Stable across exports so a CAT tool can update entries rather than duplicate them.
    return "t" + hashlib.sha1(term.zh_variants[0].encode("utf-8")).hexdigest()[:10]


def _tig(parent: etree._Element, text: str, status: str, term_type: str = "",
         note: str = "") -> None:
    tig = etree.SubElement(parent, "tig")
    etree.SubElement(tig, "term").text = text
    if term_type:
        etree.SubElement(tig, "termNote", type="termType").text = term_type
    etree.SubElement(tig, "termNote", type="administrativeStatus").text = status
    if note:
        etree.SubElement(tig, "note").text = note


def tbx_bytes(terms: Iterable[Term], title: str = "", zh_lang: str = "zh-CN",
              en_lang: str = "en-US") -> bytes:
    root = etree.Element("martif", type="TBX-Basic")
    root.set(XML_LANG, "en")
    header = etree.SubElement(root, "martifHeader")
    file_desc = etree.SubElement(header, "fileDesc")
    source_desc = etree.SubElement(file_desc, "sourceDesc")
    etree.SubElement(source_desc, "p").text = (
        f"Exported by appeal-pipeline from glossary {title}".strip())
    encoding = etree.SubElement(header, "encodingDesc")
    etree.SubElement(encoding, "p", type="XCSURI").text = "TBXBasicXCSV02.xcs"
    body = etree.SubElement(etree.SubElement(root, "text"), "body")
    for t in terms:
        entry = etree.SubElement(body, "termEntry", id=_entry_id(t))
        if t.note:
            etree.SubElement(entry, "note").text = t.note
        if t.priority == "low":
            etree.SubElement(entry, "note").text = PRIORITY_LOW
        if t.plural:
            etree.SubElement(entry, "note").text = PLURAL_NOTE + t.plural
        if t.ref:
            etree.SubElement(entry, "admin", type="source").text = t.ref
        zh = etree.SubElement(entry, "langSet")
        zh.set(XML_LANG, zh_lang)
        for i, v in enumerate(t.zh_variants):
            _tig(zh, v, PREFERRED if i == 0 else ADMITTED)
        en = etree.SubElement(entry, "langSet")
        en.set(XML_LANG, en_lang)
        _tig(en, t.canonical, PREFERRED, "fullForm" if t.acronym else "")
        if t.acronym:
            _tig(en, t.acronym, ADMITTED, "acronym")
        for w in t.wrong_renderings:
            _tig(en, w, DEPRECATED)
        for f in t.flag_renderings:
            _tig(en, f, DEPRECATED, note=CHECK_ONLY)
        for a in t.allowed:
            _tig(en, a, ADMITTED)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_tbx(glossary: Glossary | Sequence[Term], path: Path, *, zh_lang: str = "zh-CN",
               en_lang: str = "en-US", force: bool = True) -> Path:
    """Write the glossary's terms as a TBX-Basic file (atomically)."""
    terms = glossary.terms if isinstance(glossary, Glossary) else list(glossary)
    title = glossary.name if isinstance(glossary, Glossary) else ""
    data = tbx_bytes(terms, title, zh_lang, en_lang)
    return atomic_write(Path(path), lambda p: p.write_bytes(data), force=force)


# --------------------------------------------------------------------------- import

def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element) -> str:
    """Element text without entity references: an unresolved ``&xxe;`` adds nothing."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _children(el: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in el if _local(c) in names]


def _descendants(el: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in el.iter() if c is not el and _local(c) in names]


def _lang(el: etree._Element) -> str:
    value = el.get(XML_LANG) or el.get("lang") or ""
    return value.strip().lower()


def _term_group(group: etree._Element) -> tuple[str, str, str, bool]:
    """(term text, administrative status, term type, check-only) of a tig/ntig/termSec."""
    terms = _descendants(group, "term")
    text = _text(terms[0]) if terms else ""
    status = term_type = ""
    for note in _descendants(group, "termNote"):
        kind = (note.get("type") or "").strip()
        if kind == "administrativeStatus":
            status = _text(note)
        elif kind == "termType":
            term_type = _text(note)
    # TBX v3 DCT style names the data category by element instead of a type attribute.
    for el in _descendants(group, "administrativeStatus"):
        status = _text(el)
    for el in _descendants(group, "termType"):
        term_type = _text(el)
    check_only = any(_text(n).lower().startswith(CHECK_ONLY)
                     for n in _descendants(group, "note"))
    return text, status.lower(), term_type.lower(), check_only


def _entry_notes(entry: etree._Element) -> list[str]:
    """Entry- and language-level notes/definitions (not those inside a term group)."""
    notes: list[str] = []
    holders = [entry] + _children(entry, "langSet", "langSec")
    for holder in holders:
        for el in _children(holder, "note", "descrip", "descripGrp"):
            if _local(el) == "descripGrp":
                el = next(iter(_children(el, "descrip")), None)
                if el is None:
                    continue
            text = _text(el)
            if text and text not in notes:
                notes.append(text)
    return notes


def _parse_entry(entry: etree._Element, origin: str) -> Term | None:
    zh: list[str] = []
    canonical = acronym = ""
    admitted: list[str] = []  # the first is the term when nothing is preferred
    wrong: list[str] = []
    flags: list[str] = []
    for lang_set in _children(entry, "langSet", "langSec"):
        lang = _lang(lang_set)
        groups = _children(lang_set, "tig", "ntig", "termSec")
        if lang.startswith(("zh", "zho", "chi", "cmn")):
            for g in groups:
                text = _term_group(g)[0]
                if text and text not in zh:
                    zh.append(text)
        elif lang.startswith(("en", "eng")):
            for g in groups:
                text, status, term_type, check_only = _term_group(g)
                if not text:
                    continue
                if status in _WRONG_STATUS or status.startswith(("deprecated", "superseded")):
                    (flags if check_only else wrong).append(text)
                elif term_type.replace(" ", "").replace("-", "") in _ACRONYM_TYPES:
                    acronym = acronym or text
                elif status.startswith("preferred") and not canonical:
                    canonical = text
                elif text not in admitted:
                    admitted.append(text)  # correct alternatives (allowed)
    canonical = canonical or (admitted.pop(0) if admitted else "")
    if not zh or not canonical:
        return None
    notes = _entry_notes(entry)
    priority = "low" if PRIORITY_LOW in (n.lower() for n in notes) else "normal"
    plural = next((n[len(PLURAL_NOTE):].strip() for n in notes
                   if n.lower().startswith(PLURAL_NOTE)), "")
    note = "; ".join(n for n in notes
                     if n.lower() != PRIORITY_LOW and not n.lower().startswith(PLURAL_NOTE))
    ref = next((_text(a) for a in _children(entry, "admin")
                if (a.get("type") or "").strip().lower() == "source"), "")
    allowed = tuple(a for a in dict.fromkeys(admitted) if a != canonical)
    return Term(tuple(zh), canonical, acronym, tuple(dict.fromkeys(wrong)), note, priority,
                tuple(dict.fromkeys(flags)), allowed, source=origin,
                line=entry.sourceline or 0, ref=ref, plural=plural)


def _parser() -> etree.XMLParser:
    # No entity expansion (XXE, billion laughs), no DTD loading, no network.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def import_tbx(path: Path) -> list[Term]:
    """Terms of a TBX file (``<martif>`` v2 or ``<tbx>`` v3). Entries without a Chinese
    term or an English term are skipped."""
    path = Path(path)
    origin = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GlossaryError(f"TBX file not found: {path}") from None
    except OSError as exc:
        raise GlossaryError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        root = etree.parse(io.BytesIO(data), _parser()).getroot()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise GlossaryError(f"{origin}:{line}: not valid XML: {exc.msg}") from None
    if _local(root) not in ("martif", "tbx"):
        raise GlossaryError(f"{origin}:{root.sourceline or 1}: not a TBX file (root element "
                            f"<{_local(root)}>, expected <martif> or <tbx>)")
    terms: list[Term] = []
    for entry in root.iter():
        if _local(entry) in ("termEntry", "conceptEntry"):
            term = _parse_entry(entry, origin)
            if term is not None:
                terms.append(term)
    return terms


def import_tbx_to_tsv(src: Path, dst: Path, *, force: bool = True) -> tuple[Path, int, list[str]]:
    """Convert a TBX file to a glossary TSV at ``dst`` (atomic).

    Returns (path, number of terms, what was dropped to make the TSV valid).
    """
    terms, dropped = sanitize_terms(import_tbx(src))
    comments = [f"Imported from {Path(src).name}: {len(terms)} terms"]
    comments += [f"dropped: {d}" for d in dropped]
    text = format_tsv(terms, comments)
    parse_glossary(text, str(dst))  # never write a file the loader would refuse
    path = atomic_write(Path(dst), lambda p: p.write_text(text, encoding="utf-8"), force=force)
    return path, len(terms), dropped
