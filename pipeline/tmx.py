"""TMX 1.4 import and export for the translation memory.

Export writes one ``<tu>`` per entry with ``x-origin``/``x-model``/``x-glossary-version``
props, so a round trip through another CAT tool keeps what the memory needs.
Import reads any TMX 1.1-1.4 file: languages are matched on their primary subtag
(zh, zh-CN, zh-Hans, ZH_cn... / en, en-US, EN-gb...), inline codes (bpt/ept/ph/it/ut)
are dropped and the text around them kept, ``<hi>`` text is kept. Parsing never
resolves entities and never touches the network (no XXE, no entity expansion bombs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import InputError
from .fileio import atomic_write
from .memory import ORIGINS, MemoryEntry, TranslationMemory, now_iso

TOOL = "appeal-pipeline"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_INLINE_CODES = {"bpt", "ept", "ph", "it", "ut"}  # native codes: their text is markup
_BATCH = 2000  # TUs per transaction on import: keeps the write lock short
# Characters XML 1.0 cannot carry even as references (C0 controls but tab/LF/CR).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("appeal-pipeline")
    except Exception:  # not installed (running from a checkout)
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


def export_tmx(memory: TranslationMemory, path: Path, srclang: str = "zh-CN",
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
                        for ptype, value in (("x-origin", e.origin), ("x-model", e.model),
                                             ("x-glossary-version", e.glossary_version)):
                            if value:
                                etree.SubElement(tu, "prop", type=ptype).text = _clean(value)
                        for lang, text in ((srclang, e.source), (tgtlang, e.target)):
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
    """What an import did: TUs read, stored (new + updated + unchanged), kept (a reviewed
    entry refused a machine one), skipped (no usable zh or en text) with reasons."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def _primary(lang: str) -> str:
    return re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _seg_text(el: object) -> tuple[str, bool]:
    """Text of a <seg>, inline codes left out; second value: were any left out."""
    parts = [el.text or ""]  # type: ignore[attr-defined]
    dropped = False
    for child in el:  # type: ignore[attr-defined]
        name = _local(child.tag)
        if name in _INLINE_CODES:
            dropped = True
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


def _iter_tus(path: Path, src: str, tgt: str, origin: str,
              result: TmxImport) -> Iterator[MemoryEntry]:
    from lxml import etree

    try:
        context = etree.iterparse(
            str(path), events=("start", "end"), resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
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
            entry = _tu_entry(el, src, tgt, origin, result)
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


def _tu_entry(tu: object, src: str, tgt: str, origin: str,
              result: TmxImport) -> MemoryEntry | None:
    texts: dict[str, str] = {}
    props: dict[str, str] = {}
    for child in tu:  # type: ignore[attr-defined]
        name = _local(child.tag)
        if name == "prop":
            props[(child.get("type") or "").lower()] = (child.text or "").strip()
        elif name == "tuv":
            lang = _primary(child.get(XML_LANG) or child.get("lang") or "")
            if lang in texts:
                continue  # first variant of a language wins
            seg = next((c for c in child if _local(c.tag) == "seg"), None)
            if seg is None:
                continue
            text, dropped = _seg_text(seg)
            texts[lang] = _tidy(text) if dropped else text
    source, target = texts.get(src, ""), texts.get(tgt, "")
    if not source.strip():
        result.skip(f"no {src} text")
        return None
    if not target.strip():
        result.skip(f"no {tgt} text")
        return None
    tu_origin = props.get("x-origin", "").lower()
    created = iso_date(tu.get("creationdate"))  # type: ignore[attr-defined]
    uses = tu.get("usagecount") or "0"  # type: ignore[attr-defined]
    return MemoryEntry(
        source=source, target=target,
        origin=tu_origin if tu_origin in ORIGINS else origin,
        model=props.get("x-model", ""), glossary_version=props.get("x-glossary-version", ""),
        created=created,
        updated=iso_date(tu.get("changedate")) or created,  # type: ignore[attr-defined]
        uses=int(uses) if uses.isdigit() else 0)


def import_tmx_report(memory: TranslationMemory, path: Path, origin: str = "reviewed", *,
                      srclang: str = "zh", tgtlang: str = "en") -> TmxImport:
    """Import a TMX file; ``origin`` applies to TUs without an ``x-origin`` prop.

    TUs are stored under the memory's rules (a machine TU never replaces a reviewed
    entry). Languages match on the primary subtag, case-insensitively.
    """
    if origin not in ORIGINS:
        raise InputError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    result = TmxImport()
    batch: list[MemoryEntry] = []

    def flush() -> None:
        res = memory.store_entries(batch)
        result.inserted += res.inserted
        result.updated += res.updated
        result.unchanged += res.unchanged
        result.kept += res.kept
        batch.clear()

    for entry in _iter_tus(path, _primary(srclang), _primary(tgtlang), origin, result):
        batch.append(entry)
        if len(batch) >= _BATCH:
            flush()
    flush()
    return result


def import_tmx(memory: TranslationMemory, path: Path, origin: str = "reviewed") -> int:
    """Import a TMX file; returns how many TUs were stored (new, updated or unchanged)."""
    return import_tmx_report(memory, path, origin).stored
