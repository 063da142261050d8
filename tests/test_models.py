"""Real models, proven on faithful replicas (tests/replicas.py): official Argos packages and
their variants, CTranslate2 OPUS-MT / NLLB-200 / M2M-100 folders, install, choice, tokenizing,
decoding settings, engine options and --device.

Replicas have random weights: they never emit </s>, so every translation here caps the
output length (``max_decoding_length`` / ``--max-length``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import docx
import pytest
import replicas

from pipeline.engine import Engine, EngineSettings, join_pieces, resolve_device
from pipeline.errors import InputError, ModelError
from pipeline.model_install import install_file, install_from_index
from pipeline.packages import (
    ARGOS_DECODE,
    choose,
    demo_model,
    find_model,
    info_from_folder,
    installed_models,
    model_bin_flag,
    version_key,
    vocabulary,
)
from pipeline.qa import run_checks

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "draft_zh.docx"
SHORT = EngineSettings(max_decoding_length=6, beam_size=2)
OFFICIAL_FIELDS = {"package_version", "argos_version", "from_code", "from_name", "to_code",
                   "to_name"}


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("replicas")


@pytest.fixture(scope="session")
def opus_dir(work: Path) -> Path:
    return replicas.build_opus_mt_dir(work / "opus-mt-zh-en")


@pytest.fixture(scope="session")
def package(work: Path, opus_dir: Path):  # noqa: ANN201
    """package(variant, version) -> a cached .argosmodel replica."""

    @functools.cache
    def build(variant: str = "official", version: str = "1.9") -> Path:
        return replicas.build_argos_package(work / f"{variant}-{version}", version=version,
                                            variant=variant, opus_dir=opus_dir)

    return build


@pytest.fixture(scope="session")
def unpacked19(work: Path, package) -> Path:  # noqa: ANN001
    return replicas.unpack(package(), work / "unpacked-1.9")


@pytest.fixture
def pkdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty Argos packages folder for this test (both Argos settings patched)."""
    from argostranslate import settings

    folder = tmp_path / "packages"
    folder.mkdir()
    monkeypatch.setattr(settings, "package_data_dir", folder)
    monkeypatch.setattr(settings, "package_dirs", [folder])
    return folder


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in lines[0], lines[0]
    return lines[0]


# --- the replica itself ---------------------------------------------------------------


def test_replica_has_the_official_layout(package) -> None:  # noqa: ANN001
    with zipfile.ZipFile(package()) as zf:
        names = zf.namelist()
        meta = json.loads(zf.read("translate-zh_en-1_9/metadata.json"))
        config = json.loads(zf.read("translate-zh_en-1_9/model/config.json"))
    assert {n.split("/")[0] for n in names} == {"translate-zh_en-1_9"}
    for name in ("README.md", "sentencepiece.model", "model/model.bin",
                 "model/shared_vocabulary.json", "stanza/"):
        assert f"translate-zh_en-1_9/{name}" in names
    assert set(meta) == OFFICIAL_FIELDS and meta["package_version"] == "1.9"
    assert config["add_source_eos"] is True  # what CTranslate2's OPUS-MT converter writes


# --- install ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["official", "txt-vocab", "macosx"])
def test_install_variants(package, pkdir: Path, variant: str) -> None:  # noqa: ANN001
    info = install_file(package(variant))
    assert info.path == pkdir / "translate-zh_en-1_9"
    assert (info.name, info.version, info.from_code, info.to_code) == (
        "translate-zh_en", "1.9", "zh", "en")
    assert [p.name for p in pkdir.iterdir()] == ["translate-zh_en-1_9"]  # no temporary left
    assert [m.path for m in installed_models()] == [info.path]
    if variant == "txt-vocab":  # an older package (CTranslate2 2.x): no config.json
        assert not (info.path / "model" / "config.json").exists()
        assert not info.add_source_eos  # model.bin says with_source_eos: CTranslate2 adds it
    else:
        assert (info.path / "model" / "config.json").is_file()
        assert not info.add_source_eos  # config.json says add_source_eos: CTranslate2 adds it


@pytest.mark.parametrize(("variant", "reason"), [
    ("bpe", "bpe.model"), ("junk-bin", "CTranslate2 cannot load"),
])
def test_refused_variants_leave_nothing(package, pkdir: Path, variant: str,  # noqa: ANN001
                                        reason: str) -> None:
    with pytest.raises(ModelError, match=reason) as err:
        install_file(package(variant))
    assert "\n" not in str(err.value) and "not installed" in str(err.value)
    assert list(pkdir.iterdir()) == []


def test_failed_reinstall_keeps_the_good_package(package, pkdir: Path) -> None:  # noqa: ANN001
    good = install_file(package())
    junk = replicas.build_argos_package(package().parent / "junk19", variant="junk-bin",
                                        opus_dir=package().parent.parent / "opus-mt-zh-en")
    with pytest.raises(ModelError):
        install_file(junk)
    assert [m.path for m in installed_models()] == [good.path]
    Engine(info_from_folder(good.path), SHORT)  # still loads
    again = install_file(package())  # a reinstall replaces the folder in place
    assert again.path == good.path and [p.name for p in pkdir.iterdir()] == [good.path.name]


def test_cli_install_every_variant_one_line(package, tmp_path: Path) -> None:  # noqa: ANN001
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk")}
    for variant in ("official", "txt-vocab", "macosx", "bpe", "junk-bin"):
        result = cli("models", "install", "--file", str(package(variant)), env=env)
        if variant in ("bpe", "junk-bin"):
            line = one_line_error(result)
            assert package(variant).name in line
        else:
            assert result.returncode == 0, result.stderr
            assert "translate-zh_en 1.9" in result.stdout
    assert sorted(p.name for p in (tmp_path / "pk").iterdir()) == ["translate-zh_en-1_9"]


def test_damaged_and_unsafe_zips_are_refused(tmp_path: Path, pkdir: Path) -> None:
    evil = tmp_path / "evil.argosmodel"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("pkg/metadata.json", "{}")
        zf.writestr("pkg/model/x", "")
        zf.writestr("pkg/../../escape.txt", "x")
    with pytest.raises(ModelError, match="unsafe path"):
        install_file(evil)
    two = tmp_path / "two.argosmodel"
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a/metadata.json", "{}")
        zf.writestr("b/metadata.json", "{}")
    with pytest.raises(ModelError, match="one top-level folder"):
        install_file(two)
    assert list(pkdir.iterdir()) == []


# --- choice of model -------------------------------------------------------------------


def test_versions_compare_numerically() -> None:
    assert version_key("1.10") > version_key("1.9") > version_key("1.7")


def test_newest_installed_version_wins(package, pkdir: Path, unpacked19: Path) -> None:  # noqa: ANN001
    install_file(package("official", "1.9"))
    install_file(package("official", "1.7"))
    names = sorted(m.path.name for m in installed_models())
    assert names == ["translate-zh_en-1_7", "translate-zh_en-1_9"]
    assert find_model("zh", "en").version == "1.9"
    assert choose(installed_models()).path.name == "translate-zh_en-1_9"
    assert find_model("zh", "en", unpacked19).path == unpacked19  # --model overrides


def test_models_list_shows_what_run_uses(package, tmp_path: Path) -> None:  # noqa: ANN001
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk")}
    for version in ("1.9", "1.7"):
        assert cli("models", "install", "--file", str(package("official", version)),
                   env=env).returncode == 0
    listed = json.loads(cli("models", "list", "--json", env=env).stdout)
    used = [m for m in listed["installed"] if m["used_by_run"]]
    assert [m["version"] for m in used] == ["1.9"]
    assert listed["used_by_run"].endswith("translate-zh_en-1_9")
    text = cli("models", "list", env=env).stdout
    assert "run` uses translate-zh_en 1.9" in " ".join(text.split())
    # A broken folder left by another tool is shown, not used.
    broken = tmp_path / "pk" / "translate-zh_en-2_0"
    broken.mkdir()
    (broken / "model").mkdir()
    (broken / "metadata.json").write_text('{"package_version": "2.0", "from_code": "zh", '
                                          '"to_code": "en"}', encoding="utf-8")
    listed = json.loads(cli("models", "list", "--json", env=env).stdout)
    assert listed["used_by_run"].endswith("translate-zh_en-1_9")
    assert [u["path"] for u in listed["unusable"]] == [str(broken)]


def test_model_id_does_not_depend_on_a_name(unpacked19: Path) -> None:
    info = info_from_folder(unpacked19)
    assert info.id == info_from_folder(unpacked19).id
    assert "translate-zh_en" not in info.id and "zh-en@1.9#" in info.id


# --- install zh-en from an index over HTTP (loopback) ---------------------------------


@pytest.fixture
def index_server(tmp_path: Path, package):  # noqa: ANN001, ANN201
    """A loopback HTTP server serving an argospm-style index.json and two replicas."""
    root = tmp_path / "www"
    root.mkdir()
    for version in ("1.7", "1.9"):
        src = package("official", version)
        (root / f"translate-zh_en-{version.replace('.', '_')}.argosmodel").write_bytes(
            src.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def write_index(links: dict[str, list[str]]) -> str:
        entries = [{"code": "translate-zh_en", "package_version": version,
                    "argos_version": "1.9.0", "from_code": "zh", "from_name": "Chinese",
                    "to_code": "en", "to_name": "English", "links": version_links}
                   for version, version_links in links.items()]
        entries.append({"code": "translate-en_zh", "package_version": "1.9", "from_code": "en",
                        "to_code": "zh", "links": [base + "nothing.argosmodel"]})
        (root / "index.json").write_text(json.dumps(entries), encoding="utf-8")
        return base

    yield write_index, base
    server.shutdown()
    server.server_close()


def _no_proxy() -> dict[str, str]:
    return {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def test_install_zh_en_downloads_the_newest_from_the_index(index_server, tmp_path: Path) -> None:  # noqa: ANN001
    write_index, base = index_server
    write_index({"1.7": [base + "translate-zh_en-1_7.argosmodel"],
                 "1.9": [base + "translate-zh_en-1_9.argosmodel"]})
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk"), "ARGOS_PACKAGE_INDEX": base,
           "COLUMNS": "120", **_no_proxy()}
    result = cli("models", "install", "zh-en", env=env)
    assert result.returncode == 0, result.stderr
    assert "Downloading zh-en" in result.stderr  # the progress bar
    assert "translate-zh_en 1.9" in result.stdout
    assert [p.name for p in (tmp_path / "pk").iterdir()] == ["translate-zh_en-1_9"]


def test_install_from_index_reports_progress(index_server, pkdir: Path,  # noqa: ANN001
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from argostranslate import settings

    write_index, base = index_server
    write_index({"1.9": [base + "translate-zh_en-1_9.argosmodel"]})
    monkeypatch.setattr(settings, "remote_package_index", base + "index.json")
    for k, v in _no_proxy().items():
        monkeypatch.setenv(k, v)
    seen: list[tuple[int, int]] = []
    info = install_from_index("zh", "en", lambda done, total: seen.append((done, total)))
    assert info.version == "1.9"
    size = (pkdir.parent / "www" / "translate-zh_en-1_9.argosmodel").stat().st_size
    assert seen[-1] == (size, size) and len(seen) >= 1


def test_index_link_without_scheme_is_one_clear_line(index_server, tmp_path: Path) -> None:  # noqa: ANN001
    write_index, base = index_server
    write_index({"1.9": ["example.org/translate-zh_en-1_9.argosmodel"]})
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk"), "ARGOS_PACKAGE_INDEX": base,
           **_no_proxy()}
    line = one_line_error(cli("models", "install", "zh-en", env=env))
    assert "http://" in line and "example.org" in line
    assert not list((tmp_path / "pk").iterdir())


# --- tokenizing like the model was built ------------------------------------------------


def test_join_pieces_never_leaves_the_marker() -> None:
    assert join_pieces(["▁We", "▁have", "▁re", "placed", "▁it", "."]) == "We have replaced it."
    assert join_pieces(["▁", "<0xE2>", "<0x82>", "<0xAC>", "5"]) == "€5"
    assert "▁" not in join_pieces(["▁▁", "a", "▁"])


def test_official_replica_engine(unpacked19: Path) -> None:
    info = info_from_folder(unpacked19)
    engine = Engine(info, SHORT)
    pieces = engine.tokenize("我们的店铺被停用。")
    assert pieces and pieces[-1] != "</s>"  # CTranslate2 adds it (add_source_eos)
    out = engine.translate(["我们的店铺被停用。", "退货率下降了。"])
    assert len(out) == 2 and all(o and "▁" not in o for o in out), out
    assert engine.decode == {"beam_size": 2, "length_penalty": ARGOS_DECODE["length_penalty"],
                             "max_decoding_length": 6}


def test_model_in_a_chinese_folder(work: Path, unpacked19: Path) -> None:
    """Windows with a Chinese user name: model files are read as bytes, not opened by path."""
    import shutil

    copy = work / "模型 文件夹" / unpacked19.name
    if not copy.exists():
        shutil.copytree(unpacked19, copy)
    info = info_from_folder(copy)
    out = Engine(info, SHORT).translate(["我们的店铺被停用。"])
    assert out[0] and "▁" not in out[0]


def test_old_package_replica_is_what_ctranslate2_2_wrote(package) -> None:  # noqa: ANN001
    """The txt-vocab variant is a real CTranslate2 2.24.0 conversion (tests/data/replica-ct2v2,
    made by its make.py), packaged in the official layout: no config.json."""
    top = "translate-zh_en-1_1"
    with zipfile.ZipFile(package("txt-vocab", "1.1")) as zf:
        names = set(zf.namelist())
        meta = json.loads(zf.read(f"{top}/metadata.json"))
        header = zf.read(f"{top}/model/model.bin")[:4]
    assert {n.split("/")[0] for n in names} == {top}
    for name in ("README.md", "sentencepiece.model", "model/model.bin",
                 "model/shared_vocabulary.txt", "stanza/"):
        assert f"{top}/{name}" in names
    assert not {f"{top}/model/config.json", f"{top}/model/shared_vocabulary.json"} & names
    assert set(meta) == OFFICIAL_FIELDS and meta["package_version"] == "1.1"
    # model.bin binary version 5 is what CTranslate2 2.x writes (4.x writes 6).
    assert int.from_bytes(header, "little") == 5


def _score(translator, tokens: list[str]) -> float:  # noqa: ANN001
    result = translator.translate_batch([tokens], beam_size=1, max_decoding_length=4,
                                        return_scores=True)
    return result[0].scores[0]


def test_model_bin_flag(work: Path, unpacked19: Path) -> None:
    assert model_bin_flag(replicas.CT2V2_REPLICA / "model" / "model.bin",
                          "with_source_eos") is True
    assert model_bin_flag(replicas.CT2V2_REPLICA / "model" / "model.bin", "pre_norm") is False
    assert model_bin_flag(replicas.CT2V2_REPLICA / "model" / "model.bin", "nothing") is None
    assert model_bin_flag(unpacked19 / "model" / "model.bin", "with_source_eos") is None  # v6
    junk = work / "junk.bin"
    junk.write_bytes(b"\x05\x00\x00\x00\xff")
    assert model_bin_flag(junk, "with_source_eos") is None


def test_old_package_gets_eos_exactly_once(work: Path, package, opus_dir: Path) -> None:  # noqa: ANN001
    """A CTranslate2 2.24 OPUS-MT model.bin carries ``with_source_eos`` and CTranslate2 4.x
    obeys it (adds "</s>" itself), config.json or not: the engine must add none. Proven
    against the same weights converted by today's converter with add_source_eos false
    (a model that sees exactly what it is sent)."""
    import ctranslate2

    info = info_from_folder(replicas.unpack(package("txt-vocab", "1.1"), work / "unpacked-1.1"))
    assert (info.ct2_dir / "shared_vocabulary.txt").is_file()
    assert not (info.ct2_dir / "config.json").exists() and not info.add_source_eos
    engine = Engine(info, SHORT)
    text = "我们的店铺被停用。"
    pieces = engine.sp.encode(text, out_type=str)
    assert engine.tokenize(text) == pieces
    ref_dir = work / "ct2v2-reference"
    if not ref_dir.exists():
        replicas.convert_opus_mt(opus_dir, ref_dir)
        config = json.loads((ref_dir / "config.json").read_text(encoding="utf-8"))
        config["add_source_eos"] = False
        (ref_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if vocabulary(ref_dir) != vocabulary(info.ct2_dir):
        pytest.skip("tests/data/replica-ct2v2 no longer matches build_opus_mt_dir "
                    "(another SentencePiece?): rerun its make.py")
    ref = ctranslate2.Translator(str(ref_dir), device="cpu")
    sent = _score(engine.translator, engine.tokenize(text))
    assert sent == pytest.approx(_score(ref, [*pieces, "</s>"]), abs=1e-4)  # one </s>
    assert sent != pytest.approx(_score(ref, pieces), abs=1e-4)
    assert sent != pytest.approx(_score(ref, [*pieces, "</s>", "</s>"]), abs=1e-4)
    out = engine.translate([text, "退货率从2.8%下降到1%。"])
    assert len(out) == 2 and all(o and "▁" not in o for o in out), out


@pytest.mark.slow
def test_old_package_installed_and_run_on_the_sample(package, tmp_path: Path) -> None:  # noqa: ANN001
    """An older official package (CTranslate2 2.24.0 model.bin, shared_vocabulary.txt, no
    config.json) installed with the CLI, chosen by `run`, the sample translated."""
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk")}
    result = cli("models", "install", "--file", str(package("txt-vocab", "1.1")), env=env)
    assert result.returncode == 0, result.stderr
    assert "translate-zh_en 1.1" in result.stdout
    listed = json.loads(cli("models", "list", "--json", env=env).stdout)
    assert listed["used_by_run"].endswith("translate-zh_en-1_1")
    assert not listed["unusable"]
    out = tmp_path / "out"
    result = cli("run", str(SAMPLE), "--out", str(out), "--max-length", "8", "--grammar",
                 "none", "--json", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["model"].startswith("translate-zh_en 1.1") and not summary["demo_model"]
    assert summary["counts"]["failed"] == 0
    report = json.loads((out / "draft_zh.report.json").read_text(encoding="utf-8"))
    assert "▁" not in json.dumps(report, ensure_ascii=False)
    assert "translate-zh_en 1.1" in json.dumps(report, ensure_ascii=False)
    for name in ("draft_zh.en.docx", "draft_zh.review.docx"):
        assert "▁" not in _docx_text(out / name)


def test_eos_rule_without_config_json(work: Path, unpacked19: Path) -> None:
    """Neither config.json nor a with_source_eos flag in model.bin (conversions older than
    the flag; the folder description only: no such real conversion here): a Marian
    vocabulary (first token "</s>") means an OPUS-MT model trained with </s>; OpenNMT-py's
    ("<unk>" first) without."""
    import shutil

    copy = work / "no-config" / unpacked19.name
    if not copy.exists():
        shutil.copytree(unpacked19, copy)
        (copy / "model" / "config.json").unlink()
    assert info_from_folder(copy).add_source_eos
    vocab = copy / "model" / "shared_vocabulary.json"
    tokens = json.loads(vocab.read_text(encoding="utf-8"))
    vocab.write_text(json.dumps(["<unk>", "<blank>", "<s>", *tokens[2:], "</s>"]),
                     encoding="utf-8")
    assert not info_from_folder(copy).add_source_eos


def test_demo_keeps_its_own_decoding_and_no_eos() -> None:
    info = demo_model()
    assert not info.add_source_eos  # its config.json says the model was trained without
    engine = Engine(info)
    assert engine.decode == {"beam_size": 4, "length_penalty": 0.0, "max_decoding_length": 256}
    assert Engine(info, EngineSettings(beam_size=1, length_penalty=0.5)).decode["beam_size"] == 1


def test_package_decode_object_is_used(work: Path, unpacked19: Path) -> None:
    import shutil

    copy = work / "decode-copy" / unpacked19.name
    if not copy.exists():
        shutil.copytree(unpacked19, copy)
        meta = json.loads((copy / "metadata.json").read_text(encoding="utf-8"))
        meta["decode"] = {"beam_size": 3, "length_penalty": 0.0, "max_decoding_length": 5}
        (copy / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    engine = Engine(info_from_folder(copy))
    assert engine.decode == {"beam_size": 3, "length_penalty": 0.0, "max_decoding_length": 5}
    assert Engine(info_from_folder(unpacked19)).decode == ARGOS_DECODE


def test_qa_flags_a_leftover_marker() -> None:
    notes = run_checks("我们已更换质检团队。", "We have▁replaced the team.")
    assert any(n.code == "spm-marker" for n in notes), notes
    assert not any(n.code == "spm-marker"
                   for n in run_checks("我们已更换质检团队。", "We have replaced the team."))


# --- other CTranslate2 models: OPUS-MT, NLLB-200, M2M-100 folders -------------------------


@pytest.mark.parametrize(("kind", "joint"), [("opus-mt", True), ("opus-mt", False)])
def test_opus_mt_folder(work: Path, kind: str, joint: bool) -> None:
    folder = replicas.build_ct2_folder(work / f"f-{joint}", kind, joint=joint)
    info = find_model("zh", "en", folder)
    assert info.kind == "opus-mt" and info.source_spm == folder / "source.spm"
    engine = Engine(info, SHORT)
    assert engine.tokenize("我们")[-1] != "</s>"  # config.json: add_source_eos true
    out = engine.translate(["我们的店铺被停用。"])[0]
    assert out and "▁" not in out


@pytest.mark.parametrize(("kind", "src", "tgt"), [("nllb", "zho_Hans", "eng_Latn"),
                                                  ("m2m100", "__zh__", "__en__")])
def test_multilingual_folders(work: Path, kind: str, src: str, tgt: str) -> None:
    folder = replicas.build_ct2_folder(work / f"m-{kind}", kind)
    info = info_from_folder(folder)  # detected from its files
    assert (info.kind, info.source_prefix, info.target_prefix) == (kind, (src,), tgt)
    engine = Engine(info, SHORT)
    pieces = engine.tokenize("我们的店铺")
    assert pieces[0] == src and pieces[-1] == "</s>"
    out = engine.translate(["我们的店铺被停用。", "退货率下降了。"])
    assert all(o and tgt not in o and "▁" not in o for o in out), out


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "src", "tgt"), [("nllb", "zho_Hans", "eng_Latn"),
                                                  ("m2m100", "__zh__", "__en__")])
def test_folders_from_the_transformers_converter(work: Path, kind: str, src: str,
                                                 tgt: str) -> None:
    """The same, on folders made by ct2-transformers-converter from a tiny Hugging Face
    model with its real tokenizer (optional extra: transformers < 5 + CPU torch)."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    if int(transformers.__version__.split(".")[0]) >= 5:
        pytest.skip("the replica builder needs transformers < 5 (tokenizer classes changed)")
    folder = replicas.build_hf_ct2_folder(work / f"hf-{kind}", kind)
    info = info_from_folder(folder)
    assert (info.kind, info.source_prefix, info.target_prefix) == (kind, (src,), tgt)
    engine = Engine(info, SHORT)
    # What the Hugging Face tokenizer feeds the model: language token, pieces, </s>.
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(folder.parent / f"hf-{kind}-model"))
    hf.src_lang = src.strip("_") if kind == "m2m100" else src
    text = "我们的店铺被停用。"
    assert engine.tokenize(text) == hf.convert_ids_to_tokens(hf(text).input_ids)
    out = engine.translate([text, "退货率下降了。"])
    assert all(o and tgt not in o and "▁" not in o for o in out), out


def test_description_file_and_undetectable_folder(work: Path) -> None:
    folder = replicas.build_ct2_folder(work / "described", "opus-mt", describe=True)
    info = info_from_folder(folder)
    assert (info.name, info.version) == ("opus-mt-zh-en (replica)", "2020-07")
    bare = work / "bare"
    bare.mkdir(exist_ok=True)
    (bare / "model.bin").write_bytes((folder / "model.bin").read_bytes())
    with pytest.raises(ModelError, match="pipeline-model.json"):
        info_from_folder(bare)


# --- engine options, --device ----------------------------------------------------------


@pytest.mark.parametrize(("args", "word"), [
    (["--batch-size", "-1"], "--batch-size"), (["--batch-tokens", "-5"], "--batch-tokens"),
    (["--intra-threads", "-1"], "--intra-threads"), (["--beam-size", "0"], "--beam-size"),
    (["--compute-type", "bogus"], "--compute-type"), (["--device", "tpu"], "--device"),
])
def test_bad_engine_options_are_refused_before_any_work(tmp_path: Path, args: list[str],
                                                        word: str) -> None:
    result = cli("run", str(SAMPLE), "--out", str(tmp_path), *args)
    line = one_line_error(result)
    assert word in line
    assert not re.search(r"[\u4e00-\u9fff]", result.stdout + result.stderr)  # no document text
    assert list(tmp_path.iterdir()) == []


def test_batch_checks_engine_options_first(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.docx").write_bytes(SAMPLE.read_bytes())
    line = one_line_error(cli("batch", str(src), "--out", str(tmp_path / "out"),
                              "--batch-size", "-1"))
    assert "--batch-size" in line and not (tmp_path / "out").exists()


def test_device_auto_falls_back_to_cpu() -> None:
    import ctranslate2

    gpus = ctranslate2.get_cuda_device_count()
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if gpus else "cpu")
    if gpus == 0:
        with pytest.raises(ModelError, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(InputError):
        resolve_device("tpu")
    assert Engine(demo_model(), EngineSettings(device="auto")).device == resolve_device("auto")


def test_device_cuda_without_gpu_is_one_line(tmp_path: Path) -> None:
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a CUDA GPU is present")
    line = one_line_error(cli("run", str(SAMPLE), "--out", str(tmp_path), "--device", "cuda",
                              "--grammar", "none"))
    assert "--device cuda" in line


# --- the sample on the 1.9 replica, end to end -------------------------------------------


def _docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    for s in d.sections:
        parts += [p.text for p in s.header.paragraphs]
    return "\n".join(parts)


@pytest.mark.slow
def test_run_sample_on_the_19_replica(unpacked19: Path, tmp_path: Path) -> None:
    result = cli("run", str(SAMPLE), "--model", str(unpacked19), "--out", str(tmp_path),
                 "--max-length", "8", "--grammar", "none", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["model"].startswith("translate-zh_en 1.9") and not summary["demo_model"]
    report = json.loads((tmp_path / "draft_zh.report.json").read_text(encoding="utf-8"))
    assert "▁" not in json.dumps(report, ensure_ascii=False)
    assert "translate-zh_en" in json.dumps(report, ensure_ascii=False)
    for name in ("draft_zh.en.docx", "draft_zh.review.docx"):
        assert "▁" not in _docx_text(tmp_path / name)
    assert "translate-zh_en 1.9" in _docx_text(tmp_path / "draft_zh.review.docx")


def test_a_gpu_ctranslate2_cannot_use(monkeypatch, tmp_path: Path) -> None:
    """Seen on a real GPU machine with CUDA 13 only: PyPI's CTranslate2 sees the GPU but
    cannot load CUDA 12's cuBLAS, and every sentence failed with exit 0. Here (no GPU) the
    device count is made to say 1, so CTranslate2's own GPU load fails for real."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a usable GPU is present: this test needs one CTranslate2 cannot use")
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)
    engine = Engine(demo_model(), EngineSettings(device="auto"))
    assert engine.device == "cpu" and "cannot use it" in engine.device_note
    assert all(engine.translate(["我们已经更换了物流供应商。"]))
    with pytest.raises(ModelError, match="--device cuda: CTranslate2 cannot use the GPU"):
        Engine(demo_model(), EngineSettings(device="cuda"))
    from typer.testing import CliRunner

    from pipeline.cli import app

    # --batch-size 15: settings no earlier test used, so the process-wide engine is new.
    r = CliRunner().invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path), "--grammar",
                                 "none", "--device", "auto", "--batch-size", "15", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["counts"]["failed"] == 0
    assert [n["code"] for n in summary["document_notes"]].count("gpu-unusable") == 1
