"""Edit planning: guarded spans no edit may touch, sentence starts, which findings become
edits (the allow-lists) and which become notes, applying edits and the check-again passes."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from .. import wordsplit
from ..document import Change, Note, Severity
from ..postedit import (
    edit_context,
    next_to_chinese,
    overlaps,
)
from .backends import _ONE_SUGGESTION, MAX_PASSES, STEP, Finding, GrammarBackend
from .guards import at_sentence_start, guarded_spans
from .spelling import _fix_log_p, capitalization_ok, spelling_candidates, spelling_fix


# ----------------------------------------------------------------------------- correcting
@dataclass
class _Edit:
    start: int
    end: int
    new: str
    rule: str
    message: str


def _note_for(f: Finding) -> Note:
    sugg = ", ".join(f"“{r}”" for r in f.replacements[:3] if r != f.text)
    text = f"“{f.text}”: {f.message}" + (f" (suggestions: {sugg})" if sugg else "")
    return Note(f"grammar-{f.category}", text, f.severity, STEP)


def plan_edits(text: str, findings: Sequence[Finding], words: tuple[str, ...],
               disabled: Collection[str] = (),
               extra_auto: Mapping[str, str] | None = None,
               protected: Collection[str] = ()) -> tuple[list[_Edit], list[Note]]:
    """Decide, for each finding, an automatic edit, a note, or nothing (protected span).

    ``disabled`` names rules never applied (their findings become notes; "wordsplit" turns
    the joined-word splitter off); ``extra_auto`` maps more rules to a category to apply
    automatically. Both are for measuring (bench/jfleg_gleu.py). ``protected`` holds more
    words never split or respelt: the words of the glossary's terms ("chargeback")."""
    guarded = guarded_spans(text, words)
    protected_words = frozenset(words) | frozenset(protected)
    edits: list[_Edit] = []
    notes: list[Note] = []
    for f in findings:
        if overlaps(f.start, f.end, guarded) or next_to_chinese(text, f.start, f.end):
            continue
        if extra_auto and f.rule in extra_auto and not f.auto:
            f = replace(f, auto=True, category=extra_auto[f.rule])
        if disabled and f.rule in disabled and f.auto:
            f = replace(f, auto=False)
        tag = f"{f.source}:{f.rule}"
        if f.category in ("spelling", "split"):
            split = None
            if wordsplit.is_splittable(f.text) and "wordsplit" not in disabled:
                split = wordsplit.split_joined(f.text, protected_words,
                                               [r for r in f.replacements if " " in r])
            fix = None
            if f.auto and f.text.lower() not in protected_words:
                fix = spelling_fix(text, f)
            if split is not None and fix is not None and \
                    _fix_log_p(f.text, fix) > wordsplit.split_log_p(split):
                split = None  # "langage" is "language", not "lang age"
            if split is not None:
                edits.append(_Edit(f.start, f.end, split, "wordsplit",
                                   f"joined words split ({tag})"))
                continue
            if fix is not None and f.category == "spelling":
                edits.append(_Edit(f.start, f.end, fix, tag, f.message))
                continue
            if fix is not None:  # a split the checker suggested that is really a misspelling
                edits.append(_Edit(f.start, f.end, fix, f"{f.source}:SpellCheck", f.message))
                continue
            if f.category == "spelling" and f.text.isalpha() and f.text[1:].islower():
                ranked = [c for _, c in spelling_candidates(f.text, f.replacements)[:3]]
                if ranked:  # the likeliest corrections first
                    cap = f.text[0].isupper()
                    f = replace(f, replacements=[c[0].upper() + c[1:] if cap else c
                                                 for c in ranked])
            note = _note_for(f)
            if f.text[:1].isupper() and not at_sentence_start(text, f.start):
                note.severity = Severity.INFO  # most likely a name (Huaqiang, Yiwu)
            notes.append(note)
            continue
        if not f.auto or not f.replacements:
            notes.append(_note_for(f))
            continue
        if f.rule in _ONE_SUGGESTION and f.source == "harper" and (
                len(f.replacements) != 1 or " " in f.replacements[0].strip()):
            notes.append(_note_for(f))
            continue
        new = f.replacements[0]
        if "\n" in new or new == f.text:
            continue
        if f.category == "capitalization" and not capitalization_ok(text, f, new):
            continue  # after "Ltd." or "3.": not a sentence start, not worth a note
        edits.append(_Edit(f.start, f.end, new, tag, f.message))
    return edits, notes


def apply_edits(text: str, edits: Sequence[_Edit]) -> tuple[str, list[Change]]:
    """Apply non-overlapping edits from the end backwards; returns text and Changes."""
    changes: list[Change] = []
    limit = len(text) + 1
    out = text
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if e.end > limit or (e.end == limit and e.start == e.end):
            continue  # overlaps an edit already applied
        before, after = edit_context(text, e.start, e.end, e.new)
        out = out[:e.start] + e.new + out[e.end:]
        changes.append(Change(e.rule, before, after, e.message, STEP))
        limit = e.start
    changes.reverse()
    return out, changes


def correct(text: str, backend: GrammarBackend, words: tuple[str, ...] = (),
            disabled: Collection[str] = (), extra_auto: Mapping[str, str] | None = None,
            protected: Collection[str] = ()) -> tuple[str, list[Change], list[Note]]:
    """Check, apply the allowed fixes, re-check until stable; notes from the last check."""
    changes: list[Change] = []
    notes: list[Note] = []
    seen = {text}
    for n in range(MAX_PASSES + 1):
        edits, notes = plan_edits(text, backend.check(text), words, disabled, extra_auto,
                                  protected)
        if not edits or n == MAX_PASSES:
            break
        new, made = apply_edits(text, edits)
        if new in seen:  # an edit undoing another: stop here
            break
        seen.add(new)
        text = new
        changes.extend(made)
    unique = list({(nt.code, nt.message): nt for nt in notes}.values())
    return text, changes, unique


BATCH_CHARS = 20_000  # texts joined into one Harper call, at most this long
_SEPARATOR = "\n\n"


def check_many(backend: GrammarBackend, texts: Sequence[str]) -> list[list[Finding]]:
    """``backend.check`` on each text. Harper's cost is mostly per call (~1-2 ms), so
    texts are joined with blank lines into calls of up to ``BATCH_CHARS`` and the findings
    mapped back; a finding across a join is dropped. Other backends: one call each."""
    out: list[list[Finding]] = [[] for _ in texts]
    if backend.name != "harper":
        return [backend.check(t) for t in texts]
    batch: list[int] = []
    size = 0

    def flush() -> None:
        nonlocal batch, size
        if not batch:
            return
        starts: list[int] = []
        pos = 0
        for i in batch:
            starts.append(pos)
            pos += len(texts[i]) + len(_SEPARATOR)
        joined = _SEPARATOR.join(texts[i] for i in batch)
        for f in backend.check(joined):
            k = bisect.bisect_right(starts, f.start) - 1
            a = starts[k]
            if f.end > a + len(texts[batch[k]]):
                continue  # spans a join
            out[batch[k]].append(replace(f, start=f.start - a, end=f.end - a))
        batch, size = [], 0

    for i, t in enumerate(texts):
        if not t.strip():
            continue
        if _SEPARATOR in t or "\r" in t or t != t.strip():
            out[i] = backend.check(t)  # its own paragraphs or edges: alone
            continue
        if size + len(t) > BATCH_CHARS:
            flush()
        batch.append(i)
        size += len(t) + len(_SEPARATOR)
    flush()
    return out


def correct_many(texts: Sequence[str], backend: GrammarBackend, words: tuple[str, ...] = (),
                 disabled: Collection[str] = (), extra_auto: Mapping[str, str] | None = None,
                 protected: Collection[str] = ()) -> list[tuple[str, list[Change], list[Note]]]:
    """:func:`correct` on many texts at once: each pass checks every text still changing
    in one batch (:func:`check_many`)."""
    cur = list(texts)
    changes: list[list[Change]] = [[] for _ in texts]
    notes: list[list[Note]] = [[] for _ in texts]
    seen = [{t} for t in texts]
    active = list(range(len(texts)))
    for n in range(MAX_PASSES + 1):
        if not active:
            break
        found = check_many(backend, [cur[i] for i in active])
        still: list[int] = []
        for i, findings in zip(active, found, strict=True):
            edits, notes[i] = plan_edits(cur[i], findings, words, disabled, extra_auto,
                                         protected)
            if not edits or n == MAX_PASSES:
                continue
            new, made = apply_edits(cur[i], edits)
            if new in seen[i]:  # an edit undoing another: stop here
                continue
            seen[i].add(new)
            cur[i] = new
            changes[i].extend(made)
            still.append(i)
        active = still
    return [(cur[i], changes[i], list({(nt.code, nt.message): nt for nt in notes[i]}.values()))
            for i in range(len(texts))]


