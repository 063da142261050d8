"""LibreTranslate as the engine, tested against the REAL server (libretranslate from PyPI).

The servers are started on 127.0.0.1 by these tests from the LibreTranslate virtual
environment that `.ci/run` installs (`.venv-lt`), with the project's demo package; the
only part of LibreTranslate replaced is its sentence splitter, whose model download
fails offline (see tests/lt_offline.py). Tests that need the server skip without it.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from pathlib import Path

import docx
import pytest
from libretranslate_server import LibreTranslateServer, free_port, lt_python, packages_dir
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import EngineError, InputError
from pipeline.libretranslate import (
    LibreTranslateEngine,
    RemoteSettings,
    fix_quirks,
    split_for_limit,
)

needs_server = pytest.mark.skipif(
    lt_python() is None and not os.environ.get("PIPELINE_REQUIRE_SERVERS"),
    reason="LibreTranslate is not installed (.ci/run makes .venv-lt; or set PIPELINE_LT_PYTHON)")

SENTENCES = ["我们的店铺因订单缺陷率过高被停用。", "我们已经联系了所有买家并全额退款。",
             "卖家ID：A2XK9LMN3OP4QR", "我们将每周检查库存。", "我们对此深表歉意。",
             "我们已经更换了物流供应商。"]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return packages_dir(tmp_path_factory.mktemp("lt"))


@pytest.fixture(scope="module")
def server(packages: Path):
    s = LibreTranslateServer(packages)
    yield s
    s.close()


@pytest.fixture(scope="module")
def server2(packages: Path):
    s = LibreTranslateServer(packages)
    yield s
    s.close()


def _raw(url: str, q: object) -> object:
    import urllib.request

    body = json.dumps({"q": q, "source": "zh", "target": "en", "format": "text"}).encode()
    req = urllib.request.Request(f"{url}/translate", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["translatedText"]


# ------------------------------------------------------------------ without a server

def test_fix_quirks_restores_case_and_full_stop() -> None:
    assert fix_quirks("卖家ID：A2XK9LMN3OP4QR", "SELLER ID: A2XK9LMN3OP4QR") == \
        "Seller ID: A2XK9LMN3OP4QR"
    assert fix_quirks("我们的listing被删除了。", "our listing was removed, i think。") == \
        "Our listing was removed, I think."
    # Mixed case is the engine's own: left alone (apart from the full stop).
    assert fix_quirks("我们很抱歉。", "We are sorry。") == "We are sorry."
    assert fix_quirks("B0ABCDEFGH", "B0ABCDEFGH") == "B0ABCDEFGH"  # no Chinese: untouched


def test_split_for_limit_cuts_at_clauses_then_by_length() -> None:
    text = "第一句很长，第二句也很长；第三句" + "长" * 30
    pieces, owners = split_for_limit(["短句。", text], 12)
    assert all(len(p) <= 12 for p in pieces)
    assert "".join(p for p, o in zip(pieces, owners, strict=True) if o == 1) == text
    assert pieces[0] == "短句。" and owners[0] == 0
    assert pieces[1] == "第一句很长，"  # cut after the comma, not inside the clause


@pytest.mark.parametrize("url", ["file:///etc/passwd", "not a url", "ftp://127.0.0.1/x",
                                 "http://"])
def test_bad_urls_are_usage_errors(url: str, sample_zh: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path),
                                 "--engine", "libretranslate", "--engine-url", url])
    assert r.exit_code == 2
    assert "--engine-url" in r.output and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())


def test_engine_needs_a_url_and_a_known_name(sample_zh: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path),
                                 "--engine", "libretranslate"])
    assert r.exit_code == 2 and "needs at least one --engine-url" in r.output
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path),
                                 "--engine", "deepl"])
    assert r.exit_code == 2 and "unknown engine 'deepl'" in r.output


def test_dead_server_is_one_line_naming_the_host(sample_zh: Path, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path),
                                 "--engine", "libretranslate",
                                 "--engine-url", f"http://127.0.0.1:{port}"])
    assert r.exit_code == 2
    assert f"127.0.0.1:{port}" in r.output and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``target`` and records what it got."""

    target = ""
    bodies: list[bytes] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        _Recorder.bodies.append(self.rfile.read(length) if length else b"")
        if self.path.startswith("/languages"):
            body = json.dumps([{"code": "zh", "name": "Chinese", "targets": ["en"]},
                               {"code": "en", "name": "English", "targets": ["zh"]}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(307)
        self.send_header("Location", _Recorder.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_redirects_are_not_followed() -> None:
    """The text goes only to the URL the user gave: a redirect elsewhere is an error."""
    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    first = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (elsewhere, first)]
    for t in threads:
        t.start()
    try:
        _Recorder.target = f"http://127.0.0.1:{elsewhere.server_address[1]}"
        _Recorder.bodies = []
        engine = LibreTranslateEngine([f"http://127.0.0.1:{first.server_address[1]}"])
        with pytest.raises(EngineError, match="not followed"):
            engine.translate(["我们的店铺被停用了。"])
        # Only the first server ever saw the sentence (once), nothing was re-sent.
        assert sum("店铺".encode() in b for b in _Recorder.bodies) == 1
    finally:
        for s in (elsewhere, first):
            s.shutdown()
            s.server_close()


def test_config_file_sets_the_engine_and_the_command_line_overrides(tmp_path: Path,
                                                                     sample_zh: Path,
                                                                     monkeypatch) -> None:
    port = free_port()
    (tmp_path / "pipeline.toml").write_text(
        f'engine = "libretranslate"\nengine_urls = ["http://127.0.0.1:{port}"]\n'
        'grammar = "none"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(out)])
    assert r.exit_code == 2 and f"127.0.0.1:{port}" in r.output  # the file's server was used
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(out), "--engine", "argos"])
    assert r.exit_code == 0, r.output  # the command line wins
    report = json.loads((out / "draft_zh.report.json").read_text(encoding="utf-8"))
    assert report["grammar"].startswith("none")  # and the file's other settings still apply


def test_config_file_errors_are_one_line(tmp_path: Path, sample_zh: Path) -> None:
    bad = tmp_path / "bad.toml"
    for text, message in [('engine = "x"', "must be one of"), ("colour = 1", "unknown setting"),
                          ("engine = [", "not valid TOML"), ("glossaries = 'a.tsv'", "list")]:
        bad.write_text(text, encoding="utf-8")
        r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path / "o"),
                                     "--config", str(bad)])
        assert r.exit_code == 2 and message in r.output, (text, r.output)
        assert "Traceback" not in r.output


def test_config_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    from pipeline.config import load_config

    folder = tmp_path / "团队设置"
    folder.mkdir()
    (folder / "pipeline.toml").write_text(
        'glossaries = ["terms.tsv"]\nmemory = "tm.sqlite"\n', encoding="utf-8")
    config = load_config(folder / "pipeline.toml")
    assert config.glossaries == (folder.resolve() / "terms.tsv",)
    assert config.memory == folder.resolve() / "tm.sqlite"
    assert load_config(None, cwd=tmp_path).path is None  # no file here: no settings


# ------------------------------------------------------------------ the real server

@needs_server
@pytest.mark.slow
def test_server_quirks_are_real_and_fixed(server: LibreTranslateServer) -> None:
    raw = _raw(server.url, ["卖家ID：A2XK9LMN3OP4QR", "我们很抱歉。"])
    letters = [c for c in raw[0] if c.isalpha()]
    assert letters and all(c.isupper() for c in letters)  # the server's ALL CAPS quirk
    assert raw[1].endswith("。")  # the copied Chinese full stop
    fixed = LibreTranslateEngine([server.url]).translate(["卖家ID：A2XK9LMN3OP4QR", "我们很抱歉。"])
    assert fixed[0] != raw[0] and not fixed[0].isupper() and fixed[0][0].isupper()
    assert fixed[1].endswith(".") and "。" not in fixed[1]


@needs_server
@pytest.mark.slow
def test_document_through_one_server(server: LibreTranslateServer, sample_zh: Path,
                                     tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path), "--engine",
                                 "libretranslate", "--engine-url", server.url, "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "draft_zh.report.json").read_text(encoding="utf-8"))
    assert report["model"]["name"] == "LibreTranslate"
    assert server.url in report["model"]["label"]
    [stats] = report["model"]["servers"]
    assert stats["url"] == server.url and stats["texts"] > 0
    translatable = [s for s in report["segments"] if s["translatable"]]
    assert translatable and all(s["origin"] == "machine" for s in translatable)
    assert not any(s["final"].rstrip().endswith("。") for s in translatable)
    header = "\n".join(p.text for p in docx.Document(
        str(tmp_path / "draft_zh.review.docx")).paragraphs[:12])
    assert server.url in header
    assert (tmp_path / "draft_zh.en.docx").is_file()


@needs_server
@pytest.mark.slow
def test_two_servers_share_the_work(server: LibreTranslateServer,
                                    server2: LibreTranslateServer) -> None:
    one = LibreTranslateEngine([server.url]).translate(SENTENCES * 3)
    engine = LibreTranslateEngine([server.url, server2.url], settings=RemoteSettings(
        batch_limit=2, in_flight=2))
    two = engine.translate(SENTENCES * 3)
    assert two == one  # the same model on both: the same English, in order
    assert all(s["texts"] > 0 for s in engine.stats())
    assert sum(s["texts"] for s in engine.stats()) == len(SENTENCES) * 3
    assert engine.info.id == LibreTranslateEngine([server2.url, server.url]).info.id


@needs_server
@pytest.mark.slow
def test_a_server_that_dies_mid_batch_leaves_the_work_to_the_other(
        packages: Path, server: LibreTranslateServer) -> None:
    doomed = LibreTranslateServer(packages)
    try:
        engine = LibreTranslateEngine([doomed.url, server.url], settings=RemoteSettings(
            batch_limit=1, in_flight=1, timeout_s=20))
        texts = [f"我们已经在{i}天内处理了这个问题。" for i in range(1, 41)]
        result: list[list[str]] = []
        worker = threading.Thread(target=lambda: result.append(engine.translate(texts)))
        worker.start()
        doomed_stats = next(s for s in engine.servers if s.url == doomed.url)
        end = time.monotonic() + 60
        while doomed_stats.requests < 1 and time.monotonic() < end:
            time.sleep(0.01)
        doomed.stop()  # mid-batch: it has answered, work is left
        worker.join(timeout=120)
        [english] = result
        assert len(english) == len(texts) and all(english)
        assert not doomed_stats.alive and doomed_stats.errors.get("unreachable")
        survivor = next(s for s in engine.servers if s.url == server.url)
        assert survivor.texts + doomed_stats.texts >= len(texts)
        assert survivor.texts > 0
    finally:
        doomed.close()


@needs_server
@pytest.mark.slow
def test_batch_over_two_servers_survives_a_stopped_one(
        packages: Path, server: LibreTranslateServer, sample_zh: Path, tmp_path: Path) -> None:
    import shutil

    src = tmp_path / "lib"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(sample_zh, src / f"{name}.docx")
    stopped = LibreTranslateServer(packages)
    stopped.stop()
    try:
        r = CliRunner().invoke(app, ["batch", str(src), "--out", str(tmp_path / "out"),
                                     "--no-memory", "--engine", "libretranslate",
                                     "--engine-url", stopped.url, "--engine-url", server.url,
                                     "--json"])
        assert r.exit_code == 0, r.output
        summary = json.loads(r.stdout)
        assert summary["totals"]["ok"] == 3
        servers = {s["url"]: s for s in summary["servers"]}
        assert not servers[stopped.url]["alive"] and servers[server.url]["texts"] > 0
        for name in ("a", "b", "c"):
            assert (tmp_path / "out" / f"{name}.en.docx").is_file()
    finally:
        stopped.close()


@needs_server
@pytest.mark.slow
def test_rate_limited_server_work_goes_to_the_other(packages: Path,
                                                    server: LibreTranslateServer) -> None:
    limited = LibreTranslateServer(packages, "--req-limit", "3")
    try:
        _raw(limited.url, "我们很抱歉。")  # loads its model (1 of its 3 requests a minute)
        # One text per request: the server's limiter counts requests.
        engine = LibreTranslateEngine([limited.url, server.url], settings=RemoteSettings(
            batch_limit=1, in_flight=1, backoff_s=0.05, deadline_s=120))
        english = engine.translate(SENTENCES * 2)
        assert all(english) and len(english) == len(SENTENCES) * 2
        stats = {s["url"]: s for s in engine.stats()}
        assert stats[limited.url]["errors"].get("429", 0) >= 1
        # Alone, the limited server cannot finish: a clear error within the deadline.
        alone = LibreTranslateEngine([limited.url], settings=RemoteSettings(
            batch_limit=1, backoff_s=0.05, deadline_s=3))
        with pytest.raises(EngineError, match="still untranslated"):
            alone.translate(SENTENCES * 2)
    finally:
        limited.close()


@needs_server
@pytest.mark.slow
def test_char_and_batch_limits_are_respected(packages: Path) -> None:
    small = LibreTranslateServer(packages, "--char-limit", "20", "--batch-limit", "2")
    try:
        long_text = "我们已经联系了所有买家，全额退款，并且更换了物流供应商，每周检查库存。"
        assert len(long_text) > 20
        engine = LibreTranslateEngine([small.url])
        english = engine.translate(SENTENCES + [long_text])
        assert len(english) == len(SENTENCES) + 1 and all(english)
        [stats] = engine.servers
        assert stats.char_limit == 20 and stats.batch_limit == 2  # announced / learned
    finally:
        small.close()


@needs_server
@pytest.mark.slow
def test_api_key_required(packages: Path, sample_zh: Path, tmp_path: Path,
                          monkeypatch) -> None:
    keyed = LibreTranslateServer(packages, api_keys=True)
    secret = "team-secret-4f9a2c"
    try:
        keyed.add_api_key(secret)
        with pytest.raises(EngineError, match="API key"):
            LibreTranslateEngine([keyed.url]).translate(["我们很抱歉。"])
        with pytest.raises(EngineError, match="Invalid API key"):
            LibreTranslateEngine([keyed.url], api_key="wrong").translate(["我们很抱歉。"])
        assert all(LibreTranslateEngine([keyed.url], api_key=secret).translate(SENTENCES))
        monkeypatch.setenv("PIPELINE_API_KEY", secret)
        r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path), "--engine",
                                     "libretranslate", "--engine-url", keyed.url])
        assert r.exit_code == 0, r.output
        assert secret not in r.output
        for f in tmp_path.iterdir():  # never written anywhere
            assert secret.encode() not in f.read_bytes(), f
        monkeypatch.delenv("PIPELINE_API_KEY")
        r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path / "x"),
                                     "--engine", "libretranslate", "--engine-url", keyed.url])
        assert r.exit_code == 2 and "API key" in r.output and "Traceback" not in r.output
    finally:
        keyed.close()


@needs_server
@pytest.mark.slow
def test_memory_keys_entries_by_the_server(server: LibreTranslateServer, sample_zh: Path,
                                           tmp_path: Path) -> None:
    from pipeline.memory import TranslationMemory

    tm = tmp_path / "tm.sqlite"
    r = CliRunner().invoke(app, ["run", str(sample_zh), "--out", str(tmp_path / "o"),
                                 "--engine", "libretranslate", "--engine-url", server.url,
                                 "--memory", str(tm)])
    assert r.exit_code == 0, r.output
    memory = TranslationMemory(tm)
    try:
        models = memory.stats()["models"]
    finally:
        memory.close()
    [model] = models
    assert model.startswith(f"libretranslate:{server.url}#")


def test_engine_error_without_server_is_a_pipeline_error() -> None:
    with pytest.raises(InputError):
        LibreTranslateEngine([])
