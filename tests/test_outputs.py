"""``--output FORMAT=FILE``: several reports from one run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dockready.cli import cli

BAD = Path(__file__).resolve().parents[1] / "examples" / "orderservice"


def test_writes_each_requested_report(tmp_path: Path) -> None:
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


def test_unwritable_destination_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = CliRunner().invoke(cli, ["check", str(BAD), "--output", f"json={blocker / 'x.json'}"])
    assert res.exit_code == 2
    assert "cannot write" in res.output
