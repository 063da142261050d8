"""Write the bundled sample drafts.

    python samples/make_sample.py            # writes next to this file
    python samples/make_sample.py --out DIR

Outputs:
  draft_zh.docx  a Chinese Plan of Action (appeal) for a selling account deactivated for
                 poor selling performance (A-to-z Guarantee claims, returns, Valid Tracking
                 Rate, late deliveries). Title, header line, Heading 1/2, Word-numbered and
                 bulleted lists, one table, bold runs, IDs and an English line that must
                 pass through. Written by the project team; every Chinese sentence of it is
                 in demo_model/corpus.tsv.
  draft_en.txt   an English appeal draft in typical Chinese-seller English, with the errors
  draft_en.docx  the polish command is meant to fix (glued words, full-width punctuation,
                 "I has", "1、", "in the first time", "within 12h", "AtoZ claims"...).

Deterministic: the same content every run (the .docx core properties are fixed too).
"""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------
# Chinese draft. Each entry: (kind, payload). Runs are (text, bold) pairs.
# --------------------------------------------------------------------------------------

HEADER_LINE = "店铺名称：SunnyHome Store | 申诉"

ZH_CONTENT: list[tuple[str, object]] = [
    ("title", "关于恢复销售权限的行动计划"),
    ("para", [("尊敬的卖家绩效团队：", False)]),
    ("para", [
        ("我们的店铺（卖家ID：A2XK9LMN3OP4QR）因绩效不佳于2026年9月28日被停用。", False),
        ("过去60天内，我们的订单缺陷率达到2.8%，远高于1%的目标。", False),
        ("主要原因是A-to-z索赔和退货增加。", False),
        ("我们已经分析了所有相关订单，并找到了以下根本原因。", False),
    ]),
    ("h1", "一、根本原因"),
    ("number", [("质检不到位：", True),
                ("部分批次在发货前没有经过全面质检，买家收到了有瑕疵的商品。", False)]),
    ("number", [("客服回复慢：", True),
                ("客服团队人手不足，很多买家消息超过48小时才得到回复。", False)]),
    ("number", [("ERP系统故障：", True),
                ("2026年8月，我们的ERP系统出现故障，导致追踪编码没有上传，"
                 "有效追踪率下降到82%。", False)]),
    ("number", [("配送延迟：", True),
                ("我们的承运商在旺季出现延误，部分订单晚于预计送达日期送达。", False)]),
    ("number", [("商品描述不完整：", True),
                ("部分商品详情页的描述过于简单，买家收到的商品与预期不符。", False)]),
    ("para", [("例如，订单112-1234567-1234567的买家因为没有收到追踪信息而提出了A-to-z索赔。",
               False)]),
    ("h1", "二、纠正措施"),
    ("bullet", [("我们已经对所有库存进行了全面检验，并移除了不合格的商品。", False)]),
    ("bullet", [("我们已经主动联系了所有受影响的买家，并为他们提供了退款或补发。", False)]),
    ("bullet", [("我们已经手动上传了所有缺失的追踪编码。", False)]),
    ("bullet", [("我们已经更新了ASIN B0C1234XYZ的商品详情页，补充了尺寸、材质和使用说明。", False)]),
    ("h1", "三、预防措施"),
    ("h2", "质量控制"),
    ("para", [
        ("从2026年10月起，所有商品在发货前必须经过", False), ("100%全检", True), ("。", False),
        ("质检员每天记录检验结果，运营经理每周审核一次。", False),
    ]),
    ("h2", "客户服务"),
    ("para", [
        ("我们组建了一个由5名成员组成的客服团队，所有买家消息都会在", False),
        ("24小时内", True), ("回复。", False),
        ("客服主管每天检查回复时间和客户服务不满意率。", False),
    ]),
    ("h2", "物流与追踪"),
    ("number2", [("我们已更换为新的ERP系统，该系统会自动上传追踪编码并每小时检查一次。", False)]),
    ("number2", [("我们将", False), ("85%以上", True),
                 ("的商品转为亚马逊物流（FBA）配送。", False)]),
    ("number2", [("对于自配送订单，我们只使用可靠的承运商并使用购买配送服务。", False)]),
    ("h2", "商品详情页"),
    ("para", [
        ("我们将在2026年10月15日前完成所有商品详情页的审核；", False),
        ("每个页面都会包含准确的尺寸、材质和图片。", False),
    ]),
    ("h1", "四、绩效指标目标"),
    ("table", [
        ["指标", "停用前", "目标"],
        ["订单缺陷率", "2.8%", "低于1%"],
        ["有效追踪率", "82%", "95%以上"],
        ["迟发率", "6.5%", "低于4%"],
        ["客服回复时间", "48小时", "24小时内"],
    ]),
    ("h1", "五、总结"),
    ("para", [
        ("我们对这些问题给买家带来的不便深表歉意。", False),
        ("我们相信，以上措施能够解决根本原因并防止问题再次发生。", False),
        ("我们请求恢复我们的销售权限。", False),
    ]),
    ("para", [("Attachments: inspection reports, ERP screenshots, FBA shipment records.", False)]),
    ("para", [("SunnyHome Store 运营团队", False)]),
    ("para", [("2026年10月2日", False)]),
]

# --------------------------------------------------------------------------------------
# English draft with typical Chinese-seller errors (for the polish command).
# --------------------------------------------------------------------------------------

EN_LINES: list[tuple[str, str]] = [
    ("title", "Appeal Letter for SunnyHome Store"),
    ("para", "Dear Amazon:"),
    ("para", "Thanks for your kind notification。We are SunnyHome Store, our store index is "
             "not good and our selling account was deactivated because the ODR is 2.8%，"
             "which is higher than 1%."),
    ("para", "We deeply realized our mistake and we analysis all notification clearly.In "
             "manycases the customers opened AtoZ claims because they did not received the "
             "goods in time."),
    ("h1", "The root cause"),
    ("para", "1、Our quality testing check was not strict,some goods has defects."),
    ("para", "2、The customer service did not reply the buyer in the first time, I has "
             "checked that many messages waited more than 48h."),
    ("para", "3、Our ERP system was broken in August, the tracking number is not online, so "
             "the effective tracking rate dropped to 82%."),
    ("para", "4、The express company delayed many orders in the peak season."),
    ("h1", "The rectification measures"),
    ("para", "1、We have checked all inventory in the warehouse and removed the bad goods ."),
    ("para", "2、Meanwhile ,our customer service team will reply all messages within 12h."),
    ("para", "3、We changed a new ERP system and uploaded all single numbers in the background."),
    ("h1", "The precautionary measures"),
    ("para", "1、We will strictly abide by Amazon's rules and strengthen the management."),
    ("para", "2、We will move more than 85% products to the Amazon logistics（FBA）."),
    ("para", "3、All our team member will study the policies every week，and the manager "
             "check it."),
    ("para", "Please give us another chance, we will treasure the opportunity.Thank you very "
             "much!"),
    ("para", "Order ID: 112-1234567-1234567  ASIN: B0C1234XYZ"),
    ("para", "SunnyHome Store team"),
]


def _fixed_core(doc, title: str) -> None:
    cp = doc.core_properties
    cp.title = title
    cp.author = "appeal-pipeline sample"
    cp.last_modified_by = "appeal-pipeline sample"
    fixed = _dt.datetime(2026, 10, 2, 9, 0, 0)
    cp.created = fixed
    cp.modified = fixed
    cp.revision = 1


def _add_runs(par, runs) -> None:
    for text, bold in runs:
        run = par.add_run(text)
        if bold:
            run.bold = True


def _new_list_num(doc) -> str | None:
    """A new w:num for the 'List Number' list definition that restarts at 1; its id."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    numbering = doc.part.numbering_part.numbering_definitions._numbering
    style_ppr = doc.styles["List Number"].element.pPr
    abstract_id = None
    if style_ppr is not None and style_ppr.numPr is not None:
        num_id = style_ppr.numPr.numId.val
        for num in numbering.findall(qn("w:num")):
            if num.get(qn("w:numId")) == str(num_id):
                abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
    if abstract_id is None:
        return None
    existing = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    new_id = max(existing) + 1
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), str(new_id))
    abs_el = OxmlElement("w:abstractNumId")
    abs_el.set(qn("w:val"), abstract_id)
    num.append(abs_el)
    override = OxmlElement("w:lvlOverride")
    override.set(qn("w:ilvl"), "0")
    start = OxmlElement("w:startOverride")
    start.set(qn("w:val"), "1")
    override.append(start)
    num.append(override)
    numbering.append(num)
    return str(new_id)


def _set_num(par, num_id: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = par._p.get_or_add_pPr()
    numpr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), "0")
    numid = OxmlElement("w:numId")
    numid.set(qn("w:val"), num_id)
    numpr.append(ilvl)
    numpr.append(numid)
    ppr.append(numpr)


def write_zh_docx(path: Path) -> Path:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    _fixed_core(doc, "关于恢复销售权限的行动计划")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    # East Asian font hint so Word/LibreOffice pick a CJK face.
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), "SimSun")

    header = doc.sections[0].header
    header.paragraphs[0].text = HEADER_LINE

    first_of_list = True
    num_id: str | None = None
    for kind, payload in ZH_CONTENT:
        if kind == "title":
            doc.add_paragraph(payload, style="Title")
        elif kind == "h1":
            doc.add_heading(payload, level=1)
            first_of_list = True
        elif kind == "h2":
            doc.add_heading(payload, level=2)
            first_of_list = True
        elif kind == "para":
            _add_runs(doc.add_paragraph(), payload)
        elif kind == "bullet":
            _add_runs(doc.add_paragraph(style="List Bullet"), payload)
        elif kind in ("number", "number2"):
            par = doc.add_paragraph(style="List Number")
            _add_runs(par, payload)
            if kind == "number2":  # a second numbered list: restart at 1
                if first_of_list:
                    num_id = _new_list_num(doc)
                if num_id is not None:
                    _set_num(par, num_id)
            first_of_list = False
        elif kind == "table":
            rows = payload
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = text
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
        else:  # pragma: no cover
            raise ValueError(kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def en_text() -> str:
    return "\n".join(text for _, text in EN_LINES) + "\n"


def write_en_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    _fixed_core(doc, "Appeal Letter for SunnyHome Store")
    doc.sections[0].header.paragraphs[0].text = "SunnyHome Store | Appeal"
    for kind, text in EN_LINES:
        if kind == "title":
            doc.add_paragraph(text, style="Title")
        elif kind == "h1":
            doc.add_heading(text, level=1)
        else:
            doc.add_paragraph(text)
    doc.save(str(path))
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    write_zh_docx(out / "draft_zh.docx")
    (out / "draft_en.txt").write_text(en_text(), encoding="utf-8")
    write_en_docx(out / "draft_en.docx")
    print(f"wrote {out / 'draft_zh.docx'}, {out / 'draft_en.txt'}, {out / 'draft_en.docx'}")


if __name__ == "__main__":
    main()
