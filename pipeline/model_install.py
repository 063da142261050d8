"""Installing translation models: a ``.argosmodel`` file (``install_file``) or a package
from the Argos index (``install_from_index``), unpacked into a temporary folder inside the
packages folder, validated there (``validate_model``: the tokenizer and CTranslate2 load
it), then renamed into place, so a failed install leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

from .errors import ModelError
from .packages import (
    INDEX_TIMEOUT_S,
    ModelInfo,
    _extract,
    _package_members,
    check_package_file,
    ct2_files,
    info_from_folder,
    packages_dir,
    version_key,
)


def validate_model(info: ModelInfo) -> None:
    """The tokenizer and CTranslate2 both load the model (raises ModelError otherwise)."""
    import ctranslate2
    import sentencepiece

    assert info.source_spm is not None
    try:
        sentencepiece.SentencePieceProcessor(model_proto=info.source_spm.read_bytes())
    except (RuntimeError, OSError) as exc:
        raise ModelError(f"{info.path.name}: {info.source_spm.name} is not a SentencePiece "
                         f"model ({_first_line(exc)})") from None
    try:
        ctranslate2.Translator(str(info.ct2_dir), device="cpu", compute_type="default",
                               inter_threads=1, intra_threads=1,
                               files=ct2_files(info.ct2_dir))
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelError(f"{info.path.name}: CTranslate2 cannot load the model "
                         f"({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def install_file(path: Path) -> ModelInfo:
    """Install a .argosmodel: unpack, validate, then rename into place (all or nothing)."""
    path = Path(path)
    meta = check_package_file(path)
    if meta.get("type", "translate") != "translate":
        raise ModelError(f"{path}: not a translation package (type {meta['type']!r})")
    root = packages_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".installing-", dir=root))
    except OSError as exc:
        raise ModelError(f"cannot write to the packages folder {root} ({exc})") from None
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                top, members = _package_members(zf, path)
                _extract(zf, members, tmp)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ModelError(f"{path}: damaged package ({_first_line(exc)})") from None
        try:
            info = info_from_folder(tmp / top)
            validate_model(info)
        except ModelError as exc:
            raise ModelError(f"{path.name}: not installed: {exc}") from None
        final = root / top
        old = root / f".replaced-{uuid.uuid4().hex[:8]}"
        if final.exists():
            os.replace(final, old)
        try:
            os.replace(tmp / top, final)
        except OSError as exc:
            if old.exists():
                os.replace(old, final)
            raise ModelError(f"cannot install into {final} ({exc})") from None
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return info_from_folder(final)


# --- the Argos package index ---------------------------------------------------------------


def index_url() -> str:
    """Argos's package index (``ARGOS_PACKAGE_INDEX`` + index.json, as Argos reads it)."""
    from argostranslate import settings

    return str(settings.remote_package_index)


def _network_error(detail: str) -> ModelError:
    return ModelError(f"no network: cannot reach the Argos package index ({detail}); "
                      "install from a file instead: pipeline models install --file X.argosmodel")


def _has_scheme(url: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).scheme.lower() in ("http", "https", "file")


def install_from_index(from_code: str, to_code: str,
                       progress: Callable[[int, int], None] | None = None) -> ModelInfo:
    """Download and install the newest from->to package of the Argos index (needs network)."""
    import urllib.error
    import urllib.request

    url = index_url()
    if not _has_scheme(url):
        raise ModelError(f"package index {url!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT_S) as r:
            index = json.load(r)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise _network_error(str(getattr(exc, "reason", exc))) from None
    except ValueError:
        raise ModelError("the Argos package index is not valid JSON") from None
    if not isinstance(index, list):
        raise ModelError("the Argos package index is not a list of packages")
    entries = [e for e in index if isinstance(e, dict) and e.get("from_code") == from_code
               and e.get("to_code") == to_code and e.get("type", "translate") == "translate"]
    if not entries:
        raise ModelError(f"the Argos package index has no {from_code}->{to_code} package")
    entry = max(entries, key=lambda e: version_key(str(e.get("package_version", ""))))
    links = [str(link) for link in entry.get("links") or []]
    usable = [link for link in links if _has_scheme(link)]
    if not usable:
        shown = links[0] if links else "none"
        raise ModelError(f"the index entry for {from_code}->{to_code} has no usable download "
                         f"link (got {shown!r}: a link needs http:// or https://)")
    with tempfile.TemporaryDirectory() as tmp:
        version = str(entry.get("package_version", "")).replace(".", "_")
        target = Path(tmp) / f"translate-{from_code}_{to_code}-{version}.argosmodel"
        last_error = ""
        for link in usable:
            try:
                _download(link, target, progress)
                break
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
                last_error = str(getattr(exc, "reason", exc))
        else:
            raise _network_error(last_error)
        return install_file(target)


def _download(url: str, target: Path, progress: Callable[[int, int], None] | None) -> None:
    import urllib.request

    with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT_S) as r, open(target, "wb") as out:
        total = int(r.headers.get("Content-Length") or 0)
        done = 0
        while chunk := r.read(1 << 16):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
        if total and done < total:
            raise OSError(f"download cut short: {done} of {total} bytes")
