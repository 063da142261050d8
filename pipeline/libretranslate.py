"""LibreTranslate as the translation engine: one client over one or several servers.

A team runs LibreTranslate (the server built on the same Argos models) on a shared box
and points the pipeline at it with ``--engine libretranslate --engine-url URL`` (repeat
the option for several servers). Everything else (glossary, grammar, memory, QA, review)
is unchanged: this class has the engine's interface, ``translate(texts) -> texts``.

Measured with libretranslate 1.9.6: a server translates a list one text after another,
so the client keeps several requests in flight per server and spreads the texts over all
servers (50 sentences: 3.5 s as one list, 3.3 s with 4 requests in flight, and N servers
divide that again). Requests are lists sized to the server's limits; 429 and 5xx answers
are retried with backoff inside a total deadline; a server that does not answer is
dropped and its work goes to the others.

Privacy: a document's text is only ever sent to a URL the user gave; redirects are not
followed. The API key is sent in the request body and never printed or reported.

Output quirks fixed here (``fix_quirks``): a trailing Chinese full stop copied onto the
English, and English that comes back ALL IN CAPITALS (or all lower-case) when the
source's only Latin letters were capitals (lower-case).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .cjk import has_chinese
from .errors import EngineError, InputError

SOURCE_CODES = ("zh-Hans", "zh", "zh-CN")  # what LibreTranslate versions call Chinese
TARGET_CODE = "en"
_LIMIT_RE = re.compile(r"\((\d+)\) exceeds text limit \((\d+)\)")
_CLAUSE_END_RE = re.compile(r"(?<=[。！？；!?;，,、])")
_STATS_LOCK = threading.Lock()


@dataclass(frozen=True)
class RemoteSettings:
    """How the client talks to the servers; the defaults suit a small team's server."""

    in_flight: int = 4  # requests in flight per server (measured: 4 ~ 2x one at a time)
    batch_limit: int = 16  # texts per request until a server says it takes fewer
    timeout_s: float = 60.0  # one request
    deadline_s: float = 900.0  # one translate() call, retries included
    retries: int = 4  # per piece of work, for 429 and 5xx answers
    backoff_s: float = 0.5  # first wait; doubles on each retry, capped at 8 s


@dataclass(frozen=True)
class RemoteModelInfo:
    """What the pipeline reports and keys its memory by for a LibreTranslate engine.

    LibreTranslate exposes no model version, so the identity is the servers' URLs plus a
    hash of their ``/languages`` answer (it changes when the installed models change).
    """

    urls: tuple[str, ...]
    languages_hash: str
    from_code: str = "zh"
    to_code: str = "en"
    demo: bool = False
    version: str = ""

    @property
    def name(self) -> str:
        return "LibreTranslate"

    @property
    def path(self) -> str:
        return " ".join(self.urls)

    @property
    def label(self) -> str:
        servers = ", ".join(self.urls)
        return f"LibreTranslate at {servers} (zh->en, languages {self.languages_hash})"

    @property
    def id(self) -> str:
        return f"libretranslate:{','.join(sorted(self.urls))}#{self.languages_hash}"


@dataclass
class ServerStats:
    """Per-server counts for the summary and the report."""

    url: str
    requests: int = 0
    texts: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    alive: bool = True
    last_error: str = ""
    char_limit: int = -1  # -1: none announced
    batch_limit: int = 0  # 0: not learned yet (the client's default applies)

    def error(self, kind: str, detail: str) -> None:
        with _STATS_LOCK:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.last_error = detail

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "requests": self.requests, "texts": self.texts,
                "errors": dict(self.errors), "alive": self.alive}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError(3xx): text never goes elsewhere


class _HttpError(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class _Unreachable(Exception):
    pass


def check_url(url: str) -> str:
    """A server URL must be http(s)://host[:port][/path]; returns it without a trailing /."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"--engine-url {url!r}: not an http(s) URL "
                         "(e.g. http://127.0.0.1:5000)")
    try:
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InputError(f"--engine-url {url!r}: bad port") from None
    return url.strip().rstrip("/")


def host_of(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    return f"{parsed.hostname}:{parsed.port}" if parsed.port else str(parsed.hostname)


@dataclass
class _Job:
    indices: list[int]
    attempts: int = 0


class _Run:
    """One translate() call: the work queue, the results and how the call ends."""

    def __init__(self, pieces: list[str], batch_limit: int, deadline_s: float) -> None:
        self.pieces = pieces
        self.results: list[str | None] = [None] * len(pieces)
        self.jobs: queue.Queue[_Job] = queue.Queue()
        for start in range(0, len(pieces), batch_limit):
            self.jobs.put(_Job(list(range(start, min(start + batch_limit, len(pieces))))))
        self.pending = len(pieces)
        self.error: Exception | None = None
        self.deadline = time.monotonic() + deadline_s
        self.cond = threading.Condition()

    def finished(self) -> bool:
        return self.pending == 0 or self.error is not None

    def done(self, indices: list[int], texts: list[str]) -> None:
        with self.cond:
            for i, t in zip(indices, texts, strict=True):
                if self.results[i] is None:
                    self.results[i] = t
                    self.pending -= 1
            self.cond.notify_all()

    def fail(self, error: Exception) -> None:
        with self.cond:
            if self.error is None:
                self.error = error
            self.cond.notify_all()


class LibreTranslateEngine:
    """The engine interface (``translate``) over HTTP servers. LibreTranslate has no
    placeholder symbols: its sentences take the same whole-sentence path as Argos models."""

    device_note = ""  # the servers' devices are theirs: nothing to say here

    def __init__(self, urls: list[str], api_key: str | None = None,
                 settings: RemoteSettings | None = None) -> None:
        if not urls:
            raise InputError("--engine libretranslate needs at least one --engine-url")
        self.urls = list(dict.fromkeys(check_url(u) for u in urls))
        self.settings = settings or RemoteSettings()
        self._api_key = api_key or None
        # No proxies from the environment either: the text goes to these URLs and nowhere else.
        self._opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
        self._stats_lock = _STATS_LOCK
        self.servers = [ServerStats(u) for u in self.urls]
        self.calls = 0
        self.sentences = 0
        self._source_code = "zh"
        self.info = self._connect()

    # -- HTTP -----------------------------------------------------------------------
    def _request(self, url: str, data: dict[str, Any] | None = None) -> Any:
        body = None
        headers = {"Accept": "application/json"}
        if data is not None:
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, headers=headers,
                                     method="POST" if body is not None else "GET")
        try:
            with self._opener.open(req, timeout=self.settings.timeout_s) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            message = ""
            try:
                message = str(json.loads(exc.read().decode("utf-8")).get("error", ""))
            except (ValueError, OSError, AttributeError, http.client.HTTPException):
                pass  # no readable error text: the status says enough
            retry_after = None
            if exc.headers and exc.headers.get("Retry-After", "").strip().isdigit():
                retry_after = float(exc.headers["Retry-After"])
            if 300 <= exc.code < 400:
                message = "redirected elsewhere; not followed (text goes only to URLs you give)"
            raise _HttpError(exc.code, message or exc.reason or "", retry_after) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError,
                http.client.HTTPException) as exc:
            raise _Unreachable(str(getattr(exc, "reason", exc)) or type(exc).__name__) from None
        except ValueError:
            raise _HttpError(502, "the answer is not JSON") from None

    def _connect(self) -> RemoteModelInfo:
        """Ask every server what it translates; drop those that do not answer."""
        answers: list[Any] = []
        reasons: list[str] = []
        for server in self.servers:
            try:
                langs = self._request(f"{server.url}/languages")
            except (_Unreachable, _HttpError) as exc:
                server.alive = False
                server.error("unreachable", str(exc))
                reasons.append(f"{host_of(server.url)} ({exc})")
                continue
            codes = {str(lang.get("code")): lang for lang in langs if isinstance(lang, dict)}
            source = next((c for c in SOURCE_CODES if c in codes), None)
            if source is None or TARGET_CODE not in codes[source].get("targets", [TARGET_CODE]):
                raise EngineError(f"LibreTranslate at {host_of(server.url)} has no Chinese->"
                                  "English model installed")
            self._source_code = source
            answers.append(sorted(json.dumps(lang, sort_keys=True) for lang in langs))
            try:
                limit = self._request(f"{server.url}/frontend/settings").get("charLimit", -1)
                server.char_limit = int(limit) if int(limit) > 0 else -1
            except (_Unreachable, _HttpError, ValueError, TypeError, AttributeError):
                pass  # older servers: learn the limit from a 400 answer instead
        if not answers:
            raise EngineError("no LibreTranslate server answered: " + "; ".join(reasons))
        digest = hashlib.sha1(json.dumps(answers[0]).encode()).hexdigest()[:8]
        return RemoteModelInfo(tuple(self.urls), digest)

    def _post(self, server: ServerStats, texts: list[str]) -> list[str]:
        data: dict[str, Any] = {"q": texts, "source": self._source_code,
                                "target": TARGET_CODE, "format": "text"}
        if self._api_key:
            data["api_key"] = self._api_key
        answer = self._request(f"{server.url}/translate", data)
        out = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(out, str) and len(texts) == 1:
            out = [out]
        if not isinstance(out, list) or len(out) != len(texts):
            raise _HttpError(502, "the answer does not match the request")
        return [str(t) for t in out]

    # -- translation ----------------------------------------------------------------
    def translate(self, texts: list[str]) -> list[str]:
        """Translate ``texts`` (order kept); a text no server could translate comes back ""."""
        if not texts:
            return []
        alive = [s for s in self.servers if s.alive]
        if not alive:
            raise EngineError("no LibreTranslate server is reachable: " + "; ".join(
                f"{host_of(s.url)} ({s.last_error})" for s in self.servers))
        limits = [s.char_limit for s in alive if s.char_limit > 0]
        pieces, owners = split_for_limit(texts, min(limits) if limits else -1)
        run = _Run(pieces, self.settings.batch_limit, self.settings.deadline_s)
        workers = [threading.Thread(target=self._worker, args=(server, run), daemon=True)
                   for server in alive for _ in range(max(1, self.settings.in_flight))]
        for w in workers:
            w.start()
        with run.cond:
            while not run.finished():
                left = run.deadline - time.monotonic()
                if left <= 0:
                    run.error = EngineError(
                        f"LibreTranslate: {run.pending} texts still untranslated after "
                        f"{self.settings.deadline_s:.0f} s (servers busy or rate-limited)")
                    break
                if not any(w.is_alive() for w in workers):
                    run.error = EngineError("no LibreTranslate server is reachable: " + "; ".join(
                        f"{host_of(s.url)} ({s.last_error})" for s in self.servers))
                    break
                run.cond.wait(timeout=min(left, 0.5))
        if run.error is not None:
            raise run.error
        self.calls += 1
        self.sentences += len(texts)
        joined: list[list[str]] = [[] for _ in texts]
        for owner, piece, english in zip(owners, pieces, run.results, strict=True):
            joined[owner].append(fix_quirks(piece, english or ""))
        return ["" if any(not p for p in parts) else " ".join(parts) for parts in joined]

    def _worker(self, server: ServerStats, run: _Run) -> None:
        try:
            self._work(server, run)
        except Exception as exc:  # noqa: BLE001 - a bug here must end the call, not hang it
            run.fail(EngineError(f"LibreTranslate client error with {host_of(server.url)}: "
                                 f"{type(exc).__name__}: {exc}"))

    def _work(self, server: ServerStats, run: _Run) -> None:
        s = self.settings
        while not run.finished() and server.alive:
            try:
                job = run.jobs.get(timeout=0.05)
            except queue.Empty:
                continue
            limit = server.batch_limit or s.batch_limit
            if len(job.indices) > limit:  # this server takes fewer per request
                for start in range(0, len(job.indices), limit):
                    run.jobs.put(_Job(job.indices[start:start + limit], job.attempts))
                continue
            texts = [run.pieces[i] for i in job.indices]
            try:
                english = self._post(server, texts)
            except _Unreachable as exc:
                server.alive = False
                server.error("unreachable", str(exc))
                run.jobs.put(job)  # another server takes it
                return
            except _HttpError as exc:
                if not self._handle_error(server, run, job, exc):
                    return
                continue
            with self._stats_lock:
                server.requests += 1
                server.texts += len(texts)
            run.done(job.indices, english)

    def _handle_error(self, server: ServerStats, run: _Run, job: _Job, exc: _HttpError) -> bool:
        """Requeue, split or fail ``job`` after an error answer; False: this worker stops."""
        s = self.settings
        host = host_of(server.url)
        if exc.status == 400 and (m := _LIMIT_RE.search(exc.message)):
            size, limit = int(m.group(1)), int(m.group(2))
            server.error("400", exc.message)
            if size == len(job.indices) and len(job.indices) > 1:
                server.batch_limit = max(1, limit)  # too many texts in one request
                run.jobs.put(job)
                return True
            # One text over the server's character limit: nothing to split it into here
            # (texts are split to the announced limit before sending).
            run.done(job.indices, [""] * len(job.indices))
            return True
        if exc.status in (400, 401, 403):
            why = exc.message or f"HTTP {exc.status}"
            if not exc.message or "api key" in why.lower() or exc.status in (401, 403):
                why += " (if it needs an API key: give it with --api-key or PIPELINE_API_KEY)"
            run.fail(EngineError(f"LibreTranslate at {host} refused the request: {why}"))
            return False
        if 300 <= exc.status < 400:
            run.fail(EngineError(f"LibreTranslate at {host}: {exc.message}"))
            return False
        kind = "429" if exc.status == 429 else ("5xx" if exc.status >= 500 else str(exc.status))
        server.error(kind, exc.message or f"HTTP {exc.status}")
        job.attempts += 1
        if len(job.indices) > 1:
            # 5xx: isolate a text the server cannot translate; 429: a list costs len(q)
            # requests of the server's per-minute limit, so smaller lists get through.
            half = len(job.indices) // 2
            run.jobs.put(_Job(job.indices[:half], job.attempts))
            run.jobs.put(_Job(job.indices[half:], job.attempts))
        elif job.attempts > s.retries and exc.status >= 500:
            run.done(job.indices, [""])  # this one text fails; the segment is marked
        else:
            run.jobs.put(job)
        wait = exc.retry_after if exc.retry_after is not None else min(
            8.0, s.backoff_s * 2 ** (job.attempts - 1))
        time.sleep(max(0.0, min(wait, run.deadline - time.monotonic())))
        return True

    def stats(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.servers]


def split_for_limit(texts: list[str], char_limit: int) -> tuple[list[str], list[int]]:
    """Texts cut into pieces of at most ``char_limit`` characters (at clause ends first).

    Returns the pieces and, for each, the index of the text it came from.
    """
    pieces: list[str] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        if char_limit <= 0 or len(text) <= char_limit:
            pieces.append(text)
            owners.append(i)
            continue
        current = ""
        for clause in (c for c in _CLAUSE_END_RE.split(text) if c):
            while len(clause) > char_limit:  # no clause end in reach: cut by length
                if current:
                    pieces.append(current)
                    owners.append(i)
                    current = ""
                pieces.append(clause[:char_limit])
                owners.append(i)
                clause = clause[char_limit:]
            if len(current) + len(clause) > char_limit:
                pieces.append(current)
                owners.append(i)
                current = ""
            current += clause
        if current:
            pieces.append(current)
            owners.append(i)
    return pieces, owners


_FULLWIDTH_END = {"。": ".", "！": "!", "？": "?", "；": ";", "：": ":"}
# Words and IDs ("A2XK9LMN3OP4QR" is one token, so its letters keep their case).
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’_-]*")


def fix_quirks(source: str, english: str) -> str:
    """Undo LibreTranslate's output quirks (see the module docstring)."""
    text = english.strip()
    if not text:
        return text
    if text[-1] in _FULLWIDTH_END:
        text = text[:-1].rstrip() + _FULLWIDTH_END[text[-1]]
    letters = [c for c in text if c.isalpha() and c.isascii()]
    if not has_chinese(source) or len(letters) < 4:
        return text
    kept = {w for w in _WORD_RE.findall(source)}  # Latin words of the source keep their case
    if all(c.isupper() for c in letters):
        def lower(m: re.Match[str]) -> str:
            word = m.group()
            return word if word in kept or word == "I" else word.lower()

        text = _WORD_RE.sub(lower, text)
    elif all(c.islower() for c in letters):
        by_lower = {w.lower(): w for w in kept}
        text = _WORD_RE.sub(lambda m: by_lower.get(m.group(), "I" if m.group() == "i"
                                                   else m.group()), text)
    else:
        return text
    for i, c in enumerate(text):
        if c.isalpha():
            return text[:i] + c.upper() + text[i + 1:] if c.islower() else text
    return text
