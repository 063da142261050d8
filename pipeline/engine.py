"""The translation engine: an Argos package's CTranslate2 model and SentencePiece tokenizer.

All sentences of a document (or of a whole batch of documents) go to ONE
``translate_batch`` call with a token-based batch size, so CTranslate2 can sort by length
and keep both cores busy: Argos's own path (32-token batches, i.e. one sentence per
call) is about ten times slower on a 2-core machine. The model is loaded once per process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from .packages import ModelInfo
from .protect import MAX_PLACEHOLDERS, token


@dataclass(frozen=True)
class EngineSettings:
    """Decoding and threading settings; defaults are the measured best on 2 cores."""

    beam_size: int = 4
    length_penalty: float = 0.0  # Argos uses 0.2; 0 keeps short outputs whole (measured)
    # Batches of 16 sentences kept both cores busy at >= 0.91x of the raw limit on every
    # input size measured (bench/README.md); a token budget > 0 replaces them.
    max_batch_examples: int = 16
    max_batch_tokens: int = 0
    inter_threads: int = 0  # 0 = min(2, cores): parallel batches beat intra-op threads here
    intra_threads: int = 1
    compute_type: str = "int8"
    max_decoding_length: int = 256
    min_decoding_length: int = 0  # benchmarks fix the output length (random models never stop)
    repetition_penalty: float = 1.0

    def resolved_inter(self) -> int:
        return self.inter_threads or max(1, min(2, os.cpu_count() or 1))


class Engine:
    def __init__(self, info: ModelInfo, settings: EngineSettings | None = None) -> None:
        import ctranslate2
        import sentencepiece

        self.info = info
        self.settings = settings or EngineSettings()
        s = self.settings
        self.translator = ctranslate2.Translator(
            str(info.path / "model"), device="cpu", compute_type=s.compute_type,
            inter_threads=s.resolved_inter(), intra_threads=s.intra_threads,
        )
        self.sp = sentencepiece.SentencePieceProcessor(
            model_file=str(info.path / "sentencepiece.model"))
        self.calls = 0  # translate_batch calls made (tests and batch summaries read it)
        self.sentences = 0
        self._lock = threading.Lock()

    @property
    def supports_placeholders(self) -> bool:
        """True when every ``⟦n⟧`` is one piece of the vocabulary, so the model can copy it.

        Otherwise the translate step translates around protected spans instead.
        """
        unk = self.sp.unk_id()
        return all(self.sp.piece_to_id(token(n)) != unk for n in range(MAX_PLACEHOLDERS))

    def tokenize(self, text: str) -> list[str]:
        return self.sp.encode(text, out_type=str)

    def detokenize(self, pieces: list[str]) -> str:
        text = self.sp.decode(pieces)
        prefix = self.info.target_prefix
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
        return text.strip()

    def translate(self, texts: list[str]) -> list[str]:
        """Translate ``texts`` in one batched call, keeping order."""
        if not texts:
            return []
        s = self.settings
        tokens = [self.tokenize(t) for t in texts]
        prefix = self.info.target_prefix
        kwargs: dict[str, Any] = {}
        if prefix:
            kwargs["target_prefix"] = [[prefix]] * len(tokens)
        with self._lock:
            results = self.translator.translate_batch(
                tokens,
                beam_size=s.beam_size,
                length_penalty=s.length_penalty,
                repetition_penalty=s.repetition_penalty,
                max_batch_size=s.max_batch_tokens or s.max_batch_examples,
                batch_type="tokens" if s.max_batch_tokens else "examples",
                max_decoding_length=s.max_decoding_length,
                min_decoding_length=s.min_decoding_length,
                replace_unknowns=True,
                **kwargs,
            )
            self.calls += 1
            self.sentences += len(texts)
        return [self.detokenize(r.hypotheses[0]) for r in results]


_ENGINES: dict[tuple[str, EngineSettings], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(info: ModelInfo, settings: EngineSettings | None = None) -> Engine:
    """The process-wide engine for this model and settings (loaded on first use)."""
    settings = settings or EngineSettings()
    key = (str(info.path), settings)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = Engine(info, settings)
        return _ENGINES[key]
