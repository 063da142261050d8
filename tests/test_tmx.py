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


# -- issue #18: what other tools' files mean -------------------------------------------

DATA = Path(__file__).parent / "data" / "interop"


def _doc(*sentences: str):
    from pipeline.document import Block, Document
    from pipeline.segment import segment_document

    doc = Document(Path("x.docx"), [Block(f"body/p{i}", "body", s)
                                    for i, s in enumerate(sentences)])
    return segment_document(doc)


def test_trados_statuses_are_mapped_and_drafts_never_become_final(tm: TranslationMemory,
                                                                   tmp_path: Path) -> None:
    from pipeline.document import Origin
    from pipeline.memory import MemoryStep

    res = import_tmx_report(tm, DATA / "trados_statuses.tmx")
    assert res.stored == 5 and res.skipped == 0
    assert res.statuses == {"reviewed": 2, "draft": 2, "rejected": 1}
    assert res.mapped["x-ConfirmationLevel=ApprovedTranslation -> reviewed"] == 1
    assert res.mapped["x-ConfirmationLevel=Draft -> draft"] == 1
    assert res.mapped["x-ConfirmationLevel=RejectedTranslation -> rejected"] == 1
    assert res.mapped["x-Origin=AutomatedAlignment -> draft"] == 1
    assert any("statuses:" in line for line in res.lines())
    by_source = {e.source: e for e in tm.entries()}
    draft = by_source["我们的店铺因订单缺陷率过高而被停用。"]
    assert (draft.status, draft.origin) == ("draft", "machine")
    assert by_source["我们将加强员工培训。"].status == "rejected"
    assert by_source["感谢您的审核。"].status == "draft"
    # Unknown props are kept and exported back.
    approved = by_source["我们已退还所有受影响订单的款项。"]
    assert "x-Client:SingleString" in approved.extra

    doc = _doc("我们已退还所有受影响订单的款项。", "我们的店铺因订单缺陷率过高而被停用。",
               "我们将加强员工培训。")
    MemoryStep(tm, "some-model", "g1")(doc)
    reviewed, drafted, rejected = doc.segments
    assert reviewed.origin is Origin.MEMORY_EXACT and reviewed.reviewed
    assert reviewed.target == "We have refunded all affected orders."
    # The draft MT is a suggestion only: the engine translates the sentence.
    assert drafted.target is None and drafted.origin is Origin.NONE and not drafted.reviewed
    assert "draft" in drafted.notes[0].message and drafted.fuzzy[0].status == "draft"
    # The rejected text is never used, not even as a suggestion.
    assert rejected.target is None and not rejected.notes and not rejected.fuzzy

    out = tmp_path / "back.tmx"
    export_tmx(tm, out)
    xml = out.read_text(encoding="utf-8")
    assert '<prop type="x-ConfirmationLevel">RejectedTranslation</prop>' in xml
    assert '<prop type="x-status">rejected</prop>' in xml
    with TranslationMemory(tmp_path / "again.sqlite") as again:
        import_tmx(again, out)
        assert {(e.source, e.status, e.origin) for e in again.entries()} == {
            (e.source, e.status, e.origin) for e in tm.entries()}


def test_status_as_overrides_the_tools_status_but_not_a_rejection(tm: TranslationMemory) -> None:
    res = import_tmx_report(tm, DATA / "trados_statuses.tmx", status_as="draft")
    assert res.statuses == {"draft": 4, "rejected": 1}
    assert res.mapped["reviewed -> draft (--status-as draft)"] == 2
    res = import_tmx_report(tm, DATA / "trados_statuses.tmx", status_as="reviewed")
    assert res.statuses == {"reviewed": 4, "rejected": 1}
    assert {e.status for e in tm.entries()} == {"reviewed", "rejected"}
    with pytest.raises(InputError, match="status-as"):
        import_tmx_report(tm, DATA / "trados_statuses.tmx", status_as="final")


def test_a_draft_never_replaces_a_reviewed_entry(tm: TranslationMemory) -> None:
    tm.store("我们感谢您。", "We thank you.", "reviewed")
    assert tm.store_entries([MemoryEntry("我们感谢您。", "Thanks.", "reviewed",
                                         status="draft")]).kept == 1
    # A rejection of exactly the stored text marks it rejected.
    assert tm.store_entries([MemoryEntry("我们感谢您。", "We thank you.", "reviewed",
                                         status="rejected")]).updated == 1
    assert tm.lookup("我们感谢您。").status == "rejected"
    # The engine's output never brings the rejected text back.
    assert tm.store("我们感谢您。", "We thank you.", "machine") == "kept"
    assert tm.store("我们感谢您。", "We are grateful.", "machine") == "updated"


def test_locales_prefer_simplified_and_us_english_and_keep_the_rest(tm: TranslationMemory,
                                                                    tmp_path: Path) -> None:
    res = import_tmx_report(tm, DATA / "memoq_locales.tmx")
    assert res.read == 5 and res.stored == 5 and res.skipped == 0
    by_source = {e.source: e for e in tm.entries()}
    # zh-TW listed first does not win over zh-CN; en-GB first does not win over en-US.
    account = by_source["我们的账户已恢复。"]
    assert account.target == "Our account has been reinstated."
    assert "我們的帳戶已恢復。" in account.extra and "colour" in account.extra
    assert res.variants == {"zh-TW": 1, "en-GB": 1, "zh-HK": 1}
    # A unit with only Traditional Chinese is converted, not skipped; the original kept.
    assert res.converted == 1
    inventory = by_source["我们已更新库存系统。"]
    assert "我們已更新庫存系統。" in inventory.extra and inventory.status == "draft"  # aligned
    # cmn-Hans / eng are Chinese / English; a line-break placeholder becomes a space.
    assert by_source["第一行 第二行"].target == "First line second line third line"
    # The duplicate unit: the later one wins, and the import says so.
    assert by_source["我们已改进包装。"].target == "We have improved our packaging."
    assert (res.duplicates, res.conflicts) == (1, 1)
    assert any("the later unit wins" in line for line in res.lines())
    out = tmp_path / "back.tmx"
    export_tmx(tm, out)
    tree = etree.parse(str(out))
    langs = tree.xpath("//tu[1]/tuv/@xml:lang",
                       namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
    assert langs == ["zh-CN", "en-US", "zh-TW", "en-GB"]
    assert tree.xpath("//tu[1]/prop[@type='subject']/text()") == ["Amazon appeal"]


def test_cli_import_says_what_was_mapped_and_leaves_no_memory_on_failure(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "m.sqlite"
    r = runner.invoke(app, ["import", str(DATA / "trados_statuses.tmx"), "--memory", str(db)])
    assert r.exit_code == 0, r.output
    assert "x-ConfirmationLevel=Draft -> draft" in r.output
    assert "1 rejected" in r.output
    r = runner.invoke(app, ["stats", "--memory", str(db), "--json"])
    assert '"rejected": 1' in r.output
    r = runner.invoke(app, ["import", str(DATA / "memoq_locales.tmx"), "--memory", str(db),
                            "--status-as", "reviewed"])
    assert r.exit_code == 0 and "the later unit wins" in r.output
    r = runner.invoke(app, ["import", str(DATA / "memoq_locales.tmx"), "--memory", str(db),
                            "--status-as", "bogus"])
    assert r.exit_code == 2 and "--status-as" in r.output
    new = tmp_path / "new.sqlite"
    wrong = tmp_path / "glossary.tmx"
    wrong.write_text("<martif/>", encoding="utf-8")
    r = runner.invoke(app, ["import", str(wrong), "--memory", str(new)])
    assert r.exit_code == 2 and "not a TMX file" in r.output
    assert not new.exists() and not list(tmp_path.glob("new.sqlite*"))
    r = runner.invoke(app, ["import", str(tmp_path / "missing.tmx"), "--memory", str(new)])
    assert r.exit_code == 2 and not new.exists()
