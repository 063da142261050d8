"""`pipeline batch`: translate every .docx under a folder, model loaded once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import check_languagetool_url, console, out, print_json, user_errors
from .run import (
    Acronyms,
    ApiKey,
    BatchSize,
    BatchTokens,
    BeamSize,
    ComputeType,
    ConfigFile,
    Device,
    EngineKind,
    EngineUrls,
    Glossaries,
    Grammar,
    InterThreads,
    IntraThreads,
    LanguageToolUrl,
    LengthPenalty,
    MaxLength,
    ModelDir,
    NoBuiltinGlossary,
    NoQA,
    announce_model,
    engine_options,
    resolved_options,
    show_servers,
)

_LABELS = {"prepare": "read + segment", "translate": "translate (segments)",
           "write": "glossary, grammar, write"}


class RichProgress:
    """The batch's progress as rich bars on stderr (files for read/write, segments for
    the engine), each with its ETA."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("{task.description:<26}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                            TimeRemainingColumn(), console=console, transient=False)
        self.tasks: dict[str, Any] = {}
        self.totals: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def start(self, task: str, total: int) -> None:
        self.totals[task] = total
        self.tasks[task] = self.bar.add_task(_LABELS.get(task, task), total=total)

    def advance(self, task: str, n: int = 1) -> None:
        self.bar.advance(self.tasks[task], n)

    def add_total(self, task: str, n: int) -> None:
        self.totals[task] += n
        self.bar.update(self.tasks[task], total=self.totals[task])


def batch(
    src_dir: Annotated[Path, typer.Argument(help="Folder of Chinese appeal drafts (searched "
                                            "recursively for .docx).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder; mirrors the input "
                                          "folder's layout.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Threads for reading, grammar "
                                      "and writing.")] = 1,
    memory: Annotated[str | None, typer.Option(
        "--memory", help="Translation memory: an SQLite file or postgresql://user@host/db "
        "(default: SRC_DIR/.pipeline/memory.sqlite).")] = None,
    no_memory: Annotated[bool, typer.Option("--no-memory", help="Use no translation memory.")] = False,
    glossary: Glossaries = None,
    no_builtin_glossary: NoBuiltinGlossary = False,
    acronyms: Acronyms = True,
    grammar: Grammar = None,
    languagetool_url: LanguageToolUrl = None,
    model: ModelDir = None,
    engine: EngineKind = None,
    engine_url: EngineUrls = None,
    api_key: ApiKey = None,
    config: ConfigFile = None,
    beam_size: BeamSize = None,
    length_penalty: LengthPenalty = None,
    max_length: MaxLength = None,
    batch_size: BatchSize = 16,
    batch_tokens: BatchTokens = 0,
    inter_threads: InterThreads = 0,
    intra_threads: IntraThreads = 1,
    compute_type: ComputeType = "int8",
    device: Device = "auto",
    no_qa: NoQA = False,
    group: Annotated[int, typer.Option(help="Documents per engine pass (0 = all at once).")] = 0,
    force: Annotated[bool, typer.Option(
        "--force", help="Redo documents that are up to date, and replace outputs edited by "
                        "hand or not written by the batch.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Translate every .docx under SRC_DIR into OUT_DIR (re-runs skip finished documents)."""
    with user_errors():
        from ..batch import run_batch
        from ..errors import InputError
        from ..runner import RunOptions

        if jobs < 1:
            raise InputError("--jobs must be at least 1")
        options = RunOptions(
            builtin_glossary=not no_builtin_glossary, acronyms=acronyms,
            engine=engine_options(beam_size, batch_size, batch_tokens, inter_threads, intra_threads,
                                  compute_type, length_penalty, max_length, device),
            api_key=api_key, qa=not no_qa,
            **resolved_options(config, glossaries=glossary, grammar=grammar,
                               languagetool_url=languagetool_url, memory=memory, model=model,
                               engine=engine, engine_urls=engine_url))
        check_languagetool_url(options.languagetool_url)
        with RichProgress() as progress:
            result = run_batch(src_dir, out_dir, options, use_memory=not no_memory,
                               jobs=jobs, force=force, group=group, progress=progress,
                               on_model=announce_model)
        summary = result.to_dict()
        if json:
            print_json(summary)
        else:
            show_summary(summary)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def show_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for col, justify in (("file", "left"), ("status", "left"), ("segments", "right"),
                         ("memory hits", "right"), ("time (s)", "right"), ("reason", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    style = {"ok": "green", "skipped": "dim", "kept": "bold yellow", "failed": "bold red"}
    for d in summary["documents"]:
        table.add_row(d["file"], f"[{style[d['status']]}]{d['status']}[/]", str(d["segments"]),
                      str(d["memory_hits"]), f"{d['seconds']:.1f}", d["reason"])
    out.print(table)
    t = summary["totals"]
    if not t["files"]:
        console.print(f"[bold yellow]warning:[/] no .docx files found under "
                      f"{summary['src_dir']} (hidden folders and the output folder are "
                      "skipped)", soft_wrap=True)
    out.print(f"{t['files']} files: {t['ok']} done, {t['skipped']} up to date, "
              f"{t['kept']} kept, {t['failed']} failed; {t['segments']} segments, {t['memory_hits']} from memory, "
              f"{t['engine_inputs']} sent to the engine; {summary['seconds']:.1f}s. "
              f"Memory: {summary['memory'] or 'none'}", soft_wrap=True)
    if t["kept"]:
        console.print(f"[bold yellow]{t['kept']} document(s) kept their existing outputs[/]: "
                      "an output was edited after the batch wrote it, or was not written by "
                      "it; nothing was replaced (see the reason column; --force replaces)",
                      soft_wrap=True)
    show_servers(summary["servers"])
