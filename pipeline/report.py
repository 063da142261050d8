"""The JSON report: every segment with location, source, MT, final text and notes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from .document import Document
from .fileio import atomic_write_text

REPORT_VERSION = 1


def report_dict(doc: Document) -> dict[str, Any]:
    run = doc.run
    return {
        "version": REPORT_VERSION,
        "file": str(doc.path),
        "source_sha256": run.source_sha256,
        "model": run.model if run.model is not None else {},
        "glossary": run.glossary if run.glossary is not None else "",
        "grammar": run.grammar if run.grammar is not None else "",
        "memory": run.memory if run.memory is not None else "",
        "counts": doc.counts(),
        # How the engine produced each segment's English (Segment.path), e.g.
        # {"whole": 50, "whole-repaired": 1, "piecewise": 1}; "none" not listed.
        "translation_paths": dict(Counter(s.path.value for s in doc.segments
                                          if s.path.value != "none")),
        "timings_s": run.timings,
        "untouched": run.untouched,
        "document_notes": [n.to_dict() for n in doc.notes],
        "segments": [s.to_dict() for s in doc.segments],
    }


def write_report(doc: Document, path: Path, force: bool = True) -> Path:
    text = json.dumps(report_dict(doc), ensure_ascii=False, indent=2)
    return atomic_write_text(Path(path), text + "\n", force=force)
