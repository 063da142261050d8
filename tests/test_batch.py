"""`pipeline batch` on real generated libraries with the real (demo) engine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest

from pipeline.batch import MANIFEST, default_memory, discover, read_manifest, run_batch
from pipeline.engine import get_engine
from pipeline.errors import InputError
from pipeline.memory import TranslationMemory
from pipeline.packages import find_model
from pipeline.runner import Pipeline, RunOptions
from pipeline.translate import needs_engine

REPO = Path(__file__).resolve().parents[1]

# Sentences from demo_model/corpus.tsv, so the demo model translates them sensibly.
S = [
    "我们已经分析了所有相关订单，并找到了以下根本原因。",
    "主要原因是A-to-z索赔和退货增加。",
    "我们已经手动上传了所有缺失的追踪编码。",
    "我们已经对所有库存进行了全面检验，并移除了不合格的商品。",
    "我们已经主动联系了所有受影响的买家，并为他们提供了退款或补发。",
    "关于恢复销售权限的行动计划",
]
SHARED = S[0]  # in every document: must reach the engine once


def make_docx(path: Path, paragraphs: list[str]) -> None:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))


def make_library(root: Path) -> Path:
    make_docx(root / "a.docx", [S[5], SHARED + S[1], S[2]])
    make_docx(root / "shop1" / "b.docx", [SHARED, S[3], "ASIN: B0123ABCDE"])
    make_docx(root / "shop1" / "deep" / "c.docx", [S[1], SHARED, S[4]])
    (root / "shop1" / "~$b.docx").write_bytes(b"\x00Word lock file")  # must be ignored
    return root


def options() -> RunOptions:
    return RunOptions(grammar="none")


def engine():  # noqa: ANN201
    return get_engine(find_model("zh", "en"), options().engine)


def english(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def finals(report: Path) -> dict[str, str]:
    data = json.loads(report.read_text(encoding="utf-8"))
    return {s["id"]: s["final"] for s in data["segments"]}


def outputs(out: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """What a user gets per document: the English paragraphs and each segment's final."""
    found = {}
    for en in sorted(out.rglob("*.en.docx")):
        rel = en.relative_to(out).as_posix()
        found[rel] = (english(en), finals(en.with_name(en.name.replace(".en.docx", ".report.json"))))
    return found


def test_discover_skips_lock_hidden_and_output(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib")
    make_docx(lib / ".pipeline" / "x.docx", [S[0]])
    make_docx(lib / "out" / "old.en.docx", [S[0]])
    found = [p.relative_to(lib).as_posix() for p in discover(lib, lib / "out")]
    assert found == ["a.docx", "shop1/b.docx", "shop1/deep/c.docx"]


def test_batch_translates_each_unique_segment_once(tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    eng = engine()
    before = eng.sentences
    res = run_batch(lib, out, options())
    assert res.exit_code == 0, [d.reason for d in res.documents]
    assert [d.file for d in res.documents] == ["a.docx", "shop1/b.docx", "shop1/deep/c.docx"]
    assert [d.status for d in res.documents] == ["ok"] * 3
    for stem in ("a", "shop1/b", "shop1/deep/c"):
        for suffix in (".review.docx", ".en.docx", ".report.json"):
            assert (out / f"{stem}{suffix}").is_file()
    assert not list(out.rglob("*.tmp"))
    # What the engine had to translate: each document's inputs, de-duplicated.
    pipe = Pipeline(options())
    expected = list(dict.fromkeys(
        s.engine_input if s.engine_input is not None else s.source
        for f in discover(lib) for s in pipe.prepare(f).segments if needs_engine(s)))
    pipe.close()
    assert len(expected) < sum(1 for d in outputs(out).values() for _ in d[1])
    # Pass 1 sent exactly those, once each; anything after it would be the translate
    # step's piecewise fallback around protected spans, also never repeated.
    assert set(res.sent[:len(expected)]) == set(expected)
    assert len(res.sent) == len(set(res.sent)) == res.engine_inputs
    assert eng.sentences - before == len(res.sent)
    # The memory lives with the library and now has the machine translations.
    with TranslationMemory(default_memory(lib), create=False) as tm:
        hit = tm.lookup(SHARED)
        assert hit is not None and hit.origin == "machine" and hit.model == res.model


def test_memory_hits_are_not_translated_and_second_run_translates_nothing(
        tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    with TranslationMemory(default_memory(lib)) as tm:
        tm.store(SHARED, "We analysed every order concerned and found these root causes.",
                 "reviewed")
    eng = engine()
    res = run_batch(lib, out, options())
    assert res.exit_code == 0
    assert sum(d.memory_hits for d in res.documents) == 3  # SHARED once per document
    a = json.loads((out / "a.report.json").read_text(encoding="utf-8"))
    seg = next(s for s in a["segments"] if s["source"] == SHARED)
    assert seg["origin"] == "memory-exact"
    assert seg["final"].startswith("We analysed every order")

    # Re-run: everything is up to date, nothing is read or translated.
    before = eng.sentences
    again = run_batch(lib, out, options())
    assert [d.status for d in again.documents] == ["skipped"] * 3
    assert again.sent == [] and eng.sentences == before
    # Forced re-run: every segment now comes from the memory.
    forced = run_batch(lib, out, options(), force=True)
    assert [d.status for d in forced.documents] == ["ok"] * 3
    assert forced.sent == [] and eng.sentences == before
    assert all(d.machine == 0 for d in forced.documents)


def test_changed_input_or_settings_are_redone(tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    run_batch(lib, out, options())
    make_docx(lib / "a.docx", [S[5], S[3]])  # edited
    res = run_batch(lib, out, options())
    assert {d.file: d.status for d in res.documents} == {
        "a.docx": "ok", "shop1/b.docx": "skipped", "shop1/deep/c.docx": "skipped"}
    res = run_batch(lib, out, RunOptions(grammar="none", acronyms=False))
    assert [d.status for d in res.documents] == ["ok"] * 3
    (out / "shop1" / "b.en.docx").unlink()  # a lost output is redone too
    res = run_batch(lib, out, RunOptions(grammar="none", acronyms=False))
    assert {d.file: d.status for d in res.documents}["shop1/b.docx"] == "ok"


class Killed(Exception):
    pass


def test_resume_after_kill_gives_the_same_outputs(tmp_path: Path) -> None:
    clean_lib = make_library(tmp_path / "clean")
    killed_lib = make_library(tmp_path / "killed")
    clean_out, killed_out = tmp_path / "clean-out", tmp_path / "killed-out"
    clean = run_batch(clean_lib, clean_out, options())
    assert clean.exit_code == 0

    done: list[str] = []

    def kill_after_one(doc) -> None:  # noqa: ANN001
        done.append(doc.file)
        raise Killed

    with pytest.raises(Killed):
        run_batch(killed_lib, killed_out, options(), on_document=kill_after_one)
    # The stop came after the first document; one already running in the worker thread
    # may finish too, the rest never start. Finished = in the manifest with 3 outputs.
    manifest = json.loads((killed_out / MANIFEST).read_text(encoding="utf-8"))
    assert not (killed_out / (MANIFEST + "l")).exists()  # the journal was folded in
    finished = set(manifest["documents"])
    assert set(done) <= finished and len(finished) < 3
    assert len(list(killed_out.rglob("*.en.docx"))) == len(finished)
    assert not list(killed_out.rglob("*.tmp"))

    resumed = run_batch(killed_lib, killed_out, options())
    statuses = {d.file: d.status for d in resumed.documents}
    assert {f for f, st in statuses.items() if st == "skipped"} == finished
    assert {st for f, st in statuses.items() if f not in finished} == {"ok"}
    assert outputs(killed_out) == outputs(clean_out)


def _complete_outputs_only(out: Path) -> None:
    """Every output file present is whole: DOCX open, reports parse, no temp files."""
    for path in out.rglob("*.docx"):
        docx.Document(str(path))
    for path in out.rglob("*.report.json"):
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_sigkill_half_way_then_resume(tmp_path: Path) -> None:
    """A real kill (SIGKILL) of `pipeline batch` in the middle of a library."""
    lib, out = tmp_path / "lib", tmp_path / "out"
    for i in range(24):
        make_docx(lib / f"shop{i % 3}" / f"appeal{i:02d}.docx",
                  [S[i % len(S)], S[(i + 1) % len(S)], f"订单号112-000000{i:02d}-1234567已退款。"])
    clean_lib = tmp_path / "clean"
    shutil.copytree(lib, clean_lib)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    cmd = [sys.executable, "-m", "pipeline", "batch", str(lib), "--out", str(out),
           "--grammar", "none", "--group", "4"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if len(read_manifest(out)) >= 6:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    done = set(read_manifest(out))
    assert 6 <= len(done) < 24, "the kill should land half way"
    _complete_outputs_only(out)

    resumed = run_batch(lib, out, options())
    assert {d.file for d in resumed.documents if d.status == "skipped"} == done
    assert resumed.count("ok") == 24 - len(done) and resumed.failed == 0
    assert not list(out.rglob("*.tmp"))
    clean = run_batch(clean_lib, tmp_path / "clean-out", options())
    assert clean.count("ok") == 24
    assert outputs(out) == outputs(tmp_path / "clean-out")


def test_one_bad_file_does_not_stop_the_batch(tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    (lib / "shop1" / "broken.docx").write_bytes(b"PK\x03\x04 this is not a real zip")
    shutil.copy(lib / "a.docx", lib / "shop1" / "truncated.docx")
    data = (lib / "shop1" / "truncated.docx").read_bytes()
    (lib / "shop1" / "truncated.docx").write_bytes(data[: len(data) // 2])
    res = run_batch(lib, out, options(), jobs=2)
    by_file = {d.file: d for d in res.documents}
    assert by_file["shop1/broken.docx"].status == "failed"
    assert by_file["shop1/truncated.docx"].status == "failed"
    assert by_file["shop1/broken.docx"].reason and "\n" not in by_file["shop1/broken.docx"].reason
    assert [by_file[f].status for f in ("a.docx", "shop1/b.docx", "shop1/deep/c.docx")] == ["ok"] * 3
    assert res.exit_code == 1
    assert not (out / "shop1" / "broken.en.docx").exists()
    summary = res.to_dict()
    assert summary["totals"]["failed"] == 2 and summary["totals"]["ok"] == 3
    # The next run retries only the failed ones.
    again = run_batch(lib, out, options())
    assert {d.file: d.status for d in again.documents} == {
        "a.docx": "skipped", "shop1/b.docx": "skipped", "shop1/broken.docx": "failed",
        "shop1/deep/c.docx": "skipped", "shop1/truncated.docx": "failed"}


@pytest.mark.slow
def test_cli_batch_summary_and_exit_codes(tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipeline", "batch", *args], cwd=tmp_path,
                              capture_output=True, text=True, env=env, timeout=600)

    r = cli(str(lib), "--out", str(out), "--grammar", "none", "--json", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["totals"]["ok"] == 3 and summary["totals"]["failed"] == 0
    assert summary["memory"] == str(default_memory(lib))
    (lib / "bad.docx").write_text("not a docx", encoding="utf-8")
    r = cli(str(lib), "--out", str(out), "--grammar", "none")
    assert r.returncode == 1
    assert "bad.docx" in r.stdout and "failed" in r.stdout and "up to date" in r.stdout
    r = cli(str(tmp_path / "nope"), "--out", str(out))
    assert r.returncode == 2 and "error:" in r.stderr


def test_manifest_journal_ignores_a_torn_line(tmp_path: Path) -> None:
    (tmp_path / (MANIFEST + "l")).write_text(
        '{"file": "a.docx", "entry": {"status": "ok"}}\n{"file": "b.docx", "ent',
        encoding="utf-8")
    assert list(read_manifest(tmp_path)) == ["a.docx"]


# --- issue 12: never replace what a person may have touched -------------------------------

def _edit_review(path: Path, text: str) -> None:
    d = docx.Document(str(path))
    d.tables[0].rows[1].cells[2].paragraphs[0].text = text
    d.save(str(path))


def test_rerun_keeps_outputs_edited_by_hand(tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    assert [d.status for d in run_batch(lib, out, options()).documents] == ["ok"] * 3
    review_a = out / "a.review.docx"
    _edit_review(review_a, "A reviewer's careful English.")  # the reviewer's work
    english_b = out / "shop1" / "b.en.docx"
    shutil.copy(out / "a.en.docx", english_b)  # stands for the English apply-review wrote
    before = {p: p.read_bytes() for p in out.rglob("*.docx")}
    make_docx(lib / "a.docx", [S[5], S[2]])  # the input re-saved too
    changed = RunOptions(grammar="none", acronyms=False)  # any changed setting
    res = run_batch(lib, out, changed)
    by_file = {d.file: d for d in res.documents}
    assert by_file["a.docx"].status == "kept"
    assert by_file["a.docx"].kept == ["a.review.docx"]
    assert "a.review.docx was changed after the batch wrote it" in by_file["a.docx"].reason
    assert by_file["shop1/b.docx"].status == "kept"
    assert by_file["shop1/b.docx"].kept == ["shop1/b.en.docx"]
    assert by_file["shop1/deep/c.docx"].status == "ok"  # untouched outputs are redone
    assert res.exit_code == 0 and res.to_dict()["totals"]["kept"] == 2
    for path in (review_a, out / "a.en.docx", out / "a.report.json", english_b):
        if path.suffix == ".docx":
            assert path.read_bytes() == before[path], path  # nothing of a kept document
    # Kept again on the next run (still not up to date), until --force.
    res = run_batch(lib, out, changed)
    assert {d.file: d.status for d in res.documents}["a.docx"] == "kept"
    res = run_batch(lib, out, changed, force=True)
    assert [d.status for d in res.documents] == ["ok"] * 3
    assert review_a.read_bytes() != before[review_a]
    assert "A reviewer's careful English." not in "".join(
        c.text for r in docx.Document(str(review_a)).tables[0].rows for c in r.cells)


def test_outputs_the_batch_did_not_write_are_kept(tmp_path: Path) -> None:
    lib, out = make_library(tmp_path / "lib"), tmp_path / "out"
    out.mkdir()
    mine = out / "a.en.docx"
    mine.write_bytes(b"made by pipeline run, then edited")  # no manifest knows it
    res = run_batch(lib, out, options())
    by_file = {d.file: d for d in res.documents}
    assert by_file["a.docx"].status == "kept"
    assert "a.en.docx was not written by this batch" in by_file["a.docx"].reason
    assert mine.read_bytes() == b"made by pipeline run, then edited"
    assert not (out / "a.review.docx").exists()  # all or nothing per document
    assert by_file["shop1/b.docx"].status == "ok"


def test_out_equal_to_src_is_refused(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib")
    with pytest.raises(InputError, match="is the source folder"):
        run_batch(lib, lib, options())
    with pytest.raises(InputError, match="is the source folder"):
        run_batch(lib, lib / "." / "", options())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    r = subprocess.run([sys.executable, "-m", "pipeline", "batch", str(lib), "--out", str(lib)],
                       capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert r.returncode == 2 and "is the source folder" in r.stderr
    assert "Traceback" not in r.stderr
    assert not list(lib.rglob("*.en.docx"))
# 600 Chinese characters without punctuation: more than the demo's 512 positions once
# tripled (issue #12.3).
LONG = ("我们的仓库团队每天检查所有待发货订单的包装和标签并且记录每一个问题的原因" * 17)[:600]


def test_a_long_paragraph_is_translated_in_parts(tmp_path: Path) -> None:
    lib, out = tmp_path / "lib", tmp_path / "out"
    make_docx(lib / "a.docx", [S[0], LONG])
    make_docx(lib / "b.docx", [S[2]])
    res = run_batch(lib, out, options())
    assert res.exit_code == 0 and [d.status for d in res.documents] == ["ok", "ok"]
    report = json.loads((out / "a.report.json").read_text(encoding="utf-8"))
    long_seg = next(s for s in report["segments"] if s["source"] == LONG)
    assert long_seg["path"] == "split" and long_seg["origin"] == "machine"


def test_an_engine_error_fails_one_segment_not_the_batch(tmp_path: Path, monkeypatch) -> None:
    import pipeline.translate as tr

    # With the length limit off, CTranslate2 itself fails on the over-long paragraph.
    monkeypatch.setattr(tr, "MAX_PART_TOKENS", 100_000)
    monkeypatch.setattr(type(engine()), "max_input_tokens", property(lambda self: 100_000))
    lib, out = tmp_path / "lib", tmp_path / "out"
    make_docx(lib / "a.docx", [S[0], LONG * 3])
    make_docx(lib / "b.docx", [S[2], S[3]])
    res = run_batch(lib, out, options())
    assert [d.status for d in res.documents] != ["failed", "failed"], res.documents
    b = json.loads((out / "b.report.json").read_text(encoding="utf-8"))
    assert all(s["origin"] == "machine" for s in b["segments"])
    a = json.loads((out / "a.report.json").read_text(encoding="utf-8"))
    bad = next(s for s in a["segments"] if s["source"] == LONG * 3)
    assert bad["origin"] == "engine-failed" and bad["path"] == "failed"
    assert any(n["code"] == "engine-failed" for n in bad["notes"])
    assert next(s for s in a["segments"] if s["source"] == S[0])["origin"] == "machine"


def test_an_engine_that_fails_on_every_sentence_stops_the_pass(tmp_path: Path,
                                                               monkeypatch) -> None:
    """Not every segment marked failed with exit 0 (seen with a GPU whose CUDA libraries
    were missing): the same error on every input means the engine is broken."""
    import pipeline.translate as tr

    monkeypatch.setattr(tr, "MAX_PART_TOKENS", 100_000)
    monkeypatch.setattr(type(engine()), "max_input_tokens", property(lambda self: 100_000))
    lib, out = tmp_path / "lib", tmp_path / "out"
    make_docx(lib / "a.docx", [LONG * 3, LONG * 4])  # every input too long for the model
    res = run_batch(lib, out, options())
    [doc] = res.documents
    assert doc.status == "failed" and "the engine failed on every sentence" in doc.reason
    assert not (out / "a.en.docx").exists()
