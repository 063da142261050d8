"""TBX (TermBase eXchange) import and export of glossaries, for CAT tools.

Export writes TBX-Basic in the TBX v2 layout (root ``<martif>``, ``termEntry`` /
``langSet`` / ``tig``): the form memoQ, Trados MultiTerm (via MultiTerm Convert) and
OmegaT read without mapping. Import reads that and TBX v3 (root ``<tbx>``,
``conceptEntry`` / ``langSec`` / ``termSec``, DCA or DCT style).

Per entry: the Chinese ``langSet`` holds every variant; the English one holds the
canonical term (``preferredTerm-admn-sts``), the acronym (``termType`` acronym), each
allowed rendering (``admittedTerm-admn-sts``) and each wrong rendering
(``deprecatedTerm-admn-sts``; one that is only flagged carries a
``<note>check only</note>``). The entry note is a ``<note>``; priority low is the note
``priority: low`` and a plural form the note ``plural: ...``; the source is
``<admin type="source">``. The header points to ``TBXBasic-zh-en.xcs`` (shipped in
``pipeline/data``, written beside the export), a TBX-Basic XCS whose languages allow zh.

Import maps statuses in their v2, display-name and v3 forms (preferred -> canonical,
admitted -> allowed, deprecated/superseded/notRecommended/obsolete -> wrong), prefers
Simplified Chinese and en-US (``pipeline.langcode``), reads DCA and DCT notes alike, and
reports what it skipped or set aside (``TbxImport``).

The XML parser never resolves entities nor touches the network (XXE-safe).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..docx.ooxml import XML_LANG, safe_parser
from ..errors import GlossaryError
from ..fileio import atomic_write
from ..langcode import Lang, parse_lang
from .terms import Term

PREFERRED = "preferredTerm-admn-sts"
ADMITTED = "admittedTerm-admn-sts"
DEPRECATED = "deprecatedTerm-admn-sts"
CHECK_ONLY = "check only"
PRIORITY_LOW = "priority: low"
PLURAL_NOTE = "plural: "
_ACRONYM_TYPES = {"acronym", "abbreviation", "initialism", "shortform", "short form",
                  "abbreviatedform"}
# administrativeStatus / normativeAuthorization values, TBX-Basic v2 ("...Term-admn-sts"),
# their display names ("Deprecated", "Not recommended") and TBX v3 values ("obsolete"),
# all reduced by ``_status_kind`` to one word.
_WRONG_STATUS = {"deprecated", "superseded", "notrecommended", "obsolete", "forbidden",
                 "prohibited", "rejected", "notallowed"}
_PREFERRED_STATUS = {"preferred", "standardized", "legal", "regulated", "approved"}
_ADMITTED_STATUS = {"admitted", "allowed", "permitted", "accepted"}
XCS_NAME = "TBXBasic-zh-en.xcs"  # our dialect definition: TBX-Basic with zh and en


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
    # TBXBasicXCSV02.xcs lists en/fr/de only: point to a TBX-Basic XCS that allows zh.
    etree.SubElement(encoding, "p", type="XCSURI").text = XCS_NAME
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
        for a in t.allowed:
            _tig(en, a, ADMITTED)
        for w in t.wrong_renderings:
            _tig(en, w, DEPRECATED)
        for f in t.flag_renderings:
            _tig(en, f, DEPRECATED, note=CHECK_ONLY)
        for a in t.allowed:
            _tig(en, a, ADMITTED)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_tbx(terms: Sequence[Term], path: Path, *, title: str = "", zh_lang: str = "zh-CN",
               en_lang: str = "en-US", force: bool = True) -> Path:
    """Write ``terms`` (e.g. ``glossary.terms``, titled ``glossary.name``) as a TBX-Basic
    file (atomically). This module works on plain Term records only (no Glossary import)."""
    data = tbx_bytes(list(terms), title, zh_lang, en_lang)
    written = atomic_write(Path(path), lambda p: p.write_bytes(data), force=force)
    xcs = written.with_name(XCS_NAME)  # the XCSURI is relative: put the XCS beside it
    if not xcs.exists():
        source = Path(__file__).resolve().parent.parent / "data" / XCS_NAME
        atomic_write(xcs, lambda p: p.write_bytes(source.read_bytes()), force=True)
    return written


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


def _lang(el: etree._Element) -> Lang | None:
    return parse_lang(el.get(XML_LANG) or el.get("lang"))


def _status_kind(status: str) -> str:
    """"preferredTerm-admn-sts" / "Preferred" / "preferred" -> "preferred"; "Not
    recommended" / "notRecommended" -> "notrecommended"; "obsolete" -> "obsolete"."""
    return re.sub(r"[\s_-]+", "", status.lower()).removesuffix("admnsts").removesuffix("term")


def _term_group(group: etree._Element) -> tuple[str, str, str, bool]:
    """(term text, status kind, term type, check-only) of a tig/ntig/termSec."""
    terms = _descendants(group, "term")
    text = _text(terms[0]) if terms else ""
    status = term_type = ""
    for note in _descendants(group, "termNote"):
        kind = (note.get("type") or "").strip()
        if kind in ("administrativeStatus", "normativeAuthorization"):
            status = _text(note)
        elif kind == "termType":
            term_type = _text(note)
    # TBX v3 DCT style names the data category by element instead of a type attribute.
    for el in _descendants(group, "administrativeStatus", "normativeAuthorization"):
        status = _text(el)
    for el in _descendants(group, "termType"):
        term_type = _text(el)
    check_only = any(_text(n).lower().startswith(CHECK_ONLY)
                     for n in _descendants(group, "note"))
    return text, _status_kind(status), term_type.lower(), check_only


# Entry- and language-level notes: DCA style (<descrip type="definition">, <note>) and
# DCT style (<definition>, <subjectField>...): the same termbase gives the same notes.
_NOTE_ELEMENTS = ("note", "descrip", "descripGrp", "definition", "subjectField", "context",
                  "explanation")


def _entry_notes(entry: etree._Element) -> list[str]:
    """Entry- and language-level notes/definitions (not those inside a term group)."""
    notes: list[str] = []
    holders = [entry] + _children(entry, "langSet", "langSec")
    for holder in holders:
        for el in _children(holder, *_NOTE_ELEMENTS):
            if _local(el) == "descripGrp":
                el = next(iter(_children(el, "descrip", "definition", "subjectField")), None)
                if el is None:
                    continue
            text = _text(el)
            if text and text not in notes:
                notes.append(text)
    return notes


@dataclass
class TbxImport:
    """What a TBX import found: entries read, terms made, entries skipped (and why),
    statuses read, Traditional Chinese and other-locale English terms set aside."""

    entries: int = 0
    terms: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # status kind -> terms
    traditional: int = 0  # zh-TW/zh-HK/zh-Hant terms not used as Chinese keys
    converted: int = 0  # entries with only Traditional terms: converted to Simplified
    en_variants: int = 0  # preferred terms of other English locales, kept as allowed
    languages: dict[str, int] = field(default_factory=dict)  # every xml:lang seen

    def lines(self) -> list[str]:
        out = [f"skipped {n} entries: {why}" for why, n in sorted(self.skipped.items())]
        if self.statuses:
            out.append("statuses: " + ", ".join(
                f"{n} {k}" for k, n in sorted(self.statuses.items())))
        if self.traditional:
            out.append(f"{self.traditional} Traditional Chinese terms (zh-TW/zh-HK/zh-Hant) "
                       "not used as Chinese keys: drafts in Traditional Chinese are converted "
                       "to Simplified before matching")
        if self.converted:
            out.append(f"{self.converted} entries had only Traditional Chinese terms: "
                       "converted to Simplified")
        if self.en_variants:
            out.append(f"{self.en_variants} preferred terms of other English locales "
                       "(en-GB...) kept as allowed renderings, not canonical")
        return out


def _bump(table: dict[str, int], key: str) -> None:
    table[key] = table.get(key, 0) + 1


def _parse_entry(entry: etree._Element, origin: str, report: TbxImport) -> Term | None:
    zh: list[str] = []
    trad: list[str] = []
    # English term groups with the rank of their locale (en-US 0, en 1, en-GB... 2).
    english: list[tuple[int, str, str, str, bool]] = []
    for lang_set in _children(entry, "langSet", "langSec"):
        lang = _lang(lang_set)
        if lang is not None:
            _bump(report.languages, lang.code)
        groups = _children(lang_set, "tig", "ntig", "termSec")
        if lang is not None and lang.is_zh:
            bucket = trad if lang.traditional else zh
            for g in groups:
                text = _term_group(g)[0]
                if text and text not in bucket:
                    bucket.append(text)
        elif lang is not None and lang.is_en:
            rank = lang.target_rank if lang.target_rank is not None else 2
            for g in groups:
                text, status, term_type, check_only = _term_group(g)
                if text:
                    english.append((rank, text, status, term_type, check_only))
    if not zh and trad:
        from ..chinese_script import to_simplified

        zh = list(dict.fromkeys(to_simplified(t) for t in trad))
        report.converted += 1
    else:
        report.traditional += len(trad)  # set aside next to the Simplified terms
    canonical = acronym = fallback = ""
    wrong: list[str] = []
    flags: list[str] = []
    allowed: list[str] = []
    best_rank = min((e[0] for e in english), default=0)
    for rank, text, status, term_type, check_only in english:
        text = text.replace("|", "/").replace("\uff5c", "/")  # the TSV's list separator
        if status in _WRONG_STATUS:
            (flags if check_only else wrong).append(text)
            use = "wrong rendering"
        elif term_type.replace(" ", "").replace("-", "") in _ACRONYM_TYPES:
            acronym = acronym or text
            use = "acronym"
        elif status in _PREFERRED_STATUS and rank == best_rank and not canonical:
            canonical = text
            use = "canonical"
        elif status in _PREFERRED_STATUS and rank != best_rank:
            allowed.append(text)  # "colour" (en-GB) next to "color" (en-US)
            report.en_variants += 1
            use = "allowed (other English locale)"
        elif status in _ADMITTED_STATUS:
            allowed.append(text)
            use = "allowed"
        elif not fallback and rank == best_rank and not status:
            fallback = text  # a term without status, if nothing is preferred
            use = "canonical if nothing is preferred"
        else:
            allowed.append(text)
            use = "allowed"
        if status:
            _bump(report.statuses, f"{status} -> {use}")
    canonical = canonical or fallback
    if not canonical:  # only admitted terms, or only other locales: the best one
        canonical = next((a for a in allowed), "")
    if not zh or not canonical:
        _bump(report.skipped, "no Chinese term" if not zh else "no English term")
        return None
    allowed = [a for a in dict.fromkeys(allowed) if a != canonical and a not in wrong]
    notes = _entry_notes(entry)
    priority = "low" if PRIORITY_LOW in (n.lower() for n in notes) else "normal"
    plural = next((n[len(PLURAL_NOTE):].strip() for n in notes
                   if n.lower().startswith(PLURAL_NOTE)), "")
    note = "; ".join(n for n in notes
                     if n.lower() != PRIORITY_LOW and not n.lower().startswith(PLURAL_NOTE))
    ref = next((_text(a) for a in _children(entry, "admin")
                if (a.get("type") or "").strip().lower() == "source"), "")
    return Term(tuple(zh), canonical, acronym, tuple(dict.fromkeys(wrong)), note, priority,
                tuple(dict.fromkeys(flags)), tuple(allowed), source=origin,
                line=entry.sourceline or 0, ref=ref, plural=plural)


def _parser() -> etree.XMLParser:
    # No entity expansion (XXE, billion laughs), no DTD loading, no network.
    return safe_parser(remove_comments=True, remove_pis=True)


def import_tbx(path: Path) -> list[Term]:
    """Terms of a TBX file (``<martif>`` v2 or ``<tbx>`` v3). Entries without a Chinese
    term or an English term are skipped (``import_tbx_report`` says how many)."""
    return import_tbx_report(path)[0]


def import_tbx_report(path: Path) -> tuple[list[Term], TbxImport]:
    """Terms of a TBX file and what the import found (see ``TbxImport``)."""
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
    report = TbxImport()
    terms: list[Term] = []
    for entry in root.iter():
        if _local(entry) in ("termEntry", "conceptEntry"):
            report.entries += 1
            term = _parse_entry(entry, origin, report)
            if term is not None:
                terms.append(term)
    report.terms = len(terms)
    return terms, report


def no_terms_message(src: Path, report: TbxImport) -> str:
    langs = ", ".join(sorted(report.languages)) or "none"
    return (f"{src}: no entry with both a Chinese (zh, zh-CN, zho...) and an English (en, "
            f"en-US, eng...) term ({report.entries} entries read; languages: {langs})")
