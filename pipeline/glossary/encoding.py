"""Which encoding a glossary file is in: UTF-8/UTF-16 (BOM), or GB18030 vs Big5 told
apart by how common the decoded characters are (``detect_encoding``, ``file_encoding``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..cjk import HAN_BMP
from ..errors import GlossaryError

# The ~400 most frequent Simplified characters plus those of appeal vocabulary; their
# Traditional forms are added on first use. A glossary decoded with the wrong legacy
# codec (Big5 bytes read as GB18030 or the reverse) gives valid but rare characters,
# so the share of these is how the two readings are told apart.
_COMMON_HANS = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着"
    "下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好"
    "小部其些主样理心她本前开但因只从想实日者意无力它与长把机十民第公此已工使情明性知全"
    "三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果"
    "加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处"
    "走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接"
    "必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界"
    "达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领"
    "共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元"
    "英士证近失转夫令准布始怎存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华"
    "城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗"
    "包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅"
    "考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责"
    "营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围"
    "订货退款账户店铺卖家买家客户审核申诉违规政策绩效缺陷率评价物流库存发票品牌侵权假冒"
    "冻结暂停恢复整改措施根本原因预防我们您感谢邮件通知链接页面促销广告退货延迟配送包裹"
)


@lru_cache(maxsize=1)
def _common_han() -> frozenset[str]:
    chars = set(_COMMON_HANS)
    try:
        from ..chinese_script import to_traditional

        chars |= set(to_traditional(_COMMON_HANS))
    except ImportError:  # OpenCC missing: Big5 files then score on shared characters
        pass
    return frozenset(chars)


# BMP only: a legacy-codec guess scores on the characters GBK/Big5 can hold.
_HAN_CHAR = re.compile(f"[{HAN_BMP}]")
_PRIVATE = re.compile(r"[\ue000-\uf8ff]")
# Legacy Chinese encodings Excel writes on Chinese Windows: GBK/GB18030 (Simplified
# systems, code page 936) and Big5 (Traditional systems, code page 950).
_LEGACY = (("gb18030", "GB18030"), ("cp950", "Big5"), ("big5hkscs", "Big5-HKSCS"))


def _legacy_score(text: str) -> float | None:
    """Share of common characters among the Han characters; None: not CJK text."""
    han = _HAN_CHAR.findall(text)
    if not han or _PRIVATE.search(text):
        return None
    common = _common_han()
    return sum(c in common for c in han) / len(han)


def detect_encoding(data: bytes, origin: str) -> tuple[str, str]:
    """(codec, name to show) of a glossary file's bytes.

    UTF-16 with a BOM (Excel "Unicode Text"), UTF-8 with or without BOM; otherwise a
    legacy Chinese encoding: the file must decode as a whole and give CJK text, and
    when both GB18030 and Big5 readings do, the one with clearly more common
    characters wins. A file that fits neither, or both alike, is refused.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16"
    try:
        data.decode("utf-8-sig")
        return "utf-8-sig", "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    scores: list[tuple[float, str, str]] = []
    for codec, name in _LEGACY:
        try:
            score = _legacy_score(data.decode(codec))
        except UnicodeDecodeError:
            continue
        if score is not None and all(n != name.split("-")[0] for _, _, n in scores):
            scores.append((score, codec, name))
    scores.sort(reverse=True)
    if scores and (len(scores) == 1 or scores[0][0] >= max(2 * scores[1][0], 0.2)):
        return scores[0][1], scores[0][2]
    line = data[:utf8_error.start].count(b"\n") + 1
    if scores:
        raise GlossaryError(
            f"{origin}:{line}: not UTF-8 text, and it reads as "
            f"{' or '.join(n for _, _, n in scores)} alike: save the sheet as 'Unicode Text' "
            "or 'UTF-8' tab-separated text")
    raise GlossaryError(
        f"{origin}:{line}: not UTF-8 text (nor GB18030 or Big5 Chinese); save the sheet as "
        "'Unicode Text' or 'UTF-8' tab-separated text")


def _decode(data: bytes, origin: str) -> str:
    # Excel's "Unicode Text" is UTF-16 with a BOM; "CSV UTF-8" and Notepad add a UTF-8 BOM;
    # Excel's "Text (Tab delimited)" and "CSV" on Chinese Windows are GB18030 or Big5.
    codec, name = detect_encoding(data, origin)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise GlossaryError(f"{origin}:1: not valid {name} text ({exc.reason})") from None


def file_encoding(path: Path) -> str:
    """The encoding a glossary file is read with ("UTF-8", "GB18030", "Big5"...)."""
    path = Path(path)
    if path.suffix.lower() == ".tbx":
        return "XML"
    try:
        return detect_encoding(path.read_bytes(), str(path))[1]
    except (OSError, GlossaryError):
        return "?"
