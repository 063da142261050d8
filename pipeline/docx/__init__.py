"""Word documents: the OOXML layer and everything that reads or writes a DOCX.

| module | what it does |
|---|---|
| ``ooxml`` | WordprocessingML namespaces and tag names, the one safe XML parser |
| ``safety`` | refuse unsafe or non-Word inputs (zip bombs, DTDs, OLE2, other Office files) |
| ``convert`` | Strict / macro-enabled / legacy inputs -> a plain DOCX (in memory or soffice) |
| ``reader`` | ``read_docx``: the package walk -> ``Document`` of blocks with stable ids |
| ``writer`` | ``write_docx``: the English into a copy of the source, formatting kept |
| ``review_writer`` | ``write_review``: the bilingual review DOCX |
| ``review_reader`` | ``read_review``: a reviewed review DOCX back into rows |

Inside this package ``import docx`` is python-docx (imports are absolute).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public names, imported on first use so that ``pipeline.docx.ooxml`` (used by the TBX
# reader) does not pull in python-docx.
_EXPORTS = {
    "account": "reader", "read_docx": "reader",
    "write_docx": "writer",
    "fingerprint": "review_writer", "write_review": "review_writer",
    "REVIEWER_STATUSES": "review_reader", "ReviewData": "review_reader",
    "ReviewRow": "review_reader", "read_review": "review_reader",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
