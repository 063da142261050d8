"""`pipeline run`: translate one Chinese appeal DOCX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import check_languagetool_url, console, out, print_json, user_errors

OutDir = Annotated[Path | None, typer.Option("--out", help="Output folder (default: next to the input).")]
Glossaries = Annotated[list[Path] | None, typer.Option(
    "--glossary", help="Extra glossary TSV (repeatable); overrides the built-in Amazon glossary.")]
Grammar = Annotated[str | None, typer.Option(
    "--grammar", help="Grammar backend: harper (default), languagetool or none.")]
LanguageToolUrl = Annotated[str | None, typer.Option(
    "--languagetool-url", envvar="PIPELINE_LANGUAGETOOL_URL",
    help="Your LanguageTool server, e.g. http://localhost:8081/ (used with --grammar languagetool).")]
Memory = Annotated[str | None, typer.Option(
    "--memory", help="Translation memory: an SQLite file, or a team's PostgreSQL database "
    "(postgresql://user@host:port/db).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
NoBuiltinGlossary = Annotated[bool, typer.Option(
    "--no-builtin-glossary", help="Use only the --glossary files.")]
Acronyms = Annotated[bool, typer.Option(
    "--acronyms/--no-acronyms", help="First mention 'Order Defect Rate (ODR)', then 'ODR'.")]
ModelDir = Annotated[Path | None, typer.Option(
    "--model", help="A model folder to use instead of the installed package: an unpacked "
    "Argos package, or a CTranslate2 OPUS-MT / NLLB-200 / M2M-100 folder (docs/models.md).")]
BeamSize = Annotated[int | None, typer.Option(
    help="Beam size (default: the model's own; Argos packages: 4).")]
LengthPenalty = Annotated[float | None, typer.Option(
    help="Length penalty (default: the model's own; Argos packages: 0.2).")]
MaxLength = Annotated[int | None, typer.Option(
    "--max-length", help="Most tokens per translated sentence (default: the model's own; 256).")]
Device = Annotated[str, typer.Option(
    help="auto (a CUDA GPU when CTranslate2 sees one, else the CPU), cpu or cuda.")]
BatchSize = Annotated[int, typer.Option(help="Sentences per engine batch (measured best: 16).")]
BatchTokens = Annotated[int, typer.Option(
    help="Tokens per engine batch instead of --batch-size (0 = off).")]
InterThreads = Annotated[int, typer.Option(help="Parallel batches (0 = min(2, cores)).")]
IntraThreads = Annotated[int, typer.Option(help="Threads per batch.")]
ComputeType = Annotated[str, typer.Option(help="CTranslate2 compute type.")]
NoQA = Annotated[bool, typer.Option("--no-qa", help="Skip the QA checks.")]
EngineKind = Annotated[str | None, typer.Option(
    "--engine", help="argos (in-process, the default) or libretranslate (your own server: "
    "--engine-url).")]
EngineUrls = Annotated[list[str] | None, typer.Option(
    "--engine-url", help="A LibreTranslate server, e.g. http://127.0.0.1:5000 (repeatable: "
    "the work is spread over all of them).")]
ApiKey = Annotated[str | None, typer.Option(
    "--api-key", envvar="PIPELINE_API_KEY", show_default=False,
    help="LibreTranslate API key (or the PIPELINE_API_KEY environment variable); never "
    "printed or written to reports.")]
ConfigFile = Annotated[Path | None, typer.Option(
    "--config", help="Settings file (default: ./pipeline.toml when present); command-line "
    "options override it.")]


def resolved_options(config: Path | None, **cli: Any) -> dict[str, Any]:
    """RunOptions fields from the command line over the settings file (see pipeline.config)."""
    from ..config import load_config, resolve

    settings = load_config(config)
    if settings.path is not None:
        console.print(f"Settings: {settings.path}")
    return resolve(settings, **cli)


def engine_options(beam_size: int | None, batch_size: int, batch_tokens: int,
                   inter_threads: int, intra_threads: int, compute_type: str,
                   length_penalty: float | None = None, max_length: int | None = None,
                   device: str = "auto") -> Any:
    """EngineSettings from the command line, checked before any work (one line, exit 2)."""
    from ..engine import EngineSettings

    settings = EngineSettings(beam_size=beam_size, max_batch_examples=batch_size,
                              max_batch_tokens=batch_tokens,
                              inter_threads=inter_threads, intra_threads=intra_threads,
                              compute_type=compute_type, length_penalty=length_penalty,
                              max_decoding_length=max_length, device=device.lower())
    settings.check()
    if settings.device == "cuda":
        from ..engine import resolve_device

        resolve_device("cuda")  # no GPU: say so now, before any work
    return settings


def announce_model(info: Any) -> None:
    if info.demo:
        console.print(f"[bold red]Using the DEMO model[/] {info.name}: tiny, trained on the "
                      "project's own sentences; not for real appeals. Install the real one: "
                      "[bold]pipeline models install zh-en[/] (or --file X.argosmodel).")
    else:
        console.print(f"Model: {info.label}")


def run(
    input: Annotated[Path, typer.Argument(help="Chinese appeal draft (.docx).")],
    out_dir: OutDir = None,
    glossary: Glossaries = None,
    no_builtin_glossary: NoBuiltinGlossary = False,
    acronyms: Acronyms = True,
    grammar: Grammar = None,
    languagetool_url: LanguageToolUrl = None,
    memory: Memory = None,
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
    force: Force = False,
    json: Json = False,
) -> None:
    """Translate a Chinese appeal DOCX: writes <stem>.review.docx, <stem>.en.docx, <stem>.report.json."""
    with user_errors():
        from ..runner import Pipeline, RunOptions

        options = RunOptions(
            out_dir=out_dir, builtin_glossary=not no_builtin_glossary, acronyms=acronyms,
            engine=engine_options(beam_size, batch_size, batch_tokens, inter_threads,
                                  intra_threads, compute_type, length_penalty, max_length,
                                  device),
            api_key=api_key, qa=not no_qa, force=force,
            **resolved_options(config, glossaries=glossary, grammar=grammar,
                               languagetool_url=languagetool_url, memory=memory, model=model,
                               engine=engine, engine_urls=engine_url))
        check_languagetool_url(options.languagetool_url)
        pipeline = Pipeline(options, on_model=announce_model)
        try:
            with console.status(f"Translating {input.name}…"):
                result = pipeline.run(input)
        finally:
            pipeline.close()
        summary = summarize(result)
        if json:
            print_json(summary)
        else:
            show_summary(summary)


def summarize(result: Any) -> dict[str, Any]:
    doc = result.doc
    severities: dict[str, int] = {}
    for seg in doc.segments:
        for n in seg.notes:
            severities[n.severity.value] = severities.get(n.severity.value, 0) + 1
    run = doc.run
    model = run.model or {}
    return {
        "file": str(doc.path),
        "model": model.get("label", ""),
        "demo_model": bool(model.get("demo")),
        "glossary": run.glossary if run.glossary is not None else "",
        "grammar": run.grammar if run.grammar is not None else "",
        "counts": doc.counts(),
        "notes": severities,
        "document_notes": [n.to_dict() for n in doc.notes],
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "timings_s": run.timings,
        "servers": model.get("servers", []),
    }


def show_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    c = summary["counts"]
    out.print(f"[bold]{Path(summary['file']).name}[/]: {c['segments']} segments, "
              f"{c['translated']} translated, {c['skipped']} skipped, {c['failed']} failed")
    notes = summary["notes"]
    if notes:
        out.print("Findings: " + ", ".join(f"{v} {k}" for k, v in sorted(notes.items())))
    for n in summary["document_notes"]:
        out.print(f"  [{n['severity']}] {n['message']}")
    show_servers(summary["servers"])
    table = Table(show_header=True, header_style="bold")
    table.add_column("output")
    table.add_column("file")
    for k, v in summary["outputs"].items():
        table.add_row(k, v)
    out.print(table)
    if summary["demo_model"]:
        out.print("[bold red]Made with the DEMO model: review only, do not send.[/]")


def show_servers(servers: list[dict[str, Any]]) -> None:
    """One line per LibreTranslate server: what it did, what went wrong."""
    for s in servers:
        errors = ", ".join(f"{v}x {k}" for k, v in sorted(s["errors"].items())) or "no errors"
        out.print(f"Server {s['url']}: {s['texts']} texts in {s['requests']} requests, {errors}"
                  + ("" if s["alive"] else " (stopped answering)"), soft_wrap=True)
