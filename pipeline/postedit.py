"""Post-edit rules for English written by Chinese writers (or translated from Chinese).

The rules are data: ``pipeline/data/postedit_rules.tsv`` with the columns
``id, kind, pattern, replacement, message, example_before, example_after``.
``kind`` is ``regex`` (Python ``re`` syntax; the replacement may use ``\\1``, or be
``%CAPITALIZE%``: the match with a capital first letter), ``literal`` (an exact,
case-sensitive phrase matched at word boundaries) or ``suggest`` (a regex whose rewrite is
only offered to the reviewer as a Note, never applied: it would change content). ``%HAN%`` in a
pattern stands for the Chinese character ranges, to use inside ``[...]``. Rules run in
file order, each on the output of the one before; every edit becomes a ``Change``.

Two guards hold for every rule, so the table stays simple:
  * no edit touches a URL, an e-mail address or a domain/file name ("Amazon.com",
    "https://...", "invoice.pdf");
  * no edit is made next to Chinese text: the nearest letter before and after the match
    (skipping spaces, digits and punctuation) must not be a Chinese character. So
    "item，the" becomes "item, the" but "我们，他们" stays as it is.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .cjk import HAN, HAN_RE
from .document import Change, Note, Severity

STEP = "grammar"
SUGGESTION = "grammar-suggestion"  # the Note code of a suggest rule
_HAN_RE = HAN_RE
CAPITALIZE = "%CAPITALIZE%"  # a replacement: the match with a capital first letter
KINDS = ("regex", "literal", "suggest")
COLUMNS = ["id", "kind", "pattern", "replacement", "message", "example_before", "example_after"]

# What edits never touch: URLs, e-mail addresses, domain and file names.
_TLDS = "com|net|org|cn|uk|de|jp|fr|es|ca|au|io|html?|pdf|jpe?g|png|gif|xlsx?|docx?|csv|txt|zip"
PROTECTED_RE = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"“”，。；）)】]+"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    rf"|\b(?:[A-Za-z0-9-]+\.)+(?:{_TLDS})\b(?:['’]s\b)?"  # Amazon.com, invoice.pdf
)


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` no rule may edit (URLs, e-mail addresses, domain/file names)."""
    return [m.span() for m in PROTECTED_RE.finditer(text)]


def protected_near(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The protected spans that could overlap [start, end): those in the tokens around it.
    A URL, e-mail address or domain never holds whitespace, so only the text from the
    whitespace before ``start`` to the whitespace after ``end`` is scanned, not the whole
    text (which made every rule quadratic on a long paragraph)."""
    a = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start),
            text.rfind("\t", 0, start)) + 1
    ends = [i for i in (text.find(" ", end), text.find("\n", end), text.find("\t", end))
            if i >= 0]
    b = min(ends) if ends else len(text)
    return [m.span() for m in PROTECTED_RE.finditer(text, a, b)]


def overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """True if [start, end) overlaps (or, when empty, sits strictly inside) a span."""
    for a, b in spans:
        if start < b and end > a:
            return True
        if start == end and a < start < b:
            return True
    return False


def _nearest_letter(text: str, pos: int, step: int, limit: int = 8) -> str:
    """The first letter-like character from ``pos`` going ``step`` (+1/-1), or ''."""
    i, seen = pos, 0
    while 0 <= i < len(text) and seen < limit:
        ch = text[i]
        if ch.isalpha():
            return ch
        if ch == "\n":  # a line (or a batched text) ends here
            return ""
        i += step
        seen += 1
    return ""


def next_to_chinese(text: str, start: int, end: int) -> bool:
    """True when the nearest letter before ``start`` or after ``end`` is Chinese."""
    inside = text[start:end]
    if _HAN_RE.search(inside):
        return True
    before = _nearest_letter(text, start - 1, -1)
    after = _nearest_letter(text, end, 1)
    return bool(_HAN_RE.match(before) or _HAN_RE.match(after))


def edit_context(text: str, start: int, end: int, new: str, limit: int = 24) -> tuple[str, str]:
    """(before, after) for a Change: the edit widened to whole words on both sides.

    A bare "," -> ", " says little in a review; "notification,our" -> "notification, our"
    says what happened.
    """
    a = start
    while a > 0 and start - a < limit and not text[a - 1].isspace():
        a -= 1
    b = end
    while b < len(text) and b - end < limit and not text[b].isspace():
        b += 1
    return text[a:b], text[a:start] + new + text[end:b]


@dataclass(frozen=True)
class PostEditRule:
    id: str
    kind: str  # "regex" or "literal"
    pattern: str
    replacement: str
    message: str
    example_before: str
    example_after: str
    regex: re.Pattern[str]

    def expand(self, m: re.Match[str]) -> str:
        if self.replacement == CAPITALIZE:
            return m.group(0)[:1].upper() + m.group(0)[1:]
        return m.expand(self.replacement) if self.kind != "literal" else self.replacement


def _compile(kind: str, pattern: str) -> re.Pattern[str]:
    if kind == "literal":
        body = re.escape(pattern)
        if pattern[:1].isalnum():
            body = r"\b" + body
        if pattern[-1:].isalnum():
            body += r"\b"
        return re.compile(body)
    return re.compile(pattern.replace("%HAN%", HAN))


def parse_rules(text: str, source: str = "postedit_rules.tsv") -> list[PostEditRule]:
    """Parse the TSV table; a malformed row is a ValueError naming the line."""
    rules: list[PostEditRule] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if cols[0] == "id" and n == 1:
            if cols != COLUMNS:
                raise ValueError(f"{source}:1: header must be {' '.join(COLUMNS)}")
            continue
        if len(cols) != len(COLUMNS):
            raise ValueError(f"{source}:{n}: {len(cols)} columns, expected {len(COLUMNS)}")
        rid, kind, pattern, replacement, message, before, after = cols
        if kind not in KINDS:
            raise ValueError(f"{source}:{n}: kind must be one of {', '.join(KINDS)}, "
                             f"not {kind!r}")
        if rid in seen:
            raise ValueError(f"{source}:{n}: duplicate rule id {rid!r}")
        if not pattern:
            raise ValueError(f"{source}:{n}: empty pattern")
        try:
            regex = _compile(kind, pattern)
        except re.error as exc:
            raise ValueError(f"{source}:{n}: bad pattern for {rid}: {exc}") from None
        seen.add(rid)
        rules.append(PostEditRule(rid, kind, pattern, replacement, message, before, after, regex))
    return rules


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> tuple[PostEditRule, ...]:
    """The rules from ``path``, or the built-in table."""
    if path is None:
        text = resources.files("pipeline").joinpath("data/postedit_rules.tsv").read_text("utf-8")
        return tuple(parse_rules(text))
    return tuple(parse_rules(Path(path).read_text("utf-8"), str(path)))


def apply_rule(rule: PostEditRule, text: str, changes: list[Change],
               positions: list[int] | None = None) -> str:
    """Apply one rule to ``text`` (guards included), appending a Change per edit (and,
    when ``positions`` is given, where in ``text`` it was). A ``suggest`` rule never
    edits: see :func:`suggestions`."""
    if rule.kind == "suggest":
        return text
    def replace(m: re.Match[str]) -> str:
        old = m.group(0)
        if overlaps(m.start(), m.end(), protected_near(text, m.start(), m.end())) or \
                next_to_chinese(text, m.start(), m.end()):
            return old
        new = rule.expand(m)
        if new != old:
            before, after = edit_context(text, m.start(), m.end(), new)
            changes.append(Change(f"postedit:{rule.id}", before, after, rule.message, STEP))
            if positions is not None:
                positions.append(m.start())
        return new

    return rule.regex.sub(replace, text)


def suggestions(text: str, rules: Sequence[PostEditRule] | None = None) -> list[Note]:
    """Notes for the reviewer from the ``suggest`` rules: a rewrite that changes content
    ("Dear Amazon Team," -> "Dear Seller Performance Team,") is the reviewer's call."""
    notes: list[Note] = []
    for rule in rules if rules is not None else load_rules():
        if rule.kind != "suggest":
            continue
        spans: list[tuple[int, int]] | None = None
        for m in rule.regex.finditer(text):
            if spans is None:
                spans = protected_spans(text)
            if overlaps(m.start(), m.end(), spans) or next_to_chinese(text, m.start(), m.end()):
                continue
            old, new = m.group(0).strip(), rule.expand(m).strip()
            if old != new:
                notes.append(Note(SUGGESTION, f"“{old}” → “{new}”: {rule.message}",
                                  Severity.INFO, STEP))
    return notes


def apply_postedit(text: str, rules: Sequence[PostEditRule] | None = None) -> tuple[str, list[Change]]:
    """Run every rule over ``text``; returns the new text and the edits made."""
    changes: list[Change] = []
    for rule in rules if rules is not None else load_rules():
        text = apply_rule(rule, text, changes)
    return text, changes


_JOIN = "\n\n"


def apply_postedit_many(texts: Sequence[str], rules: Sequence[PostEditRule] | None = None
                        ) -> list[tuple[str, list[Change]]]:
    """:func:`apply_postedit` on many one-line texts at once: they are joined with blank
    lines so each rule scans them in one call (a regex call costs more than the scan of a
    sentence). Texts with line breaks, or a result that lost a join, fall back to one
    call per text."""
    rules = rules if rules is not None else load_rules()
    if len(texts) < 2 or any("\n" in t or "\r" in t for t in texts):
        return [apply_postedit(t, rules) for t in texts]
    joined = _JOIN.join(texts)
    per: list[list[Change]] = [[] for _ in texts]
    joins = [m.start() for m in re.finditer(_JOIN, joined)]
    for rule in rules:
        changes: list[Change] = []
        positions: list[int] = []
        new = apply_rule(rule, joined, changes, positions)
        if not changes:
            continue
        for c, pos in zip(changes, positions, strict=True):
            per[bisect.bisect_right(joins, pos)].append(c)
        joined = new
        joins = [m.start() for m in re.finditer(_JOIN, joined)]
        if len(joins) != len(texts) - 1:
            return [apply_postedit(t, rules) for t in texts]
    return list(zip(joined.split(_JOIN), per, strict=True))

