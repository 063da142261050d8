"""Translation memory: real SQLite files, real processes."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pipeline.document import Block, Document, Origin, Segment, Severity
from pipeline.errors import InputError
from pipeline.memory import MemoryEntry, MemoryStep, TranslationMemory, memory_key, remember

REPO = Path(__file__).resolve().parents[1]

SRC = "我们已经退还了买家的全部货款。"
EN = "We have refunded the buyer in full."


@pytest.fixture
def tm(tmp_path: Path):
    with TranslationMemory(tmp_path / "lib" / ".pipeline" / "memory.sqlite") as memory:
        yield memory


def test_creates_file_in_wal_mode(tm: TranslationMemory) -> None:
    assert tm.path.is_file()
    con = sqlite3.connect(tm.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_normalize_nfkc_and_whitespace() -> None:
    assert memory_key(" 订单号：１２３  已 退款 。\n") == "订单号:123已退款。"
    assert memory_key("ASIN   B0123  listing") == "ASIN B0123 listing"


def test_exact_lookup_uses_normalised_key(tm: TranslationMemory) -> None:
    assert tm.store(SRC, EN, "machine", "m1", "g1") == "inserted"
    hit = tm.lookup("我们已经退还了买家的全部货款 。")  # stray space, same key
    assert hit is not None
    assert (hit.target, hit.origin, hit.model, hit.glossary_version) == (EN, "machine", "m1", "g1")
    assert hit.source == SRC  # the original text is kept
    assert tm.lookup("我们没有退款。") is None
    assert tm.lookup("   ") is None


def test_fuzzy_threshold_and_ordering(tm: TranslationMemory) -> None:
    tm.store_many([
        ("我们已经退还了买家的全部货款。", "full"),
        ("我们已经退还了买家的部分货款。", "partial"),
        ("我们已经联系了买家。", "contacted"),
        ("仓库的库存已经全部盘点完毕。", "unrelated"),
    ], "machine", "m", "g")
    found = tm.fuzzy("我们已经退还了买家全部的货款。", threshold=0.75, limit=3)
    targets = [m.target for m in found]
    assert targets[0] == "full"
    assert "partial" in targets
    assert "unrelated" not in targets
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert all(0.75 <= m.score < 1.0 for m in found)
    # A higher threshold drops the weaker match; limit caps the list.
    strict = tm.fuzzy("我们已经退还了买家全部的货款。", threshold=0.9)
    assert [m.target for m in strict] == ["full"]
    assert len(tm.fuzzy("我们已经退还了买家全部的货款。", threshold=0.3, limit=1)) == 1
    # An identical source scores 1.0.
    assert tm.fuzzy(SRC)[0].score == 1.0


def test_fuzzy_prefers_reviewed_on_equal_score(tm: TranslationMemory) -> None:
    tm.store("我们已经退还了货款甲。", "machine one", "machine", "m", "g")
    tm.store("我们已经退还了货款乙。", "reviewed one", "reviewed")
    found = tm.fuzzy("我们已经退还了货款丙。", threshold=0.5)
    assert [m.target for m in found] == ["reviewed one", "machine one"]
    assert found[0].score == found[1].score


def test_fuzzy_is_fast_with_many_entries(tmp_path: Path) -> None:
    rnd = random.Random(7)
    chars = "我们已经退还了买家的全部货款订单号库存仓库物流账户绩效政策违规商品审核申诉改进措施根本原因"
    pairs = {"".join(rnd.choice(chars) for _ in range(rnd.randint(12, 40))) + "。": "x"
             for _ in range(12_000)}
    with TranslationMemory(tmp_path / "big.sqlite") as tm:
        tm.store_many(pairs.items(), "machine", "m", "g")
        probe = next(iter(pairs))
        query = probe[:5] + "新" + probe[6:]
        start = time.perf_counter()
        for _ in range(20):
            found = tm.fuzzy(query)
        per_query = (time.perf_counter() - start) / 20
        assert found and found[0].key == probe
        # A generous bound that holds on a busy machine (the speed itself is measured by
        # bench/memory_lookup.py): it only catches a lookup that has lost its index.
        assert per_query < 2.0, f"fuzzy took {per_query:.3f}s per query"


def test_reviewed_wins_over_machine(tm: TranslationMemory) -> None:
    assert tm.store(SRC, "machine 1", "machine", "m", "g") == "inserted"
    assert tm.store(SRC, "machine 1", "machine", "m", "g") == "unchanged"
    assert tm.store(SRC, "machine 2", "machine", "m2", "g") == "updated"
    assert tm.lookup(SRC).target == "machine 2"
    assert tm.store(SRC, "reviewed 1", "reviewed") == "updated"
    # A machine translation never replaces a reviewed one...
    assert tm.store(SRC, "machine 3", "machine", "m", "g") == "kept"
    res = tm.store_many([(SRC, "machine 4")], "machine", "m", "g")
    assert (res.kept, res.updated) == (1, 0)
    assert tm.lookup(SRC).target == "reviewed 1"
    # ...but a newer review does.
    assert tm.store(SRC, "reviewed 2", "reviewed") == "updated"
    hit = tm.lookup(SRC)
    assert (hit.target, hit.origin) == ("reviewed 2", "reviewed")
    assert len(tm) == 1


def test_older_dated_review_does_not_replace_newer(tm: TranslationMemory) -> None:
    tm.store_entries([MemoryEntry(SRC, "2024 review", "reviewed", updated="2024-06-01T00:00:00Z")])
    res = tm.store_entries([MemoryEntry(SRC, "2023 review", "reviewed",
                                        updated="2023-01-01T00:00:00Z")])
    assert res.kept == 1 and tm.lookup(SRC).target == "2024 review"
    res = tm.store_entries([MemoryEntry(SRC, "2025 review", "reviewed",
                                        updated="2025-01-01T00:00:00Z")])
    assert res.updated == 1 and tm.lookup(SRC).target == "2025 review"
    assert tm.lookup(SRC).updated == "2025-01-01T00:00:00Z"


def test_empty_english_is_not_stored(tm: TranslationMemory) -> None:
    assert tm.store(SRC, "   ", "machine") == "unchanged"
    assert tm.lookup(SRC) is None


def test_store_rejects_unknown_origin(tm: TranslationMemory) -> None:
    with pytest.raises(ValueError):
        tm.store(SRC, EN, "guess")
    assert len(tm) == 0  # the transaction was rolled back


def test_store_many_is_one_transaction(tm: TranslationMemory) -> None:
    with pytest.raises(ValueError):
        tm.store_many([("第一句。", "one"), ("第二句。", "two"), ("第三句。", "")], "bogus")
    assert len(tm) == 0
    res = tm.store_many([("第一句。", "one"), ("第二句。", "two"), ("第一句。", "uno")])
    assert (res.inserted, res.updated) == (2, 1)
    assert tm.lookup("第一句。").target == "uno"


def test_reuse_rules_model_and_glossary(tm: TranslationMemory) -> None:
    tm.store(SRC, EN, "machine", "opus-zh-en", "g1")
    hit = tm.lookup(SRC)
    assert hit.reusable_for("opus-zh-en", "g1")
    assert not hit.reusable_for("opus-zh-en", "g2")
    assert not hit.reusable_for("demo", "g1")
    tm.store(SRC, "Reviewed.", "reviewed")
    assert tm.lookup(SRC).reusable_for("anything", "any")


def test_stats_entries_delete(tm: TranslationMemory) -> None:
    tm.store_many([("第一句。", "one"), ("第二句。", "two")], "machine", "m1", "g1")
    tm.store("第三句。", "three", "machine", "m2", "g1")
    tm.store("第四句。", "four", "reviewed")
    st = tm.stats()
    assert st["entries"] == 4
    assert st["by_origin"] == {"machine": 3, "reviewed": 1}
    assert st["models"] == {"m1": 2, "m2": 1}
    assert st["glossary_versions"] == {"g1": 3}
    assert [e.target for e in tm.entries()] == ["one", "two", "three", "four"]
    assert tm.delete("第一句。") and not tm.delete("第一句。")
    assert tm.fuzzy("第一句。", threshold=0.9) == []
    assert len(tm) == 3


def test_reopen_keeps_data_and_refuses_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    with TranslationMemory(path) as tm:
        tm.store(SRC, EN, "reviewed")
    with TranslationMemory(path, create=False) as tm:
        assert tm.lookup(SRC).target == EN
    with pytest.raises(InputError, match="does not exist"):
        TranslationMemory(tmp_path / "missing.sqlite", create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(InputError, match="not a translation memory"):
        TranslationMemory(junk)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="not a translation memory"):
        TranslationMemory(other)


_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from pipeline.memory import TranslationMemory
    db, tag, go = Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    with TranslationMemory(db) as tm:
        while not go.exists():  # both processes start writing together
            time.sleep(0.005)
        for i in range(150):
            tm.store(f"进程{tag}的第{i}句话。", f"{tag} {i}", "machine", "m", "g")
            tm.store(f"共享的第{i}句话。", f"shared by {tag}", "machine", "m", "g")
        tm.store_many([(f"批量{tag}第{i}句。", f"batch {tag} {i}") for i in range(300)],
                      "machine", "m", "g")
        tm.record_use([f"共享的第{i}句话。" for i in range(150)])
    print("done", tag)
""")


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    TranslationMemory(db).close()  # schema in place; the writers race on data only
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(REPO), str(db), tag, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("A", "B")]
    time.sleep(0.3)
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.startswith("done")
    with TranslationMemory(db) as tm:
        assert len(tm) == 150 * 2 + 150 + 300 * 2
        assert tm.lookup("进程A的第149句话。").target == "A 149"
        assert tm.lookup("批量B第299句。").target == "batch B 299"
        assert tm.lookup("共享的第7句话。").target in ("shared by A", "shared by B")
        assert tm.lookup("共享的第7句话。").uses == 2  # no lost update


_OPENER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from pipeline.memory import TranslationMemory
    db, go = Path(sys.argv[2]), Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.002)
    with TranslationMemory(db) as tm:
        tm.store(f"进程{sys.argv[4]}。", "x", "machine")
""")


def test_many_open_a_new_memory_at_once(tmp_path: Path) -> None:
    """Regression: two openers of a not-yet-existing file raced on the switch to WAL
    ("database is locked") and on creating the schema."""
    for round_ in range(6):
        db = tmp_path / f"new{round_}.sqlite"
        go = tmp_path / f"go{round_}"
        procs = [subprocess.Popen([sys.executable, "-c", _OPENER, str(REPO), str(db), str(go),
                                   str(i)], stderr=subprocess.PIPE, text=True) for i in range(4)]
        errors: list[BaseException] = []

        def open_store(i: int, db: Path = db, go: Path = go,
                       errors: list[BaseException] = errors) -> None:
            while not go.exists():
                time.sleep(0.002)
            try:
                with TranslationMemory(db) as tm:
                    tm.store(f"线程{i}。", "y", "machine")
                    for k in range(20):  # readers while others still open and create
                        tm.lookup(f"句子{k}。")
                        tm.fuzzy(f"句子{k}。")
            except BaseException as exc:  # collected, asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_store, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        go.touch()
        for t in threads:
            t.join(60)
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        assert errors == []
        with TranslationMemory(db) as tm:
            assert len(tm) == 8


def test_two_connections_interleave(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    with TranslationMemory(db) as a, TranslationMemory(db) as b:
        a.store("甲。", "a", "machine")
        assert b.lookup("甲。").target == "a"  # committed writes are visible at once
        b.store("甲。", "b reviewed", "reviewed")
        a.store("甲。", "a again", "machine")
        assert a.lookup("甲。").target == "b reviewed"


# -- the memory step ---------------------------------------------------------------


def _doc(*sources: str) -> Document:
    block = Block(id="body/p0", story="body", text="".join(sources))
    for i, src in enumerate(sources):
        block.segments.append(Segment(id=f"body/p0#{i}", block_id="body/p0", index=i,
                                      source=src))
    return Document(path=Path("appeal.docx"), blocks=[block])


def test_memory_step_exact_fuzzy_and_untouched(tm: TranslationMemory) -> None:
    tm.store("我们已经退还了买家的全部货款。", "We refunded the buyer in full.", "machine",
             "opus", "g1")
    tm.store("我们已经更换了供应商。", "We have changed our supplier.", "reviewed")
    doc = _doc("我们已经退还了买家的全部货款。", "我们已经更换了供应商。",
               "我们已经退还了买家的部分货款。", "完全不同的句子内容在这里。", "ASIN B0123")
    doc.segments[4].translatable = False
    doc.segments[4].skip_reason = "no Chinese"
    step = MemoryStep(tm, model="opus", glossary_version="g1")
    assert step.name == "memory"
    out = step(doc)
    assert out is doc
    exact_m, exact_r, fuzzy, fresh, skipped = doc.segments
    assert exact_m.target == "We refunded the buyer in full."
    assert exact_m.origin is Origin.MEMORY_EXACT
    assert exact_m.memory.origin == "machine"
    assert exact_m.mt is None  # not engine output
    assert exact_r.origin is Origin.MEMORY_EXACT
    assert exact_r.memory.origin == "reviewed"
    assert fuzzy.target is None and fuzzy.origin is Origin.NONE
    [note] = fuzzy.notes
    assert (note.code, note.severity, note.step) == ("memory-fuzzy", Severity.INFO, "memory")
    assert "We refunded the buyer in full." in note.message
    assert "我们已经退还了买家的全部货款。" in note.message
    assert "%" in note.message
    assert fuzzy.fuzzy[0].score >= 0.75
    assert fresh.target is None and not fresh.notes and not fresh.fuzzy
    assert skipped.target is None and not skipped.notes
    assert doc.run.memory_hits == {"exact": 2, "fuzzy": 1}
    # Reuse is counted.
    assert tm.lookup("我们已经更换了供应商。").uses == 1


def test_memory_step_other_model_is_a_suggestion(tm: TranslationMemory) -> None:
    tm.store(SRC, EN, "machine", "demo", "g1")
    for model, gv in (("opus", "g1"), ("demo", "g2")):
        doc = _doc(SRC)
        MemoryStep(tm, model=model, glossary_version=gv)(doc)
        seg = doc.segments[0]
        assert seg.target is None and seg.origin is Origin.NONE
        [note] = seg.notes
        assert note.code == "memory-fuzzy" and "another model" in note.message
        assert seg.fuzzy[0].score == 1.0 and seg.fuzzy[0].stale


def test_memory_step_leaves_existing_targets(tm: TranslationMemory) -> None:
    tm.store(SRC, EN, "reviewed")
    doc = _doc(SRC)
    doc.segments[0].target = "Already there."
    MemoryStep(tm, "m", "g")(doc)
    assert doc.segments[0].target == "Already there."
    assert doc.segments[0].origin is Origin.NONE


def test_remember_stores_final_machine_text(tm: TranslationMemory) -> None:
    doc = _doc("第一句。", "第二句。", "第三句。", "第四句。")
    a, b, c, d = doc.segments
    a.mt, a.target, a.origin = "raw engine", "Final after grammar.", Origin.MACHINE
    b.target, b.origin = "From memory.", Origin.MEMORY_EXACT
    c.origin = Origin.ENGINE_FAILED
    res = remember(doc, tm, "opus", "g1")
    assert res.inserted == 1
    hit = tm.lookup("第一句。")
    assert (hit.target, hit.origin, hit.model, hit.glossary_version) == (
        "Final after grammar.", "machine", "opus", "g1")
    assert tm.lookup("第二句。") is None and tm.lookup("第三句。") is None
    assert tm.lookup("第四句。") is None
    # The next run of the same model gets it back as an exact hit.
    doc2 = _doc("第一句。")
    MemoryStep(tm, "opus", "g1")(doc2)
    assert doc2.segments[0].target == "Final after grammar."


# A schema-1 memory as the previous release wrote it (origin only, no status).
_SCHEMA_1 = """
CREATE TABLE tm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tm (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('machine', 'reviewed')),
    model TEXT NOT NULL DEFAULT '', glossary_version TEXT NOT NULL DEFAULT '',
    length INTEGER NOT NULL, ngrams INTEGER NOT NULL, created TEXT NOT NULL,
    updated TEXT NOT NULL, uses INTEGER NOT NULL DEFAULT 0);
CREATE INDEX tm_length ON tm(length);
CREATE TABLE tm_gram (gram TEXT NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (gram, entry)) WITHOUT ROWID;
INSERT INTO tm_meta VALUES ('schema', '1');
"""


def test_schema_1_memory_is_migrated_with_statuses(tmp_path: Path) -> None:
    import sqlite3

    from pipeline.memory import SCHEMA_VERSION, _grams

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_1)
    for i, (src, tgt, origin) in enumerate([("我们道歉。", "We apologise.", "reviewed"),
                                            ("我们改进。", "We improve.", "machine")], 1):
        conn.execute("INSERT INTO tm VALUES (?, ?, ?, ?, ?, 'm1', 'g1', ?, ?, "
                     "'2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 2)",
                     (i, src, src, tgt, origin, len(src), len(_grams(src))))
        conn.executemany("INSERT INTO tm_gram VALUES (?, ?)", [(g, i) for g in _grams(src)])
    conn.commit()
    conn.close()
    with TranslationMemory(path) as tm:
        assert {e.source: e.status for e in tm.entries()} == {"我们道歉。": "reviewed",
                                                               "我们改进。": "draft"}
        assert tm.stats()["by_status"] == {"reviewed": 1, "draft": 1, "rejected": 0}
        # The machine entry keeps its old meaning: reused for the same model only.
        assert tm.lookup("我们改进。").reusable_for("m1", "g1")
        assert not tm.lookup("我们改进。").reusable_for("m2", "g1")
        assert tm.fuzzy("我们改进了。", 0.5)[0].target == "We improve."
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM tm_meta WHERE key='schema'").fetchone()[0] \
        == SCHEMA_VERSION
    conn.close()
    with TranslationMemory(path) as tm:  # opening again: nothing more to migrate
        assert len(tm) == 2


def test_schema_2_memory_gets_provenance_and_history(tmp_path: Path) -> None:
    """Schema 2 (statuses, no provenance): read as it is when read-only, migrated to 3
    (author/source_file columns, history table) when opened for writing."""
    import sqlite3

    from pipeline.memory import _MIGRATE_1_TO_2, SCHEMA_VERSION, _grams

    path = tmp_path / "v2.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_1)
    src = "我们道歉。"
    conn.execute("INSERT INTO tm VALUES (1, ?, ?, 'We apologise.', 'reviewed', '', '', ?, ?, "
                 "'2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 0)",
                 (src, src, len(src), len(_grams(src))))
    for stmt in _MIGRATE_1_TO_2:
        conn.execute(stmt)
    conn.commit()
    conn.close()
    with TranslationMemory(path, readonly=True) as tm:
        assert tm.schema_version == "2" and tm.lookup(src).author == ""
        assert tm.history(src) == [] and [e.target for e in tm.entries()] == ["We apologise."]
    with TranslationMemory(path) as tm:
        assert tm.schema_version == SCHEMA_VERSION == tm.migrate()
        tm.store_many([(src, "We are sorry.")], "reviewed", author="ann", source_file="r.docx")
        hit = tm.lookup(src)
        assert (hit.target, hit.author, hit.source_file) == ("We are sorry.", "ann", "r.docx")
        assert [h["author"] for h in tm.history(src)] == ["ann"]
