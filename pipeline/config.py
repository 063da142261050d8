"""The settings file a team shares: ``pipeline.toml`` (or ``--config FILE``).

A TOML file of flat keys, read from ``--config FILE`` or, when that is not given, from
``pipeline.toml`` in the current folder if there is one. Command-line options override
it; a list option given on the command line (``--glossary``, ``--engine-url``) replaces
the file's list. Relative paths are relative to the file's folder, so the file can live
in a shared folder beside the glossaries it names (a ``postgresql://`` memory URL is
kept as it is: put no password in it, use ``PGPASSWORD`` or ``~/.pgpass``)::

    engine = "libretranslate"          # or "argos" (the default: in-process)
    engine_urls = ["http://10.0.0.5:5000", "http://10.0.0.6:5000"]
    glossaries = ["team-terms.tsv"]
    grammar = "harper"                 # harper | languagetool | none
    languagetool_url = "http://10.0.0.5:8081/"
    memory = "team-memory.sqlite"     # or "postgresql://translator@db.example/tm"
    model = "models/translate-zh_en-1_9"

The API key is never read from this file (it would be shared with it): give it with
``--api-key`` or the ``PIPELINE_API_KEY`` environment variable.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

CONFIG_NAME = "pipeline.toml"
ENGINES = ("argos", "libretranslate")

# key -> (type, is a path relative to the file)
_KEYS: dict[str, tuple[type, bool]] = {
    "engine": (str, False), "engine_urls": (list, False), "glossaries": (list, True),
    "grammar": (str, False), "languagetool_url": (str, False), "memory": (str, True),
    "model": (str, True),
}


@dataclass(frozen=True)
class Config:
    """Settings read from the file; ``None`` / empty = the file does not set it."""

    path: Path | None = None
    engine: str | None = None
    engine_urls: tuple[str, ...] = ()
    glossaries: tuple[Path, ...] = ()
    grammar: str | None = None
    languagetool_url: str | None = None
    memory: Path | str | None = None  # a path, or a postgresql:// URL (kept as a string)
    model: Path | None = None
    keys: tuple[str, ...] = field(default=(), compare=False)  # the keys the file set


def _toml_load(data: bytes, where: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc})") from None


def load_config(path: Path | None = None, cwd: Path | None = None) -> Config:
    """The settings in ``path``, else in ``./pipeline.toml``, else none."""
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: settings file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the settings file ({exc.strerror})") from None
    raw = _toml_load(data, path)
    base = path.resolve().parent
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _KEYS:
            raise InputError(f"{path}: unknown setting {key!r} (known: {', '.join(_KEYS)})")
        kind, is_path = _KEYS[key]
        if not isinstance(value, kind):
            raise InputError(f"{path}: {key} must be a {'list' if kind is list else 'string'}")
        if kind is list:
            if not all(isinstance(v, str) for v in value):
                raise InputError(f"{path}: {key} must be a list of strings")
            values[key] = tuple(base / v if is_path else v for v in value)
        elif is_path and "://" not in value:
            values[key] = base / value
        else:
            values[key] = value
    engine = values.get("engine")
    if engine is not None and engine not in ENGINES:
        raise InputError(f"{path}: engine {engine!r} must be one of {', '.join(ENGINES)}")
    return Config(path=path, keys=tuple(raw), **values)


def pick(cli: Any, configured: Any, default: Any = None) -> Any:
    """The command line's value if given, else the file's, else ``default``."""
    if cli is not None and cli != [] and cli != ():
        return cli
    if configured is not None and configured != ():
        return configured
    return default


def _memory_spec(value: str | Path | None) -> str | Path | None:
    from .memory import memory_spec

    return memory_spec(value)


def resolve(config: Config, *, glossaries: list[Path] | None, grammar: str | None,
            languagetool_url: str | None, memory: str | Path | None, model: Path | None,
            engine: str | None, engine_urls: list[str] | None) -> dict[str, Any]:
    """RunOptions fields from the command line over the settings file over the defaults."""
    return {
        "glossaries": list(pick(glossaries, config.glossaries, ())),
        "grammar": pick(grammar, config.grammar, "harper"),
        "languagetool_url": pick(languagetool_url, config.languagetool_url),
        "memory": _memory_spec(pick(memory, config.memory)),
        "model": pick(model, config.model),
        "engine_kind": pick(engine, config.engine, "argos"),
        "engine_urls": list(pick(engine_urls, config.engine_urls, ())),
    }
