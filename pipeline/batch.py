"""`pipeline batch`: translate a whole library of appeal drafts with one model load.

Order of work (per *group* of documents; by default the group is every document):

1. prepare each document (read, segment, memory, protect), ``jobs`` threads at a time;
2. ONE translate over the segments of all prepared documents: identical engine inputs
   across documents go to the engine once (``translate_segments`` de-duplicates), fed in
   length-sorted slices so the progress bar and ETA move;
3. finish each document (glossary, grammar, QA, write, remember), ``jobs`` threads at a
   time, recording it in the manifest as soon as its three outputs are in place.

Never losing a person's work: the manifest also records the sha256 of each output the
batch wrote. An existing output is replaced only if it is still exactly what the batch
wrote (or with ``force``); an output edited since (a reviewed ``.review.docx``, an English
made by ``apply-review``) or one the manifest does not know is kept, and the document is
reported ``kept`` with the names and the reason. Outputs the batch may not replace are
placed with an atomic no-overwrite (``fileio.place``).

Resume: ``OUT_DIR/.pipeline-batch.json`` (+ its append-only journal ``.jsonl`` while a
run is going) maps each input (relative path) to the sha256 of
the input and a fingerprint of the settings (run options + model id + glossary version)
it was done with. A document whose entry matches and whose outputs all exist is skipped.
Every output is written atomically and the manifest entry only after all three, so a
run killed at any point leaves no half-written output and the next run redoes exactly
the documents that are not complete.

Failure isolation: an exception while preparing or finishing one document marks that
document failed (one-line reason) and the batch goes on.

Threads, not processes: each worker thread gets its own ``Pipeline`` (own Harper linter,
own SQLite connection); the engine is one per process (``engine.get_engine``) and is only
used from the main thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .batch_manifest import (  # noqa: F401  (MANIFEST, read_manifest: public names)
    MANIFEST,
    _clear_stale_tmp,
    _hash,
    _Manifest,
    _protected,
    read_manifest,
)
from .document import Document, Origin
from .errors import InputError, PipelineError
from .runner import Pipeline, RunOptions, sha256_file

LIBRARY_DIR = ".pipeline"  # SRC_DIR/.pipeline/memory.sqlite: the memory lives with the library
TRANSLATE_SLICE = 128  # sentences per engine call inside the one translate pass


def _label(memory: Path | str) -> str:
    from .memory import memory_label

    return memory_label(memory)


def default_memory(src_dir: Path) -> Path:
    return Path(src_dir) / LIBRARY_DIR / "memory.sqlite"


class Progress(Protocol):
    """What the batch reports; the CLI draws it with rich, tests pass nothing."""

    def start(self, task: str, total: int) -> None: ...
    def advance(self, task: str, n: int = 1) -> None: ...
    def add_total(self, task: str, n: int) -> None: ...


class NoProgress:
    def start(self, task: str, total: int) -> None:
        pass

    def advance(self, task: str, n: int = 1) -> None:
        pass

    def add_total(self, task: str, n: int) -> None:
        pass


@dataclass
class DocResult:
    file: str  # path relative to SRC_DIR, "/"-separated
    status: str  # "ok" | "skipped" (up to date) | "kept" (outputs edited by hand) | "failed"
    segments: int = 0
    memory_hits: int = 0  # exact memory hits used (reviewed or same-model machine)
    fuzzy: int = 0  # segments with a fuzzy memory suggestion
    machine: int = 0  # segments translated by the engine
    seconds: float = 0.0
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # outputs not replaced (relative paths)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "segments": self.segments,
                "memory_hits": self.memory_hits, "fuzzy": self.fuzzy,
                "machine": self.machine, "seconds": round(self.seconds, 3),
                "reason": self.reason, "outputs": self.outputs, "kept": self.kept}


@dataclass
class BatchResult:
    src_dir: Path
    out_dir: Path
    memory: Path | str | None  # a path or a postgresql:// URL (shown redacted)
    documents: list[DocResult] = field(default_factory=list)
    engine_inputs: int = 0  # unique inputs sent to the engine
    seconds: float = 0.0
    model: str = ""
    servers: list[dict[str, Any]] = field(default_factory=list)  # LibreTranslate: per server
    # Every text handed to the engine, in order (tests check there are no repeats).
    sent: list[str] = field(default_factory=list, repr=False)

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents if d.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "src_dir": str(self.src_dir), "out_dir": str(self.out_dir),
            "memory": _label(self.memory) if self.memory else None, "model": self.model,
            "servers": self.servers,
            "documents": [d.to_dict() for d in self.documents],
            "totals": {"files": len(self.documents), "ok": self.count("ok"),
                       "skipped": self.count("skipped"), "kept": self.count("kept"),
                       "failed": self.failed,
                       "segments": sum(d.segments for d in self.documents),
                       "memory_hits": sum(d.memory_hits for d in self.documents),
                       "engine_inputs": self.engine_inputs},
            "seconds": round(self.seconds, 3),
        }


# Word files a template library holds (see pipeline.docx.convert for how each is read).
INPUT_SUFFIXES = {".docx", ".dotx", ".docm", ".dotm", ".doc", ".dot", ".wps", ".wpt", ".rtf"}


def discover(src_dir: Path, out_dir: Path | None = None) -> list[Path]:
    """Every Word file (INPUT_SUFFIXES) under ``src_dir``, sorted; skips Word lock files
    (``~$x.docx``), hidden files and folders (``.pipeline``...), and the output folder if
    it lies inside."""
    src_dir = Path(src_dir)
    out_res = Path(out_dir).resolve() if out_dir is not None else None
    found: list[Path] = []
    for path in src_dir.rglob("*"):
        if path.suffix.lower() not in INPUT_SUFFIXES or path.name.startswith("~$"):
            continue
        rel = path.relative_to(src_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if out_res is not None and out_res in path.resolve().parents:
            continue
        if path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(src_dir).as_posix())


def _reason(exc: BaseException, path: Path | None = None) -> str:
    """One line; without the file's path in front (the summary's file column has it)."""
    text = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
    if path is not None and text.startswith(f"{path}: "):
        text = text[len(f"{path}: "):]
    return " ".join(text.split()) or type(exc).__name__


class _SlicedEngine:
    """Feeds the real engine length-sorted slices of one translate pass so progress can
    move, and records what it sent. Each text still reaches the engine exactly once."""

    def __init__(self, engine: Any, progress: Progress, sent: list[str]) -> None:
        self.engine = engine
        self.progress = progress
        self.sent = sent

    @property
    def max_input_tokens(self) -> int | None:
        return getattr(self.engine, "max_input_tokens", None)

    def count_tokens(self, text: str) -> int:
        count = getattr(self.engine, "count_tokens", None)
        return int(count(text)) if count is not None else len(text) + 1

    def translate(self, texts: list[str]) -> list[str]:
        self.progress.add_total("translate", len(texts))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = [""] * len(texts)
        for start in range(0, len(order), TRANSLATE_SLICE):
            idx = order[start:start + TRANSLATE_SLICE]
            for i, english in zip(idx, self.engine.translate([texts[i] for i in idx]),
                                  strict=True):
                out[i] = english
            self.progress.advance("translate", len(idx))
        self.sent.extend(texts)
        return out


class _Pipelines:
    """One Pipeline per thread: Harper linters and SQLite connections are per thread."""

    def __init__(self, options: RunOptions, on_model: Callable[[Any], None] | None) -> None:
        self.options = options
        self._local = threading.local()
        self._all: list[Pipeline] = []
        self._lock = threading.Lock()
        self._announced = False
        self._on_model = on_model

    def _announce(self, info: Any) -> None:
        with self._lock:
            if self._announced or self._on_model is None:
                return
            self._announced = True
        self._on_model(info)

    def get(self) -> Pipeline:
        p = getattr(self._local, "pipeline", None)
        if p is None:
            p = Pipeline(self.options, on_model=self._announce)
            self._local.pipeline = p
            with self._lock:
                self._all.append(p)
        return p

    def close(self) -> None:
        with self._lock:
            for p in self._all:
                p.close()
            self._all.clear()


@dataclass
class _Job:
    path: Path
    rel: str
    sha: str
    outputs: dict[str, Path]
    doc: Document | None = None
    replace: list[Path] = field(default_factory=list)  # existing outputs that are ours
    seconds: float = 0.0
    result: DocResult | None = None


def run_batch(src_dir: Path, out_dir: Path, options: RunOptions | None = None, *,
              use_memory: bool = True, jobs: int = 1, force: bool = False, group: int = 0,
              progress: Progress | None = None,
              on_model: Callable[[Any], None] | None = None,
              on_document: Callable[[DocResult], None] | None = None) -> BatchResult:
    """Translate every .docx under ``src_dir`` into ``out_dir`` (same relative paths).

    ``options.memory`` None and ``use_memory``: the library's memory
    (``src_dir/.pipeline/memory.sqlite``). ``group`` > 0 translates that many documents
    per engine pass (bounds memory and what a kill loses on huge libraries); 0 = all.
    ``on_document`` is called in the main thread after each finished document (the CLI
    does not use it; tests use it to stop a run half way).
    """
    t_start = time.perf_counter()
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    if not src_dir.is_dir():
        raise InputError(f"{src_dir} is not a folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    if out_dir.resolve() == src_dir.resolve():
        # The outputs would be read as inputs by the next run, and discover() skips the
        # output folder: the batch would silently do nothing.
        raise InputError(f"--out {out_dir} is the source folder: give a separate output "
                         "folder (it may lie inside the source folder)")
    options = options or RunOptions()
    if use_memory and options.memory is None:
        options = replace(options, memory=default_memory(src_dir))
    elif not use_memory:
        options = replace(options, memory=None)
    # Outputs go where the batch says; existing ones are replaced only with --force or
    # when they are still exactly what this batch wrote (see _protected).
    options = replace(options, out_dir=None, force=force)
    progress = progress or NoProgress()
    jobs = max(1, jobs)

    result = BatchResult(src_dir, out_dir, options.memory)
    pipelines = _Pipelines(options, on_model)
    manifest: _Manifest | None = None
    try:
        main = pipelines.get()
        # Open the memory now: one that cannot be opened (a database that does not
        # answer, a folder) stops the batch with one line before any work, instead of
        # failing every document.
        main.memory  # noqa: B018
        settings = f"{options.fingerprint()}|{main.model.id}|{main.glossary.version}"
        result.model = main.model.id
        manifest = _Manifest(out_dir)
        manifest.compact()

        files = discover(src_dir, out_dir)
        todo: list[_Job] = []
        by_output: dict[Path, str] = {}
        for path in files:
            rel = path.relative_to(src_dir).as_posix()
            folder = out_dir / path.relative_to(src_dir).parent
            job = _Job(path, rel, "", main.outputs_for(path, folder))
            clash = by_output.get(job.outputs["english"])
            if clash is not None:
                job.result = DocResult(rel, "failed", reason=f"same output names as {clash}")
                result.documents.append(job.result)
                continue
            by_output[job.outputs["english"]] = rel
            try:
                job.sha = sha256_file(path)
            except OSError as exc:
                job.result = DocResult(rel, "failed", reason=f"cannot read: {exc.strerror}")
                result.documents.append(job.result)
                continue
            if not force and manifest.up_to_date(rel, job.sha, settings, out_dir):
                entry = manifest.docs[rel]
                _clear_stale_tmp(job.outputs.values())  # a kill may have left some
                job.result = DocResult(rel, "skipped", segments=entry.get("segments", 0),
                                       reason="up to date",
                                       outputs=dict(entry.get("outputs", {})))
                result.documents.append(job.result)
                continue
            if not force:
                kept, job.replace = _protected(job.outputs, manifest.docs.get(rel), out_dir)
                if kept:
                    job.result = DocResult(
                        rel, "kept", reason="; ".join(f"{name} {why}" for name, why in kept)
                        + " (use --force to replace)", kept=[name for name, _ in kept])
                    result.documents.append(job.result)
                    continue
            todo.append(job)

        progress.start("prepare", len(todo))
        progress.start("translate", 0)
        progress.start("write", len(todo))
        size = group if group > 0 else max(1, len(todo))
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="batch") as pool:
            for start in range(0, len(todo), size):
                chunk = todo[start:start + size]
                _prepare_all(pool, pipelines, chunk, progress)
                _translate_all(main, [j for j in chunk if j.result is None], progress, result)
                _finish_all(pool, pipelines, chunk, out_dir, manifest, settings, progress,
                            result, on_document)
    finally:
        if manifest is not None:
            manifest.compact()
        pipelines.close()
    order = {p.relative_to(src_dir).as_posix(): i for i, p in enumerate(discover(src_dir, out_dir))}
    result.documents.sort(key=lambda d: order.get(d.file, len(order)))
    result.seconds = time.perf_counter() - t_start
    result.servers = main.engine_stats()
    return result


def _prepare_all(pool: ThreadPoolExecutor, pipelines: _Pipelines, chunk: list[_Job],
                 progress: Progress) -> None:
    def prepare(job: _Job) -> None:
        t0 = time.perf_counter()
        try:
            job.doc = pipelines.get().prepare(job.path)
        except Exception as exc:  # one bad file never stops the batch
            job.result = DocResult(job.rel, "failed", reason=_reason(exc, job.path))
        job.seconds += time.perf_counter() - t0

    futures = [pool.submit(prepare, job) for job in chunk]
    for fut in as_completed(futures):
        fut.result()
        progress.advance("prepare")


def _translate_all(main: Pipeline, ready: list[_Job], progress: Progress,
                   result: BatchResult) -> None:
    docs = [j.doc for j in ready if j.doc is not None]
    if not any(s.translatable and s.target is None for d in docs for s in d.segments):
        return  # everything came from memory: do not even load the engine
    try:  # the runner's translate: one engine call, its time shared out by segment count
        engine = _SlicedEngine(main.engine, progress, result.sent)
        result.engine_inputs += main.translate(docs, engine=engine)
    except Exception as exc:  # the engine itself failed: every document of this pass fails
        for job in ready:
            job.result = DocResult(job.rel, "failed", reason=f"translation failed: {_reason(exc)}")
        return
    for job in ready:
        if job.doc is not None:
            job.seconds += job.doc.run.timings["translate"]


def _finish_all(pool: ThreadPoolExecutor, pipelines: _Pipelines, chunk: list[_Job],
                out_dir: Path, manifest: _Manifest, settings: str, progress: Progress,
                result: BatchResult, on_document: Callable[[DocResult], None] | None) -> None:
    def finish(job: _Job) -> DocResult:
        if job.result is not None:  # failed earlier
            return job.result
        assert job.doc is not None
        t0 = time.perf_counter()
        try:
            _clear_stale_tmp(job.outputs.values())
            pipelines.get().finish(job.doc, job.outputs, replace=job.replace)
        except Exception as exc:
            job.seconds += time.perf_counter() - t0
            return DocResult(job.rel, "failed", segments=len(job.doc.segments),
                             seconds=job.seconds, reason=_reason(exc, job.path))
        job.seconds += time.perf_counter() - t0
        doc = job.doc
        res = DocResult(
            job.rel, "ok", segments=len(doc.segments),
            memory_hits=sum(1 for s in doc.segments if s.origin is Origin.MEMORY_EXACT),
            fuzzy=sum(1 for s in doc.segments if s.fuzzy),
            machine=sum(1 for s in doc.segments if s.origin is Origin.MACHINE),
            seconds=job.seconds,
            outputs={k: p.relative_to(out_dir).as_posix() for k, p in job.outputs.items()})
        manifest.record(job.rel, {
            "status": "ok", "sha256": job.sha, "settings": settings,
            "segments": res.segments, "outputs": res.outputs,
            "hashes": {k: _hash(p) for k, p in job.outputs.items()},
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        job.doc = None  # free the document: big libraries stay within memory
        return res

    futures: list[Future[DocResult]] = [pool.submit(finish, job) for job in chunk]
    try:
        for fut in as_completed(futures):
            res = fut.result()
            result.documents.append(res)
            progress.advance("write")
            if on_document is not None:
                on_document(res)
    except BaseException:
        for fut in futures:  # stop what has not started; running ones finish cleanly
            fut.cancel()
        raise
