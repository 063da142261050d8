"""TMX 1.4 import and export for the translation memory.

Export writes one ``<tu>`` per entry with ``x-origin``/``x-status``/``x-model``/
``x-glossary-version`` props (and the props and locale variants an import kept), so a
round trip through another CAT tool keeps what the memory needs.
Import reads any TMX 1.1-1.4 file. Languages go through ``pipeline.langcode``: the best
Simplified Chinese text (zh-CN/zh-Hans, then zh/zho/cmn...) is the source, the best
English (en-US, then en/eng, then en-GB...) the target; every other text is kept as a
locale variant, and a unit with only Traditional Chinese is converted. Other tools'
statuses (Trados x-ConfirmationLevel/x-Origin, memoQ, XLIFF states) are mapped to the
memory's reviewed/draft/rejected (``_STATUS_PROPS``). Inline codes (bpt/ept/ph/it/ut)
are dropped and the text around them kept (a line-break code becomes a space),
``<hi>`` text is kept. Parsing never resolves entities and never touches the network
(no XXE, no entity expansion bombs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .docx.ooxml import SAFE_OPTIONS, XML_LANG
from .errors import InputError
from .fileio import atomic_write
from .langcode import Lang, best, parse_lang
from .memory import ORIGINS, MemoryEntry, MemoryStore, memory_key, now_iso

TOOL = "appeal-pipeline"
_INLINE_CODES = {"bpt", "ept", "ph", "it", "ut"}  # native codes: their text is markup
_BATCH = 2000  # TUs per transaction on import: keeps the write lock short
# Characters XML 1.0 cannot carry even as references (C0 controls but tab/LF/CR).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("appeal-pipeline")
    except PackageNotFoundError:  # not installed (running from a checkout)
        return "0.1.0"


def tmx_date(iso: str | None) -> str:
    """ISO "2024-05-01T10:20:30Z" -> TMX "20240501T102030Z" (now when missing)."""
    iso = iso or now_iso()
    try:
        dt = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        dt = datetime.now(timezone.utc)
    return dt.strftime("%Y%m%dT%H%M%SZ")


def iso_date(tmx: str | None) -> str | None:
    """TMX "20240501T102030Z" -> ISO; None when missing or malformed."""
    if not tmx:
        return None
    try:
        return datetime.strptime(tmx.strip(), "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _extra(text: str) -> dict[str, list[tuple[str, str]]]:
    """An entry's kept props and locale variants (see ``MemoryEntry.extra``)."""
    out: dict[str, list[tuple[str, str]]] = {"props": [], "variants": []}
    if not text:
        return out
    try:
        data = json.loads(text)
    except ValueError:
        return out
    for name in out:
        out[name] = [(str(a), str(b)) for a, b in data.get(name, []) if isinstance(a, str)]
    return out


def export_tmx(memory: MemoryStore, path: Path, srclang: str = "zh-CN",
               tgtlang: str = "en-US", *, force: bool = True) -> int:
    """Write every entry to a TMX 1.4 file (atomically); returns the number of TUs."""
    from lxml import etree

    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        with etree.xmlfile(str(tmp), encoding="utf-8") as xf:
            xf.write_declaration()
            with xf.element("tmx", version="1.4"):
                xf.write("\n  ")
                xf.write(etree.Element(
                    "header", creationtool=TOOL, creationtoolversion=_version(),
                    segtype="sentence", **{"o-tmf": "appeal-pipeline-sqlite"},
                    adminlang="en-US", srclang=srclang, datatype="plaintext",
                    creationdate=tmx_date(None)))
                xf.write("\n  ")
                with xf.element("body"):
                    for e in memory.entries():
                        xf.write("\n    ")
                        tu = etree.Element("tu", creationdate=tmx_date(e.created),
                                           changedate=tmx_date(e.updated),
                                           usagecount=str(e.uses))
                        if e.author:  # provenance: who (TMX's own attribute)
                            tu.set("changeid", _clean(e.author))
                        extra = _extra(e.extra)
                        for ptype, value in (("x-origin", e.origin), ("x-status", e.status),
                                             ("x-model", e.model),
                                             ("x-glossary-version", e.glossary_version),
                                             ("x-source-file", e.source_file),
                                             *extra["props"]):
                            if value and ptype:
                                etree.SubElement(tu, "prop", type=ptype).text = _clean(value)
                        for lang, text in ((srclang, e.source), (tgtlang, e.target),
                                           *extra["variants"]):
                            tuv = etree.SubElement(tu, "tuv", {XML_LANG: lang})
                            etree.SubElement(tuv, "seg").text = _clean(text)
                        xf.write(tu)
                        count += 1
                    xf.write("\n  ")
                xf.write("\n")

    atomic_write(Path(path), write, force=force)
    return count


@dataclass
class TmxImport:
    """What an import did: TUs read, stored (new + updated + unchanged), kept (the entry
    already stored won), skipped (no usable zh or en text) with reasons; which tool
    statuses were mapped to which memory status; duplicates; locale variants kept."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # "reviewed", "draft", "rejected"
    mapped: dict[str, int] = field(default_factory=dict)  # "x-ConfirmationLevel=Draft -> draft"
    duplicates: int = 0  # units whose source an earlier unit of the file already had
    conflicts: int = 0  # ... with a different English: the later unit wins
    variants: dict[str, int] = field(default_factory=dict)  # locale -> texts kept aside
    converted: int = 0  # Traditional-only units whose source was converted to Simplified

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1

    def lines(self) -> list[str]:
        """Human-readable details (the CLI prints them under the summary)."""
        out = [f"skipped {n}: {reason}" for reason, n in sorted(self.reasons.items())]
        if self.statuses:
            out.append("statuses: " + ", ".join(f"{n} {k}" for k, n in sorted(
                self.statuses.items())) + " (rejected entries are never used)")
        out += [f"mapped {n}: {what}" for what, n in sorted(self.mapped.items())]
        if self.duplicates:
            out.append(f"duplicates: {self.duplicates} units repeat the Chinese of an earlier "
                       f"unit, {self.conflicts} of them with a different English: the later "
                       "unit wins (a reviewed entry is never replaced by a draft)")
        if self.converted:
            out.append(f"converted: {self.converted} units had only Traditional Chinese; "
                       "their source was converted to Simplified (the original is kept)")
        if self.variants:
            out.append("locale variants kept for export (not used for matching): " + ", ".join(
                f"{n} {lang}" for lang, n in sorted(self.variants.items())))
        return out


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# <ph>/<it>/<ut> codes that stand for a line break: replaced by a space, not dropped, so
# "First line<ph type='lb'/>second line" does not become "First linesecond line".
_BREAK_TYPES = {"lb", "x-lb", "br", "x-br", "linebreak", "x-linebreak", "newline",
                "x-newline"}
_BREAK_CODE = re.compile(r"^\s*(?:<br\s*/?>|\\n|\n|\r\n?|&#10;|\{\\n\})\s*$", re.IGNORECASE)


def _is_break(code: object) -> bool:
    kind = (code.get("type") or code.get("ctype") or "").strip().lower()  # type: ignore[attr-defined]
    if kind in _BREAK_TYPES:
        return True
    return bool(_BREAK_CODE.match("".join(code.itertext())))  # type: ignore[attr-defined]


def _seg_text(el: object) -> tuple[str, bool]:
    """Text of a <seg>, inline codes left out (a line-break code becomes a space);
    second value: were any left out."""
    parts = [el.text or ""]  # type: ignore[attr-defined]
    dropped = False
    for child in el:  # type: ignore[attr-defined]
        name = _local(child.tag)
        if name in _INLINE_CODES:
            dropped = True
            if name in ("ph", "it", "ut") and _is_break(child):
                parts.append(" ")
        elif name:  # <hi>, <sub> or an unknown element: keep its text
            text, d = _seg_text(child)
            parts.append(text)
            dropped = dropped or d
        else:  # an entity reference, left unresolved on purpose: drop it like a code
            dropped = True
        parts.append(child.tail or "")
    return "".join(parts), dropped


def _tidy(text: str) -> str:
    # Removing a code between two spaces leaves a double space; trim what was around it.
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# -- statuses of other tools ---------------------------------------------------------
# (prop type, value), lower case -> memory status. None: says nothing about review.
_STATUS_PROPS: dict[str, dict[str, str | None]] = {
    # This pipeline's own export.
    "x-status": {"reviewed": "reviewed", "draft": "draft", "rejected": "rejected"},
    # Trados Studio (SDL TMX export): the segment's confirmation level.
    "x-confirmationlevel": {
        "approvedsignoff": "reviewed", "approvedtranslation": "reviewed",
        "translated": "reviewed",  # confirmed by the translator
        "draft": "draft", "unspecified": None,
        "rejectedtranslation": "rejected", "rejectedsignoff": "rejected"},
    # XLIFF 1.2 / 2.x states, as Okapi, Phrase (Memsource), Weblate and others copy them.
    "x-state": {"final": "reviewed", "signed-off": "reviewed", "reviewed": "reviewed",
                "translated": "reviewed", "new": "draft", "initial": "draft",
                "needs-translation": "draft", "needs-review-translation": "draft",
                "needs-adaptation": "draft", "needs-l10n": "draft",
                "needs-review-adaptation": "draft", "needs-review-l10n": "draft"},
    # memoQ: units made by LiveDocs alignment and not corrected are unverified.
    "aligned": {"yes": "draft", "true": "draft", "no": None, "false": None},
}
_STATUS_PROPS["status"] = _STATUS_PROPS["x-status"] | _STATUS_PROPS["x-state"] | {
    "approved": "reviewed", "confirmed": "reviewed", "rejected": "rejected",
    "unconfirmed": "draft", "fuzzy": "draft"}
_STATUS_PROPS["x-phrase-status"] = _STATUS_PROPS["status"]
# Trados x-Origin values (and other tools' origin props) that mean machine output.
_MT_ORIGINS = {"machinetranslation", "neuralmachinetranslation",
               "adaptivemachinetranslation", "mt", "nmt", "machine"}
_ORIGIN_PROPS = ("x-origin",)  # Trados (x-Origin) and this pipeline (x-origin)
_UNRELIABLE_ORIGINS = {"automatedalignment": "draft"}  # Trados: aligned, not reviewed
# Props the memory itself stores in its own columns (ours): not kept as extra props.
_OWN_PROPS = {"x-origin", "x-model", "x-glossary-version", "x-status", "x-source-file"}


def _tu_status(props: list[tuple[str, str]], result: TmxImport) -> tuple[str | None, bool]:
    """(status the tool gave, or None; is the text machine output) from a TU's props.

    This pipeline's own ``x-status`` wins; otherwise, when several props say something,
    the most cautious wins (rejected, then draft, then reviewed)."""
    found: list[str] = []
    machine = False
    for ptype, value in props:
        kind, val = ptype.lower(), value.strip().lower()
        if kind == "x-status" and val in ("reviewed", "draft", "rejected"):
            return val, machine or any(k.lower() in _ORIGIN_PROPS and v.strip().lower()
                                       in _MT_ORIGINS for k, v in props)
        if kind in _ORIGIN_PROPS:
            machine = machine or val in _MT_ORIGINS
            mapped = _UNRELIABLE_ORIGINS.get(val)
        else:
            mapped = _STATUS_PROPS.get(kind, {}).get(val)
        if mapped is not None:
            result.count(result.mapped, f"{ptype}={value} -> {mapped}")
            found.append(mapped)
    for status in ("rejected", "draft", "reviewed"):
        if status in found:
            return status, machine
    return None, machine


def _iter_tus(path: Path, origin: str, status_as: str | None,
              result: TmxImport) -> Iterator[MemoryEntry]:
    from lxml import etree

    try:
        context = etree.iterparse(  # the one set of safe parser options (docx/ooxml.py)
            str(path), events=("start", "end"), remove_comments=True, remove_pis=True,
            **SAFE_OPTIONS)
        root_seen = False
        for event, el in context:
            name = _local(el.tag)
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if name != "tmx":
                        raise InputError(f"{path}: not a TMX file (root element <{name}>)")
                continue
            if name != "tu":
                continue
            result.read += 1
            entry = _tu_entry(el, origin, status_as, result)
            # Free the parsed TU (and earlier siblings): large files stream.
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
            if entry is not None:
                yield entry
        if not root_seen:
            raise InputError(f"{path}: empty file")
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{path}: not a valid TMX file ({exc.msg})") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _tu_entry(tu: object, origin: str, status_as: str | None,
              result: TmxImport) -> MemoryEntry | None:
    langs: list[Lang] = []
    texts: list[str] = []
    props: list[tuple[str, str]] = []
    for child in tu:  # type: ignore[attr-defined]
        name = _local(child.tag)
        if name == "prop":
            props.append(((child.get("type") or "").strip(), (child.text or "").strip()))
        elif name == "tuv":
            code = child.get(XML_LANG) or child.get("lang") or ""
            lang = parse_lang(code) or Lang(code, "")
            seg = next((c for c in child if _local(c.tag) == "seg"), None)
            if seg is None:
                continue
            text, dropped = _seg_text(seg)
            langs.append(lang)
            texts.append(_tidy(text) if dropped else text)
    usable = [i for i, t in enumerate(texts) if t.strip()]
    src = best([langs[i] for i in usable], "source")
    tgt = best([langs[i] for i in usable], "target")
    src_i = usable[src] if src is not None else None
    tgt_i = usable[tgt] if tgt is not None else None
    source = texts[src_i] if src_i is not None else ""
    converted = False
    if src_i is None:  # no Simplified Chinese: a Traditional one is converted
        trad = [i for i in usable if langs[i].traditional]
        if trad:
            from .chinese_script import to_simplified

            source, converted = to_simplified(texts[trad[0]]), True
    if not source.strip():
        result.skip("no zh text")
        return None
    if tgt_i is None:
        result.skip("no en text")
        return None
    # Every other text stays with the entry as a locale variant (exported back).
    variants = [(langs[i].code, texts[i]) for i in usable if i not in (src_i, tgt_i)]
    for code, _ in variants:
        result.count(result.variants, code)
    result.converted += converted
    props_by_type = {k.lower(): v for k, v in props}
    status, machine = _tu_status(props, result)
    tu_origin = props_by_type.get("x-origin", "").lower()
    entry_origin = tu_origin if tu_origin in ORIGINS else "machine" if machine else origin
    if status is None:
        status = "draft" if entry_origin == "machine" else "reviewed"
    if status_as is not None and status != "rejected":
        if status != status_as:
            result.count(result.mapped, f"{status} -> {status_as} (--status-as {status_as})")
        status = status_as
    result.count(result.statuses, status)
    kept_props = [(k, v) for k, v in props if k.lower() not in _OWN_PROPS]
    extra = json.dumps({"props": kept_props, "variants": variants},
                       ensure_ascii=False) if (kept_props or variants) else ""
    created = iso_date(tu.get("creationdate"))  # type: ignore[attr-defined]
    uses = tu.get("usagecount") or "0"  # type: ignore[attr-defined]
    return MemoryEntry(
        source=source, target=texts[tgt_i], origin=entry_origin,
        model=props_by_type.get("x-model", ""),
        glossary_version=props_by_type.get("x-glossary-version", ""),
        created=created,
        updated=iso_date(tu.get("changedate")) or created,  # type: ignore[attr-defined]
        uses=int(uses) if uses.isdigit() else 0, status=status, extra=extra,
        # Provenance: TMX's changeid/creationid (who) and our x-source-file prop.
        author=(tu.get("changeid") or tu.get("creationid") or "").strip(),  # type: ignore[attr-defined]
        source_file=props_by_type.get("x-source-file", ""))


def import_tmx_report(memory: MemoryStore, path: Path, origin: str = "reviewed", *,
                      status_as: str | None = None) -> TmxImport:
    """Import a TMX file; ``origin`` applies to TUs without an ``x-origin`` prop.

    Each unit's status comes from its tool's props (see ``_STATUS_PROPS``; without any:
    reviewed, or draft for machine output); ``status_as`` ("reviewed" or "draft")
    overrides it for every unit the file does not mark rejected. TUs are stored under
    the memory's rules (a draft never replaces a reviewed entry). The source is the
    best Simplified Chinese text (zh-CN/zh-Hans, then zh...), the target the best
    English (en-US, then en...); other locales are kept as variants.
    """
    if origin not in ORIGINS:
        raise InputError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    if status_as not in (None, "reviewed", "draft"):
        raise InputError(f"--status-as must be reviewed or draft, not {status_as!r}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    result = TmxImport()
    batch: list[MemoryEntry] = []
    seen: dict[str, str] = {}  # key -> English, for the duplicate count

    def flush() -> None:
        res = memory.store_entries(batch)
        result.inserted += res.inserted
        result.updated += res.updated
        result.unchanged += res.unchanged
        result.kept += res.kept
        batch.clear()

    for entry in _iter_tus(path, origin, status_as, result):
        key = memory_key(entry.source)
        if key in seen:
            result.duplicates += 1
            result.conflicts += seen[key] != entry.target
        seen[key] = entry.target
        entry.source_file = entry.source_file or path.name  # provenance: from this file
        batch.append(entry)
        if len(batch) >= _BATCH:
            flush()
    flush()
    return result


def import_tmx(memory: MemoryStore, path: Path, origin: str = "reviewed") -> int:
    """Import a TMX file; returns how many TUs were stored (new, updated or unchanged)."""
    return import_tmx_report(memory, path, origin).stored
