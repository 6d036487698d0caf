"""Migration waves: leaves first, blocked services held back, cycles moved together;
the exports (fleet JSON, waves CSV/Markdown/JSON) and the database."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from conftest import write_tree

from dockready.cli import cli
from dockready.fleet import db, output, waves
from dockready.fleet.graph import Address, Edge, Graph, Links
from dockready.fleet.readiness import CHAPTERS, ServiceReadiness
from dockready.fleet.runner import FleetRun
from dockready.fleet.waves import WaveService, plan, strongly_connected
from dockready.fleet.worker import RepoReport

from .test_graph import go_service

A = "/src/a"


def node(name: str, blockers: tuple[str, ...] = (), source: str = A) -> WaveService:
    return WaveService(source, name, not blockers, blockers)


def edges(*pairs: tuple[str, str]) -> list[Edge]:
    return [Edge((A, a), (A, b), "env", f"compose.yaml:{i + 1}") for i, (a, b) in enumerate(pairs)]


def graph_of(nodes: list[WaveService], es: list[Edge]) -> Graph:
    return Graph(tuple(sorted(n.key for n in nodes)), tuple(sorted(es)), ())


def layout(ws: list[waves.Wave]) -> list[list[str]]:
    return [[s.service for s in w.services] for w in ws]


def test_leaves_first_and_ready_before_blocked() -> None:
    # web -> orders -> stock; billing calls nothing; audit is blocked and calls nothing
    nodes = [node("web"), node("orders"), node("stock"), node("billing"), node("audit", ("DR201",))]
    ws = plan(nodes, graph_of(nodes, edges(("web", "orders"), ("orders", "stock"))))
    assert layout(ws) == [["billing", "stock"], ["orders"], ["web"], ["audit"]]
    assert [w.number for w in ws] == [1, 2, 3, 4]
    assert ws[3].notes == ("held back: audit: blocked by DR201",)
    assert ws[0].notes == ()


def test_a_blocked_dependency_holds_back_its_caller() -> None:
    nodes = [node("web"), node("orders", ("DR404", "DR201")), node("stock")]
    ws = plan(nodes, graph_of(nodes, edges(("web", "orders"), ("orders", "stock"))))
    assert layout(ws) == [["stock"], ["orders"], ["web"]]
    assert ws[1].notes == ("held back: orders: blocked by DR404, DR201",)
    assert ws[2].notes == ("held back: web: calls orders (held back)",)
    assert ws[2].services[0].ready  # ready itself, but after what it calls


def test_a_cycle_moves_together_with_a_note() -> None:
    nodes = [node("a"), node("b"), node("c"), node("leaf")]
    ws = plan(nodes, graph_of(nodes, edges(("a", "b"), ("b", "a"), ("c", "a"), ("b", "leaf"))))
    assert layout(ws) == [["leaf"], ["a", "b"], ["c"]]
    assert ws[1].notes == ("cycle: a → b → a, moved together",)


def test_a_cycle_with_a_blocked_member_is_held_back_whole() -> None:
    nodes = [node("a"), node("b", ("DR214",)), node("c")]
    ws = plan(nodes, graph_of(nodes, edges(("a", "b"), ("b", "c"), ("c", "a"))))
    assert layout(ws) == [["a", "c", "b"]]
    assert ws[0].notes == (
        "cycle: a → b → c → a, moved together",
        "held back: a: in a cycle with a blocked service",
        "held back: b: blocked by DR214",
        "held back: c: in a cycle with a blocked service",
    )


def test_every_service_comes_after_what_it_calls_and_the_plan_is_deterministic() -> None:
    names = [f"s{i:02}" for i in range(30)]
    pairs = [(names[i], names[j]) for i in range(30) for j in (i * 7 % 30, i * 11 % 30) if i != j]
    blocked = {"s03": ("DR201",), "s17": ("DR404",)}
    nodes = [node(n, blocked.get(n, ())) for n in names]
    g = graph_of(nodes, edges(*pairs))
    ws = plan(nodes, g)
    assert plan(list(reversed(nodes)), g) == ws
    wave_of = {s.service: w.number for w in ws for s in w.services}
    assert sorted(wave_of) == names
    comps = {k[1]: i for i, c in enumerate(strongly_connected(g.nodes, g.calls())) for k in c}
    for a, b in pairs:
        assert wave_of[a] >= wave_of[b]
        if comps[a] != comps[b]:
            assert wave_of[a] > wave_of[b]


def test_tarjan_is_iterative() -> None:
    n = 20_000  # a chain far deeper than the recursion limit
    keys = [(A, f"s{i:05}") for i in range(n)]
    succ = {keys[i]: [keys[i + 1]] for i in range(n - 1)}
    comps = strongly_connected(keys, succ)
    assert len(comps) == n and comps[0] == [keys[-1]]  # callees first
    succ[keys[-1]] = [keys[0]]
    assert strongly_connected(keys, succ) == [sorted(keys)]


def _readiness(name: str, blockers: tuple[str, ...] = ()) -> ServiceReadiness:
    return ServiceReadiness(name, name, tuple((n, "pass") for n in CHAPTERS), 100, blockers, ())


def _run() -> FleetRun:
    def lk(name: str, *calls: str) -> Links:
        return Links(name, ((name, None),), tuple(
            Address(c, None, "env", f"compose.yaml:{i + 3}") for i, c in enumerate(calls)
        ))  # fmt: skip

    repo_a = RepoReport(
        "/src/shop", "/src/shop", "ok",
        services=(_readiness("web"), _readiness("orders", ("DR201",)), _readiness("=cmd|x")),
        links=(lk("web", "orders", "stock"), lk("orders", "stock"), lk("=cmd|x")),
    )  # fmt: skip
    repo_b = RepoReport(
        "/src/stock", "/src/stock", "ok", services=(_readiness("stock"),), links=(lk("stock"),)
    )
    broken = RepoReport("/src/broken", "/src/broken", "error", "no such file or directory")
    return FleetRun("t0", "t1", 1.0, "0", ("/src/shop", "/src/stock"), (repo_a, repo_b, broken))


def test_the_fleet_json_has_waves_and_edges() -> None:
    doc = json.loads(output.json_doc(_run()))
    assert doc["schema_version"] == "1.2"
    assert doc["waves"] == [
        {
            "wave": 1,
            "services": [
                {"source": "/src/shop", "service": "=cmd|x", "ready": True, "blockers": []},
                {"source": "/src/stock", "service": "stock", "ready": True, "blockers": []},
            ],
            "notes": [],
        },
        {
            "wave": 2,
            "services": [
                {"source": "/src/shop", "service": "orders", "ready": False, "blockers": ["DR201"]}
            ],
            "notes": ["held back: orders: blocked by DR201"],
        },
        {
            "wave": 3,
            "services": [{"source": "/src/shop", "service": "web", "ready": True, "blockers": []}],
            "notes": ["held back: web: calls orders (held back)"],
        },
    ]
    assert {(e["from"]["service"], e["to"]["service"], e["kind"], e["evidence"]) for e in doc["edges"]} == {
        ("web", "orders", "env", "compose.yaml:3"),
        ("web", "stock", "env", "compose.yaml:4"),
        ("orders", "stock", "env", "compose.yaml:3"),
    }  # fmt: skip
    assert doc["edges"][0]["from"] == {"source": "/src/shop", "service": "orders"}
    assert doc["edge_notes"] == []


def test_waves_csv_parses_and_defuses_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(waves.to_csv(_run()))))
    assert [(r["wave"], r["service"], r["ready"], r["blockers"], r["calls"]) for r in rows] == [
        ("1", "'=cmd|x", "yes", "", ""),
        ("1", "stock", "yes", "", ""),
        ("2", "orders", "no", "DR201", "stock"),
        ("3", "web", "yes", "", "orders;stock"),
    ]
    assert rows[1]["source"] == "/src/stock"


def test_waves_markdown_is_a_table_per_wave() -> None:
    md = waves.to_markdown(_run())
    lines = md.splitlines()
    assert [ln for ln in lines if ln.startswith("## ")] == ["## Wave 1", "## Wave 2", "## Wave 3"]
    header = "| service | repository | ready | blockers | calls |"
    assert lines.count(header) == 3
    assert "| =cmd\\|x | /src/shop | yes | - | - |" in lines
    assert "| web | /src/shop | yes | - | orders, stock |" in lines
    assert "- held back: web: calls orders (held back)" in lines
    for ln in lines:
        if ln.startswith("| "):
            assert ln.replace("\\|", "").count("|") == 6


def test_waves_json_alone(tmp_path: Path) -> None:
    dest = tmp_path / "waves.json"
    output.write("waves-json", _run(), dest)
    doc = json.loads(dest.read_text())
    assert doc["schema"] == "dockready-fleet-waves" and doc["schema_version"] == "1.2"
    assert [w["wave"] for w in doc["waves"]] == [1, 2, 3] and len(doc["edges"]) == 3


def test_the_database_keeps_waves_and_edges(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "f.db")
    run_id = db.record(conn, _run())
    got = dict(conn.execute("SELECT name, wave FROM services WHERE run_id = ?", (run_id,)))
    assert got == {"web": 3, "orders": 2, "=cmd|x": 1, "stock": 1}
    rows = conn.execute(
        "SELECT a.name, b.name, e.kind, e.evidence FROM edges e JOIN services a"
        " ON a.id = e.from_service_id JOIN services b ON b.id = e.to_service_id"
        " WHERE e.run_id = ? ORDER BY 1, 2",
        (run_id,),
    ).fetchall()
    assert rows == [
        ("orders", "stock", "env", "compose.yaml:3"),
        ("web", "orders", "env", "compose.yaml:3"),
        ("web", "stock", "env", "compose.yaml:4"),
    ]
    conn.close()


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db.migrate(conn, db.MIGRATIONS[:1])
    assert db.user_version(conn) == 1
    conn.close()
    conn = db.open_db(path)
    assert db.user_version(conn) == db.SCHEMA_VERSION >= 2
    db.record(conn, _run())
    conn.close()


def test_the_cli_writes_the_wave_exports(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path / "shop",
        {
            **go_service("orders"),
            **go_service("payments"),
            "compose.yaml": (
                "services:\n"
                "  orders:\n"
                "    build: ./orders\n"
                "  payments:\n"
                "    build: ./payments\n"
                "    environment:\n"
                "      ORDERS_ADDR: orders:8080\n"
            ),
        },
    )
    outs = {f: tmp_path / f"w.{f}" for f in ("waves-csv", "waves-md", "waves-json", "json")}
    args = ["fleet", str(repo), "--no-db", "--jobs", "1", "--no-progress"]
    for f, p in outs.items():
        args += ["--output", f"{f}={p}"]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(outs["json"].read_text())
    assert [
        (e["from"]["service"], e["to"]["service"], e["kind"], e["evidence"]) for e in doc["edges"]
    ] == [("payments", "orders", "env", "compose.yaml:7")]
    order = [s["service"] for w in doc["waves"] for s in w["services"]]
    assert order.index("orders") < order.index("payments")
    assert json.loads(outs["waves-json"].read_text())["waves"] == doc["waves"]
    assert "## Wave 1" in outs["waves-md"].read_text()
    assert next(csv.reader(io.StringIO(outs["waves-csv"].read_text())))[0] == "wave"
    bad = CliRunner().invoke(cli, ["fleet", str(repo), "--no-db", "--output", "waves-xml=x"])
    assert bad.exit_code == 2
