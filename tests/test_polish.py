"""`pipeline polish` on .txt and .docx drafts, with the real Harper, reader and writer."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from pipeline.document import Block
from pipeline.errors import InputError, OutputError
from pipeline.polish import polish_file, segment_english, sentence_spans

DRAFT_LINES = [
    "Dear amazon:",
    "",
    "We has received your notification,our ODR is too high.In manycases the buyer did not "
    "received the item.",
    "   ",
    "Our team checks the Late Shipment Rate every morning at 10:30, e.g. for ASIN B0C1234XYZ. "
    "The U.S. team does the same.",
    "1、We reply within 24H.2、We ship within 12h.",
    "我们已经收到通知。",
    "",
]
POLISHED_LINES = [
    "Dear Amazon:",  # the addressee is the reviewer's call: a suggestion (#17)
    "",
    "We have received your notification, our ODR is too high. In many cases the buyer did not "
    "receive the item.",
    "   ",
    "Our team checks the Late Shipment Rate every morning at 10:30, e.g. for ASIN B0C1234XYZ. "
    "The U.S. team does the same.",
    "1. We reply within 24 hours. 2. We ship within 12 hours.",
    "我们已经收到通知。",
    "",
]


def run(path: Path, **kw):
    kw.setdefault("builtin_glossary", False)
    return polish_file(path, **kw)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_txt_one_output_line_per_input_line(tmp_path: Path, newline: str) -> None:
    src = tmp_path / "draft_en.txt"
    src.write_bytes(newline.join(DRAFT_LINES).encode("utf-8"))
    result = run(src)
    out = tmp_path / "draft_en.polished.txt"
    assert result.outputs == {"polished": out, "report": tmp_path / "draft_en.polished.report.json"}
    data = out.read_bytes().decode("utf-8")
    assert data.split(newline) == POLISHED_LINES
    assert data.count("\n") == newline.join(DRAFT_LINES).count("\n")
    assert result.lines == len(DRAFT_LINES) - 1  # the text ends with a line break
    report = json.loads(result.outputs["report"].read_text("utf-8"))
    assert report["mode"] == "polish"
    assert report["grammar"].startswith("harper")
    assert report["summary"]["changes"] == result.changes > 0
    # "Dear amazon:" -> the addressee is a suggestion for the reviewer, counted apart.
    assert 1 <= report["summary"]["suggestions"] <= report["summary"]["notes"]
    seg_ids = [s["id"] for s in report["segments"]]
    assert "line5#0" in seg_ids and "line5#1" in seg_ids  # one row per sentence
    chinese = [s for s in report["segments"] if s["id"] == "line7#0"][0]
    assert chinese["skip_reason"] and chinese["final"] == "我们已经收到通知。"


def test_txt_keeps_bom_and_a_missing_final_newline(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(b"\xef\xbb\xbfWe has checked.\nClean line.")
    run(src)
    assert (tmp_path / "a.polished.txt").read_bytes() == \
        b"\xef\xbb\xbfWe have checked.\nClean line."


def test_clean_txt_is_unchanged(tmp_path: Path) -> None:
    text = ("We reviewed every order in the 60-day window.\n\n"
            "Root cause 1: our carrier, UPS, missed two scheduled pickups.\n")
    src = tmp_path / "clean.txt"
    src.write_text(text, encoding="utf-8")
    result = run(src)
    assert (tmp_path / "clean.polished.txt").read_text("utf-8") == text
    assert result.changes == 0


def _make_docx(path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Dear amazon:")
    d.add_paragraph("We has received your notification,our ODR is too high.In manycases the "
                    "buyer did not received the item.")
    d.add_paragraph("")
    d.add_paragraph("We reviewed every order in the 60-day window and identified the causes.")
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text = "Rcently we has changed the carrier."
    t.cell(0, 1).text = "ASIN B0C1234XYZ"
    d.save(str(path))


def test_docx_outputs(tmp_path: Path) -> None:
    src = tmp_path / "draft_en.docx"
    _make_docx(src)
    out_dir = tmp_path / "out"
    result = run(src, out_dir=out_dir)
    assert set(result.outputs) == {"polished", "review", "report"}
    assert result.outputs["polished"] == out_dir / "draft_en.polished.docx"
    assert result.outputs["review"] == out_dir / "draft_en.review.docx"
    assert result.outputs["report"] == out_dir / "draft_en.polished.report.json"
    pol = docx.Document(str(result.outputs["polished"]))
    paras = [p.text for p in pol.paragraphs]
    assert paras[:4] == [
        "Dear Amazon:",
        "We have received your notification, our ODR is too high. In many cases the buyer "
        "did not receive the item.",
        "",
        "We reviewed every order in the 60-day window and identified the causes.",
    ]
    cells = [c.text for c in pol.tables[0].rows[0].cells]
    assert cells == ["Recently we have changed the carrier.", "ASIN B0C1234XYZ"]
    review = docx.Document(str(result.outputs["review"]))
    header = [c.text for c in review.tables[0].rows[0].cells]
    assert header == ["ID", "Original", "Polished", "Status", "Changes"]
    row = [c.text for c in review.tables[0].rows[2].cells]
    assert row[1].startswith("We has received") and row[2].startswith("We have received")
    assert row[3] == "machine" and "notification, our" in row[4]
    assert review.paragraphs[-1].text.startswith("pipeline-review-metadata: ")
    assert '"mode": "polish"' in review.paragraphs[-1].text
    report = json.loads(result.outputs["report"].read_text("utf-8"))
    assert report["counts"]["segments"] == len(report["segments"]) == 5


def test_existing_outputs_need_force(tmp_path: Path) -> None:
    src = tmp_path / "d.txt"
    src.write_text("We has checked.\n", encoding="utf-8")
    run(src)
    with pytest.raises(OutputError, match="already exists"):
        run(src)
    run(src, force=True)


@pytest.mark.parametrize("name, content, message", [
    ("missing.txt", None, "no such file"),
    ("draft.pdf", b"%PDF-1.4", "polish takes a .docx or a .txt"),
    ("latin1.txt", "caf\xe9".encode("latin-1"), "not UTF-8 text"),
    ("binary.txt", b"\x00\x01\x02", "not a text file"),
    ("fake.docx", b"not a zip", "fake.docx"),
])
def test_bad_input_is_one_line_input_error(tmp_path: Path, name: str, content: bytes | None,
                                           message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        run(path)
    assert "\n" not in str(err.value)


def test_cli(tmp_path: Path) -> None:
    from pipeline.cli import app

    src = tmp_path / "d.txt"
    src.write_text("We has checked.\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["polish", str(src), "--json", "--no-builtin-glossary",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["changes"] == 1 and data["lines"] == 1
    assert (tmp_path / "o" / "d.polished.txt").read_text("utf-8") == "We have checked.\n"
    res = runner.invoke(app, ["polish", str(tmp_path / "nope.txt")])
    assert res.exit_code == 2
    res = runner.invoke(app, ["polish", str(src), "--grammar", "grammarly"])
    assert res.exit_code == 2


@pytest.mark.parametrize("text, sentences", [
    ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
    ("Invoices from Shenzhen Co., Ltd. and the SOP. Next one.",
     ["Invoices from Shenzhen Co., Ltd. and the SOP.", "Next one."]),
    ("See e.g. The Guide and the U.S. Market. Done.",
     ["See e.g. The Guide and the U.S. Market.", "Done."]),
    ("Rate is 2.8%. We fixed it. 3. We check daily.",
     ["Rate is 2.8%.", "We fixed it.", "3. We check daily."]),
    ("clearly.In one go", ["clearly.In one go"]),
    ("  Leading and trailing.  ", ["Leading and trailing."]),
    ("Line one.\nLine two", ["Line one.", "Line two"]),
    ("wrapped\nline", ["wrapped\nline"]),
])
def test_sentence_spans(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences
    block = segment_english(Block(id="b", story="body", text=text))
    assert block.rebuilt_source() == text


def test_glossary_normalises_wrong_renderings(tmp_path: Path) -> None:
    tsv = tmp_path / "terms.tsv"
    tsv.write_text("zh_variants\tcanonical\tacronym\twrong_renderings\tpriority\tnote\n"
                   "订单缺陷率\tOrder Defect Rate\tODR\torder defect ratio\t\t\n",
                   encoding="utf-8")
    src = tmp_path / "d.txt"
    src.write_text("Our order defect ratio was too high.\n", encoding="utf-8")
    result = run(src, glossary_paths=[tsv])
    assert (tmp_path / "d.polished.txt").read_text("utf-8") == \
        "Our Order Defect Rate was too high.\n"
    seg = result.document.segments[0]
    assert [c.rule for c in seg.changes] == ["glossary:Order Defect Rate"]
