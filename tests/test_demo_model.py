"""The bundled DEMO Argos package (built by demo_model/train.py) and its corpus.

Reads the package directly (zipfile + CTranslate2 + SentencePiece), independent of the
pipeline's engine code, so a broken build is caught here first. Fast: one model load,
one batched call.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pipeline" / "data" / "demo-zh_en.argosmodel"
CORPUS = REPO / "demo_model" / "corpus.tsv"
PLACEHOLDERS = [f"\u27e6{i}\u27e7" for i in range(32)]


def read_corpus() -> list[tuple[str, str]]:
    with open(CORPUS, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["zh", "en"]
    return [(r[0], r[1]) for r in rows[1:]]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    if not PACKAGE.is_file():
        pytest.skip("demo package not built (python demo_model/train.py)")
    out = tmp_path_factory.mktemp("demo-pkg")
    with zipfile.ZipFile(PACKAGE) as zf:
        zf.extractall(out)
    (top,) = list(out.iterdir())
    return top


@pytest.fixture(scope="module")
def model(unpacked):
    ctranslate2 = pytest.importorskip("ctranslate2")
    spm = pytest.importorskip("sentencepiece")
    translator = ctranslate2.Translator(str(unpacked / "model"), device="cpu",
                                        compute_type="int8", intra_threads=2)
    sp = spm.SentencePieceProcessor(model_file=str(unpacked / "sentencepiece.model"))
    return translator, sp


def translate(model, texts: list[str]) -> list[str]:
    translator, sp = model
    res = translator.translate_batch([sp.encode(t, out_type=str) for t in texts],
                                     beam_size=4, length_penalty=0.0,
                                     max_decoding_length=256)
    return [sp.decode(r.hypotheses[0]) for r in res]


def test_corpus_is_well_formed() -> None:
    pairs = read_corpus()
    assert len(pairs) >= 400
    by_zh: dict[str, str] = {}
    for zh, en in pairs:
        assert zh.strip() == zh and en.strip() == en and zh and en
        assert "\t" not in zh + en
        assert by_zh.setdefault(zh, en) == en, f"contradictory translations of {zh}"


def test_corpus_covers_every_sample_sentence(sample_zh) -> None:
    docx = pytest.importorskip("docx")
    doc = docx.Document(str(sample_zh))
    texts = [p.text for s in doc.sections for p in s.header.paragraphs]
    texts += [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    corpus = {zh for zh, _ in read_corpus()}
    missing = []
    for text in texts:
        for sent in re.findall(r".+?(?:[。！？；]|……|$)", text):
            sent = sent.strip()
            if re.search(r"[\u4e00-\u9fff]", sent) and sent not in corpus:
                missing.append(sent)
    assert not missing


def test_package_layout_and_metadata() -> None:
    if not PACKAGE.is_file():
        pytest.skip("demo package not built")
    assert PACKAGE.stat().st_size < 15_000_000
    with zipfile.ZipFile(PACKAGE) as zf:
        names = zf.namelist()
        tops = {n.split("/", 1)[0] for n in names}
        assert len(tops) == 1, tops
        top = tops.pop()
        assert f"{top}/metadata.json" in names
        assert f"{top}/sentencepiece.model" in names
        assert f"{top}/model/model.bin" in names
        meta = json.loads(zf.read(f"{top}/metadata.json"))
    assert meta["demo"] is True
    assert "demo" in meta["name"].lower()
    assert (meta["from_code"], meta["to_code"], meta["type"]) == ("zh", "en", "translate")
    assert meta.get("target_prefix", "") == ""


def test_placeholders_are_single_pieces(model) -> None:
    _, sp = model
    for ph in PLACEHOLDERS:
        assert sp.piece_to_id(ph) != sp.unk_id()
    pieces = sp.encode("订单\u27e60\u27e7的买家在\u27e612\u27e7提出了索赔。", out_type=str)
    assert "\u27e60\u27e7" in pieces and "\u27e612\u27e7" in pieces


def _mask(text: str, spans: list[str]) -> str:
    """Replace each span (in order, first occurrence after the previous) with ⟦n⟧."""
    out, pos = "", 0
    for n, span in enumerate(spans):
        i = text.index(span, pos)
        out += text[pos:i] + f"\u27e6{n}\u27e7"
        pos = i + len(span)
    return out + text[pos:]


def test_translates_corpus_sentences(model) -> None:
    reference = dict(read_corpus())
    plain = [
        "主要原因是A-to-z索赔和退货增加。",
        "我们已经手动上传了所有缺失的追踪编码。",
        "根本原因",
        "我们将85%以上的商品转为亚马逊物流（FBA）配送。",
    ]
    # masked the way pipeline.protect masks numbers and IDs: (source, zh spans, en spans)
    masked = [
        ("过去60天内，我们的订单缺陷率达到2.8%，远高于1%的目标。",
         ["60", "2.8%", "1%"], ["60", "2.8%", "1%"]),
        ("订单112-7654321-7654321的买家收到的是错误的商品。",
         ["112-7654321-7654321"], ["112-7654321-7654321"]),
        ("我们组建了一个由5名成员组成的客服团队，所有买家消息都会在24小时内回复。",
         ["5", "24"], ["5", "24"]),
        ("2026年10月2日", ["2026年10月2日"], ["October 2, 2026"]),
    ]
    cases = [(zh, reference[zh]) for zh in plain]
    cases += [(_mask(zh, zs), _mask(reference[zh], es)) for zh, zs, es in masked]
    got = translate(model, [zh for zh, _ in cases])
    assert got == [en for _, en in cases]
