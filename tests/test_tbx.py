"""TBX export/import: round trips, TBX v2 and v3 input, XXE safety, the CLI commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from pipeline.errors import GlossaryError, OutputError
from pipeline.glossary import Glossary, Term, import_tbx_to_tsv, load_glossaries, read_glossary_file
from pipeline.glossary.tbx import export_tbx, import_tbx

SPECIAL = [
    Term(("研发&测试", "<标签>"), 'R&D "lab" <test>', "R&D",
         ("R&D <lab> test", "tom's \"lab\" test"), 'note with & < > " \' characters', "low",
         ("lab & test",)),
    Term(("根本原因", "根源"), "root cause", "", ("root reason",), ""),
]


def test_round_trip_of_the_builtin_glossary(tmp_path: Path) -> None:
    g = load_glossaries([])
    path = export_tbx(g.terms, tmp_path / "amazon.tbx", title=g.name)
    assert import_tbx(path) == g.terms
    # The file is TBX-Basic v2 as CAT tools expect it.
    root = etree.parse(str(path)).getroot()
    assert root.tag == "martif" and root.get("type") == "TBX-Basic"
    entry = root.find("text/body/termEntry")
    assert entry is not None and entry.get("id")
    langs = [ls.get("{http://www.w3.org/XML/1998/namespace}lang") for ls in entry.findall("langSet")]
    assert langs == ["zh-CN", "en-US"]


def test_round_trip_with_characters_needing_escaping(tmp_path: Path) -> None:
    path = export_tbx(SPECIAL, tmp_path / "special.tbx")
    raw = path.read_text(encoding="utf-8")
    assert "R&amp;D" in raw and "&lt;test&gt;" in raw
    assert import_tbx(path) == SPECIAL
    # ...and on through the TSV the import writes.
    tsv, count, dropped = import_tbx_to_tsv(path, tmp_path / "special.tsv")
    assert count == 2 and not [d for d in dropped if d.startswith("dropped")]
    assert read_glossary_file(tsv) == SPECIAL


def test_export_marks_statuses(tmp_path: Path) -> None:
    g = load_glossaries([])
    root = etree.parse(str(export_tbx(g.terms, tmp_path / "a.tbx", title=g.name))).getroot()
    odr = next(e for e in root.iter("termEntry")
               if e.findtext("langSet/tig/term") == "订单缺陷率")
    en = odr.findall("langSet")[1]
    rows = [(tig.findtext("term"),
             tig.findtext("termNote[@type='administrativeStatus']"),
             tig.findtext("termNote[@type='termType']")) for tig in en.findall("tig")]
    assert rows[0] == ("Order Defect Rate", "preferredTerm-admn-sts", "fullForm")
    assert rows[1] == ("ODR", "admittedTerm-admn-sts", "acronym")
    assert ("order defect ratio", "deprecatedTerm-admn-sts", None) in rows


def test_import_tbx_v3_dca_and_dct(tmp_path: Path) -> None:
    path = tmp_path / "v3.tbx"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2"
     xmlns:basic="http://www.tbxinfo.net/ns/basic" xmlns:min="http://www.tbxinfo.net/ns/min">
  <tbxHeader><fileDesc><sourceDesc><p>test</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="c1">
      <descrip type="definition">Share of orders with a defect</descrip>
      <langSec xml:lang="zh-Hans">
        <termSec><term>订单缺陷率</term></termSec>
        <termSec><term>缺陷订单率</term></termSec>
      </langSec>
      <langSec xml:lang="en-GB">
        <termSec><term>ODR</term><termNote type="termType">acronym</termNote></termSec>
        <termSec><term>Order Defect Rate</term>
          <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></termSec>
        <termSec><term>order defect ratio</term>
          <termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></termSec>
      </langSec>
    </conceptEntry>
    <conceptEntry id="c2">
      <langSec xml:lang="zh"><termSec><term>根本原因</term></termSec></langSec>
      <langSec xml:lang="en">
        <termSec><term>root cause</term></termSec>
        <termSec><term>root reason</term>
          <min:administrativeStatus>supersededTerm-admn-sts</min:administrativeStatus>
        </termSec>
      </langSec>
    </conceptEntry>
    <conceptEntry id="c3">
      <langSec xml:lang="de"><termSec><term>nur Deutsch</term></termSec></langSec>
    </conceptEntry>
  </body></text>
</tbx>
""", encoding="utf-8")
    assert import_tbx(path) == [
        Term(("订单缺陷率", "缺陷订单率"), "Order Defect Rate", "ODR", ("order defect ratio",),
             "Share of orders with a defect"),
        Term(("根本原因",), "root cause", "", ("root reason",)),
    ]


def test_xxe_is_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    path = tmp_path / "evil.tbx"
    path.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE martif [
  <!ENTITY xxe SYSTEM "{secret.as_uri()}">
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<martif type="TBX-Basic"><text><body>
  <termEntry id="e1">
    <note>&xxe;&lol2;</note>
    <langSet xml:lang="zh"><tig><term>根本原因&xxe;</term></tig></langSet>
    <langSet xml:lang="en"><tig><term>root cause&xxe;</term></tig></langSet>
  </termEntry>
</body></text></martif>
""", encoding="utf-8")
    terms = import_tbx(path)
    assert terms == [Term(("根本原因",), "root cause")]
    assert "TOP-SECRET" not in repr(terms) and "lol" not in repr(terms)


@pytest.mark.parametrize(("content", "message"), [
    ("<tmx version='1.4'><body/></tmx>", ":1: not a TBX file (root element <tmx>"),
    ("<martif><text><body><termEntry>", ":1: not valid XML"),
])
def test_bad_tbx_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tbx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryError) as info:
        import_tbx(path)
    assert str(info.value).startswith(f"{path}{message}")
    with pytest.raises(GlossaryError, match="not found"):
        import_tbx(tmp_path / "missing.tbx")


def test_import_to_tsv_drops_duplicates_and_says_so(tmp_path: Path) -> None:
    terms = [Term(("订单缺陷率", "ODR"), "Order Defect Rate", "ODR", ("ODR rate",)),
             Term(("订单缺陷率", "缺陷率"), "defect rate", "", ("ODR rate", "Defect Rate")),
             Term(("单",), "single"),
             Term(("ODR",), "only a duplicate")]
    src = export_tbx(terms, tmp_path / "messy.tbx")
    dst, count, dropped = import_tbx_to_tsv(src, tmp_path / "out" / "messy.tsv")
    assert count == 3
    loaded = read_glossary_file(dst)
    assert [(t.zh_variants, t.canonical, t.wrong_renderings, t.priority) for t in loaded] == [
        (("订单缺陷率", "ODR"), "Order Defect Rate", ("ODR rate",), "normal"),
        (("缺陷率",), "defect rate", (), "normal"),
        (("单",), "single", (), "low")]
    reasons = [d.split(": ", 2)[2] for d in dropped if d.startswith("dropped: ")]
    assert [r.split(" (")[0] for r in reasons] == [
        "'订单缺陷率' dropped",
        "wrong rendering 'ODR rate' dropped",  # already the first entry's
        "wrong rendering 'Defect Rate' dropped",  # its own canonical term
        "one-character Chinese term: priority set to low",
        "'ODR' dropped",
        "entry 'only a duplicate' skipped"]
    assert dst.read_text(encoding="utf-8").startswith("# Imported from messy.tbx: 3 terms\n")


def test_tbx_user_glossary_is_accepted_directly(tmp_path: Path) -> None:
    src = export_tbx([Term(("订单缺陷率",), "defect metric")], tmp_path / "user.tbx")
    g = load_glossaries([src])
    assert g.name.endswith(" + user.tbx")
    assert [h.canonical for h in g.detect("订单缺陷率")] == ["defect metric"]


def test_export_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = export_tbx(SPECIAL, tmp_path / "x.tbx")
    with pytest.raises(OutputError):
        export_tbx(SPECIAL, path, force=False)


def test_cli_import_and_export(tmp_path: Path) -> None:
    from pipeline.commands.glossary import app

    runner = CliRunner()
    tbx = tmp_path / "all.tbx"
    res = runner.invoke(app, ["export", "--out", str(tbx)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stdout and tbx.is_file()
    res = runner.invoke(app, ["export", "--out", str(tbx)])
    assert res.exit_code == 2 and "already exists" in res.output

    res = runner.invoke(app, ["import", str(tbx), "--out", str(tmp_path / "tsv")])
    assert res.exit_code == 0, res.output
    out = tmp_path / "tsv" / "all.tsv"
    assert Glossary(read_glossary_file(out)).version == load_glossaries([]).version
    assert not list((tmp_path / "tsv").glob(".*.tmp"))  # atomic: no temp file left

    res = runner.invoke(app, ["check", str(tbx)])
    assert res.exit_code == 0 and res.stdout.startswith("OK: ")

    bad = tmp_path / "bad.tbx"
    bad.write_text("<nope/>", encoding="utf-8")
    res = runner.invoke(app, ["import", str(bad)])
    assert res.exit_code == 2 and "not a TBX file" in res.output


# -- issue #18: statuses, locales, dialects, silent imports ----------------------------

DATA = Path(__file__).parent / "data" / "interop"


def test_tbx_statuses_and_locales_of_a_cat_tool_export() -> None:
    from pipeline.glossary.tbx import import_tbx_report

    terms, report = import_tbx_report(DATA / "tbx_basic_statuses.tbx")
    odr, color, health = terms
    # zh-TW listed first: the zh-CN term is the key, the Traditional one is not merged in.
    assert odr.zh_variants == ("订单缺陷率",)
    assert odr.canonical == "Order Defect Rate" and odr.acronym == "ODR"
    # Obsolete / "Not recommended" (display names) are wrong renderings; admitted allowed.
    assert odr.wrong_renderings == ("order defect ratio", "defect order rate")
    assert odr.allowed == ("order defect percentage",)
    assert odr.note == "Amazon seller performance"
    # An en-GB preferred term listed first does not become the canonical English.
    assert color.canonical == "color" and color.allowed == ("colour",)
    assert color.wrong_renderings == ("tint",)
    # An entry with only Traditional Chinese is converted, not dropped.
    assert health.zh_variants == ("账户健康",) and health.canonical == "Account Health"
    assert report.entries == 4 and report.skipped == {"no English term": 1}
    assert (report.traditional, report.converted, report.en_variants) == (1, 1, 1)
    text = "\n".join(report.lines())
    assert "skipped 1 entries: no English term" in text
    assert "obsolete -> wrong rendering" in text and "notrecommended -> wrong rendering" in text


def test_tbx_v3_dca_and_dct_give_the_same_terms_and_notes() -> None:
    dca, dct = import_tbx(DATA / "tbx_v3_dca.tbx"), import_tbx(DATA / "tbx_v3_dct.tbx")
    assert [t.to_dict() | {"source": "", "line": 0} for t in dca] == \
        [t.to_dict() | {"source": "", "line": 0} for t in dct]
    [t] = dca
    assert t.zh_variants == ("账户停用",) and t.canonical == "account suspension"
    assert t.allowed == ("account deactivation",)
    assert t.wrong_renderings == ("account ban", "account closing")
    assert t.note == ("e-commerce; 卖家因违规被暂停销售权限; "
                      "Removal of a seller's selling privileges")


def test_tbx_without_chinese_is_refused_not_imported_as_nothing(tmp_path: Path) -> None:
    from pipeline.commands.glossary import app

    src = DATA / "tbx_no_chinese.tbx"
    with pytest.raises(GlossaryError, match=r"no entry with both a Chinese .* \(2 entries read; "
                                            r"languages: en, en-US, fr, fr-FR\)"):
        import_tbx_to_tsv(src, tmp_path / "x.tsv")
    assert not (tmp_path / "x.tsv").exists()
    with pytest.raises(GlossaryError, match="no entry with both"):
        load_glossaries([src])
    res = CliRunner().invoke(app, ["import", str(src), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "no entry with both" in res.output
    assert not list(tmp_path.iterdir())
    res = CliRunner().invoke(app, ["import", str(DATA / "tbx_basic_statuses.tbx"),
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "3 terms" in res.output and "skipped 1 entries: no English term" in res.output


def test_export_points_to_a_dialect_that_allows_chinese(tmp_path: Path) -> None:
    from pipeline.glossary.tbx import XCS_NAME

    path = export_tbx([Term(("订单缺陷率",), "Order Defect Rate", allowed=("ODR metric",))],
                      tmp_path / "g.tbx")
    root = etree.parse(str(path)).getroot()
    assert root.findtext(".//encodingDesc/p[@type='XCSURI']") == XCS_NAME
    xcs = etree.parse(str(tmp_path / XCS_NAME)).getroot()
    codes = [c.text for c in xcs.iter("langCode")]
    assert "zh-CN" in codes and "en-US" in codes
    langs = {ls.get("{http://www.w3.org/XML/1998/namespace}lang")
             for ls in root.iter("langSet")}
    assert langs <= set(codes)
    # Every administrativeStatus / termType value written is in the XCS picklists.
    picks = {spec.get("name"): spec.findtext("contents").split()
             for spec in xcs.iter("termNoteSpec")}
    for note in root.iter("termNote"):
        assert note.text in picks[note.get("type")]
    assert import_tbx(path)[0].allowed == ("ODR metric",)
