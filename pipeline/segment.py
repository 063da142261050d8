"""Chinese sentence segmentation, written for Chinese and lossless.

Splits after 。！？； and …… (and ASCII .!?; written straight after a Chinese character),
keeps closing quotes and brackets with their sentence, never splits inside numbers
("2.8%", "1.5") or list markers ("1." "（1）" "一、"), and treats line breaks inside a
paragraph as boundaries. The gaps between segments are kept, so
``"".join(gap + source) + tail`` rebuilds the paragraph exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .cjk import HAN, has_chinese
from .document import Block, Document, Segment

_CLOSERS = "”’」』）)】》〉\"'］]｝}"
_FULL_STOPS = "。！？；!?；"
# A sentence ends at a run of Chinese terminators (or an ellipsis "……"/"…"), plus any
# closing quotes/brackets right after it.
_END_RE = re.compile(
    rf"(?:[。！？；]+|…+|(?<=[{HAN}])[.!?;]+(?![\d.]))[{re.escape(_FULL_STOPS)}…]*[{re.escape(_CLOSERS)}]*"
)
_BREAK_RE = re.compile(r"[\n\r\v\f\u2028\u2029]")


def trim_spans(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """Spans between consecutive cut points, whitespace trimmed off both ends (it goes
    to the gaps), empty spans dropped."""
    spans: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def split_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text``; whitespace between them is not in a span."""
    cuts = [0]
    for m in _END_RE.finditer(text):
        cuts.append(m.end())
    for m in _BREAK_RE.finditer(text):
        cuts.extend((m.start(), m.end()))
    cuts.append(len(text))
    return trim_spans(text, sorted(set(cuts)))


def fill_segments(block: Block, spans: list[tuple[int, int]],
                  translatable: Callable[[str], str]) -> Block:
    """Fill ``block.segments`` from ``spans`` of ``block.text``, keeping gaps and tail.

    ``translatable(source)`` returns "" for a segment to translate, else why not.
    """
    text = block.text
    segments: list[Segment] = []
    pos = 0
    for n, (a, b) in enumerate(spans):
        source = text[a:b]
        reason = translatable(source)
        segments.append(Segment(id=f"{block.id}#{n}", block_id=block.id, index=n,
                                source=source, gap_before=text[pos:a],
                                translatable=not reason, skip_reason=reason))
        pos = b
    block.segments = segments
    block.tail = text[pos:]
    return block


def _chinese_only(source: str) -> str:
    return "" if has_chinese(source) else "no Chinese text"


def segment_block(block: Block) -> Block:
    """Fill ``block.segments`` from ``block.text`` (replacing any previous segments)."""
    return fill_segments(block, split_spans(block.text), _chinese_only)


class SegmentStep:
    """Split every block into segments, then detect the draft's script: a Traditional
    Chinese draft gets ``Segment.simplified`` (see pipeline.chinese_script)."""

    name = "segment"

    def __call__(self, doc: Document) -> Document:
        from .chinese_script import convert_document

        for block in doc.blocks:
            segment_block(block)
        return convert_document(doc)


def segment_document(doc: Document) -> Document:
    return SegmentStep()(doc)
