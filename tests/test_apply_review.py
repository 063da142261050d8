"""Review round trip: draft -> edit the review DOCX like a reviewer -> apply-review.

The draft is made by the real pipeline (demo model, no grammar backend); the review is
edited with python-docx the way Word would store it; the final DOCX is read back.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from pipeline.apply_review import apply_review
from pipeline.docx.review_reader import read_review
from pipeline.errors import InputError

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "draft_zh.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

NUMBER_ROW = "body/p2#1"  # 过去60天内，我们的订单缺陷率达到2.8%，远高于1%的目标。
SALUTATION_ROW = "body/p1#0"  # 尊敬的卖家绩效团队：
DELETED_ROW = "body/p28#0"  # 我们对这些问题给买家带来的不便深表歉意。
EDIT_ROW = "body/p17#1"  # 质检员每天记录检验结果，运营经理每周审核一次。


# --- the draft -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def draft_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real pipeline run on the sample: source, review, English, report."""
    from pipeline.errors import ModelError
    from pipeline.runner import RunOptions, run_document

    folder = tmp_path_factory.mktemp("draft")
    source = folder / "draft_zh.docx"
    shutil.copy(SAMPLE, source)
    try:
        run_document(source, RunOptions(out_dir=folder, grammar="none"))
    except ModelError:  # no model at all (demo package not built): same outputs without it
        _draft_without_model(source, folder)
    assert (folder / "draft_zh.review.docx").is_file()
    return folder


def _draft_without_model(source: Path, folder: Path) -> None:
    """The draft's outputs made by the real steps, with the demo corpus as the engine."""
    from pipeline.document import Origin
    from pipeline.docx.reader import read_docx
    from pipeline.docx.review_writer import write_review
    from pipeline.docx.writer import write_docx
    from pipeline.glossary import EnforceStep, load_glossaries
    from pipeline.qa import QAStep
    from pipeline.report import write_report
    from pipeline.runner import sha256_file
    from pipeline.segment import segment_document

    lines = (REPO / "demo_model" / "corpus.tsv").read_text(encoding="utf-8").splitlines()[1:]
    corpus = dict(ln.split("\t", 1) for ln in lines if "\t" in ln)
    glossary = load_glossaries([], builtin=True)
    doc = segment_document(read_docx(source))
    doc.run.source_sha256 = sha256_file(source)
    for seg in doc.segments:
        if seg.translatable:
            seg.terms = glossary.detect(seg.source)
            seg.mt = seg.target = corpus.get(seg.source, seg.source)
            seg.origin = Origin.MACHINE
    EnforceStep(glossary)(doc)
    QAStep(glossary=glossary)(doc)
    write_docx(doc, folder / "draft_zh.en.docx", force=True)
    write_review(doc, folder / "draft_zh.review.docx")
    write_report(doc, folder / "draft_zh.report.json")


@pytest.fixture()
def draft(draft_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the draft folder; returns the review path in it."""
    for f in draft_dir.iterdir():
        shutil.copy(f, tmp_path / f.name)
    review = tmp_path / "draft_zh.review.docx"
    _retarget(review, tmp_path / "draft_zh.docx")
    return review


def _retarget(review: Path, source: Path) -> None:
    """Point the metadata at the copied source (as if the draft had been made here)."""
    d = docx.Document(str(review))
    for p in d.paragraphs:
        if p.text.startswith("pipeline-review-metadata:"):
            meta = json.loads(p.text.split(":", 1)[1])
            meta["source_path"] = str(source.resolve())
            p.runs[0].text = "pipeline-review-metadata: " + json.dumps(meta, ensure_ascii=False)
            for r in p.runs[1:]:
                r.text = ""
    d.save(str(review))


# --- editing helpers (what a reviewer does in Word) -----------------------------------------

def _rows(d: docx.document.Document) -> list:
    return list(d.tables[0].rows[1:])


def _row(d: docx.document.Document, seg_id: str):  # noqa: ANN202
    for row in _rows(d):
        if row.cells[0].text.split("\n")[0] == seg_id:
            return row
    raise KeyError(seg_id)


def _set(cell, text: str) -> None:  # noqa: ANN001
    cell.paragraphs[0].text = text
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)


def edit(review: Path, english: dict[str, str] | None = None, status: dict[str, str] | None = None,
         delete: tuple[str, ...] = (), source: dict[str, str] | None = None) -> None:
    d = docx.Document(str(review))
    for seg_id, text in (english or {}).items():
        _set(_row(d, seg_id).cells[2], text)
    for seg_id, text in (status or {}).items():
        _set(_row(d, seg_id).cells[3], text)
    for seg_id, text in (source or {}).items():
        _set(_row(d, seg_id).cells[1], text)
    for seg_id in delete:
        tr = _row(d, seg_id)._tr
        tr.getparent().remove(tr)
    d.save(str(review))


def english_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts.extend(c.text for r in t.rows for c in r.cells)
    return "\n".join(parts)


def report_final(review: Path, seg_id: str) -> str:
    data = json.loads((review.parent / "draft_zh.report.json").read_text(encoding="utf-8"))
    return next(s["final"] for s in data["segments"] if s["id"] == seg_id)


# --- reading --------------------------------------------------------------------------------

def test_read_review(draft: Path) -> None:
    data = read_review(draft)
    assert data.mode == "translate"
    assert data.metadata["segments"] == len(data.rows) > 40
    assert data.source_path == (draft.parent / "draft_zh.docx").resolve()
    row = next(r for r in data.rows if r.id == NUMBER_ROW)
    assert row.source == "过去60天内，我们的订单缺陷率达到2.8%，远高于1%的目标。"
    assert len(row.fingerprint) == 10 and not row.source_altered
    assert row.status == "machine" and row.english


def test_read_review_refuses_other_documents(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a review document"):
        read_review(SAMPLE)
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError):
        read_review(bad)


def test_tracked_changes_are_read_as_accepted(draft: Path) -> None:
    d = docx.Document(str(draft))
    p = _row(d, SALUTATION_ROW).cells[2].paragraphs[0]
    for r in list(p._p):
        if r.tag == f"{W}r":
            p._p.remove(r)
    p._p.append(_xml(f'<w:r {NS}><w:t xml:space="preserve">Dear </w:t></w:r>'))
    p._p.append(_xml(f'<w:del {NS} w:id="91" w:author="R" w:date="2026-10-01T00:00:00Z">'
                     '<w:r><w:delText>Amazon</w:delText></w:r></w:del>'))
    p._p.append(_xml(f'<w:ins {NS} w:id="92" w:author="R" w:date="2026-10-01T00:00:00Z">'
                     '<w:r><w:t>Seller Performance Team,</w:t></w:r></w:ins>'))
    d.save(str(draft))
    row = next(r for r in read_review(draft).rows if r.id == SALUTATION_ROW)
    assert row.english == "Dear Seller Performance Team,"


NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _xml(text: str):  # noqa: ANN202
    from lxml import etree

    return etree.fromstring(text)


@pytest.mark.slow
def test_reviewer_comments_are_read(draft: Path) -> None:
    d = docx.Document(str(draft))
    run = _row(d, NUMBER_ROW).cells[2].paragraphs[0].runs[0]
    d.add_comment(run, text="Check this figure against the dashboard.", author="Reviewer")
    d.save(str(draft))
    data = read_review(draft)
    row = next(r for r in data.rows if r.id == NUMBER_ROW)
    assert row.comments == ["Reviewer: Check this figure against the dashboard."]
    result = apply_review(draft)
    assert result.comments[0]["id"] == NUMBER_ROW


# --- the round trip -------------------------------------------------------------------------

def test_round_trip(draft: Path) -> None:
    from pipeline.memory import TranslationMemory

    deleted_mt = report_final(draft, DELETED_ROW)
    edits = {
        SALUTATION_ROW: "Dear Seller Performance Team,",
        NUMBER_ROW: "In the past 60 days, our Order Defect Rate reached 3.8%, well above "
                    "the 1% target.",  # a changed number: QA must flag it
        EDIT_ROW: "Our inspectors log every result daily, and the operations manager "
                  "reviews the log every week.",
    }
    edit(draft, english=edits, status={SALUTATION_ROW: "ok"}, delete=(DELETED_ROW,))
    memory = draft.parent / "tm.sqlite"
    result = apply_review(draft, memory_path=memory)

    final = english_text(result.outputs["english"])
    for text in edits.values():
        assert text in final
    assert deleted_mt in final  # the deleted row's segment kept its machine translation
    assert [d["id"] for d in result.deleted] == [DELETED_ROW]
    assert result.deleted[0]["kept"] == "machine translation"
    edited_ids = {e["id"] for e in result.edited}
    assert {NUMBER_ROW, EDIT_ROW} <= edited_ids
    assert not (result.unknown or result.stale or result.duplicates or result.altered_source)

    notes = {(n["id"], n["code"]) for n in result.qa_notes()}
    assert (NUMBER_ROW, "number-mismatch") in notes
    assert result.has_errors

    report = json.loads(result.outputs["report"].read_text(encoding="utf-8"))
    assert report["counts"]["deleted"] == 1
    assert report["deleted"][0]["id"] == DELETED_ROW
    assert any(n["code"] == "number-mismatch" for n in report["qa_notes"])

    with TranslationMemory(memory) as tm:
        hit = tm.lookup("质检员每天记录检验结果，运营经理每周审核一次。")
        assert hit is not None and hit.origin == "reviewed" and hit.target == edits[EDIT_ROW]
        # Untouched rows still marked "machine" are not vouched for: not stored as reviewed.
        assert tm.lookup("我们已经手动上传了所有缺失的追踪编码。") is None


def test_unedited_review_reproduces_the_draft(draft: Path) -> None:
    draft_english = english_text(draft.parent / "draft_zh.en.docx")
    out = draft.parent / "out"
    result = apply_review(draft, out_dir=out)
    assert result.outputs["english"] == out / "draft_zh.en.docx"
    assert english_text(result.outputs["english"]) == draft_english
    assert not (result.edited or result.deleted or result.unknown or result.stale)


def test_sorted_rows(draft: Path) -> None:
    edit(draft, english={EDIT_ROW: "Inspectors log results daily."})
    d = docx.Document(str(draft))
    tbl = d.tables[0]._tbl
    trs = [r._tr for r in _rows(d)]
    for tr in trs:
        tbl.remove(tr)
    for tr in sorted(trs, key=lambda tr: "".join(tr.itertext())[::-1]):  # any order
        tbl.append(tr)
    d.save(str(draft))
    result = apply_review(draft)
    assert not (result.deleted or result.unknown or result.duplicates)
    assert "Inspectors log results daily." in english_text(result.outputs["english"])


def test_duplicated_rows_first_wins(draft: Path) -> None:
    d = docx.Document(str(draft))
    row = _row(d, EDIT_ROW)
    copy1, copy2 = copy.deepcopy(row._tr), copy.deepcopy(row._tr)
    row._tr.addnext(copy1)
    copy1.addnext(copy2)
    d.save(str(draft))
    d = docx.Document(str(draft))
    dupes = [r for r in _rows(d) if r.cells[0].text.startswith(EDIT_ROW)]
    _set(dupes[0].cells[2], "First version.")
    _set(dupes[1].cells[2], "Second version.")
    d.save(str(draft))
    result = apply_review(draft)
    assert len(result.duplicates) == 1
    dup = result.duplicates[0]
    assert dup["id"] == EDIT_ROW and dup["conflict"] and len(dup["rows"]) == 3
    assert {i["english"] for i in dup["ignored"]} >= {"Second version."}
    final = english_text(result.outputs["english"])
    assert "First version." in final and "Second version." not in final


def test_altered_source_is_applied_and_flagged(draft: Path, tmp_path: Path) -> None:
    from pipeline.memory import TranslationMemory

    edit(draft, source={EDIT_ROW: "质检员每天记录结果。"}, english={EDIT_ROW: "Inspectors log results."})
    memory = tmp_path / "tm.sqlite"
    result = apply_review(draft, memory_path=memory)
    assert [a["id"] for a in result.altered_source] == [EDIT_ROW]
    assert result.altered_source[0]["review_source"] == "质检员每天记录结果。"
    assert "Inspectors log results." in english_text(result.outputs["english"])
    with TranslationMemory(memory) as tm:
        assert tm.lookup("质检员每天记录检验结果，运营经理每周审核一次。") is None


def test_unknown_ids_and_cleared_english(draft: Path) -> None:
    d = docx.Document(str(draft))
    _set(_row(d, EDIT_ROW).cells[0], "body/p999#0\nfp:0123456789")
    _set(_row(d, NUMBER_ROW).cells[2], "")
    d.save(str(draft))
    result = apply_review(draft)
    assert [u["id"] for u in result.unknown] == ["body/p999#0"]
    assert EDIT_ROW in [x["id"] for x in result.deleted]  # its row is gone: listed too
    assert [e["id"] for e in result.empty] == [NUMBER_ROW]
    assert report_final(draft, NUMBER_ROW) in english_text(result.outputs["english"])


def test_source_changed_since_review(draft: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "draft_zh.docx"
    moved.parent.mkdir()
    shutil.copy(draft.parent / "draft_zh.docx", moved)
    d = docx.Document(str(moved))
    para = next(p for p in d.paragraphs if p.text.startswith("我们已经手动上传"))
    para.runs[0].text = "我们已经手动上传了全部追踪编码。"
    for r in para.runs[1:]:
        r.text = ""
    d.save(str(moved))
    edit(draft, english={"body/p13#0": "We uploaded every missing tracking ID by hand."})
    result = apply_review(draft, source=moved)
    assert any("changed since the review" in w for w in result.warnings)
    assert [s["id"] for s in result.stale] == ["body/p13#0"]
    assert result.stale[0]["applied"] is False and result.stale[0]["kept"]
    assert "by hand" not in english_text(result.outputs["english"])
    forced = apply_review(draft, source=moved, force=True)
    assert forced.stale[0]["applied"] is True  # still listed: the reviewer should look
    assert "by hand" in english_text(forced.outputs["english"])


def test_paragraph_inserted_in_original(draft: Path, tmp_path: Path) -> None:
    """Ids shift when the original gains a paragraph: rows follow their fingerprint."""
    moved = tmp_path / "elsewhere" / "draft_zh.docx"
    moved.parent.mkdir()
    shutil.copy(draft.parent / "draft_zh.docx", moved)
    d = docx.Document(str(moved))
    d.paragraphs[0].insert_paragraph_before("新增的一段说明。")
    d.save(str(moved))
    edit(draft, english={EDIT_ROW: "Inspectors log results daily."})
    result = apply_review(draft, source=moved)
    assert result.moved and not result.stale
    assert any(m["review_id"] == EDIT_ROW for m in result.moved)
    assert any(e["after"] == "Inspectors log results daily." for e in result.edited)
    assert len(result.edited) == 1  # moved rows still compare with their draft English
    assert "Inspectors log results daily." in english_text(result.outputs["english"])
    # The new paragraph had no row: listed, never silently passed over.
    assert [x["source"] for x in result.deleted] == ["新增的一段说明。"]


def test_missing_original(draft: Path) -> None:
    (draft.parent / "draft_zh.docx").unlink()
    with pytest.raises(InputError, match="not found"):
        apply_review(draft)


def test_without_report_deleted_rows_keep_source(draft: Path) -> None:
    (draft.parent / "draft_zh.report.json").unlink()
    edit(draft, delete=(DELETED_ROW,))
    result = apply_review(draft)
    assert not result.baseline and result.warnings
    assert result.deleted[0]["kept"] == "source"
    notes = {(n["id"], n["code"]) for n in result.qa_notes()}
    assert (DELETED_ROW, "untranslated") in notes  # the Chinese left in is not silent


# --- LibreOffice ------------------------------------------------------------------------------

def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_saved_review(draft: Path, tmp_path: Path) -> None:
    edit(draft, english={EDIT_ROW: "Inspectors log results daily."}, delete=(DELETED_ROW,))
    lo_out = tmp_path / "lo"
    lo_out.mkdir()
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run([_soffice(), f"-env:UserInstallation={profile}", "--headless",
                           "--convert-to", "docx", "--outdir", str(lo_out), str(draft)],
                          capture_output=True, text=True, timeout=240)
    saved = lo_out / draft.name
    if proc.returncode != 0 or not saved.is_file():
        pytest.skip(f"soffice could not convert: {proc.stderr[-300:]}")
    before = read_review(draft)
    after = read_review(saved)
    assert after.metadata == before.metadata
    assert [(r.id, r.fingerprint, r.source, r.english, r.status) for r in after.rows] == \
        [(r.id, r.fingerprint, r.source, r.english, r.status) for r in before.rows]
    # Applied from a copy beside the report, the result is the same.
    shutil.copy(saved, draft.parent / "lo.review.docx")
    result = apply_review(draft.parent / "lo.review.docx")
    assert "Inspectors log results daily." in english_text(result.outputs["english"])
    assert [d["id"] for d in result.deleted] == [DELETED_ROW]
    assert result.deleted[0]["kept"] == "machine translation"


# --- the commands --------------------------------------------------------------------------------

def _app():  # noqa: ANN202
    import typer

    from pipeline.commands.qa import qa
    from pipeline.commands.review import apply_review as apply_cmd

    app = typer.Typer()
    app.command("apply-review")(apply_cmd)
    app.command("qa")(qa)
    return app


def test_cli_apply_review_and_qa(draft: Path) -> None:
    edit(draft, english={NUMBER_ROW: "Our Order Defect Rate reached 3.8% in 60 days, above "
                                     "the 1% target."})
    runner = CliRunner()
    res = runner.invoke(_app(), ["qa", str(draft), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert any(f["id"] == NUMBER_ROW and f["code"] == "number-mismatch" for f in data["findings"])
    assert runner.invoke(_app(), ["qa", str(draft), "--strict"]).exit_code == 1
    assert runner.invoke(_app(), ["qa", str(draft)]).exit_code == 0

    res = runner.invoke(_app(), ["apply-review", str(draft), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["counts"]["edited"] == 1 and data["qa"]["error"] >= 1
    res = runner.invoke(_app(), ["apply-review", str(draft)])
    assert res.exit_code == 0 and "QA:" in res.output
    assert runner.invoke(_app(), ["apply-review", str(draft), "--strict"]).exit_code == 1


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["apply-review", str(tmp_path / "missing.review.docx")])
    assert res.exit_code == 2
    assert "error:" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(_app(), ["qa", str(SAMPLE)])
    assert res.exit_code == 2 and "not a review document" in res.output


# --- split tables, deleted columns, a bad memory (issue 12) ----------------------------------

SECOND_HALF_ROW = "body/p28#0"  # near the end of the table: lands in the second part


def split_table(review: Path, at: int, *, repeat_header: bool = False) -> int:
    """Split the review table before its data row ``at`` as Word's Layout > Split Table
    does (a second table after an empty paragraph); LibreOffice's page-break split also
    repeats the header row. Returns the number of rows moved to the second table."""
    d = docx.Document(str(review))
    tbl = d.tables[0]._tbl
    rows = tbl.findall(f"{W}tr")
    second = copy.deepcopy(tbl)
    for tr in rows[1 + at:]:
        tbl.remove(tr)
    second_rows = second.findall(f"{W}tr")
    for tr in second_rows[(0 if not repeat_header else 1):1 + at]:
        second.remove(tr)
    para = copy.deepcopy(d.paragraphs[-1]._p)
    for child in list(para):
        if child.tag != f"{W}pPr":
            para.remove(child)
    tbl.addnext(para)
    para.addnext(second)
    d.save(str(review))
    return len(rows) - 1 - at


def test_split_table_rows_are_all_read(draft: Path) -> None:
    before = read_review(draft)
    moved = split_table(draft, 10)
    assert moved > 20
    d = docx.Document(str(draft))
    assert len(d.tables) == 2
    # The reviewer edits a row of the second table.
    row = next(r for t in d.tables for r in t.rows if r.cells[0].text.startswith(SECOND_HALF_ROW))
    _set(row.cells[2], "We sincerely apologise to every buyer for the trouble.")
    d.save(str(draft))
    after = read_review(draft)
    assert after.tables == 2
    assert [r.id for r in after.rows] == [r.id for r in before.rows]
    result = apply_review(draft)
    assert not result.deleted and not result.unreadable
    assert {e["id"] for e in result.edited} == {SECOND_HALF_ROW}
    assert "We sincerely apologise to every buyer for the trouble." in \
        english_text(result.outputs["english"])


def test_split_table_with_repeated_header(draft: Path) -> None:
    before = read_review(draft)
    split_table(draft, 5, repeat_header=True)
    after = read_review(draft)
    assert after.tables == 2
    assert [(r.id, r.english) for r in after.rows] == [(r.id, r.english) for r in before.rows]
    assert not apply_review(draft).deleted


def test_unreadable_row_in_split_table_is_named(draft: Path) -> None:
    split_table(draft, 10)
    d = docx.Document(str(draft))
    cell = d.tables[1].rows[2].cells[0]
    _set(cell, "")  # the reviewer wiped the ID cell of a row in the second table
    d.save(str(draft))
    result = apply_review(draft)
    assert len(result.unreadable) == 1 and result.unreadable[0]["table"] == 2
    assert result.unreadable[0]["reason"] == "no segment id"
    assert any("no segment id" in w for w in result.warnings)
    res = CliRunner().invoke(_app(), ["apply-review", str(draft), "--strict"])
    assert res.exit_code == 1 and "could not be read" in res.output


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.slow
def test_split_table_through_libreoffice(draft: Path, tmp_path: Path) -> None:
    split_table(draft, 12)
    edit_doc = docx.Document(str(draft))
    row = next(r for t in edit_doc.tables for r in t.rows
               if r.cells[0].text.startswith(SECOND_HALF_ROW))
    _set(row.cells[2], "We apologise to the buyers for the trouble.")
    edit_doc.save(str(draft))
    lo_out = tmp_path / "lo"
    lo_out.mkdir()
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run([_soffice(), f"-env:UserInstallation={profile}", "--headless",
                           "--convert-to", "docx", "--outdir", str(lo_out), str(draft)],
                          capture_output=True, text=True, timeout=240)
    saved = lo_out / draft.name
    if proc.returncode != 0 or not saved.is_file():
        pytest.skip(f"soffice could not convert: {proc.stderr[-300:]}")
    shutil.copy(saved, draft.parent / "lo.review.docx")
    result = apply_review(draft.parent / "lo.review.docx")
    assert not result.deleted and not result.unreadable
    assert {e["id"] for e in result.edited} == {SECOND_HALF_ROW}
    assert "We apologise to the buyers for the trouble." in english_text(result.outputs["english"])


def _delete_column(review: Path, index: int) -> None:
    d = docx.Document(str(review))
    tbl = d.tables[0]._tbl
    for tr in tbl.findall(f"{W}tr"):
        tr.remove(tr.findall(f"{W}tc")[index])
    grid = tbl.find(f"{W}tblGrid")
    grid.remove(grid.findall(f"{W}gridCol")[index])
    d.save(str(review))


def test_deleted_status_column_is_read_by_header(draft: Path) -> None:
    edit(draft, english={EDIT_ROW: "Inspectors log results daily; the manager checks weekly."})
    _delete_column(draft, 3)  # Status
    data = read_review(draft)
    row = next(r for r in data.rows if r.id == NUMBER_ROW)
    assert row.status == ""  # not the Notes text read "by position"
    assert any("no Status column" in w for w in data.warnings)
    result = apply_review(draft)
    assert not any("unknown status" in w for w in result.warnings)
    assert {e["id"] for e in result.edited} == {EDIT_ROW}


def test_deleted_source_column_is_not_an_altered_source(draft: Path) -> None:
    _delete_column(draft, 1)  # 中文原文
    result = apply_review(draft)
    assert not result.altered_source and not result.deleted and not result.unknown


def test_bad_memory_writes_nothing(draft: Path) -> None:
    edit(draft, english={EDIT_ROW: "Inspectors log results daily."})
    garbage = draft.parent / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    english = draft.parent / "draft_zh.en.docx"
    english.unlink()
    with pytest.raises(InputError, match="not a translation memory"):
        apply_review(draft, memory_path=garbage)
    assert not english.exists()
    assert not (draft.parent / "draft_zh.apply-review.json").exists()
    res = CliRunner().invoke(_app(), ["apply-review", str(draft), "--memory", str(garbage)])
    assert res.exit_code == 2 and not english.exists()


def test_read_only_memory_writes_nothing(draft: Path) -> None:
    from test_nothing_lost import _remount_ro, tmpfs

    from pipeline.memory import TranslationMemory

    edit(draft, english={EDIT_ROW: "Inspectors log results daily."}, status={EDIT_ROW: "ok"})
    english = draft.parent / "draft_zh.en.docx"
    english.unlink()
    with tmpfs("1m") as media:
        with TranslationMemory(media / "tm.sqlite") as tm:
            tm.store("我们已经手动上传了所有缺失的追踪编码。", "We uploaded the IDs.", "reviewed")
        _remount_ro(media)
        with pytest.raises(InputError, match="read-only"):
            apply_review(draft, memory_path=media / "tm.sqlite")
    assert not english.exists()
    assert not (draft.parent / "draft_zh.apply-review.json").exists()
