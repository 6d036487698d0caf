"""The fleet database: versioned schema, migrations, concurrent writers, diff."""

from __future__ import annotations

import multiprocessing
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from dockready.fleet import db
from dockready.fleet.readiness import FleetFinding, ServiceReadiness
from dockready.fleet.runner import FleetRun
from dockready.fleet.worker import RepoReport


def _finding(rule_id: str, fp: str) -> FleetFinding:
    return FleetFinding(fp, rule_id, "name", "error", int(rule_id[2]), "k8s/d.yaml", 3, "msg")


def _run(
    tag: str,
    fps: tuple[str, ...] = ("a" * 16,),
    error: str = "",
    rules: tuple[tuple[str, str, int], ...] = (),
) -> FleetRun:
    svc = ServiceReadiness(
        name="orders",
        root=".",
        chapters=tuple((n, "pass") for n in range(1, 6)),
        score=80,
        blockers=("DR404",) if fps else (),
        findings=tuple(_finding("DR404", fp) for fp in fps),
        rules=rules,
    )
    repo = (
        RepoReport("/src/orders", "/src/orders", "error", error, 0.1)
        if error
        else RepoReport("/src/orders", "/src/orders", "ok", "", 0.5, 12, (svc,))
    )
    return FleetRun(
        started_at=f"2026-01-01T00:00:00+00:00 {tag}",
        finished_at="2026-01-01T00:00:01+00:00",
        seconds=1.0,
        tool_version="test",
        sources=("/src/orders",),
        repos=(repo,),
    )


def test_a_new_database_is_at_the_current_schema_version(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    assert db.user_version(conn) == db.SCHEMA_VERSION == len(db.MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "repositories", "services", "chapters", "findings"} <= tables
    conn.close()


def test_migrations_apply_in_order_and_keep_the_data(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    conn = db.open_db(path)
    run_id = db.record(conn, _run("one"))
    later = (*db.MIGRATIONS, ("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT 'x'",))
    assert db.migrate(conn, later) == len(later)
    assert db.user_version(conn) == len(later)
    assert conn.execute("SELECT id, note FROM runs").fetchall() == [(run_id, "x")]
    # a dockready that knows fewer migrations refuses the newer database
    conn.close()
    with pytest.raises(db.DbError, match=f"schema version {len(later)}"):
        db.open_db(path)


def test_a_file_that_is_no_database_is_a_clean_error(tmp_path: Path) -> None:
    junk = tmp_path / "f.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(db.DbError, match="not a dockready fleet database"):
        db.open_db(junk)


def _writer(path: str, tag: str, n: int) -> None:
    conn = db.open_db(Path(path))
    for i in range(n):
        db.record(conn, _run(f"{tag}{i}", fps=tuple(f"{tag}{i:02d}{j:012d}" for j in range(50))))
    conn.close()


def test_two_runs_writing_one_database_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "f.db")  # not created yet: both migrate it too
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, tag, 15)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    started = [r[0] for r in conn.execute("SELECT started_at FROM runs")]
    assert sorted(s.split()[-1] for s in started) == sorted(
        f"{t}{i}" for t in "ab" for i in range(15)
    )
    # every run is whole: its 50 findings, no more, no less
    counts = conn.execute("SELECT COUNT(*) FROM findings GROUP BY run_id").fetchall()
    assert len(counts) == 30 and {c for (c,) in counts} == {50}


def test_diff_by_fingerprint(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    one = db.record(conn, _run("1", fps=("a" * 16, "b" * 16)))
    two = db.record(conn, _run("2", fps=("b" * 16, "c" * 16)))
    (d,) = db.diff(conn, one, two)
    assert d.presence == "both"
    assert [f.fingerprint for f in d.new] == ["c" * 16]
    assert [f.fingerprint for f in d.fixed] == ["a" * 16]
    assert [f.fingerprint for f in d.open] == ["b" * 16]


def test_a_repository_that_failed_is_not_reported_fixed(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    one = db.record(conn, _run("1"))
    two = db.record(conn, _run("2", error="git clone failed: timeout"))
    (d,) = db.diff(conn, one, two)
    assert d.presence == "unchecked" and d.fixed == ()
    rows = db.runs(conn)
    assert [(r.id, r.errors, r.services, r.blocked) for r in rows] == [
        (one, 0, 1, 1),
        (two, 1, 0, 0),
    ]


def test_only_repositories_of_both_runs_are_compared(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    one = db.record(conn, _run("1"))
    other = _run("2")
    moved = RepoReport("/src/payments", "/src/payments", "ok", "", 0.1, 1, other.repos[0].services)
    two = db.record(conn, replace(other, repos=(moved,), sources=("/src/payments",)))
    assert {(d.source, d.presence) for d in db.diff(conn, one, two)} == {
        ("/src/orders", "outside"),
        ("/src/payments", "outside"),
    }


def test_repository_row_that_disappears_is_fixed(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    base = _run("1")
    svc = replace(base.repos[0].services[0], name="(repository)")
    one = db.record(conn, replace(base, repos=(replace(base.repos[0], services=(svc,)),)))
    two = db.record(conn, replace(base, repos=(replace(base.repos[0], services=()),)))
    (d,) = db.diff(conn, one, two)
    assert d.presence == "both" and [f.rule_id for f in d.fixed] == ["DR404"]


def test_status_per_rule_is_stored_and_flips_are_diffed(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    one = db.record(
        conn,
        _run("1", rules=(("DR201", "passed", 0), ("DR404", "failed", 1), ("DR501", "n/a", 0))),
    )
    two = db.record(
        conn,
        _run(
            "2",
            fps=(),
            rules=(("DR201", "failed", 2), ("DR404", "passed", 0), ("DR501", "n/a", 0)),
        ),
    )
    rows = conn.execute(
        "SELECT rule_id, status, findings FROM rule_status WHERE run_id = ? ORDER BY rule_id",
        (one,),
    ).fetchall()
    assert rows == [("DR201", "passed", 0), ("DR404", "failed", 1), ("DR501", "n/a", 0)]
    (d,) = db.diff(conn, one, two)
    assert [(f.rule_id, f.before, f.after) for f in d.flipped] == [
        ("DR201", "passed", "failed"),
        ("DR404", "failed", "passed"),
    ]
    assert d.flipped[0].findings_after == 2
    # a rule that ran in only one of the runs did not flip
    three = db.record(conn, _run("3", fps=(), rules=(("DR404", "passed", 0),)))
    (d,) = db.diff(conn, two, three)
    assert d.flipped == ()


def test_a_status_outside_the_three_is_refused(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    with pytest.raises(sqlite3.IntegrityError):
        db.record(conn, _run("1", rules=(("DR201", "maybe", 0),)))
    assert db.runs(conn) == []  # the run's transaction was rolled back whole


def test_a_version_2_database_with_runs_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db.migrate(conn, db.MIGRATIONS[:2])
    conn.execute(
        "INSERT INTO runs (id, started_at, finished_at, seconds, tool_version, sources)"
        " VALUES (1, 'then', 'then', 1.0, 'old', '[\"/src/orders\"]')"
    )
    conn.execute(
        "INSERT INTO repositories (id, run_id, source, path, status, seconds, files)"
        " VALUES (1, 1, '/src/orders', '/src/orders', 'ok', 0.5, 12)"
    )
    conn.execute(
        "INSERT INTO services (id, run_id, repository_id, name, root, score, blockers, wave)"
        " VALUES (1, 1, 1, 'orders', '.', 80, 'DR404', 2)"
    )
    conn.execute(
        "INSERT INTO findings (run_id, service_id, fingerprint, rule_id, name, severity,"
        " chapter, path, line, message) VALUES (1, 1, ?, 'DR404', 'name', 'error', 4,"
        " 'k8s/d.yaml', 3, 'msg')",
        ("a" * 16,),
    )
    conn.close()
    conn = db.open_db(path)
    assert db.user_version(conn) == db.SCHEMA_VERSION == 3
    # the old run is kept, complete, and listed
    assert [(r.id, r.services, r.blocked, r.findings) for r in db.runs(conn)] == [(1, 1, 1, 1)]
    two = db.record(conn, _run("2", fps=(), rules=(("DR404", "passed", 0),)))
    (d,) = db.diff(conn, 1, two)
    # the findings are compared; the old run has no status per rule: nothing flipped
    assert [f.rule_id for f in d.fixed] == ["DR404"] and d.flipped == ()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_run_recorded_repository_by_repository(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    run = _run("1", rules=(("DR404", "failed", 1),))
    rec = db.Recorder(conn)
    run_id = rec.begin(run.sources)
    rec.add(run.repos[0])
    # not listed until it is complete
    assert db.runs(conn) == [] and db.run_ids(conn) == []
    assert rec.finish(run) == run_id
    assert [r.id for r in db.runs(conn)] == [run_id]
    sid = rec.service_id("/src/orders", "orders")
    assert sid is not None
    assert db.stored_findings(conn, sid) == list(run.repos[0].services[0].findings)
    whole = db.record(conn, run)
    (d,) = db.diff(conn, run_id, whole)
    assert d.new == d.fixed == () and len(d.open) == 1
