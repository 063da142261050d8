"""The grammar step: post-edit rules, then a grammar checker, with only safe fixes applied.

Backends sit behind one interface, :class:`GrammarBackend` (``check(text) -> [Finding]``):

* ``harper`` (default): Harper through harper-py, offline and in-process. Plain-text mode;
  glossary terms, acronyms and brand names are added to its dictionary so they are never
  "corrected". One Linter per thread, created on first use and reused (cold start is
  ~0.5-0.8 s, then ~16 ms per 1000 words).
* ``languagetool``: a LanguageTool server you run (``--languagetool-url`` or
  ``PIPELINE_LANGUAGETOOL_URL``), through language-tool-python, with a 10 s timeout. If the
  server cannot be reached, at start or later, the step falls back to Harper and says so
  in the document (and segment) notes.
* ``none``: only the post-edit rules.

Only findings of an allow-list of rules are applied (spelling ranked by word frequency
and the neighbouring words, applied only when clearly the likeliest, joined words through
:mod:`pipeline.wordsplit`, agreement, "did" + base form, punctuation spacing, sentence
capitalisation, a/an, repeated words, a few one-reading word-form rules); everything else
becomes a ``Note`` for the reviewer, and rewrites that change content (the addressee) are
``grammar-suggestion`` notes. Edits are applied from the end of the text backwards, then
the text is checked again until nothing more is applied (at most ``MAX_PASSES`` times).
:meth:`GrammarStep.polish_many` / :func:`polish_texts` do this for many sentences at
once: Harper is called once per pass on all of them (its cost is mostly per call). No edit
touches a protected span: URLs, e-mail addresses, domain names, anything with a digit
(B0C1234XYZ, 24H), inner capitals (AtoZ, AliExpress), acronyms (ASIN) and the glossary's
words.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..document import Change, Document, Note, Severity
from ..errors import InputError
from ..postedit import (
    apply_postedit,
    apply_postedit_many,
    load_rules,
    suggestions,
)
from .backends import (
    BACKENDS,
    BUILTIN_WORDS,
    ENV_URL,
    LANGUAGETOOL_TIMEOUT_S,
    STEP,
    BackendUnavailable,
    GrammarBackend,
    HarperBackend,
    LanguageToolBackend,
    NoneBackend,
    harper_words,
)
from .edits import correct, correct_many
from .spelling import capitalize_start

if TYPE_CHECKING:
    from ..glossary import Glossary


# ----------------------------------------------------------------------------- the step
def _glossary_words(glossary: Glossary | None) -> list[str]:
    return [] if glossary is None else [str(w) for w in glossary.dictionary_words()]


def _glossary_terms(glossary: Glossary | None) -> list[str]:
    """Every term's canonical English (one-word terms and the words of longer ones)."""
    return [] if glossary is None else [t.canonical for t in glossary.terms]


class GrammarStep:
    """Post-edit rules, then the backend's allowed fixes, on every segment's English."""

    name = "grammar"

    def __init__(self, backend: str = "harper", languagetool_url: str | None = None,
                 glossary: Any = None, *, timeout: float = LANGUAGETOOL_TIMEOUT_S,
                 disabled: Collection[str] = (),
                 extra_auto: Mapping[str, str] | None = None) -> None:
        if backend not in BACKENDS:
            raise InputError(f"unknown grammar backend {backend!r} ({', '.join(BACKENDS)})")
        self.requested = backend
        self.languagetool_url = languagetool_url or os.environ.get(ENV_URL) or None
        self.glossary = glossary
        self.timeout = timeout
        self.words = tuple(sorted(set(BUILTIN_WORDS) | set(_glossary_words(glossary))))
        # The words of the glossary's terms: never split or respelt ("chargeback"), and
        # in the checker's dictionary so it does not flag them.
        self.protected = frozenset(w.lower() for w in harper_words(_glossary_terms(glossary)))
        # For measuring (bench/jfleg_gleu.py): rules to leave out ("postedit:<id>", a
        # checker rule, "wordsplit") and checker rules to apply automatically as well.
        self.disabled = frozenset(disabled)
        self.extra_auto = dict(extra_auto or {})
        self.rules = tuple(r for r in load_rules()
                           if f"postedit:{r.id}" not in self.disabled)
        self.fallback: str | None = None  # why LanguageTool was replaced by Harper
        self._backend: GrammarBackend | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> GrammarBackend:
        with self._lock:
            if self._backend is None:
                if self.requested == "none":
                    self._backend = NoneBackend()
                elif self.requested == "languagetool":
                    try:
                        self._backend = LanguageToolBackend(self.languagetool_url, self.timeout)
                    except BackendUnavailable as exc:
                        self._fall_back(str(exc))
                else:
                    self._backend = HarperBackend(self._harper_words())
            assert self._backend is not None
            return self._backend

    def _fall_back(self, reason: str) -> None:
        self.fallback = f"LanguageTool unavailable ({reason}); used Harper instead"
        self._backend = HarperBackend(self._harper_words())

    def _harper_words(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.words) | {w for w in self.protected if " " not in w}))

    def describe(self) -> str:
        b = self.backend
        text = f"{b.name} ({b.version})"
        if self.fallback:
            text += f"; {self.fallback}"
        return text

    def fallback_note(self) -> Note | None:
        if not self.fallback:
            return None
        return Note("grammar-fallback", self.fallback, Severity.WARNING, STEP)

    def polish(self, text: str) -> tuple[str, list[Change], list[Note]]:
        """Post-edit rules then the backend, on one string."""
        return self.polish_many([text])[0]

    def polish_many(self, texts: Sequence[str]) -> list[tuple[str, list[Change], list[Note]]]:
        """:meth:`polish` on many strings, with the checker called on all of them at once
        (Harper: one call per pass instead of one per sentence and pass)."""
        if self.backend.name != "harper":
            return [self._polish_one(t) for t in texts]
        cur: list[str] = []
        changes: list[list[Change]] = []
        for text in texts:
            made: list[Change] = []
            if "SentenceStart" not in self.disabled:  # before the rules: "in fact we"
                text, made = capitalize_start(text)
            cur.append(text)
            changes.append(made)
        for i, (text, more) in enumerate(apply_postedit_many(cur, self.rules)):
            cur[i] = text
            changes[i].extend(more)
        notes: list[list[Note]] = [[] for _ in texts]
        active = list(range(len(texts)))
        for _round in range(2):
            if not active:
                break
            results = correct_many([cur[i] for i in active], self.backend, self.words,
                                   self.disabled, self.extra_auto, self.protected)
            edited: list[int] = []
            for i, (text, more, found) in zip(active, results, strict=True):
                cur[i], notes[i] = text, found
                changes[i].extend(more)
                if more:
                    edited.append(i)
            # A split word can reveal a post-edit pattern ("Theseproblems has" ->
            # "These problems has"): run the rules again on the checker's output.
            still: list[int] = []
            again_all = apply_postedit_many([cur[i] for i in edited], self.rules)
            for i, (text, again) in zip(edited, again_all, strict=True):
                cur[i] = text
                changes[i].extend(again)
                if again:
                    still.append(i)
            active = still
        return [self._finish(cur[i], changes[i], notes[i]) for i in range(len(texts))]

    def _finish(self, text: str, changes: list[Change],
                notes: list[Note]) -> tuple[str, list[Change], list[Note]]:
        if "SentenceStart" not in self.disabled:
            text, cap = capitalize_start(text)
            changes.extend(cap)
        # Rewrites that would change content are offered, never made.
        return text, changes, suggestions(text, self.rules) + notes

    def _polish_one(self, text: str) -> tuple[str, list[Change], list[Note]]:
        changes: list[Change] = []
        if "SentenceStart" not in self.disabled:
            text, changes = capitalize_start(text)
        text, more = apply_postedit(text, self.rules)
        changes.extend(more)
        notes: list[Note] = []
        for _round in range(2):
            text, more, notes = self._correct(text)
            changes.extend(more)
            if not more:
                break
            text, again = apply_postedit(text, self.rules)
            changes.extend(again)
            if not again:
                break
        return self._finish(text, changes, notes)

    def _correct(self, text: str) -> tuple[str, list[Change], list[Note]]:
        backend = self.backend
        try:
            return correct(text, backend, self.words, self.disabled, self.extra_auto,
                           self.protected)
        except BackendUnavailable as exc:
            with self._lock:
                if self._backend is backend:
                    self._fall_back(str(exc))
            note = self.fallback_note()
            text, changes, notes = correct(text, self.backend, self.words, self.disabled,
                                           self.extra_auto, self.protected)
            if note is not None:
                notes.insert(0, note)
            return text, changes, notes

    def __call__(self, doc: Document) -> Document:
        # Untranslated, not Chinese, or a reviewer's wording: left alone.
        segs = [seg for seg in doc.segments if seg.target is not None and not seg.reviewed]
        for seg, (new, changes, notes) in zip(
                segs, self.polish_many([str(seg.target) for seg in segs]), strict=True):
            seg.target = new
            seg.changes.extend(changes)
            seg.notes.extend(notes)
        doc.run.grammar = self.describe()
        note = self.fallback_note()
        if note is not None:
            doc.run.grammar_fallback = self.fallback
            if not any(n.code == note.code for n in doc.notes):
                doc.notes.append(note)
        return doc


def polish_text(text: str, backend: str = "harper", languagetool_url: str | None = None,
                glossary: Any = None, *, step: GrammarStep | None = None,
                normalize_terms: bool = True) -> tuple[str, list[Change], list[Note]]:
    """Polish one English string: glossary normalisation (when a glossary is given),
    post-edit rules, then the backend. Pass ``step`` to reuse one across calls."""
    step = step or GrammarStep(backend, languagetool_url, glossary)
    gloss = step.glossary if step.glossary is not None else glossary
    text, changes = _normalize(text, gloss, normalize_terms)
    text, more, notes = step.polish(text)
    changes.extend(more)
    if step.fallback and not any(n.code == "grammar-fallback" for n in notes):
        note = step.fallback_note()
        if note is not None:
            notes.insert(0, note)
    return text, changes, notes


def polish_texts(texts: Sequence[str], *, step: GrammarStep,
                 normalize_terms: bool = True) -> list[tuple[str, list[Change], list[Note]]]:
    """:func:`polish_text` on many strings with one step, the checker called in batches
    (what `pipeline polish` runs on a document's sentences)."""
    pre: list[tuple[str, list[Change]]] = [_normalize(t, step.glossary, normalize_terms)
                                           for t in texts]
    out = []
    for (_, changes), (text, more, notes) in zip(
            pre, step.polish_many([t for t, _ in pre]), strict=True):
        if step.fallback and not any(n.code == "grammar-fallback" for n in notes):
            note = step.fallback_note()
            if note is not None:
                notes.insert(0, note)
        out.append((text, changes + more, notes))
    return out


def _normalize(text: str, gloss: Glossary | None, enabled: bool) -> tuple[str, list[Change]]:
    """Glossary normalisation: wrong renderings to the Amazon term."""
    if not enabled or gloss is None:
        return text, []
    text, found = gloss.fix_renderings(text)
    return text, [_as_change(c) for c in found]


def _as_change(c: Any) -> Change:
    if isinstance(c, Change):
        return c
    if isinstance(c, dict):
        return Change(str(c.get("rule", "glossary")), str(c.get("before", "")),
                      str(c.get("after", "")), str(c.get("message", "")), STEP)
    return Change("glossary", "", str(c), "glossary normalisation", STEP)
