"""Shared CLI plumbing: one-line errors and exit codes, consoles, option helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

console = Console(stderr=True, highlight=False)  # progress and messages: stdout stays for --json
out = Console(highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    from rich.markup import escape  # a message's own [brackets] are text, not markup

    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn PipelineError (and any surprise) into one line and an exit code."""
    from ..errors import PipelineError

    try:
        yield
    except PipelineError as exc:
        raise fail(str(exc), exc.exit_code) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    except Exception as exc:  # a bug: still one line for the user, traceback on request
        if os.environ.get("PIPELINE_DEBUG"):
            raise
        raise fail(f"internal error: {type(exc).__name__}: {exc} "
                   "(set PIPELINE_DEBUG=1 to see the traceback)", 2) from None


def check_languagetool_url(url: str | None) -> None:
    """Refuse (exit 2, before any work) a --languagetool-url / PIPELINE_LANGUAGETOOL_URL
    that is not an http(s) server URL, instead of silently falling back to Harper."""
    from urllib.parse import urlsplit

    from ..errors import InputError

    if url is None:
        return
    bad = InputError(f"--languagetool-url {url!r} is not an http(s) server URL "
                     "(e.g. http://localhost:8081/)")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url.strip():
        raise bad


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
