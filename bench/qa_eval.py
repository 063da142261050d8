"""QA evaluation: precision and recall of each QA check on the team's own appeal set.

The set is ``tests/qa_eval/*.json``: appeals written for it (not the sample, not the demo
corpus), each a list of (Chinese, professional English) pairs plus *planted* errors. Each
planted error edits one or more segments (the English, sometimes the Chinese too) and names
the check expected to catch it.

- The good appeals are checked as reviewed English: every finding there is a false alarm.
- Each planted error is checked in its own copy of the appeal; it is *caught* when its
  check reports on an edited segment (``poa-*`` checks: on the document).

Per check: precision = caught / (caught + false alarms on the good set); recall = caught /
planted. Usage: ``python bench/qa_eval.py [--json | --ratios]``; ``--ratios`` prints the
length-ratio calibration on real pairs (demo corpus + good appeals). The suite runs the same evaluation
(tests/test_qa.py) and fails below 100% precision on the good set or 90% recall.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as `python bench/qa_eval.py` from anywhere
    sys.path.insert(0, str(REPO))

EVAL_DIR = REPO / "tests" / "qa_eval"


@dataclass
class Appeal:
    id: str
    segments: list[tuple[str, str]]
    planted: list[dict[str, Any]]
    path: Path


@dataclass
class Result:
    good_segments: int = 0
    false_alarms: list[dict[str, Any]] = field(default_factory=list)  # findings on good text
    planted: list[dict[str, Any]] = field(default_factory=list)  # one per planted error

    def per_check(self) -> dict[str, dict[str, Any]]:
        stats: dict[str, dict[str, Any]] = {}
        for p in self.planted:
            s = stats.setdefault(p["check"], {"planted": 0, "caught": 0, "false": 0})
            s["planted"] += 1
            s["caught"] += p["caught"]
        for f in self.false_alarms:
            s = stats.setdefault(f["code"], {"planted": 0, "caught": 0, "false": 0})
            s["false"] += 1
        for s in stats.values():
            flagged = s["caught"] + s["false"]
            s["precision"] = s["caught"] / flagged if flagged else None
            s["recall"] = s["caught"] / s["planted"] if s["planted"] else None
        return dict(sorted(stats.items()))

    def recall(self) -> float:
        return sum(p["caught"] for p in self.planted) / max(1, len(self.planted))


def load_appeals(folder: Path = EVAL_DIR) -> list[Appeal]:
    appeals = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        appeals.append(Appeal(data["id"], [(zh, en) for zh, en in data["segments"]],
                              data.get("planted", []), path))
    return appeals


def eval_glossary(folder: Path = EVAL_DIR) -> Any:
    """The built-in glossary plus the set's own entries (``glossary.tsv``), if any."""
    from pipeline.glossary import load_glossaries

    extra = folder / "glossary.tsv"
    return load_glossaries([extra] if extra.is_file() else [], builtin=True)


def build_document(appeal_id: str, pairs: list[tuple[str, str]]) -> Any:
    """A Document of reviewed segments, one paragraph per pair (as `pipeline qa` builds)."""
    from pipeline.document import Block, Document, Origin, Segment

    doc = Document(Path(f"{appeal_id}.docx"))
    for i, (zh, en) in enumerate(pairs):
        block = Block(f"body/p{i}", "body", zh)
        block.segments.append(Segment(f"body/p{i}#0", block.id, 0, zh, translatable=True,
                                      target=en, origin=Origin.REVIEWED))
        doc.blocks.append(block)
    return doc


def apply_edits(appeal: Appeal, planted: dict[str, Any]) -> tuple[list[tuple[str, str]], set[int]]:
    pairs = list(appeal.segments)
    edited = set()
    for key, edit in planted["edits"].items():
        i = int(key)
        zh, en = pairs[i]
        pairs[i] = (edit.get("zh", zh), edit.get("en", en))
        edited.add(i)
    return pairs, edited


def findings(doc: Any) -> list[dict[str, Any]]:
    out = [{"segment": None, "code": n.code, "severity": n.severity.value, "message": n.message}
           for n in doc.notes]
    for i, seg in enumerate(doc.segments):
        out.extend({"segment": i, "code": n.code, "severity": n.severity.value,
                    "message": n.message} for n in seg.notes)
    return out


def evaluate(folder: Path = EVAL_DIR) -> Result:
    from pipeline.qa import QAStep

    step = QAStep(glossary=eval_glossary(folder))
    result = Result()
    for appeal in load_appeals(folder):
        doc = step(build_document(appeal.id, appeal.segments))
        result.good_segments += len(appeal.segments)
        for f in findings(doc):
            if f["severity"] != "info":
                result.false_alarms.append({"appeal": appeal.id, **f})
        for n, planted in enumerate(appeal.planted):
            pairs, edited = apply_edits(appeal, planted)
            doc = step(build_document(f"{appeal.id}-planted{n}", pairs))
            found = findings(doc)
            check = planted["check"]
            caught = any(f["code"] == check and (f["segment"] in edited or
                                                 (check.startswith("poa-") and f["segment"] is None))
                         for f in found)
            others = sorted({f["code"] for f in found
                             if f["segment"] in edited and f["code"] != check})
            flagged = caught or any(f["severity"] != "info" and f["segment"] in edited
                                    for f in found)
            result.planted.append({"appeal": appeal.id, "kind": planted["kind"], "check": check,
                                   "caught": caught, "flagged": flagged, "also": others})
    return result


def real_pairs(folder: Path = EVAL_DIR) -> list[tuple[str, str]]:
    """Real (Chinese, English) pairs: the demo corpus and the good appeals of the set."""
    pairs: list[tuple[str, str]] = []
    corpus = REPO / "demo_model" / "corpus.tsv"
    if corpus.is_file():
        for line in corpus.read_text(encoding="utf-8").splitlines()[1:]:
            if line.count("\t") == 1:
                zh, en = line.split("\t")
                pairs.append((zh, en))
    for appeal in load_appeals(folder):
        pairs.extend(appeal.segments)
    return pairs


def ratio_table(folder: Path = EVAL_DIR) -> list[dict[str, Any]]:
    """English characters per Chinese character on real pairs, by source length and by
    clause count: what RATIO_BOUNDS, CLAUSE_FLOOR and REAL_MIN in pipeline/qa/context.py rest on."""
    import statistics

    from pipeline.qa import HAN_RE, clause_counts, length_ratio

    groups: dict[str, list[float]] = {}
    for zh, en in real_pairs(folder):
        ratio = length_ratio(zh, en)
        if ratio is None:
            continue
        han = len(HAN_RE.findall(zh))
        size = "8-15" if han < 16 else "16-31" if han < 32 else "32+"
        clauses = "1 clause" if clause_counts(zh, en)[0] < 2 else "2+ clauses"
        for key in (f"{size} Chinese chars", clauses, "all"):
            groups.setdefault(key, []).append(ratio)
    order = ["8-15 Chinese chars", "16-31 Chinese chars", "32+ Chinese chars", "1 clause",
             "2+ clauses", "all"]
    rows = []
    for key, values in sorted(groups.items(), key=lambda kv: order.index(kv[0])):
        values.sort()
        rows.append({"group": key, "pairs": len(values), "min": values[0],
                     "p5": values[len(values) // 20], "median": statistics.median(values),
                     "max": values[-1]})
    return rows


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--ratios" in args:
        print(f"{'real pairs':22} {'pairs':>5} {'min':>5} {'p5':>5} {'median':>6} {'max':>5}")
        for r in ratio_table():
            print(f"{r['group']:22} {r['pairs']:5} {r['min']:5.2f} {r['p5']:5.2f} "
                  f"{r['median']:6.2f} {r['max']:5.2f}")
        return 0
    result = evaluate()
    table = result.per_check()
    if "--json" in args:
        print(json.dumps({"good_segments": result.good_segments,
                          "false_alarms": result.false_alarms, "planted": result.planted,
                          "per_check": table, "recall": result.recall()},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"good set: {result.good_segments} segments, {len(result.false_alarms)} warnings/errors "
          f"(precision on the good set: {'100%' if not result.false_alarms else 'below 100%'})")
    print(f"planted: {len(result.planted)} errors, {sum(p['caught'] for p in result.planted)} "
          f"caught by their check (recall {_pct(result.recall())}); "
          f"{sum(p['flagged'] for p in result.planted)} flagged at their segment by some "
          f"check\n")
    print(f"{'check':26} {'planted':>7} {'caught':>6} {'false':>5} {'precision':>9} {'recall':>6}")
    for name, s in table.items():
        print(f"{name:26} {s['planted']:7} {s['caught']:6} {s['false']:5} "
              f"{_pct(s['precision']):>9} {_pct(s['recall']):>6}")
    if result.false_alarms:
        print("\nfalse alarms on the good set:")
        for f in result.false_alarms:
            print(f"  {f['appeal']} seg {f['segment']}: {f['code']} ({f['severity']}): "
                  f"{f['message']}")
    missed = [p for p in result.planted if not p["caught"]]
    if missed:
        print("\nmissed:")
        for p in missed:
            print(f"  {p['appeal']}: {p['kind']} (expected {p['check']}; "
                  f"also reported: {', '.join(p['also']) or 'nothing'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
