"""Faithful replicas of real translation models, built from tiny random weights (tests only).

* ``build_opus_mt_dir``: an OPUS-MT model folder as the OPUS-MT project ships it
  (Marian ``model.npz`` with its ``special:model.yml`` entry, ``decoder.yml``, vocabulary
  yml, ``source.spm`` trained on Chinese, ``target.spm`` trained on English).
* ``convert_opus_mt``: CTranslate2's REAL ``OpusMTConverter`` on that folder.
* ``build_argos_package``: a ``.argosmodel`` in the layout of the official
  ``translate-zh_en-1_9.argosmodel`` (LibreTranslate's Locomotive ``opus_mt_convert.py``):
  one top folder with README.md, metadata.json (only the six official fields),
  sentencepiece.model (= the source spm), model/ (converter output) and stanza/.
  Variants: version, ``txt-vocab`` (an OLDER package: see below), ``bpe.model``, junk
  ``model.bin``, a ``__MACOSX/`` entry.
* ``txt-vocab``: older official packages were converted by CTranslate2 2.x, which wrote
  ``model.bin`` + ``shared_vocabulary.txt`` and no ``config.json``. Today's converter cannot
  write that format, so this variant packages ``tests/data/replica-ct2v2/``: the same tiny
  Marian folder converted once by CTranslate2 2.24.0's real ``OpusMTConverter`` (its
  ``make.py`` says how), committed as test data. Its model.bin (binary version 5) keeps
  the converter's ``with_source_eos`` flag inside, which CTranslate2 4.x obeys.
* ``build_ct2_folder``: CTranslate2 folders as users have them: OPUS-MT (source.spm +
  target.spm, joint or separate vocabularies), NLLB-200 and M2M-100. NLLB / M2M-100 are
  made with the same real Marian converter (pre-norm, ReLU) and NLLB's / M2M-100's
  vocabulary, tokenizer file name and special tokens, then the config the Transformers
  converter writes for them (``decoder_start_token`` "</s>", no ``add_source_eos``):
  the token handling the pipeline must get right is exactly theirs; the layer maths is
  Marian's (``transformers`` + torch are not needed).

A random model never emits ``</s>``: callers cap the output length
(``EngineSettings.max_decoding_length`` / ``--max-length``). The output layer's bias
favours English pieces so the English carries "▁" pieces the pipeline must remove.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np

ZH_TEXT = [
    "我们的店铺因订单缺陷率过高被停用。", "我们已经更换了质检团队并加强了发货前检查。",
    "订单号为112-1234567-1234567的买家收到了破损的商品。", "退货率从2.8%下降到1%。",
    "我们承诺今后严格遵守亚马逊的政策。", "根本原因是包装不牢固，运输途中受损。",
    "请恢复我们的销售权限，谢谢。", "我们联系了所有受影响的买家并全额退款。",
    "仓库员工接受了新的培训。", "我们将每周审核账户健康状况。",
]
EN_TEXT = [
    "Our store was suspended because the order defect rate was too high.",
    "We have replaced the quality control team and strengthened checks before shipping.",
    "The buyer of order 112-1234567-1234567 received a damaged item.",
    "The return rate fell from 2.8% to 1%.",
    "We commit to strictly following Amazon policies from now on.",
    "The root cause was weak packaging that was damaged in transit.",
    "Please reinstate our selling privileges. Thank you.",
    "We contacted every affected buyer and refunded them in full.",
    "Warehouse staff received new training.", "We will review account health every week.",
]
# Made by CTranslate2 2.24.0's converter (make.py): model.bin, shared_vocabulary.txt, no
# config.json, plus the source sentencepiece.model.
CT2V2_REPLICA = Path(__file__).resolve().parent / "data" / "replica-ct2v2"
NLLB_LANGS = ["eng_Latn", "fra_Latn", "zho_Hans", "zho_Hant"]
M2M_LANGS = ["__en__", "__fr__", "__zh__"]


def train_spm(lines: list[str], vocab_size: int, model_type: str = "unigram") -> bytes:
    """A SentencePiece model trained in memory on ``lines``; returns its bytes."""
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 4), model_writer=buf, vocab_size=vocab_size,
        model_type=model_type, character_coverage=1.0, hard_vocab_limit=False,
        minloglevel=2, num_threads=1,
    )
    return buf.getvalue()


def spm_pieces(model: bytes) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=model)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())
            if not (sp.is_control(i) or sp.is_unknown(i))]


def _yml_token(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_vocab_yml(path: Path, tokens: list[str]) -> None:
    """A Marian vocabulary (``token: id`` per line) as OPUS-MT ships it."""
    path.write_text("".join(f"{_yml_token(t)}: {i}\n" for i, t in enumerate(tokens)),
                    encoding="utf-8")


def _marian_weights(vocab: list[str], english: set[str], *, d: int = 16, ffn: int = 32,
                    layers: int = 1, pre_norm: bool = False, activation: str = "swish",
                    seed: int = 0, source_size: int = 0) -> dict[str, np.ndarray]:
    """Random Marian transformer weights (tied embeddings) plus ``special:model.yml``."""
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.3).astype(np.float32)

    if source_size:  # separate vocabularies: one embedding table each
        weights = {"encoder_Wemb": w(source_size, d), "decoder_Wemb": w(len(vocab), d)}
    else:
        weights = {"Wemb": w(len(vocab), d)}
    suffix = "_pre" if pre_norm else ""

    def attention(scope: str) -> None:
        for x in "qkvo":
            weights[f"{scope}_W{x}"] = w(d, d)
            weights[f"{scope}_b{x}"] = w(1, d)
        weights[f"{scope}_Wo_ln_scale{suffix}"] = np.ones((1, d), np.float32)
        weights[f"{scope}_Wo_ln_bias{suffix}"] = np.zeros((1, d), np.float32)

    def feed_forward(scope: str) -> None:
        weights[f"{scope}_W1"], weights[f"{scope}_b1"] = w(d, ffn), w(1, ffn)
        weights[f"{scope}_W2"], weights[f"{scope}_b2"] = w(ffn, d), w(1, d)
        weights[f"{scope}_ffn_ln_scale{suffix}"] = np.ones((1, d), np.float32)
        weights[f"{scope}_ffn_ln_bias{suffix}"] = np.zeros((1, d), np.float32)

    for i in range(1, layers + 1):
        attention(f"encoder_l{i}_self")
        feed_forward(f"encoder_l{i}_ffn")
        attention(f"decoder_l{i}_self")
        attention(f"decoder_l{i}_context")
        feed_forward(f"decoder_l{i}_ffn")
    if pre_norm:
        for scope in ("encoder", "decoder"):
            weights[f"{scope}_top_ln_scale"] = np.ones((1, d), np.float32)
            weights[f"{scope}_top_ln_bias"] = np.zeros((1, d), np.float32)
    # Favour English pieces (and never </s>: a random model would stop at random).
    bias = np.full((1, len(vocab)), -8.0, np.float32)
    for i, tok in enumerate(vocab):
        if tok in english:
            bias[0, i] = 4.0 + rng.standard_normal() + (2.0 if tok.startswith("\u2581") else 0)
    weights["decoder_ff_logit_out_b"] = bias
    config = {
        "type": "transformer", "enc-depth": layers, "dec-depth": layers,
        "transformer-heads": 2, "dim-emb": d, "transformer-dim-ffn": ffn,
        "transformer-decoder-autoreg": "self-attention", "transformer-no-projection": False,
        "transformer-ffn-activation": activation,
        "transformer-preprocess": "n" if pre_norm else "",
        "transformer-postprocess": "da" if pre_norm else "dan",
        "transformer-postprocess-top": "n" if pre_norm else "",
        "transformer-postprocess-emb": "d", "transformer-guided-alignment-layer": "last",
        "tied-embeddings-all": True,
    }
    import yaml

    text = yaml.safe_dump(config).encode("utf-8") + b"\0"
    weights["special:model.yml"] = np.frombuffer(text, dtype=np.int8).copy()
    return weights


def build_opus_mt_dir(target: Path, *, joint: bool = True, seed: int = 0) -> Path:
    """An OPUS-MT zh-en model folder (Marian format) with tiny random weights."""
    target.mkdir(parents=True, exist_ok=True)
    src_spm = train_spm(ZH_TEXT, 160)
    tgt_spm = train_spm(EN_TEXT, 80)
    (target / "source.spm").write_bytes(src_spm)
    (target / "target.spm").write_bytes(tgt_spm)
    specials = ["</s>", "<unk>"]
    src_pieces, tgt_pieces = spm_pieces(src_spm), spm_pieces(tgt_spm)
    if joint:
        vocab = specials + list(dict.fromkeys(src_pieces + tgt_pieces))
        write_vocab_yml(target / "opus.spm32k-spm32k.vocab.yml", vocab)
        vocab_files = ["opus.spm32k-spm32k.vocab.yml", "opus.spm32k-spm32k.vocab.yml"]
        out_vocab = vocab
    else:
        out_vocab = specials + tgt_pieces
        src_vocab = specials + src_pieces
        write_vocab_yml(target / "opus.spm32k.zh.vocab.yml", src_vocab)
        write_vocab_yml(target / "opus.spm32k.en.vocab.yml", out_vocab)
        vocab_files = ["opus.spm32k.zh.vocab.yml", "opus.spm32k.en.vocab.yml"]
    weights = _marian_weights(out_vocab, set(tgt_pieces), seed=seed,
                              source_size=0 if joint else len(src_vocab))
    np.savez(target / "opus.spm32k-spm32k.transformer-align.model1.npz.best-perplexity.npz",
             **weights)
    import yaml

    (target / "decoder.yml").write_text(yaml.safe_dump({
        "models": ["opus.spm32k-spm32k.transformer-align.model1.npz.best-perplexity.npz"],
        "vocabs": vocab_files, "beam-size": 6, "normalize": 1, "word-penalty": 0,
        "mini-batch": 1, "maxi-batch": 1, "maxi-batch-sort": "src",
    }), encoding="utf-8")
    return target


def convert_opus_mt(opus_dir: Path, out: Path, quantization: str | None = "int8") -> Path:
    """CTranslate2's real OPUS-MT converter (what Locomotive and ct2-opus-mt-converter run)."""
    from ctranslate2.converters import OpusMTConverter

    OpusMTConverter(str(opus_dir)).convert(str(out), quantization=quantization, force=True)
    return out


def build_argos_package(work: Path, *, version: str = "1.9", variant: str = "official",
                        opus_dir: Path | None = None) -> Path:
    """A ``.argosmodel`` zip in the official layout; returns the file.

    ``variant``: "official" | "txt-vocab" (an older package: model/ made by CTranslate2
    2.24.0, shared_vocabulary.txt, no config.json) | "bpe" (bpe.model instead of
    sentencepiece.model) | "junk-bin" | "macosx".
    """
    top = f"translate-zh_en-{version.replace('.', '_')}"
    stage = work / f"stage-{variant}-{version}" / top
    if stage.parent.exists():
        shutil.rmtree(stage.parent)
    stage.mkdir(parents=True)
    model = stage / "model"
    if variant == "txt-vocab":
        shutil.copytree(CT2V2_REPLICA / "model", model)
        spm_source = CT2V2_REPLICA / "sentencepiece.model"
    else:
        opus_dir = opus_dir or build_opus_mt_dir(work / "opus-mt-zh-en")
        convert_opus_mt(opus_dir, model)
        spm_source = opus_dir / "source.spm"
    if variant == "junk-bin":
        (model / "model.bin").write_bytes(b"\x00junk" * 100)
    spm_name = "bpe.model" if variant == "bpe" else "sentencepiece.model"
    if variant == "bpe":
        # Argos's BPE packages carry a subword-nmt codes file, not a SentencePiece model.
        (stage / spm_name).write_text("#version: 0.2\n▁ 的\n我 们\n", encoding="utf-8")
    else:
        shutil.copyfile(spm_source, stage / spm_name)
    (stage / "metadata.json").write_text(json.dumps({
        "package_version": version, "argos_version": "1.9.0" if version >= "1.9" else "1.5",
        "from_code": "zh", "from_name": "Chinese", "to_code": "en", "to_name": "English",
    }, indent=4), encoding="utf-8")
    (stage / "README.md").write_text(
        "# Chinese - English\n\nReplica of the OPUS-MT based Argos package (random weights, "
        "tests only).\n", encoding="utf-8")
    (stage / "stanza" / "zh").mkdir(parents=True)
    (stage / "stanza" / "resources.json").write_text("{}", encoding="utf-8")
    (stage / "stanza" / "zh" / "tokenize").mkdir()
    (stage / "stanza" / "zh" / "tokenize" / "gsdsimp.pt").write_bytes(b"not torch")
    out = work / f"{top}-{variant}.argosmodel"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(stage.parent.rglob("*")):
            arc = path.relative_to(stage.parent).as_posix()
            zf.write(path, arc + ("/" if path.is_dir() else ""))
        if variant == "macosx":
            zf.writestr(f"__MACOSX/{top}/._metadata.json", b"\x00\x05\x16\x07")
    return out


def build_ct2_folder(work: Path, kind: str, *, joint: bool = True,
                     describe: bool = False) -> Path:
    """A CTranslate2 model folder as a user converts it: kind = opus-mt | nllb | m2m100."""
    if kind == "opus-mt":
        opus = build_opus_mt_dir(work / f"opus-src-{'joint' if joint else 'sep'}", joint=joint)
        out = convert_opus_mt(opus, work / f"ct2-opus-mt-{'joint' if joint else 'sep'}")
        shutil.copyfile(opus / "source.spm", out / "source.spm")
        shutil.copyfile(opus / "target.spm", out / "target.spm")
        if describe:
            (out / "pipeline-model.json").write_text(json.dumps(
                {"type": "opus-mt", "name": "opus-mt-zh-en (replica)", "version": "2020-07"}),
                encoding="utf-8")
        return out
    from ctranslate2.converters.marian import MarianConverter

    # One SentencePiece model for both languages, as NLLB / M2M-100 ship it.
    spm_model = train_spm(ZH_TEXT + EN_TEXT, 300, model_type="bpe")
    pieces = spm_pieces(spm_model)
    english = set(spm_pieces(train_spm(EN_TEXT, 80, model_type="bpe"))) & set(pieces)
    langs = NLLB_LANGS if kind == "nllb" else M2M_LANGS
    vocab = ["<s>", "<pad>", "</s>", "<unk>"] + pieces + langs
    vocab += ["<mask>"] if kind == "nllb" else [f"madeupword{i}" for i in range(4)]
    src = work / f"{kind}-src"
    src.mkdir(parents=True, exist_ok=True)
    write_vocab_yml(src / "vocab.yml", vocab)
    weights = _marian_weights(vocab, english | {"eng_Latn", "__en__"}, pre_norm=True,
                              activation="relu", seed=1)
    np.savez(src / "model.npz", **weights)
    out = work / f"ct2-{kind}"
    MarianConverter(str(src / "model.npz"), [str(src / "vocab.yml")]).convert(
        str(out), quantization="int8", force=True)
    # The Transformers converter's config for M2M100ForConditionalGeneration (NLLB too).
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config.update({"add_source_eos": False, "bos_token": "<s>", "eos_token": "</s>",
                   "unk_token": "<unk>", "decoder_start_token": "</s>"})
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (out / "sentencepiece.bpe.model").write_bytes(spm_model)
    if describe:
        (out / "pipeline-model.json").write_text(json.dumps({"type": kind}), encoding="utf-8")
    return out


def unpack(package: Path, target: Path) -> Path:
    """Unzip a package and return its top folder."""
    with zipfile.ZipFile(package) as zf:
        zf.extractall(target)
    return next(p for p in target.iterdir() if p.is_dir() and p.name != "__MACOSX")


def build_hf_ct2_folder(work: Path, kind: str) -> Path:
    """NLLB-200 / M2M-100 replicas made exactly as users make theirs: a (tiny, random)
    Hugging Face ``M2M100ForConditionalGeneration`` with its real tokenizer class, converted
    by CTranslate2's ``TransformersConverter`` (``ct2-transformers-converter``).

    Needs ``transformers`` (< 5) and CPU torch: the optional ``models-extra`` test extra."""
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import (
        M2M100Config,
        M2M100ForConditionalGeneration,
        M2M100Tokenizer,
        NllbTokenizer,
    )

    src = work / f"hf-{kind}"
    src.mkdir(parents=True, exist_ok=True)
    spm_file = src / "sentencepiece.bpe.model"
    spm_file.write_bytes(train_spm(ZH_TEXT + EN_TEXT, 300, model_type="bpe"))
    if kind == "nllb":
        tok = NllbTokenizer(vocab_file=str(spm_file), src_lang="zho_Hans", tgt_lang="eng_Latn")
    else:
        pieces = spm_pieces(spm_file.read_bytes())
        vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", *pieces])}
        (src / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        probe = M2M100Tokenizer(vocab_file=str(src / "vocab.json"), spm_file=str(spm_file))
        # As in the released tokenizer_config.json: every language token is special.
        tok = M2M100Tokenizer(vocab_file=str(src / "vocab.json"), spm_file=str(spm_file),
                              src_lang="zh", tgt_lang="en",
                              additional_special_tokens=list(probe.lang_token_to_id))
    tokens = {t for t in tok.get_vocab()}
    tokens |= set(tok.special_tokens_map.get("additional_special_tokens", []))
    size = len(tokens) + int(getattr(tok, "num_madeup_words", 0))
    config = M2M100Config(
        vocab_size=size, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, max_position_embeddings=64, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, decoder_start_token_id=2)
    torch.manual_seed(0)
    model = M2M100ForConditionalGeneration(config)
    hf = work / f"hf-{kind}-model"
    model.save_pretrained(hf)
    tok.save_pretrained(hf)
    out = work / f"ct2-hf-{kind}"
    TransformersConverter(str(hf), copy_files=["sentencepiece.bpe.model"]).convert(
        str(out), quantization="int8", force=True)
    return out
