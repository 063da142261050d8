"""The translate step: every segment that still needs English goes to the engine at once.

Identical engine inputs are translated once. Protected spans come back through their
placeholders; if the engine drops or mangles one (or the model has no placeholder
symbols at all), the segment is translated piecewise *around* its protected spans, so
no number, ID or term is ever lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .engine import Engine
from .model import Document, Origin, Protected, Segment, Severity
from .protect import TOKEN_RE, restore
from .segment import has_chinese

_ASCII_PUNCT = str.maketrans({"，": ",", "。": ".", "；": ";", "：": ":", "！": "!", "？": "?",
                              "（": "(", "）": ")", "、": ",", "“": '"', "”": '"'})


def needs_engine(seg: Segment) -> bool:
    return seg.translatable and seg.target is None


def _pieces(seg: Segment) -> list[str | Protected]:
    """The masked source split into text pieces and protected spans, in order."""
    masked = seg.engine_input if seg.engine_input is not None else seg.source
    by_token = {p.token: p for p in seg.protected}
    out: list[str | Protected] = []
    pos = 0
    for m in TOKEN_RE.finditer(masked):
        if m.start() > pos:
            out.append(masked[pos:m.start()])
        out.append(by_token.get(m.group(), m.group()))
        pos = m.end()
    if pos < len(masked):
        out.append(masked[pos:])
    return out


def _join(parts: list[str]) -> str:
    text = " ".join(p.strip() for p in parts if p.strip())
    text = re.sub(r"\s+([,.;:!?%)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    return text.strip()


def translate_segments(engine: Engine, segments: Iterable[Segment],
                       use_placeholders: bool | None = None) -> int:
    """Translate all ``segments`` that need it; return how many unique inputs went to the engine."""
    todo = [s for s in segments if needs_engine(s)]
    if not todo:
        return 0
    if use_placeholders is None:
        use_placeholders = engine.supports_placeholders

    def engine_text(seg: Segment) -> str:
        if seg.engine_input is not None and use_placeholders:
            return seg.engine_input
        return seg.source

    # Pass 1: whole segments (placeholders in), unique inputs only.
    whole = [s for s in todo if use_placeholders or not s.protected]
    unique = list(dict.fromkeys(engine_text(s) for s in whole))
    english = dict(zip(unique, engine.translate(unique), strict=True))
    fallback: list[Segment] = [s for s in todo if not (use_placeholders or not s.protected)]
    for seg in whole:
        out = english[engine_text(seg)]
        if seg.protected and use_placeholders:
            restored = restore(out, seg.protected)
            if restored.missing:
                seg.note("protection-fallback",
                         "the engine dropped protected text ("
                         + ", ".join(p.source for p in restored.missing)
                         + "); translated around it instead", Severity.WARNING, "translate")
                fallback.append(seg)
                continue
            if restored.duplicated or restored.unknown:
                seg.note("protection-repeated", "the engine repeated or invented a protected "
                         "span; check this sentence", Severity.WARNING, "translate")
            out = restored.text
        _accept(seg, out)

    # Pass 2: translate the text between protected spans, keep the spans as rendered.
    if fallback:
        per_seg = [_pieces(s) for s in fallback]
        texts = list(dict.fromkeys(
            p for pieces in per_seg for p in pieces if isinstance(p, str) and has_chinese(p)))
        piece_en = dict(zip(texts, engine.translate(texts), strict=True))
        for seg, pieces in zip(fallback, per_seg, strict=True):
            parts = []
            for p in pieces:
                if isinstance(p, Protected):
                    parts.append(p.render)
                elif p in piece_en:
                    parts.append(piece_en[p])
                else:
                    parts.append(p.translate(_ASCII_PUNCT))
            _accept(seg, _join(parts))
        unique.extend(texts)
    return len(unique)


def _accept(seg: Segment, english: str) -> None:
    english = english.strip()
    if not english:
        seg.origin = Origin.ENGINE_FAILED
        seg.note("engine-failed", "the engine returned nothing; the Chinese is kept",
                 Severity.ERROR, "translate")
        return
    seg.mt = english
    seg.target = english
    seg.origin = Origin.MACHINE


class TranslateStep:
    name = "translate"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, doc: Document) -> Document:
        translate_segments(self.engine, doc.segments)
        return doc
