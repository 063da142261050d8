"""Legacy .doc, WPS Office .wps and .rtf files through LibreOffice; other Word files in batch.

Tests that need LibreOffice (``soffice``) skip cleanly without it; `.ci/run` installs it.
Their inputs are made here: an RTF written as text, a .doc made by LibreOffice from a
.docx built with python-docx, and a .wps that is that .doc under WPS Office's name (WPS
Office saves Word 97 binary files as .wps; LibreOffice reads them by their content).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pytest
from docx_factory import build_simple, fake_translate

from pipeline.batch import discover
from pipeline.docx.audit import account
from pipeline.docx.convert import convert_with_soffice, find_soffice, load_source
from pipeline.docx.reader import read_docx
from pipeline.docx.safety import KIND_RTF, OLE2_MAGIC
from pipeline.docx.writer import write_docx
from pipeline.errors import InputError

SOFFICE = find_soffice()
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
TEXTS = ["我们已经退还了买家全部货款。", "我们将加强质量检查。"]

# Chinese in RTF: \uN? escapes (N = the UTF-16 code unit, signed), as Word writes it.
RTF = ("{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil SimSun;}}\n"
       "{\\pard\\f0\\fs24 " + "".join(f"\\u{ord(c)}?" for c in TEXTS[0]) + "\\par}\n"
       "{\\pard\\b " + "".join(f"\\u{ord(c)}?" for c in TEXTS[1]) + "\\b0\\par}\n"
       "{\\pard Order 123-4567890-1234567\\par}\n}")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_doc(tmp: Path) -> Path:
    """A Word 97 .doc, made by LibreOffice from a python-docx file (private profile)."""
    src = build_simple(tmp / "made.docx", TEXTS)
    subprocess.run([str(SOFFICE), f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
                    "--headless", "--norestore", "--convert-to", "doc:MS Word 97",
                    "--outdir", str(tmp / "doc"), str(src)],
                   check=True, capture_output=True, timeout=300)
    out = tmp / "doc" / "made.doc"
    assert out.read_bytes()[:8] == OLE2_MAGIC
    return out


def test_rtf_without_libreoffice_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rtf = tmp_path / "letter.rtf"
    rtf.write_text(RTF, encoding="ascii")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(InputError, match=r"RTF file; install LibreOffice \(soffice\)") as info:
        read_docx(rtf)
    assert "\n" not in str(info.value) and info.value.exit_code == 2


@pytest.mark.slow
@needs_soffice
def test_rtf_converted_and_written(tmp_path: Path) -> None:
    rtf = tmp_path / "letter.rtf"
    rtf.write_text(RTF, encoding="ascii")
    before = sha(rtf)
    doc = read_docx(rtf)
    assert [b.text for b in doc.blocks] == [*TEXTS, "Order 123-4567890-1234567"]
    assert doc.run.format == "rtf"
    assert [n.code for n in doc.notes] == ["input-rtf"] and "LibreOffice" in doc.notes[0].message
    assert account(rtf)["ok"]
    out = write_docx(fake_translate(doc), tmp_path / "letter.en.docx")
    assert sha(rtf) == before  # LibreOffice worked on a copy
    english = [p.text for p in docx.Document(str(out)).paragraphs if p.text]
    assert english == [b.target_text() for b in doc.blocks]
    assert docx.Document(str(out)).paragraphs[1].runs[0].bold  # formatting came through


@pytest.mark.slow
@needs_soffice
def test_doc_and_wps_converted_in_parallel(tmp_path: Path) -> None:
    doc_file = make_doc(tmp_path)
    wps = tmp_path / "wps" / "卖家申诉.wps"  # WPS Office's extension, a Chinese file name
    wps.parent.mkdir()
    shutil.copy(doc_file, wps)
    # Two conversions at once: each has its own LibreOffice profile, so they never collide.
    with ThreadPoolExecutor(2) as pool:
        sources = list(pool.map(load_source, [doc_file, wps]))
    assert [s.format for s in sources] == ["doc", "wps"]
    for path, fmt in ((doc_file, "doc"), (wps, "wps")):
        doc = read_docx(path)
        assert [b.text for b in doc.blocks] == TEXTS
        assert doc.run.format == fmt and doc.notes[0].code == f"input-{fmt}"
        out = write_docx(fake_translate(doc), tmp_path / f"{fmt}.en.docx")
        assert [p.text for p in docx.Document(str(out)).paragraphs if p.text] == \
            [b.target_text() for b in doc.blocks]


@pytest.mark.slow
@needs_soffice
def test_damaged_doc_refused_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.doc"
    bad.write_bytes(OLE2_MAGIC + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 600)
    with pytest.raises(InputError, match="LibreOffice could not convert") as info:
        read_docx(bad)
    assert "\n" not in str(info.value)


@needs_soffice
def test_conversion_timeout_is_one_line(tmp_path: Path) -> None:
    rtf = tmp_path / "slow.rtf"
    rtf.write_text(RTF, encoding="ascii")
    # A cold LibreOffice start takes far longer than 0.3 s: the conversion is stopped.
    with pytest.raises(InputError, match=r"LibreOffice took over 0.3 s") as info:
        convert_with_soffice(rtf, KIND_RTF, timeout=0.3)
    assert "\n" not in str(info.value)


def test_batch_discovers_every_word_format(tmp_path: Path) -> None:
    for name in ("a.docx", "b.docm", "c.doc", "d.wps", "e.rtf", "f.dotx", "g.dotm", "h.DOC",
                 "~$a.docx", "notes.txt", "pic.png", ".hidden/x.doc"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in discover(tmp_path)] == ["a.docx", "b.docm", "c.doc", "d.wps",
                                                    "e.rtf", "f.dotx", "g.dotm", "h.DOC"]


def test_run_docm_says_macros_were_dropped(tmp_path: Path) -> None:
    """`pipeline run draft.docm`: .docx outputs without macros, said on screen and in files."""
    from test_reader_writer import to_docm

    src = to_docm(build_simple(tmp_path / "d.docx", ["我们已经退还了买家全部货款。"]),
                  tmp_path / "draft.docm")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", str(src), "--out", str(out),
                             "--grammar", "none"], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "macros were not carried over" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["draft.en.docx", "draft.report.json",
                                                     "draft.review.docx"]
    with zipfile.ZipFile(out / "draft.en.docx") as zf:
        assert not any("vba" in n.lower() for n in zf.namelist())
    report = json.loads((out / "draft.report.json").read_text(encoding="utf-8"))
    assert "input-docm" in [n["code"] for n in report["document_notes"]]
    review = "\n".join(p.text for p in docx.Document(str(out / "draft.review.docx")).paragraphs)
    assert "macros were not carried over" in review
