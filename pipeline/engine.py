"""The translation engine: an Argos package's CTranslate2 model and SentencePiece tokenizer.

All sentences of a document (or of a whole batch of documents) go to ONE
``translate_batch`` call with a token-based batch size, so CTranslate2 can sort by length
and keep both cores busy: Argos's own path (32-token batches, i.e. one sentence per
call) is about ten times slower on a 2-core machine. The model is loaded once per process.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .packages import ModelInfo

# Input limit when the model file does not say (sinusoidal positions, other formats):
# OPUS-MT/Marian models are trained with at most 512 positions.
DEFAULT_MAX_INPUT_TOKENS = 510


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
        self._max_input: int | None = None

    @property
    def max_input_tokens(self) -> int:
        """The longest source (in tokens, ``</s>`` included) the model can encode: the
        size of its position table when model.bin has one, else a safe default."""
        if self._max_input is None:
            positions = position_table_size(self.info.path / "model" / "model.bin")
            self._max_input = positions or DEFAULT_MAX_INPUT_TOKENS
        return self._max_input

    def count_tokens(self, text: str) -> int:
        """Source tokens for ``text``, counting the ``</s>`` the model adds."""
        return len(self.tokenize(text)) + 1

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


def position_table_size(model_bin: Path) -> int | None:
    """Rows of the encoder's position table in a CTranslate2 ``model.bin`` (None if the
    model has none, e.g. sinusoidal positions computed at run time, or on any doubt).

    Reads only the variable headers (format: version, spec name, revision, then per
    variable: name, rank, dims, dtype, byte count, data), skipping the data."""
    sizes: list[int] = []
    try:
        with open(model_bin, "rb") as f:
            def u(fmt: str) -> int:
                return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]

            def string() -> str:
                return f.read(u("H")).rstrip(b"\0").decode("utf-8", "replace")

            version = u("I")
            if version < 5 or version > 6:
                return None
            string()  # spec name
            u("I")  # spec revision
            for _ in range(u("I")):
                name = string()
                dims = [u("I") for _ in range(u("B"))]
                u("B")  # dtype
                size = u("I")
                if name.endswith("position_encodings/encodings") and dims:
                    # encoder and decoder tables (one may be an alias of the other)
                    sizes.append(dims[0])
                f.seek(size, os.SEEK_CUR)
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return None
    return min(sizes) if sizes else None


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
