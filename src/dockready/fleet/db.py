"""The history of fleet runs in SQLite (stdlib ``sqlite3``).

- The schema is versioned with ``PRAGMA user_version``: ``MIGRATIONS[i]`` takes a
  database from version ``i`` to ``i + 1``; ``open_db`` applies the missing ones in
  order, in one ``BEGIN IMMEDIATE`` transaction (two runs that open a new database
  at once migrate it once). A database newer than this dockready is refused.
- WAL journal, a busy timeout, and retries with back-off on ``database is locked``:
  two runs writing one database both land, whole (each run is one transaction).
- Messages are stored as the engine wrote them (secrets already masked); URLs of
  git sources are stored masked (``sources.mask_url``).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dockready.fleet.readiness import REPOSITORY_SUITE as REPOSITORY
from dockready.fleet.readiness import FleetFinding
from dockready.fleet.runner import FleetRun
from dockready.fleet.worker import RepoReport

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
RETRIES = 8

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            seconds REAL NOT NULL,
            tool_version TEXT NOT NULL,
            sources TEXT NOT NULL
        )""",
        """CREATE TABLE repositories (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
            error TEXT NOT NULL DEFAULT '',
            seconds REAL NOT NULL,
            files INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE services (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            root TEXT NOT NULL,
            score INTEGER NOT NULL,
            blockers TEXT NOT NULL
        )""",
        """CREATE TABLE chapters (
            service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
            chapter INTEGER NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (service_id, chapter)
        )""",
        """CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            name TEXT NOT NULL,
            severity TEXT NOT NULL,
            chapter INTEGER NOT NULL,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            message TEXT NOT NULL
        )""",
        "CREATE INDEX repositories_run ON repositories(run_id)",
        "CREATE INDEX services_run ON services(run_id)",
        "CREATE INDEX findings_run ON findings(run_id, service_id)",
    ),
    (  # 1 -> 2: the dependency graph and the migration waves (fleet/graph.py, waves.py)
        "ALTER TABLE services ADD COLUMN wave INTEGER",
        """CREATE TABLE edges (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            from_service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
            to_service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            evidence TEXT NOT NULL
        )""",
        "CREATE INDEX edges_run ON edges(run_id)",
    ),
    (  # 2 -> 3: the status of every rule per service; runs written repository by
        # repository are listed only once complete
        """CREATE TABLE rule_status (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'n/a')),
            findings INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (service_id, rule_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX rule_status_run ON rule_status(run_id)",
        "ALTER TABLE runs ADD COLUMN complete INTEGER NOT NULL DEFAULT 1",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class DbError(Exception):
    """A database that cannot be used, with the reason to show."""


def _locked(e: sqlite3.OperationalError) -> bool:
    text = str(e).lower()
    return "locked" in text or "busy" in text


def retrying(step: Callable[[], T]) -> T:
    """``step()``, again after a random back-off while the database is locked."""
    for attempt in range(RETRIES):
        try:
            return step()
        except sqlite3.OperationalError as e:
            if not _locked(e) or attempt == RETRIES - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def _transaction(conn: sqlite3.Connection, body: Callable[[], T]) -> T:
    def step() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = body()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return value

    return retrying(step)


def open_db(path: Path) -> sqlite3.Connection:
    """The database at ``path`` (created when missing), migrated to ``SCHEMA_VERSION``."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as e:
        raise DbError(f"cannot open {path}: {e}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = retrying(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        if str(mode).lower() != "wal":  # pragma: no cover - a file system without WAL
            raise DbError(f"{path}: cannot use the WAL journal (got {mode})")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except sqlite3.OperationalError as e:
        conn.close()
        if _locked(e):
            raise DbError(f"{path}: the database stayed locked by another run ({e})") from None
        raise DbError(f"{path}: cannot use the database ({e})") from None
    except sqlite3.DatabaseError as e:
        conn.close()
        raise DbError(f"{path}: not a dockready fleet database ({e})") from None
    except DbError:
        conn.close()
        raise
    return conn


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: tuple[tuple[str, ...], ...] = MIGRATIONS) -> int:
    """Apply the migrations the database lacks, in order; the version reached."""

    def body() -> int:
        have = user_version(conn)
        if have > len(migrations):
            raise DbError(
                f"the database is at schema version {have}; this dockready knows "
                f"{len(migrations)} (upgrade dockready)"
            )
        for version in range(have, len(migrations)):
            for statement in migrations[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        return len(migrations)

    if user_version(conn) == len(migrations):
        return len(migrations)
    return _transaction(conn, body)


def _insert_run(conn: sqlite3.Connection, run: FleetRun, complete: bool) -> int:
    cur = conn.execute(
        "INSERT INTO runs (started_at, finished_at, seconds, tool_version, sources, complete)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            run.started_at,
            run.finished_at,
            run.seconds,
            run.tool_version,
            json.dumps(list(run.sources)),
            int(complete),
        ),
    )
    return int(cur.lastrowid or 0)


def _insert_repository(
    conn: sqlite3.Connection, run_id: int, rep: RepoReport
) -> dict[tuple[str, str], int]:
    """The rows of one repository; the id of each of its services."""
    ids: dict[tuple[str, str], int] = {}
    rid = conn.execute(
        "INSERT INTO repositories (run_id, source, path, status, error, seconds, files)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (run_id, rep.source, rep.path, rep.status, rep.error, rep.seconds, rep.files),
    ).lastrowid
    for svc in rep.services:
        sid = conn.execute(
            "INSERT INTO services (run_id, repository_id, name, root, score, blockers)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, rid, svc.name, svc.root, svc.score, ",".join(svc.blockers)),
        ).lastrowid
        ids[(rep.source, svc.name)] = int(sid or 0)
        conn.executemany(
            "INSERT INTO chapters (service_id, chapter, status) VALUES (?, ?, ?)",
            [(sid, n, status) for n, status in svc.chapters],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO rule_status (run_id, service_id, rule_id, status, findings)"
            " VALUES (?, ?, ?, ?, ?)",
            [(run_id, sid, rule_id, status, n) for rule_id, status, n in svc.rules],
        )
        conn.executemany(
            "INSERT INTO findings (run_id, service_id, fingerprint, rule_id, name,"
            " severity, chapter, path, line, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    sid,
                    f.fingerprint,
                    f.rule_id,
                    f.name,
                    f.severity,
                    f.chapter,
                    f.path,
                    f.line,
                    f.message,
                )
                for f in svc.findings
            ],
        )
    return ids


def _finish(
    conn: sqlite3.Connection, run_id: int, run: FleetRun, ids: dict[tuple[str, str], int]
) -> None:
    """The waves and edges of a run whose repositories are stored, and its end."""
    from dockready.fleet.waves import plan_run

    graph, plan = plan_run(run)
    conn.executemany(
        "UPDATE services SET wave = ? WHERE id = ?",
        [(w.number, ids[s.key]) for w in plan for s in w.services if s.key in ids],
    )
    conn.executemany(
        "INSERT INTO edges (run_id, from_service_id, to_service_id, kind, evidence)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (run_id, ids[e.caller], ids[e.callee], e.kind, e.evidence)
            for e in graph.edges
            if e.caller in ids and e.callee in ids
        ],
    )
    conn.execute(
        "UPDATE runs SET started_at = ?, finished_at = ?, seconds = ?, tool_version = ?,"
        " sources = ?, complete = 1 WHERE id = ?",
        (
            run.started_at,
            run.finished_at,
            run.seconds,
            run.tool_version,
            json.dumps(list(run.sources)),
            run_id,
        ),
    )


def record(conn: sqlite3.Connection, run: FleetRun) -> int:
    """Store ``run`` in one transaction; its id."""

    def body() -> int:
        run_id = _insert_run(conn, run, complete=True)
        ids: dict[tuple[str, str], int] = {}
        for rep in run.repos:
            ids.update(_insert_repository(conn, run_id, rep))
        _finish(conn, run_id, run, ids)
        return run_id

    return _transaction(conn, body)


class Recorder:
    """A run stored as it goes, one transaction per repository (the parent need not
    keep every finding): ``begin``, ``add`` per repository, ``finish``. Until
    ``finish`` the run is not complete and ``runs``/``diff`` do not see it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.run_id: int | None = None
        self.ids: dict[tuple[str, str], int] = {}

    def begin(self, sources: tuple[str, ...]) -> int:
        """The run's row, not complete yet (its times are set by ``finish``)."""
        from dockready import __version__
        from dockready.fleet.runner import now

        started = now()
        placeholder = FleetRun(started, started, 0.0, __version__, sources, ())
        self.run_id = _transaction(self.conn, lambda: _insert_run(self.conn, placeholder, False))
        return self.run_id

    def add(self, rep: RepoReport) -> None:
        assert self.run_id is not None, "begin() first"
        run_id = self.run_id
        self.ids.update(_transaction(self.conn, lambda: _insert_repository(self.conn, run_id, rep)))

    def finish(self, run: FleetRun) -> int:
        assert self.run_id is not None, "begin() first"
        run_id = self.run_id
        _transaction(self.conn, lambda: _finish(self.conn, run_id, run, self.ids))
        return run_id

    def service_id(self, source: str, name: str) -> int | None:
        return self.ids.get((source, name))


def stored_findings(conn: sqlite3.Connection, service_id: int) -> list[FleetFinding]:
    """The findings of a stored service, in the order they were recorded."""
    return [
        FleetFinding(*row)
        for row in conn.execute(
            "SELECT fingerprint, rule_id, name, severity, chapter, path, line, message"
            " FROM findings WHERE service_id = ? ORDER BY id",
            (service_id,),
        )
    ]


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    started_at: str
    seconds: float
    tool_version: str
    sources: int
    repositories: int
    errors: int
    services: int
    blocked: int
    findings: int


def runs(conn: sqlite3.Connection) -> list[RunRow]:
    rows = conn.execute(
        """SELECT r.id, r.started_at, r.seconds, r.tool_version, r.sources,
            (SELECT COUNT(*) FROM repositories WHERE run_id = r.id),
            (SELECT COUNT(*) FROM repositories WHERE run_id = r.id AND status = 'error'),
            (SELECT COUNT(*) FROM services WHERE run_id = r.id),
            (SELECT COUNT(*) FROM services WHERE run_id = r.id AND blockers != ''),
            (SELECT COUNT(*) FROM findings WHERE run_id = r.id)
        FROM runs r WHERE r.complete = 1 ORDER BY r.id"""
    ).fetchall()
    out = []
    for rid, started, seconds, version, srcs, repos, errors, services, blocked, findings in rows:
        try:
            n_sources = len(json.loads(srcs))
        except (ValueError, TypeError):
            n_sources = 0
        out.append(
            RunRow(
                rid,
                started,
                seconds,
                version,
                n_sources,
                repos,
                errors,
                services,
                blocked,
                findings,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class StoredFinding:
    fingerprint: str
    rule_id: str
    severity: str
    path: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class RuleFlip:
    rule_id: str
    #: ``passed``, ``failed`` or ``n/a`` in the earlier run, then in the later one.
    before: str
    after: str
    findings_before: int
    findings_after: int


@dataclass(frozen=True, slots=True)
class ServiceDiff:
    source: str
    service: str
    #: ``"both"``, ``"added"`` (only in the later run), ``"gone"`` (only in the
    #: earlier one), ``"unchecked"`` (its repository failed in one of the runs),
    #: ``"outside"`` (its repository is in the sources of only one of the runs).
    presence: str
    new: tuple[StoredFinding, ...] = ()
    fixed: tuple[StoredFinding, ...] = ()
    open: tuple[StoredFinding, ...] = ()
    #: Rules whose status changed, in id order (services in both runs, when both
    #: runs stored the status per rule: schema 3 on).
    flipped: tuple[RuleFlip, ...] = ()


def run_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM runs WHERE complete = 1 ORDER BY id")]


def _services(
    conn: sqlite3.Connection, run_id: int
) -> dict[tuple[str, str], dict[str, StoredFinding]]:
    out: dict[tuple[str, str], dict[str, StoredFinding]] = {}
    for sid, source, name in conn.execute(
        "SELECT s.id, r.source, s.name FROM services s JOIN repositories r ON r.id = s.repository_id"
        " WHERE s.run_id = ?",
        (run_id,),
    ):
        found = out.setdefault((source, name), {})
        for fp, rule_id, severity, path, line, message in conn.execute(
            "SELECT fingerprint, rule_id, severity, path, line, message FROM findings"
            " WHERE service_id = ? ORDER BY path, line, rule_id",
            (sid,),
        ):
            found.setdefault(fp, StoredFinding(fp, rule_id, severity, path, line, message))
    return out


def _rule_statuses(
    conn: sqlite3.Connection, run_id: int
) -> dict[tuple[str, str], dict[str, tuple[str, int]]]:
    out: dict[tuple[str, str], dict[str, tuple[str, int]]] = {}
    for source, name, rule_id, status, n in conn.execute(
        "SELECT r.source, s.name, x.rule_id, x.status, x.findings FROM rule_status x"
        " JOIN services s ON s.id = x.service_id JOIN repositories r ON r.id = s.repository_id"
        " WHERE x.run_id = ?",
        (run_id,),
    ):
        out.setdefault((source, name), {})[rule_id] = (status, n)
    return out


def flips(
    before: dict[str, tuple[str, int]], after: dict[str, tuple[str, int]]
) -> tuple[RuleFlip, ...]:
    """The rules of both runs whose status changed (a rule that ran in only one of
    them is no flip: it was added, removed or deselected)."""
    return tuple(
        RuleFlip(r, before[r][0], after[r][0], before[r][1], after[r][1])
        for r in sorted(before.keys() & after.keys())
        if before[r][0] != after[r][0]
    )


def _failed_sources(conn: sqlite3.Connection, run_id: int) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT source FROM repositories WHERE run_id = ? AND status = 'error'", (run_id,)
        )
    }


def diff(conn: sqlite3.Connection, run_a: int, run_b: int) -> list[ServiceDiff]:
    """Per service (by repository and name), the findings of ``run_b`` that are new
    since ``run_a``, those of ``run_a`` that are fixed, and those still open, by
    fingerprint, and the rules whose status flipped. Only repositories checked in
    both runs are compared: one that
    failed in either is ``unchecked`` (nothing is claimed fixed because a clone
    failed), one that is in only one run's sources is ``outside``."""
    a, b = _services(conn, run_a), _services(conn, run_b)
    rules_a, rules_b = _rule_statuses(conn, run_a), _rule_statuses(conn, run_b)
    failed = _failed_sources(conn, run_a) | _failed_sources(conn, run_b)
    both = _sources(conn, run_a) & _sources(conn, run_b)
    out = []
    for key in sorted(a.keys() | b.keys()):
        source, name = key
        fa, fb = a.get(key), b.get(key)
        if source not in both:
            out.append(ServiceDiff(source, name, "outside"))
            continue
        if source in failed:
            out.append(ServiceDiff(source, name, "unchecked"))
            continue
        if name == REPOSITORY:  # a row only while it has findings
            fa, fb = fa or {}, fb or {}
        if fa is not None and fb is not None:
            out.append(
                ServiceDiff(
                    source,
                    name,
                    "both",
                    new=tuple(fb[k] for k in fb if k not in fa),
                    fixed=tuple(fa[k] for k in fa if k not in fb),
                    open=tuple(fb[k] for k in fb if k in fa),
                    flipped=()
                    if name == REPOSITORY  # no rules of its own: only its findings
                    else flips(rules_a.get(key, {}), rules_b.get(key, {})),
                )
            )
        elif fb is not None:
            out.append(ServiceDiff(source, name, "added", new=tuple(fb.values())))
        else:
            out.append(ServiceDiff(source, name, "gone"))
    return out


def _sources(conn: sqlite3.Connection, run_id: int) -> set[str]:
    return {
        r[0] for r in conn.execute("SELECT source FROM repositories WHERE run_id = ?", (run_id,))
    }


def stored_services(conn: sqlite3.Connection, run_id: int) -> list[tuple[str, str, int]]:
    """``(source, service, score)`` of a run (used by tests and future trends)."""
    return list(
        conn.execute(
            "SELECT r.source, s.name, s.score FROM services s JOIN repositories r"
            " ON r.id = s.repository_id WHERE s.run_id = ? ORDER BY r.source, s.name",
            (run_id,),
        )
    )
