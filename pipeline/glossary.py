"""The glossary: Amazon Seller Central terms, found in Chinese, enforced in English.

A glossary is a UTF-8 TSV file (see docs/glossary.md) of entries: Chinese variants,
one canonical English form, an optional acronym, wrong English renderings to replace,
a priority and a note. This module

* loads and validates glossary files (``load_glossaries``), a user file overriding the
  built-in ``glossaries/amazon.tsv`` entry by entry;
* finds terms in Chinese source text (``Glossary.detect``; the protect step masks them);
* rewrites wrong renderings in English (``Glossary.normalize``);
* runs the ``enforce`` step after translation (``EnforceStep``): normalisation, acronym
  first/later mentions, and term-check notes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import GlossaryError
from .model import Change, Document, Origin, Segment, Severity, TermHit

STEP = "glossary"

# Header names (case-insensitive) and the field each one fills; aliases make hand-made
# spreadsheets work without renaming columns.
COLUMN_ALIASES: dict[str, str] = {
    "zh_variants": "zh", "zh": "zh", "chinese": "zh", "中文": "zh",
    "canonical": "canonical", "canonical_en": "canonical", "english": "canonical",
    "en": "canonical", "英文": "canonical",
    "acronym": "acronym", "缩写": "acronym",
    "wrong_renderings": "wrong", "wrong": "wrong", "wrong_en": "wrong",
    "priority": "priority", "优先级": "priority",
    "note": "note", "notes": "note", "备注": "note",
    "allowed": "allowed", "allowed_renderings": "allowed", "alternatives": "allowed",
    "plural": "plural", "复数": "plural",
    "ref": "ref", "source": "ref", "reference": "ref", "来源": "ref", "出处": "ref",
}
TSV_COLUMNS = ["zh_variants", "canonical", "acronym", "wrong_renderings", "priority", "note",
               "allowed", "plural", "ref"]
PRIORITIES = ("normal", "low")
NO_PLURAL = "-"  # the plural column's marker for "this term has no plural form"
# Lower-case words a capitalised name may contain ("Fulfillment by Amazon", "Plan of Action").
_NAME_MINOR = frozenset("a an and as at by for from in of on or the to with".split())

_SEP_RE = re.compile(r"[|｜]")  # the full-width bar is what a Chinese IME types
_WS_RE = re.compile(r"\s+")
_ALNUM = r"A-Za-z0-9"
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# Full-width ASCII (Ａ-ｚ, ０-９...) and odd spaces fold to plain ASCII, one char for one
# char, so match offsets still point into the original text.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
_END = ""  # trie key marking "a variant ends here" (never a character)


def _squash(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _fold_lower(text: str) -> str:
    """Fold and lower-case without changing the length (a few characters lower to two)."""
    folded = _fold(text)
    low = folded.lower()
    if len(low) == len(folded):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in folded)


def zh_key(variant: str) -> str:
    """The identity of a Chinese variant: duplicates and overrides compare these."""
    return _fold_lower(_squash(variant))


def _en_key(text: str) -> str:
    return _squash(text).lower()


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Term:
    """One glossary entry. ``source``/``line`` say where it was defined (for messages)."""

    zh_variants: tuple[str, ...]
    canonical: str
    acronym: str = ""
    wrong_renderings: tuple[str, ...] = ()  # replaced wherever they occur in English
    note: str = ""
    priority: str = "normal"  # "low": ambiguous Chinese; no term-missing warning
    # Wrong only where this term is in the source (too common to replace everywhere);
    # written with a leading "?" in the wrong_renderings column.
    flag_renderings: tuple[str, ...] = ()
    # Correct English other than the canonical form (word forms aside): QA accepts them
    # where the term is in the source ("returned items" for 退货商品). Never rewritten.
    allowed: tuple[str, ...] = ()
    source: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    # Where the term comes from (a URL or a source's name): documentation only.
    ref: str = ""
    # "" derives the plural (a capitalised name has none, see plural_form); NO_PLURAL ("-")
    # says the term has none; any other text is the plural form ("Plans of Action").
    plural: str = ""

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.source else "(glossary)"

    def to_dict(self) -> dict[str, Any]:
        return {"zh_variants": list(self.zh_variants), "canonical": self.canonical,
                "acronym": self.acronym, "wrong_renderings": list(self.wrong_renderings),
                "flag_renderings": list(self.flag_renderings), "allowed": list(self.allowed),
                "priority": self.priority, "plural": self.plural, "ref": self.ref,
                "note": self.note, "source": self.source, "line": self.line}

    @property
    def is_name(self) -> bool:
        """A capitalised name of two words or more ("Account Health", "Fulfillment by
        Amazon"): every word with letters starts with a capital, small linking words aside."""
        words = self.canonical.split(" ")
        return len(words) >= 2 and all(
            w[:1].isupper() or w in _NAME_MINOR or not any(c.isalpha() for c in w)
            for w in words)

    @property
    def plural_form(self) -> str | None:
        """The term's plural, or None when it has none: the ``plural`` column when set,
        else none for a capitalised name and the usual English plural for the rest."""
        if self.plural == NO_PLURAL:
            return None
        if self.plural:
            return self.plural
        if self.is_name:
            return None
        plural = _plural_phrase(self.canonical)
        return None if plural == self.canonical and not self.canonical.endswith("s") \
            else plural


# --------------------------------------------------------------------------- loading

# The ~400 most frequent Simplified characters plus those of appeal vocabulary; their
# Traditional forms are added on first use. A glossary decoded with the wrong legacy
# codec (Big5 bytes read as GB18030 or the reverse) gives valid but rare characters,
# so the share of these is how the two readings are told apart.
_COMMON_HANS = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着"
    "下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好"
    "小部其些主样理心她本前开但因只从想实日者意无力它与长把机十民第公此已工使情明性知全"
    "三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果"
    "加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处"
    "走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接"
    "必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界"
    "达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领"
    "共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元"
    "英士证近失转夫令准布始怎存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华"
    "城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗"
    "包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅"
    "考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责"
    "营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围"
    "订货退款账户店铺卖家买家客户审核申诉违规政策绩效缺陷率评价物流库存发票品牌侵权假冒"
    "冻结暂停恢复整改措施根本原因预防我们您感谢邮件通知链接页面促销广告退货延迟配送包裹"
)


@lru_cache(maxsize=1)
def _common_han() -> frozenset[str]:
    chars = set(_COMMON_HANS)
    try:
        from .chinese_script import to_traditional

        chars |= set(to_traditional(_COMMON_HANS))
    except ImportError:  # OpenCC missing: Big5 files then score on shared characters
        pass
    return frozenset(chars)


_HAN_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PRIVATE = re.compile(r"[\ue000-\uf8ff]")
# Legacy Chinese encodings Excel writes on Chinese Windows: GBK/GB18030 (Simplified
# systems, code page 936) and Big5 (Traditional systems, code page 950).
_LEGACY = (("gb18030", "GB18030"), ("cp950", "Big5"), ("big5hkscs", "Big5-HKSCS"))


def _legacy_score(text: str) -> float | None:
    """Share of common characters among the Han characters; None: not CJK text."""
    han = _HAN_CHAR.findall(text)
    if not han or _PRIVATE.search(text):
        return None
    common = _common_han()
    return sum(c in common for c in han) / len(han)


def detect_encoding(data: bytes, origin: str) -> tuple[str, str]:
    """(codec, name to show) of a glossary file's bytes.

    UTF-16 with a BOM (Excel "Unicode Text"), UTF-8 with or without BOM; otherwise a
    legacy Chinese encoding: the file must decode as a whole and give CJK text, and
    when both GB18030 and Big5 readings do, the one with clearly more common
    characters wins. A file that fits neither, or both alike, is refused.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16"
    try:
        data.decode("utf-8-sig")
        return "utf-8-sig", "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    scores: list[tuple[float, str, str]] = []
    for codec, name in _LEGACY:
        try:
            score = _legacy_score(data.decode(codec))
        except UnicodeDecodeError:
            continue
        if score is not None and all(n != name.split("-")[0] for _, _, n in scores):
            scores.append((score, codec, name))
    scores.sort(reverse=True)
    if scores and (len(scores) == 1 or scores[0][0] >= max(2 * scores[1][0], 0.2)):
        return scores[0][1], scores[0][2]
    line = data[:utf8_error.start].count(b"\n") + 1
    if scores:
        raise GlossaryError(
            f"{origin}:{line}: not UTF-8 text, and it reads as "
            f"{' or '.join(n for _, _, n in scores)} alike: save the sheet as 'Unicode Text' "
            "or 'UTF-8' tab-separated text")
    raise GlossaryError(
        f"{origin}:{line}: not UTF-8 text (nor GB18030 or Big5 Chinese); save the sheet as "
        "'Unicode Text' or 'UTF-8' tab-separated text")


def _decode(data: bytes, origin: str) -> str:
    # Excel's "Unicode Text" is UTF-16 with a BOM; "CSV UTF-8" and Notepad add a UTF-8 BOM;
    # Excel's "Text (Tab delimited)" and "CSV" on Chinese Windows are GB18030 or Big5.
    codec, name = detect_encoding(data, origin)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise GlossaryError(f"{origin}:1: not valid {name} text ({exc.reason})") from None


def file_encoding(path: Path) -> str:
    """The encoding a glossary file is read with ("UTF-8", "GB18030", "Big5"...)."""
    path = Path(path)
    if path.suffix.lower() == ".tbx":
        return "XML"
    try:
        return detect_encoding(path.read_bytes(), str(path))[1]
    except (OSError, GlossaryError):
        return "?"


def _split_list(cell: str) -> list[str]:
    out: list[str] = []
    for part in _SEP_RE.split(cell):
        part = _squash(part)
        if part and part not in out:
            out.append(part)
    return out


def _has_edges(text: str) -> bool:
    """True when the text starts and ends with a letter or digit (word-boundary matchable)."""
    return bool(text) and text[0].isalnum() and text[-1].isalnum()


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
    """Load one glossary file (.tsv/.txt/.csv, or .tbx through pipeline.tbx)."""
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
    from .chinese_script import to_simplified

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
    here = Path(__file__).resolve().parent
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


# --------------------------------------------------------------------------- matching

@dataclass(frozen=True)
class _Variant:
    term: int  # index into Glossary.terms
    exact: str | None  # folded form that must match case-sensitively, or None
    latin_start: bool  # starts with an ASCII letter/digit: needs a boundary before
    latin_end: bool
    rank: int  # 1 normal, 0 low


def _case_sensitive(variant: str) -> bool:
    """Short all-caps acronyms ("FBA", "ODR", "A-Z索赔") must match in capitals: "odr"
    or "Fba" inside ordinary text is something else."""
    letters = [c for c in _fold(variant) if c.isascii() and c.isalpha()]
    return bool(letters) and len(letters) <= 5 and all(c.isupper() for c in letters)


def _spacing_forms(variant: str) -> list[str]:
    """Chinese writers put a space between Latin and Chinese or not ("FBA 仓"/"FBA仓")."""
    cuts = [i for i in range(1, len(variant))
            if (_is_ascii_alnum(variant[i - 1]) and _CJK_RE.match(variant[i]))
            or (_CJK_RE.match(variant[i - 1]) and _is_ascii_alnum(variant[i]))][:3]
    forms = [variant]
    for mask in range(1, 1 << len(cuts)):
        s = variant
        for bit, cut in reversed(list(enumerate(cuts))):
            if mask >> bit & 1:
                s = s[:cut] + " " + s[cut:]
        forms.append(s)
    return forms


def _pluralize(word: str) -> str:
    if word.endswith("s"):
        return word  # canonical already plural ("corrective actions")
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def _plural_phrase(phrase: str) -> str:
    """Plural of a term: "claim" -> "claims", "Plan of Action" -> "Plans of Action";
    "Fulfillment by Amazon" has none."""
    words = phrase.split(" ")
    for i, w in enumerate(words):
        if i and w in ("by", "as"):
            return phrase
        if i and w in ("of", "for"):
            words[i - 1] = _pluralize(words[i - 1])
            return " ".join(words)
    words[-1] = _pluralize(words[-1])
    return " ".join(words)


_BULLET_RE = re.compile(r"^\s*(?:[-–—•*·▪●○◦]|\(?\d{1,3}[.)、]|\(?[A-Za-z][.)])?\s*[\"'“‘(\[]*\s*$")


def _sentence_start(text: str, i: int) -> str:
    """"punct" after . ! ?, "line" at the start of a line or list item, else ""."""
    before = text[:i]
    stripped = before.rstrip().rstrip("\"'“‘([")
    if stripped.endswith((".", "!", "?")):
        return "punct"
    if _BULLET_RE.match(before[before.rfind("\n") + 1:]):
        return "line"
    return ""


def _phrase_re(phrase: str) -> str:
    return r"\s+".join(re.escape(p) for p in phrase.split(" "))


def _caps_line(text: str, start: int, end: int) -> bool:
    """True when the match sits in an all-caps line (a heading), not just shouted words."""
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    letters = [c for c in text[a:b if b >= 0 else len(text)] if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _shape(replacement: str, before: str, start: str, caps: bool = False) -> str:
    """Give the replacement the case its place needs: all caps in an all-caps heading; a
    capital at a sentence start (at a line start only if the writer used one)."""
    if caps:
        return replacement.upper()
    if replacement[:1].islower() and (start == "punct"
                                      or (start == "line" and before[:1].isupper())):
        return replacement[:1].upper() + replacement[1:]
    return replacement


# Word forms for the term checks: "listed" is also "list", "lists", "listing", "relisted";
# "return" also "returned", "returns"; "reinstate" also "reinstatement"; "retraction"
# also "retract". Words of fewer than four letters and words with digits or capitals
# inside (ASIN, A-to-z) match as is (plus a plural s).
_FILLER = r"(?:\s+(?:of|the|our|its|their|this|these|those|that|for|a|an|all|every|each|any|" \
    r"new|his|her|your|my)){0,2}"


def _bases(word: str) -> set[str]:
    """Possible base forms of a (possibly inflected) lower-case word."""
    bases = {word}
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""),
                         ("ed", "e"), ("es", ""), ("s", ""), ("ment", ""), ("ments", ""),
                         ("ion", ""), ("ion", "e"), ("ions", ""), ("ions", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)] + repl
            if suffix in ("ing", "ed") and len(stem) >= 4 and stem[-1] == stem[-2] \
                    and stem[-1] not in "aeiouls":
                stem = stem[:-1]  # shipped -> ship
            bases.add(stem)
    if word.endswith("ss"):
        bases.discard(word[:-1])
    return bases


def _forms(base: str) -> set[str]:
    forms = {base, base + "s", base + "es", base + "ed", base + "ing", base + "ment",
             base + "ments"}
    if base.endswith("e"):
        forms |= {base + "d", base[:-1] + "ing", base[:-1] + "ion", base[:-1] + "ions"}
    elif base.endswith(("ct", "ss", "rt", "pt")):
        forms |= {base + "ion", base + "ions"}  # retract -> retraction
    if base.endswith("y") and len(base) > 3 and base[-2] not in "aeiou":
        forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    if len(base) >= 3 and base[-1] not in "aeiouwxy" and base[-2] in "aeiou" \
            and base[-3] not in "aeiou":
        forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}  # ship -> shipped
    return forms


def _word_re(word: str) -> str:
    if len(word) < 4 or not word.isalpha() or any(c.isupper() for c in word[1:]):
        return re.escape(word) + ("(?:e?s)?" if word.isalpha() else "")
    forms: set[str] = set()
    for b in _bases(word.lower()):
        forms |= _forms(b)
    alts = "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f)))
    return f"(?:re-?)?(?:{alts})"


def rendering_re(phrase: str) -> re.Pattern[str]:
    """Case-insensitive pattern for an English rendering that accepts word forms of each
    word (list/listed/listing/relisted) and a small word in between ("reinstatement of
    our selling privileges" for "reinstate selling privileges")."""
    return _rendering_re(_squash(phrase))


@lru_cache(maxsize=2048)
def _rendering_re(phrase: str) -> re.Pattern[str]:
    words = [w for w in re.split(r"[\s\-]+", phrase) if w]
    if not words:
        return re.compile(r"(?!x)x")
    body = _word_re(words[0]) + "".join(_FILLER + r"[\s\-]+" + _word_re(w) for w in words[1:])
    return re.compile(rf"(?<![{_ALNUM}]){body}(?![{_ALNUM}])", re.IGNORECASE)


@dataclass(frozen=True)
class TermProblem:
    """A source term whose English is wrong (code "term-wrong") or missing ("term-missing")."""

    code: str
    hit: TermHit
    term: Term
    # The wrong rendering seen: term-wrong, or term-missing for an ambiguous (low
    # priority) source word whose flagged rendering may be meant ("links" for 链接).
    found: str = ""

    @property
    def severity(self) -> Severity:
        return Severity.ERROR if self.code == "term-wrong" else Severity.WARNING

    @property
    def message(self) -> str:
        if self.code == "term-missing" and self.found:
            return (f"glossary: “{self.found}” for “{self.hit.source}”: if it means "
                    f"“{self.term.canonical}”, write that (Amazon's term)")
        if self.code == "term-wrong":
            return (f"glossary: “{self.found}” is not Amazon's term for “{self.hit.source}”: "
                    f"use “{self.term.canonical}”")
        return (f"glossary: “{self.hit.source}” should be “{self.term.canonical}”"
                + (f" ({self.term.acronym})" if self.term.acronym else "")
                + ", not found in the English")


class Glossary:
    """Terms plus the matchers built once from them (detection trie, English regexes)."""

    def __init__(self, terms: Sequence[Term], name: str = "") -> None:
        self.terms: list[Term] = list(terms)
        self.name = name or f"custom ({len(self.terms)} terms)"
        self.version = self._content_hash()
        self._build_detector()
        self._build_normalizer()
        self._en_patterns: dict[str, re.Pattern[str]] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        return f"Glossary({self.name!r}, {len(self.terms)} terms, version {self.version})"

    def _content_hash(self) -> str:
        # What changes output only (not notes, not file/line): the memory keys on this.
        data = [[list(t.zh_variants), t.canonical, t.acronym, list(t.wrong_renderings),
                 list(t.flag_renderings), t.priority, t.plural] for t in self.terms]
        # v2: plural forms (and the "a name has no plural" rule) change output.
        blob = json.dumps(["glossary-v2", data], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]

    # ----------------------------------------------------------------- detection

    def _build_detector(self) -> None:
        self._trie: dict[str, Any] = {}
        self._by_key: dict[str, int] = {}
        for ti, term in enumerate(self.terms):
            rank = 0 if term.priority == "low" else 1
            for variant in term.zh_variants:
                key = zh_key(variant)
                if key in self._by_key:
                    other = self.terms[self._by_key[key]]
                    raise GlossaryError(f"{term.where}: duplicate Chinese term '{variant}' "
                                        f"(already at {other.where})")
                for n, form in enumerate(_spacing_forms(_squash(variant))):
                    fkey = _fold_lower(form)
                    if n and fkey in self._by_key:
                        continue  # a generated spacing form never beats a listed variant
                    self._by_key[fkey] = ti
                    entry = _Variant(ti, _fold(form) if _case_sensitive(form) else None,
                                     _is_ascii_alnum(fkey[0]), _is_ascii_alnum(fkey[-1]), rank)
                    node = self._trie
                    for ch in fkey:
                        node = node.setdefault(ch, {})
                    node.setdefault(_END, []).append(entry)

    def detect(self, text: str, *, include_low: bool = True) -> list[TermHit]:
        """Every glossary term in ``text``, in order, never overlapping; longest wins.

        Latin variants match on word boundaries only ("FBA" is not in "FBAX"); short
        all-caps ones case-sensitively. Runs on the joined paragraph text, so a term split
        across formatting runs is still found.
        """
        if not text or not self._trie:
            return []
        folded = _fold_lower(text)
        exact = _fold(text)
        n = len(folded)
        root = self._trie
        cands: list[tuple[int, int, int, int, int]] = []
        for i in range(n):
            node = root.get(folded[i])
            j = i + 1
            while node is not None:
                ends = node.get(_END)
                if ends:
                    for v in ends:
                        if not include_low and v.rank == 0:
                            continue
                        if v.exact is not None and exact[i:j] != v.exact:
                            continue
                        if v.latin_start and i > 0 and _is_ascii_alnum(folded[i - 1]):
                            continue
                        if v.latin_end and j < n and _is_ascii_alnum(folded[j]):
                            continue
                        cands.append((j - i, v.rank, i, j, v.term))
                if j >= n:
                    break
                node = node.get(folded[j])
                j += 1
        if not cands:
            return []
        cands.sort(key=lambda c: (-c[0], -c[1], c[2]))
        taken = bytearray(n)
        chosen: list[tuple[int, int, int]] = []
        for _, _, i, j, ti in cands:
            if any(taken[i:j]):
                continue
            taken[i:j] = b"\x01" * (j - i)
            chosen.append((i, j, ti))
        chosen.sort()
        return [TermHit(i, j, text[i:j], self.terms[ti].canonical, self.terms[ti].acronym)
                for i, j, ti in chosen]

    def term_for(self, hit: TermHit) -> Term:
        """The entry a hit came from (by its matched text, then by its canonical form)."""
        ti = self._by_key.get(_fold_lower(_squash(hit.source)))
        if ti is not None:
            return self.terms[ti]
        for t in self.terms:
            if t.canonical == hit.canonical and t.acronym == hit.acronym:
                return t
        raise KeyError(f"no glossary entry for {hit.source!r} ({hit.canonical})")

    # ----------------------------------------------------------------- English side

    def _build_normalizer(self) -> None:
        # key (lower-case, single spaces) -> (term index, "wrong" | "canonical"). Canonical
        # forms are in the same regex so that text already right is consumed as a whole
        # and never rewritten again ("A-to-z Guarantee claim" is not re-expanded).
        table: dict[str, tuple[int, str]] = {}
        for ti, t in enumerate(self.terms):
            if _has_edges(t.canonical):
                table.setdefault(_en_key(t.canonical), (ti, "canonical"))
        for ti, t in enumerate(self.terms):
            for w in t.wrong_renderings:
                table[_en_key(w)] = (ti, "wrong")  # a later (user) entry wins
        self._norm_table = table
        # Forms whose repetition in brackets is collapsed: every canonical, wrong rendering
        # and acronym, keyed to its term; an acronym in brackets is never a repeat.
        keys: dict[str, int] = {k: ti for k, (ti, _) in table.items()}
        acr: dict[int, str] = {}
        for ti, t in enumerate(self.terms):
            if t.acronym and _has_edges(t.acronym):
                keys.setdefault(_en_key(t.acronym), ti)
                acr[ti] = _en_key(t.acronym)
        self._repeat_keys = keys
        self._repeat_acr = acr
        if keys:
            forms = "|".join(_phrase_re(k) for k in sorted(keys, key=lambda k: (-len(k), k)))
            self._repeat_re: re.Pattern[str] | None = re.compile(
                rf"(?<![{_ALNUM}])(?P<a>{forms})(?P<apl>(?:e?s)?)[ \t]*[(（][ \t]*"
                rf"(?P<b>{forms})(?:e?s)?[ \t]*[)）](?![{_ALNUM}])", re.IGNORECASE | re.ASCII)
        else:
            self._repeat_re = None
        if not table:
            self._norm_re: re.Pattern[str] | None = None
            return
        alts = sorted(table, key=lambda k: (-len(k), k))
        self._norm_re = re.compile(
            rf"(?<![{_ALNUM}])({'|'.join(_phrase_re(a) for a in alts)})((?:e?s)?)(?![{_ALNUM}])",
            re.IGNORECASE | re.ASCII)

    def _lookup(self, core: str) -> tuple[int, str] | None:
        return self._norm_table.get(_en_key(core))

    def _canonical_fix(self, core: str, canonical: str) -> str | None:
        """Case repair of a canonical form: only for names with inner capitals, and only
        where the writer used inner capitals too ("A-to-Z Guarantee Claim" ->
        "A-to-z Guarantee claim"); plain lower case is left alone."""
        if _squash(core) == canonical:
            return None
        if not any(c.isupper() for c in canonical[1:]):
            return None
        if not any(c.isupper() for c in core[1:]):
            return None
        if core[:1].isupper():  # sentence start or title: keep the writer's capital
            canonical = canonical[:1].upper() + canonical[1:]
        return None if canonical == _squash(core) else canonical

    def _extend(self, text: str, start: int, end: int, plural: str, canonical: str,
                floor: int) -> tuple[int, int, str]:
        """Swallow words the canonical form already has next to the wrong rendering, so
        "AtoZ claims" becomes "A-to-z Guarantee claims", not "... claim claims", and
        "Amazon brand filing" becomes "Amazon Brand Registry", not "Amazon Amazon ..."."""
        words = canonical.split(" ")
        flags = re.IGNORECASE | re.ASCII
        if not plural:
            for k in range(len(words) - 1, 0, -1):
                tail = re.compile(r"\s+" + _phrase_re(" ".join(words[-k:]))
                                  + rf"((?:e?s)?)(?![{_ALNUM}])", flags)
                m = tail.match(text, end)
                if m:
                    end, plural = m.end(), m.group(1)
                    break
        for k in range(len(words) - 1, 0, -1):
            head = re.compile(rf"(?<![{_ALNUM}])" + _phrase_re(" ".join(words[:k])) + r"\s+\Z",
                              flags)
            m = head.search(text, floor, start)
            if m:
                start = m.start()
                break
        return start, end, plural

    def normalize(self, english: str) -> tuple[str, list[Change]]:
        """Replace wrong renderings with canonical terms; one Change per replacement."""
        if not english or self._norm_re is None:
            return english, []
        out: list[str] = []
        changes: list[Change] = []
        pos = 0
        for m in self._norm_re.finditer(english):
            if m.start() < pos:
                continue  # inside a span an earlier replacement swallowed
            found = self._lookup(m.group(1))
            if found is None:
                continue
            ti, kind = found
            term = self.terms[ti]
            if kind == "canonical":
                start, end, plural = m.start(), m.end(), m.group(2)
                caps = _caps_line(english, start, end)
                fixed = None if caps else self._canonical_fix(m.group(1), term.canonical)
                if plural and term.plural_form != term.canonical + plural.lower():
                    # "Fulfillment by Amazons" (a name has no plural), "Plan of Actions"
                    # (the plural is "Plans of Action"): the engine's context added an "s".
                    form = term.plural_form
                    if form is None:
                        replacement = fixed or m.group(1)
                        message = f"“{term.canonical}” is a name: it has no plural"
                    else:
                        replacement = _shape(form, m.group(1), _sentence_start(english, start),
                                             caps)
                        message = f"the plural of “{term.canonical}” is “{form}”"
                elif fixed is None:
                    continue
                else:
                    replacement = fixed + plural
                    message = f"the Amazon term is written “{term.canonical}”"
            else:
                start, end, plural = self._extend(english, m.start(), m.end(), m.group(2),
                                                  term.canonical, pos)
                base = (term.plural_form or term.canonical) if plural else term.canonical
                before = english[start:end]
                replacement = _shape(base, before, _sentence_start(english, start),
                                     _caps_line(english, start, end))
                message = f"“{before}” is not Amazon's term: “{term.canonical}”"
            before = english[start:end]
            if replacement == before:
                continue
            out.append(english[pos:start])
            out.append(replacement)
            changes.append(Change(f"glossary:{term.canonical}", before, replacement, message, STEP))
            pos = end
        if changes:
            out.append(english[pos:])
            english = "".join(out)
        english, more = self.collapse_repeats(english)
        return english, changes + more

    def collapse_repeats(self, english: str) -> tuple[str, list[Change]]:
        """Say a term once: "A-to-z Guarantee claim (A-to-z Guarantee claim)" becomes
        "A-to-z Guarantee claim". The Chinese often gives a term with its Latin form in
        brackets (亚马逊交易保障索赔（A-to-Z 索赔）), and both become the same English.
        "Order Defect Rate (ODR)" (a term and its acronym) is left as it is."""
        if not english or "(" not in english and "（" not in english:
            return english, []
        if self._repeat_re is None:
            return english, []
        out: list[str] = []
        changes: list[Change] = []
        pos = 0
        for m in self._repeat_re.finditer(english):
            first, second = m.group("a"), m.group("b")
            if _en_key(first) != _en_key(second):
                a, b = self._repeat_keys.get(_en_key(first)), self._repeat_keys.get(_en_key(second))
                if a is None or a != b or _en_key(second) == self._repeat_acr.get(a):
                    continue  # different terms, or "term (ACRONYM)"
            keep = first + m.group("apl")
            out.append(english[pos:m.start()])
            out.append(keep)
            changes.append(Change("glossary:repeat", m.group(0), keep,
                                  f"the term is said once: “{keep}”", STEP))
            pos = m.end()
        if not changes:
            return english, []
        out.append(english[pos:])
        return "".join(out), changes

    def normalize_text(self, english: str) -> str:
        return self.normalize(english)[0]

    def wrong_renderings_in(self, english: str) -> list[tuple[Term, str]]:
        """Wrong renderings (the replaceable ones) present in ``english``, in order."""
        if not english or self._norm_re is None:
            return []
        found: list[tuple[Term, str]] = []
        for m in self._norm_re.finditer(english):
            hit = self._lookup(m.group(1))
            if hit is not None and hit[1] == "wrong":
                found.append((self.terms[hit[0]], m.group(0)))
        return found

    def en_pattern(self, phrase: str) -> re.Pattern[str]:
        """Case-insensitive, plural-tolerant whole-word pattern for an English phrase."""
        key = _squash(phrase)
        pat = self._en_patterns.get(key)
        if pat is None:
            pat = re.compile(rf"(?<![{_ALNUM}]){_phrase_re(key)}(?:e?s)?(?![{_ALNUM}])",
                             re.IGNORECASE)
            self._en_patterns[key] = pat
        return pat

    # ----------------------------------------------------------------- term checks

    def accepted_spans(self, term: Term, english: str) -> list[tuple[int, int]]:
        """Where ``english`` renders ``term`` acceptably: the canonical form or an
        ``allowed`` alternative in any word form, or the acronym."""
        spans = [m.span() for phrase in (term.canonical, *term.allowed) if phrase
                 for m in rendering_re(phrase).finditer(english)]
        if term.acronym:
            spans += [m.span() for m in re.finditer(
                rf"(?<![{_ALNUM}]){re.escape(term.acronym)}s?(?![{_ALNUM}])", english)]
        return spans

    def term_problems(self, hits: Iterable[TermHit], english: str) -> list[TermProblem]:
        """The term-check logic, one home for the glossary step and QA. For each source
        term (once per canonical form):

        - "term-wrong" when a wrong rendering is used that is not inside an accepted
          rendering, or a flagged rendering while no accepted rendering is there at all
          ("returned goods" has "returned": accepted for 退货);
        - else "term-missing" when no accepted rendering is there (not for low-priority
          terms, whose flagged renderings are only a "term-missing" warning: the
          ambiguous Chinese may mean them)."""
        problems: list[TermProblem] = []
        seen: set[str] = set()
        for hit in hits:
            if not hit.canonical:
                continue
            try:
                term = self.term_for(hit)
            except KeyError:
                term = Term((hit.source,), hit.canonical, hit.acronym)
            if term.canonical in seen:
                continue
            seen.add(term.canonical)
            accepted = self.accepted_spans(term, english)
            wrong = wrong_kind = ""
            for kind, renderings in (("replace", term.wrong_renderings),
                                     ("flag", term.flag_renderings)):
                for w in renderings:
                    for m in self.en_pattern(w).finditer(english):
                        # A replaceable wrong rendering is excused only inside an accepted
                        # one; a flagged one (a common word) wherever the term is rendered.
                        if kind == "flag" and accepted:
                            break  # a common word, used in another sense
                        if not any(a <= m.start() and m.end() <= b for a, b in accepted):
                            wrong, wrong_kind = m.group(0), kind
                            break
                    if wrong:
                        break
                if wrong:
                    break
            if wrong and term.priority == "low" and wrong_kind == "flag":
                # An ambiguous source word (链接 is a listing or a real link): the flagged
                # rendering may be the right meaning, so it is a warning, not an error.
                problems.append(TermProblem("term-missing", hit, term, wrong))
            elif wrong:
                problems.append(TermProblem("term-wrong", hit, term, wrong))
            elif not accepted and term.priority != "low":
                problems.append(TermProblem("term-missing", hit, term))
        return problems

    def dictionary_words(self) -> list[str]:
        """Acronyms and oddly-cased words for a spelling checker's user dictionary."""
        words: set[str] = set()
        for t in self.terms:
            if t.acronym:
                words.add(t.acronym)
            # Latin Chinese-column variants only when all capitals (FBM, MFN): "AtoZ" is
            # a form the checker should keep flagging.
            sources = [t.canonical] + [v for v in t.zh_variants
                                       if re.fullmatch(r"[A-Z0-9]+", v)]
            for s in sources:
                for tok in re.findall(r"[A-Za-z0-9](?:[A-Za-z0-9'\-]*[A-Za-z0-9])?", s):
                    inner_caps = sum(c.isupper() for c in tok) >= 2
                    mixed = "-" in tok and any(c.isupper() for c in tok) \
                        and any(c.islower() for c in tok.split("-")[-1])
                    wrong = self._norm_table.get(_en_key(tok), (0, ""))[1] == "wrong"
                    if (inner_caps or mixed or any(c.isdigit() for c in tok)) and not wrong:
                        words.add(tok)
        return sorted(words, key=lambda w: (w.lower(), w))


def normalize_text(text: str, glossary: Glossary | None = None) -> str:
    """Amazon's terms in an English draft ("AtoZ claims" -> "A-to-z Guarantee claims")."""
    return (glossary or builtin_glossary()).normalize(text)[0]


# --------------------------------------------------------------------------- enforce step

class EnforceStep:
    """After translation: normalise wrong renderings, acronym first/later mentions, and
    note source terms whose English is missing or wrong."""

    name = STEP

    def __init__(self, glossary: Glossary, acronyms: bool = True) -> None:
        self.glossary = glossary
        self.acronyms = acronyms
        self._acr_terms = [t for t in glossary.terms
                           if t.acronym and t.acronym.lower() != t.canonical.lower()]
        self._acr_res = [(t, self._acronym_re(t)) for t in self._acr_terms]

    @staticmethod
    def _acronym_re(t: Term) -> re.Pattern[str]:
        acr = re.escape(t.acronym)
        edge = rf"[{_ALNUM}\-]"
        full = _phrase_re(t.canonical)
        plural = t.plural_form
        if plural and not _en_key(plural).startswith(_en_key(t.canonical)):
            full = f"{_phrase_re(plural)}|{full}"  # "Plans of Action (POA)"
        return re.compile(
            rf"(?<!{edge})(?:(?P<full>(?i:{full}))(?P<fpl>(?i:e?s))?"
            rf"(?P<paren>[ \t]*\([ \t]*{acr}s?[ \t]*\))?|(?P<bare>{acr})(?P<bpl>s)?)(?!{edge})")

    def __call__(self, doc: Document) -> Document:
        seen: set[str] = set()  # acronyms already introduced, in document order
        for seg in doc.segments:
            if seg.target is None or seg.reviewed:
                # English the reader sees as is (passthrough, or a reviewer's wording).
                if self.acronyms and (seg.reviewed or not seg.translatable):
                    self._mark_defined(seg.text, seen)
                if seg.reviewed:
                    self.check_terms(seg)
                continue
            text, changes = self.glossary.normalize(seg.target)
            if self.acronyms:
                text, more = self.apply_acronyms(text, seen)
                changes += more
            if changes:
                seg.changes.extend(changes)
                seg.target = text
            self.check_terms(seg)
        return doc

    def _mark_defined(self, text: str, seen: set[str]) -> None:
        for t, pat in self._acr_res:
            if any(m.group("full") for m in pat.finditer(text)):
                seen.add(t.acronym)

    def apply_acronyms(self, text: str, seen: set[str]) -> tuple[str, list[Change]]:
        """First mention "Order Defect Rate (ODR)", later mentions "ODR"; ``seen`` carries
        the state from segment to segment."""
        matches: list[tuple[int, int, Term, re.Match[str]]] = []
        for t, pat in self._acr_res:
            matches.extend((m.start(), m.end(), t, m) for m in pat.finditer(text))
        if not matches:
            return text, []
        matches.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        out: list[str] = []
        changes: list[Change] = []
        pos = 0
        for start, end, t, m in matches:
            if start < pos:
                continue
            acr = t.acronym
            before = m.group(0)
            if m.group("full") is not None:
                if acr not in seen:
                    seen.add(acr)
                    if m.group("paren"):
                        continue
                    after = f"{m.group('full')}{m.group('fpl') or ''} ({acr})"
                    why = f"first mention: “{t.canonical} ({acr})”"
                else:
                    plural = m.group("fpl") or (
                        t.plural_form and _en_key(m.group("full")) == _en_key(t.plural_form)
                        and _en_key(t.plural_form) != _en_key(t.canonical))
                    after = acr + ("s" if plural and t.plural_form else "")
                    why = f"later mention: “{acr}”"
            else:
                if acr in seen:
                    continue
                seen.add(acr)
                base = t.canonical if not m.group("bpl") else (t.plural_form or t.canonical)
                base = _shape(base, acr, _sentence_start(text, start))
                after = f"{base} ({acr})"
                why = f"first mention: “{t.canonical} ({acr})”"
            if after == before:
                continue
            out.append(text[pos:start])
            out.append(after)
            changes.append(Change("glossary:acronym", before, after, why, STEP))
            pos = end
        if not changes:
            return text, []
        out.append(text[pos:])
        return "".join(out), changes

    def check_terms(self, seg: Segment) -> None:
        """term-wrong (error) / term-missing (warning) notes for the segment's source terms
        (the logic is :meth:`Glossary.term_problems`, shared with QA)."""
        if not seg.terms or seg.target is None or seg.origin is Origin.ENGINE_FAILED:
            return
        for p in self.glossary.term_problems(seg.terms, seg.target):
            seg.note(p.code, p.message, p.severity, STEP)
