"""Survey the DOCX corpus: what we open, what we refuse (and why), what we would lose.

    .venv/bin/python bench/corpus_accounting.py [CORPUS_DIR]

Compares our reader with plain python-docx (``document.paragraphs`` + ``document.tables``,
nested tables included): python-docx only sees body paragraphs and tables, so text in
text boxes, headers, footers, footnotes, comments and content controls is missed. Our
reader's misses come from the text accounting (``pipeline.docx.reader.account``) and must
be 0.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.docx.audit import account  # noqa: E402
from pipeline.docx.reader import read_docx  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402


def default_corpus() -> Path:
    env = os.environ.get("PIPELINE_SHARED")
    if env:
        return Path(env) / "corpora" / "docx"
    return Path(__file__).resolve().parents[2] / "shared" / "corpora" / "docx"


def python_docx_texts(path: Path) -> Counter[str] | None:
    """Paragraph texts plain python-docx sees (body paragraphs + tables, recursively)."""
    try:
        d = docx.Document(str(path))
    except Exception:
        return None
    seen: Counter[str] = Counter()

    def table(t: docx.table.Table) -> None:
        done: set[object] = set()  # the elements themselves: id() of a proxy is reused
        for row in t.rows:
            for cell in row.cells:
                if cell._tc in done:  # merged cells repeat: count them once
                    continue
                done.add(cell._tc)
                for p in cell.paragraphs:
                    seen[p.text] += 1
                for inner in cell.tables:
                    table(inner)

    try:
        for p in d.paragraphs:
            seen[p.text] += 1
        for t in d.tables:
            table(t)
    except Exception:
        return None
    return seen


def main(corpus: Path) -> int:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".md")
    start = time.perf_counter()
    refused: Counter[str] = Counter()
    stories: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    untouched: Counter[str] = Counter()
    formats: Counter[str] = Counter()  # what the files read were (docx, strict, docm, doc...)
    opened = blocks = total_chars = block_chars = 0
    our_miss_files = our_miss_chars = 0
    pd_unopenable = pd_miss_files = pd_miss_chars = 0
    tracebacks: list[str] = []
    for path in files:
        try:
            doc = read_docx(path)
            acc = account(path)
        except PipelineError as exc:
            reason = str(exc).split(": ", 1)[-1]
            refused[reason.split(";")[0].split(" (")[0][:70]] += 1
            continue
        except Exception as exc:  # should never happen: the corpus test fails on it
            tracebacks.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        opened += 1
        formats[doc.run.format] += 1
        blocks += len(doc.blocks)
        stories.update(acc["per_story"])
        skipped.update(acc["skipped_chars"])
        untouched.update(doc.run.untouched)
        total_chars += acc["total_chars"]
        block_chars += acc["in_blocks_chars"]
        if acc["lost"] or acc["double"]:
            our_miss_files += 1
            our_miss_chars += len(acc["lost"])
        pd = python_docx_texts(path)
        if pd is None:
            pd_unopenable += 1
            continue
        missed = 0
        for b in doc.blocks:
            if pd[b.text] > 0:
                pd[b.text] -= 1
            else:
                missed += len(b.text)
        if missed:
            pd_miss_files += 1
            pd_miss_chars += missed
    elapsed = time.perf_counter() - start

    print(f"corpus: {corpus}")
    print(f"files: {len(files)}   opened: {opened}   refused: {sum(refused.values())}   "
          f"tracebacks: {len(tracebacks)}   ({elapsed:.1f}s)")
    print(f"read, by format: {dict(formats.most_common())}")
    print("\nrefused, by reason:")
    for reason, n in refused.most_common():
        print(f"  {n:4d}  {reason}")
    print(f"\ntext (w:t characters): {total_chars}   in blocks: {block_chars}")
    print("skipped on purpose (characters):")
    for reason, n in skipped.most_common():
        print(f"  {n:7d}  {reason}")
    print(f"untouched: {dict(untouched)}")
    print(f"\nblocks: {blocks}   per story: {dict(stories.most_common())}")
    print("\nfiles missing text:")
    print(f"  plain python-docx paragraphs+tables: {pd_miss_files} files, {pd_miss_chars} "
          f"characters of block text (+{pd_unopenable} files python-docx cannot open)")
    print(f"  our reader:                          {our_miss_files} files")
    for line in tracebacks:
        print("TRACEBACK", line)
    return 1 if tracebacks or our_miss_files else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default_corpus()))
