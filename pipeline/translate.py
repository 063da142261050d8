"""The translate step: every segment that still needs English goes to the engine at once.

Whole sentences are the norm (real models have no placeholder symbols, and they copy
numbers, IDs and Latin names): each segment's engine input is the source, unmasked.
Afterwards every protected span (``Segment.protected``) is checked in the English:

1. all came back -> ``TranslationPath.WHOLE``;
2. a garbled number/ID/date can be replaced unambiguously -> ``WHOLE_REPAIRED`` (noted);
3. otherwise, the last resort: the segment is translated piecewise around its protected
   spans, which are kept as rendered -> ``PIECEWISE`` (noted: check the wording).

Inputs longer than the model can take (``Engine.max_input_tokens``) are translated in
parts, split at Chinese commas/semicolons and then by length, and the English joined
(``SPLIT``). An engine error never fails the batch: the call is retried in halves until
the failing input is isolated, and only its segments are marked ``ENGINE_FAILED``.
Identical engine inputs are translated once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .cjk import has_chinese
from .document import Origin, Protected, Segment, Severity, TranslationPath
from .errors import EngineError
from .protect import missing_spans, repair

_ASCII_PUNCT = str.maketrans({"，": ",", "。": ".", "；": ";", "：": ":", "！": "!", "？": "?",
                              "（": "(", "）": ")", "、": ",", "“": '"', "”": '"'})

# Longest input (in model tokens) sent as one piece, even when the model takes more: an
# English of more than ~256 pieces is cut by max_decoding_length, and small models lose
# their way in very long inputs. Split inputs join their parts' English.
MAX_PART_TOKENS = 200
# Without a tokenizer (a stand-in engine), a Chinese character is counted as one token.
_CLAUSE_END_RE = re.compile(r"(?<=[，；,;：:、])")


def needs_engine(seg: Segment) -> bool:
    return seg.translatable and seg.target is None


class _Failed(str):
    """An engine error for one input (a str subclass so it can sit in result maps)."""


# ---- long inputs ----------------------------------------------------------------------

def _limit(engine: Any) -> int:
    limit = getattr(engine, "max_input_tokens", None)
    return max(8, min(int(limit), MAX_PART_TOKENS)) if limit else MAX_PART_TOKENS


def _count(engine: Any, text: str) -> int:
    count = getattr(engine, "count_tokens", None)
    return int(count(text)) if count is not None else len(text) + 1


def split_long(engine: Any, text: str, limit: int | None = None) -> list[str]:
    """``text`` in parts of at most ``limit`` tokens: at clause punctuation (，；：、),
    then by length. One part when it fits."""
    limit = limit or _limit(engine)
    if _count(engine, text) <= limit:
        return [text]
    parts: list[str] = []
    cur = ""
    for clause in (c for c in _CLAUSE_END_RE.split(text) if c):
        if cur and _count(engine, cur + clause) > limit:
            parts.append(cur)
            cur = ""
        cur += clause
    if cur:
        parts.append(cur)
    out: list[str] = []
    for part in parts:
        while _count(engine, part) > limit:
            # Halve by characters until the head fits, then cut there.
            cut = len(part)
            while cut > 1 and _count(engine, part[:cut]) > limit:
                cut = max(1, int(cut * limit / max(_count(engine, part[:cut]), 1) * 0.95))
            out.append(part[:cut])
            part = part[cut:]
        if part:
            out.append(part)
    return out


def _join(parts: list[str]) -> str:
    text = " ".join(p.strip() for p in parts if p.strip())
    text = re.sub(r"\s+([,.;:!?%)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    return text.strip()


def _join_split(sources: list[str], english: list[str]) -> str:
    """Join the English of consecutive parts of one sentence: a part that ended with a
    Chinese comma/semicolon ends with the English one, without its full stop."""
    out: list[str] = []
    for i, (zh, en) in enumerate(zip(sources, english, strict=True)):
        en = en.strip()
        if i < len(sources) - 1:
            end = zh.rstrip()[-1:] if zh.strip() else ""
            en = en.rstrip(".。")
            if end in "，,、" and not en.endswith(","):
                en += ","
            elif end in "；;" and not en.endswith(";"):
                en += ";"
            elif end in "：:" and not en.endswith(":"):
                en += ":"
        if i > 0 and en[:1].isupper() and en[1:2].islower() and out and out[-1][-1:] in ",;":
            en = en[0].lower() + en[1:]
        out.append(en)
    return _join(out)


# ---- engine calls ---------------------------------------------------------------------

def _call_isolating(engine: Any, texts: list[str]) -> list[str]:
    """``engine.translate(texts)``; on an error, halves until the bad input is found.
    A failing single input gives a ``_Failed`` with the error's first line."""
    if not texts:
        return []
    try:
        return list(engine.translate(texts))
    except EngineError:
        raise  # the engine as a whole failed (no server answers, key refused): not one input
    except Exception as exc:  # noqa: BLE001 - any other engine error is isolated to its input
        if len(texts) == 1:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            return [_Failed(f"{type(exc).__name__}: {first}".rstrip(": "))]
        mid = len(texts) // 2
        return _call_isolating(engine, texts[:mid]) + _call_isolating(engine, texts[mid:])


def _translate_texts(engine: Any, texts: list[str]) -> tuple[dict[str, str], set[str], int]:
    """English for each unique text in ONE batched call (plus halves on errors).

    Returns the English by text (``_Failed`` on an engine error), the texts that were
    split for length, and how many unique inputs went to the engine.
    """
    unique = list(dict.fromkeys(texts))
    limit = _limit(engine)
    parts_of = {t: split_long(engine, t, limit) for t in unique}
    inputs = list(dict.fromkeys(p for parts in parts_of.values() for p in parts))
    english = dict(zip(inputs, _call_isolating(engine, inputs), strict=True))
    out: dict[str, str] = {}
    split: set[str] = set()
    for t, parts in parts_of.items():
        failed = next((english[p] for p in parts if isinstance(english[p], _Failed)), None)
        if failed is not None:
            out[t] = failed
        elif len(parts) == 1:
            out[t] = english[parts[0]]
        else:
            out[t] = _join_split(parts, [english[p] for p in parts])
            split.add(t)
    return out, split, len(inputs)


# ---- the step -------------------------------------------------------------------------

def translate_segments(engine: Any, segments: Iterable[Segment]) -> int:
    """Translate all ``segments`` that need it; return how many unique inputs went to the
    engine. One batched call for the whole sentences, a second one only for segments
    that must be translated piecewise."""
    todo = [s for s in segments if needs_engine(s)]
    if not todo:
        return 0
    inputs = {id(s): s.engine_input if s.engine_input is not None else s.zh for s in todo}
    english, split, sent = _translate_texts(engine, [inputs[id(s)] for s in todo])
    errors = {str(e) for e in english.values() if isinstance(e, _Failed)}
    if len(english) > 1 and len(errors) == 1 and all(isinstance(e, _Failed)
                                                      for e in english.values()):
        # Every input failed the same way: the engine is broken, not the sentences.
        raise EngineError(f"the engine failed on every sentence ({errors.pop()})")
    piecewise: list[Segment] = []
    for seg in todo:
        out = english[inputs[id(seg)]]
        if isinstance(out, _Failed):
            _fail(seg, out)
            continue
        path = TranslationPath.SPLIT if inputs[id(seg)] in split else TranslationPath.WHOLE
        missing = missing_spans(out, seg.protected)
        if missing:
            out, missing = repair(out, seg.protected, missing)
            if not missing:
                if path is TranslationPath.WHOLE:
                    path = TranslationPath.WHOLE_REPAIRED
                seg.note("protected-repaired", "a number, ID or date came back garbled and "
                         "was replaced by the source's; check this sentence",
                         Severity.WARNING, "translate")
        if missing:
            piecewise.append(seg)
            continue
        _accept(seg, out, path)
    if piecewise:
        sent += _translate_around(engine, piecewise)
    return sent


def _pieces(seg: Segment) -> list[str | Protected]:
    """The engine input split into text pieces and protected spans, in order."""
    text = seg.engine_input if seg.engine_input is not None else seg.zh
    out: list[str | Protected] = []
    pos = 0
    for p in sorted(seg.protected, key=lambda p: p.start):
        if p.start > pos:
            out.append(text[pos:p.start])
        out.append(p)
        pos = p.end
    if pos < len(text):
        out.append(text[pos:])
    return out


def _translate_around(engine: Any, segs: list[Segment]) -> int:
    per_seg = [_pieces(s) for s in segs]
    texts = [p for pieces in per_seg for p in pieces if isinstance(p, str) and has_chinese(p)]
    piece_en, _, sent = _translate_texts(engine, texts)
    for seg, pieces in zip(segs, per_seg, strict=True):
        parts: list[str] = []
        failed: str | None = None
        for p in pieces:
            if isinstance(p, Protected):
                parts.append(p.render)
            elif p in piece_en:
                if isinstance(piece_en[p], _Failed):
                    failed = piece_en[p]
                parts.append(piece_en[p].rstrip(".") if p.rstrip()[-1:] not in "。.！？!?"
                             else piece_en[p])
            else:
                parts.append(p.translate(_ASCII_PUNCT))
        if failed is not None:
            _fail(seg, failed)
            continue
        lost = ", ".join(dict.fromkeys(p.source for p in pieces if isinstance(p, Protected)))
        seg.note("protection-fallback", f"the engine changed or dropped {lost}; translated "
                 "around it instead: check the wording", Severity.WARNING, "translate")
        _accept(seg, _join(parts), TranslationPath.PIECEWISE)
    return sent


def _fail(seg: Segment, error: str) -> None:
    seg.origin = Origin.ENGINE_FAILED
    seg.path = TranslationPath.FAILED
    seg.note("engine-failed", f"the engine failed on this sentence ({error}); the Chinese "
             "is kept", Severity.ERROR, "translate")


def _accept(seg: Segment, english: str, path: TranslationPath) -> None:
    english = english.strip()
    if not english:
        seg.origin = Origin.ENGINE_FAILED
        seg.path = TranslationPath.FAILED
        seg.note("engine-failed", "the engine returned nothing; the Chinese is kept",
                 Severity.ERROR, "translate")
        return
    # A segment is a sentence (or a heading): it starts with a capital, but "eBay"-style
    # names keep their case.
    if english[0].islower() and not (len(english) > 1 and english[1].isupper()):
        english = english[0].upper() + english[1:]
    english = seg.list_marker + english
    seg.mt = english
    seg.target = english
    seg.origin = Origin.MACHINE
    seg.path = path


def whole_share(segments: Iterable[Segment]) -> tuple[int, int]:
    """(segments translated whole — repaired or not —, segments the engine translated)."""
    paths = [s.path for s in segments if s.path is not TranslationPath.NONE]
    whole = sum(1 for p in paths if p in (TranslationPath.WHOLE, TranslationPath.WHOLE_REPAIRED))
    return whole, len(paths)
