"""The resume record of ``pipeline batch`` and the rule that protects a person's work.

``OUT_DIR/.pipeline-batch.json`` (+ its append-only journal while a run is going) maps
each input to the sha256 of the input, a fingerprint of the settings, its outputs and
their hashes (see ``pipeline.batch``). An existing output is replaced only if it is still
exactly what the batch wrote (``_protected``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .fileio import atomic_write_text
from .runner import OUTPUT_SUFFIXES, sha256_file

MANIFEST = ".pipeline-batch.json"
MANIFEST_VERSION = 1


def read_manifest(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The finished documents recorded in ``out_dir``: the manifest plus its journal."""
    return _Manifest(out_dir).docs


class _Manifest:
    """The resume record.

    Each finished document is appended as one JSON line to ``MANIFEST + "l"`` (flushed
    and fsynced: O(1) per document, where rewriting a whole manifest per document
    would be quadratic on a big library); the journal is folded into ``MANIFEST``
    (written atomically) at the start and end of every run. A torn last line from a
    kill is ignored: that document simply counts as not done.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / MANIFEST
        self.journal = self.path.with_name(MANIFEST + "l")
        self._lock = threading.Lock()
        self.docs: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == MANIFEST_VERSION and isinstance(data.get("documents"), dict):
                self.docs = data["documents"]
        except (OSError, ValueError, AttributeError):
            pass  # missing or damaged: everything counts as not done
        try:
            lines = self.journal.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                item = json.loads(line)
                self.docs[item["file"]] = item["entry"]
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a kill

    def up_to_date(self, rel: str, sha: str, settings: str, out_dir: Path) -> bool:
        entry = self.docs.get(rel)
        return bool(entry and entry.get("status") == "ok" and entry.get("sha256") == sha
                    and entry.get("settings") == settings
                    and all((out_dir / p).is_file() for p in entry.get("outputs", {}).values())
                    and len(entry.get("outputs", {})) == len(OUTPUT_SUFFIXES))

    def record(self, rel: str, entry: dict[str, Any]) -> None:
        line = json.dumps({"file": rel, "entry": entry}, ensure_ascii=False) + "\n"
        with self._lock:
            self.docs[rel] = entry
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with open(self.journal, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())

    def compact(self) -> None:
        """Fold the journal into the manifest file (atomically), then drop the journal."""
        with self._lock:
            if not self.docs and not self.journal.exists():
                return
            data = {"version": MANIFEST_VERSION, "documents": dict(sorted(self.docs.items()))}
            atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
            self.journal.unlink(missing_ok=True)


def _hash(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError:
        return ""


def _protected(outputs: dict[str, Path], entry: dict[str, Any] | None,
               out_dir: Path) -> tuple[list[tuple[str, str]], list[Path]]:
    """Which existing outputs must be kept (name, why) and which may be replaced.

    An output may be replaced only when the manifest recorded its sha256 when this batch
    wrote it and the file is still exactly that: anything else may hold a person's work.
    """
    hashes = (entry or {}).get("hashes") or {}
    recorded = (entry or {}).get("outputs") or {}
    kept: list[tuple[str, str]] = []
    ours: list[Path] = []
    for kind, path in outputs.items():
        if not path.exists():
            continue
        name = path.relative_to(out_dir).as_posix()
        if path.is_dir():
            kept.append((name, "is a folder"))
        elif not hashes.get(kind) or recorded.get(kind) != name:
            kept.append((name, "was not written by this batch"))
        elif _hash(path) != hashes[kind]:
            kept.append((name, "was changed after the batch wrote it"))
        else:
            ours.append(path)
    return kept, ours


def _clear_stale_tmp(outputs: Iterable[Path]) -> None:
    """Remove temporary files a killed earlier run left next to these outputs."""
    for out in outputs:
        if out.parent.is_dir():
            # ".NAME.x.tmp" (a staged output) and "..NAME.x.tmp.y.tmp" (the temporary
            # file of a writer that was writing that staged output when the run died).
            for pattern in (f".{out.name}.*.tmp", f"..{out.name}.*.tmp.*.tmp"):
                for tmp in out.parent.glob(pattern):
                    tmp.unlink(missing_ok=True)
