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
from .protect import STRAY_RE, TOKEN_RE, restore, unmask_terms
from .segment import has_chinese

_ASCII_PUNCT = str.maketrans({"，": ",", "。": ".", "；": ";", "：": ":", "！": "!", "？": "?",
                              "（": "(", "）": ")", "、": ",", "“": '"', "”": '"'})


def needs_engine(seg: Segment) -> bool:
    return seg.translatable and seg.target is None


def _pieces(seg: Segment) -> list[str | Protected]:
    """The masked source split into text pieces and protected spans, in order."""
    masked = seg.engine_input if seg.engine_input is not None else seg.zh
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
    """Translate all ``segments`` that need it; return how many unique inputs went to the engine.

    Three tries, each one batched call over the segments still failing:
    1. the masked input (every protected span a placeholder);
    2. glossary terms back in Chinese, only numbers/IDs masked (the glossary step
       normalises the terms afterwards and flags any that are missing);
    3. the text between protected spans, translated piece by piece, spans kept as rendered.
    """
    todo = [s for s in segments if needs_engine(s)]
    if not todo:
        return 0
    if use_placeholders is None:
        use_placeholders = engine.supports_placeholders
    sent = 0
    if use_placeholders:
        inputs = {id(s): (s.engine_input if s.engine_input is not None else s.zh, s.protected)
                  for s in todo}
        todo, n = _try_whole(engine, todo, inputs)
        sent += n
        if todo:
            retry = {id(s): unmask_terms(inputs[id(s)][0], inputs[id(s)][1]) for s in todo}
            todo, n = _try_whole(engine, todo, retry)
            sent += n
            for seg in todo:
                seg.note("protection-fallback", "the engine dropped protected text; translated "
                         "around it instead", Severity.WARNING, "translate")
    else:
        plain = [s for s in todo if not s.protected]
        _, n = _try_whole(engine, plain, {id(s): (s.engine_input or s.zh, []) for s in plain})
        sent += n
        todo = [s for s in todo if s.protected]
    if todo:
        sent += _translate_around(engine, todo)
    return sent


def _try_whole(engine: Engine, segs: list[Segment],
               inputs: dict[int, tuple[str, list[Protected]]]) -> tuple[list[Segment], int]:
    """Translate whole segments; return those whose placeholders did not all come back."""
    unique = list(dict.fromkeys(inputs[id(s)][0] for s in segs))
    english = dict(zip(unique, engine.translate(unique), strict=True))
    failed: list[Segment] = []
    for seg in segs:
        text, protected = inputs[id(seg)]
        out = english[text]
        if protected:
            restored = restore(out, protected)
            if restored.missing:
                failed.append(seg)
                continue
            if restored.duplicated or restored.unknown:
                seg.note("protection-repeated", "the engine repeated or invented a protected "
                         "span; check this sentence", Severity.WARNING, "translate")
            out = restored.text
        _accept(seg, out)
    return failed, len(unique)


def _translate_around(engine: Engine, segs: list[Segment]) -> int:
    per_seg = [_pieces(s) for s in segs]
    texts = list(dict.fromkeys(
        p for pieces in per_seg for p in pieces if isinstance(p, str) and has_chinese(p)))
    piece_en = dict(zip(texts, engine.translate(texts), strict=True))
    for seg, pieces in zip(segs, per_seg, strict=True):
        parts = []
        for p in pieces:
            if isinstance(p, Protected):
                parts.append(p.render)
            elif p in piece_en:
                parts.append(piece_en[p])
            else:
                parts.append(p.translate(_ASCII_PUNCT))
        _accept(seg, _join(parts))
    return len(texts)


def _accept(seg: Segment, english: str) -> None:
    if TOKEN_RE.search(english) or STRAY_RE.search(english):
        # A placeholder the engine invented (e.g. inside a piece translated on its own).
        english = _join([STRAY_RE.sub("", TOKEN_RE.sub("", english))])
        seg.note("protection-repeated", "the engine invented a placeholder; removed it, "
                 "check this sentence", Severity.WARNING, "translate")
    english = english.strip()
    if not english:
        seg.origin = Origin.ENGINE_FAILED
        seg.note("engine-failed", "the engine returned nothing; the Chinese is kept",
                 Severity.ERROR, "translate")
        return
    # A segment is a sentence (or a heading): it starts with a capital ("quality control"
    # restored from a placeholder would not), but "eBay"-style names keep their case.
    if english[0].islower() and not (len(english) > 1 and english[1].isupper()):
        english = english[0].upper() + english[1:]
    english = seg.meta.get("marker", "") + english
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
