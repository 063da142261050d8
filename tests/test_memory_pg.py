"""The PostgreSQL memory from the command line (real throwaway server): batch and
apply-review like their SQLite forms, connection failures, no password anywhere, the
same fuzzy answers as SQLite, and the scan when pg_trgm cannot be had."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import docx
import pytest

from pipeline.errors import InputError
from pipeline.memory import memory_label, open_memory, redact_url

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "draft_zh.docx"
SECRET = "pw-7f3c9a1e-unique-secret"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd,
                          capture_output=True, text=True, env=ENV, timeout=600)


def with_password(url: str, password: str = SECRET) -> str:
    parts = urlsplit(url)
    return url.replace(f"//{parts.username}@", f"//{parts.username}:{password}@", 1)


def make_library(root: Path) -> Path:
    texts = [["我们的店铺因订单缺陷率过高被停用。", "我们已经联系了所有买家并全额退款。"],
             ["我们将每周检查库存。", "我们已经联系了所有买家并全额退款。", "ASIN: B0123ABCDE"]]
    for i, paras in enumerate(texts):
        d = docx.Document()
        for p in paras:
            d.add_paragraph(p)
        (root / f"shop{i}").mkdir(parents=True, exist_ok=True)
        d.save(str(root / f"shop{i}" / f"doc{i}.docx"))
    return root


def everything_written(folder: Path) -> str:
    """All text under folder, DOCX parts included (a password must be in none of it)."""
    chunks = []
    for p in folder.rglob("*"):
        if p.is_file() and p.suffix == ".docx":
            with zipfile.ZipFile(p) as z:
                chunks += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        elif p.is_file():
            chunks.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(chunks)


def test_redact_url() -> None:
    assert redact_url("postgresql://ann:s3cret@db.example:5433/tm") == \
        "postgresql://ann:***@db.example:5433/tm"
    assert redact_url("postgres://db/tm?sslmode=require&password=x1") == \
        "postgres://db/tm?sslmode=require&password=***"
    assert redact_url("postgresql://ann@db/tm") == "postgresql://ann@db/tm"
    assert memory_label(Path("a/memory.sqlite")) == str(Path("a/memory.sqlite"))


def test_connection_failure_is_one_line_naming_the_host(tmp_path: Path) -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        from pg_fixtures import _unavailable

        _unavailable("psycopg is not installed: pip install -e '.[team]'")
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://ann:{SECRET}@127.0.0.1:{port}/tm"
    with pytest.raises(InputError) as err:
        open_memory(url)
    assert f"127.0.0.1:{port}" in str(err.value) and SECRET not in str(err.value)
    for args in (["memory", "stats", "--memory", url],
                 ["memory", "migrate", "--memory", url],
                 ["batch", str(make_library(tmp_path / "lib")), "--out", str(tmp_path / "o"),
                  "--memory", url, "--grammar", "none"]):
        r = cli(*args, cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert f"127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert SECRET not in r.stdout + r.stderr
    assert not (tmp_path / "o").exists() or SECRET not in everything_written(tmp_path / "o")


@pytest.mark.slow
def test_batch_on_postgresql_works_like_sqlite(pg_url: str, tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib")
    url = with_password(pg_url)  # trust auth: accepted and ignored, must never be shown
    results = {}
    for name, spec in (("sqlite", str(tmp_path / "tm.sqlite")), ("postgresql", url)):
        r = cli("batch", str(lib), "--out", str(tmp_path / f"out-{name}"), "--memory", spec,
                "--grammar", "none", "--json", "--jobs", "2", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        results[name] = json.loads(r.stdout)
        assert SECRET not in r.stdout + r.stderr
    assert results["postgresql"]["memory"] == redact_url(url)
    assert results["postgresql"]["totals"] == results["sqlite"]["totals"]
    with open_memory(tmp_path / "tm.sqlite") as a, open_memory(pg_url) as b:
        rows = [{(e.key, e.target, e.status, e.model) for e in m.entries()} for m in (a, b)]
        assert rows[0] == rows[1] and len(rows[0]) == 3
    # A second batch (another machine, another output folder) gets everything from the
    # shared memory: the engine sees nothing.
    r = cli("batch", str(lib), "--out", str(tmp_path / "out-2"), "--memory", url,
            "--grammar", "none", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    totals = json.loads(r.stdout)["totals"]
    assert totals["engine_inputs"] == 0 and totals["memory_hits"] == totals["segments"] - 1
    r = cli("memory", "stats", "--memory", url, "--json", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["entries"] == 3
    r = cli("memory", "stats", "--memory", url, cwd=tmp_path)
    assert r.returncode == 0 and "postgresql" in r.stdout
    r = cli("memory", "export", "--memory", url, "--out", str(tmp_path), cwd=tmp_path)
    db = urlsplit(pg_url).path.lstrip("/")
    assert r.returncode == 0 and (tmp_path / f"{db}.tmx").is_file(), r.stderr
    assert SECRET not in r.stdout + (tmp_path / f"{db}.tmx").read_text(encoding="utf-8")
    for out in ("out-postgresql", "out-2"):
        written = everything_written(tmp_path / out)
        assert SECRET not in written and redact_url(url) in written


@pytest.mark.slow
def test_apply_review_on_postgresql_works_like_sqlite(pg_url: str, tmp_path: Path) -> None:
    from test_apply_review import EDIT_ROW, edit

    url = with_password(pg_url)
    shutil.copy(SAMPLE, tmp_path / "draft_zh.docx")
    r = cli("run", str(tmp_path / "draft_zh.docx"), "--out", str(tmp_path / "d"),
            "--grammar", "none", "--memory", url, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    review = tmp_path / "d" / "draft_zh.review.docx"
    edited = "Inspectors log the results daily; the operations manager checks them weekly."
    edit(review, english={EDIT_ROW: edited})
    reports = {}
    for name, spec in (("sqlite", str(tmp_path / "tm.sqlite")), ("postgresql", url)):
        out = tmp_path / f"applied-{name}"
        r = cli("apply-review", str(review), "--out", str(out), "--memory", spec, "--json",
                cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        reports[name] = json.loads(r.stdout)
        assert SECRET not in r.stdout + r.stderr + everything_written(out)
    assert reports["postgresql"]["memory"]["path"] == redact_url(url)
    # The database already holds the run's machine drafts (updated), the new file not
    # (inserted): the same sentences are stored either way.
    pg_mem, lite_mem = reports["postgresql"]["memory"], reports["sqlite"]["memory"]
    assert pg_mem["stored"] == lite_mem["stored"] == lite_mem["inserted"]
    assert pg_mem["inserted"] + pg_mem["updated"] + pg_mem["unchanged"] == pg_mem["stored"]
    assert {k: v for k, v in reports["postgresql"].items() if k not in ("memory", "outputs")} == \
        {k: v for k, v in reports["sqlite"].items() if k not in ("memory", "outputs")}
    assert reports["postgresql"]["memory"]["stored"] >= 1
    src = "质检员每天记录检验结果，运营经理每周审核一次。"
    with open_memory(pg_url) as tm:
        hit = tm.lookup(src)
        assert hit is not None and hit.target == edited and hit.status == "reviewed"
        assert hit.source_file == "draft_zh.review.docx"
        assert [h["target"] for h in tm.history(src)] == [edited]
    # The review of the run that used the database never shows its password.
    assert SECRET not in everything_written(tmp_path / "d")


SENTENCES = [f"我们{x}已经{y}检查了{z}的库存和物流。" for x in ("上周", "本月", "昨天", "今年")
             for y in ("全面", "仔细", "重新") for z in ("仓库", "店铺", "供应商")]


def test_fuzzy_answers_agree_with_sqlite(pg_url: str, tmp_path: Path) -> None:
    queries = ["我们上周已经全面检查了仓库的库存。", "我们本月重新检查了店铺的物流。",
               "昨天已经检查了供应商的库存和物流", "今年我们仔细检查了仓库。"]
    with open_memory(tmp_path / "tm.sqlite") as a, open_memory(pg_url) as b:
        for m in (a, b):
            m.store_many([(s, f"EN {i}") for i, s in enumerate(SENTENCES)], "reviewed")
        for q in queries:
            want = [(x.source, x.score) for x in a.fuzzy(q, 0.6, 10)]
            assert want, q
            assert [(x.source, x.score) for x in b.fuzzy(q, 0.6, 10)] == want


def test_without_pg_trgm_fuzzy_scans_with_a_warning(pg_cluster: object, pg_url: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A role that may create tables but not extensions: the memory works, fuzzy scans."""
    import psycopg

    if os.environ.get("PIPELINE_TEST_PG_URL"):
        pytest.skip("needs the throwaway cluster (creates a role)")
    db = urlsplit(pg_url).path.lstrip("/")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE translator LOGIN")
        conn.execute("GRANT CREATE, USAGE ON SCHEMA public TO translator")
        conn.execute(f'REVOKE CREATE ON DATABASE "{db}" FROM PUBLIC')
    url = pg_url.replace("//pipeline@", "//translator@")
    with open_memory(url) as tm:
        assert not tm.trigram and tm.stats()["fuzzy_index"] == "none (scan)"
        tm.store_many([(s, f"EN {i}") for i, s in enumerate(SENTENCES)], "reviewed")
        hits = tm.fuzzy("我们上周已经全面检查了仓库的库存。", 0.6, 3)
        assert hits and hits[0].source == "我们上周已经全面检查了仓库的库存和物流。"
    err = capsys.readouterr().err
    assert "pg_trgm" in err and len([x for x in err.splitlines() if "pg_trgm" in x]) == 1
    # The database owner adds the extension; `memory migrate` then builds the index.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_trgm")
    r = cli("memory", "migrate", "--memory", url, cwd=Path.cwd())
    assert r.returncode == 0 and "schema 3" in r.stdout and "no pg_trgm" not in r.stdout
    with open_memory(url) as tm:
        assert tm.trigram
        assert tm.fuzzy("我们上周已经全面检查了仓库的库存。", 0.6, 3)[0].source == hits[0].source


def test_migrate_creates_the_schema_and_refuses_foreign_tables(pg_url: str,
                                                                tmp_path: Path) -> None:
    import psycopg

    r = cli("memory", "migrate", "--memory", pg_url, cwd=tmp_path)
    assert r.returncode == 0 and "schema 3" in r.stdout, r.stderr
    with open_memory(pg_url, create=False) as tm:
        assert tm.trigram and len(tm) == 0
    other = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute("CREATE DATABASE foreign_tm")
    foreign = pg_url.rsplit("/", 1)[0] + "/foreign_tm"
    with psycopg.connect(foreign, autocommit=True) as conn:
        conn.execute("CREATE TABLE tm (id int)")
    with pytest.raises(InputError, match="not a translation memory"):
        open_memory(foreign)
    r = cli("memory", "stats", "--memory", foreign, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_missing_driver_is_one_line(tmp_path: Path) -> None:
    """Without psycopg (import blocked in the child process) a URL says what to install."""
    code = ("import sys; sys.modules['psycopg'] = None; "
            "sys.argv = ['pipeline', 'memory', 'stats', '--memory', "
            "'postgresql://ann@db.example/tm']; from pipeline.cli import app; app()")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, env=ENV, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "pip install 'appeal-pipeline[team]'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_settings_file_keeps_a_memory_url(tmp_path: Path) -> None:
    from pipeline.config import load_config, resolve

    cfg = tmp_path / "pipeline.toml"
    cfg.write_text('memory = "postgresql://translator@db.example:5432/tm"\n', encoding="utf-8")
    config = load_config(cfg)
    assert config.memory == "postgresql://translator@db.example:5432/tm"
    opts = resolve(config, glossaries=None, grammar=None, languagetool_url=None, memory=None,
                   model=None, engine=None, engine_urls=None)
    assert opts["memory"] == "postgresql://translator@db.example:5432/tm"
    cfg.write_text('memory = "team/memory.sqlite"\n', encoding="utf-8")
    opts = resolve(load_config(cfg), glossaries=None, grammar=None, languagetool_url=None,
                   memory=None, model=None, engine=None, engine_urls=None)
    assert opts["memory"] == tmp_path.resolve() / "team" / "memory.sqlite"
    # The command line wins, and a URL given there stays a URL.
    opts = resolve(load_config(cfg), glossaries=None, grammar=None, languagetool_url=None,
                   memory="postgres://a@b/c", model=None, engine=None, engine_urls=None)
    assert opts["memory"] == "postgres://a@b/c"


def test_a_role_that_may_only_read_gets_a_readonly_memory(pg_url: str) -> None:
    import psycopg

    if os.environ.get("PIPELINE_TEST_PG_URL"):
        pytest.skip("needs the throwaway cluster (creates a role)")
    with open_memory(pg_url) as tm:
        tm.store("只读角色。", "Read-only role.", "reviewed")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE reader LOGIN")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    url = pg_url.replace("//pipeline@", "//reader@")
    with open_memory(url) as tm:
        assert tm.readonly and tm.lookup("只读角色。").target == "Read-only role."
        with pytest.raises(InputError, match="read-only"):
            tm.store("新句子。", "New.", "reviewed")
    with pytest.raises(InputError, match="read-only"):  # apply-review needs to write
        from pipeline.apply_review import _open_memory

        _open_memory(url)


@pytest.mark.slow
def test_two_batches_at_once_on_one_database_agree(pg_url: str, tmp_path: Path) -> None:
    """Two `pipeline batch` processes (two machines) on one library and one database at
    the same time: both finish, the English is the same, each sentence is stored once."""
    lib = make_library(tmp_path / "lib")
    procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "batch", str(lib), "--out",
                               str(tmp_path / f"out{i}"), "--memory", pg_url, "--grammar",
                               "none", "--json"], cwd=tmp_path, env=ENV, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    for name in ("shop0/doc0.en.docx", "shop1/doc1.en.docx"):
        texts = [[p.text for p in docx.Document(str(tmp_path / f"out{i}" / name)).paragraphs]
                 for i in range(2)]
        assert texts[0] == texts[1]
    with open_memory(pg_url) as tm:
        keys = [e.key for e in tm.entries()]
        assert len(keys) == len(set(keys)) == 3


def test_team_glossary_push_and_pull(pg_url: str, tmp_path: Path) -> None:
    from pipeline.glossary import read_glossary_file

    src = REPO / "glossaries" / "amazon.tsv"
    r = cli("glossary", "pull", "--memory", pg_url, "--out", str(tmp_path / "x.tsv"),
            cwd=tmp_path)
    assert r.returncode == 2 and "no team glossary" in r.stderr
    r = cli("glossary", "push", str(src), "--memory", with_password(pg_url), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert SECRET not in r.stdout + r.stderr and "pushed" in r.stdout
    r = cli("glossary", "pull", "--memory", pg_url, "--out", str(tmp_path / "team.tsv"),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert read_glossary_file(tmp_path / "team.tsv") == read_glossary_file(src)
    # A colleague edits the pulled file and pushes it: the next pull gets the edit.
    text = (tmp_path / "team.tsv").read_text(encoding="utf-8")
    (tmp_path / "edited.tsv").write_text(text + "团队测试术语\tteam test term\n", encoding="utf-8")
    assert cli("glossary", "push", str(tmp_path / "edited.tsv"), "--memory", pg_url,
               cwd=tmp_path).returncode == 0
    r = cli("glossary", "pull", "--memory", pg_url, "--out", str(tmp_path / "team.tsv"),
            cwd=tmp_path)
    assert r.returncode == 2 and "exists" in r.stderr  # never overwritten without --force
    r = cli("glossary", "pull", "--memory", pg_url, "--out", str(tmp_path / "team.tsv"),
            "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    terms = read_glossary_file(tmp_path / "team.tsv")
    assert len(terms) == len(read_glossary_file(src)) + 1
    assert any(t.canonical == "team test term" for t in terms)
    with open_memory(pg_url) as tm:
        assert tm._conn.execute("SELECT count(*) FROM tm_glossary_history").fetchone()[0] == 2
    # A broken file is refused before anything is sent; an SQLite memory is refused.
    (tmp_path / "bad.tsv").write_text("zh\ten\n\"unclosed\tx\n", encoding="utf-8")
    r = cli("glossary", "push", str(tmp_path / "bad.tsv"), "--memory", pg_url, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = cli("glossary", "push", str(src), "--memory", str(tmp_path / "m.sqlite"), cwd=tmp_path)
    assert r.returncode == 2 and "postgresql://" in r.stderr
