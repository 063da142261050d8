"""Build real DOCX test files with every story the reader must handle.

python-docx builds the package (body, tables, headers, comments); what it has no API
for (text boxes with their VML fallback, footnotes, endnotes, content controls, tracked
changes, fields, smart tags, equations, hyperlinks) is added as WordprocessingML, the
way Word writes it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Pt

from pipeline.document import Document, Segment

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
}


def decl(*prefixes: str) -> str:
    return " ".join(f'xmlns:{p}="{NS[p]}"' for p in prefixes)


def run_xml(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


def textbox_run(paragraphs: list[str], box_id: int = 1, fallback: bool = True) -> str:
    """A Word 2010 text box: DrawingML in mc:Choice, the VML copy in mc:Fallback."""
    content = "".join(f"<w:p>{run_xml(t)}</w:p>" for t in paragraphs)
    choice = f"""<mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="25165{box_id}"
 behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
<wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>
<wp:extent cx="2286000" cy="571500"/><wp:effectExtent l="0" t="0" r="0" b="0"/>
<wp:wrapSquare wrapText="bothSides"/><wp:docPr id="{100 + box_id}" name="Text Box {box_id}"/>
<wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<wps:wsp><wps:cNvSpPr txBox="1"/>
<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2286000" cy="571500"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>
<wps:txbx><w:txbxContent>{content}</w:txbxContent></wps:txbx>
<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720" anchor="t" anchorCtr="0"><a:noAutofit/></wps:bodyPr>
</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"""
    fb = f"""<mc:Fallback><w:pict>
<v:shape id="Text Box {box_id}" o:spid="_x0000_s10{box_id:02d}" type="#_x0000_t202"
 style="position:absolute;margin-left:0;margin-top:0;width:180pt;height:45pt;z-index:{box_id}" stroked="t">
<v:textbox><w:txbxContent>{content}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"""
    return (f'<w:r {decl("w", "mc", "wp", "wps", "a", "v", "o")}><mc:AlternateContent>'
            f'{choice}{fb if fallback else ""}</mc:AlternateContent></w:r>')


def add_xml_paragraph(document: docx.document.Document, inner: str) -> None:
    """Append a <w:p> with raw inner XML to the body (before the final sectPr)."""
    p = parse_xml(f'<w:p {decl("w", "r", "mc", "m")}>{inner}</w:p>')
    document.element.body.sectPr.addprevious(p)


def _notes_part(document: docx.document.Document, kind: str, notes: dict[int, str]) -> None:
    """Add footnotes.xml / endnotes.xml with separators and the given notes."""
    tag = "footnote" if kind == "footnotes" else "endnote"
    body = [f'<w:{tag} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{tag}>',
            f'<w:{tag} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
            f'</w:r></w:p></w:{tag}>']
    ref = "footnoteRef" if tag == "footnote" else "endnoteRef"
    for nid, text in notes.items():
        body.append(f'<w:{tag} w:id="{nid}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/>'
                    f'</w:rPr><w:{ref}/></w:r>{run_xml(" " + text)}</w:p></w:{tag}>')
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:{kind} {decl("w", "r")}>{"".join(body)}</w:{kind}>').encode()
    ct = CT.WML_FOOTNOTES if kind == "footnotes" else CT.WML_ENDNOTES
    rt = RT.FOOTNOTES if kind == "footnotes" else RT.ENDNOTES
    part = Part(PackURI(f"/word/{kind}.xml"), ct, xml, document.part.package)
    document.part.relate_to(part, rt)


def note_reference(kind: str, nid: int) -> str:
    tag = "footnoteReference" if kind == "footnotes" else "endnoteReference"
    return f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{tag} w:id="{nid}"/></w:r>'


def hyperlink_xml(document: docx.document.Document, url: str, text: str) -> str:
    rid = document.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link_style = '<w:rStyle w:val="Hyperlink"/>'
    return f'<w:hyperlink r:id="{rid}">{run_xml(text, link_style)}</w:hyperlink>'


# Texts of build_all_stories, by story, so tests can assert each one was translated.
STORY_TEXTS = {
    "body": "我们已经找到了问题的根本原因。",
    "textbox": "文本框中的说明。",
    "footnote": "这是脚注。",
    "endnote": "这是尾注。",
    "comment": "请核对此段。",
    "header": "亚马逊申诉书",
    "footer": "保密文件",
}


def build_all_stories(path: Path) -> Path:
    """A draft appeal with every story: body, tables (merged, nested), headers and
    footers (default, first, even), text box (Choice + Fallback), footnote, endnote,
    comment, content controls, tracked changes, hyperlink, fields, smart tag, equation."""
    d = docx.Document()
    d.add_heading("行动计划", level=1)
    body = d.add_paragraph(STORY_TEXTS["body"])
    d.add_paragraph("第一项措施", style="List Number")
    mixed = d.add_paragraph("我们承诺")
    mixed.add_run("立即").bold = True
    mixed.add_run("整改。")
    # Same formatting everywhere except an East-Asian font hint: one formatting.
    d.add_paragraph("").add_run("没有其他格式。").font.size = Pt(12)

    table = d.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "合并单元格"
    table.cell(0, 0).merge(table.cell(0, 2))  # gridSpan
    table.cell(1, 0).text = "纵向合并"
    table.cell(1, 0).merge(table.cell(2, 0))  # vMerge
    table.cell(1, 1).text = "普通单元格"
    inner = table.cell(1, 2).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "嵌套表格"
    inner.cell(0, 1).text = "嵌套单元格"

    _notes_part(d, "footnotes", {1: STORY_TEXTS["footnote"]})
    _notes_part(d, "endnotes", {1: STORY_TEXTS["endnote"]})
    add_xml_paragraph(d, run_xml("带脚注的句子。") + note_reference("footnotes", 1)
                      + note_reference("endnotes", 1))
    add_xml_paragraph(d, run_xml("文本框锚点。") + textbox_run([STORY_TEXTS["textbox"], "第二段。"]))
    add_xml_paragraph(d, run_xml("请访问") + hyperlink_xml(d, "https://example.com", "卖家中心")
                      + run_xml("。"))
    add_xml_paragraph(d, '<w:sdt><w:sdtPr><w:alias w:val="x"/></w:sdtPr><w:sdtContent>'
                      + run_xml("内联控件文本") + "</w:sdtContent></w:sdt>" + run_xml("之后。"))
    d.element.body.sectPr.addprevious(parse_xml(
        f'<w:sdt {decl("w")}><w:sdtPr><w:alias w:val="block"/></w:sdtPr><w:sdtContent>'
        f'<w:p>{run_xml("块级控件段落。")}</w:p></w:sdtContent></w:sdt>'))
    add_xml_paragraph(d, run_xml("保留")
                      + '<w:ins w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z">'
                      + run_xml("插入的文字") + "</w:ins>"
                      + '<w:del w:id="2" w:author="a" w:date="2024-01-01T00:00:00Z"><w:r>'
                        "<w:delText>删除的文字</w:delText></w:r></w:del>" + run_xml("。"))
    add_xml_paragraph(d, run_xml("日期：") + '<w:fldSimple w:instr=" DATE ">'
                      + run_xml("二〇二四年") + "</w:fldSimple>")
    add_xml_paragraph(d, run_xml("复杂域：")
                      + '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                        '<w:r><w:instrText xml:space="preserve"> REF 标签 \\h </w:instrText></w:r>'
                        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                      + run_xml("引用文字") + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    add_xml_paragraph(d, '<w:smartTag w:uri="urn:x" w:element="place">' + run_xml("北京")
                      + "</w:smartTag>" + run_xml("仓库。"))
    add_xml_paragraph(d, run_xml("公式：") + "<m:oMath><m:r><m:t>x=1</m:t></m:r></m:oMath>")

    comment_para = d.add_paragraph("有批注的段落。")
    d.add_comment(comment_para.runs, text=STORY_TEXTS["comment"], author="审核人", initials="S")

    sec = d.sections[0]
    sec.different_first_page_header_footer = True
    d.settings.odd_and_even_pages_header_footer = True
    sec.header.paragraphs[0].text = STORY_TEXTS["header"]
    sec.first_page_header.paragraphs[0].text = "首页页眉"
    sec.even_page_header.paragraphs[0].text = "偶数页页眉"
    sec.footer.paragraphs[0].text = STORY_TEXTS["footer"]
    sec.first_page_footer.paragraphs[0].text = "首页页脚"
    sec.even_page_footer.paragraphs[0].text = "偶数页页脚"
    d.save(str(path))
    assert body.text  # keep the reference obvious for readers of the test
    return path


def fake_translate(doc: Document, only: set[str] | None = None) -> Document:
    """One segment per block with an English-looking target (what the lead's steps produce)."""
    for b in doc.blocks:
        b.segments = [Segment(id=f"{b.id}#0", block_id=b.id, index=0, source=b.text)]
        if only is None or b.id in only:
            b.segments[0].target = f"EN[{b.id}] {b.text.strip()}"
    return doc


def build_simple(path: Path, paragraphs: list[str]) -> Path:
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    d.save(str(path))
    return path


def rewrite_part(src: Path, dst: Path, part: str, edit: Callable[[bytes], bytes]) -> Path:
    """Copy a package, passing one member's bytes through ``edit``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = edit(data)
            zout.writestr(info.filename, data)
    return dst
