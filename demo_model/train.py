"""Train the tiny DEMO zh->en model and pack it as an Argos package.

    .venv/bin/pip install torch==2.13.0          # CPU build; NOT plain `torch`
    .venv/bin/python demo_model/train.py         # ~6-8 min on 2 cores

Steps (all deterministic: fixed seeds, one thread for SentencePiece, fixed batch order):

1. Read ``demo_model/corpus.tsv`` (``zh<TAB>en``, header line).
2. Build the training set: the raw pairs; the same pairs masked the way the pipeline
   masks engine input (``pipeline.protect.mask_pair``: numbers/IDs/dates, and glossary
   terms when a glossary can be loaded); a few synthetic placeholder-only pairs, so the
   model learns to copy ``⟦n⟧`` tokens.
3. Train one shared SentencePiece unigram model (character_coverage 1.0, split_digits,
   ``⟦0⟧``..``⟦31⟧`` as user-defined symbols).
4. Train a small pre-norm Transformer in plain torch (shared embeddings, sinusoidal
   positions as the starting point of a learned position table).
5. Pour the weights into ``ctranslate2.specs.TransformerSpec``, validate, quantize int8,
   save; check CTranslate2 against torch; translate the whole training set with
   CTranslate2 and print the accuracy.
6. Zip ``metadata.json`` + ``model/`` + ``sentencepiece.model`` under one top-level
   folder into ``pipeline/data/demo-zh_en.argosmodel``.

It is a demo: it memorises its own corpus and returns the nearest memorised sentence
for anything else. Not for real use.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CORPUS = HERE / "corpus.tsv"
OUTPUT = ROOT / "pipeline" / "data" / "demo-zh_en.argosmodel"
PACKAGE_DIR_NAME = "demo-zh_en"
PACKAGE_VERSION = "0.1"
N_PLACEHOLDERS = 32
PLACEHOLDERS = [f"\u27e6{i}\u27e7" for i in range(N_PLACEHOLDERS)]  # ⟦0⟧..⟦31⟧
MAX_POSITIONS = 512

# Decoding settings that reproduce the corpus (see README.md).
DECODE = {"beam_size": 4, "length_penalty": 0.0, "max_decoding_length": 256}


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------

def read_corpus(path: Path = CORPUS) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or rows[0] != ["zh", "en"]:
        raise SystemExit(f"{path}: first line must be 'zh<TAB>en'")
    pairs: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise SystemExit(f"{path}:{n}: expected two non-empty tab-separated columns")
        zh, en = row[0].strip(), row[1].strip()
        if zh in seen:
            if seen[zh] != en:
                raise SystemExit(f"{path}:{n}: contradictory translations for {zh!r}")
            continue
        seen[zh] = en
        pairs.append((zh, en))
    return pairs


def load_glossary():
    """The pipeline's built-in glossary (None if it cannot be loaded)."""
    try:
        from pipeline import glossary as gmod  # type: ignore
    except Exception as exc:  # noqa: BLE001 - the module may be missing
        print(f"[data] no glossary module ({type(exc).__name__}); masking numbers/IDs only")
        return None
    for name in ("builtin_glossary", "load_default_glossary", "default_glossary"):
        fn = getattr(gmod, name, None)
        if callable(fn):
            try:
                g = fn()
                print(f"[data] glossary from pipeline.glossary.{name}()")
                return g
            except Exception as exc:  # noqa: BLE001
                print(f"[data] pipeline.glossary.{name}() failed: {exc}")
    candidates = sorted((ROOT / "glossaries").glob("*.tsv")) + sorted(
        (ROOT / "pipeline" / "data").glob("*glossary*.tsv"))
    loader = getattr(gmod, "load_glossary", None) or getattr(getattr(gmod, "Glossary", None),
                                                              "load", None)
    if loader is not None:
        for path in candidates:
            try:
                g = loader(path)
                print(f"[data] glossary from {path.relative_to(ROOT)}")
                return g
            except Exception as exc:  # noqa: BLE001
                print(f"[data] could not load {path}: {exc}")
    print("[data] no glossary found; masking numbers/IDs only")
    return None


# English renderings this corpus uses for a glossary term, keyed by the Chinese span, so
# masking still aligns when the glossary's canonical English changes.
TERM_ALIASES: dict[str, list[str]] = {
    "追踪编码": ["tracking ID", "tracking number"],
    "质检员": ["quality inspector", "quality inspection staff"],
    "信用卡拒付": ["chargeback claim", "credit card chargeback"],
    "绩效通知": ["Performance Notifications", "performance notification"],
}


def _term_forms(span, glossary) -> list[str]:
    forms = [span.render]
    term = None
    if glossary is not None:
        term = next((t for t in glossary.terms if t.canonical == span.render or
                     (t.acronym and t.acronym == span.render)), None)
    if term is not None:
        forms += [term.canonical] + ([term.acronym] if term.acronym else [])
    forms += TERM_ALIASES.get(span.text, [])
    return list(dict.fromkeys(f for f in forms if f))


def align_mask(zh: str, en: str, spans, glossary=None) -> tuple[str, str] | None:
    """Mask the given protected spans of ``zh`` and their counterparts in ``en``.

    The counterpart of a number/ID/date is its render; of a term, its render, canonical
    form, acronym or a corpus alias (case-insensitive, plural allowed). Used where
    ``mask_pair`` finds nothing: it prefers "canonical (ACRONYM)", which fails when the
    acronym is a span of its own (亚马逊物流（FBA）), and it knows no aliases.
    Returns None when a span has no counterpart.
    """
    from pipeline.protect import mask

    spans = list(spans)[:N_PLACEHOLDERS]
    if not spans:
        return None
    masked_zh, protected = mask(zh, spans)
    masked_en = en
    for sp, p in zip(spans, protected, strict=True):
        if sp.kind == "term":
            forms = _term_forms(sp, glossary)
            pats = [rf"(?<![\w\u27e6]){re.escape(f)}(?=(?:e?s)?\b)" for f in forms]
            flags = re.IGNORECASE
        else:
            pats = [rf"(?<![\w\u27e6]){re.escape(sp.render)}(?![\w\u27e7])"]
            flags = 0
        m = next((m for m in (re.search(pt, masked_en, flags) for pt in pats) if m), None)
        if m is None:
            return None
        masked_en = masked_en[:m.start()] + p.token + masked_en[m.end():]
    return masked_zh, masked_en


def strip_marker(zh: str, en: str) -> tuple[str, str] | None:
    """"一、根本原因" / "1. Root Causes" -> "根本原因" / "Root Causes": the pipeline keeps
    list markers out of the engine (``pipeline.protect.LIST_MARKER_RE``)."""
    try:
        from pipeline.protect import LIST_MARKER_RE, render_marker
    except ImportError:
        return None
    m = LIST_MARKER_RE.match(zh)
    if not m or m.end() >= len(zh):
        return None
    prefix = render_marker(m)
    if not en.startswith(prefix):
        return None
    return zh[m.end():], en[len(prefix):]


def masked_variants(zh: str, en: str, glossary) -> list[tuple[str, tuple[str, str] | None]]:
    """The engine inputs the pipeline can send for this source, with their English:
    terms + numbers masked (the normal case), numbers only (the retry after a dropped
    placeholder puts terms back: ``unmask_terms``), and ``--no-protect-terms``."""
    from pipeline.protect import find_spans, mask_pair

    out: list[tuple[str, tuple[str, str] | None]] = []
    if glossary is not None:
        spans = find_spans(zh, glossary)
        out.append(("masked", mask_pair(zh, en, glossary) or align_mask(zh, en, spans, glossary)))
        out.append(("masked_no_terms",
                    align_mask(zh, en, [s for s in spans if s.kind != "term"], glossary)))
    out.append(("masked_no_glossary", mask_pair(zh, en, None)
                or align_mask(zh, en, find_spans(zh, None))))
    return out


# Synthetic placeholder pairs: short frames the pipeline produces once numbers, IDs, dates
# and terms are masked (table cells, labels, ranges, lists).
SYNTHETIC_FRAMES: list[tuple[str, str]] = [
    ("{0}", "{0}"),
    ("{0}、{1}和{2}", "{0}, {1} and {2}"),
    ("{0}和{1}", "{0} and {1}"),
    ("{0}：{1}", "{0}: {1}"),
    ("{0}至{1}", "{0} to {1}"),
    ("{0}（{1}）", "{0} ({1})"),
    ("订单{0}", "Order {0}"),
    ("订单号：{0}", "Order ID: {0}"),
    ("ASIN：{0}", "ASIN: {0}"),
    ("追踪编码：{0}", "Tracking ID: {0}"),
    ("日期：{0}", "Date: {0}"),
    ("截至{0}", "As of {0}"),
    ("从{0}降至{1}", "From {0} to {1}"),
    ("低于{0}", "Below {0}"),
    ("高于{0}", "Above {0}"),
    ("{0}以上", "{0} or higher"),
    ("{0}以内", "Within {0}"),
    ("{0}小时", "{0} hours"),
    ("{0}天", "{0} days"),
    ("{0}个订单", "{0} orders"),
    ("我们的{0}为{1}。", "Our {0} was {1}."),
    ("我们的{0}已经降到{1}。", "Our {0} has dropped to {1}."),
    ("我们的{0}从{1}提高到{2}。", "Our {0} has improved from {1} to {2}."),
    ("附件{0}：{1}", "Attachment {0}: {1}"),
    ("订单{0}和订单{1}的买家都收到了退款。", "The customers of order {0} and order {1} both received refunds."),
    ("{0}的追踪编码是{1}。", "The tracking ID for {0} is {1}."),
    ("我们在{0}更新了{1}个商品详情页。", "We updated {1} product detail pages on {0}."),
    ("{0}、{1}、{2}和{3}", "{0}, {1}, {2} and {3}"),
]


def synthetic_pairs(rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for zh, en in SYNTHETIC_FRAMES:
        n = len(set(re.findall(r"\{(\d)\}", zh)))
        toks = PLACEHOLDERS[:n]
        out.append((zh.format(*toks), en.format(*toks)))
    # placeholder-only segments (a cell that is all number, a line that is all IDs)
    for k in range(1, 7):
        toks = PLACEHOLDERS[:k]
        out.append((" ".join(toks), " ".join(toks)))
        out.append(("、".join(toks), ", ".join(toks)))
    return out


REFILL_KINDS = ("number", "percent", "order-id", "date", "money")


def _random_value(kind: str, original: str, rng: random.Random) -> str:
    """A random value of the same kind (repeated digits on purpose: 100, 88, 1200...)."""
    def number() -> str:
        d = str(rng.randint(1, 9))
        return rng.choice([str(rng.randint(1, 99)), str(rng.randint(100, 9999)), d * 2,
                           d * 3, d + "0" * rng.randint(1, 3), f"{rng.randint(1, 99)}.{d}"])
    if kind == "number":
        return number()
    if kind == "percent":
        return rng.choice([str(rng.randint(1, 100)), f"{rng.randint(0, 9)}.{rng.randint(1, 9)}",
                           str(rng.randint(1, 9)) * 2]) + "%"
    if kind == "order-id":
        return "-".join(str(rng.randint(10 ** (n - 1), 10 ** n - 1)) for n in (3, 7, 7))
    if kind == "date":
        y, m, d = rng.randint(2024, 2027), rng.randint(1, 12), rng.randint(1, 28)
        return f"{y}年{m}月{d}日" if original.endswith(("日", "号")) else f"{y}年{m}月"
    if kind == "money":
        amount = rng.choice([str(rng.randint(5, 999)), f"{rng.randint(5, 999)}.{rng.randint(10, 99)}"])
        return amount + (original[-2:] if original.endswith(("美元", "欧元", "英镑")) else "美元")
    raise ValueError(kind)


def refilled_pairs(zh: str, en: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Copies of a pair with its numbers/dates/order IDs replaced by random ones on both
    sides (English via ``pipeline.protect.render``), so the model learns to copy digits
    instead of only memorising them."""
    from pipeline.protect import find_spans, mask_pair, render

    spans = find_spans(zh)[:N_PLACEHOLDERS]
    if not any(sp.kind in REFILL_KINDS for sp in spans):
        return []
    masked = mask_pair(zh, en, None)
    if masked is None:
        return []
    out = []
    for _ in range(n):
        mz, me = masked
        for i, sp in enumerate(spans):
            new = _random_value(sp.kind, sp.text, rng) if sp.kind in REFILL_KINDS else sp.text
            rendered = render(sp.kind, new) if sp.kind in REFILL_KINDS else sp.render
            tok = PLACEHOLDERS[i]
            mz, me = mz.replace(tok, new), me.replace(tok, rendered)
        out.append((mz, me))
    return out


def build_examples(pairs, glossary, seed: int, refills: int = 1
                   ) -> tuple[list[tuple[str, str]], dict]:
    rng = random.Random(seed)
    examples: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    stats = {"raw": 0, "no_marker": 0, "masked": 0, "masked_no_terms": 0,
             "masked_no_glossary": 0, "unalignable": 0, "synthetic": 0, "refilled": 0,
             "conflicts": 0}

    def add(zh: str, en: str, kind: str) -> None:
        if zh in seen:
            if seen[zh] != en:
                stats["conflicts"] += 1
            return
        seen[zh] = en
        examples.append((zh, en))
        stats[kind] += 1

    bases = list(pairs)
    for zh, en in pairs:
        add(zh, en, "raw")
    for zh, en in pairs:
        stripped = strip_marker(zh, en)
        if stripped is not None:
            add(*stripped, "no_marker")
            bases.append(stripped)
    for zh, en in bases:
        got = False
        for kind, masked in masked_variants(zh, en, glossary):
            if masked is not None and masked[0] != zh:
                add(masked[0], masked[1], kind)
                got = True
        if not got and re.search(r"\d", zh):
            stats["unalignable"] += 1
    for zh, en in synthetic_pairs(rng):
        add(zh, en, "synthetic")
    for zh, en in pairs:
        for rz, re_ in refilled_pairs(zh, en, rng, refills):
            add(rz, re_, "refilled")
    return examples, stats


# --------------------------------------------------------------------------------------
# SentencePiece
# --------------------------------------------------------------------------------------

def train_sentencepiece(texts: list[str], out_prefix: Path, vocab_size: int) -> Path:
    """Train the shared SentencePiece model from memory (no file paths end up in the
    model proto, so the package is byte-identical from run to run)."""
    import io

    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([t.replace("\n", " ") for t in texts]),
        model_writer=buf,
        model_type="unigram",
        vocab_size=vocab_size,
        character_coverage=1.0,
        split_digits=True,
        user_defined_symbols=PLACEHOLDERS,
        unk_id=0, bos_id=1, eos_id=2, pad_id=3,
        unk_piece="<unk>", bos_piece="<s>", eos_piece="</s>", pad_piece="<pad>",
        hard_vocab_limit=False,
        num_threads=1,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        seed_sentencepiece_size=100000,
        minloglevel=2,
    )
    path = out_prefix.with_suffix(".model")
    path.write_bytes(buf.getvalue())
    return path


# --------------------------------------------------------------------------------------
# Model (plain torch, laid out the way CTranslate2's TransformerSpec expects)
# --------------------------------------------------------------------------------------

def build_model(vocab: int, d: int, heads: int, ffn: int, layers: tuple[int, int],
                dropout: float, pad_id: int, learned_pos: bool = False):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class SelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(d, eps=1e-6)
            self.qkv = nn.Linear(d, 3 * d)
            self.out = nn.Linear(d, d)

        def forward(self, x, mask):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.norm(x)).view(b, t, 3, heads, d // heads).unbind(2)
            y = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                               v.transpose(1, 2), attn_mask=mask,
                                               dropout_p=dropout if self.training else 0.0)
            return self.out(y.transpose(1, 2).reshape(b, t, d))

    class CrossAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(d, eps=1e-6)
            self.q = nn.Linear(d, d)
            self.kv = nn.Linear(d, 2 * d)
            self.out = nn.Linear(d, d)

        def forward(self, x, memory, mask):
            b, t, _ = x.shape
            s = memory.shape[1]
            q = self.q(self.norm(x)).view(b, t, heads, d // heads).transpose(1, 2)
            k, v = self.kv(memory).view(b, s, 2, heads, d // heads).unbind(2)
            y = F.scaled_dot_product_attention(q, k.transpose(1, 2), v.transpose(1, 2),
                                               attn_mask=mask,
                                               dropout_p=dropout if self.training else 0.0)
            return self.out(y.transpose(1, 2).reshape(b, t, d))

    class FFN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(d, eps=1e-6)
            self.l0 = nn.Linear(d, ffn)
            self.l1 = nn.Linear(ffn, d)
            self.drop = nn.Dropout(dropout)

        def forward(self, x):
            return self.l1(self.drop(F.relu(self.l0(self.norm(x)))))

    class EncLayer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.att = SelfAttention()
            self.ffn = FFN()
            self.drop = nn.Dropout(dropout)

        def forward(self, x, mask):
            x = x + self.drop(self.att(x, mask))
            return x + self.drop(self.ffn(x))

    class DecLayer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.att = SelfAttention()
            self.cross = CrossAttention()
            self.ffn = FFN()
            self.drop = nn.Dropout(dropout)

        def forward(self, x, memory, self_mask, cross_mask):
            x = x + self.drop(self.att(x, self_mask))
            x = x + self.drop(self.cross(x, memory, cross_mask))
            return x + self.drop(self.ffn(x))

    def sinusoids(n: int) -> torch.Tensor:
        pos = torch.arange(n, dtype=torch.float32).unsqueeze(1)
        inv = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
        return torch.cat([torch.sin(pos * inv), torch.cos(pos * inv)], dim=1)

    class Seq2Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.d = d
            self.emb = nn.Embedding(vocab, d)
            nn.init.normal_(self.emb.weight, 0.0, d ** -0.5)
            if learned_pos:  # starts as the sinusoid table, then trained
                self.pos = nn.Parameter(sinusoids(MAX_POSITIONS))
            else:
                self.register_buffer("pos", sinusoids(MAX_POSITIONS), persistent=False)
            self.enc = nn.ModuleList(EncLayer() for _ in range(layers[0]))
            self.dec = nn.ModuleList(DecLayer() for _ in range(layers[1]))
            self.enc_norm = nn.LayerNorm(d, eps=1e-6)
            self.dec_norm = nn.LayerNorm(d, eps=1e-6)
            self.out_bias = nn.Parameter(torch.zeros(vocab))
            self.drop = nn.Dropout(dropout)

        def embed(self, ids):
            return self.drop(self.emb(ids) * math.sqrt(self.d) + self.pos[: ids.shape[1]])

        def encode(self, src):
            key_ok = (src != pad_id)[:, None, None, :]  # b,1,1,s  True = attend
            x = self.embed(src)
            for layer in self.enc:
                x = layer(x, key_ok)
            return self.enc_norm(x), key_ok

        def forward(self, src, tgt_in):
            memory, key_ok = self.encode(src)
            t = tgt_in.shape[1]
            causal = torch.ones(t, t, dtype=torch.bool).tril()[None, None]
            y = self.embed(tgt_in)
            for layer in self.dec:
                y = layer(y, memory, causal, key_ok)
            return self.dec_norm(y) @ self.emb.weight.t() + self.out_bias

    return Seq2Seq()


def make_batches(data, max_tokens: int, rng: random.Random):
    """Length-bucketed batches of (src, tgt) id lists; order shuffled with rng."""
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), len(data[i][1]), i))
    batches, cur, cur_max = [], [], 0
    for i in order:
        length = max(len(data[i][0]), len(data[i][1]) + 1)
        if cur and max(cur_max, length) * (len(cur) + 1) > max_tokens:
            batches.append(cur)
            cur, cur_max = [], 0
        cur.append(i)
        cur_max = max(cur_max, length)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(data, idx, pad_id: int, bos: int, eos: int):
    import torch

    src_len = max(len(data[i][0]) for i in idx)
    tgt_len = max(len(data[i][1]) for i in idx) + 1
    src = torch.full((len(idx), src_len), pad_id, dtype=torch.long)
    tin = torch.full((len(idx), tgt_len), pad_id, dtype=torch.long)
    tout = torch.full((len(idx), tgt_len), pad_id, dtype=torch.long)
    for r, i in enumerate(idx):
        s, t = data[i]
        src[r, : len(s)] = torch.tensor(s)
        tin[r, : len(t) + 1] = torch.tensor([bos] + t)
        tout[r, : len(t) + 1] = torch.tensor(t + [eos])
    return src, tin, tout


def train_model(model, data, args, pad_id: int, bos: int, eos: int):
    import torch
    import torch.nn.functional as F

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9,
                            weight_decay=0.0)
    rng = random.Random(args.seed)
    n_batches = len(make_batches(data, args.max_tokens, random.Random(0)))
    total = n_batches * args.epochs
    warmup = min(args.warmup, total // 10 + 1)

    def lr_at(step: int) -> float:
        if step < warmup:
            return args.lr * (step + 1) / warmup
        p = (step - warmup) / max(1, total - warmup)
        return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p)))

    step = 0
    t0 = time.time()
    model.train()
    for epoch in range(1, args.epochs + 1):
        tot_loss, tot_tok, correct = 0.0, 0, 0
        for idx in make_batches(data, args.max_tokens, rng):
            src, tin, tout = collate(data, idx, pad_id, bos, eos)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            logits = model(src, tin)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tout.reshape(-1),
                                   ignore_index=pad_id, label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            mask = tout != pad_id
            ntok = int(mask.sum())
            tot_loss += loss.item() * ntok
            tot_tok += ntok
            correct += int(((logits.argmax(-1) == tout) & mask).sum())
        if epoch == 1 or epoch % args.log_every == 0 or epoch == args.epochs:
            print(f"[train] epoch {epoch:4d} loss {tot_loss / tot_tok:.4f} "
                  f"tok-acc {correct / tot_tok:.4f} lr {lr_at(step):.2e} "
                  f"{time.time() - t0:6.1f}s", flush=True)
        if args.time_limit and time.time() - t0 > args.time_limit:
            print(f"[train] time limit reached after epoch {epoch}")
            break
    model.eval()
    return time.time() - t0


# --------------------------------------------------------------------------------------
# CTranslate2 conversion
# --------------------------------------------------------------------------------------

def to_ctranslate2(model, vocab_tokens: list[str], layers: tuple[int, int], heads: int,
                   out_dir: Path, quantization: str | None = "int8") -> None:
    import numpy as np
    from ctranslate2.specs import transformer_spec

    def a(t) -> np.ndarray:
        return t.detach().cpu().numpy().astype(np.float32).copy()

    def ln(spec, norm) -> None:
        spec.gamma = a(norm.weight)
        spec.beta = a(norm.bias)

    def lin(spec, layer) -> None:
        spec.weight = a(layer.weight)
        spec.bias = a(layer.bias)

    spec = transformer_spec.TransformerSpec.from_config(layers, heads, pre_norm=True)
    emb = a(model.emb.weight)
    pos = a(model.pos)
    spec.encoder.embeddings[0].weight = emb
    spec.encoder.position_encodings.encodings = pos
    spec.encoder.scale_embeddings = True
    ln(spec.encoder.layer_norm, model.enc_norm)
    for ls, lm in zip(spec.encoder.layer, model.enc, strict=True):
        ln(ls.self_attention.layer_norm, lm.att.norm)
        lin(ls.self_attention.linear[0], lm.att.qkv)
        lin(ls.self_attention.linear[1], lm.att.out)
        ln(ls.ffn.layer_norm, lm.ffn.norm)
        lin(ls.ffn.linear_0, lm.ffn.l0)
        lin(ls.ffn.linear_1, lm.ffn.l1)
    spec.decoder.embeddings.weight = emb
    spec.decoder.position_encodings.encodings = pos
    spec.decoder.scale_embeddings = True
    ln(spec.decoder.layer_norm, model.dec_norm)
    spec.decoder.projection.weight = emb
    spec.decoder.projection.bias = a(model.out_bias)
    for ls, lm in zip(spec.decoder.layer, model.dec, strict=True):
        ln(ls.self_attention.layer_norm, lm.att.norm)
        lin(ls.self_attention.linear[0], lm.att.qkv)
        lin(ls.self_attention.linear[1], lm.att.out)
        ln(ls.attention.layer_norm, lm.cross.norm)
        lin(ls.attention.linear[0], lm.cross.q)
        lin(ls.attention.linear[1], lm.cross.kv)
        lin(ls.attention.linear[2], lm.cross.out)
        ln(ls.ffn.layer_norm, lm.ffn.norm)
        lin(ls.ffn.linear_0, lm.ffn.l0)
        lin(ls.ffn.linear_1, lm.ffn.l1)
    spec.register_source_vocabulary(vocab_tokens)
    spec.register_target_vocabulary(vocab_tokens)
    spec.config.layer_norm_epsilon = 1e-6
    spec.validate()
    spec.optimize(quantization=quantization)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    spec.save(str(out_dir))


def check_logprobs(model, ct2_dir: Path, sp, examples, bos: int, eos: int) -> float:
    """Max |log-prob difference| between torch and a float32 CTranslate2 model."""
    import ctranslate2
    import torch

    translator = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="float32")
    worst = 0.0
    for zh, en in examples:
        src = sp.encode(zh, out_type=str)
        tgt = sp.encode(en, out_type=str)
        res = translator.score_batch([src], [tgt])[0]
        with torch.no_grad():
            s = torch.tensor([sp.piece_to_id(src)])
            t = sp.piece_to_id(tgt)
            logits = model(s, torch.tensor([[bos] + t]))
            lp = torch.log_softmax(logits, -1)[0]
            ref = [float(lp[i, tok]) for i, tok in enumerate(t + [eos])]
        worst = max(worst, max(abs(x - y) for x, y in zip(res.log_probs, ref, strict=False)))
    return worst


def evaluate(ct2_dir: Path, sp, examples, **decode) -> tuple[int, list[tuple[str, str, str]]]:
    import ctranslate2

    translator = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="int8",
                                        inter_threads=1, intra_threads=2)
    srcs = [sp.encode(zh, out_type=str) for zh, _ in examples]
    res = translator.translate_batch(srcs, max_batch_size=64, **decode)
    wrong = []
    ok = 0
    for (zh, en), r in zip(examples, res, strict=True):
        out = sp.decode_pieces(r.hypotheses[0])
        if out == en:
            ok += 1
        else:
            wrong.append((zh, en, out))
    return ok, wrong


# --------------------------------------------------------------------------------------
# Packaging
# --------------------------------------------------------------------------------------

METADATA = {
    "package_version": PACKAGE_VERSION,
    "argos_version": "1.9.0",
    "from_code": "zh",
    "from_name": "Chinese",
    "to_code": "en",
    "to_name": "English",
    "type": "translate",
    "name": "DEMO zh->en appeal model (not for real use)",
    "description": (
        "A tiny DEMO model trained only on this project's own hand-written Amazon appeal "
        "corpus (demo_model/corpus.tsv). It memorises that corpus and returns the nearest "
        "memorised sentence for anything else. Use it to run the pipeline end to end; "
        "install a real zh->en Argos package for real documents."
    ),
    "demo": True,
    "links": [],
}


def write_package(ct2_dir: Path, sp_model: Path, out_path: Path, extra_meta: dict) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(METADATA)
    meta.update(extra_meta)
    tmp = out_path.with_suffix(".tmp")
    fixed_time = (2026, 1, 1, 0, 0, 0)

    def add(zf: zipfile.ZipFile, arcname: str, data: bytes) -> None:
        info = zipfile.ZipInfo(f"{PACKAGE_DIR_NAME}/{arcname}", date_time=fixed_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, data)

    with zipfile.ZipFile(tmp, "w") as zf:
        add(zf, "metadata.json", (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode())
        add(zf, "sentencepiece.model", sp_model.read_bytes())
        for f in sorted(ct2_dir.iterdir()):
            add(zf, f"model/{f.name}", f.read_bytes())
        add(zf, "README", (
            "DEMO zh->en appeal model (not for real use).\n"
            "Trained by demo_model/train.py on demo_model/corpus.tsv.\n"
            f"Decode with CTranslate2: beam_size={DECODE['beam_size']}, "
            f"length_penalty={DECODE['length_penalty']}, no target prefix; "
            "SentencePiece pieces in and out (sp.decode_pieces).\n"
            "Placeholders \u27e60\u27e7..\u27e631\u27e7 are single pieces.\n").encode())
    os.replace(tmp, out_path)


# --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the DEMO zh->en model.")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", type=Path, default=OUTPUT)
    ap.add_argument("--vocab", type=int, default=2000)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--enc-layers", type=int, default=3)
    ap.add_argument("--dec-layers", type=int, default=3)
    ap.add_argument("--dropout", type=float, default=0.05)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.02)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--max-tokens", type=int, default=1500)
    ap.add_argument("--time-limit", type=float, default=0, help="stop after N s (0: none)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: deterministic everywhere, and 2 threads are "
                         "15x slower when another process shares the 2 cores)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=5)
    ap.add_argument("--no-glossary", action="store_true")
    ap.add_argument("--learned-pos", action=argparse.BooleanOptionalAction, default=True,
                    help="train the position table, starting from sinusoids (default; "
                         "fixed sinusoids drop repeated pieces under beam search)")
    ap.add_argument("--refills", type=int, default=1,
                    help="random-number copies of each pair with numbers/dates/order IDs")
    ap.add_argument("--keep", type=Path, default=None, help="also keep the work dir here")
    args = ap.parse_args(argv)

    try:
        import torch
    except ImportError:
        raise SystemExit("torch is needed: .venv/bin/pip install torch==2.13.0 (CPU build)") from None
    import sentencepiece as spm

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    t_start = time.time()
    pairs = read_corpus(args.corpus)
    glossary = None if args.no_glossary else load_glossary()
    examples, stats = build_examples(pairs, glossary, args.seed, args.refills)
    print(f"[data] {len(pairs)} corpus pairs -> {len(examples)} training examples {stats}")

    work = Path(tempfile.mkdtemp(prefix="demo-model-"))
    try:
        sp_texts = [zh for zh, _ in examples] + [en for _, en in examples]
        sp_model = train_sentencepiece(sp_texts, work / "sentencepiece", args.vocab)
        sp = spm.SentencePieceProcessor(model_file=str(sp_model))
        vocab_tokens = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
        for ph in PLACEHOLDERS:
            assert sp.encode(ph, out_type=str)[-1] == ph, f"placeholder {ph} is not one piece"
        pad_id, bos, eos = sp.pad_id(), sp.bos_id(), sp.eos_id()
        data = [(sp.encode(zh), sp.encode(en)) for zh, en in examples]
        n_src = sum(len(s) for s, _ in data)
        n_tgt = sum(len(t) for _, t in data)
        print(f"[spm] vocab {len(vocab_tokens)}; {n_src} source + {n_tgt} target tokens; "
              f"longest {max(len(s) for s, _ in data)}/{max(len(t) for _, t in data)}")

        layers = (args.enc_layers, args.dec_layers)
        model = build_model(len(vocab_tokens), args.d, args.heads, args.ffn, layers,
                            args.dropout, pad_id, args.learned_pos)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"[model] d {args.d}, {layers[0]}+{layers[1]} layers, {args.heads} heads, "
              f"FFN {args.ffn}: {n_params / 1e6:.2f} M parameters")
        train_s = train_model(model, data, args, pad_id, bos, eos)

        f32_dir = work / "ct2-f32"
        to_ctranslate2(model, vocab_tokens, layers, args.heads, f32_dir, quantization=None)
        diff = check_logprobs(model, f32_dir, sp, examples[:20], bos, eos)
        print(f"[ct2] max |log-prob diff| torch vs CTranslate2 float32: {diff:.2e}")
        ct2_dir = work / "model"
        to_ctranslate2(model, vocab_tokens, layers, args.heads, ct2_dir, quantization="int8")

        raw = [(zh, en) for zh, en in examples if "\u27e6" not in zh]
        masked = [(zh, en) for zh, en in examples if "\u27e6" in zh]
        t_eval = time.time()
        results = {}
        for label, decode in [("beam4 lp0", DECODE),
                              ("greedy", {"beam_size": 1, "max_decoding_length": 256})]:
            ok_raw, wrong_raw = evaluate(ct2_dir, sp, raw, **decode)
            ok_m, wrong_m = evaluate(ct2_dir, sp, masked, **decode)
            results[label] = (ok_raw, ok_m)
            print(f"[eval {label}] raw {ok_raw}/{len(raw)}  masked {ok_m}/{len(masked)}")
            for zh, en, out in (wrong_raw + wrong_m)[:8]:
                print(f"    {zh}\n      want {en}\n      got  {out}")
        print(f"[eval] {time.time() - t_eval:.1f}s")

        write_package(ct2_dir, sp_model, args.out, {
            "demo_training": {
                "corpus_pairs": len(pairs), "training_examples": len(examples),
                "glossary_masking": glossary is not None,
                "parameters": n_params, "d_model": args.d, "layers": list(layers),
                "learned_positions": args.learned_pos,
                "heads": args.heads, "ffn": args.ffn, "epochs": args.epochs,
                "seed": args.seed, "vocab_size": len(vocab_tokens),
                "train_accuracy_beam4": f"{results['beam4 lp0'][0]}/{len(raw)}",
                "masked_accuracy_beam4": f"{results['beam4 lp0'][1]}/{len(masked)}",
            },
            "decode": DECODE,
        })
        if args.keep:
            if args.keep.exists():
                shutil.rmtree(args.keep)
            shutil.copytree(work, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = args.out.stat().st_size
    print(f"[done] {args.out} ({size / 1e6:.2f} MB); training {train_s:.0f}s, "
          f"total {time.time() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
