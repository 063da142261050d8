"""Atomic output writing: a temporary file in the target folder, then a rename.

* Temporary files are created with ``0o666`` filtered by the user's umask, like any file
  a user saves (``mkstemp``'s 0600 would hide outputs from colleagues in a shared folder).
* Without ``force`` the final step is ``os.link`` (fails when the name exists), so two
  runs writing the same name cannot silently replace each other: the check and the
  placing are one atomic step.
* A failed write (full disk, folder gone) is an ``OutputError`` with one line; the
  temporary file is removed and nothing is left half-written.
* ``OutputSet`` writes several outputs to temporary files first and places them only
  when all were written: the outputs of one run are all there or none is.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError

TMP_SUFFIX = ".tmp"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    text = str(exc) or type(exc).__name__
    m = re.search(r"IO_(E[A-Z]+)", text)  # lxml: "IO_ENOSPC" -> "No space left on device"
    if m and isinstance(getattr(errno, m.group(1), None), int):
        return os.strerror(getattr(errno, m.group(1)))
    return text


def new_temp(path: Path) -> Path:
    """Create an empty hidden temporary file next to ``path`` (mode 0666 & ~umask)."""
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            tmp = folder / f".{path.name}.{secrets.token_hex(4)}{TMP_SUFFIX}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                             0o666)
            except FileExistsError:
                continue
            os.close(fd)
            return tmp
        raise OutputError(f"cannot create a temporary file in {folder}")
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {_describe(exc)}") from None


def _exists_error(path: Path) -> OutputError:
    return OutputError(f"{path} already exists (use --force to overwrite)")


def place(tmp: Path, path: Path, *, force: bool) -> None:
    """Move the finished ``tmp`` onto ``path``. Without ``force`` this fails atomically
    (``OutputError``) when ``path`` exists, even if it appeared a moment ago."""
    try:
        if force:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # atomic: fails with EEXIST if the name is taken
        except FileExistsError:
            raise _exists_error(path) from None
        except OSError:
            # No hard links here (FAT, exFAT, some network shares: the error differs by
            # system): reserve the name with an exclusive create, then rename over our
            # own reservation. A real problem (full disk, gone folder) fails there too.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                raise _exists_error(path) from None
            os.close(fd)
            os.replace(tmp, path)
            return
        os.unlink(tmp)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_describe(exc)}") from None


def _write_temp(path: Path, write: Callable[[Path], None]) -> Path:
    tmp = new_temp(path)
    try:
        write(tmp)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {_describe(exc)}") from None
        if _is_io_failure(exc):
            raise OutputError(f"cannot write {path}: {_describe(exc)}") from None
        raise
    return tmp


def _is_io_failure(exc: BaseException) -> bool:
    """lxml reports a failed write (full disk) as its own error class, not OSError."""
    return type(exc).__name__ == "SerialisationError" or re.search(r"\bIO_E?[A-Z]+", str(exc)) \
        is not None


def atomic_write(path: Path, write: Callable[[Path], None], *, force: bool = True) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path``.

    A crash mid-write leaves no half-written ``path``. With ``force=False`` an existing
    ``path`` is an OutputError instead of being replaced (checked atomically).
    """
    path = Path(path)
    if not force and path.exists():
        raise _exists_error(path)
    tmp = _write_temp(path, write)
    try:
        place(tmp, path, force=force)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str, *, force: bool = True) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)


class OutputSet:
    """Outputs that appear together or not at all.

    ``stage(path, write)`` writes one output to a temporary file beside it;
    ``commit()`` places every staged file (without ``force``: fails, and removes what it
    had placed, when any name already exists); ``discard()`` (or leaving the ``with``
    block with an exception) removes the temporary files. A failure while staging (full
    disk) therefore leaves none of the outputs.
    """

    def __init__(self, *, force: bool = False) -> None:
        self.force = force
        self._staged: list[tuple[Path, Path]] = []  # (tmp, final)

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.discard()

    def check(self, paths: list[Path]) -> None:
        """Fail early (before any work) when an output exists and ``force`` is off."""
        if self.force:
            return
        for p in paths:
            if Path(p).exists():
                raise _exists_error(Path(p))

    def stage(self, path: Path, write: Callable[[Path], None]) -> Path:
        path = Path(path)
        if path.is_dir():
            raise OutputError(f"{path}: is a directory")
        tmp = _write_temp(path, write)
        self._staged.append((tmp, path))
        return tmp

    def commit(self) -> list[Path]:
        placed: list[Path] = []
        try:
            for tmp, final in self._staged:
                place(tmp, final, force=self.force)
                placed.append(final)
        except BaseException:
            if not self.force:
                for final in placed:  # ours: linked a moment ago under a name that was free
                    final.unlink(missing_ok=True)
            raise
        finally:
            self.discard()
        return placed

    def discard(self) -> None:
        for tmp, _final in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged.clear()


def output_path(input_path: Path, out_dir: Path | None, suffix: str) -> Path:
    """``<stem><suffix>`` next to the input, or in ``out_dir`` when given."""
    folder = Path(out_dir) if out_dir is not None else Path(input_path).parent
    return folder / f"{Path(input_path).stem}{suffix}"
