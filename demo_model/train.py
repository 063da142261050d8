"""Train the tiny DEMO zh->en model and pack it like an official Argos package.

    .venv/bin/pip install torch==2.13.0          # CPU build; NOT plain `torch`
    nice .venv/bin/python demo_model/train.py    # ~18 min on 2 busy cores

Steps (all deterministic: fixed seeds, one thread for SentencePiece, fixed batch order):

1. Read ``demo_model/corpus.tsv`` (``zh<TAB>en``, header line).
2. Build the training set, unmasked (the pipeline sends whole sentences): the raw pairs;
   the pairs without their list marker (the pipeline keeps markers out of the engine);
   copies of every pair with its numbers, percentages, money, dates, order IDs, ASINs,
   other IDs, e-mail/URL domains and brand/store names replaced by random values of the
   same kind on both sides (``refilled_pairs``; more copies for pairs with IDs); and
   template sentences (``TEMPLATES``) filled with random order IDs, ASINs, SKUs,
   tracking IDs, dates, numbers and made-up names. So the model learns to COPY values it
   has never seen instead of memorising them.
3. Train one shared SentencePiece unigram model (character_coverage 1.0, split_digits;
   no placeholder symbols).
4. Train a small pre-norm Transformer in plain torch (shared embeddings, sinusoidal
   positions as the starting point of a learned position table); the source is the
   pieces followed by ``</s>``, like OPUS-MT.
5. Pour the weights into ``ctranslate2.specs.TransformerSpec`` (``add_source_eos``:
   CTranslate2 appends ``</s>`` itself), validate, quantize int8, save; check
   CTranslate2 against torch; translate the corpus and held-out sentences with unseen
   values and print the accuracy for each decoding setting.
6. Zip ``metadata.json`` (official fields + ``demo`` + ``decode``), ``README.md``,
   ``sentencepiece.model`` and ``model/`` under one top-level folder
   ``translate-zh_en-demo/`` into ``pipeline/data/demo-zh_en.argosmodel``.

It is a demo: it memorises its own corpus, copies numbers/IDs/dates/names, and returns
the nearest memorised sentence for anything else. Not for real use.
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
PACKAGE_VERSION = "0.2"
# Named like the official packages (translate-zh_en-1_9/), labelled DEMO.
PACKAGE_DIR_NAME = "translate-zh_en-demo"
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


def strip_marker(zh: str, en: str) -> tuple[str, str] | None:
    """"一、根本原因" / "1. Root Causes" -> "根本原因" / "Root Causes": the pipeline keeps
    list markers out of the engine (``pipeline.protect.LIST_MARKER_RE``)."""
    from pipeline.protect import LIST_MARKER_RE, render_marker

    m = LIST_MARKER_RE.match(zh)
    if not m or m.end() >= len(zh):
        return None
    prefix = render_marker(m)
    if not en.startswith(prefix):
        return None
    return zh[m.end():], en[len(prefix):]


# Latin words that are terms or acronyms, not names: copied as they are, never replaced.
FIXED_LATIN = {"A-to-z", "ASIN", "CPSC", "ERP", "FBA", "FNSKU", "ID", "ISO", "IT", "SKU",
               "Seller Central", "USPTO", "case", "GS1"}

# Syllables for made-up brand and store names (never real brands).
_SYLLABLES = ["lu", "ma", "zen", "ko", "vi", "ra", "tek", "no", "bel", "sun", "ny", "home",
              "star", "lin", "qi", "da", "fo", "ray", "mo", "pix", "ve", "ta", "gro", "ly"]
_NAME_TAILS = ["", "", "", " Store", " Shop", " Home", " Direct", " Official", " Tech"]


def random_name(rng: random.Random) -> str:
    """A made-up brand/store name: 'Zenko', 'LumaRay Store', 'Vitek Home'..."""
    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    first = word()
    if rng.random() < 0.4:
        first += word()  # CamelCase, like SunnyHome
    return first + rng.choice(_NAME_TAILS)


def reshape(value: str, rng: random.Random) -> str:
    """Same shape, new characters: each digit a random digit, each capital a random
    capital, each small letter a random small letter; separators kept."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(str(rng.randint(0, 9)))
        elif "A" <= ch <= "Z":
            out.append(chr(rng.randint(65, 90)))
        elif "a" <= ch <= "z":
            out.append(chr(rng.randint(97, 122)))
        else:
            out.append(ch)
    return "".join(out)


def random_value(kind: str, original: str, rng: random.Random) -> str | None:
    """A new value of the same kind as ``original`` (None: keep the original)."""
    def number() -> str:
        d = str(rng.randint(1, 9))
        return rng.choice([str(rng.randint(0, 9)), str(rng.randint(10, 99)),
                           str(rng.randint(100, 9999)), str(rng.randint(10000, 999999)),
                           d * 2, d * 3, d + "0" * rng.randint(1, 3),
                           f"{rng.randint(0, 99)}.{rng.randint(0, 9)}",
                           f"{rng.randint(0, 99)}.{rng.randint(10, 99)}"])
    if kind == "number":
        return number() if "万" not in original and "亿" not in original else None
    if kind == "percent":
        return rng.choice([str(rng.randint(0, 100)), f"{rng.randint(0, 99)}.{rng.randint(0, 9)}",
                           str(rng.randint(1, 9)) * 2]) + "%"
    if kind == "order-id":
        return "-".join(str(rng.randint(10 ** (n - 1), 10 ** n - 1)) for n in (3, 7, 7))
    if kind == "asin":
        return "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8))
    if kind == "id":
        return None if original in FIXED_LATIN or len(original) < 5 else reshape(original, rng)
    if kind == "date":
        y, m, d = rng.randint(2019, 2029), rng.randint(1, 12), rng.randint(1, 31)
        if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}[日号]", original):
            return f"{y}年{m}月{d}日"
        if re.fullmatch(r"\d{4}年\d{1,2}月", original):
            return f"{y}年{m}月"
        if re.fullmatch(r"\d{1,2}月\d{1,2}[日号]", original):
            return f"{m}月{d}日"
        return None
    if kind == "money":
        amount = rng.choice([str(rng.randint(1, 9999)), f"{rng.randint(1, 999)}.{rng.randint(10, 99)}"])
        return amount + "美元" if original.endswith("美元") else None
    if kind == "latin":
        if original in FIXED_LATIN or original.isupper():
            return None
        return random_name(rng)
    if kind in ("email", "url"):
        return original.replace("huada", rng.choice(["lumaray", "zenko", "vitek", "bellstar"]))
    return None


def refillable(zh: str, en: str):
    """The spans of ``zh`` a refill may replace, each with its position in ``en``.

    None when some span's English rendering is not found in ``en`` (then a refill would
    make a pair whose sides disagree)."""
    from pipeline.protect import find_spans

    spans = find_spans(zh)
    out = []
    pos = 0
    for sp in spans:
        m = re.search(rf"(?<![\w]){re.escape(sp.render)}(?![\w])", en[pos:])
        if m is None:
            m = re.search(rf"(?<![\w]){re.escape(sp.render)}(?![\w])", en)
            if m is None:
                return None
            start = m.start()
        else:
            start = pos + m.start()
        out.append((sp, start, start + len(sp.render)))
    return out


def refilled_pairs(zh: str, en: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Copies of a pair with its numbers, IDs, dates, money, e-mail/URL and brand names
    replaced by new random values on both sides (English via ``pipeline.protect.render``),
    so the model learns to copy what it has never seen instead of memorising values."""
    from pipeline.protect import render

    spans = refillable(zh, en)
    if not spans:
        return []
    out = []
    for _ in range(n):
        new_zh, new_en = zh, en
        # right to left so earlier offsets stay valid; English offsets may be in any order
        repl = []
        for sp, es, ee in spans:
            value = random_value(sp.kind, sp.text, rng)
            if value is None:
                continue
            repl.append((sp, es, ee, value, render(sp.kind, value)))
        if not repl:
            return []
        for sp, _es, _ee, value, _r in sorted(repl, key=lambda r: -r[0].start):
            new_zh = new_zh[:sp.start] + value + new_zh[sp.end:]
        taken: set[int] = set()
        for _sp, es, ee, _value, rendered in sorted(repl, key=lambda r: -r[1]):
            if es in taken:
                continue
            taken.add(es)
            new_en = new_en[:es] + rendered + new_en[ee:]
        out.append((new_zh, new_en))
    return out


# Extra frames for values a seller writes everywhere: {o} order ID, {a} ASIN, {s} SKU,
# {t} tracking ID, {d} date, {n} number, {p} percent, {b} brand/store name, {m} money.
TEMPLATES: list[tuple[str, str]] = [
    ("订单号：{o}", "Order ID: {o}"),
    ("订单{o}已于{d}发货。", "Order {o} was shipped on {d}."),
    ("订单{o}的买家在{d}收到了退款。", "The customer of order {o} received a refund on {d}."),
    ("我们已经为订单{o}补发了商品。", "We have sent a replacement for order {o}."),
    ("ASIN：{a}", "ASIN: {a}"),
    ("我们已经更新了ASIN {a}的商品详情页。", "We have updated the product detail page of ASIN {a}."),
    ("ASIN {a}的退货率为{p}。", "The return rate of ASIN {a} was {p}."),
    ("SKU：{s}", "SKU: {s}"),
    ("我们已经下架了SKU {s}。", "We have removed SKU {s} from sale."),
    ("SKU {s}的库存为{n}件。", "The inventory of SKU {s} is {n} units."),
    ("追踪编码：{t}", "Tracking ID: {t}"),
    ("该订单的追踪编码是{t}。", "The tracking ID of this order is {t}."),
    ("日期：{d}", "Date: {d}"),
    ("我们将在{d}前完成整改。", "We will complete the corrective actions by {d}."),
    ("{d}，我们的订单缺陷率为{p}。", "On {d}, our Order Defect Rate was {p}."),
    ("我们的迟发率从{p}降到了{p2}。", "Our Late Shipment Rate dropped from {p} to {p2}."),
    ("过去{n}天内，我们共处理了{n2}个订单。", "In the past {n} days, we processed {n2} orders."),
    ("我们为{n}位买家提供了退款，共计{m}。", "We refunded {n} customers, {m} in total."),
    ("店铺名称：{b}", "Store name: {b}"),
    ("我们是{b}，主要销售家居用品。", "We are {b}, and we mainly sell home goods."),
    ("{b}运营团队", "{b} Operations Team"),
    ("品牌{b}已在美国注册。", "The brand {b} is registered in the United States."),
    ("我们从{b}采购了{n}件商品。", "We purchased {n} items from {b}."),
    ("{b}的订单{o}已经送达。", "{b} order {o} has been delivered."),
]


def template_pairs(rng: random.Random, n: int) -> list[tuple[str, str]]:
    from pipeline.protect import render

    def percent() -> str:
        return random_value("percent", "", rng) or "1%"

    out = []
    for zh, en in TEMPLATES:
        for _ in range(n):
            date = random_value("date", "2026年1月1日", rng) or ""
            if rng.random() < 0.3:
                date = random_value("date", "2026年1月", rng) or date
            values = {
                "o": (v := random_value("order-id", "", rng), v),
                "a": (v := random_value("asin", "", rng), v),
                "s": (v := reshape(rng.choice(["HM-2043-BLK", "SH-LAMP-01", "AB12-XY",
                                               "KT-5501-WHT-L", "X001ABCDEF"]), rng), v),
                "t": (v := reshape(rng.choice(["1Z999AA10123456784", "9400111899223344556677",
                                               "TBA123456789000"]), rng), v),
                "d": (date, render("date", date)),
                "n": (v := str(rng.randint(1, 9999)), v),
                "n2": (v := str(rng.randint(1, 99999)), v),
                "p": (v := percent(), v),
                "p2": (v := percent(), v),
                "b": (v := random_name(rng), v),
                "m": ((v := str(rng.randint(5, 9999))) + "美元", f"${v}"),
            }
            out.append((zh.format(**{k: v[0] for k, v in values.items()}),
                        en.format(**{k: v[1] for k, v in values.items()})))
    return out


def build_examples(pairs, seed: int, refills: int = 6, id_refills: int = 14,
                   templates: int = 10) -> tuple[list[tuple[str, str]], dict]:
    """Unmasked training pairs: the corpus, the corpus without list markers, refilled
    copies with new values, and template sentences with random IDs, dates and names."""
    rng = random.Random(seed)
    examples: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    stats = {"raw": 0, "no_marker": 0, "refilled": 0, "template": 0, "conflicts": 0}

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
    id_re = re.compile(r"\d{3}-\d{7}-\d{7}|B0[A-Z0-9]{8}|[A-Z0-9-]{8,}")
    for zh, en in bases:
        n = id_refills if id_re.search(zh) else refills
        for rz, ren in refilled_pairs(zh, en, rng, n):
            add(rz, ren, "refilled")
    for zh, en in template_pairs(rng, templates):
        add(zh, en, "template")
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
    # Like OPUS-MT conversions: CTranslate2 appends </s> to the source itself.
    spec.config.add_source_eos = True
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
            s = torch.tensor([sp.piece_to_id(src) + [eos]])
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

# Only the official fields (as in translate-zh_en-1_9), plus the DEMO marker and the
# measured decoding settings; the training summary goes into the package README.md.
METADATA = {
    "package_version": PACKAGE_VERSION,
    "argos_version": "1.9.0",
    "from_code": "zh",
    "from_name": "Chinese",
    "to_code": "en",
    "to_name": "English",
    "demo": True,
}

PACKAGE_README = """# DEMO zh->en appeal model (NOT for real use)

A tiny DEMO model trained only on the appeal pipeline's own hand-written corpus
(demo_model/corpus.tsv) and copies of it with random numbers, IDs, dates and names.
It memorises that corpus, copies numbers/IDs/dates/Latin names, and returns the nearest
memorised sentence for anything else. Install a real zh->en Argos package for real
documents.

Layout as the official translate-zh_en packages: metadata.json, sentencepiece.model
(one shared SentencePiece model, no placeholder symbols), model/ (CTranslate2,
config.json with add_source_eos: true: the source is the pieces followed by </s>).
Decode: {decode}.

Training: {training}
"""


def write_package(ct2_dir: Path, sp_model: Path, out_path: Path, extra_meta: dict,
                  training: dict) -> None:
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
        add(zf, "README.md", PACKAGE_README.format(
            decode=json.dumps(meta.get("decode", DECODE)),
            training=json.dumps(training, ensure_ascii=False)).encode())
    os.replace(tmp, out_path)


# --------------------------------------------------------------------------------------

VALUE_RE = re.compile(r"[A-Za-z0-9$][A-Za-z0-9.,$%-]*\d[A-Za-z0-9%-]*|\d+")


def values_kept(en: str, out: str) -> bool:
    """Every number/ID-like token of the reference English is in the output."""
    return all(v.rstrip(".,") in out for v in VALUE_RE.findall(en))


def held_out(pairs, seed: int, n: int = 2) -> list[tuple[str, str]]:
    """Refills and template sentences with values drawn with another seed (unseen)."""
    rng = random.Random(seed + 99991)
    out = []
    for zh, en in pairs:
        out += refilled_pairs(zh, en, rng, n)
    out += template_pairs(rng, 2)
    return random.Random(seed).sample(out, min(300, len(out)))


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
    ap.add_argument("--epochs", type=int, default=22)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.02)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--max-tokens", type=int, default=400,
                    help="tokens per batch (small batches: more updates per second)")
    ap.add_argument("--time-limit", type=float, default=0, help="stop after N s (0: none)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: deterministic everywhere, and 2 threads are "
                         "15x slower when another process shares the 2 cores)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=5)
    ap.add_argument("--learned-pos", action=argparse.BooleanOptionalAction, default=True,
                    help="train the position table, starting from sinusoids (default; "
                         "fixed sinusoids drop repeated pieces under beam search)")
    ap.add_argument("--refills", type=int, default=6,
                    help="copies of each pair with new random numbers/dates/names")
    ap.add_argument("--id-refills", type=int, default=14,
                    help="copies of each pair that holds an order ID, ASIN or other ID")
    ap.add_argument("--templates", type=int, default=10,
                    help="random fillings of each template sentence (TEMPLATES)")
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
    examples, stats = build_examples(pairs, args.seed, args.refills, args.id_refills,
                                     args.templates)
    print(f"[data] {len(pairs)} corpus pairs -> {len(examples)} training examples {stats}")

    work = Path(tempfile.mkdtemp(prefix="demo-model-"))
    try:
        sp_texts = [zh for zh, _ in examples] + [en for _, en in examples]
        sp_model = train_sentencepiece(sp_texts, work / "sentencepiece", args.vocab)
        sp = spm.SentencePieceProcessor(model_file=str(sp_model))
        vocab_tokens = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
        pad_id, bos, eos = sp.pad_id(), sp.bos_id(), sp.eos_id()
        # Source = pieces + </s> (OPUS-MT style; the CTranslate2 config adds it at run time).
        data = [(sp.encode(zh) + [eos], sp.encode(en)) for zh, en in examples]
        n_src = sum(len(s) for s, _ in data)
        n_tgt = sum(len(t) for _, t in data)
        print(f"[spm] vocab {len(vocab_tokens)}; {n_src} source + {n_tgt} target tokens; "
              f"longest {max(len(s) for s, _ in data)}/{max(len(t) for _, t in data)}")

        layers = (args.enc_layers, args.dec_layers)
        model = build_model(len(vocab_tokens), args.d, args.heads, args.ffn, layers,
                            args.dropout, pad_id, args.learned_pos)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"[model] d {args.d}, {layers[0]}+{layers[1]} layers, {args.heads} heads, "
              f"FFN {args.ffn}: {n_params / 1e6:.2f} M parameters", flush=True)
        train_s = train_model(model, data, args, pad_id, bos, eos)

        f32_dir = work / "ct2-f32"
        to_ctranslate2(model, vocab_tokens, layers, args.heads, f32_dir, quantization=None)
        diff = check_logprobs(model, f32_dir, sp, examples[:20], bos, eos)
        print(f"[ct2] max |log-prob diff| torch vs CTranslate2 float32: {diff:.2e}")
        ct2_dir = work / "model"
        to_ctranslate2(model, vocab_tokens, layers, args.heads, ct2_dir, quantization="int8")

        raw = list(pairs)
        unseen = held_out(pairs, args.seed)
        t_eval = time.time()
        results = {}
        for label, decode in [("beam4 lp0", DECODE),
                              ("beam4 lp0.2", {**DECODE, "length_penalty": 0.2})]:
            ok_raw, wrong_raw = evaluate(ct2_dir, sp, raw, **decode)
            ok_u, wrong_u = evaluate(ct2_dir, sp, unseen, **decode)
            kept = len(unseen) - sum(1 for _, en, out in wrong_u if not values_kept(en, out))
            results[label] = (ok_raw, ok_u, kept)
            print(f"[eval {label}] corpus {ok_raw}/{len(raw)}  unseen values: exact "
                  f"{ok_u}/{len(unseen)}, values kept {kept}/{len(unseen)}")
            for zh, en, out in (wrong_raw[:4] + [w for w in wrong_u
                                                 if not values_kept(w[1], w[2])][:6]):
                print(f"    {zh}\n      want {en}\n      got  {out}")
        print(f"[eval] {time.time() - t_eval:.1f}s")

        training = {
            "corpus_pairs": len(pairs), "training_examples": len(examples), "data": stats,
            "parameters": n_params, "d_model": args.d, "layers": list(layers),
            "learned_positions": args.learned_pos, "heads": args.heads, "ffn": args.ffn,
            "epochs": args.epochs, "seed": args.seed, "vocab_size": len(vocab_tokens),
            "training_seconds": round(train_s),
            "corpus_accuracy": {k: f"{v[0]}/{len(raw)}" for k, v in results.items()},
            "unseen_values_kept": {k: f"{v[2]}/{len(unseen)}" for k, v in results.items()},
        }
        write_package(ct2_dir, sp_model, args.out, {"decode": DECODE}, training)
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
