"""The LanguageTool backend against a loopback stub server.

This checks the wiring (our client code, UTF-16 offsets, the short timeout, the fallback to
Harper), NOT LanguageTool itself: the stub below answers GET /v2/languages and POST
/v2/check with canned matches, the way a real server formats them, and the real
language-tool-python client talks to it over HTTP.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.document import Block, Document, Segment, Severity
from pipeline.grammar import (
    BackendUnavailable,
    GrammarStep,
    LanguageToolBackend,
    index_to_utf16,
    polish_text,
    utf16_to_index,
)


def _match(text: str, word: str, repl: str, rule: str, issue: str, cat: str) -> dict:
    """A /v2/check match for ``word`` in ``text``; offsets in UTF-16 units, as LT sends."""
    i = text.index(word)
    off = len(text[:i].encode("utf-16-le")) // 2
    length = len(word.encode("utf-16-le")) // 2
    return {"message": f"{rule} says so", "replacements": [{"value": repl}], "offset": off,
            "length": length, "context": {"text": text, "offset": off, "length": length},
            "sentence": text, "rule": {"id": rule, "issueType": issue, "category": {"id": cat}}}


class Stub(BaseHTTPRequestHandler):
    mode = "ok"  # "ok", "broken" (500 + not JSON), "slow" (sleeps past the timeout)
    requests: list[dict] = []

    def log_message(self, *args: object) -> None:  # keep pytest output quiet
        pass

    def _json(self, obj: object, status: int = 200) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._json([{"name": "English (US)", "code": "en", "longCode": "en-US"}])

    def do_POST(self) -> None:
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        Stub.requests.append(form)
        if Stub.mode == "slow":
            time.sleep(1.5)
        if Stub.mode == "broken":
            self.send_response(500)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"oops!")
            return
        text = form["text"][0]
        matches = []
        if "the the" in text:
            matches.append(_match(text, "the the", "the", "ENGLISH_WORD_REPEAT_RULE",
                                  "duplication", "MISC"))
        if "very unique" in text:
            matches.append(_match(text, "very unique", "unique", "EN_VERY_UNIQUE", "style",
                                  "STYLE"))
        self._json({"software": {"name": "Stub"}, "matches": matches})


@pytest.fixture()
def server() -> Iterator[str]:
    Stub.mode, Stub.requests = "ok", []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def test_findings_and_utf16_offsets(server: str) -> None:
    backend = LanguageToolBackend(server, timeout=2)
    text = "😀𝐀 We checked the the 😀 orders, a very unique case."
    findings = backend.check(text)
    assert [(f.rule, text[f.start:f.end]) for f in findings] == [
        ("ENGLISH_WORD_REPEAT_RULE", "the the"), ("EN_VERY_UNIQUE", "very unique")]
    assert findings[0].auto and findings[0].replacements == ["the"]
    assert not findings[1].auto and findings[1].category == "style"
    assert Stub.requests[-1]["language"] == ["en-US"]


def test_step_applies_allowed_rules_and_notes_the_rest(server: str) -> None:
    step = GrammarStep("languagetool", server)
    text, changes, notes = polish_text("😀 We has checked the the orders, a very unique case.",
                                       step=step)
    assert text == "😀 We have checked the orders, a very unique case."
    assert "languagetool:ENGLISH_WORD_REPEAT_RULE" in {c.rule for c in changes}
    assert [n.code for n in notes] == ["grammar-style"]
    assert step.describe().startswith(f"languagetool (server {server}/")
    assert step.fallback is None


def test_client_timeout_is_short(server: str) -> None:
    backend = LanguageToolBackend(server, timeout=3)
    assert backend._tool._TIMEOUT == 3
    import language_tool_python

    assert language_tool_python.LanguageTool._TIMEOUT == 300  # the library's class untouched


def test_fallback_when_the_port_is_closed() -> None:
    t0 = time.perf_counter()
    step = GrammarStep("languagetool", closed_port_url(), timeout=1)
    b = Block(id="body/p0", story="body", text="x")
    b.segments = [Segment(id="body/p0#0", block_id="body/p0", index=0, source="源",
                          target="We has checked the orders.")]
    doc = step(Document(path=Path("x.docx"), blocks=[b]))
    # Generous (a busy machine): it catches a hang on the library's 300 s timeout.
    assert time.perf_counter() - t0 < 60
    assert doc.segments[0].target == "We have checked the orders."
    assert doc.run.grammar.startswith("harper (harper-py ")
    assert "LanguageTool unavailable" in doc.run.grammar
    assert "cannot connect (connection refused)" in doc.run.grammar
    assert [n.code for n in doc.notes] == ["grammar-fallback"]
    assert doc.notes[0].severity is Severity.WARNING


def test_fallback_when_the_server_breaks_mid_run(server: str) -> None:
    step = GrammarStep("languagetool", server, timeout=2)
    first, _, notes = polish_text("We checked the the orders.", step=step)
    assert first == "We checked the orders." and step.fallback is None
    Stub.mode = "broken"
    text, changes, notes = polish_text("Rcently we checked manycases.", step=step)
    assert text == "Recently we checked many cases."  # Harper did it
    assert notes[0].code == "grammar-fallback"
    assert step.backend.name == "harper" and "LanguageTool unavailable" in step.describe()


def test_fallback_on_timeout(server: str) -> None:
    step = GrammarStep("languagetool", server, timeout=0.5)
    assert step.backend.name == "languagetool"
    Stub.mode = "slow"
    t0 = time.perf_counter()
    text, _, notes = polish_text("We checked the the orders.", step=step)
    # The fallback note proves the 0.5 s timeout fired; the bound (generous for a busy
    # machine) catches a hang on the library's 300 s default instead.
    assert time.perf_counter() - t0 < 60
    assert notes[0].code == "grammar-fallback" and step.backend.name == "harper"


def test_no_url_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_LANGUAGETOOL_URL", raising=False)
    step = GrammarStep("languagetool")
    assert step.backend.name == "harper"
    assert "no server URL" in (step.fallback or "")
    with pytest.raises(BackendUnavailable, match="not an http"):
        LanguageToolBackend("localhost:8081")


def test_url_from_the_environment(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_LANGUAGETOOL_URL", server)
    step = GrammarStep("languagetool")
    assert step.backend.name == "languagetool" and step.fallback is None


def test_utf16_conversion() -> None:
    text = "a😀b𝐀c"
    assert [index_to_utf16(text, i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 7]
    assert [utf16_to_index(text, u) for u in (0, 1, 3, 4, 6, 7)] == [0, 1, 2, 3, 4, 5]
    assert utf16_to_index("plain", 3) == 3
