"""TMX 1.4 import/export against real files (ours and hand-written "other tool" ones)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from pipeline.commands.memory import app
from pipeline.errors import InputError
from pipeline.memory import MemoryEntry, TranslationMemory
from pipeline.tmx import export_tmx, import_tmx, import_tmx_report, iso_date, tmx_date

TRICKY = [
    ("退款金额 < 100 & > 50 的订单。", 'Orders with refunds < 100 & > 50 say "OK" & it\'s fine.'),
    ("包含表情😀的句子。", "A sentence with an emoji 😀."),
    ("第一行\n第二行", "Line one\nLine two"),
    ("Windows 换行\r\n保留", "Windows line\r\nkept"),
    ("标签 <b>粗体</b> 与 &amp; 实体", "Tags <b>bold</b> and &amp; entity"),
    ("繁體與简体：亞馬遜。", "Traditional and simplified: Amazon."),
    ("  前后空格  ", "  spaces around  "),
]


@pytest.fixture
def tm(tmp_path: Path):
    with TranslationMemory(tmp_path / "tm.sqlite") as memory:
        yield memory


def test_dates() -> None:
    assert tmx_date("2024-05-01T10:20:30Z") == "20240501T102030Z"
    assert iso_date("20240501T102030Z") == "2024-05-01T10:20:30Z"
    assert iso_date("garbage") is None and iso_date(None) is None
    assert len(tmx_date(None)) == 16


def test_round_trip_keeps_text_origin_and_metadata(tm: TranslationMemory, tmp_path: Path) -> None:
    tm.store_entries([MemoryEntry(s, t, "reviewed", created="2023-01-02T03:04:05Z",
                                  updated="2024-02-03T04:05:06Z", uses=3) for s, t in TRICKY])
    tm.store("机器翻译的句子。", "A machine sentence.", "machine", "opus-zh-en", "g7")
    out = tmp_path / "out" / "memory.tmx"
    assert export_tmx(tm, out) == len(TRICKY) + 1
    assert not list(out.parent.glob("*.tmp"))  # atomic write left nothing behind

    root = etree.parse(str(out)).getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    for attr in ("creationtool", "creationtoolversion", "o-tmf", "adminlang"):
        assert header.get(attr)
    assert header.get("segtype") == "sentence"
    assert header.get("srclang") == "zh-CN"
    assert header.get("datatype") == "plaintext"
    tus = root.findall("body/tu")
    assert tus[0].get("creationdate") == "20230102T030405Z"
    assert tus[0].get("changedate") == "20240203T040506Z"
    assert tus[0].findtext("prop[@type='x-origin']") == "reviewed"
    assert tus[-1].findtext("prop[@type='x-model']") == "opus-zh-en"
    langs = [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in tus[0]
             .findall("tuv")]
    assert langs == ["zh-CN", "en-US"]

    with TranslationMemory(tmp_path / "copy.sqlite") as copy:
        res = import_tmx_report(copy, out)
        assert (res.read, res.inserted, res.skipped) == (len(TRICKY) + 1, len(TRICKY) + 1, 0)
        before = {(e.source, e.target, e.origin, e.model, e.glossary_version, e.created,
                   e.updated, e.uses) for e in tm.entries()}
        after = {(e.source, e.target, e.origin, e.model, e.glossary_version, e.created,
                  e.updated, e.uses) for e in copy.entries()}
        assert after == before
        # The machine TU came back as machine, reusable by the same model only.
        hit = copy.lookup("机器翻译的句子。")
        assert hit.origin == "machine" and hit.reusable_for("opus-zh-en", "g7")
        # Importing again changes nothing.
        again = import_tmx_report(copy, out)
        assert again.unchanged == len(TRICKY) + 1 and again.inserted == 0


OTHER_TOOL = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4">
  <header creationtool="SDL Language Platform" creationtoolversion="8.1" o-tmf="SDL TM8 Format"
          datatype="xml" segtype="sentence" adminlang="EN-US" srclang="ZH-CN"
          creationdate="20220314T091500Z" creationid="TRANSLATOR\\li">
    <prop type="x-Recognizers">RecognizeAll</prop>
  </header>
  <body>
    <tu creationdate="20220314T091501Z" creationid="li" changedate="20220315T101010Z"
        usagecount="4" lastusagedate="20230101T000000Z">
      <prop type="x-Context">0, 0</prop>
      <note>checked by QA</note>
      <tuv xml:lang="ZH-CN"><seg>请点击<bpt i="1" x="1">&lt;cf bold="True"&gt;</bpt>这里<ept i="1">&lt;/cf&gt;</ept>提交申诉。</seg></tuv>
      <tuv xml:lang="EN-US"><seg>Please click <bpt i="1" x="1">&lt;cf bold="True"&gt;</bpt>here<ept i="1">&lt;/cf&gt;</ept> to submit the appeal.</seg></tuv>
    </tu>
    <tu tuid="2">
      <tuv xml:lang="zh-Hans"><seg>订单号<ph x="1" type="x-placeholder">{1}</ph>已退款。</seg></tuv>
      <tuv xml:lang="en-gb"><seg>Order <ph x="1">{1}</ph> has been refunded.</seg></tuv>
    </tu>
    <tu>
      <tuv lang="zh"><seg>旧版 TMX <hi type="bold">强调</hi>文本。</seg></tuv>
      <tuv lang="EN"><seg>Old TMX <hi type="bold">emphasised</hi> text.</seg></tuv>
    </tu>
    <tu>
      <tuv xml:lang="zh_CN"><seg>孤立的<it pos="begin" x="2">&lt;i&gt;</it>斜体。</seg></tuv>
      <tuv xml:lang="en-US"><seg>A lone <it pos="begin" x="2">&lt;i&gt;</it>italic.</seg></tuv>
      <tuv xml:lang="en-US"><seg>A second English variant is ignored.</seg></tuv>
    </tu>
    <tu>
      <tuv xml:lang="de-DE"><seg>Nur Deutsch.</seg></tuv>
      <tuv xml:lang="en-US"><seg>German only.</seg></tuv>
    </tu>
    <tu>
      <tuv xml:lang="zh-CN"><seg>没有英文。</seg></tuv>
      <tuv xml:lang="en-US"><seg>   </seg></tuv>
    </tu>
  </body>
</tmx>
"""


def test_import_tmx_from_another_tool(tm: TranslationMemory, tmp_path: Path) -> None:
    path = tmp_path / "trados.tmx"
    path.write_text(OTHER_TOOL, encoding="utf-8")
    res = import_tmx_report(tm, path)
    assert (res.read, res.inserted, res.skipped) == (6, 4, 2)
    assert res.reasons == {"no zh text": 1, "no en text": 1}
    hit = tm.lookup("请点击这里提交申诉。")
    assert hit.target == "Please click here to submit the appeal."
    assert hit.origin == "reviewed"  # the default for TUs without x-origin
    assert hit.created == "2022-03-14T09:15:01Z" and hit.updated == "2022-03-15T10:10:10Z"
    assert hit.uses == 4
    assert tm.lookup("订单号已退款。").target == "Order has been refunded."
    assert tm.lookup("旧版 TMX 强调文本。").target == "Old TMX emphasised text."
    assert tm.lookup("孤立的斜体。").target == "A lone italic."


def test_import_origin_machine_never_overwrites_reviewed(tm: TranslationMemory,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "t.tmx"
    path.write_text(OTHER_TOOL, encoding="utf-8")
    tm.store("订单号已退款。", "Reviewed wording.", "reviewed")
    res = import_tmx_report(tm, path, origin="machine")
    assert res.kept == 1
    assert tm.lookup("订单号已退款。").target == "Reviewed wording."
    assert tm.lookup("孤立的斜体。").origin == "machine"
    assert import_tmx(tm, path, origin="reviewed") == 4  # now they all become reviewed
    assert tm.lookup("孤立的斜体。").origin == "reviewed"


def test_xxe_and_entity_expansion_are_not_resolved(tm: TranslationMemory, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    evil = tmp_path / "evil.tmx"
    evil.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE tmx [
  <!ENTITY xxe SYSTEM "file://{secret}">
  <!ENTITY remote SYSTEM "http://127.0.0.1:9/x">
  <!ENTITY a "AAAAAAAAAA">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<tmx version="1.4"><header srclang="zh-CN"/><body>
<tu><tuv xml:lang="zh-CN"><seg>机密&xxe;内容&remote;。</seg></tuv>
<tuv xml:lang="en-US"><seg>Secret &xxe;&b; content.</seg></tuv></tu>
</body></tmx>""", encoding="utf-8")
    assert import_tmx(tm, evil) == 1
    [entry] = list(tm.entries())
    assert "TOP-SECRET" not in entry.source + entry.target
    assert "AAAA" not in entry.target
    assert entry.source == "机密内容。"
    assert entry.target == "Secret content."


@pytest.mark.parametrize("content, match", [
    ("<tmx version='1.4'><body><tu>", "not a valid TMX"),
    ("<notxml", "not a TMX file"),
    ("<?xml version='1.0'?><root/>", "not a TMX file"),
    ("", "not a valid TMX"),
])
def test_bad_files_are_input_errors(tm: TranslationMemory, tmp_path: Path, content: str,
                                    match: str) -> None:
    path = tmp_path / "bad.tmx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        import_tmx(tm, path)
    with pytest.raises(InputError, match="does not exist"):
        import_tmx(tm, tmp_path / "missing.tmx")


def test_export_drops_characters_xml_cannot_carry(tm: TranslationMemory, tmp_path: Path) -> None:
    tm.store("控制\x0b字符\x01。", "Control\x0c chars\x00.", "reviewed")
    out = tmp_path / "c.tmx"
    export_tmx(tm, out)
    with TranslationMemory(tmp_path / "c.sqlite") as copy:
        import_tmx(copy, out)
        [e] = list(copy.entries())
        assert (e.source, e.target) == ("控制字符。", "Control chars.")


def test_cli_import_export_stats(tmp_path: Path) -> None:
    runner = CliRunner()
    src = tmp_path / "in.tmx"
    src.write_text(OTHER_TOOL, encoding="utf-8")
    db = tmp_path / "lib" / ".pipeline" / "memory.sqlite"
    r = runner.invoke(app, ["import", str(src), "--memory", str(db)])
    assert r.exit_code == 0, r.output
    assert "4 new" in r.output and "2 skipped" in r.output
    r = runner.invoke(app, ["stats", "--memory", str(db), "--json"])
    assert r.exit_code == 0
    assert '"entries": 4' in r.output and '"reviewed": 4' in r.output
    r = runner.invoke(app, ["stats", "--memory", str(db)])
    assert r.exit_code == 0 and "entries" in r.output
    out = tmp_path / "out.tmx"
    r = runner.invoke(app, ["export", "--memory", str(db), "--out", str(out)])
    assert r.exit_code == 0 and out.is_file()
    r = runner.invoke(app, ["export", "--memory", str(db), "--out", str(out)])
    assert r.exit_code == 2 and "error:" in r.output and "--force" in r.output
    r = runner.invoke(app, ["export", "--memory", str(db), "--out", str(out), "--force"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["stats", "--memory", str(tmp_path / "nope.sqlite")])
    assert r.exit_code == 2 and "error: translation memory" in r.output
    assert not (tmp_path / "nope.sqlite").exists()
    bad = tmp_path / "bad.tmx"
    bad.write_text("<tmx", encoding="utf-8")
    r = runner.invoke(app, ["import", str(bad), "--memory", str(db)])
    assert r.exit_code == 2 and "not a valid TMX" in r.output
