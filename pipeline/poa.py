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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Document, Note, Severity

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
    # Judge tense on the English when there is some, else on the Chinese.
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


def texts_of(doc: Document) -> list[Text]:
    out = []
    for seg in doc.segments:
        english = seg.text if (seg.target is not None or not seg.translatable) else ""
        out.append(Text(seg.id, seg.zh, english))  # Simplified form of a Traditional draft
    return out


def check_poa(doc: Document) -> list[Note]:
    """Document-level POA notes for ``doc`` (not added to it: the caller decides)."""
    return check_texts(texts_of(doc))
