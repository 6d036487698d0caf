"""``--output FORMAT=FILE``: several reports from one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockready.cli import cli

BAD = Path(__file__).resolve().parents[1] / "examples" / "orderservice"


def test_writes_each_requested_report(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    res = CliRunner().invoke(
        cli,
        [
            "check",
            str(BAD),
            "--format",
            "json",
            "--output",
            f"json={tmp_path / 'out' / 'r.json'}",
            "-o",
            f"text={tmp_path / 'r.txt'}",
        ],
    )
    assert res.exit_code == 1, res.output
    stdout = json.loads(res.stdout)
    written = json.loads((tmp_path / "out" / "r.json").read_text())
    assert written == stdout
    text = (tmp_path / "r.txt").read_text()
    assert "DR404" in text and "\x1b[" not in text


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["check", str(BAD), "--output", f"pdf={tmp_path / 'r.pdf'}"])
    assert res.exit_code == 2
    assert "'pdf' is not a format" in res.output


def test_missing_file_part_is_a_usage_error() -> None:
    res = CliRunner().invoke(cli, ["check", str(BAD), "--output", "json"])
    assert res.exit_code == 2
    assert "FORMAT=FILE" in res.output


def test_unwritable_destination_is_exit_3(tmp_path: Path) -> None:
    """A report that cannot be written is exit 3 (never 1, which CI reads as
    findings); a directory where the file should go is such a failure."""
    (tmp_path / "x.json").mkdir()
    res = CliRunner().invoke(cli, ["check", str(BAD), "--output", f"json={tmp_path / 'x.json'}"])
    assert res.exit_code == 3, res.output
    assert "cannot write" in res.output


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "gitlab", "html", "markdown", "text"])
def test_output_is_the_same_on_every_run(tmp_path: Path, fmt: str) -> None:
    """Same tree, same report, byte for byte, whatever the hash seed (two services
    sharing a manifest line, findings merged across services), in every format."""
    import os
    import subprocess
    import sys

    tree = Path(__file__).parent / "acceptance" / "verify_services"
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-m", "dockready", "check", str(tree), "--format", fmt],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode in (0, 1), proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]


def test_a_report_into_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    """``--output`` never creates directories (a typo must not scatter files)."""
    res = CliRunner().invoke(
        cli, ["check", str(BAD), "--output", f"html={tmp_path / 'missing' / 'r.html'}"]
    )
    assert res.exit_code == 2, res.output
    assert "no such directory" in res.stderr and not (tmp_path / "missing").exists()
