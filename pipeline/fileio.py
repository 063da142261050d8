"""Atomic output writing: a temporary file in the target folder, then os.replace."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError


def atomic_write(path: Path, write: Callable[[Path], None], *, force: bool = True) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``.

    A crash mid-write leaves no half-written ``path``. With ``force=False`` an existing
    ``path`` is an OutputError instead of being replaced.
    """
    path = Path(path)
    folder = path.parent
    if not force and path.exists():
        raise OutputError(f"{path} already exists (use --force to overwrite)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str, *, force: bool = True) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)


def output_path(input_path: Path, out_dir: Path | None, suffix: str) -> Path:
    """``<stem><suffix>`` next to the input, or in ``out_dir`` when given."""
    folder = Path(out_dir) if out_dir is not None else Path(input_path).parent
    return folder / f"{Path(input_path).stem}{suffix}"
