"""The `pipeline` command end to end, as a user runs it (subprocesses, real files)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from pipeline.cjk import HAN_RE

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "draft_zh.docx"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_text(path: Path) -> list[str]:
    """Paragraph texts of body and tables (nested too), in document order."""
    d = docx.Document(str(path))
    out: list[str] = []

    def walk(container) -> None:  # noqa: ANN001
        for block in container.iter_inner_content():
            if isinstance(block, docx.table.Table):
                for row in block.rows:
                    for cell in row.cells:
                        walk(cell)
            else:
                out.append(block.text)

    walk(d)
    return out


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("run")
    src = out / "draft_zh.docx"
    shutil.copy(SAMPLE, src)
    before = sha(src)
    result = cli("run", str(src), "--json")
    assert sha(src) == before, "the input must never be modified"
    return out, result


@pytest.mark.slow
def test_run_writes_three_outputs_next_to_input(sample_run) -> None:  # noqa: ANN001
    out, result = sample_run
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # stdout is clean JSON (Harper's prints kept out)
    for name in ("draft_zh.review.docx", "draft_zh.en.docx", "draft_zh.report.json"):
        assert (out / name).is_file()
    assert summary["demo_model"] is True
    assert "DEMO" in result.stderr
    assert summary["counts"]["segments"] > 20


@pytest.mark.slow
def test_review_has_one_row_per_segment_and_all_chinese(sample_run) -> None:  # noqa: ANN001
    out, _ = sample_run
    report = json.loads((out / "draft_zh.report.json").read_text(encoding="utf-8"))
    review = docx.Document(str(out / "draft_zh.review.docx"))
    table = review.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header[:3] == ["ID", "中文原文", "English"]
    rows = table.rows[1:]
    assert len(rows) == len(report["segments"])
    # Every segment says how the engine translated it; the summary counts them.
    paths = [seg["path"] for seg in report["segments"]]
    assert {p for p in paths if p != "none"} <= {"whole", "whole-repaired", "split",
                                                  "piecewise", "failed"}
    assert sum(report["translation_paths"].values()) == sum(p != "none" for p in paths) > 20
    review_source = "".join(r.cells[1].text for r in rows)
    input_chinese = "".join(HAN_RE.findall("".join(all_text(SAMPLE))))
    for ch in set(input_chinese):
        assert ch in review_source
    head = "\n".join(p.text for p in review.paragraphs[:8])
    assert "DEMO" in head


@pytest.mark.slow
def test_english_docx_keeps_structure_and_has_no_chinese(sample_run) -> None:  # noqa: ANN001
    out, _ = sample_run
    src = docx.Document(str(SAMPLE))
    en = docx.Document(str(out / "draft_zh.en.docx"))
    assert [p.style.name for p in src.paragraphs] == [p.style.name for p in en.paragraphs]
    assert len(src.tables) == len(en.tables)
    for t_src, t_en in zip(src.tables, en.tables, strict=True):
        assert len(t_src.rows) == len(t_en.rows)
    report = json.loads((out / "draft_zh.report.json").read_text(encoding="utf-8"))
    failed = {s["source"] for s in report["segments"] if s["origin"] == "engine-failed"}
    for text in all_text(out / "draft_zh.en.docx"):
        if HAN_RE.search(text):
            assert any(f in text for f in failed), text


@pytest.mark.slow
def test_report_lists_every_segment_with_location(sample_run) -> None:  # noqa: ANN001
    out, _ = sample_run
    report = json.loads((out / "draft_zh.report.json").read_text(encoding="utf-8"))
    for seg in report["segments"]:
        assert seg["location"] and seg["source"]
        assert set(seg) >= {"machine_translation", "final", "notes", "origin"}
    ids = [s["id"] for s in report["segments"]]
    assert len(ids) == len(set(ids))
    assert any(not s["translatable"] for s in report["segments"])  # IDs/English pass through


@pytest.mark.slow
def test_existing_outputs_need_force(sample_run) -> None:  # noqa: ANN001
    out, _ = sample_run
    again = cli("run", str(out / "draft_zh.docx"))
    assert again.returncode == 2
    assert "--force" in again.stderr and "Traceback" not in again.stderr


def test_out_dir(tmp_path: Path) -> None:
    result = cli("run", str(SAMPLE), "--out", str(tmp_path / "o"), "--grammar", "none")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "draft_zh.en.docx").is_file()


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("just text"), ""),
    (lambda p: p.write_bytes(SAMPLE.read_bytes()[:2000]), ""),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, make, message: str) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.docx"
    make(bad)
    result = cli("run", str(bad))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert message.lower() in lines[0].lower()
    assert not list(tmp_path.glob("bad.*.docx"))


def test_models_list_and_offline_install(tmp_path: Path) -> None:
    listed = cli("models", "list", "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)["demo_available"] is True
    offline = cli("models", "install", "zh-en",
                  env={"ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/"})
    assert offline.returncode == 2
    assert "no network" in offline.stderr and "--file" in offline.stderr


def test_models_install_from_file(tmp_path: Path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk")}
    from pipeline.packages import DEMO_PACKAGE

    result = cli("models", "install", "--file", str(DEMO_PACKAGE), env=env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(cli("models", "list", "--json", env=env).stdout)
    assert [m["from"] for m in listed["installed"]] == ["zh"]
    bad = tmp_path / "bad.argosmodel"
    bad.write_text("x")
    result = cli("models", "install", "--file", str(bad), env=env)
    assert result.returncode == 2 and re.search(r"not (a zip|an Argos)", result.stderr)


def test_help_is_fast_and_lists_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("run", "models"):
        assert command in result.stdout
