"""Build a STAND-IN zh->en model for the benchmarks: the real model's shape, random weights.

    .venv/bin/python bench/make_standin_model.py              # build (or reuse) and print its folder
    .venv/bin/python bench/make_standin_model.py --argosmodel # also write a .argosmodel zip
    .venv/bin/python bench/make_standin_model.py --vocab 1000 --layers 1 --d-model 64 \\
        --heads 2 --ffn 128 --out /tmp/tiny                   # a tiny one (the smoke test)

The model is a CTranslate2 Transformer-base (6 encoder + 6 decoder layers, d_model 512,
8 heads, FFN 2048, pre-norm, ReLU, biases, one shared ~32k vocabulary for source, target
and output projection), int8, filled with numpy random numbers: no torch, no training,
no download. It translates nothing; it only costs what the real model costs per token.
A random model never emits </s>, so benchmarks fix the output length
(min_decoding_length = max_decoding_length) for every side they compare.

The tokenizer is a real SentencePiece unigram model trained on demo_model/corpus.tsv
(both sides; else the sample draft's text) with the largest vocabulary that text allows
(a few thousand pieces, Chinese pieces at most 4 characters so Chinese is split about as
finely as a real zh model splits it), then extended in its model proto to the full size
with single CJK characters and pseudo-English word pieces, so every output id decodes.

Packed like an Argos package folder: metadata.json (with "standin": true), model/,
sentencepiece.model. Cached under bench/.cache/ keyed by the settings and the text.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, training_text  # noqa: E402

SP_MAX_PIECE_LEN = 4


def _train_sentencepiece(lines: list[str], vocab_size: int) -> bytes:
    """A unigram model with ``vocab_size`` pieces, or the largest the text allows."""
    import sentencepiece as spm

    size = vocab_size
    coverages = [1.0, 0.9995, 0.999, 0.995, 0.99, 0.98]  # lowered only for tiny vocabularies
    for _ in range(12):
        buf = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines), model_writer=buf, vocab_size=size,
                model_type="unigram", character_coverage=coverages[0], split_digits=True,
                max_sentencepiece_length=SP_MAX_PIECE_LEN, minloglevel=2,
                num_threads=2)
            return buf.getvalue()
        except RuntimeError as exc:
            m = re.search(r"<= (\d+)", str(exc))
            if m:
                size = min(int(m.group(1)), size - 1)
            elif "required_chars" in str(exc) and len(coverages) > 1:
                coverages.pop(0)
            else:
                raise
    raise RuntimeError("could not train a SentencePiece model on the benchmark text")


def _pseudo_words(rng: object, count: int, taken: set[str]) -> list[str]:
    """Deterministic English-looking word pieces ("▁dremon"), all distinct."""
    onsets = ["", "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "w",
              "br", "cl", "dr", "pr", "st", "tr", "sh", "ch", "th", "gr", "pl", "sp"]
    vowels = ["a", "e", "i", "o", "u", "ea", "ou", "ai", "io"]
    codas = ["", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "ment", "tion", "ed"]
    out: list[str] = []
    while len(out) < count:
        syll = int(rng.integers(1, 4))  # type: ignore[attr-defined]
        word = "".join(onsets[int(rng.integers(len(onsets)))]  # type: ignore[attr-defined]
                       + vowels[int(rng.integers(len(vowels)))]  # type: ignore[attr-defined]
                       + codas[int(rng.integers(len(codas)))]  # type: ignore[attr-defined]
                       for _ in range(syll))
        piece = ("▁" + word) if rng.random() < 0.7 else word  # type: ignore[attr-defined]
        if piece not in taken:
            taken.add(piece)
            out.append(piece)
    return out


def _extend_sentencepiece(proto: bytes, vocab_size: int, seed: int) -> tuple[bytes, int]:
    """Append CJK characters and pseudo-words to the model proto up to ``vocab_size``.

    Returns the new proto and how many pieces training produced. Without protobuf the
    proto is returned unchanged (the CTranslate2 vocabulary is then padded instead).
    """
    import numpy as np

    try:
        from sentencepiece import sentencepiece_model_pb2 as pb
    except ImportError:
        return proto, -1
    m = pb.ModelProto()
    m.ParseFromString(proto)
    trained = len(m.pieces)
    if trained >= vocab_size:
        return proto, trained
    taken = {p.piece for p in m.pieces}
    low = min(p.score for p in m.pieces if p.type == pb.ModelProto.SentencePiece.NORMAL)
    need = vocab_size - trained
    extra: list[str] = []
    for cp in range(0x4E00, 0x9FFF + 1):  # CJK unified ideographs, in code point order
        if len(extra) >= need * 2 // 3:
            break
        ch = chr(cp)
        if ch not in taken:
            taken.add(ch)
            extra.append(ch)
    extra += _pseudo_words(np.random.default_rng(seed), need - len(extra), taken)
    for i, piece in enumerate(extra):
        m.pieces.add(piece=piece, score=low - 1.0 - i * 1e-4,
                     type=pb.ModelProto.SentencePiece.NORMAL)
    m.trainer_spec.vocab_size = len(m.pieces)
    return m.SerializeToString(), trained


def _random_spec(vocab: list[str], layers: tuple[int, int], d_model: int, heads: int,
                 ffn: int, seed: int) -> object:
    """A TransformerSpec with every required variable set to numpy random numbers."""
    import numpy as np
    from ctranslate2.specs import TransformerSpec, model_spec

    spec = TransformerSpec.from_config(layers, heads)
    rng = np.random.default_rng(seed)
    d, v = d_model, len(vocab)
    shared_emb = (rng.standard_normal((v, d), dtype=np.float32) / np.sqrt(d)).astype(np.float32)

    def linear_shape(scope: str) -> tuple[int, int]:
        # scope like "encoder/layer_0/self_attention/linear_0"
        parts = scope.split("/")
        block, lin = parts[-2], parts[-1]
        idx = int(lin.rsplit("_", 1)[1])
        if block == "ffn":
            return (ffn, d) if idx == 0 else (d, ffn)
        if block == "self_attention":
            return (3 * d, d) if idx == 0 else (d, d)  # fused QKV, then output
        if block == "attention":  # cross-attention: query, fused KV, output
            return {0: (d, d), 1: (2 * d, d), 2: (d, d)}[idx]
        raise ValueError(f"unexpected linear layer {scope}")

    def fill(layer: object, name: str, value: object) -> None:
        attr = name.rsplit("/", 1)[-1]
        scope = name.rsplit("/", 1)[0]
        if value is not None and not (isinstance(value, str) and value == model_spec.OPTIONAL):
            return
        if value is not None:  # optional: only the linear biases (real OpenNMT models have them)
            if attr == "bias" and ("/linear_" in scope or scope.endswith("projection")):
                out_dim = v if scope.endswith("projection") else linear_shape(scope)[0]
                setattr(layer, attr, (rng.standard_normal(out_dim, dtype=np.float32) * 0.02))
            return
        if attr == "gamma":
            setattr(layer, attr, np.ones(d, dtype=np.float32))
        elif attr == "beta":
            setattr(layer, attr, np.zeros(d, dtype=np.float32))
        elif attr == "weight" and (scope.endswith("embeddings") or scope.endswith("embeddings_0")
                                   or scope.endswith("projection")):
            setattr(layer, attr, shared_emb)  # one shared vocabulary, tied weights
        elif attr == "weight":
            shape = linear_shape(scope)
            w = rng.standard_normal(shape, dtype=np.float32) / np.sqrt(shape[1])
            setattr(layer, attr, w.astype(np.float32))
        else:
            raise ValueError(f"don't know how to fill {name}")

    spec._visit(fill)  # noqa: SLF001 - the public converters use the same visitor
    return spec


def build_standin(out: Path | None = None, vocab_size: int = 32000,
                  layers: tuple[int, int] = (6, 6), d_model: int = 512, heads: int = 8,
                  ffn: int = 2048, quantization: str = "int8", seed: int = 1234,
                  force: bool = False, quiet: bool = True) -> Path:
    """Build (or reuse) the stand-in package folder and return it."""
    lines = training_text()
    key_src = json.dumps([vocab_size, list(layers), d_model, heads, ffn, quantization, seed,
                          SP_MAX_PIECE_LEN, hashlib.sha1("\n".join(lines).encode()).hexdigest(),
                          3])  # bump the last number when the recipe changes
    key = hashlib.sha1(key_src.encode()).hexdigest()[:10]
    target = Path(out) if out else CACHE / f"standin-zh_en-{key}"
    if (target / "metadata.json").is_file() and not force:
        return target
    t0 = time.perf_counter()
    import ctranslate2  # noqa: F401 - fail early with a clear import error
    import sentencepiece as spm

    proto, trained = _extend_sentencepiece(_train_sentencepiece(lines, vocab_size),
                                           vocab_size, seed)
    sp = spm.SentencePieceProcessor(model_proto=proto)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    padded = 0
    while len(vocab) < vocab_size:  # only without protobuf: ids that decode to <unk>
        vocab.append(f"<standin_{len(vocab)}>")
        padded += 1
    spec = _random_spec(vocab, layers, d_model, heads, ffn, seed)
    spec.register_source_vocabulary(vocab)  # type: ignore[attr-defined]
    spec.register_target_vocabulary(vocab)  # type: ignore[attr-defined]
    spec.validate()  # type: ignore[attr-defined]
    spec.optimize(quantization=quantization)  # type: ignore[attr-defined]

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "model").mkdir()
    spec.save(str(tmp / "model"))  # type: ignore[attr-defined]
    (tmp / "sentencepiece.model").write_bytes(proto)
    meta = {
        "package_version": "0.0-standin",
        "argos_version": "1.9",
        "from_code": "zh", "from_name": "Chinese",
        "to_code": "en", "to_name": "English",
        "name": "standin-zh_en",
        "type": "translate",
        "standin": True,
        "description": ("STAND-IN for benchmarks: Transformer-base shape, RANDOM weights; "
                        "it does not translate"),
        "standin_config": {"layers": list(layers), "d_model": d_model, "heads": heads,
                           "ffn": ffn, "vocab": len(vocab), "quantization": quantization,
                           "sp_trained_pieces": trained, "padded_ids": padded, "seed": seed},
    }
    (tmp / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    if out is None:  # drop stand-ins of older corpus versions or settings
        for old in CACHE.glob("standin-zh_en-*"):
            if old.is_dir() and old != target and time.time() - old.stat().st_mtime > 600:
                shutil.rmtree(old, ignore_errors=True)
    if not quiet:
        size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
        print(f"built in {time.perf_counter() - t0:.1f} s: {size / 1e6:.1f} MB; "
              f"SentencePiece trained {trained} pieces, vocabulary {len(vocab)}"
              + (f" ({padded} padded ids)" if padded else ""), file=sys.stderr)
    return target


def write_argosmodel(folder: Path, dest: Path) -> Path:
    """Zip ``folder`` as a .argosmodel (one top-level folder, as Argos expects)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, f"{folder.name}/{f.relative_to(folder)}")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="package folder (default: bench/.cache/standin-zh_en-<key>)")
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--layers", type=int, default=6, help="encoder and decoder layers each")
    ap.add_argument("--d-model", type=int, default=512)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ffn", type=int, default=2048)
    ap.add_argument("--quantization", default="int8")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    ap.add_argument("--argosmodel", action="store_true", help="also write <folder>.argosmodel")
    a = ap.parse_args()
    folder = build_standin(a.out, a.vocab, (a.layers, a.layers), a.d_model, a.heads, a.ffn,
                           a.quantization, a.seed, a.force, quiet=False)
    print("STAND-IN model (random weights, does not translate):", file=sys.stderr)
    print(folder)
    if a.argosmodel:
        print(write_argosmodel(folder, folder.with_suffix(".argosmodel")))


if __name__ == "__main__":
    main()
