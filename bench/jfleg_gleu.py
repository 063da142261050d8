"""Polish quality on JFLEG: GLEU of `pipeline polish`, and the effect of each rule.

    .venv/bin/python bench/jfleg_gleu.py --jfleg /tmp/jfleg --split dev
    .venv/bin/python bench/jfleg_gleu.py --jfleg /tmp/jfleg --split dev --ablate
    .venv/bin/python bench/jfleg_gleu.py --jfleg /tmp/jfleg --split dev --try-notes

JFLEG (github.com/keisks/jfleg, CC BY-NC-SA 4.0) is 747 dev / 747 test sentences of
learner English with four human fluency corrections each. It is never copied into this
repository: fetch it yourself and pass its folder with --jfleg. Tune on ``dev`` only; the
``test`` split is for a final number.

What runs:
  * each source sentence (JFLEG's text is tokenised, "do n't" and " ."; it is first
    detokenised with NLTK's Treebank detokeniser, as a writer would type it; --raw feeds
    it as it is) goes through the same functions `pipeline polish FILE.txt` uses
    (`pipeline.polish.segment_english` + `polish_document` with one `GrammarStep`),
    in-process, one line per sentence;
  * the source, the hypotheses and the four references are tokenised with NLTK's
    ``TreebankWordTokenizer`` (no data download) and scored with JFLEG's official
    ``eval/gleu.py``, loaded as it is (500 iterations, the mean is printed);
  * counts: automatic edits (Changes) and suggestions left to the reviewer (Notes).

--ablate: GLEU with each rule that fired turned off, one at a time (post-edit rules,
          the Harper rules applied automatically, the joined-word splitter).
--try-notes: GLEU with each Harper rule that is *not* applied automatically turned on
          (its first suggestion applied), to see which would help; a tuning aid only.

NLTK is a bench-only dependency: `.venv/bin/pip install nltk` (the `bench` extra).
gleu.py needs numpy and scipy.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _nltk() -> tuple[Any, Any]:
    try:
        from nltk.tokenize.treebank import TreebankWordDetokenizer, TreebankWordTokenizer
    except ImportError:
        sys.exit("jfleg_gleu.py needs NLTK: .venv/bin/pip install nltk")
    return TreebankWordTokenizer(), TreebankWordDetokenizer()


def load_gleu(jfleg: Path) -> Any:
    """JFLEG's eval/gleu.py as a module (as it is; a patched temporary copy if it is
    Python 2 only)."""
    src = jfleg / "eval" / "gleu.py"
    if not src.is_file():
        sys.exit(f"{src}: not found (give the JFLEG checkout with --jfleg)")

    def load(path: Path) -> Any:
        spec = importlib.util.spec_from_file_location("jfleg_gleu_official", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    try:
        return load(src)
    except SyntaxError:  # a Python 2 print statement: patch a temporary copy
        tmp = Path(tempfile.mkdtemp(prefix="gleu-")) / "gleu.py"
        text = src.read_text(encoding="utf-8")
        import re

        text = re.sub(r"(?m)^(\s*)print (.+)$", r"\1print(\2)", text)
        tmp.write_text(text, encoding="utf-8")
        return load(tmp)


class Scorer:
    """GLEU against one split's four references, all tokenised the same way."""

    def __init__(self, jfleg: Path, split: str, work: Path) -> None:
        self.tok, self.detok = _nltk()
        self.gleu_mod = load_gleu(jfleg)
        folder = jfleg / split
        self.sources = _lines(folder / f"{split}.src")
        self.work = work
        self.src_path = work / "src.tok"
        self._write(self.src_path, self.sources)
        self.ref_paths = []
        for i in range(4):
            p = work / f"ref{i}.tok"
            self._write(p, _lines(folder / f"{split}.ref{i}"))
            self.ref_paths.append(p)
        self.calc = self.gleu_mod.GLEU(4)
        self.calc.load_sources(str(self.src_path))
        self.calc.load_references([str(p) for p in self.ref_paths])

    def tokenize(self, line: str) -> str:
        return " ".join(self.tok.tokenize(line))

    def _write(self, path: Path, lines: list[str]) -> None:
        path.write_text("".join(self.tokenize(x) + "\n" for x in lines), encoding="utf-8")

    def score(self, hyps: list[str], name: str = "hyp") -> float:
        path = self.work / f"{name}.tok"
        self._write(path, hyps)
        result = list(self.calc.run_iterations(num_iterations=500, source=str(self.src_path),
                                               hypothesis=str(path), per_sent=False))
        return 100 * float(result[0][0])


def _lines(path: Path) -> list[str]:
    return [x.rstrip("\n").strip() for x in path.read_text(encoding="utf-8").splitlines()]


def polish_lines(lines: list[str], step: Any) -> tuple[list[str], collections.Counter[str],
                                                        collections.Counter[str]]:
    """Each line through `pipeline polish`'s own functions; returns the polished lines and
    the counts of automatic edits (by rule) and of notes (by code)."""
    from pipeline.document import Block, Document, RunInfo
    from pipeline.polish import polish_document, segment_english

    doc = Document(path=Path("jfleg.txt"), run=RunInfo(format="txt"))
    for i, line in enumerate(lines):
        doc.blocks.append(segment_english(Block(id=f"line{i + 1}", story="body", text=line)))
    polish_document(doc, step)
    edits: collections.Counter[str] = collections.Counter()
    notes: collections.Counter[str] = collections.Counter()
    for seg in doc.segments:
        edits.update(c.rule for c in seg.changes)
        notes.update(n.code for n in seg.notes)
    return [b.target_text() for b in doc.blocks], edits, notes


def make_step(disabled: Collection[str] = (), extra_auto: Mapping[str, str] | None = None) -> Any:
    from pipeline.grammar import GrammarStep

    return GrammarStep("harper", disabled=disabled, extra_auto=extra_auto)


def rule_key(rule: str) -> str:
    """The name a Change's rule is disabled by: "postedit:x", "SpellCheck", "wordsplit"."""
    if rule.startswith("harper:"):
        return rule.split(":", 1)[1]
    return rule


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jfleg", type=Path, required=True, help="a JFLEG checkout (dev/, test/, eval/)")
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--raw", action="store_true", help="feed JFLEG's tokenised text as it is")
    ap.add_argument("--ablate", action="store_true", help="GLEU with each rule that fired off")
    ap.add_argument("--try-notes", action="store_true",
                    help="GLEU with each noted Harper rule applied (tuning aid, dev only)")
    ap.add_argument("--save", type=Path, help="write the polished lines to this file")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="jfleg-gleu-"))
    try:
        scorer = Scorer(args.jfleg, args.split, work)
        src = scorer.sources
        inputs = src if args.raw else [scorer.detok.detokenize(x.split()) for x in src]
        print(f"JFLEG {args.split}: {len(src)} sentences, 4 references; input "
              f"{'as tokenised' if args.raw else 'detokenised'}")
        print(f"{'source (no change)':34s} GLEU {scorer.score(src, 'src'):6.2f}")
        print(f"{'input (detokenised, no change)':34s} GLEU {scorer.score(inputs, 'inp'):6.2f}")

        def run(name: str, step_fn: Callable[[], Any]) -> tuple[float, Any, Any, float]:
            t0 = time.perf_counter()
            hyps, edits, notes = polish_lines(inputs, step_fn())
            dt = time.perf_counter() - t0
            return scorer.score(hyps, name), hyps, edits, notes, dt

        base, hyps, edits, notes, dt = run("polish", make_step)
        n_edits, n_notes = sum(edits.values()), sum(notes.values())
        print(f"{'pipeline polish':34s} GLEU {base:6.2f}   ({dt:.1f} s; {n_edits} automatic "
              f"edits in {sum(1 for a, b in zip(inputs, hyps, strict=True) if a != b)} sentences, "
              f"{n_notes} suggestions left to the reviewer)")
        if args.save:
            args.save.write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
        by_key: collections.Counter[str] = collections.Counter()
        for rule, n in edits.items():
            by_key[rule_key(rule)] += n
        print("\nautomatic edits by rule: " + ", ".join(f"{k} {n}" for k, n in by_key.most_common()))
        print("suggestions by kind:     " + ", ".join(f"{k} {n}" for k, n in notes.most_common()))
        if args.ablate:
            print("\nper-rule effect (GLEU with the rule off; delta = polish - that):")
            for key, n in by_key.most_common():
                g, *_ = run("abl", lambda key=key: make_step(disabled={key}))
                print(f"  {key:40s} {n:5d} edits  GLEU off {g:6.2f}  effect {base - g:+6.2f}")
        if args.try_notes:
            from pipeline.grammar import HarperBackend

            backend = HarperBackend()
            kinds: collections.Counter[str] = collections.Counter()
            for x in inputs:
                for f in backend.check(x):
                    if not f.auto and f.replacements:
                        kinds[f.rule] += 1
            print("\neffect of applying a noted Harper rule (first suggestion):")
            for rule, n in kinds.most_common():
                if n < 2:
                    continue
                g, *_ = run("try", lambda rule=rule: make_step(extra_auto={rule: "grammar"}))
                print(f"  {rule:40s} {n:5d} lints  GLEU on {g:6.2f}  effect {g - base:+6.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
