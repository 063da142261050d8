"""Cold start of the CLI: `pipeline --help` and `pipeline run --help` (goal <= 0.3 s).

    .venv/bin/python bench/cold_start.py               # 9 runs each (+1 discarded), ~10 s
    .venv/bin/python bench/cold_start.py --quick       # 3 runs each
    .venv/bin/python bench/cold_start.py --importtime  # always show the import offenders

Each run is a fresh process of the installed console script (the venv's `pipeline`,
else `python -m pipeline`); the first run of each command is discarded (disk cache).
The bare interpreter start (`python -c pass`) and the first import (`import pipeline.cli`)
are printed for reference. When a command is over the goal (or with --importtime), the
`python -X importtime` top offenders of that command are printed: the slowest top-level
imports by cumulative time, then the slowest single modules by self time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, REPO, machine_load, wait_quiet  # noqa: E402

GOAL_S = 0.3


def cli_prefix() -> list[str]:
    script = Path(PYTHON).parent / "pipeline"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [PYTHON, "-m", "pipeline"]


def time_cmd(cmd: list[str], runs: int) -> tuple[float, list[float]]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "")}
    times: list[float] = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-1500:]}")
        if i:  # the first run warms the disk cache
            times.append(dt)
    return statistics.median(times), times


_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_offenders(args: list[str], top: int) -> list[str]:
    """`python -X importtime` of the CLI with ``args``: top-level and self-time offenders."""
    code = ("import sys; sys.argv = ['pipeline'] + sys.argv[1:]\n"
            "from pipeline.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n")
    proc = subprocess.run([PYTHON, "-X", "importtime", "-c", code, *args],
                          capture_output=True, text=True, cwd=REPO)
    rows = []
    for line in proc.stderr.splitlines():
        m = _LINE.match(line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)))
    total = sum(c for _, c, depth, _ in rows if depth == 1)
    out = [f"    all imports: {total / 1e6:.3f} s"]
    out.append("    top-level imports by cumulative time:")
    for _s, c, _d, name in sorted((r for r in rows if r[2] == 1), key=lambda r: -r[1])[:top]:
        out.append(f"      {c / 1e6:7.3f} s  {name}")
    out.append("    single modules by self time:")
    for s, _c, _d, name in sorted(rows, key=lambda r: -r[0])[:top]:
        out.append(f"      {s / 1e6:7.3f} s  {name}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, help="timed runs per command (default 9; quick 3)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--importtime", action="store_true", help="show import offenders even if fast")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--max-wait", type=float, default=300,
                    help="seconds to wait for other processes to go quiet first (default 300)")
    a = ap.parse_args()
    runs = a.runs or (3 if a.quick else 9)
    prefix = cli_prefix()

    print("CLI cold start (fresh process each run, median; first run discarded)")
    print(f"  command: {' '.join(prefix)}")
    print(f"  machine before: {machine_load()}")
    waited, load = wait_quiet(a.max_wait)
    if waited >= 1:
        print(f"  waited {waited:.0f} s for other processes to go quiet (now {load:.2f} cores)")
    base, _ = time_cmd([PYTHON, "-c", "pass"], runs)
    imp, _ = time_cmd([PYTHON, "-c", "import pipeline.cli"], runs)
    print(f"  {'python -c pass':<26} {base:6.3f} s   (interpreter alone, for reference)")
    print(f"  {'python -c import pipeline.cli':<26} {imp:6.3f} s")
    results = []
    for args in (["--help"], ["run", "--help"]):
        med, times = time_cmd(prefix + args, runs)
        label = "pipeline " + " ".join(args)
        ok = med <= GOAL_S
        results.append((label, args, med, ok))
        print(f"  {label:<26} {med:6.3f} s   goal <= {GOAL_S} s: {'MET' if ok else 'NOT MET'}"
              f"   (runs {' '.join(f'{t:.3f}' for t in times)})")
    print(f"  machine after: {machine_load()}")
    for label, args, _med, ok in results:
        if not ok or a.importtime:
            print(f"\n  python -X importtime, {label}:")
            print("\n".join(import_offenders(args, a.top)))


if __name__ == "__main__":
    main()
