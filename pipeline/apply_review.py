"""apply-review: put a reviewer's English from a review DOCX into the final English DOCX.

The original input is read and segmented again (the review holds only text, the original
holds the formatting), rows are matched to segments by id and checked by fingerprint,
and every difference between what was expected and what came back is reported:

* edited rows: the reviewer's English replaces the machine translation;
* deleted rows: the segment keeps its machine translation (from ``<stem>.report.json``
  next to the review) or, without one, its source; listed;
* duplicated rows: the first (top-most) row wins; conflicting copies are listed;
* altered source cells (the Chinese was edited): the English is applied by id, flagged,
  and not stored in the translation memory (it may translate the edited Chinese);
* rows for a segment whose source changed in the original since the review was made
  ("stale"): not applied unless ``force``; listed;
* rows whose id moved (a paragraph was inserted in the original) but whose fingerprint
  matches exactly one sentence: applied there; listed as ``moved``;
* unknown ids: listed with their English;
* rows that could not be read (no id, too few cells): listed as ``unreadable``.

A review table split in two (Word's Split Table, LibreOffice) is read as one.
Everything is checked before anything is written: the review, the original, the memory
(opened, and writable) and the output names; then the English and the apply report
appear together (``fileio.OutputSet``) or not at all.

QA runs on the result, so a reviewer's typo in a number is flagged like a machine's.
A polish review (``Original | Polished``) is handled the same way and writes
``<stem>.polished.docx``; nothing from it goes into the (Chinese->English) memory.
Nothing is dropped silently: ``<stem>.apply-review.json`` records all of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .document import Document, Origin, Segment, Severity
from .docx.review_reader import REVIEWER_STATUSES, ReviewData, ReviewRow, read_review
from .errors import InputError
from .fileio import atomic_write_text
from .steps import run_steps

APPLY_VERSION = 1
REVIEW_SUFFIX = ".review"


@dataclass
class ApplyResult:
    review: Path
    source: Path
    doc: Document
    outputs: dict[str, Path] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # ids given the reviewer's English
    edited: list[dict[str, Any]] = field(default_factory=list)  # id, before, after
    confirmed: list[str] = field(default_factory=list)  # applied, unchanged, status ok/reviewed
    deleted: list[dict[str, Any]] = field(default_factory=list)  # id, source, kept, text
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # id, rows, conflict, ...
    altered_source: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    stale_ids: dict[str, int] = field(default_factory=dict, repr=False)
    moved: list[dict[str, Any]] = field(default_factory=list)  # matched by fingerprint
    unknown: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)  # rows not read
    empty: list[dict[str, Any]] = field(default_factory=list)  # English cleared: MT kept
    rejected: list[str] = field(default_factory=list)  # status "rejected": applied, not stored
    comments: list[dict[str, Any]] = field(default_factory=list)
    memory: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    baseline: bool = False  # a report with the machine translations was found

    def qa_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for note in self.qa_notes():
            counts[note["severity"]] += 1
        return counts

    def qa_notes(self) -> list[dict[str, Any]]:
        out = [{"id": "", **n.to_dict()} for n in self.doc.notes]
        for seg in self.doc.segments:
            out.extend({"id": seg.id, **n.to_dict()} for n in seg.notes)
        return out

    @property
    def has_errors(self) -> bool:
        return self.qa_counts()["error"] > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": APPLY_VERSION,
            "review": str(self.review),
            "source": str(self.source),
            "outputs": {k: str(v) for k, v in self.outputs.items()},
            "baseline_report": self.baseline,
            "counts": {
                "segments": len(self.doc.segments), "rows_applied": len(self.applied),
                "edited": len(self.edited), "confirmed": len(self.confirmed),
                "deleted": len(self.deleted), "duplicates": len(self.duplicates),
                "altered_source": len(self.altered_source), "stale": len(self.stale),
                "moved": len(self.moved),
                "unknown": len(self.unknown), "unreadable": len(self.unreadable),
                "empty": len(self.empty),
                "rejected": len(self.rejected),
            },
            "qa": self.qa_counts(),
            "warnings": self.warnings,
            "edited": self.edited,
            "deleted": self.deleted,
            "duplicates": self.duplicates,
            "altered_source": self.altered_source,
            "stale": self.stale,
            "moved": self.moved,
            "unknown": self.unknown,
            "unreadable": self.unreadable,
            "empty": self.empty,
            "rejected": self.rejected,
            "comments": self.comments,
            "memory": self.memory,
            "qa_notes": self.qa_notes(),
        }


def source_stem(review_path: Path, metadata: dict[str, Any]) -> str:
    """``draft`` for ``draft.review.docx`` (or the source file's stem from the metadata)."""
    source = metadata.get("source_path")
    if source:
        return Path(source).stem
    stem = Path(review_path).stem
    return stem[:-len(REVIEW_SUFFIX)] if stem.endswith(REVIEW_SUFFIX) else stem


@dataclass
class Baseline:
    """The draft's report: what each segment's English was before the review."""

    by_id: dict[str, dict[str, Any]]
    by_source: dict[str, dict[str, Any]]


def _load_baseline(review_path: Path, stems: list[str],
                   suffix: str = ".report.json") -> Baseline | None:
    """The report ``<stem>.report.json`` beside the review, if there is a readable one."""
    folder = Path(review_path).parent
    report = next((folder / f"{s}{suffix}" for s in dict.fromkeys(stems)
                   if (folder / f"{s}{suffix}").is_file()), None)
    if report is None:
        return None
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        entries = [s for s in data.get("segments", []) if isinstance(s, dict) and "id" in s]
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    by_source: dict[str, dict[str, Any]] = {}
    for e in entries:
        by_source.setdefault(str(e.get("source", "")), e)
    return Baseline({e["id"]: e for e in entries}, by_source)


def _machine_text(seg: Segment, baseline: Baseline | None) -> str | None:
    """The English the draft gave this segment, if the report has it for the same source."""
    if baseline is None:
        return None
    entry = baseline.by_id.get(seg.id)
    if not entry or entry.get("source") != seg.source:
        # The sentence may have moved (ids shift when the original gains a paragraph).
        entry = baseline.by_source.get(seg.source)
        if entry is None:
            return None
    final = entry.get("final")
    return final if isinstance(final, str) else None


def _keep_machine(seg: Segment, machine: str | None) -> str:
    """A segment without a usable row keeps the draft's English, else its source."""
    if machine is not None and seg.translatable and machine != seg.source:
        seg.target = machine
        seg.origin = Origin.MACHINE
        return "machine translation"
    if seg.translatable:
        seg.target = seg.source  # so QA reports the Chinese left in ("untranslated")
        return "source"
    return "source (not Chinese)"


def _group_rows(data: ReviewData, result: ApplyResult) -> dict[str, ReviewRow]:
    """First row per id; duplicates recorded (conflicting when their English differs)."""
    by_id: dict[str, list[ReviewRow]] = {}
    for row in data.rows:
        by_id.setdefault(row.id, []).append(row)
    first: dict[str, ReviewRow] = {}
    for seg_id, rows in by_id.items():
        first[seg_id] = rows[0]
        if len(rows) > 1:
            variants = list(dict.fromkeys(r.english for r in rows))
            result.duplicates.append({
                "id": seg_id, "rows": [r.row for r in rows], "conflict": len(variants) > 1,
                "used_row": rows[0].row, "used": rows[0].english,
                "ignored": [{"row": r.row, "english": r.english} for r in rows[1:]
                            if r.english != rows[0].english],
            })
    return first


def _assign(doc: Document, rows: dict[str, ReviewRow], force: bool,
            result: ApplyResult) -> dict[str, ReviewRow]:
    """Segment id -> the row that applies to it.

    1. same id and same fingerprint (or no fingerprint left in the row);
    2. a row whose id no longer fits but whose fingerprint matches exactly one free
       segment: the sentence moved (a paragraph was inserted above it in the original);
    3. same id, different fingerprint: the sentence changed in the original ("stale"),
       applied only with ``force``;
    4. anything else is unknown.
    """
    segs = {s.id: s for s in doc.segments}
    fps = {s.id: _fp(s.source) for s in doc.segments}
    assigned: dict[str, ReviewRow] = {}
    left: list[ReviewRow] = []
    for seg_id, row in rows.items():
        if seg_id in segs and (not row.fingerprint or row.fingerprint == fps[seg_id]):
            assigned[seg_id] = row
        else:
            left.append(row)
    by_fp: dict[str, list[str]] = {}
    for seg_id, fp in fps.items():
        by_fp.setdefault(fp, []).append(seg_id)
    still: list[ReviewRow] = []
    for row in left:
        free = [i for i in by_fp.get(row.fingerprint, []) if i not in assigned
                and not (i in rows and rows[i].fingerprint == fps[i])]
        if row.fingerprint and len(free) == 1:
            assigned[free[0]] = row
            result.moved.append({"row": row.row, "review_id": row.id, "id": free[0]})
        else:
            still.append(row)
    for row in still:
        if row.id in segs and row.id not in assigned:
            if force:
                assigned[row.id] = row
            result.stale_ids[row.id] = len(result.stale)
            result.stale.append({"id": row.id, "row": row.row, "review_source": row.source,
                                 "current_source": segs[row.id].source, "english": row.english,
                                 "applied": force, "kept": ""})
        else:
            result.unknown.append({"id": row.id, "row": row.row, "source": row.source,
                                   "english": row.english})
    return assigned


def apply_review(review_path: Path, source: Path | None = None, out_dir: Path | None = None,
                 memory_path: Path | str | None = None, force: bool = False,
                 glossaries: list[Path] | None = None, builtin_glossary: bool = True) -> ApplyResult:
    """Apply the review at ``review_path``; write ``<stem>.en.docx`` and
    ``<stem>.apply-review.json`` into ``out_dir`` (default: the review's folder)."""
    review_path = Path(review_path)
    data = read_review(review_path)
    tm = _open_memory(memory_path)  # before any work: a bad memory must not cost outputs
    try:
        return _apply(review_path, data, tm, source, out_dir, memory_path, force, glossaries,
                      builtin_glossary)
    finally:
        if tm is not None:
            tm.close()


def _open_memory(memory_path: Path | str | None) -> Any:
    if memory_path is None:
        return None
    from .memory import open_memory

    tm = open_memory(memory_path)
    if tm.readonly:
        tm.close()
        raise InputError(f"translation memory {tm.location} is read-only: the reviewed "
                         "sentences cannot be stored (nothing was written)")
    return tm


def _apply(review_path: Path, data: ReviewData, tm: Any, source: Path | None,
           out_dir: Path | None, memory_path: Path | str | None, force: bool,
           glossaries: list[Path] | None, builtin_glossary: bool) -> ApplyResult:
    from .docx.reader import read_docx
    from .docx.writer import write_docx
    from .fileio import OutputSet
    from .memory import current_user
    from .runner import sha256_file
    from .segment import segment_document

    warnings = list(data.warnings)
    src = Path(source) if source is not None else data.source_path
    if src is None:
        raise InputError(f"{review_path}: the review does not name its original: pass --source")
    if not src.is_file():
        raise InputError(f"original document {src} not found (moved?): pass --source")
    expected_sha = str(data.metadata.get("source_sha256") or "")
    if expected_sha and sha256_file(src) != expected_sha:
        warnings.append(f"{src} has changed since the review was made: rows whose sentence "
                        "changed are not applied" + ("" if not force else " (--force: applied)"))

    # Polish reviews (English drafts) are segmented and named as `pipeline polish` does.
    polish = data.mode == "polish"
    doc = read_docx(src)
    if polish:
        from .polish import segment_english

        for block in doc.blocks:
            segment_english(block)
    else:
        segment_document(doc)
    doc.run.source_sha256 = sha256_file(src)
    stem = source_stem(review_path, {"source_path": str(src)})
    report_suffix = ".polished.report.json" if polish else ".report.json"
    baseline = _load_baseline(review_path, [source_stem(review_path, data.metadata),
                                            source_stem(review_path, {}), stem], report_suffix)
    result = ApplyResult(review_path, src, doc, warnings=warnings, baseline=baseline is not None,
                         unreadable=list(data.unreadable))
    if baseline is None:
        warnings.append(f"no {stem}{report_suffix} beside the review: edits cannot be told "
                        "from unchanged rows, and deleted rows keep the source text")

    rows = _group_rows(data, result)
    assigned = _assign(doc, rows, force, result)
    store: list[tuple[str, str]] = []
    for seg in doc.segments:
        machine = _machine_text(seg, baseline)
        row = assigned.get(seg.id)
        if row is None:
            kept = _keep_machine(seg, machine)
            if seg.id in result.stale_ids:
                result.stale[result.stale_ids[seg.id]]["kept"] = kept
            else:
                result.deleted.append({"id": seg.id, "source": seg.source, "kept": kept,
                                       "text": seg.text})
            continue
        altered = row.source_altered or (row.has_source and not row.fingerprint
                                         and row.source != seg.source)
        if altered:
            result.altered_source.append({"id": seg.id, "row": row.row,
                                          "original_source": seg.source,
                                          "review_source": row.source, "english": row.english})
        english = row.english
        if not english:
            kept = _keep_machine(seg, machine)
            result.empty.append({"id": seg.id, "row": row.row, "kept": kept, "text": seg.text})
            continue
        if not seg.translatable and english == seg.source:
            continue  # a passthrough row left alone: nothing to apply
        before = machine if machine is not None else (None if seg.translatable else seg.source)
        seg.target = english
        seg.origin = Origin.REVIEWED
        result.applied.append(seg.id)
        # Without the draft's report an edit cannot be told from an untouched row.
        edited = before is not None and english != before
        if edited:
            result.edited.append({"id": seg.id, "row": row.row, "before": before,
                                  "after": english})
        elif row.status in ("ok", "reviewed"):
            result.confirmed.append(seg.id)
        if row.status and row.status not in REVIEWER_STATUSES and row.status not in _KNOWN:
            warnings.append(f"row {row.row} ({seg.id}): unknown status {row.status!r}")
        if row.status == "rejected":
            result.rejected.append(seg.id)  # applied (it is the reviewer's text) but not stored
            continue
        # Only what a person vouched for goes into the memory as "reviewed": an edit, or
        # a row marked ok/reviewed. An English written for an edited Chinese is not stored.
        if not polish and seg.translatable and not altered and seg.id not in result.stale_ids and \
                (edited or row.status in ("ok", "reviewed")):
            store.append((seg.zh, english))  # the memory is keyed on Simplified text

    result.comments = [{"id": c.segment_id, "row": c.row, "author": c.author, "text": c.text}
                       for c in data.comments]

    _run_qa(doc, glossaries, builtin_glossary)

    folder = Path(out_dir) if out_dir is not None else review_path.parent
    english_path = folder / f"{stem}{'.polished.docx' if polish else '.en.docx'}"
    report_path = folder / f"{stem}.apply-review.json"
    if english_path.resolve() == src.resolve() or english_path.resolve() == review_path.resolve():
        raise InputError(f"{english_path}: refusing to overwrite an input")
    with OutputSet(force=True) as outputs:
        outputs.stage(english_path, lambda tmp: write_docx(doc, tmp, force=True))
        result.outputs = {"english": english_path, "report": report_path}
        if tm is not None and store:
            res = tm.store_many(store, "reviewed", str(data.metadata.get("model", "")),
                                str(data.metadata.get("glossary", "")),
                                author=current_user(), source_file=review_path.name)
            result.memory = {"path": tm.location, "stored": len(store),
                             "inserted": res.inserted, "updated": res.updated,
                             "unchanged": res.unchanged}
        elif tm is not None:
            result.memory = {"path": tm.location, "stored": 0}
        outputs.stage(report_path, lambda tmp: atomic_write_text(
            tmp, json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"))
        outputs.commit()
    return result


# Statuses the review writer writes; "memory-fuzzy" was an origin older versions listed.
_KNOWN = {o.value for o in Origin} | {"memory-fuzzy"}


def _fp(source: str) -> str:
    from .docx.review_writer import fingerprint

    return fingerprint(source)


def _run_qa(doc: Document, glossaries: list[Path] | None, builtin: bool = True) -> None:
    from .glossary import load_glossaries
    from .qa import QAStep

    glossary = load_glossaries(list(glossaries or []), builtin=builtin) \
        if glossaries or builtin else None
    run_steps(doc, [QAStep(glossary=glossary)])
