"""Loading glossary files (encodings: ``encoding.py``): TSV parsing and validation, merging layers,
the built-in glossary, ``format_tsv``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..errors import GlossaryError
from ..fileio import atomic_write
from .core import Glossary
from .encoding import _decode, file_encoding
from .terms import (
    _SEP_RE,
    COLUMN_ALIASES,
    NO_PLURAL,
    PRIORITIES,
    TSV_COLUMNS,
    Term,
    _en_key,
    _has_edges,
    _squash,
    zh_key,
)


# --------------------------------------------------------------------------- loading
def _split_list(cell: str) -> list[str]:
    out: list[str] = []
    for part in _SEP_RE.split(cell):
        part = _squash(part)
        if part and part not in out:
            out.append(part)
    return out


def _parse_header(cells: list[str], origin: str, line: int) -> list[str]:
    fields: list[str] = []
    for cell in cells:
        name = _squash(cell).lstrip("\ufeff").lower()
        if not name:
            fields.append("")  # an unnamed (empty) column is ignored
            continue
        if name not in COLUMN_ALIASES:
            raise GlossaryError(
                f"{origin}:{line}: unknown column '{cell.strip()}' in the header line "
                f"(expected: {', '.join(TSV_COLUMNS)})")
        f = COLUMN_ALIASES[name]
        if f in fields:
            raise GlossaryError(f"{origin}:{line}: column '{cell.strip()}' appears twice")
        fields.append(f)
    missing = [c for c, f in (("zh_variants", "zh"), ("canonical", "canonical")) if f not in fields]
    if missing:
        raise GlossaryError(
            f"{origin}:{line}: the header line must name the columns "
            f"({', '.join(TSV_COLUMNS)}); missing: {', '.join(missing)}")
    return fields


def parse_glossary(text: str, origin: str = "<glossary>") -> list[Term]:
    """Parse glossary text (TSV, or CSV when the header has commas and no tabs)."""
    header: list[str] | None = None
    delimiter = "\t"
    terms: list[Term] = []
    for line_no, raw in enumerate(io.StringIO(text, newline=None), start=1):
        raw = raw.rstrip("\n").lstrip("\ufeff")
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if header is None and "\t" not in raw and "," in raw:
            delimiter = ","  # Excel's "CSV UTF-8" is the easy UTF-8 option there
        try:
            cells = next(csv.reader([raw], delimiter=delimiter, strict=True))
        except (csv.Error, StopIteration):
            raise GlossaryError(
                f"{origin}:{line_no}: unbalanced double quote (a cell that starts with \" "
                "must end with \"; line breaks inside a cell are not allowed)") from None
        if header is None:
            header = _parse_header(cells, origin, line_no)
            continue
        terms.append(_parse_row(cells, header, origin, line_no))
    if header is None:
        raise GlossaryError(f"{origin}:1: empty glossary: no header line "
                            f"({', '.join(TSV_COLUMNS)})")
    _check_terms(terms)
    return terms


def _parse_row(cells: list[str], header: list[str], origin: str, line: int) -> Term:
    def err(msg: str) -> GlossaryError:
        return GlossaryError(f"{origin}:{line}: {msg}")

    cells = [c.strip() for c in cells]
    ncols = len(header)
    while len(cells) > ncols and not cells[-1]:
        cells.pop()  # Excel sometimes exports empty columns to the right
    needed = max(header.index("zh"), header.index("canonical")) + 1
    if len(cells) > ncols:
        raise err(f"{len(cells)} columns, expected {ncols} (a tab inside a cell?)")
    if len(cells) < needed:
        raise err(f"{len(cells)} column{'s' if len(cells) != 1 else ''}, expected {ncols} "
                  "(columns must be separated by tabs)")
    row = {f: "" for f in ("zh", "canonical", "acronym", "wrong", "priority", "note", "allowed",
                           "plural", "ref")}
    for name, cell in zip(header, cells, strict=False):  # short rows: missing cells empty
        if name:
            row[name] = cell

    priority = (row["priority"].strip().lower() or "normal")
    if priority not in PRIORITIES:
        raise err(f"priority '{row['priority']}' must be empty, 'normal' or 'low'")
    variants: list[str] = []
    for v in _split_list(row["zh"]):
        if zh_key(v) not in {zh_key(x) for x in variants}:
            variants.append(v)  # "开case|开Case" is one key: matching ignores Latin case
    if not variants:
        raise err("no Chinese variant in the first column")
    for v in variants:
        if len(v) < 2 and priority != "low":
            raise err(f"Chinese variant '{v}' is one character: too short to detect safely "
                      "(use a longer form, or priority 'low')")
    canonical = _squash(row["canonical"])
    if not canonical:
        raise err("empty canonical English term")
    if _SEP_RE.search(canonical):
        raise err(f"canonical '{canonical}' must be one form (put alternatives in "
                  "wrong_renderings or the note)")
    acronym = _squash(row["acronym"])
    if acronym in ("-", "—"):
        acronym = ""
    if " " in acronym:
        raise err(f"acronym '{acronym}' contains a space")
    wrong: list[str] = []
    flags: list[str] = []
    for item in _split_list(row["wrong"]):
        if item in ("-", "—"):
            continue
        target = flags if item.startswith("?") else wrong
        item = _squash(item.lstrip("?"))
        if not _has_edges(item):
            raise err(f"wrong rendering '{item}' must start and end with a letter or digit")
        if _en_key(item) == _en_key(canonical):
            raise err(f"wrong rendering '{item}' is the canonical term itself "
                      "(matching is case-insensitive)")
        if item not in target:
            target.append(item)
    allowed: list[str] = []
    for item in _split_list(row["allowed"]):
        if _en_key(item) in {_en_key(w) for w in wrong + flags}:
            raise err(f"'{item}' is both allowed and a wrong rendering")
        if _en_key(item) != _en_key(canonical) and item not in allowed:
            allowed.append(item)
    plural = _squash(row["plural"])
    if plural == "—":
        plural = NO_PLURAL
    if plural and plural != NO_PLURAL:
        if _SEP_RE.search(plural) or not _has_edges(plural):
            raise err(f"plural '{plural}' must be one form that starts and ends with a letter "
                      f"or digit (or '{NO_PLURAL}' for a term with no plural)")
        if _en_key(plural) == _en_key(canonical):
            plural = NO_PLURAL  # "the plural is the term itself": it has none
    return Term(tuple(variants), canonical, acronym, tuple(wrong), _squash(row["note"]),
                priority, tuple(flags), tuple(allowed), origin, line,
                ref=_squash(row["ref"]), plural=plural)


def _check_terms(terms: Sequence[Term]) -> None:
    """Cross-entry checks within one file: one owner per Chinese key and wrong rendering."""
    zh_seen: dict[str, Term] = {}
    canon: dict[str, Term] = {}
    for t in terms:
        canon.setdefault(_en_key(t.canonical), t)
    wrong_seen: dict[str, Term] = {}
    for t in terms:
        for v in t.zh_variants:
            k = zh_key(v)
            prev = zh_seen.get(k)
            if prev is not None:
                where = f"line {prev.line}" if prev.source == t.source else prev.where
                raise GlossaryError(f"{t.where}: duplicate Chinese term '{v}' (already on {where})")
            zh_seen[k] = t
        for w in t.wrong_renderings:
            k = _en_key(w)
            other = canon.get(k)
            if other is not None and other is not t:
                raise GlossaryError(f"{t.where}: wrong rendering '{w}' is the canonical term of "
                                    f"{other.where}")
            prev = wrong_seen.get(k)
            if prev is not None and prev is not t:
                raise GlossaryError(f"{t.where}: wrong rendering '{w}' is also listed on "
                                    f"{prev.where}")
            wrong_seen[k] = t


def read_glossary_file(path: Path) -> list[Term]:
    """Load one glossary file (.tsv/.txt/.csv, or .tbx through pipeline.glossary.tbx)."""
    path = Path(path)
    if path.suffix.lower() == ".tbx":
        from .tbx import import_tbx_report, no_terms_message

        found, report = import_tbx_report(path)
        if not found:  # a termbase without zh/en entries is not silently "0 terms"
            raise GlossaryError(no_terms_message(path, report))
        cleaned, _ = sanitize_terms(found)
        return cleaned
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GlossaryError(f"glossary file not found: {path}") from None
    except IsADirectoryError:
        raise GlossaryError(f"{path} is a folder, not a glossary file") from None
    except OSError as exc:
        raise GlossaryError(f"cannot read glossary {path}: {exc.strerror or exc}") from None
    return add_simplified_variants(parse_glossary(_decode(data, str(path)), str(path)))


def add_simplified_variants(terms: list[Term]) -> list[Term]:
    """Give each Traditional Chinese variant (訂單缺陷率) its Simplified form (订单缺陷率)
    as a further variant: drafts in Traditional Chinese are matched on their Simplified
    conversion (pipeline.chinese_script), so a glossary may list Traditional terms only.
    A form another entry already has is not added."""
    if not any(not v.isascii() for t in terms for v in t.zh_variants):
        return terms
    from ..chinese_script import to_simplified

    taken = {zh_key(v) for t in terms for v in t.zh_variants}
    out: list[Term] = []
    for t in terms:
        extra = []
        for v in t.zh_variants:
            s = to_simplified(v)
            if s != v and zh_key(s) not in taken:
                extra.append(s)
                taken.add(zh_key(s))
        out.append(replace(t, zh_variants=t.zh_variants + tuple(extra)) if extra else t)
    return out


def builtin_path() -> Path:
    """The built-in glossary: the repo's glossaries/ (editable install) or package data."""
    here = Path(__file__).resolve().parent.parent  # the pipeline package
    for candidate in (here.parent / "glossaries" / "amazon.tsv",
                      here / "data" / "glossaries" / "amazon.tsv"):
        if candidate.is_file():
            return candidate
    raise GlossaryError("the built-in glossary glossaries/amazon.tsv is missing from this "
                        "installation (reinstall, or use --no-builtin-glossary)")


@lru_cache(maxsize=4)
def _read_cached(path: str, mtime_ns: int, size: int) -> tuple[Term, ...]:
    return tuple(read_glossary_file(Path(path)))


def merge_terms(layers: Sequence[Sequence[Term]]) -> list[Term]:
    """Later layers win: an entry sharing a Chinese key replaces the earlier entry whole,
    and an earlier entry loses wrong renderings that a later one claims."""
    merged: list[Term] = []
    for layer in layers:
        keys = {zh_key(v) for t in layer for v in t.zh_variants}
        claimed = {_en_key(w) for t in layer for w in t.wrong_renderings}
        claimed |= {_en_key(t.canonical) for t in layer}
        kept: list[Term] = []
        for t in merged:
            if any(zh_key(v) in keys for v in t.zh_variants):
                continue
            wrong = tuple(w for w in t.wrong_renderings if _en_key(w) not in claimed)
            kept.append(t if wrong == t.wrong_renderings else replace(t, wrong_renderings=wrong))
        merged = kept + list(layer)
    return merged


def load_glossaries(user_paths: Sequence[Path] | None = None, builtin: bool = True) -> Glossary:
    """The built-in glossary (unless ``builtin`` is False) overridden by user files in order."""
    layers: list[Sequence[Term]] = []
    names: list[str] = []
    if builtin:
        p = builtin_path()
        st = p.stat()
        terms = _read_cached(str(p), st.st_mtime_ns, st.st_size)
        layers.append(terms)
        names.append(f"amazon (built-in, {len(terms)} terms)")
    for user in user_paths or []:
        layers.append(read_glossary_file(Path(user)))
        encoding = file_encoding(Path(user))
        legacy = encoding not in ("UTF-8", "UTF-16", "XML")  # say which one was used
        names.append(Path(user).name + (f" (read as {encoding})" if legacy else ""))
    return Glossary(merge_terms(layers), " + ".join(names) or "none")


@lru_cache(maxsize=1)
def builtin_glossary() -> Glossary:
    return load_glossaries([], builtin=True)


def sanitize_terms(terms: Iterable[Term]) -> tuple[list[Term], list[str]]:
    """Make imported terms (TBX) loadable: drop what the TSV rules refuse, and say what.

    Earlier entries win duplicates, as a CAT termbase usually lists the main entry first.
    """
    out: list[Term] = []
    dropped: list[str] = []
    zh_seen: dict[str, Term] = {}
    wrong_seen: set[str] = set()
    all_terms = list(terms)
    canon = {_en_key(t.canonical) for t in all_terms}
    for t in all_terms:
        canonical = _squash(t.canonical.replace("|", "/").replace("｜", "/"))
        variants: list[str] = []
        for v in t.zh_variants:
            v = _squash(_SEP_RE.sub("/", v))
            k = zh_key(v)
            if not v or k in {zh_key(x) for x in variants}:
                continue
            if k in zh_seen:
                dropped.append(f"{t.where}: '{v}' dropped (already in the entry at "
                               f"{zh_seen[k].where})")
                continue
            variants.append(v)
        if not variants or not canonical:
            dropped.append(f"{t.where}: entry '{canonical or '?'}' skipped (no Chinese term "
                           "left or no English)")
            continue
        priority = t.priority if t.priority in PRIORITIES else "normal"
        if priority != "low" and any(len(v) < 2 for v in variants):
            priority = "low"
            dropped.append(f"{t.where}: one-character Chinese term: priority set to low")
        acronym = t.acronym if " " not in t.acronym.strip() else ""
        wrong: list[str] = []
        for w in t.wrong_renderings:
            w = _squash(_SEP_RE.sub("/", w))
            k = _en_key(w)
            if not _has_edges(w) or k == _en_key(canonical) or k in canon or k in wrong_seen:
                dropped.append(f"{t.where}: wrong rendering '{w}' dropped (not a plain "
                               "phrase, or another entry's English)")
                continue
            wrong.append(w)
            wrong_seen.add(k)
        flags = tuple(f for f in (_squash(_SEP_RE.sub("/", f)) for f in t.flag_renderings)
                      if _has_edges(f) and _en_key(f) != _en_key(canonical))
        bad = {_en_key(x) for x in wrong + list(flags)} | {_en_key(canonical)}
        allowed = tuple(a for a in (_squash(_SEP_RE.sub("/", a)) for a in t.allowed)
                        if a and _en_key(a) not in bad)
        plural = _squash(_SEP_RE.sub("/", t.plural))
        if plural and plural != NO_PLURAL and not _has_edges(plural):
            plural = ""
        clean = Term(tuple(variants), canonical, acronym.strip(), tuple(wrong),
                     _squash(t.note), priority, flags, allowed, t.source, t.line,
                     ref=_squash(t.ref), plural=plural)
        for v in variants:
            zh_seen[zh_key(v)] = clean
        out.append(clean)
    return out, dropped


def _tsv_cell(value: str, first: bool = False) -> str:
    # Quote the way Excel does, and also a first cell starting with "#" (else a comment).
    if any(c in value for c in '"\t\n\r') or (first and value.startswith("#")) \
            or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def format_tsv(terms: Iterable[Term], comments: Iterable[str] = ()) -> str:
    """Glossary TSV text (header included) that ``parse_glossary`` reads back unchanged."""
    lines = [f"# {_squash(c)}" for c in comments]
    lines.append("\t".join(TSV_COLUMNS))
    for t in terms:
        wrong = list(t.wrong_renderings) + [f"?{f}" for f in t.flag_renderings]
        cells = ["|".join(t.zh_variants), t.canonical, t.acronym, "|".join(wrong),
                 "" if t.priority == "normal" else t.priority, t.note, "|".join(t.allowed),
                 t.plural, t.ref]
        lines.append("\t".join(_tsv_cell(c, i == 0) for i, c in enumerate(cells)))
    return "\n".join(lines) + "\n"


def import_tbx_to_tsv(src: Path, dst: Path, *, force: bool = True) -> tuple[Path, int, list[str]]:
    """Convert a TBX file to a glossary TSV at ``dst`` (atomic).

    Returns (path, number of terms, what the import found and what was dropped to make
    the TSV valid). A TBX with no usable entry is refused (nothing is written).
    """
    from .tbx import import_tbx_report, no_terms_message

    found, report = import_tbx_report(src)
    if not found:
        raise GlossaryError(no_terms_message(Path(src), report))
    terms, dropped = sanitize_terms(found)
    lines = report.lines() + [f"dropped: {d}" for d in dropped]
    comments = [f"Imported from {Path(src).name}: {len(terms)} terms"]
    comments += [f"dropped: {d}" for d in dropped]
    text = format_tsv(terms, comments)
    parse_glossary(text, str(dst))  # never write a file the loader would refuse
    path = atomic_write(Path(dst), lambda p: p.write_text(text, encoding="utf-8"), force=force)
    return path, len(terms), lines
