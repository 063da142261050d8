"""Chinese sentence segmentation, written for Chinese and lossless.

Splits after 。！？； and …… (and ASCII .!?; written straight after a Chinese character),
keeps closing quotes and brackets with their sentence, never splits inside numbers
("2.8%", "1.5") or list markers ("1." "（1）" "一、"), and treats line breaks inside a
paragraph as boundaries. The gaps between segments are kept, so
``"".join(gap + source) + tail`` rebuilds the paragraph exactly.
"""

from __future__ import annotations

import re

from .model import Block, Document, Segment

# CJK Unified Ideographs (+ extension A, compatibility ideographs, extension B..F).
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
HAN_RE = re.compile(f"[{HAN}]")

_CLOSERS = "”’」』）)】》〉\"'］]｝}"
_FULL_STOPS = "。！？；!?；"
# A sentence ends at a run of Chinese terminators (or an ellipsis "……"/"…"), plus any
# closing quotes/brackets right after it.
_END_RE = re.compile(
    rf"(?:[。！？；]+|…+|(?<=[{HAN}])[.!?;]+(?![\d.]))[{re.escape(_FULL_STOPS)}…]*[{re.escape(_CLOSERS)}]*"
)
_BREAK_RE = re.compile(r"[\n\r\v\f\u2028\u2029]")


def has_chinese(text: str) -> bool:
    return HAN_RE.search(text) is not None


def split_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text``; whitespace between them is not in a span."""
    cuts = [0]
    for m in _END_RE.finditer(text):
        cuts.append(m.end())
    for m in _BREAK_RE.finditer(text):
        cuts.extend((m.start(), m.end()))
    cuts.append(len(text))
    cuts = sorted(set(cuts))
    spans: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        # Trim whitespace (including line breaks) off both ends: it goes to the gaps.
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def segment_block(block: Block) -> Block:
    """Fill ``block.segments`` from ``block.text`` (replacing any previous segments)."""
    text = block.text
    segments: list[Segment] = []
    pos = 0
    for n, (a, b) in enumerate(split_spans(text)):
        source = text[a:b]
        chinese = has_chinese(source)
        segments.append(Segment(
            id=f"{block.id}#{n}",
            block_id=block.id,
            index=n,
            source=source,
            gap_before=text[pos:a],
            translatable=chinese,
            skip_reason="" if chinese else "no Chinese text",
        ))
        pos = b
    block.segments = segments
    block.tail = text[pos:]
    return block


class SegmentStep:
    name = "segment"

    def __call__(self, doc: Document) -> Document:
        for block in doc.blocks:
            segment_block(block)
        return doc


def segment_document(doc: Document) -> Document:
    return SegmentStep()(doc)
