"""Document-level Plan-of-Action check: the three parts Amazon asks for, and the habits
that get appeals rejected.

Amazon's POA answers three questions: the root cause, the actions taken to resolve the
issue, and the steps taken to prevent recurrence. Appeals are commonly rejected when a
part is missing, when they plead ("give us another chance"), blame buyers or Amazon,
claim not to have known the rules, or promise ("we will...") without saying what was
already done. Each finding is a ``Note`` with a ``poa-*`` code; the review document shows
them at the top and the report lists them.

Both the Chinese source and the English are searched: a section present in the source
but lost in translation still counts as present here (the segment checks catch the loss).

When the document has section headings (一、根本原因, "2. Corrective actions", 预防措施：...),
tense and mechanism are judged per section: the preventive measures must name a concrete
mechanism (who, what, how often, by when; ``poa-vague-prevention`` is an error when none
does), and the corrective actions must report something done. Without headings the
whole document is judged at once, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..document import Document, Note, Severity
from ..quantities import MONTHS, month_alternation

STEP = "qa"
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Text:
    """One segment's texts: where it is, the source, the English ("" when none)."""

    id: str
    source: str
    english: str


def _re(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


# Is this document an appeal at all? The section checks make no sense for other text.
POA_MARKERS = _re(
    r"行动计划", r"申诉", r"恢复.{0,6}(销售)?权限", r"(账户|店铺|账号).{0,4}(停用|暂停|冻结|封)",
    r"根本原因", r"纠正措施", r"预防措施", r"卖家绩效",
    r"plan of action", r"\bPOA\b", r"\bappeal", r"reinstat", r"deactivat", r"suspen(d|sion)",
    r"root causes?", r"corrective actions?", r"preventi?ve (measures|actions|steps)",
    r"seller performance", r"selling privileges",
)

ROOT_CAUSE = _re(
    r"根本原因", r"根源", r"原因分析", r"问题原因", r"原因如下", r"主要原因", r"原因是", r"原因在于",
    r"root[- ]causes?", r"underlying causes?", r"the causes? of", r"what caused", r"caused by",
    r"reasons? for (the|this|these|our)", r"why (this|the|these) (issue|problem)s? (happened|occurred)",
)
CORRECTIVE = _re(
    r"纠正措施", r"整改措施", r"补救措施", r"解决措施", r"已采取", r"采取了.{0,6}(措施|行动)",
    r"立即.{0,6}(措施|行动)", r"已经?.{0,8}(删除|下架|移除|退款|联系|更换|停止|修改|聘请|招聘|培训|召回)",
    r"corrective actions?", r"remedial actions?", r"immediate actions?",
    r"actions?\s+(?:\w+\s+){0,3}(taken|took)", r"steps?\s+(?:\w+\s+){0,3}taken to (resolve|address|fix)",
    r"(we|i) (have )?(already |immediately |also )?(removed|deleted|refunded|contacted|replaced|"
    r"stopped|corrected|fixed|closed|cancell?ed|updated|revised|recalled|hired|trained|retrained|"
    r"dismissed|audited|inspected|re-?inspected|destroyed|disposed)\b", r"(we|i) have taken\b",
)
PREVENTIVE = _re(
    r"预防措施", r"预防", r"防止.{0,12}(再次|重复|再)?发生", r"避免.{0,12}(再次|重复|再)", r"杜绝",
    r"长期措施", r"防范",
    r"prevent(ive|ative)", r"prevent(s|ed|ing)?\b.{0,80}(recurr|again|in the future|from happening)",
    r"avoid.{0,60}(recurr|again|in the future)", r"recurrence", r"long[- ]term (measures|actions|plan)",
)

PLEADING = _re(
    r"再给.{0,6}机会", r"再一次机会", r"给.{0,4}一次机会", r"珍惜.{0,6}机会", r"求求", r"恳求", r"乞求",
    r"原谅我们", r"宽恕", r"网开一面", r"高抬贵手",
    r"(another|one more|a second|last) chance", r"treasure (the|this) (opportunity|chance)",
    r"\bbeg(ging)?\b", r"forgive us", r"please forgive", r"have mercy", r"\bimplore",
    r"sincerely hope", r"earnestly (hope|beg|ask)",
)
BLAME = _re(
    r"恶意(买家|差评|投诉|攻击|退货|竞争)", r"同行.{0,4}(恶意|攻击|陷害)", r"竞争对手.{0,6}(陷害|恶意|攻击)",
    r"买家.{0,4}(撒谎|说谎|故意|敲诈|诈骗)", r"亚马逊.{0,4}(误判|搞错|失误|的错)", r"误封", r"误判",
    r"不是我们的(错|责任|问题)", r"第三方.{0,8}(欺骗|骗了|导致|的错|的责任)", r"被.{0,6}(骗|欺骗)",
    r"malicious (buyers?|customers?|complaints?|competitors?|reviews?|attacks?)",
    r"(buyers?|customers?) (lied|were lying|is lying|are lying|deliberately|intentionally)",
    r"amazon['’]?s (mistake|error|fault)", r"amazon (made a mistake|was wrong|misjudged|wrongly)",
    r"(wrongly|mistakenly|unfairly) (suspended|deactivated|flagged|closed|blocked)",
    r"not our (fault|responsibility)", r"(cheated|deceived|scammed|tricked) us",
    r"(fault|blame) (of|on) (the )?(buyers?|customers?|amazon|carrier|third[- ]party|supplier)",
)
IGNORANCE = _re(
    r"不知情", r"不(了解|熟悉|清楚|懂|知道).{0,8}(规则|政策|规定|条款)", r"对.{0,10}(规则|政策|规定).{0,4}"
    r"(不了解|不熟悉|不清楚|了解不够|认识不足|缺乏了解)", r"新手卖家", r"缺乏.{0,4}(了解|认识)",
    r"(not |un)familiar with (the |amazon['’]?s? |these |its )?(rules|polic(y|ies)|regulations|terms)",
    r"(were|was) (not |un)aware of", r"did(n['’]t| not) (know|understand|realize) (about )?(the |amazon['’]?s? )?"
    r"(rules|polic(y|ies)|regulations|terms)", r"\bignorance\b", r"as (a )?new sellers?",
    r"(lack|lacked) of (knowledge|understanding) (of|about)",
)

# Promises vs. completed actions, sentence by sentence.
PROMISE = _re(r"\bwe(?:['’]ll| will| shall| promise| guarantee| are going to)\b", r"\bwill (strictly|never)\b",
              r"我们(将|会|保证|承诺)", r"(以后|今后|将来).{0,6}(会|将|一定)")
_IRREGULAR = ("took|made|set up|built|sent|wrote|began|held|gave|chose|bought|put|ran|found|"
              "met|paid|sought|taught|got|kept|brought|hired|fired|let go|did|spent|drew up")
DONE = _re(
    r"\b(we|i|our [a-z ]{1,30}?)\s+(have|has|had|['’]ve)\s+(already\s+|now\s+|also\s+)?(been\s+)?[a-z]+",
    r"\bwe['’]ve\b", rf"\b(we|i)\s+(also\s+|then\s+|immediately\s+|now\s+)?({_IRREGULAR}|[a-z]+ed)\b",
    r"\b(was|were|has been|have been)\s+([a-z]+ed|[a-z]+en|made|set up|sent|paid|built)\b",
    r"已经?(?!知)", r"(删除|下架|移除|停止|更换|聘请|招聘|培训|联系|检查|审核|修改|更新|建立|制定|购买|"
    r"安装|辞退|退款|召回|完成|上线|实施|开展|成立)了",
)

_SECTIONS = [
    ("poa-missing-root-cause", ROOT_CAUSE, "root cause",
     "No root cause section found. Amazon asks what caused each issue: say it plainly "
     "(e.g. “Root cause: our listing process had no policy check”)."),
    ("poa-missing-corrective-actions", CORRECTIVE, "corrective actions",
     "No corrective actions found. State what you have already done to resolve the issue, "
     "in the past tense (“We removed…”, “We refunded…”)."),
    ("poa-missing-preventive-measures", PREVENTIVE, "preventive measures",
     "No preventive measures found. Describe the steps taken to prevent recurrence: who "
     "checks what, how often, with what evidence."),
]
_STANCES = [
    ("poa-pleading", PLEADING,
     "Pleading ({examples}). Amazon asks for facts, not emotion: write “We request "
     "reinstatement of our selling privileges.”"),
    ("poa-blame", BLAME,
     "Blames buyers, competitors, third parties or Amazon ({examples}). Appeals that blame "
     "others are rejected: state what in your own process allowed the problem."),
    ("poa-ignorance", IGNORANCE,
     "Claims not to have known the rules ({examples}). Amazon does not accept ignorance: "
     "describe the missing check in your process instead."),
]


def _examples(hits: list[tuple[str, str]]) -> str:
    shown = [f"{sid}: “{text.strip()}”" for sid, text in hits[:MAX_EXAMPLES]]
    more = len(hits) - MAX_EXAMPLES
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _find(pattern: re.Pattern[str], texts: list[Text]) -> list[tuple[str, str]]:
    """(segment id, matched text) per segment: the English match if any, else the source's."""
    hits: list[tuple[str, str]] = []
    for t in texts:
        m = pattern.search(t.english) if t.english else None
        m = m or pattern.search(t.source)
        if m:
            hits.append((t.id, m.group()))
    return hits


def is_poa(texts: Iterable[Text]) -> bool:
    return any(POA_MARKERS.search(t.source) or POA_MARKERS.search(t.english) for t in texts)


def check_texts(items: Iterable[Text]) -> list[Note]:
    """The POA findings for a document given as segment texts (in order)."""
    texts = list(items)
    if not texts or not is_poa(texts):
        return []
    notes: list[Note] = []
    for code, pattern, _label, message in _SECTIONS:
        if not _find(pattern, texts):
            notes.append(Note(code, message, Severity.WARNING, STEP))
    for code, pattern, message in _STANCES:
        hits = _find(pattern, texts)
        if hits:
            notes.append(Note(code, message.format(examples=_examples(hits)), Severity.WARNING,
                              STEP))
    if split_sections(texts):
        notes.extend(check_sections(texts))
        return notes
    # No section headings: judge tense on the whole document, on the English when there
    # is some, else on the Chinese.
    has_english = any(t.english for t in texts)
    side = [t.english if has_english else t.source for t in texts]
    promises = [(t.id, m.group()) for t, s in zip(texts, side, strict=True)
                if (m := PROMISE.search(s))]
    done = [t.id for t, s in zip(texts, side, strict=True) if DONE.search(s)]
    if promises and not done:
        notes.append(Note(
            "poa-promises-only",
            f"The plan only promises future actions ({_examples(promises)}) and reports none "
            "already completed. Amazon asks for actions you have taken: “We removed…”, "
            "“We hired…”, with dates.", Severity.WARNING, STEP))
    return notes


# ---- per-section checks ------------------------------------------------------------
# Section headings, in either language, after any numbering (一、 1. (2) 第三部分...).
_NUMBERING = re.compile(r"^\s*(?:第?[一二三四五六七八九十\d]{1,3}[、.．)）:：]?|[(（][一二三四五六"
                        r"七八九十\d]{1,3}[)）]|part\s+\w+[:.]?|section\s+\w+[:.]?)?\s*",
                        re.IGNORECASE)
SECTION_HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    ("root cause", _re(r"根本原因", r"原因分析", r"问题原因", r"根源分析", r"root[- ]causes?",
                       r"(?:the )?causes? of the (?:issue|problem)s?", r"what caused")),
    ("corrective actions", _re(r"(已采取的?|已完成的?)?纠正措施", r"整改措施", r"已采取的?措施",
                               r"补救措施", r"立即(采取的?)?措施",
                               r"corrective actions?(?: taken| completed)?",
                               r"(?:immediate |remedial )?actions? (?:we have |already )?taken",
                               r"immediate actions?", r"remedial actions?")),
    ("preventive measures", _re(r"预防措施", r"防范措施", r"长期措施", r"预防性措施",
                                r"preventi?ve (?:measures|actions|steps)",
                                r"steps (?:taken )?to prevent", r"prevention(?: plan)?",
                                r"long[- ]term (?:measures|actions)")),
]

# A concrete mechanism names at least two of: who, what (a tool, a record), how often,
# by when. Vague promises name none ("we will pay more attention").
WHO = _re(r"\b(?:manager|supervisor|specialist|inspector|officer|lead|leader|director|"
          r"team|staff|employees?|copywriters?|department|auditor|owner|agent|person)s?\b",
          r"主管|经理|专员|质检|负责人|团队|员工|人员|部门|专人|组长")
WHAT = _re(r"\b(?:system|software|ERP|checklist|list|SOP|procedure|template|log|record|"
           r"inspection|check|review|test|sample|"
           r"spreadsheet|tool|alert|report|dashboard|form|audit|contract|invoice|photo|"
           r"training|area|label)s?\b", r"系统|软件|清单|流程|记录|表格|模板|报告|审核|合同|发票|"
           r"照片|培训|标签|提醒")
OFTEN = _re(r"\b(?:daily|weekly|monthly|quarterly|yearly|annually|hourly|every|each|per|"
            r"once|twice|before|after|whenever|when)\b", r"每天|每日|每周|每月|每季度|每年|每批|"
            r"每次|每一|每个|每条|之前|之后|时")
WHEN = _re(r"\b(?:by|on|since|from|within|until)\s+(?:\w+\s+)?\d", r"\d",
           rf"\b(?:{'|'.join(MONTHS)})\b", r"[0-9一二三四五六七八九十]+(?:月|日|号|天|小时)")
_MONTH = month_alternation()
# A deadline makes a promise checkable: "by October 15, 2026", "within 48 hours", 10月15日前.
DEADLINE = _re(rf"\b(?:by|before|no later than|within|until)\s+(?:the\s+)?(?:end\s+of\s+)?"
               rf"(?:{_MONTH}\s+\d|\d)", r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]\s*(?:前|之前|以前)",
               r"\d+\s*(?:个)?(?:小时|天|日|周|个月)内")
VAGUE = _re(r"(?:pay|paid) (?:more )?attention", r"more careful", r"strengthen", r"\bimprove\b",
            r"(?:will|shall) (?:not|never) (?:happen|occur)", r"(?:not|never) happen again",
            r"strictly (?:follow|comply|abide)", r"study .{0,20}polic", r"take .{0,10}seriously",
            r"加强", r"更加(?:注意|重视|小心|谨慎|严格)", r"重视", r"不会再", r"杜绝", r"严格遵守",
            r"认真学习", r"引以为戒", r"提高.{0,4}意识")


# The closing of an appeal ends the last section: "We request reinstatement...", thanks.
CLOSING = _re(r"^\s*(?:thank you|thanks|sincerely|best regards|regards)\b",
              r"\b(?:we |i )?(?:respectfully )?request (?:the )?(?:reinstatement|that)",
              r"^\s*(?:感谢|谢谢|此致|敬礼)", r"请求.{0,12}恢复")


def _strip_numbering(text: str) -> str:
    return _NUMBERING.sub("", text, count=1).strip()


def heading_kind(text: Text) -> str | None:
    """The section a heading segment opens ("root cause"...), or None for body text."""
    for side in (text.english, text.source):
        body = _strip_numbering(side)
        if not body:
            continue
        for kind, pattern in SECTION_HEADINGS:
            m = pattern.match(body)
            if m is None:
                continue
            rest = body[m.end():].strip()
            if not rest or rest[:1] in ":：" or (len(rest) <= 10 and not rest[:1].isalnum()):
                return kind
    return None


def _pure_heading(text: Text) -> bool:
    """A heading with nothing after it ("3. Preventive measures:")."""
    for side in (text.english, text.source):
        body = _strip_numbering(side)
        for _kind, pattern in SECTION_HEADINGS:
            m = pattern.match(body)
            if m is not None and len(body[m.end():].strip(" :：.。")) > 10:
                return False
    return True


def split_sections(texts: list[Text]) -> dict[str, list[Text]]:
    """Segments under each section heading (up to the next heading); {} without headings."""
    sections: dict[str, list[Text]] = {}
    current: str | None = None
    for t in texts:
        kind = heading_kind(t)
        if kind is not None:
            current = kind
            sections.setdefault(kind, [])
            if _pure_heading(t):
                continue  # "Root cause: our process..." belongs to its section
        if current is not None and (CLOSING.search(t.english) or CLOSING.search(t.source)):
            current = None  # the closing is not part of the last section
        if current is not None:
            sections[current].append(t)
    return sections


def concreteness(text: str) -> int:
    """How many of who / what / how often / by when a sentence names (0-4)."""
    return sum(1 for p in (WHO, WHAT, OFTEN, WHEN) if p.search(text))


def is_vague_promise(text: str) -> bool:
    """A promise or a vague intention ("we will pay more attention", 我们会加强管理) that
    names less than two of who, what, how often and by when, and sets no deadline."""
    if not (PROMISE.search(text) or VAGUE.search(text)):
        return False
    return concreteness(text) < 2 and not DEADLINE.search(text)


def _side(t: Text) -> str:
    return t.english or t.source


def check_sections(texts: list[Text]) -> list[Note]:
    """Per-section findings: a preventive section of vague promises with nothing concrete
    (error), vague promises among concrete measures (warning), a corrective-actions
    section with only promises (warning)."""
    sections = split_sections(texts)
    notes: list[Note] = []
    prevention = [t for t in sections.get("preventive measures", []) if _side(t).strip()]
    if prevention:
        vague = [(t.id, _side(t).strip()) for t in prevention if is_vague_promise(_side(t))]
        # Anything else that names a person, a tool, a frequency or a date counts: only
        # a section of promises (and nothing concrete) is an error.
        concrete = [t for t in prevention if not is_vague_promise(_side(t))
                    and concreteness(_side(t)) >= 1]
        if vague and not concrete:
            notes.append(Note(
                "poa-vague-prevention",
                "The preventive measures section names no concrete mechanism"
                + (f" ({_examples(vague)})" if vague else "")
                + ". Amazon asks for steps that prevent recurrence: who checks what, how often, "
                "with what record, from which date (“Our compliance specialist checks every "
                "new listing against a list of prohibited words before it goes live.”).",
                Severity.ERROR, STEP))
        elif vague:
            notes.append(Note(
                "poa-vague-promise",
                f"Vague promises in the preventive measures ({_examples(vague)}): replace each "
                "with the mechanism (who, what, how often, by when) or delete it.",
                Severity.WARNING, STEP))
    corrective = [t for t in sections.get("corrective actions", []) if _side(t).strip()]
    if corrective and not any(DONE.search(_side(t)) for t in corrective):
        promises = [(t.id, m.group()) for t in corrective if (m := PROMISE.search(_side(t)))]
        if promises:
            notes.append(Note(
                "poa-promises-only",
                f"The corrective actions only promise future actions ({_examples(promises)}) "
                "and report none already completed. Amazon asks for actions you have taken: "
                "“We removed…”, “We hired…”, with dates.", Severity.WARNING, STEP))
    return notes


def texts_of(doc: Document) -> list[Text]:
    out = []
    for seg in doc.segments:
        english = seg.text if (seg.target is not None or not seg.translatable) else ""
        out.append(Text(seg.id, seg.zh, english))  # Simplified form of a Traditional draft
    return out


def check_poa(doc: Document) -> list[Note]:
    """Document-level POA notes for ``doc`` (not added to it: the caller decides)."""
    return check_texts(texts_of(doc))
