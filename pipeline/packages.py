"""Argos model packages: find the installed zh->en model, install one, or fall back to the demo.

Packages are real Argos ``.argosmodel`` files (a zip with one top-level folder holding
metadata.json, model/ and sentencepiece.model). We use ``argostranslate.package`` to
list and install them, then load the CTranslate2 model ourselves (``pipeline.engine``):
Argos's own translate path downloads a sentence splitter at run time and fails offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

DEMO_PACKAGE = Path(__file__).parent / "data" / "demo-zh_en.argosmodel"
INDEX_TIMEOUT_S = 10


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path  # the unpacked package folder
    from_code: str
    to_code: str
    version: str
    demo: bool
    target_prefix: str = ""

    @property
    def label(self) -> str:
        tag = "DEMO MODEL — not for real appeals" if self.demo else "installed"
        return f"{self.name} {self.version} ({tag})"

    @property
    def id(self) -> str:
        """Stable id for the translation memory: name, version and a content hash."""
        return f"{self.name}@{self.version}#{_folder_hash(self.path)}"


def _folder_hash(path: Path) -> str:
    h = hashlib.sha1()
    meta = path / "metadata.json"
    model = path / "model" / "model.bin"
    for f in (meta, model):
        if f.exists():
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}".encode())
    if meta.exists():
        h.update(meta.read_bytes())
    return h.hexdigest()[:8]


def _read_metadata(folder: Path) -> dict:
    try:
        return json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{folder}: unreadable metadata.json ({exc})") from None


def info_from_folder(folder: Path) -> ModelInfo:
    meta = _read_metadata(folder)
    name = str(meta.get("name") or folder.name)
    demo = bool(meta.get("demo")) or "demo" in name.lower()
    return ModelInfo(
        name=name, path=folder, from_code=str(meta.get("from_code", "")),
        to_code=str(meta.get("to_code", "")), version=str(meta.get("package_version", "")),
        demo=demo, target_prefix=str(meta.get("target_prefix", "")),
    )


def installed_models() -> list[ModelInfo]:
    """All Argos translate packages in the Argos packages folders (ARGOS_PACKAGES_DIR)."""
    from argostranslate import settings

    found: list[ModelInfo] = []
    for directory in settings.package_dirs:
        if not Path(directory).is_dir():
            continue
        for folder in sorted(Path(directory).iterdir()):
            if (folder / "metadata.json").is_file() and (folder / "model").is_dir():
                found.append(info_from_folder(folder))
    return found


def demo_model(cache_dir: Path | None = None) -> ModelInfo:
    """The bundled demo package, unpacked once into a cache folder."""
    if not DEMO_PACKAGE.is_file():
        raise ModelError("no zh->en model installed and the demo package is missing; "
                         "run: pipeline models install zh-en (or --file X.argosmodel)")
    data = DEMO_PACKAGE.read_bytes()
    digest = hashlib.sha1(data).hexdigest()[:12]
    base = cache_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "appeal-pipeline"
    target = base / f"demo-{digest}"
    if not (target / "metadata.json").is_file():
        tmp = base / f".demo-{digest}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        with zipfile.ZipFile(DEMO_PACKAGE) as zf:
            zf.extractall(tmp)
        top = _single_top_folder(tmp)
        try:
            os.replace(top, target)
        except OSError:  # another process won the race: use theirs
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    return info_from_folder(target)


def _single_top_folder(root: Path) -> Path:
    entries = [p for p in root.iterdir()]
    if len(entries) != 1 or not entries[0].is_dir():
        raise ModelError("not an Argos package: it must hold exactly one top-level folder")
    return entries[0]


def find_model(from_code: str = "zh", to_code: str = "en", model: Path | None = None,
               allow_demo: bool = True) -> ModelInfo:
    """The model to use: ``model`` if given, else an installed real zh->en, else the demo."""
    if model is not None:
        model = Path(model)
        if model.is_dir():
            return info_from_folder(model)
        raise ModelError(f"{model}: not a model folder (install a .argosmodel with "
                         "pipeline models install --file)")
    candidates = [m for m in installed_models()
                  if m.from_code == from_code and m.to_code == to_code]
    real = [m for m in candidates if not m.demo]
    if real:
        return real[0]
    if candidates:
        return candidates[0]
    if allow_demo:
        return demo_model()
    raise ModelError(f"no {from_code}->{to_code} model installed; run: pipeline models "
                     f"install {from_code}-{to_code} (or --file X.argosmodel)")


def check_package_file(path: Path) -> dict:
    """Validate a .argosmodel before installing; return its metadata."""
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path}: not an Argos package (not a zip archive)")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.strip("/")]
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) != 1 or not any("/" in n for n in names):
            raise ModelError(f"{path}: not an Argos package (it must hold one top-level folder)")
        top = tops.pop()
        try:
            meta = json.loads(zf.read(f"{top}/metadata.json"))
        except KeyError:
            raise ModelError(f"{path}: not an Argos package (no metadata.json)") from None
        except ValueError:
            raise ModelError(f"{path}: metadata.json is not valid JSON") from None
        if not any(n.startswith(f"{top}/model/") for n in names):
            raise ModelError(f"{path}: not an Argos package (no model/ folder)")
    return meta


def install_file(path: Path) -> ModelInfo:
    """Offline sideload of a .argosmodel into the Argos packages folder."""
    from argostranslate import package, settings

    path = Path(path)
    meta = check_package_file(path)
    package.install_from_path(path)
    # Official packages have no "name": the installed folder is the zip's top folder.
    with zipfile.ZipFile(path) as zf:
        top = next(n for n in zf.namelist() if n.strip("/")).split("/", 1)[0]
    name = str(meta.get("name") or top)
    for info in installed_models():
        if info.name == name and info.from_code == meta.get("from_code"):
            return info
    raise ModelError(f"{path}: installed, but not found in {settings.package_data_dir}")


def _network_error(detail: str) -> ModelError:
    return ModelError(f"no network: cannot reach the Argos package index ({detail}); "
                      "install from a file instead: pipeline models install --file X.argosmodel")


def install_from_index(from_code: str, to_code: str,
                       progress: Callable[[int, int], None] | None = None) -> ModelInfo:
    """Download and install the zh->en package from the Argos index (needs network)."""
    import tempfile
    import urllib.error
    import urllib.request

    from argostranslate import settings

    try:
        with urllib.request.urlopen(settings.remote_package_index, timeout=INDEX_TIMEOUT_S) as r:
            index = json.load(r)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise _network_error(str(getattr(exc, "reason", exc))) from None
    except ValueError:
        raise ModelError("the Argos package index is not valid JSON") from None
    entry = next((e for e in index if e.get("from_code") == from_code
                  and e.get("to_code") == to_code and e.get("type", "translate") == "translate"),
                 None)
    if entry is None:
        raise ModelError(f"the Argos package index has no {from_code}->{to_code} package")
    links = entry.get("links") or []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"translate-{from_code}_{to_code}.argosmodel"
        last_error = "no download link"
        for link in links:
            try:
                _download(link, target, progress)
                break
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
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
