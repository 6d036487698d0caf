"""``dockready fleet --output sarif=FILE`` and ``--output junit=FILE``: the whole fleet
in one SARIF log (valid against the 2.1.0 schema, every location resolvable) and one
JUnit file (a suite per repository, a case per service and chapter)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from click.testing import CliRunner

from dockready.cli import cli
from dockready.fleet import ci, output, runner, worker
from dockready.fleet.readiness import CHAPTERS
from dockready.fleet.sources import Source

HERE = Path(__file__).resolve().parent
SCHEMA_CANDIDATES = (  # as tests/report/test_sarif.py finds it
    HERE.parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json",
    Path("/work/shared/schemas") / "sarif-schema-2.1.0.json",
)
SECRET = "s3cr3t-Passw0rd!"  # planted in examples/orderservice (DR207)


def sarif_schema() -> dict:
    for path in SCHEMA_CANDIDATES:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    pytest.skip("the SARIF 2.1.0 schema is not available")


@pytest.fixture
def outputs(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """One run over the fleet (and a source that does not exist), from inside it so
    that sources are shown relative: every output and the JSON document."""
    monkeypatch.chdir(fleet)
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(
        cli,
        [
            "fleet",
            "broken",
            "fixed",
            "probe",
            "gone",
            "--no-db",
            "--no-progress",
            "--jobs",
            "2",
            "--output",
            f"sarif={out / 'fleet.sarif'}",
            "--output",
            f"junit={out / 'fleet.xml'}",
            "--output",
            f"json={out / 'fleet.json'}",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 1, res.output
    return {
        "sarif": json.loads((out / "fleet.sarif").read_text(encoding="utf-8")),
        "sarif_text": (out / "fleet.sarif").read_text(encoding="utf-8"),
        "junit": ET.parse(out / "fleet.xml").getroot(),
        "junit_text": (out / "fleet.xml").read_text(encoding="utf-8"),
        "doc": json.loads((out / "fleet.json").read_text(encoding="utf-8")),
        "fleet": fleet,
    }


def test_formats_are_registered() -> None:
    assert {"sarif", "junit", "html"} <= set(output.FORMATS)
    assert {"html", "sarif"} == output.NEEDS_RESULTS


def test_sarif_is_valid_and_has_every_finding(outputs: dict) -> None:
    log = outputs["sarif"]
    jsonschema.validate(log, sarif_schema())
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "dockready"
    doc = outputs["doc"]
    expected = sorted(
        (r["source"], f["id"], f["path"], f["line"])
        for r in doc["repositories"]
        for s in r["services"]
        for f in s["findings"]
    )
    bases = run["originalUriBaseIds"]
    got = []
    for res in run["results"]:
        (loc,) = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        base = bases[art["uriBaseId"]]
        repo = res["properties"]["repository"]
        assert base["description"]["text"] == repo
        # the uri is under the source as shown, and the base + uri is the file
        assert art["uri"].startswith(repo + "/"), (art["uri"], repo)
        file = Path(unquote(urlsplit(base["uri"]).path)) / unquote(art["uri"])
        assert file.is_file(), file
        rel = unquote(art["uri"])[len(repo) + 1 :]
        got.append(
            (
                str(outputs["fleet"] / repo),
                res["ruleId"],
                rel,
                loc["physicalLocation"]["region"]["startLine"],
            )
        )
    assert sorted(got) == expected
    # rule indexes point at the right descriptor
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_sarif_reports_the_repository_that_could_not_be_checked(outputs: dict) -> None:
    (run,) = outputs["sarif"]["runs"]
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is False
    errors = [n for n in inv["toolExecutionNotifications"] if n["level"] == "error"]
    assert [n["message"]["text"] for n in errors] == ["gone: no such file or directory"]
    assert {b["description"]["text"] for b in run["originalUriBaseIds"].values()} == {
        "broken",
        "fixed",
        "probe",
        "gone",
    }


def test_no_secret_in_ci_outputs(outputs: dict) -> None:
    (run,) = outputs["sarif"]["runs"]
    assert any(r["ruleId"] == "DR207" for r in run["results"])  # there, masked
    del run["tool"]["driver"]["rules"]  # DR207's documentation quotes the example's value
    assert SECRET not in json.dumps(run, ensure_ascii=False)
    assert SECRET not in outputs["junit_text"]


def test_junit_has_a_suite_per_repository_and_a_case_per_chapter(outputs: dict) -> None:
    root = outputs["junit"]
    doc = outputs["doc"]
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == ["broken", "fixed", "gone", "probe"]
    total = 0
    for repo in doc["repositories"]:
        name = Path(repo["source"]).name
        suite = suites[name]
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        total += len(cases)
        if repo["status"] == "error":
            (case,) = cases
            (err,) = case.findall("error")
            assert err.get("message") == repo["error"]
            assert suite.get("errors") == "1"
            continue
        by_name = {c.get("name"): c for c in cases}
        for svc in repo["services"]:
            for n in CHAPTERS:
                case = next(c for k, c in by_name.items() if k.startswith(f"{svc['name']} · {n} "))
                status = svc["chapters"][str(n)]
                failure = case.find("failure")
                if status in ("fail", "warn"):
                    assert failure is not None
                    assert failure.get("type") == ("error" if status == "fail" else "warning")
                    ids = {f["id"] for f in svc["findings"] if f["chapter"] == n}
                    assert ids and all(i in failure.text for i in ids)
                else:
                    assert failure is None
                assert (case.find("skipped") is not None) == (status == "n/a")
        failures = sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("failures")) == failures
    assert int(root.get("tests")) == total
    assert root.get("errors") == "1"


def test_junit_fixed_example_passes(outputs: dict) -> None:
    suite = next(s for s in outputs["junit"].findall("testsuite") if s.get("name") == "fixed")
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert len(suite.findall("testcase")) == len(CHAPTERS)


@pytest.mark.parametrize(
    ("shown", "prefix"),
    [
        ("services/orders", "services/orders"),
        ("/src/orders", "src/orders"),
        (".", ""),
        ("https://***@git.example.com/org/orders.git", "git.example.com/org/orders"),
        ("git@github.com:org/payments.git", "github.com/org/payments"),
        ("https://host/../../etc/x", "host/etc/x"),
    ],
)
def test_prefix_of(shown: str, prefix: str) -> None:
    assert ci.prefix_of(shown) == prefix


def test_hostile_text_is_clean_xml_and_json(tmp_path: Path) -> None:
    """A repository whose error and service name hold control characters: the JUnit
    still parses, the SARIF is still valid."""
    hostile = "svc\x1b[31m\u202e<x>&\x00"
    rep_ok = worker.RepoReport(str(tmp_path / "a"), str(tmp_path / "a"), worker.OK)
    rep_err = worker.RepoReport(str(tmp_path / hostile), "", worker.ERROR, f"boom {hostile}")
    run = runner.FleetRun("t0", "t1", 0.1, "0", (rep_ok.source, rep_err.source), (rep_ok, rep_err))
    junit = ET.fromstring(ci.render("junit", run).split("\n", 1)[1])
    assert junit.get("errors") == "1"
    jsonschema.validate(json.loads(ci.render("sarif", run)), sarif_schema())


def test_run_fleet_keeps_results_only_when_asked(fleet: Path, tmp_path: Path) -> None:
    src = [Source("dir", str(fleet / n), str(fleet / n)) for n in ("fixed", "broken")]
    kept = runner.run_fleet(src, jobs=1, cache_dir=tmp_path, isolated=False, keep_results=True)
    plain = runner.run_fleet(src, jobs=1, cache_dir=tmp_path, isolated=False)
    assert all(r.result is not None and r.result.root for r in kept.repos)
    assert all(r.result is None for r in plain.repos)
    assert [r.services for r in kept.repos] == [r.services for r in plain.repos]
    # the kept results share one copy of each rule (and its documentation)
    a, b = (r.result for r in kept.repos)
    assert a is not None and b is not None
    assert a.rules and [x.id for x in a.rules] == [x.id for x in b.rules]
    assert all(x is y for x, y in zip(a.rules, b.rules, strict=True))
