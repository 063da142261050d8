"""Orchestration: build the steps once, then run documents through them.

``Pipeline.prepare`` (read, segment, memory, protect) and ``Pipeline.finish`` (glossary,
grammar, QA, write) are separate from translation so that ``pipeline batch`` can prepare
many documents, translate all their segments in one engine call, then finish each.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ENGINES
from .document import Document, Note, Severity
from .engine import EngineSettings
from .errors import InputError, OutputError
from .fileio import output_path
from .steps import FnStep, Step, run_steps, share_time, timed

OUTPUT_SUFFIXES = {"review": ".review.docx", "english": ".en.docx", "report": ".report.json"}


@dataclass
class RunOptions:
    out_dir: Path | None = None
    glossaries: list[Path] = field(default_factory=list)
    builtin_glossary: bool = True
    acronyms: bool = True
    grammar: str = "harper"  # harper | languagetool | none
    languagetool_url: str | None = None
    # An SQLite file, or a team's database as a postgresql:// URL (pipeline.memory.postgres).
    memory: Path | str | None = None
    fuzzy_threshold: float = 0.75
    model: Path | None = None  # an unpacked Argos package folder; default: installed or demo
    engine: EngineSettings = field(default_factory=EngineSettings)
    # Which engine translates: "argos" (in-process CTranslate2) or "libretranslate" (the
    # servers in engine_urls, see pipeline.libretranslate). The key is never printed.
    engine_kind: str = "argos"
    engine_urls: list[str] = field(default_factory=list)
    api_key: str | None = field(default=None, repr=False)
    qa: bool = True
    force: bool = False

    def fingerprint(self) -> str:
        """What changes the outputs (batch resume compares it)."""
        parts = [str(sorted(str(p) for p in self.glossaries)), str(self.builtin_glossary),
                 str(self.acronyms), self.grammar, str(self.model), repr(self.engine), str(self.qa)]
        if self.engine_kind != "argos":  # (kept out for argos: existing manifests stay valid)
            parts += [self.engine_kind, str(sorted(self.engine_urls))]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


@dataclass
class RunResult:
    doc: Document
    outputs: dict[str, Path]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Pipeline:
    """The configured steps. Heavy parts (model, Harper) are loaded on first use."""

    def __init__(self, options: RunOptions | None = None,
                 on_model: Callable[[Any], None] | None = None, *, engine: Any = None) -> None:
        """``engine``: what translates, instead of the one ``options`` describe (tests wrap
        the real engine to count or refuse calls); it must have ``translate(texts)``."""
        from .glossary import EnforceStep, load_glossaries
        from .protect import ProtectStep
        from .segment import SegmentStep

        self.options = o = options or RunOptions()
        from .grammar import BACKENDS

        if o.grammar not in BACKENDS:  # fail before any work, not after translating
            raise InputError(f"unknown grammar backend {o.grammar!r} ({', '.join(BACKENDS)})")
        if o.engine_kind not in ENGINES:
            raise InputError(f"unknown engine {o.engine_kind!r} ({', '.join(ENGINES)})")
        if o.engine_kind == "libretranslate":
            from .libretranslate import check_url

            if not o.engine_urls:
                raise InputError("--engine libretranslate needs at least one --engine-url")
            for url in o.engine_urls:
                check_url(url)
        self.glossary = load_glossaries(list(o.glossaries), builtin=o.builtin_glossary)
        self.segment = SegmentStep()
        self.protect = ProtectStep(self.glossary)
        self.enforce = EnforceStep(self.glossary, acronyms=o.acronyms)
        self._engine: Any = engine
        self._model: Any = None
        self._grammar: Any = None
        self._qa: Any = None
        self._memory: Any = None
        self._memory_step: Any = None
        self._on_model = on_model

    # -- lazily built parts -------------------------------------------------------
    @property
    def model(self) -> Any:
        """What translates: an Argos package's info, or a LibreTranslate engine's info."""
        if self._model is None:
            if self.options.engine_kind == "libretranslate":
                self._model = self.engine.info
            else:
                from .packages import find_model

                self._model = find_model("zh", "en", self.options.model)
            if self._on_model:
                self._on_model(self._model)
        return self._model

    @property
    def engine(self) -> Any:
        if self._engine is None:
            o = self.options
            if o.engine_kind == "libretranslate":
                from .libretranslate import LibreTranslateEngine

                self._engine = LibreTranslateEngine(o.engine_urls, o.api_key)
            else:
                from .engine import get_engine

                self._engine = get_engine(self.model, o.engine)
        return self._engine

    @property
    def grammar(self) -> Any:
        if self._grammar is None:  # backend "none" still applies the post-edit rules
            from .grammar import GrammarStep

            self._grammar = GrammarStep(self.options.grammar, self.options.languagetool_url,
                                        glossary=self.glossary)
        return self._grammar

    @property
    def qa(self) -> Any:
        if self._qa is None and self.options.qa:
            from .qa import QAStep

            self._qa = QAStep(glossary=self.glossary)
        return self._qa

    @property
    def memory(self) -> Any:
        if self._memory is None and self.options.memory is not None:
            from .memory import open_memory

            self._memory = open_memory(self.options.memory)
        return self._memory

    def engine_stats(self) -> list[dict[str, Any]]:
        """Per-server counts of a LibreTranslate engine; [] for the in-process engine."""
        if self.options.engine_kind == "libretranslate" and self._engine is not None:
            return self._engine.stats()
        return []

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    # -- the stages -----------------------------------------------------------------
    def outputs_for(self, path: Path, out_dir: Path | None = None) -> dict[str, Path]:
        folder = out_dir if out_dir is not None else self.options.out_dir
        return {k: output_path(path, folder, suffix) for k, suffix in OUTPUT_SUFFIXES.items()}

    def check_outputs(self, outputs: dict[str, Path]) -> None:
        if self.options.force:
            return
        existing = [p for p in outputs.values() if p.exists()]
        if existing:
            raise OutputError(f"{existing[0]} already exists (use --force to overwrite)")

    def prepare_steps(self) -> list[Step]:
        """What runs between reading and translating: segment -> memory -> protect."""
        memory = [FnStep("memory", self._run_memory)] if self.options.memory is not None \
            else []
        return [self.segment, *memory, self.protect]

    def finish_steps(self) -> list[Step]:
        """What runs between translating and writing: glossary -> grammar -> qa."""
        qa = [self.qa] if self.qa is not None else []
        return [self.enforce, FnStep("grammar", self._run_grammar), *qa]

    def _run_memory(self, doc: Document) -> None:
        from .memory import MemoryStep

        MemoryStep(self.memory, self.model.id, self.glossary.version,
                   self.options.fuzzy_threshold)(doc)

    def _run_grammar(self, doc: Document) -> None:
        self.grammar(doc)  # built on first use; it records doc.run.grammar(_fallback)

    def prepare(self, path: Path) -> Document:
        """read, then ``prepare_steps``."""
        from .docx.reader import read_docx

        path = Path(path)
        timings: dict[str, float] = {}
        with timed(timings, "read"):
            doc = read_docx(path)
        doc.run.timings.update(timings)
        doc.run.source_sha256 = sha256_file(path)
        return run_steps(doc, self.prepare_steps())

    def translate(self, docs: list[Document], engine: Any = None) -> int:
        """One engine call (``engine``, default the pipeline's) for the segments of all
        ``docs``, its time shared out by segment count; returns unique inputs sent."""
        from .translate import translate_segments

        segments = [s for d in docs for s in d.segments]
        t0 = time.perf_counter()
        sent = translate_segments(self.engine if engine is None else engine, segments)
        share_time(docs, "translate", time.perf_counter() - t0)
        return sent

    def finish(self, doc: Document, outputs: dict[str, Path],
               replace: Collection[Path] | None = None) -> RunResult:
        """``finish_steps`` (glossary -> grammar -> QA), then write (review, English, report).

        The three outputs are written to temporary files first and put in place together
        (``fileio.OutputSet``): a failure (full disk, an output that appeared meanwhile)
        leaves none of them. Existing outputs are replaced only with ``options.force``,
        or when listed in ``replace`` (batch: the files it wrote itself, untouched since);
        every other name must still be free when the outputs are placed (atomic check).
        """
        from .docx.review_writer import write_review
        from .docx.writer import write_docx
        from .fileio import OutputSet
        from .report import write_report

        run_steps(doc, self.finish_steps())
        self.describe(doc)
        allowed = {Path(p) for p in replace or ()}
        sets = {True: OutputSet(force=True), False: OutputSet(force=False)}

        def stage(kind: str, write: Callable[[Path], object]) -> None:
            path = outputs[kind]
            sets[self.options.force or path in allowed].stage(path, write)

        try:
            with timed(doc.run.timings, "write"):
                # The English DOCX first: if the input cannot be rebuilt, nothing is written.
                stage("english", lambda tmp: write_docx(doc, tmp, force=True))
                stage("review", lambda tmp: write_review(doc, tmp))
                if self.memory is not None:
                    from .memory import current_user, remember

                    remember(doc, self.memory, self.model.id, self.glossary.version,
                             author=current_user())
            # Last, outside the timer, so the report's timings include the write step.
            stage("report", lambda tmp: write_report(doc, tmp))
            # New names first (they can fail when taken); then the replacements.
            placed = sets[False].commit()
            try:
                sets[True].commit()
            except BaseException:
                for path in placed:  # all or nothing: take back the new names just placed
                    path.unlink(missing_ok=True)
                raise
        finally:
            for s in sets.values():
                s.discard()
        return RunResult(doc, outputs)

    def describe(self, doc: Document) -> None:
        m = self.model
        doc.run.model = {"name": m.name, "version": m.version, "demo": m.demo,
                         "label": m.label, "id": m.id, "path": str(m.path)}
        if self.engine_stats():
            doc.run.model["servers"] = self.engine_stats()
        if self._engine is not None and self._engine.device_note:
            doc.notes.append(Note("gpu-unusable", self._engine.device_note, Severity.WARNING,
                                  "translate"))
        doc.run.glossary = self.glossary.name
        doc.run.glossary_version = self.glossary.version
        from .memory import memory_label

        doc.run.memory = memory_label(self.options.memory)  # never a password

    def run(self, path: Path) -> RunResult:
        path = Path(path)
        outputs = self.outputs_for(path)
        self.check_outputs(outputs)
        doc = self.prepare(path)
        self.translate([doc])
        return self.finish(doc, outputs)


def run_document(path: Path, options: RunOptions | None = None) -> RunResult:
    pipeline = Pipeline(options)
    try:
        return pipeline.run(path)
    finally:
        pipeline.close()
