"""``--write-baseline`` / ``--baseline`` end to end: a legacy repo adopts dockready,
line moves do not resurface old findings, a new problem does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dockready.cli import cli

BAD = Path(__file__).resolve().parents[1] / "examples" / "orderservice"


def _run(*args: str) -> tuple[int, dict[str, object]]:
    res = CliRunner().invoke(cli, ["check", *args, "--format", "json"])
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {}


def test_baseline_reports_only_new_findings(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BAD, repo)
    base = tmp_path / "dockready-baseline.json"
    res = CliRunner().invoke(cli, ["check", str(repo), "--write-baseline", str(base)])
    assert res.exit_code == 0 and base.is_file()

    main = repo / "cmd" / "orderservice" / "main.go"
    main.write_text("// moved down by a licence header\n\n" + main.read_text(), encoding="utf-8")
    code, doc = _run(str(repo), "--baseline", str(base))
    assert code == 0, doc
    assert doc["findings"] == []
    summary = doc["summary"]
    assert isinstance(summary, dict) and summary["baselined"] > 20

    df = repo / "Dockerfile"
    # A new, unpinned helper stage in front: the final image is unchanged.
    df.write_text("FROM busybox AS tools\n" + df.read_text(), encoding="utf-8")
    code, doc = _run(str(repo), "--baseline", str(base))
    findings = doc["findings"]
    assert isinstance(findings, list)
    assert [(f["id"], f["path"], f["line"]) for f in findings] == [("DR302", "Dockerfile", 1)]


def test_bad_baseline_is_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "b.json"
    broken.write_text("{not json", encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(BAD), "--baseline", str(broken)])
    assert res.exit_code == 2
    assert "b.json" in res.output
    res = CliRunner().invoke(cli, ["check", str(BAD), "--baseline", str(tmp_path / "none.json")])
    assert res.exit_code == 2
