"""Translation models: find the zh->en model to use, install Argos packages, describe folders.

Three kinds of model folder are understood (docs/models.md):

* an unpacked Argos package (``metadata.json``, ``model/``, ``sentencepiece.model``),
  official (no ``name`` field: a package is identified by its folder and metadata) or the
  bundled demo;
* a CTranslate2 folder converted from OPUS-MT (``source.spm`` + ``target.spm``), NLLB-200
  or M2M-100 (``sentencepiece.bpe.model``), detected from its files or described by a
  ``pipeline-model.json`` file in the folder;
* any CTranslate2 folder with such a description.

Installing never uses Argos's own installer: a package is unpacked into a temporary
folder *inside* the packages folder, validated there (metadata, tokenizer, CTranslate2
loads the model), then renamed into place, so a failed install leaves nothing behind.
We load the model ourselves (``pipeline.engine``): Argos's translate path downloads a
sentence splitter at run time and fails offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ModelError

DEMO_PACKAGE = Path(__file__).parent / "data" / "demo-zh_en.argosmodel"
INDEX_TIMEOUT_S = 10
DESCRIPTION_FILE = "pipeline-model.json"
# Entries that archivers add next to the package folder (macOS Finder, Windows Explorer).
ZIP_JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
# Argos decodes every package with these unless the package says otherwise.
ARGOS_DECODE = {"beam_size": 4, "length_penalty": 0.2, "max_decoding_length": 256}
DECODE_KEYS = ("beam_size", "length_penalty", "max_decoding_length")
KINDS = ("argos", "opus-mt", "nllb", "m2m100", "ctranslate2")
# Language tokens of the multilingual models, per pipeline language code.
NLLB_CODES = {"zh": "zho_Hans", "zt": "zho_Hant", "en": "eng_Latn"}


@dataclass(frozen=True)
class ModelInfo:
    """Everything the engine needs to use one model like it was built."""

    name: str
    path: Path  # the package folder (Argos) or the CTranslate2 model folder
    from_code: str
    to_code: str
    version: str
    demo: bool
    target_prefix: str = ""  # target language token forced first, removed from the output
    kind: str = "argos"  # one of KINDS
    model_dir: Path | None = None  # the CTranslate2 model (default: path / "model")
    source_spm: Path | None = None  # SentencePiece model that encodes the Chinese
    source_prefix: tuple[str, ...] = ()  # tokens put before the source (NLLB: zho_Hans)
    add_source_eos: bool = False  # we append "</s>" (the model's config does not)
    # The model's own decoding settings (beam_size, length_penalty, max_decoding_length).
    decode: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def ct2_dir(self) -> Path:
        return self.model_dir or self.path / "model"

    @property
    def label(self) -> str:
        kinds = {"argos": "Argos package", "opus-mt": "CTranslate2 OPUS-MT",
                 "nllb": "CTranslate2 NLLB-200", "m2m100": "CTranslate2 M2M-100",
                 "ctranslate2": "CTranslate2"}
        tag = "DEMO MODEL — not for real appeals" if self.demo else kinds.get(self.kind, self.kind)
        version = f" {self.version}" if self.version else ""
        return f"{self.name}{version} ({tag})"

    @property
    def id(self) -> str:
        """Stable id for the translation memory: languages, version, a content hash.

        Never depends on a metadata ``name`` (official packages have none)."""
        return f"{self.kind}:{self.from_code}-{self.to_code}@{self.version}#{_folder_hash(self)}"


def _folder_hash(info: ModelInfo) -> str:
    h = hashlib.sha1()
    for f in (info.path / "metadata.json", info.path / DESCRIPTION_FILE,
              info.ct2_dir / "config.json"):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    for f in (info.ct2_dir / "model.bin", info.source_spm):
        if f is not None and f.is_file():
            h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:8]


def version_key(version: str) -> tuple[int, ...]:
    """Versions compare numerically: 1.10 > 1.9 > 1.7."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path.parent}: unreadable {what} ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path.parent}: {what} is not a JSON object")
    return data


def _decode_of(meta: dict[str, Any], where: Path) -> dict[str, Any]:
    raw = meta.get("decode") or {}
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: 'decode' must be an object")
    decode = {}
    for key in DECODE_KEYS:
        if key in raw:
            try:
                decode[key] = float(raw[key]) if key == "length_penalty" else int(raw[key])
            except (TypeError, ValueError):
                raise ModelError(f"{where}: decode.{key} must be a number") from None
    return decode


def ct2_config(model_dir: Path) -> dict[str, Any] | None:
    """The model's config.json (CTranslate2 >= 3 writes one), or None for older models."""
    path = model_dir / "config.json"
    return _read_json(path, "config.json") if path.is_file() else None


def vocabulary(model_dir: Path, side: str = "source") -> list[str]:
    """The model's source (or target) vocabulary, from the .json or older .txt file."""
    for stem in ("shared_vocabulary", f"{side}_vocabulary"):
        if (model_dir / f"{stem}.json").is_file():
            data = json.loads((model_dir / f"{stem}.json").read_text(encoding="utf-8"))
            return [str(t) for t in data]
        if (model_dir / f"{stem}.txt").is_file():
            text = (model_dir / f"{stem}.txt").read_text(encoding="utf-8")
            return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    raise ModelError(f"{model_dir}: no CTranslate2 vocabulary (shared_vocabulary.json/.txt "
                     "or source_vocabulary.json/.txt)")


@dataclass(frozen=True)
class BinVariable:
    """One variable of a CTranslate2 ``model.bin``: its header, and its data when small."""

    name: str
    dims: tuple[int, ...]
    data: bytes | None  # the raw bytes of a scalar flag (one byte); None otherwise


def model_bin_variables(model_bin: Path) -> list[BinVariable] | None:
    """The variables of a CTranslate2 ``model.bin`` (binary versions 5 and 6), read from
    their headers only: version, spec name, revision, then per variable name, rank, dims,
    dtype, byte count and data (skipped, except one-byte scalars). None on any doubt."""
    found: list[BinVariable] = []
    try:
        with open(model_bin, "rb") as f:
            def u(fmt: str) -> int:
                return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]

            def string() -> str:
                return f.read(u("H")).rstrip(b"\0").decode("utf-8", "replace")

            if u("I") not in (5, 6):
                return None
            string()  # spec name
            u("I")  # spec revision
            for _ in range(u("I")):
                name = string()
                dims = tuple(u("I") for _ in range(u("B")))
                u("B")  # dtype
                size = u("I")
                if not dims and size == 1:
                    found.append(BinVariable(name, dims, f.read(1)))
                else:
                    found.append(BinVariable(name, dims, None))
                    f.seek(size, os.SEEK_CUR)
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return None
    return found


def model_bin_flag(model_bin: Path, name: str) -> bool | None:
    """A one-byte flag stored in a CTranslate2 2.x ``model.bin`` (binary version 5), e.g.
    ``with_source_eos``; None when the file has no such variable or is not version 5.

    CTranslate2 >= 3 keeps such flags in config.json; 2.x wrote them into model.bin, and
    CTranslate2 4.x still obeys them."""
    if _bin_version(model_bin) != 5:
        return None
    for var in model_bin_variables(model_bin) or []:
        if var.name == name and var.data is not None:
            return var.data != b"\0"
    return None


def _bin_version(model_bin: Path) -> int | None:
    try:
        with open(model_bin, "rb") as f:
            return struct.unpack("<I", f.read(4))[0]
    except (OSError, struct.error):
        return None


def _eos_needed(model_dir: Path, multilingual: bool = False) -> bool:
    """Must we append "</s>" to the source ourselves?

    * config.json says ``add_source_eos: true`` (OPUS-MT converted by CTranslate2 >= 3,
      e.g. the official Argos packages): CTranslate2 adds it; we must not add a second.
    * config.json says false: the converter expected the caller to add it where the
      training data had it: NLLB / M2M-100 (their tokenizer ends every source with
      "</s>"); an Argos package that says false (the demo) was trained without it.
    * no config.json (CTranslate2 2.x conversions, older Argos packages): model.bin's own
      ``with_source_eos`` flag decides the same way (CTranslate2 2.24's OPUS-MT converter
      sets it and CTranslate2 4.x then adds "</s>" itself: measured on
      tests/data/replica-ct2v2).
    * none of these (conversions older than that flag): a Marian / OPUS-MT vocabulary
      starts with "</s>" and was trained with it, so we add it; OpenNMT-py vocabularies
      start with "<unk>" and were trained without it.
    """
    config = ct2_config(model_dir)
    if config is not None and "add_source_eos" in config:
        return multilingual and not config["add_source_eos"]
    if config is None:
        flag = model_bin_flag(model_dir / "model.bin", "with_source_eos")
        if flag is not None:
            return multilingual and not flag
    if multilingual:
        return True
    tokens = vocabulary(model_dir)
    return bool(tokens) and tokens[0] == "</s>"


def _tokenizer_of_package(folder: Path) -> Path:
    if (folder / "sentencepiece.model").is_file():
        return folder / "sentencepiece.model"
    if (folder / "bpe.model").is_file():
        raise ModelError(f"{folder.name}: this package uses a bpe.model tokenizer (subword-nmt "
                         "BPE), which the pipeline does not support; use a package with "
                         "sentencepiece.model (see docs/models.md)")
    raise ModelError(f"{folder.name}: no tokenizer (sentencepiece.model) in the package")


def _package_name(folder: Path, meta: dict[str, Any], version: str) -> str:
    if meta.get("name"):
        return str(meta["name"])
    name = folder.name
    suffix = "-" + version.replace(".", "_")
    if version and name.endswith(suffix):
        name = name[: -len(suffix)]
    return name


def info_from_folder(folder: Path) -> ModelInfo:
    """Describe an unpacked Argos package or a CTranslate2 model folder."""
    folder = Path(folder)
    if (folder / "metadata.json").is_file() and (folder / "model").is_dir():
        return _argos_info(folder)
    if (folder / "model.bin").is_file():
        return _ct2_info(folder)
    raise ModelError(f"{folder}: not a model folder (an unpacked Argos package with "
                     "metadata.json and model/, or a CTranslate2 folder with model.bin; "
                     "see docs/models.md)")


def _argos_info(folder: Path) -> ModelInfo:
    meta = _read_json(folder / "metadata.json", "metadata.json")
    for key in ("from_code", "to_code"):
        if not meta.get(key):
            raise ModelError(f"{folder.name}: metadata.json has no {key}")
    if meta.get("type", "translate") != "translate":
        raise ModelError(f"{folder.name}: not a translation package (type {meta['type']!r})")
    version = str(meta.get("package_version", ""))
    demo = bool(meta.get("demo")) or "demo" in str(meta.get("name", "")).lower()
    model_dir = folder / "model"
    return ModelInfo(
        name=_package_name(folder, meta, version), path=folder,
        from_code=str(meta["from_code"]), to_code=str(meta["to_code"]), version=version,
        demo=demo, target_prefix=str(meta.get("target_prefix", "")), kind="argos",
        model_dir=model_dir, source_spm=_tokenizer_of_package(folder),
        add_source_eos=_eos_needed(model_dir), decode=_decode_of(meta, folder),
    )


def _detect_kind(folder: Path) -> str:
    if (folder / "source.spm").is_file():
        return "opus-mt"
    if (folder / "sentencepiece.bpe.model").is_file():
        tokens = set(vocabulary(folder))
        if "zho_Hans" in tokens:
            return "nllb"
        if "__zh__" in tokens:
            return "m2m100"
    raise ModelError(f"{folder}: cannot tell which model this is (no source.spm, no NLLB or "
                     f"M2M-100 vocabulary); describe it in {DESCRIPTION_FILE} "
                     "(see docs/models.md)")


def _ct2_info(folder: Path) -> ModelInfo:
    desc: dict[str, Any] = {}
    if (folder / DESCRIPTION_FILE).is_file():
        desc = _read_json(folder / DESCRIPTION_FILE, DESCRIPTION_FILE)
    kind = str(desc.get("type") or _detect_kind(folder))
    if kind not in KINDS or kind == "argos":
        raise ModelError(f"{folder}: {DESCRIPTION_FILE}: unknown type {kind!r} (one of "
                         "opus-mt, nllb, m2m100, ctranslate2)")
    from_code, to_code = str(desc.get("from_code", "zh")), str(desc.get("to_code", "en"))
    default_spm = {"opus-mt": "source.spm", "nllb": "sentencepiece.bpe.model",
                   "m2m100": "sentencepiece.bpe.model"}.get(kind, "sentencepiece.model")
    spm = folder / str(desc.get("source_spm", default_spm))
    if not spm.is_file():
        raise ModelError(f"{folder}: no source SentencePiece model {spm.name}")
    multilingual = kind in ("nllb", "m2m100")
    if kind == "nllb":
        src_tok = NLLB_CODES.get(from_code, from_code)
        prefix, target = [src_tok], NLLB_CODES.get(to_code, to_code)
    elif kind == "m2m100":
        prefix, target = [f"__{from_code}__"], f"__{to_code}__"
    else:
        prefix, target = [], ""
    prefix = [str(t) for t in desc.get("source_prefix", prefix)]
    target = str(desc.get("target_prefix", target))
    if multilingual:
        vocab = set(vocabulary(folder))
        missing = [t for t in [*prefix, target] if t and t not in vocab]
        if missing:
            raise ModelError(f"{folder}: language token {missing[0]} is not in the vocabulary")
    eos = desc.get("add_source_eos")
    return ModelInfo(
        name=str(desc.get("name") or folder.name), path=folder, from_code=from_code,
        to_code=to_code, version=str(desc.get("version", "")), demo=False,
        target_prefix=target, kind=kind, model_dir=folder, source_spm=spm,
        source_prefix=tuple(prefix),
        add_source_eos=bool(eos) if eos is not None else _eos_needed(folder, multilingual),
        decode=_decode_of(desc, folder),
    )


def packages_dir() -> Path:
    """Where packages are installed: Argos's own folder (ARGOS_PACKAGES_DIR overrides it)."""
    from argostranslate import settings

    return Path(settings.package_data_dir)


def installed_models(unusable: list[tuple[Path, str]] | None = None) -> list[ModelInfo]:
    """All usable translation packages in the Argos packages folders; folders that are not
    (e.g. left by another tool) go to ``unusable`` with the reason, when given."""
    from argostranslate import settings

    found: list[ModelInfo] = []
    for directory in settings.package_dirs:
        if not Path(directory).is_dir():
            continue
        for folder in sorted(Path(directory).iterdir()):
            if folder.name.startswith(".") or not (folder / "metadata.json").is_file():
                continue  # our temporary install folders start with "."
            try:
                found.append(info_from_folder(folder))
            except ModelError as exc:  # `models install` never leaves such a folder
                if unusable is not None:
                    unusable.append((folder, str(exc)))
    return found


def demo_model(cache_dir: Path | None = None) -> ModelInfo:
    """The bundled demo package, unpacked once into a cache folder."""
    if not DEMO_PACKAGE.is_file():
        raise ModelError("no zh->en model installed and the demo package is missing; "
                         "run: pipeline models install zh-en (or --file X.argosmodel)")
    data = DEMO_PACKAGE.read_bytes()
    digest = hashlib.sha1(data).hexdigest()[:12]
    base = cache_dir or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "appeal-pipeline"
    with zipfile.ZipFile(DEMO_PACKAGE) as zf:
        top, members = _package_members(zf, DEMO_PACKAGE)
        # <cache>/demo-<digest>/<the package's own folder>: the folder name is its name.
        target = base / f"demo-{digest}" / top
        if not (target / "metadata.json").is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".demo-{digest}.", dir=base))
            try:
                _extract(zf, members, tmp)
                try:
                    os.replace(tmp / top, target)
                except OSError:  # another process won the race: use theirs
                    pass
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return info_from_folder(target)


def choose(models: list[ModelInfo], from_code: str = "zh", to_code: str = "en") -> ModelInfo | None:
    """The installed model ``run`` uses: real before demo, then the newest version."""
    candidates = [m for m in models if m.from_code == from_code and m.to_code == to_code]
    if not candidates:
        return None
    return max(candidates, key=lambda m: (not m.demo, version_key(m.version), m.path.name))


def find_model(from_code: str = "zh", to_code: str = "en", model: Path | None = None,
               allow_demo: bool = True) -> ModelInfo:
    """The model to use: ``model`` if given, else the newest installed zh->en, else the demo."""
    if model is not None:
        model = Path(model)
        if model.is_dir():
            return info_from_folder(model)
        raise ModelError(f"{model}: not a model folder (install a .argosmodel with "
                         "pipeline models install --file)")
    chosen = choose(installed_models(), from_code, to_code)
    if chosen is not None:
        return chosen
    if allow_demo:
        return demo_model()
    raise ModelError(f"no {from_code}->{to_code} model installed; run: pipeline models "
                     f"install {from_code}-{to_code} (or --file X.argosmodel)")


# --- installing -------------------------------------------------------------------------


def _package_members(zf: zipfile.ZipFile, path: Path) -> tuple[str, list[zipfile.ZipInfo]]:
    """The package's one top folder and its entries (archiver junk like __MACOSX ignored)."""
    members: list[zipfile.ZipInfo] = []
    tops: set[str] = set()
    for item in zf.infolist():
        name = item.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if not parts or parts[0] in ZIP_JUNK or parts[-1] in ZIP_JUNK:
            continue
        if name.startswith("/") or ".." in parts or ":" in parts[0]:
            raise ModelError(f"{path}: unsafe path in the package: {item.filename}")
        tops.add(parts[0])
        if len(parts) > 1:
            members.append(item)
    if len(tops) != 1 or not members:
        raise ModelError(f"{path}: not an Argos package (it must hold one top-level folder)")
    return tops.pop(), members


def _extract(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], target: Path) -> None:
    for item in members:
        dest = target.joinpath(*PurePosixPath(item.filename.replace("\\", "/")).parts)
        if item.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(item) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)


def check_package_file(path: Path) -> dict[str, Any]:
    """Quick checks of a .argosmodel before unpacking it; return its metadata."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path}: not an Argos package (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            top, members = _package_members(zf, path)
            names = {m.filename for m in members}
            try:
                meta = json.loads(zf.read(f"{top}/metadata.json"))
            except KeyError:
                raise ModelError(f"{path}: not an Argos package (no metadata.json)") from None
            except ValueError:
                raise ModelError(f"{path}: metadata.json is not valid JSON") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path}: damaged package ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{path}: metadata.json is not a JSON object")
    if not any(n.startswith(f"{top}/model/") for n in names):
        raise ModelError(f"{path}: not an Argos package (no model/ folder)")
    return meta


def ct2_files(model_dir: Path) -> dict[str, bytes] | None:
    """The model's files in memory when its path is not ASCII (CTranslate2, like
    SentencePiece, opens files by a narrow path: Chinese folder names fail on Windows)."""
    if str(model_dir.resolve()).isascii():
        return None
    return {f.name: f.read_bytes() for f in model_dir.iterdir() if f.is_file()}
