"""The Result says which rules ran and, per service, which did not apply; every
report counts from it; the library returns what the CLI prints."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import dockready
from dockready.cli import cli
from dockready.config import resolve_config
from dockready.engine import UsageError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "orderservice"


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_markdown_counts_only_the_rules_that_ran() -> None:
    """Bug: `--select DR404 --format markdown` said "56 passed, 1 failed"."""
    code, out = _cli(
        "check", str(EXAMPLE), "--no-config", "--select", "DR404", "--format", "markdown"
    )
    assert code == 1
    assert "| **total** | **0** | **1** | **0** |" in out.splitlines()
    assert "| 4 · Running it | 0 | 1 | 0 |" in out.splitlines()
    assert "Service code" not in out  # no chapter-1 rule ran


def test_junit_has_one_case_per_rule_that_ran() -> None:
    code, out = _cli(
        "check", str(EXAMPLE), "--no-config", "--select", "DR404,DR419", "--format", "junit"
    )
    assert code == 1
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["DR404 probe-not-served", "DR419 compose-no-healthcheck"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")


def test_not_applicable_comes_from_what_a_rule_reads() -> None:
    result = dockready.check([str(EXAMPLE)])
    (svc,) = result.services
    # the example has code, a Dockerfile and a Deployment, but no compose file
    assert svc.not_applicable == ("DR419",)
    assert {str(i) for i in result.rule("DR419").reads} == {"compose"}  # type: ignore[union-attr]


def test_json_lists_the_rules_that_ran() -> None:
    _, out = _cli("check", str(EXAMPLE), "--no-config", "--select", "DR3", "--format", "json")
    doc = json.loads(out)
    ran = [r["id"] for r in doc["rules"]]
    assert ran and all(r.startswith("DR3") or r == "DR000" for r in ran)
    assert {f["id"] for f in doc["findings"]} <= set(ran)
    secret = {r["id"]: r["tags"] for r in doc["rules"]}["DR308"]
    assert secret == ["secret", "security"]


def test_library_returns_what_the_cli_prints(tmp_path: Path) -> None:
    """Suppressions, per-path ignores, severities and the baseline are applied by the
    engine: `dockready.check` and `dockready check --format json` agree."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    (repo / ".dockready.toml").write_text(
        '[severity]\nDR101 = "info"\n\n[[per-path-ignores]]\npaths = ["k8s/**"]\nignore = ["DR41"]\n'
    )
    base = tmp_path / "baseline.json"
    code, _ = _cli("check", str(repo), "--select", "DR1,DR2", "--write-baseline", str(base))
    assert code == 0
    main = repo / "cmd" / "orderservice" / "main.go"
    main.write_text(main.read_text() + '\nfunc extra() { _, _ = http.Get("http://x") }\n')

    config = resolve_config([str(repo)], baseline=str(base))
    lib = dockready.check([str(repo)], config)
    code, out = _cli("check", str(repo), "--baseline", str(base), "--format", "json")
    cli_findings = json.loads(out)["findings"]
    assert [(f["id"], f["path"], f["line"], f["severity"]) for f in cli_findings] == [
        (f.rule_id, f.span.path, f.span.line, f.severity.label)
        for f in (*lib.findings, *lib.suppressed)
    ]
    # the new http.Get is the one DR101 finding the baseline does not hold, at "info"
    new = [f for f in lib.findings if f.rule_id == "DR101"]
    assert [(f.span.line, f.severity.label) for f in new] == [
        (len(main.read_text().splitlines()), "info")
    ]
    assert lib.baselined > 0
    assert not [
        f for f in lib.findings if f.rule_id.startswith("DR41") and f.span.path.startswith("k8s/")
    ]


def test_library_raises_usage_error_on_a_bad_baseline(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text("{")
    with pytest.raises(UsageError):
        dockready.check([str(EXAMPLE)], resolve_config([str(EXAMPLE)], baseline=str(bad)))
