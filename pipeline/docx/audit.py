"""A test and bench aid, not a pipeline step: ``account(path)`` checks that the reader
loses and doubles no text (every ``w:t`` of the package is in one block or skipped for a
reason)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from lxml import etree

from .ooxml import W_NS, W_T, safe_parse, w
from .reader import (
    NOTE_TYPES_SKIPPED,
    Package,
    _read,
    header_footer_parts,
    paragraph_pieces,
    walk,
)


def _part_reason(part: str, unreferenced: list[str]) -> str:
    if part in unreferenced:
        return "unreferenced header/footer part (never shown)"
    if "/glossary/" in part:
        return "glossary document (building blocks, not shown)"
    return f"not a story part ({part})"


def account(path: Path) -> dict[str, Any]:
    """Check that every w:t of every XML part is in exactly one block or skipped for a reason.

    Independent of the walk's own bookkeeping: it enumerates *all* w:t elements in the
    package and looks each one up. ``lost`` (text nowhere) and ``double`` (text in two
    places) must both be empty.
    """
    path = Path(path)
    with Package(path) as pkg:
        doc = _read(pkg)
        block_ids = {b.id for b in doc.blocks}
        where: dict[etree._Element, list[str]] = {}
        story_parts: set[str] = set()
        mismatch: list[str] = []  # text boxes whose fallback copy differs from the choice
        for ref in walk(pkg):
            story_parts.add(ref.part)
            pieces = ref.pieces
            emitted = ref.id in block_ids
            for piece in pieces.visible:
                if piece.elem.tag == W_T:
                    where.setdefault(piece.elem, []).append(
                        f"block:{ref.id}" if emitted else "skip:whitespace-only paragraph")
            for mirror in ref.mirrors:
                if paragraph_pieces(mirror).text != pieces.text:
                    mismatch.append(ref.id)
            for t, reason in pieces.skipped:
                where.setdefault(t, []).append(f"skip:{reason}")
        _hf, unref = header_footer_parts(pkg)
        total = in_blocks = 0
        skipped: Counter[str] = Counter()
        lost: list[str] = []
        double: list[str] = []
        per_story: Counter[str] = Counter(b.story for b in doc.blocks)
        for name in sorted(pkg.names):
            if not name.lower().endswith(".xml"):
                continue
            raw = pkg.raw(name)
            if W_NS.encode() not in raw:
                continue
            root = pkg.xml(name) if name in story_parts else safe_parse(raw, name, path)
            for t in root.iter(W_T):
                n = len(t.text or "")
                total += n
                homes = where.get(t)
                if homes is None:
                    note = next((a for a in t.iterancestors(w("footnote"), w("endnote"))), None)
                    if note is not None and note.get(w("type")) in NOTE_TYPES_SKIPPED:
                        skipped["note separator"] += n
                    elif name in story_parts:
                        lost.append(f"{name}: {(t.text or '')[:40]!r}")
                    else:
                        skipped[_part_reason(name, unref)] += n
                    continue
                if len(homes) > 1:
                    double.append(f"{name}: {(t.text or '')[:40]!r} in {homes}")
                home = homes[0]
                if home.startswith("block:"):
                    in_blocks += n
                else:
                    skipped[home[5:]] += n
        block_chars = sum(len(b.text) for b in doc.blocks)
        return {
            "path": str(path),
            "blocks": len(doc.blocks),
            "per_story": dict(per_story),
            "total_chars": total,
            "in_blocks_chars": in_blocks,
            "block_text_chars": block_chars,  # adds tabs/breaks, so >= in_blocks_chars
            "skipped_chars": dict(skipped),
            "lost": lost,
            "double": double,
            "untouched": doc.run.untouched,
            "fallback_mismatch": mismatch,
            "ok": not lost and not double and total == in_blocks + sum(skipped.values()),
        }
