"""Shared helpers for the bench/ scripts: paths, benchmark text, model choice, machine load.

Nothing here imports CTranslate2 or argostranslate at module level, so the scripts start
fast and each benchmark worker process loads only what it measures.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CACHE = BENCH / ".cache"
CORPUS = REPO / "demo_model" / "corpus.tsv"
SAMPLE_ZH = REPO / "samples" / "draft_zh.docx"
PYTHON = sys.executable

if str(REPO) not in sys.path:  # run as `python bench/x.py` from anywhere
    sys.path.insert(0, str(REPO))


# -- benchmark text -----------------------------------------------------------------------

def corpus_pairs() -> list[tuple[str, str]]:
    """(zh, en) rows of demo_model/corpus.tsv (header skipped); [] when it is absent."""
    if not CORPUS.is_file():
        return []
    with open(CORPUS, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 2]
    if rows and rows[0][0].strip().lower() == "zh":
        rows = rows[1:]
    return [(r[0].strip(), r[1].strip()) for r in rows if r[0].strip()]


def sample_paragraphs() -> list[str]:
    """Non-empty paragraphs (body and table cells) of samples/draft_zh.docx."""
    import docx

    d = docx.Document(str(SAMPLE_ZH))
    out = [p.text for p in d.paragraphs if p.text.strip()]
    for t in d.tables:
        for row in t.rows:
            for cell in row.cells:
                out.extend(p.text for p in cell.paragraphs if p.text.strip())
    return out


def text_source() -> tuple[str, list[str]]:
    """Where the benchmark's Chinese comes from, and its lines (sentences or paragraphs)."""
    pairs = corpus_pairs()
    if pairs:
        return f"{CORPUS.relative_to(REPO)} ({len(pairs)} rows)", [zh for zh, _ in pairs]
    paras = sample_paragraphs()
    return f"{SAMPLE_ZH.relative_to(REPO)} ({len(paras)} paragraphs, repeated)", paras


def training_text() -> list[str]:
    """Both sides of the corpus (or the sample's Chinese) for the stand-in SentencePiece."""
    pairs = corpus_pairs()
    if pairs:
        return [zh for zh, _ in pairs] + [en for _, en in pairs]
    return sample_paragraphs()


# Paragraph sizes cycle so the document has 1- to 4-sentence paragraphs (mean 2.5).
_PARA_SIZES = (3, 1, 2, 4, 2, 3)


def benchmark_paragraphs(n_segments: int, join: int = 1) -> list[list[str]]:
    """Paragraphs (lists of Chinese sentences) holding ``n_segments`` unique sentences.

    Sentences come from the corpus (split with the pipeline's own segmenter); with too
    few unique sentences the set repeats with a numbered suffix, so every sentence stays
    unique and the pipeline's de-duplication cannot make it look faster than it is.
    ``join`` > 1 glues that many full sentences into one (longer-sentence documents).
    """
    from pipeline.cjk import has_chinese
    from pipeline.segment import split_spans

    _, lines = text_source()
    sentences: list[str] = []
    for line in lines:
        sentences.extend(line[a:b] for a, b in split_spans(line) if has_chinese(line[a:b]))
    sentences = list(dict.fromkeys(sentences))
    if join > 1:  # longer sentences: glue `join` full sentences with a comma
        full = [s for s in sentences if s[-1] in "。！？；"]
        sentences = ["，".join(x.rstrip("。！？；") for x in full[i:i + join]) + "。"
                     for i in range(0, len(full) - join + 1, join)]
    if not sentences:
        raise SystemExit("no Chinese sentences found for the benchmark")
    out: list[str] = []
    rnd = 0
    while len(out) < n_segments:
        for s in sentences:
            if len(out) >= n_segments:
                break
            if rnd == 0:
                out.append(s)
            else:  # keep it Chinese and unique: "（第2份）" = "(copy 2)"
                out.append(f"{s.rstrip('。')}（第{rnd + 1}份）。")
        rnd += 1
    # A sentence the segmenter would glue to the next one (a title, a line without a
    # full stop) stands alone as its paragraph, so each paragraph splits back exactly.
    paras: list[list[str]] = []
    cur: list[str] = []
    k = 0
    for s in out:
        if cur and split_spans("".join([*cur, s])) != split_spans("".join(cur)) + [
                (len("".join(cur)), len("".join(cur)) + len(s))]:
            paras.append(cur)
            cur = []
            k += 1
        cur.append(s)
        if len(split_spans(s + "测")) == 1:  # s does not end a sentence: keep it alone
            paras.append(cur)
            cur = []
            k += 1
        elif len(cur) >= _PARA_SIZES[k % len(_PARA_SIZES)]:
            paras.append(cur)
            cur = []
            k += 1
    if cur:
        paras.append(cur)
    return paras


# -- models -------------------------------------------------------------------------------

def resolve_model(choice: str) -> tuple[Path, str, bool]:
    """(package folder, description, is_standin) for --model standin|demo|auto|PATH.

    ``auto``: an installed real (non-demo) zh->en model if there is one, else the stand-in.
    """
    if choice not in ("standin", "demo", "auto"):
        path = Path(choice).expanduser().resolve()
        from pipeline.packages import info_from_folder

        info = info_from_folder(path)
        standin = _is_standin(path)
        kind = "STAND-IN (random weights)" if standin else ("DEMO" if info.demo else "real")
        return path, f"{info.name} {info.version} [{kind}] at {path}", standin
    if choice == "auto":
        try:
            from pipeline.packages import installed_models

            real = [m for m in installed_models()
                    if m.from_code == "zh" and m.to_code == "en" and not m.demo]
        except Exception:  # noqa: BLE001 - a broken Argos setup just means "none installed"
            real = []
        if real:
            m = real[0]
            return m.path, f"{m.name} {m.version} [real, installed] at {m.path}", False
        choice = "standin"
    if choice == "demo":
        from pipeline.packages import demo_model

        m = demo_model()
        return m.path, f"{m.name} {m.version} [DEMO model, tiny] at {m.path}", False
    from make_standin_model import build_standin  # type: ignore[import-not-found]

    path = build_standin()
    return path, f"STAND-IN Transformer-base with RANDOM weights at {path}", True


def _is_standin(path: Path) -> bool:
    try:
        return bool(json.loads((path / "metadata.json").read_text(encoding="utf-8")).get("standin"))
    except (OSError, ValueError):
        return False


# -- machine state ------------------------------------------------------------------------

def machine_load() -> str:
    """Load average and the busiest other processes, to print next to every number."""
    try:
        la = os.getloadavg()
        load = f"load avg {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f} on {os.cpu_count()} cores"
    except OSError:
        load = f"{os.cpu_count()} cores"
    busy: list[str] = []
    try:
        ps = subprocess.run(["ps", "-eo", "pid,pcpu,comm,args", "--sort=-pcpu", "--no-headers"],
                            capture_output=True, text=True, timeout=5).stdout.splitlines()
        me = {os.getpid(), os.getppid()}
        for line in ps[:8]:
            parts = line.split(None, 3)
            if len(parts) < 4 or int(parts[0]) in me:
                continue
            if float(parts[1]) >= 20.0:
                busy.append(f"{parts[2]} {parts[1]}% ({parts[3][:60]})")
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return load + ("; busy: " + "; ".join(busy) if busy else "; no other busy process")


# -- workers ------------------------------------------------------------------------------

def _busy_seconds() -> float:
    """CPU seconds all processes have spent busy since boot (from /proc/stat); 0 elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return 0.0
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
    busy = sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4))
    return busy / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def others_cores(sample_s: float = 1.0) -> float:
    """Cores the rest of the machine kept busy over ``sample_s`` (this process is idle)."""
    b0, t0 = _busy_seconds(), time.monotonic()
    time.sleep(sample_s)
    return max(0.0, (_busy_seconds() - b0) / (time.monotonic() - t0))


def wait_quiet(max_wait_s: float, threshold: float = 0.15) -> tuple[float, float]:
    """Wait (up to ``max_wait_s``) until other processes use < ``threshold`` cores.

    Returns (seconds waited, the last reading in cores).
    """
    t0 = time.monotonic()
    while True:
        load = others_cores()
        waited = time.monotonic() - t0
        if load < threshold:
            return (0.0 if waited < 1.5 else waited), load
        if waited >= max_wait_s:
            return waited, load
        time.sleep(3)


def run_worker(script: Path, config: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    """Run ``script --worker JSON`` in a fresh process; return the JSON it prints last.

    Adds ``others_cores``: how many cores OTHER processes kept busy while it ran
    (machine busy time minus the worker's own CPU time, over its wall time).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), str(BENCH),
                                                      env.get("PYTHONPATH", "")]))
    b0, c0, t0 = _busy_seconds(), _children_cpu(), time.monotonic()
    proc = subprocess.run([PYTHON, str(script), "--worker", json.dumps(config)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    wall = time.monotonic() - t0
    others = (_busy_seconds() - b0) - (_children_cpu() - c0)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise RuntimeError(f"worker {config.get('name')} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1])
    result["others_cores"] = max(0.0, others / wall) if wall > 0 else 0.0
    return result


def timed_runs(fn: Any, repeats: int, setup: Any = None,
               cpu_out: list[float] | None = None) -> list[float]:
    """Wall times of ``repeats`` calls of ``fn(setup())`` (setup is not timed).

    ``cpu_out`` receives the CPU seconds of this process (all threads) per call: unlike
    the wall time it barely moves when another process competes for the cores.
    """
    times: list[float] = []
    for _ in range(repeats):
        arg = setup() if setup else None
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
        if cpu_out is not None:
            cpu_out.append(time.process_time() - c0)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def sandbox_argos_env() -> None:
    """Point Argos's settings at bench/.cache/argos (it reads them at import time).

    Also drops ARGOS_* tuning variables so the Argos path runs as Argos configures it.
    """
    base = CACHE / "argos-sandbox"
    for var in list(os.environ):
        if var.startswith("ARGOS_"):
            del os.environ[var]
    for var, sub in [("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache"), ("ARGOS_PACKAGES_DIR", "packages")]:
        (base / sub).mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(base / sub)
