"""Every file of the third-party DOCX corpus is read or refused with a reason, nothing lost.

The corpus lives beside the repository (../shared/corpora/docx, or $PIPELINE_SHARED);
a fresh clone without it skips these tests.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import docx
import pytest
from docx_factory import fake_translate

from pipeline.docx.audit import account
from pipeline.docx.convert import find_soffice
from pipeline.docx.reader import read_docx
from pipeline.docx.writer import write_docx
from pipeline.errors import PipelineError
from pipeline.segment import segment_document


def corpus_dir() -> Path | None:
    env = os.environ.get("PIPELINE_SHARED")
    candidates = [Path(env) / "corpora" / "docx"] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "corpora" / "docx")
    return next((c for c in candidates if c.is_dir()), None)


CORPUS = corpus_dir()
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md") if CORPUS else []
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CORPUS is None, reason="DOCX corpus (../shared) not present")]

# Files refused on purpose (see the corpus's SOURCES.md): the reason must say why.
EXPECTED_REFUSALS = {
    "bug53475-password-is-pass.docx": "encrypted",
    "ExternalEntityInText.docx": "DTD",
    "truncated62886.docx": "corrupt or truncated",
}


def _rel(path: Path) -> str:
    return str(path.relative_to(CORPUS)) if CORPUS else str(path)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Read, account, translate (fake) and write every file once; collect the outcome."""
    out_dir = tmp_path_factory.mktemp("corpus-out")
    outcome: dict[str, object] = {}
    for i, path in enumerate(FILES):
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            doc = read_docx(path)
        except PipelineError as exc:
            outcome[_rel(path)] = ("refused", str(exc))
            continue
        # Any other exception is a traceback the user would see: let it fail the test.
        acc = account(path)
        fake_translate(doc)
        out = write_docx(doc, out_dir / f"{i}.docx")
        again = {b.id: b.text for b in read_docx(out).blocks}
        wrong = [b.id for b in doc.blocks if again.get(b.id) != b.target_text()]
        try:
            docx.Document(str(path))
            opens_input = True
        except Exception:  # python-docx cannot open some valid-but-odd inputs
            opens_input = False
        if opens_input:
            docx.Document(str(out))  # must not raise
        # Second pass with the real segmenter: English per sentence, so the writer's
        # per-segment placement (bold sentences, links, fields) runs on real files.
        seg_doc = segment_document(read_docx(path))
        for seg in seg_doc.segments:
            if seg.translatable:
                seg.target = f"<{seg.source.strip()}>"
        out2 = write_docx(seg_doc, out_dir / f"{i}.seg.docx")
        again = {b.id: b.text for b in read_docx(out2).blocks}
        wrong += [b.id for b in seg_doc.blocks if b.changed and again.get(b.id) != b.target_text()]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before, path
        with zipfile.ZipFile(out) as zf:  # what was left of Strict names and macros
            leftovers = sorted({n for n in zf.namelist() if "vba" in n.lower()} |
                               {n for n in zf.namelist() if b"purl.oclc.org/ooxml" in zf.read(n)})
        outcome[_rel(path)] = ("read", acc, wrong, len(doc.blocks), doc.run.format, leftovers)
    return outcome


def test_every_file_read_or_refused(results: dict[str, object]) -> None:
    assert len(results) == len(FILES) > 250
    read = [k for k, v in results.items() if v[0] == "read"]  # type: ignore[index]
    # 303 files: 290 read with LibreOffice (287 without: the three .doc files need it).
    assert len(read) >= (285 if find_soffice() else 280), len(read)
    for value in results.values():
        if value[0] == "refused":  # type: ignore[index]
            msg = value[1]  # type: ignore[index]
            assert "\n" not in msg and len(msg) < 300, msg
    for name, reason in EXPECTED_REFUSALS.items():
        hits = [v for k, v in results.items() if k.endswith(name)]
        assert hits and hits[0][0] == "refused" and reason in hits[0][1], (name, hits)  # type: ignore[index]


STRICT = ["docling/Strict.docx", "docx2python/strict.docx", "mammoth/strict-format.docx",
          "open-xml-sdk/Strict01.docx", "open-xml-sdk/CommentRangeStart.docx"]


def test_strict_macro_and_legacy_files_read(results: dict[str, object]) -> None:
    formats = {k: v[4] for k, v in results.items() if v[0] == "read"}  # type: ignore[index]
    for name in STRICT:
        assert formats.get(name) == "strict", (name, results.get(name))
    assert sum(1 for f in formats.values() if f == "strict") >= 10
    for name, value in results.items():
        if value[0] == "read":  # type: ignore[index]
            assert value[5] == [], (name, value[5])  # no Strict names, no macros in outputs  # type: ignore[index]
        if name.endswith((".docm", ".dotm")) and "hello_world" not in name:
            assert formats.get(name) == name[-4:], (name, value)  # a real docm/dotm: read
        if name.endswith(".doc") and "badfile" not in name:
            if find_soffice():
                assert formats.get(name) == "doc", (name, value)  # converted by LibreOffice
            else:
                assert value[0] == "refused" and "install LibreOffice" in value[1], name  # type: ignore[index]
    # A .doc with a bad header is refused, with or without LibreOffice.
    bad = [v for k, v in results.items() if k.endswith("badfile-01-bad-header.doc")]
    assert bad and bad[0][0] == "refused"  # type: ignore[index]
    # A ".docm" that is really a binary .doc is read as one (via LibreOffice).
    fake = [v for k, v in results.items() if "hello_world.docm" in k]
    assert fake and (fake[0][4] == "doc" if find_soffice() else fake[0][0] == "refused")  # type: ignore[index]


def test_text_accounting_holds(results: dict[str, object]) -> None:
    bad = {}
    for name, value in results.items():
        if value[0] == "read":  # type: ignore[index]
            acc = value[1]  # type: ignore[index]
            if not acc["ok"]:
                bad[name] = (acc["lost"][:3], acc["double"][:3])
    assert bad == {}


def test_fake_translation_round_trips(results: dict[str, object]) -> None:
    wrong = {k: v[2][:3] for k, v in results.items() if v[0] == "read" and v[2]}  # type: ignore[index]
    assert wrong == {}
    total = sum(v[3] for v in results.values() if v[0] == "read")  # type: ignore[index]
    assert total > 10_000
