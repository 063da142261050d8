"""The translation engine: a CTranslate2 model and the SentencePiece model it was built with.

Sources are encoded like the model's training data (language token for NLLB / M2M-100,
"</s>" where the model's config does not add it: see ``packages._eos_needed``); outputs
are decoded like Argos does, by joining the pieces and turning "▁" into spaces, because
an official package's ``sentencepiece.model`` is the *source* (Chinese) model only.

All sentences of a document (or of a whole batch of documents) go to ONE
``translate_batch`` call with a token-based batch size, so CTranslate2 can sort by length
and keep both cores busy: Argos's own path (32-token batches, i.e. one sentence per
call) is about ten times slower on a 2-core machine. The model is loaded once per process.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, ModelError
from .packages import ARGOS_DECODE, ModelInfo, ct2_files, model_bin_variables

# Input limit when the model file does not say (sinusoidal positions, other formats):
# OPUS-MT/Marian models are trained with at most 512 positions.
DEFAULT_MAX_INPUT_TOKENS = 510

COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16",
                 "int16", "float16", "bfloat16", "float32")
DEVICES = ("auto", "cpu", "cuda")
SPM_MARK = "\u2581"  # SentencePiece's word-boundary piece marker
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


@dataclass(frozen=True)
class EngineSettings:
    """Decoding and threading settings; defaults are the measured best on 2 cores.

    Decoding fields set to None use the model's own settings (``ModelInfo.decode``: a
    package's metadata ``decode`` object), else Argos's (beam 4, length_penalty 0.2).
    """

    beam_size: int | None = None
    length_penalty: float | None = None
    # Batches of 16 sentences kept both cores busy at >= 0.91x of the raw limit on every
    # input size measured (bench/README.md); a token budget > 0 replaces them.
    max_batch_examples: int = 16
    max_batch_tokens: int = 0
    inter_threads: int = 0  # 0 = min(2, cores): parallel batches beat intra-op threads here
    intra_threads: int = 1
    compute_type: str = "int8"
    max_decoding_length: int | None = None
    min_decoding_length: int = 0  # benchmarks fix the output length (random models never stop)
    repetition_penalty: float = 1.0
    device: str = "auto"  # auto = cuda when CTranslate2 sees a GPU, else cpu

    def resolved_inter(self) -> int:
        return self.inter_threads or max(1, min(2, os.cpu_count() or 1))

    def check(self) -> None:
        """Refuse impossible values before any work (one line, exit 2)."""
        problems = []
        if self.beam_size is not None and self.beam_size < 1:
            problems.append(f"--beam-size must be at least 1 (got {self.beam_size})")
        if self.max_batch_examples < 1:
            problems.append(f"--batch-size must be at least 1 (got {self.max_batch_examples})")
        if self.max_batch_tokens < 0:
            problems.append(f"--batch-tokens must be 0 (off) or more (got {self.max_batch_tokens})")
        if self.inter_threads < 0:
            problems.append(f"--inter-threads must be 0 (auto) or more (got {self.inter_threads})")
        if self.intra_threads < 0:
            problems.append(f"--intra-threads must be 0 (auto) or more (got {self.intra_threads})")
        if self.max_decoding_length is not None and self.max_decoding_length < 1:
            problems.append(f"--max-length must be at least 1 (got {self.max_decoding_length})")
        if self.compute_type not in COMPUTE_TYPES:
            problems.append(f"--compute-type {self.compute_type!r} is not one of "
                            + ", ".join(COMPUTE_TYPES))
        if self.device not in DEVICES:
            problems.append(f"--device {self.device!r} is not one of auto, cpu, cuda")
        if problems:
            raise InputError(problems[0])

    def decoding(self, info: ModelInfo) -> dict[str, Any]:
        """beam_size, length_penalty, max_decoding_length: ours, else the model's, else Argos's."""
        ours = {"beam_size": self.beam_size, "length_penalty": self.length_penalty,
                "max_decoding_length": self.max_decoding_length}
        return {k: v if v is not None else info.decode.get(k, ARGOS_DECODE[k])
                for k, v in ours.items()}


def resolve_device(device: str) -> str:
    """"auto" -> "cuda" when CTranslate2 sees a CUDA GPU, else "cpu"."""
    import ctranslate2

    if device not in DEVICES:
        raise InputError(f"--device {device!r} is not one of auto, cpu, cuda")
    if device == "cpu":
        return "cpu"
    try:
        gpus = ctranslate2.get_cuda_device_count()
    except Exception:  # a CPU-only build
        gpus = 0
    if device == "cuda" and gpus == 0:
        raise ModelError("--device cuda: CTranslate2 sees no CUDA GPU on this machine "
                         "(use --device cpu or auto)")
    return "cuda" if gpus > 0 else "cpu"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def load_spm(path: Path) -> Any:
    """A SentencePiece model loaded from its bytes: SentencePiece cannot open paths with
    Chinese characters on Windows."""
    import sentencepiece

    try:
        return sentencepiece.SentencePieceProcessor(model_proto=path.read_bytes())
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"{path}: cannot load the SentencePiece model ({exc})") from None


def join_pieces(pieces: list[str]) -> str:
    """Target pieces to text as Argos does: join, "▁" becomes a space (never left in)."""
    text = "".join(pieces)
    if "<0x" in text:  # byte-fallback pieces: decode runs of bytes as UTF-8
        text = re.sub(r"(?:<0x[0-9A-Fa-f]{2}>)+", lambda m: bytes(
            int(b, 16) for b in _BYTE_PIECE.findall(m.group())).decode("utf-8", "replace"), text)
    text = text.replace(SPM_MARK, " ")
    return re.sub(r" {2,}", " ", text).strip()


class Engine:
    def __init__(self, info: ModelInfo, settings: EngineSettings | None = None) -> None:
        import ctranslate2

        self.info = info
        self.settings = settings or EngineSettings()
        s = self.settings
        s.check()
        self.decode = s.decoding(info)
        if info.source_spm is None:
            raise ModelError(f"{info.path}: no SentencePiece model")
        self.sp = load_spm(info.source_spm)
        # Why a GPU that CTranslate2 sees is not used ("" when it is, or none was found):
        # PyPI's CTranslate2 needs CUDA 12's cuBLAS, which a machine with other CUDA lacks.
        self.device_note = ""
        self.device = resolve_device(s.device)
        if self.device == "cuda":
            try:
                self.translator = self._load(ctranslate2, "cuda")
                self._probe()
            except (RuntimeError, ValueError, OSError) as exc:
                why = _first_line(exc)
                if s.device == "cuda":  # asked for by name: say so, do not run elsewhere
                    raise ModelError(
                        f"--device cuda: CTranslate2 cannot use the GPU ({why}); install the "
                        "CUDA 12 libraries it needs (e.g. pip install nvidia-cublas-cu12) or "
                        "use --device cpu") from None
                self.device_note = (f"a GPU was found but CTranslate2 cannot use it ({why}): "
                                    "translated on the CPU")
                self.device = "cpu"
        if self.device == "cpu":
            self.translator = self._load(ctranslate2, "cpu")
        self.calls = 0  # translate_batch calls made (tests and batch summaries read it)
        self.sentences = 0
        self._lock = threading.Lock()
        self._max_input: int | None = None

    def _load(self, ctranslate2: Any, device: str) -> Any:
        info, s = self.info, self.settings
        try:
            return ctranslate2.Translator(
                str(info.ct2_dir), device=device, compute_type=s.compute_type,
                inter_threads=s.resolved_inter(), intra_threads=s.intra_threads,
                files=ct2_files(info.ct2_dir),
            )
        except (RuntimeError, ValueError, OSError) as exc:
            if device == "cuda":
                raise
            raise ModelError(f"{info.name}: CTranslate2 cannot load the model on "
                             f"{device} ({_first_line(exc)})") from None

    def _probe(self) -> None:
        """One tiny translation: CUDA libraries load at the first call, not at loading."""
        self.translator.translate_batch([self.tokenize("。")], beam_size=1,
                                        max_decoding_length=2)

    @property
    def max_input_tokens(self) -> int:
        """The longest source (in tokens, ``</s>`` included) the model can encode: the
        size of its position table when model.bin has one, else a safe default."""
        if self._max_input is None:
            positions = position_table_size(self.info.ct2_dir / "model.bin")
            self._max_input = positions or DEFAULT_MAX_INPUT_TOKENS
        return self._max_input

    def count_tokens(self, text: str) -> int:
        """Source tokens for ``text`` as the model sees them: ``</s>`` counted once, whether
        ``tokenize`` added it or CTranslate2 adds it."""
        return len(self.tokenize(text)) + (0 if self.info.add_source_eos else 1)

    def tokenize(self, text: str) -> list[str]:
        """Source pieces exactly as the model was trained on: language token, pieces, </s>."""
        pieces = list(self.info.source_prefix) + self.sp.encode(text, out_type=str)
        if self.info.add_source_eos:
            pieces.append("</s>")
        return pieces

    def detokenize(self, pieces: list[str]) -> str:
        prefix = self.info.target_prefix
        if prefix and pieces and pieces[0] == prefix:
            pieces = pieces[1:]
        return join_pieces(pieces)

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
                beam_size=self.decode["beam_size"],
                length_penalty=self.decode["length_penalty"],
                repetition_penalty=s.repetition_penalty,
                max_batch_size=s.max_batch_tokens or s.max_batch_examples,
                batch_type="tokens" if s.max_batch_tokens else "examples",
                max_decoding_length=self.decode["max_decoding_length"],
                min_decoding_length=s.min_decoding_length,
                replace_unknowns=True,
                **kwargs,
            )
            self.calls += 1
            self.sentences += len(texts)
        return [self.detokenize(r.hypotheses[0]) for r in results]


def position_table_size(model_bin: Path) -> int | None:
    """Rows of the encoder's position table in a CTranslate2 ``model.bin`` (None if the
    model has none, e.g. sinusoidal positions computed at run time, or on any doubt)."""
    # encoder and decoder tables (one may be an alias of the other): the smaller one
    sizes = [v.dims[0] for v in model_bin_variables(model_bin) or []
             if v.name.endswith("position_encodings/encodings") and v.dims]
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
