"""Issue 12, "nothing lost, ever": outputs are atomic, all-or-nothing, never silently
replaced; full disks, damaged or read-only memories and bad options are one-line errors.

Full-disk and read-only cases use a small tmpfs mounted for the test (root only); they
skip cleanly where mounting is not permitted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx_factory import build_simple
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputError, OutputError
from pipeline.fileio import OutputSet, atomic_write, atomic_write_text
from pipeline.memory import TranslationMemory
from pipeline.runner import Pipeline, RunOptions

S1 = "我们已经手动上传了所有缺失的追踪编码。"
S2 = "主要原因是A-to-z索赔和退货增加。"


def _run(*args: str) -> object:
    return CliRunner().invoke(app, [*args])


def _one_line_error(res: object, code: int = 2) -> str:
    out = res.output  # type: ignore[attr-defined]
    assert res.exit_code == code, out  # type: ignore[attr-defined]
    assert "Traceback" not in out and "internal error" not in out, out
    assert isinstance(res.exception, SystemExit), res.exception  # type: ignore[attr-defined]
    return out


@contextlib.contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. "64k"); skips the test where mounting is not allowed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    folder = Path(tempfile.mkdtemp(prefix="pipeline-tmpfs-"))
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs",
                           str(folder)], capture_output=True, text=True)
    if proc.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


def _remount_ro(folder: Path) -> None:
    proc = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot remount read-only: {proc.stderr.strip()}")


# --- item 8: modes follow the umask -------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_outputs_follow_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        text = atomic_write_text(tmp_path / "a.json", "{}\n")
        with OutputSet() as outs:
            outs.stage(tmp_path / "b.txt", lambda p: p.write_text("b", encoding="utf-8"))
            outs.commit()
    finally:
        os.umask(old)
    for path in (text, tmp_path / "b.txt"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_run_outputs_are_readable_by_colleagues(tmp_path: Path) -> None:
    src = build_simple(tmp_path / "a.docx", [S1])
    old = os.umask(0o002)
    try:
        res = _run("run", str(src), "--grammar", "none", "--out", str(tmp_path / "out"))
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir()}
    assert len(modes) == 3 and set(modes.values()) == {0o664}, modes


# --- item 9: the no-overwrite check is atomic ---------------------------------------------

def test_no_overwrite_loses_the_race_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "x.en.docx"

    def write(tmp: Path) -> None:
        tmp.write_text("mine", encoding="utf-8")
        target.write_text("theirs", encoding="utf-8")  # another run placed it meanwhile

    with pytest.raises(OutputError, match="already exists"):
        atomic_write(target, write, force=False)
    assert target.read_text(encoding="utf-8") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["x.en.docx"]  # no temporary left


def test_output_set_takes_back_what_it_placed(tmp_path: Path) -> None:
    a, b = tmp_path / "x.review.docx", tmp_path / "x.en.docx"
    with OutputSet(force=False) as outs:
        outs.stage(a, lambda p: p.write_text("mine a", encoding="utf-8"))
        outs.stage(b, lambda p: p.write_text("mine b", encoding="utf-8"))
        b.write_text("theirs", encoding="utf-8")
        with pytest.raises(OutputError, match="already exists"):
            outs.commit()
    assert not a.exists()  # all or nothing
    assert b.read_text(encoding="utf-8") == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.en.docx"]


def test_two_runs_with_the_same_stem_do_not_replace_each_other(tmp_path: Path) -> None:
    """Run A checks its outputs, then run B (another draft.docx) finishes first: A must
    fail when it places its outputs, and B's three outputs stay B's."""
    for shop in ("shop_a", "shop_b"):
        (tmp_path / shop).mkdir()
    a = build_simple(tmp_path / "shop_a" / "draft.docx", [S1])
    b = build_simple(tmp_path / "shop_b" / "draft.docx", [S2])
    out = tmp_path / "out"
    first = Pipeline(RunOptions(out_dir=out, grammar="none"))
    second = Pipeline(RunOptions(out_dir=out, grammar="none"))
    try:
        outputs = first.outputs_for(a)
        first.check_outputs(outputs)  # free at this point
        doc = first.prepare(a)
        first.translate([doc])
        second.run(b)  # the other run wins the race
        with pytest.raises(OutputError, match="already exists"):
            first.finish(doc, outputs)
    finally:
        first.close()
        second.close()
    report = json.loads((out / "draft.report.json").read_text(encoding="utf-8"))
    assert report["file"] == str(b)
    assert sorted(p.name for p in out.iterdir()) == [
        "draft.en.docx", "draft.report.json", "draft.review.docx"]


def test_no_overwrite_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAT/exFAT USB sticks and some shares have no hard links: the name is reserved with
    an exclusive create instead, still never replacing an existing file."""
    import errno

    def no_link(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    target = tmp_path / "x.report.json"
    atomic_write_text(target, "mine", force=False)
    assert target.read_text(encoding="utf-8") == "mine"
    with pytest.raises(OutputError, match="already exists"):
        atomic_write_text(target, "again", force=False)
    assert target.read_text(encoding="utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["x.report.json"]


# --- item 4: full disk, all or nothing ----------------------------------------------------

def test_run_on_a_full_disk_writes_nothing(tmp_path: Path, sample_zh: Path) -> None:
    with tmpfs("64k") as small:  # the English fits, the review does not
        res = _run("run", str(sample_zh), "--grammar", "none", "--out", str(small))
        out = _one_line_error(res)
        assert "No space left on device" in out
        assert list(small.iterdir()) == []


def test_memory_export_on_a_full_disk(tmp_path: Path) -> None:
    memory = tmp_path / "tm.sqlite"
    with TranslationMemory(memory) as tm:
        tm.store_many([(f"第{i}条：{S1}", f"Item {i}: we uploaded every tracking ID.")
                       for i in range(400)], "reviewed")
    with tmpfs("16k") as small:
        res = _run("memory", "export", "--memory", str(memory), "--out", str(small / "x.tmx"))
        out = _one_line_error(res)
        assert "No space left on device" in out
        assert list(small.iterdir()) == []


# --- item 4 and 11: damaged, read-only, misnamed memories ---------------------------------

def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    middle = len(data) // page // 2
    for n in range(middle, middle + 3):
        data[n * page:(n + 1) * page] = bytes(range(256)) * (page // 256)
    path.write_bytes(bytes(data))


def test_damaged_memory_is_one_line(tmp_path: Path) -> None:
    memory = tmp_path / "tm.sqlite"
    with TranslationMemory(memory) as tm:
        tm.store_many([(f"第{i}句：{S1}" * 3, f"Sentence {i}: we fixed it." * 3)
                       for i in range(2000)], "reviewed")
    _damage(memory)
    for args in (["stats"], ["stats", "--json"], ["export", "--out", str(tmp_path / "x.tmx")]):
        out = _one_line_error(_run("memory", *args, "--memory", str(memory)))
        assert "is damaged" in out and str(memory) in out.replace("\n", "")
    assert not (tmp_path / "x.tmx").exists()


def test_memory_folder_is_named_as_a_folder(tmp_path: Path) -> None:
    out = _one_line_error(_run("memory", "stats", "--memory", str(tmp_path)))
    assert "is a folder" in out and "does not exist" not in out
    src = build_simple(tmp_path / "a.docx", [S1])
    out = _one_line_error(_run("run", str(src), "--grammar", "none", "--memory", str(tmp_path)))
    assert "is a folder" in out


def test_read_only_memory_is_used_for_reading(tmp_path: Path) -> None:
    reviewed = "We uploaded every missing tracking ID by hand."
    with tmpfs("4m") as media:
        memory = media / "tm.sqlite"
        with TranslationMemory(memory) as tm:
            tm.store(S1, reviewed, origin="reviewed")
        _remount_ro(media)
        res = _run("memory", "stats", "--memory", str(memory), "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["entries"] == 1
        res = _run("memory", "export", "--memory", str(memory), "--out", str(tmp_path / "x.tmx"))
        assert res.exit_code == 0, res.output
        assert reviewed in (tmp_path / "x.tmx").read_text(encoding="utf-8")
        # A run uses it for lookups, and says that it stored nothing.
        src = build_simple(tmp_path / "a.docx", [S1, S2])
        pipeline = Pipeline(RunOptions(out_dir=tmp_path / "out", grammar="none",
                                       memory=memory))
        try:
            result = pipeline.run(src)
        finally:
            pipeline.close()
        assert result.doc.segments[0].text == reviewed
        assert any(n.code == "memory-readonly" for n in result.doc.notes)
        with TranslationMemory(memory) as tm:
            assert tm.readonly and len(tm) == 1
            with pytest.raises(InputError, match="read-only"):
                tm.store(S2, "x", origin="reviewed")


@pytest.mark.skipif(os.name != "posix" or shutil.which("setpriv") is None,
                    reason="needs setpriv to run as another user")
def test_read_only_memory_file_for_a_normal_user(tmp_path: Path) -> None:
    """A user who may not write the file (nor its folder): the case of the issue."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to another user")
    folder = Path(tempfile.mkdtemp(prefix="pipeline-ro-"))
    try:
        memory = folder / "tm.sqlite"
        with TranslationMemory(memory) as tm:
            tm.store(S1, "We uploaded the IDs.", origin="reviewed")
        memory.chmod(0o444)
        folder.chmod(0o555)
        code = ("import sys, json; from pipeline.memory import TranslationMemory as T; "
                "tm = T(sys.argv[1]); print(json.dumps([tm.readonly, tm.stats()['entries'], "
                "tm.lookup(sys.argv[2]).target]))")
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               sys.executable, "-c", code, str(memory), S1],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 and "Permission denied" in proc.stderr and \
                "tm.sqlite" not in proc.stderr:
            pytest.skip(f"the other user cannot run this Python: {proc.stderr[-200:]}")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == [True, 1, "We uploaded the IDs."]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


# --- item 11: a bad LanguageTool URL is a usage error -------------------------------------

@pytest.mark.parametrize("url", ["file:///x", "not a url", "http://", "ftp://lt.example/"])
def test_bad_languagetool_url_is_refused(tmp_path: Path, url: str) -> None:
    src = build_simple(tmp_path / "a.docx", [S1])
    english = tmp_path / "a_en.txt"
    english.write_text("We has fixed it.\n", encoding="utf-8")
    for args in (["run", str(src)], ["polish", str(english)],
                 ["batch", str(tmp_path), "--out", str(tmp_path / "out")]):
        out = _one_line_error(_run(*args, "--grammar", "languagetool",
                                   "--languagetool-url", url))
        assert "not an http(s) server URL" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a_en.txt"]


def test_good_languagetool_url_is_accepted() -> None:
    from pipeline.commands.common import check_languagetool_url

    for url in ("http://localhost:8081/", "https://lt.example.com/api", None):
        check_languagetool_url(url)


# --- item 11: a UTF-16 .txt to polish ------------------------------------------------------

@pytest.mark.parametrize("encoding,bom", [("utf-16", b""), ("utf-16-le", b""),
                                          ("utf-16-be", b"\xfe\xff")])
def test_polish_reads_utf16_text(tmp_path: Path, encoding: str, bom: bytes) -> None:
    from pipeline.polish import polish_file

    text = "We has send the invoice to Amazon.\r\n\r\nThe buyer receive the refund.\r\n"
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = bom + raw
    path = tmp_path / "draft.txt"
    path.write_bytes(raw)
    result = polish_file(path, backend="none")
    data = result.outputs["polished"].read_bytes()
    expected_bom = raw[:2] if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else b""
    assert data.startswith(expected_bom)
    decoded = data[len(expected_bom):].decode(encoding if encoding != "utf-16" else "utf-16-le")
    lines = decoded.split("\r\n")
    assert len(lines) == len(text.split("\r\n")) and lines[1] == ""
    assert result.lines == 3
    assert path.read_bytes() == raw  # the input is never modified


def test_polish_still_refuses_binary(tmp_path: Path) -> None:
    from pipeline.polish import polish_file

    path = tmp_path / "x.txt"
    path.write_bytes(b"PK\x03\x04\x00\x00\x08\x00binary\x00\x01\x02\xff")
    with pytest.raises(InputError, match="binary data"):
        polish_file(path, backend="none")
