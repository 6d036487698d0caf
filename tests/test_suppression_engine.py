"""Inline suppressions through the whole pipeline: suppressed findings leave the exit
code and the text report, stay (marked) in JSON and SARIF; stale ones are DR001."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import FIXTURES, run_check

from dockready.cli import cli
from dockready.report import sarif

GOOD = FIXTURES / "DR001" / "good"


def test_suppressed_findings_are_marked_not_counted() -> None:
    result = run_check(GOOD)
    quiet = {(f.rule_id, f.span.path, f.span.line): f.suppressed for f in result.suppressed}
    assert quiet[("DR302", "Dockerfile", 9)] == "the release pipeline pins this base by digest"
    assert quiet[("DR102", "main.go", 7)] == "internal tool, reachable from the loopback only"
    assert ("DR414", "k8s/deploy.yaml", 14) in quiet  # trailing YAML comment
    assert ("DR401", "k8s/deploy.yaml", 13) in quiet  # workload annotation
    active = {(f.rule_id, f.span.path) for f in result.findings}
    assert ("DR302", "Dockerfile") not in active
    assert not any(f.rule_id == "DR001" for f in result.findings)


def test_exit_code_ignores_suppressed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(GOOD, repo)
    (repo / "main.go").write_text(
        'package main\n\nimport "os"\n\nfunc main() { os.Exit(0) }\n', encoding="utf-8"
    )
    res = CliRunner().invoke(cli, ["check", str(repo), "--fail-on", "warning"])
    assert res.exit_code == 0, res.output
    assert "suppressed inline" in res.output
    # Without the comment, the same finding fails the run.
    df = repo / "Dockerfile"
    df.write_text(df.read_text().replace("# dockready: ignore=DR302", "# was:"), encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(repo), "--fail-on", "warning"])
    assert res.exit_code == 1
    assert "DR302" in res.output


def test_json_and_sarif_keep_suppressed_findings() -> None:
    res = CliRunner().invoke(cli, ["check", str(GOOD), "--format", "json"])
    doc = json.loads(res.stdout)
    marked = [f for f in doc["findings"] if f["suppressed"]]
    assert {f["id"] for f in marked} >= {"DR302", "DR102", "DR414", "DR401"}
    assert doc["summary"]["suppressed"] == len(marked)
    log = json.loads(sarif.render(run_check(GOOD)))
    results = log["runs"][0]["results"]
    dr302 = next(r for r in results if r["ruleId"] == "DR302")
    assert dr302["suppressions"][0]["kind"] == "inSource"


def test_stale_suppression_is_reported_and_can_be_ignored() -> None:
    bad = FIXTURES / "DR001" / "bad"
    result = run_check(bad)
    assert ("DR001", "main.go", 9) in {
        (f.rule_id, f.span.path, f.span.line) for f in result.findings
    }
    res = CliRunner().invoke(cli, ["check", str(bad), "--ignore", "DR001", "--format", "json"])
    assert not [f for f in json.loads(res.stdout)["findings"] if f["id"] == "DR001"]
