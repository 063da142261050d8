"""`pipeline polish`: clean up an English appeal draft written by a Chinese seller.

Input: a DOCX, or a UTF-8 (or UTF-16) ``.txt`` with one paragraph per line. Each
paragraph is split into sentences (one review row each); every sentence goes through glossary
normalisation, the post-edit rules and the grammar backend (see :mod:`pipeline.grammar`).

Outputs (next to the input, or in ``--out``):
  * DOCX: ``NAME.polished.docx`` (the input with only changed paragraphs rewritten),
    ``NAME.review.docx`` (Original | Polished | Changes) and ``NAME.polished.report.json``;
  * TXT: ``NAME.polished.txt``, exactly one output line per input line (empty lines stay
    empty, line endings kept), and ``NAME.polished.report.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cjk import has_chinese
from .document import Block, Document, Origin, RunInfo
from .errors import InputError, OutputError
from .fileio import OutputSet, atomic_write_text, output_path
from .grammar import GrammarStep, at_sentence_start, polish_texts
from .segment import fill_segments, trim_spans
from .steps import FnStep, run_steps, timed

if TYPE_CHECKING:
    from .glossary import Glossary

SUFFIXES = {
    ".docx": {"polished": ".polished.docx", "review": ".review.docx",
              "report": ".polished.report.json"},
    ".txt": {"polished": ".polished.txt", "report": ".polished.report.json"},
}
_LINE_SPLIT = re.compile(r"(\r\n|\n|\r)")
_SPACE = re.compile(r"\s+")


@dataclass
class PolishResult:
    input: Path
    outputs: dict[str, Path]
    document: Document
    grammar: str
    changes: int = 0
    notes: int = 0
    lines: int | None = None  # .txt input: number of lines (in = out)
    fallback: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        counts = self.document.counts()
        return {
            "input": str(self.input),
            "outputs": {k: str(v) for k, v in self.outputs.items()},
            "grammar": self.grammar,
            "fallback": self.fallback,
            "segments": counts["segments"],
            "changed_segments": sum(1 for s in self.document.segments
                                    if s.target is not None and s.target != s.source),
            "changes": self.changes,  # automatic edits
            # Findings left to the reviewer as a suggestion (a grammar note), out of "notes".
            "suggestions": sum(1 for s in self.document.segments for n in s.notes
                               if n.code.startswith("grammar-") and n.code != "grammar-fallback"),
            "notes": self.notes,
            "lines": self.lines,
            "timings_s": self.timings,
        }


# ----------------------------------------------------------------------------- sentences
def sentence_spans(text: str) -> list[tuple[int, int]]:
    """English sentence spans of a paragraph; whitespace between them is left out.

    A sentence ends at a run of whitespace that follows a real sentence end (not "e.g.",
    "Co., Ltd.", "3.") and precedes a capital, digit or opening quote, or at a line break
    that starts a new sentence.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SPACE.finditer(text):
        a, b = m.span()
        if a == 0 or b >= len(text):
            continue
        nxt = text[b]
        if not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'(["):
            if "\n" not in m.group(0):
                continue
        if not at_sentence_start(text, b):
            continue
        spans.append((start, a))
        start = b
    spans.append((start, len(text)))
    # Trim: the first and last may carry the paragraph's own spaces.
    return [s for a, b in spans for s in trim_spans(text, [a, b])]


def _english_only(source: str) -> str:
    return "Chinese text: translate it with `pipeline run`" if has_chinese(source) else ""


def segment_english(block: Block) -> Block:
    """Fill ``block.segments`` with its sentences, losslessly (gaps and tail kept)."""
    return fill_segments(block, sentence_spans(block.text), _english_only)


# ----------------------------------------------------------------------------- polishing
def _load_glossary(paths: Sequence[Path], builtin: bool) -> Glossary:
    from .glossary import load_glossaries

    return load_glossaries([Path(p) for p in paths], builtin=builtin)


def polish_document(doc: Document, step: GrammarStep) -> tuple[int, int]:
    """Polish every English segment of ``doc`` in place; returns (changes, notes)."""
    n_changes = n_notes = 0
    segs = [seg for seg in doc.segments if seg.translatable]
    results = polish_texts([seg.source for seg in segs], step=step)  # batched checker calls
    for seg, (new, changes, notes) in zip(segs, results, strict=True):
        if new.count("\n") != seg.source.count("\n"):
            new, changes, notes = seg.source, [], []  # never add or remove a line break
        seg.target = new
        seg.changes.extend(changes)
        seg.notes.extend(n for n in notes if n.code != "grammar-fallback")
        seg.origin = Origin.MACHINE if new != seg.source else Origin.PASSTHROUGH
        n_changes += len(changes)
        n_notes += len(seg.notes)
    doc.run.grammar = step.describe()
    note = step.fallback_note()
    if note is not None:
        doc.run.grammar_fallback = step.fallback
        doc.notes.append(note)
    return n_changes, n_notes


def _check_input(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path}: polish takes a .docx or a .txt file (one paragraph per line)")
    return suffix


def _outputs(path: Path, out_dir: Path | None, suffix: str, force: bool) -> dict[str, Path]:
    outputs = {k: output_path(path, out_dir, sfx) for k, sfx in SUFFIXES[suffix].items()}
    for p in outputs.values():
        if p.resolve() == path.resolve():
            raise OutputError(f"{p}: refusing to overwrite the input")
        if p.is_dir():
            raise OutputError(f"{p}: is a directory")
        if p.exists() and not force:
            raise OutputError(f"{p} already exists (use --force to overwrite)")
    return outputs


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark (mostly ASCII text: every other byte is 0)."""
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > half * 0.4 and even == 0:
        return "utf-16-le"
    if even > half * 0.4 and odd == 0:
        return "utf-16-be"
    return None


def _read_text(path: Path) -> tuple[str, bytes, str]:
    """The file's text, its byte-order mark (b"" if none) and its encoding.

    UTF-8 (with or without BOM) and UTF-16/UTF-32 with a BOM (Windows Notepad's
    "Unicode") are read; the polished .txt is written back in the same encoding.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    bom, encoding = b"", "utf-8"
    for mark, enc in _BOMS:
        if data.startswith(mark):
            bom, encoding = mark, enc
            break
    else:
        sniffed = _sniff_utf16(data) if b"\x00" in data[:4096] else None
        if sniffed is not None:
            encoding = sniffed
        elif b"\x00" in data[:4096]:
            raise InputError(f"{path}: not a text file (binary data; text files must be "
                             "UTF-8 or UTF-16)")
    try:
        text = data[len(bom):].decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not {encoding.upper()} text "
                         f"(byte {exc.start + len(bom)})") from None
    return text, bom, encoding


def _text_document(path: Path, text: str) -> tuple[Document, list[str]]:
    """One block per non-empty line; returns the document and the split line parts."""
    parts = _LINE_SPLIT.split(text)  # line, sep, line, sep, ..., line
    doc = Document(path=path, run=RunInfo(format="txt"))
    for i in range(0, len(parts), 2):
        line = parts[i]
        if line.strip():
            doc.blocks.append(segment_english(Block(id=f"line{i // 2 + 1}", story="body",
                                                     text=line)))
    return doc, parts


def _report(doc: Document, result: PolishResult) -> str:
    from .report import report_dict

    data = report_dict(doc)
    data["mode"] = "polish"
    data["summary"] = result.to_dict()
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def polish_file(path: Path, out_dir: Path | None = None, backend: str = "harper",
                languagetool_url: str | None = None, glossary_paths: Sequence[Path] = (),
                force: bool = False, *, builtin_glossary: bool = True) -> PolishResult:
    """Polish an English draft (.docx or .txt) and write the outputs atomically."""
    from .runner import sha256_file

    path = Path(path)
    suffix = _check_input(path)
    outputs = _outputs(path, out_dir, suffix, force)
    glossary = _load_glossary(glossary_paths, builtin_glossary)
    step = GrammarStep(backend, languagetool_url, glossary)
    timings: dict[str, float] = {}
    with timed(timings, "read"):
        if suffix == ".txt":
            text, bom, encoding = _read_text(path)
            doc, parts = _text_document(path, text)
        else:
            from .docx.reader import read_docx

            doc = read_docx(path)
            for block in doc.blocks:
                segment_english(block)
        doc.run.source_sha256 = sha256_file(path)
        doc.run.glossary = glossary.name
        doc.run.glossary_version = glossary.version
    doc.run.timings = timings
    counted: list[tuple[int, int]] = []
    run_steps(doc, [FnStep("grammar", lambda d: counted.append(polish_document(d, step)))])
    n_changes, n_notes = counted[0]
    result = PolishResult(path, outputs, doc, str(doc.run.grammar), n_changes, n_notes,
                          fallback=step.fallback, timings=timings)
    # All outputs are staged, then placed together (or none: full disk, a name taken).
    with OutputSet(force=force) as staged:
        with timed(timings, "write"):
            if suffix == ".txt":
                lines = parts[:]
                for block in doc.blocks:  # block "lineN" is parts[2 * (N - 1)]
                    lines[(int(block.id.removeprefix("line")) - 1) * 2] = block.target_text()
                result.lines = len(parts) // 2 + (1 if parts[-1] else 0)
                data = bom + "".join(lines).encode(encoding)
                # Bytes, not text mode: line endings and the encoding are kept as read.
                staged.stage(outputs["polished"], lambda p: p.write_bytes(data))
            else:
                from .docx.review_writer import write_review
                from .docx.writer import write_docx

                staged.stage(outputs["polished"], lambda p: write_docx(doc, p, force=True))
                staged.stage(outputs["review"], lambda p: write_review(doc, p, mode="polish"))
        staged.stage(outputs["report"], lambda p: atomic_write_text(p, _report(doc, result)))
        staged.commit()
    return result
