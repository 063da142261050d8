"""One suite for the translation memory's storage behaviour, run on both back-ends:
an SQLite file and a fresh PostgreSQL database (tests/pg_fixtures.py).

The PostgreSQL runs need a PostgreSQL server and psycopg: they skip without them, and
fail in CI (PIPELINE_REQUIRE_SERVERS).
"""

from __future__ import annotations

import difflib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.memory import (
    SCHEMA_VERSION,
    MemoryEntry,
    MemoryStore,
    memory_key,
    open_memory,
)
from pipeline.tmx import export_tmx, import_tmx_report

WORKER = Path(__file__).with_name("memory_worker.py")


def worker(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKER), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p: subprocess.Popen[str], timeout: float = 120) -> dict:
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_interface_and_schema(memory_spec: str | Path) -> None:
    with open_memory(memory_spec) as tm:
        assert isinstance(tm, MemoryStore)
        assert tm.schema_version == SCHEMA_VERSION and tm.migrate() == SCHEMA_VERSION
        assert not tm.readonly and len(tm) == 0
        st = tm.stats()
        assert st["entries"] == 0 and st["schema"] == SCHEMA_VERSION
    with open_memory(memory_spec) as tm:  # opening again: nothing to create or migrate
        assert tm.migrate() == SCHEMA_VERSION


def test_exact_lookup_is_normalised(memory_spec: str | Path) -> None:
    with open_memory(memory_spec) as tm:
        assert tm.store("我们的订单缺陷率为２．８％。", "Our ODR is 2.8%.", "reviewed") == "inserted"
        hit = tm.lookup("我们的 订单缺陷率为2.8%。")
        assert hit is not None and hit.target == "Our ODR is 2.8%." and hit.score == 1.0
        assert hit.key == memory_key("我们的订单缺陷率为２．８％。")
        assert tm.lookup("别的句子。") is None and tm.lookup("   ") is None


def test_reviewed_wins_and_who_wins_rules(memory_spec: str | Path) -> None:
    src = "我们已经全额退款。"
    with open_memory(memory_spec) as tm:
        assert tm.store(src, "We refunded.", "machine", "m1", "g1") == "inserted"
        assert tm.store(src, "We refunded.", "machine", "m1", "g1") == "unchanged"
        assert tm.store(src, "We refunded in full.", "reviewed") == "updated"
        assert tm.store(src, "Refund done.", "machine", "m2", "g1") == "kept"
        assert tm.lookup(src).target == "We refunded in full."
        assert tm.store(src, "We have refunded in full.", "reviewed") == "updated"  # later wins
        # An older-dated review (a TMX import) does not replace a newer one.
        old = MemoryEntry(src, "Old review.", "reviewed", updated="2001-01-01T00:00:00Z")
        assert tm.store_entries([old]).kept == 1
        # A rejection of exactly the stored text marks it rejected; a machine draft
        # of the same text never brings it back.
        rej = MemoryEntry(src, "We have refunded in full.", "reviewed", status="rejected")
        assert tm.store_entries([rej]).updated == 1
        assert tm.lookup(src).status == "rejected"
        assert tm.store(src, "We have refunded in full.", "machine", "m1", "g1") == "kept"
        # A person's draft beats a machine draft.
        other = "我们更换了物流。"
        draft = MemoryEntry(other, "We changed carriers.", "reviewed", status="draft")
        assert tm.store_entries([draft]).inserted == 1
        assert tm.store(other, "We changed logistics.", "machine", "m1", "g1") == "kept"
        # Empty English is never stored.
        assert tm.store("空的。", "  ", "reviewed") == "unchanged" and tm.lookup("空的。") is None
        # The same key twice in one batch: the later wins under the same rules.
        res = tm.store_many([("重复句子。", "First."), ("重复句子。", "Second.")], "reviewed")
        assert (res.inserted, res.updated) == (1, 1) and tm.lookup("重复句子。").target == "Second."


def test_reuse_rules_of_statuses(memory_spec: str | Path) -> None:
    with open_memory(memory_spec) as tm:
        tm.store("机器句子。", "Machine.", "machine", "m1", "g1")
        tm.store("审核句子。", "Reviewed.", "reviewed")
        hit = tm.lookup("机器句子。")
        assert hit.status == "draft" and hit.reusable_for("m1", "g1")
        assert not hit.reusable_for("m2", "g1") and not hit.reusable_for("m1", "g2")
        assert tm.lookup("审核句子。").reusable_for("m9", "g9")
        st = tm.stats()
        assert st["by_status"] == {"reviewed": 1, "draft": 1, "rejected": 0}
        assert st["by_origin"] == {"machine": 1, "reviewed": 1} and st["models"] == {"m1": 1}


SENTENCES = ["我们的店铺因订单缺陷率过高被停用。", "我们的店铺因订单缺陷率太高被暂停。",
             "我们已经联系了所有买家并全额退款。", "我们已经联系了买家并退款。",
             "我们将每周检查库存。", "我们将每天检查库存和物流。", "卖家绩效团队您好。",
             "我们对此深表歉意。", "我们对此表示歉意。", "库存", "库存表"]


def _expected(query: str, threshold: float) -> list[tuple[str, float]]:
    """The documented rule, computed here directly: difflib ratio on normalised keys."""
    q = memory_key(query)
    out = []
    for s in SENTENCES:
        r = difflib.SequenceMatcher(None, memory_key(s), q, autojunk=False).ratio()
        score = 1.0 if memory_key(s) == q else round(r, 4)
        if score >= threshold:
            out.append((s, score))
    return sorted(out, key=lambda x: -x[1])


@pytest.mark.parametrize("query", ["我们的店铺因订单缺陷率过高被停用了。", "我们将每周检查库存。",
                                   "我们对此深表歉意", "库存"])
def test_fuzzy_scores_follow_the_documented_rule(memory_spec: str | Path, query: str) -> None:
    with open_memory(memory_spec) as tm:
        tm.store_many([(s, f"EN {i}") for i, s in enumerate(SENTENCES)], "reviewed")
        got = [(m.source, m.score) for m in tm.fuzzy(query, 0.5, limit=20)]
        expected = _expected(query, 0.5)
        assert sorted(got, key=lambda x: (-x[1], x[0])) == sorted(expected,
                                                                  key=lambda x: (-x[1], x[0]))
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_fuzzy_ties_prefer_reviewed_and_skip_rejected(memory_spec: str | Path) -> None:
    with open_memory(memory_spec) as tm:
        tm.store("我们将每周检查库存一次。", "Machine weekly.", "machine", "m1")
        tm.store("我们将每周检査库存。", "Reviewed weekly.", "reviewed")
        tm.store_entries([MemoryEntry("我们将每周检查库存!", "Rejected.", "reviewed",
                                      status="rejected")])
        hits = tm.fuzzy("我们将每周检查库存。", 0.5, 5)
        assert "Rejected." not in [h.target for h in hits]
        assert hits and all(0.5 <= h.score < 1.0 for h in hits)


def test_provenance_and_history(memory_spec: str | Path) -> None:
    src = "质检员每天记录检验结果。"
    with open_memory(memory_spec) as tm:
        tm.store_many([(src, "Inspectors log results.")], "machine", "model-x", "g7",
                      author="runner", source_file="a.docx")
        m = tm.lookup(src)
        assert (m.author, m.source_file, m.model, m.glossary_version) == (
            "runner", "a.docx", "model-x", "g7")
        assert m.created.endswith("Z") and m.updated.endswith("Z")
        assert tm.history(src) == []  # machine output is not a decision
        tm.store_many([(src, "QC staff record results daily.")], "reviewed",
                      author="ann", source_file="a.review.docx")
        tm.store_many([(src, "Inspectors record the results every day.")], "reviewed",
                      author="bob", source_file="a-bob.review.docx")
        m = tm.lookup(src)
        assert (m.target, m.author, m.source_file) == (
            "Inspectors record the results every day.", "bob", "a-bob.review.docx")
        hist = tm.history(src)
        assert [(h["author"], h["target"], h["outcome"]) for h in hist] == [
            ("ann", "QC staff record results daily.", "updated"),
            ("bob", "Inspectors record the results every day.", "updated")]
        assert all(h["status"] == "reviewed" and h["at"] for h in hist)


def test_entries_delete_record_use(memory_spec: str | Path) -> None:
    with open_memory(memory_spec) as tm:
        tm.store_many([(s, f"EN {i}") for i, s in enumerate(SENTENCES)], "reviewed")
        assert [e.source for e in tm.entries()] == SENTENCES and len(tm) == len(SENTENCES)
        tm.record_use([SENTENCES[0], SENTENCES[0], SENTENCES[1]])
        assert tm.lookup(SENTENCES[0]).uses == 2 and tm.stats()["uses"] == 3
        assert tm.delete(SENTENCES[0]) and not tm.delete(SENTENCES[0])
        assert tm.lookup(SENTENCES[0]) is None and len(tm) == len(SENTENCES) - 1


def test_readonly_open_never_writes(memory_spec: str | Path) -> None:
    with open_memory(memory_spec) as tm:
        tm.store("只读测试。", "Read-only test.", "reviewed")
    with open_memory(memory_spec, readonly=True) as tm:
        assert tm.readonly and tm.lookup("只读测试。").target == "Read-only test."
        tm.record_use(["只读测试。"])  # a read-only memory is used, not counted
        with pytest.raises(InputError, match="read-only"):
            tm.store("新句子。", "New.", "reviewed")
    with open_memory(memory_spec) as tm:
        assert tm.lookup("只读测试。").uses == 0 and len(tm) == 1


def test_tmx_round_trip(memory_spec: str | Path, tmp_path: Path) -> None:
    with open_memory(memory_spec) as tm:
        tm.store("我们已经全额退款。", "We refunded in full.", "reviewed")
        tm.store("我们将每周检查库存。", "We check stock weekly.", "machine", "m1", "g1")
        tm.store_entries([MemoryEntry("坏翻译。", "Bad.", "reviewed", status="rejected")])
        tm.store_many([("审核过的句子。", "A reviewed sentence.")], "reviewed", author="ann",
                      source_file="a.review.docx")
        assert export_tmx(tm, tmp_path / "out.tmx") == 4
        before = {e.key: (e.target, e.origin, e.status, e.model) for e in tm.entries()}
    other = tmp_path / "copy.sqlite"
    with open_memory(other) as tm2:
        res = import_tmx_report(tm2, tmp_path / "out.tmx")
        assert res.read == 4
        assert {e.key: (e.target, e.origin, e.status, e.model) for e in tm2.entries()} == before
        hit = tm2.lookup("审核过的句子。")  # provenance travels in the TMX
        assert (hit.author, hit.source_file) == ("ann", "a.review.docx")
        assert tm2.lookup("坏翻译。").source_file == "out.tmx"  # none recorded: the TMX
    with open_memory(memory_spec) as tm:  # importing its own export back changes nothing
        res = import_tmx_report(tm, tmp_path / "out.tmx")
        assert res.inserted == 0 and res.updated == 0


# --- several processes at once ------------------------------------------------------------

def _create(spec: str | Path) -> None:
    open_memory(spec).close()  # the schema in place: the writers race on data only


@pytest.mark.slow
def test_several_processes_write_and_read_at_once(memory_spec: str | Path) -> None:
    _create(memory_spec)
    n, shared, writers = 120, 25, 4
    procs = [worker("write", memory_spec, f"w{i}", n, shared) for i in range(writers)]
    results = [finish(p, 300) for p in procs]
    assert all(r["found"] == n for r in results)  # each reads back all it wrote
    with open_memory(memory_spec) as tm:
        assert len(tm) == writers * n + shared  # nothing lost, nothing duplicated
        keys = [e.key for e in tm.entries()]
        assert len(keys) == len(set(keys))
        for i in range(shared):  # reviewed wins over machine, whatever the order
            hit = tm.lookup(f"所有进程共同的第{i}句话。")
            assert hit.status == "reviewed" and hit.author in ("w0", "w2")


@pytest.mark.slow
def test_two_reviewers_approve_the_same_sentence_at_once(memory_spec: str | Path,
                                                         tmp_path: Path) -> None:
    _create(memory_spec)
    src = "我们对给买家带来的不便深表歉意。"
    marker, release = tmp_path / "a-in-transaction", tmp_path / "release"
    a = worker("approve", memory_spec, src, "We apologise for the trouble.", "ann",
               marker, release)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert a.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    # Ann's approval is written but not committed; Bob approves the same sentence now.
    b = worker("approve", memory_spec, src, "We are sorry for the inconvenience.", "bob")
    time.sleep(1.0)
    assert b.poll() is None  # Bob waits for Ann's transaction: no lost update
    with open_memory(memory_spec, readonly=True) as tm:
        assert tm.lookup(src) is None  # nothing half-written is visible
    release.write_text("go", encoding="utf-8")
    assert finish(a)["inserted"] == 500
    assert finish(b)["updated"] == 1
    with open_memory(memory_spec) as tm:
        hit = tm.lookup(src)
        assert (hit.target, hit.author) == ("We are sorry for the inconvenience.", "bob")
        assert [(h["author"], h["target"]) for h in tm.history(src)] == [
            ("ann", "We apologise for the trouble."), ("bob", "We are sorry for the inconvenience.")]


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_killed_mid_transaction_leaves_nothing_half_written(memory_spec: str | Path,
                                                            tmp_path: Path) -> None:
    _create(memory_spec)
    marker = tmp_path / "in-transaction"
    p = worker("hold", memory_spec, "k", 600, marker)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert p.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    p.communicate(timeout=60)
    with open_memory(memory_spec) as tm:
        assert len(tm) == 0 and tm.lookup("k的第0句话已经翻译好了。") is None
    # The same work again, complete: every entry exactly once.
    assert finish(worker("write", memory_spec, "k", 600, 0))["found"] == 600
    with open_memory(memory_spec) as tm:
        keys = [e.key for e in tm.entries()]
        assert len(keys) == 600 == len(set(keys))
