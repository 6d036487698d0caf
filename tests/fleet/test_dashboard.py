"""The fleet dashboard (``--output html=DIR/index.html``): self-contained, escaped,
built from the fleet JSON document, with the per-repository reports, the trend from
the database and teams from CODEOWNERS; and working in a real browser (headless
Chromium: no console error, the heat map rows, hash filters, the wave graph).

The browser tests are skipped when Chromium is missing, except under CI (as in
``tests/report/test_html.py``). ``DOCKREADY_UPDATE_SCREENSHOT=1 pytest
tests/fleet/test_dashboard.py -k screenshot`` rewrites ``docs/fleet-dashboard.png``
(the README's screenshot) from a demo fleet of five repositories run twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import URL_ATTRS, browser, chromium
from browser import dump_dom as browser_dump
from click.testing import CliRunner

from dockready.cli import cli
from dockready.fleet import dashboard
from dockready.report.escape import printable
from dockready.report.sarif import help_uri

from .conftest import EXAMPLES, FIXTURES, copy_tree

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "fleet-dashboard.png"
SECRET = "s3cr3t-Passw0rd!"  # planted in examples/orderservice (DR207)
HOSTILE = "<img src=x onerror=alert(1)>\u202eevil\x1b[31m"


# -- helpers ---------------------------------------------------------------------------


class Page(HTMLParser):
    """Every element (tag, attributes, hidden or not), the heat map rows, the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.rows: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self.text: list[str] = []
        self.styles: list[str] = []
        self._row: dict[str, str] | None = None
        self._style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "body":
            self.body = a
        elif tag == "tr" and "svc" in a.get("class", "").split():
            self._row = {**a, "text": ""}
            self.rows.append(self._row)
        elif tag == "style":
            self._style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        elif tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row is not None:
            self._row["text"] += data
        if self._style:
            self.styles.append(data)

    def shown(self) -> list[dict[str, str]]:
        return [r for r in self.rows if "hidden" not in r]

    def by_class(self, cls: str) -> list[dict[str, str]]:
        return [a for _, a in self.elements if cls in a.get("class", "").split()]


def dump_dom(tmp: Path, page: Path, fragment: str = "") -> tuple[Page, list[str]]:
    text, errors = browser_dump(tmp, page, fragment, "--window-size=1280,1600")
    return Page(text), errors


def svc(source: str, name: str, chapters: str = "ppppp", blockers: tuple[str, ...] = ()) -> dict:
    """A repository of one service for a synthetic fleet document; ``chapters`` has a
    letter per chapter 1-5: p(ass), w(arn), f(ail), n(/a)."""
    status = {"p": "pass", "w": "warn", "f": "fail", "n": "n/a"}
    score = max(0, 100 - 20 * len(blockers) - 4 * chapters.count("w"))
    return {
        "source": source,
        "path": source,
        "status": "ok",
        "error": None,
        "seconds": 0.1,
        "files": 3,
        "services": [
            {
                "name": name,
                "root": ".",
                "chapters": {str(i + 1): status[c] for i, c in enumerate(chapters)},
                "score": score,
                "ready": not blockers,
                "blockers": list(blockers),
                "findings": [],
            }
        ],
    }


def synthetic_doc() -> dict:
    """Four services in two prefixes, a repository that failed, waves and edges."""
    repos = [
        svc("/f/payments/api", "payments-api", "pfppp", ("DR201",)),
        svc("/f/payments/ledger", "ledger", "ppppw"),
        svc("/f/shop/orders", "orders", "wffpp", ("DR201", "DR404")),
        svc("/f/shop/evil", HOSTILE, "nnnnn"),
        {
            "source": "/f/broken",
            "path": "/f/broken",
            "status": "error",
            "error": "timed out after 300 s",
            "seconds": 300,
            "files": 0,
            "services": [],
        },
    ]

    def ref(source: str, name: str) -> dict:
        return {"source": source, "service": name}

    return {
        "tool": {"name": "dockready", "version": "0.0.0"},
        "schema": "dockready-fleet",
        "schema_version": "1.1",
        "run": {"id": 3, "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "x"},
        "repositories": repos,
        "top_blockers": [
            {"id": "DR201", "name": "dynamic-binary-on-static-base", "services": 2},
            {"id": "DR404", "name": "probe-not-served", "services": 1},
        ],
        "summary": {"repositories": 5, "errors": 1, "services": 4, "ready": 2, "blocked": 2},
        "waves": [
            {
                "wave": 1,
                "services": [
                    {**ref("/f/payments/ledger", "ledger"), "ready": True, "blockers": []},
                    {**ref("/f/shop/evil", HOSTILE), "ready": True, "blockers": []},
                ],
                "notes": [],
            },
            {
                "wave": 2,
                "services": [
                    {
                        **ref("/f/payments/api", "payments-api"),
                        "ready": False,
                        "blockers": ["DR201"],
                    },
                    {
                        **ref("/f/shop/orders", "orders"),
                        "ready": False,
                        "blockers": ["DR201", "DR404"],
                    },
                ],
                "notes": [f"a cycle {HOSTILE}"],
            },
        ],
        "edges": [
            {
                "from": ref("/f/payments/api", "payments-api"),
                "to": ref("/f/payments/ledger", "ledger"),
                "kind": "env",
                "evidence": "LEDGER_ADDR=ledger:8080",
            },
            {
                "from": ref("/f/shop/orders", "orders"),
                "to": ref("/f/shop/evil", HOSTILE),
                "kind": "grpc",
                "evidence": f"<script>alert(2)</script>{HOSTILE}",
            },
            {  # an end that is in no wave: not drawn
                "from": ref("/f/shop/orders", "orders"),
                "to": ref("/elsewhere", "nowhere"),
                "kind": "depends_on",
                "evidence": "",
            },
        ],
    }


TEAMS = {
    ("/f/payments/api", "payments-api"): "@acme/payments",
    ("/f/payments/ledger", "ledger"): "@acme/payments",
    ("/f/shop/orders", "orders"): "@acme/shop",
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("dash") / "synthetic.html"
    page.write_text(
        dashboard.render(
            synthetic_doc(),
            trend={("/f/shop/orders", "orders"): [20, 40, 60]},
            reports={"/f/shop/orders": "repos/orders-1234.html"},
            teams=TEAMS,
        ),
        encoding="utf-8",
    )
    return page


def run_fleet_cli(*args: str) -> None:
    res = CliRunner().invoke(cli, ["fleet", *args, "--no-progress", "--jobs", "2"])
    assert res.exit_code in (0, 1), res.output


CALLS = {"orders": ("ledger", "LEDGER_ADDR"), "cart": ("orders", "ORDERS_ADDR")}


def demo_fleet(root: Path) -> Path:
    """Five repositories of two teams, checked twice (``payments/api`` fixed in
    between): ``root/out/index.html``."""
    layout = {
        "payments/api": EXAMPLES / "orderservice",
        "payments/ledger": FIXTURES / "DR404" / "good-grpc",
        "shop/orders": FIXTURES / "DR404" / "bad-grpc",
        "shop/catalog": EXAMPLES / "orderservice-fixed",
        "shop/cart": FIXTURES / "DR404" / "bad-port",
    }
    for where, src in layout.items():
        copy_tree(src, root / where)
        gomod = root / where / "go.mod"
        if "module example.com/x\n" in gomod.read_text():  # name the fixture's service
            gomod.write_text(gomod.read_text().replace("example.com/x", f"example.com/{where}"))
            name = where.rsplit("/", 1)[1]
            deploy = root / where / "k8s" / "deploy.yaml"
            yaml = deploy.read_text().replace("orders", name)
            if name in CALLS:  # who calls whom: edges and waves
                callee, env = CALLS[name]
                yaml = yaml.replace(
                    "value: 230MiB\n",
                    f"value: 230MiB\n            - name: {env}\n              value: {callee}:9090\n",
                )
            deploy.write_text(yaml)
        team = "@acme/payments" if where.startswith("payments") else "@acme/shop"
        (root / where / ".github").mkdir(exist_ok=True)
        (root / where / ".github" / "CODEOWNERS").write_text(f"# owners\n* {team} @someone\n")
    (root / "out").mkdir()
    sources = list(layout)
    cwd = Path.cwd()
    os.chdir(root)
    try:
        run_fleet_cli(*sources, "--db", "fleet.db")
        shutil.rmtree(root / "payments" / "api")
        copy_tree(EXAMPLES / "orderservice-fixed", root / "payments" / "api")
        (root / "payments/api/.github").mkdir()
        (root / "payments/api/.github/CODEOWNERS").write_text("* @acme/payments\n")
        run_fleet_cli(
            *sources,
            "--db",
            "fleet.db",
            "--output",
            "html=out/index.html",
            "--output",
            "json=out/fleet.json",
        )
    finally:
        os.chdir(cwd)
    return root / "out" / "index.html"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_fleet(tmp_path_factory.mktemp("demo"))


# -- without a browser -----------------------------------------------------------------


def test_self_contained(synthetic: Path) -> None:
    text = synthetic.read_text(encoding="utf-8")
    page = Page(text)
    external = []
    for tag, attrs in page.elements:
        assert tag not in {"link", "iframe", "object", "embed", "img", "base"}, tag
        if tag == "script":
            assert "src" not in attrs
        for name, value in attrs.items():
            if name in URL_ATTRS and re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I):
                external.append((tag, attrs.get("class", ""), value))
    # the only absolute URLs are the rules' doc pages, as in the check report's SARIF
    assert external
    for tag, cls, url in external:
        assert (tag, cls) == ("a", "rule"), (tag, cls, url)
        assert url in {help_uri("DR201"), help_uri("DR404")}
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css and not re.search(r"https?://", css)
    assert "default-src 'none'" in text
    assert text.count("<script>") == 1


def test_everything_is_escaped(synthetic: Path) -> None:
    text = synthetic.read_text(encoding="utf-8")
    for raw in ("<img", "<script>alert", "\u202e", "\x1b"):
        assert raw not in text, repr(raw)
    assert "&lt;img src=x onerror=alert(1)&gt;\\u202eevil\\x1b[31m" in text


def test_heat_map_waves_and_blockers(synthetic: Path) -> None:
    page = Page(synthetic.read_text(encoding="utf-8"))
    rows = {r["data-service"]: r for r in page.rows}
    assert set(rows) == {"payments-api", "ledger", "orders", printable(HOSTILE), ""}
    assert [r["data-service"] for r in page.rows][:1] == ["orders"]  # worst score first
    assert rows["orders"]["data-wave"] == "2" and rows["ledger"]["data-wave"] == "1"
    assert rows["orders"]["data-team"] == "@acme/shop"
    assert rows["orders"]["data-blockers"] == "DR201 DR404"
    assert rows[""]["class"] == "svc repo-error" and "timed out after 300 s" in rows[""]["text"]
    cells = [a for _, a in page.elements if a.get("data-chapter") and "st" in a.get("class", "")]
    assert len(cells) == 4 * 5
    assert [c["data-status"] for c in cells[:5]] == ["warn", "fail", "fail", "pass", "pass"]
    waves = page.by_class("wave")
    assert [w["data-wave"] for w in waves] == ["1", "2"]
    assert len(page.by_class("box")) == 4
    edges = [a for _, a in page.elements if "data-from" in a]
    assert len(edges) == 2  # the edge to a service in no wave is left out
    links = [a["href"] for _, a in page.elements if a.get("class") == "report"]
    assert links == ["repos/orders-1234.html#checklist"]
    spark = [a for _, a in page.elements if a.get("class") == "spark"]
    assert "score over the last 3 runs: 20, 40, 60" in [s["aria-label"] for s in spark]


def test_edge_notes_are_listed() -> None:
    doc = {
        **synthetic_doc(),
        "edge_notes": [f"orders: env 'db:5432' answers to 2 services {HOSTILE}"],
    }
    out = dashboard.render(doc)
    assert "Addresses not joined" in out and "answers to 2 services &lt;img" in out


def test_no_waves_says_so() -> None:
    doc = synthetic_doc()
    del doc["waves"], doc["edges"]
    out = dashboard.render(doc)
    assert 'id="no-waves"' in out and "wave-graph" not in out.split("<script>")[0]


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"repositories": "x", "waves": {}, "edges": 3, "top_blockers": None, "summary": []},
        {"repositories": [None, 1, {"services": [None, {"chapters": []}]}]},
        {"waves": [{"wave": "1"}, {"wave": True}, {"wave": 2, "services": [None, {}]}]},
        {"edges": [{"from": None}], "waves": [{"wave": 1, "notes": [1, None]}]},
    ],
)
def test_malformed_document_does_not_crash(doc: dict) -> None:
    out = dashboard.render(doc)
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")


@pytest.mark.parametrize(
    ("codeowners", "root", "team"),
    [
        ("* @org/all\n", ".", "@org/all"),
        ("* @org/all\n", "svc/orders", "@org/all"),
        ("* @org/all\n/svc/orders/ @org/orders @bob\n", "svc/orders", "@org/orders"),
        ("* @org/all\n/svc/orders/ @org/orders\n", "svc/orders/cmd", "@org/orders"),
        ("* @org/all\n/svc/orders/ @org/orders\n", "svc/payments", "@org/all"),
        ("/svc/orders/ @org/orders\n* @org/all\n", "svc/orders", "@org/all"),  # last wins
        ("orders/ @org/orders\n", "deep/svc/orders", "@org/orders"),  # unanchored
        ("/orders/ @org/orders\n", "deep/orders", ""),  # anchored at the root
        ("svc/**/api @org/api\n", "svc/a/b/api", "@org/api"),
        ("*.go @org/gophers\n", "svc", ""),  # a pattern for files owns no directory
        ("* @org/all\n/svc/ \n", "svc/x", ""),  # explicitly unowned
        ("# just a comment\n\n", ".", ""),
        ("[ (( @weird\n* @org/all\n", ".", "@org/all"),
    ],
)
def test_codeowners(tmp_path: Path, codeowners: str, root: str, team: str) -> None:
    (tmp_path / "CODEOWNERS").write_text(codeowners)
    assert dashboard.owner(dashboard.read_codeowners(tmp_path), root) == team


def test_codeowners_places(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("* @docs\n")
    assert dashboard.owner(dashboard.read_codeowners(tmp_path), ".") == "@docs"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text("* @github\n")
    assert dashboard.owner(dashboard.read_codeowners(tmp_path), ".") == "@github"
    (tmp_path / ".github" / "CODEOWNERS").write_bytes(b"\xff\x00 * @bin\n")  # no crash
    dashboard.read_codeowners(tmp_path)


def test_demo_fleet_end_to_end(demo: Path) -> None:
    """A real run: reports per repository next to the dashboard, linked from each
    row; the trend from the database; teams from CODEOWNERS; no secret anywhere."""
    text = demo.read_text(encoding="utf-8")
    page = Page(text)
    doc = json.loads((demo.parent / "fleet.json").read_text(encoding="utf-8"))
    services = [s for r in doc["repositories"] for s in r["services"]]
    assert len(page.rows) == len(services) >= 5
    reports = sorted((demo.parent / "repos").glob("*.html"))
    assert len(reports) == 5
    links = [a["href"] for _, a in page.elements if a.get("class") == "report"]
    assert len(links) == len(services)
    for href in links:
        assert (demo.parent / href.split("#")[0]).is_file(), href
    assert {r["data-team"] for r in page.rows} == {"@acme/payments", "@acme/shop"}
    # payments/api was the broken example in the first run, the fixed one in the second
    api = [i for i, r in enumerate(page.rows) if r["data-path"] == "payments/api"]
    assert len(api) == 1
    labels = [a["aria-label"] for _, a in page.elements if a.get("class") == "spark"]
    assert len(labels) == len(page.rows)
    assert labels[api[0]] == "score over the last 2 runs: 0, 100"
    for file in [demo, *reports]:
        assert SECRET not in file.read_text(encoding="utf-8"), file


def test_no_db_shows_only_this_run(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "index.html"
    run_fleet_cli(str(fleet / "fixed"), "--no-db", "--output", f"html={out}")
    labels = [
        a["aria-label"] for _, a in Page(out.read_text()).elements if a.get("class") == "spark"
    ]
    assert labels == ["score over the last 1 run: 100"]


def test_readme_screenshot() -> None:
    data = SCREENSHOT.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(data) < 600_000
    assert "docs/fleet-dashboard.png" in (REPO / "README.md").read_text(encoding="utf-8")


# -- in a browser ----------------------------------------------------------------------


@browser
def test_demo_loads_without_errors_and_shows_the_heat_map(tmp_path: Path, demo: Path) -> None:
    page, errors = dump_dom(tmp_path, demo)
    assert errors == []
    assert page.body.get("data-ready") == "1", "the script ran to its end"
    assert len(page.shown()) == len(page.rows) >= 5
    assert page.body["data-shown"] == str(len(page.rows))
    # the wave graph of the real plan: orders calls ledger, cart calls orders
    doc = json.loads((demo.parent / "fleet.json").read_text(encoding="utf-8"))
    assert len(doc["edges"]) == 2 and page.body["data-edges"] == "2"
    assert len([a for tag, a in page.elements if tag == "line"]) == 2
    assert [w["data-wave"] for w in page.by_class("wave")] == ["1", "2", "3"]


@browser
def test_demo_filters_by_prefix_and_team_from_the_hash(tmp_path: Path, demo: Path) -> None:
    page, errors = dump_dom(tmp_path, demo, "#prefix=shop/")
    assert errors == []
    shown = page.shown()
    assert shown and all(r["data-path"].startswith("shop/") for r in shown)
    hidden = [r for r in page.rows if "hidden" in r]
    assert hidden and all(r["data-path"].startswith("payments/") for r in hidden)
    assert page.body["data-prefix"] == "shop/" and page.body["data-shown"] == str(len(shown))
    page, errors = dump_dom(tmp_path, demo, "#team=%40acme%2Fpayments")
    assert errors == []
    assert {r["data-team"] for r in page.shown()} == {"@acme/payments"}
    assert page.body["data-team"] == "@acme/payments"


@browser
def test_wave_filter_graph_and_hostile_names(tmp_path: Path, synthetic: Path) -> None:
    page, errors = dump_dom(tmp_path, synthetic, "#wave=2")
    assert errors == []
    assert page.body["data-ready"] == "1"
    assert {r["data-service"] for r in page.shown()} == {"payments-api", "orders"}
    waves = page.by_class("wave")
    assert [(w["data-wave"], "hidden" in w) for w in waves] == [("1", True), ("2", False)]
    # only the edges between shown waves are drawn: none crosses into hidden wave 1
    assert page.body["data-edges"] == "0"
    # the top blockers are recounted for what is shown
    text = "".join(page.text)
    assert "2 of 2" in text and "1 of 1" in text
    # hostile text stays text: no element was made of it, the escapes are visible
    assert not any(tag in ("img", "script") and "src" in a for tag, a in page.elements)
    assert "<img src=x onerror=alert(1)>\\u202eevil\\x1b[31m" in text

    page, errors = dump_dom(tmp_path, synthetic)
    assert errors == []
    assert page.body["data-edges"] == "2"  # the SVG lines, drawn with DOM APIs
    assert len([a for tag, a in page.elements if tag == "line"]) == 2


@browser
def test_screenshot(tmp_path: Path, demo: Path) -> None:
    shot = tmp_path / "fleet.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1320", demo.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    if os.environ.get("DOCKREADY_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, SCREENSHOT)


@browser
def test_a_broken_script_is_detected(tmp_path: Path, synthetic: Path) -> None:
    bad = tmp_path / "broken.html"
    text = synthetic.read_text(encoding="utf-8")
    bad.write_text(text.replace("</body>", "<script>window.nope.call();</script></body>"))
    _, errors = dump_dom(tmp_path, bad)
    assert errors and all("Uncaught" in e for e in errors), errors


@browser
def test_hashchange_applies_the_filter(tmp_path: Path, synthetic: Path) -> None:
    """The hash changed after load (a link, the back button) filters again."""
    later = tmp_path / "later.html"
    change = '<script>setTimeout(function () { location.hash = "#prefix=/f/shop/"; }, 50);</script>'
    later.write_text(synthetic.read_text(encoding="utf-8").replace("</body>", change + "</body>"))
    proc = chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", later.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = Page(proc.stdout)
    assert page.body["data-prefix"] == "/f/shop/"
    assert {r["data-service"] for r in page.shown()} == {"orders", printable(HOSTILE)}
