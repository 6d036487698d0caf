"""``dockready rules``: a table on a terminal; piped, one tab-separated line per rule
(never wrapped or cut); ``--format json``, the same list as data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockready.cli import cli
from dockready.rules.registry import CHAPTERS, all_rules, static_rules

SRC = Path(__file__).resolve().parents[1] / "src"
HEADER = ["id", "name", "severity", "chapter", "summary"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(SRC)
    env.update(extra)
    return env


def _piped(*args: str) -> str:
    """``python -m dockready rules ARGS`` with stdout a pipe, in an 80-column setting."""
    proc = subprocess.run(
        [sys.executable, "-m", "dockready", "rules", *args],
        env=_env(COLUMNS="80"),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_piped_output_is_one_rule_per_line() -> None:
    lines = _piped().splitlines()
    rules = all_rules()
    assert lines[0].split("\t") == HEADER
    rows = [ln.split("\t") for ln in lines[1:]]
    assert len(rows) == len(rules), "one line per rule, nothing wrapped onto another line"
    for row, r in zip(rows, rules, strict=True):
        assert row == [
            r.id,
            r.name,
            r.severity.label,
            f"{r.chapter} {CHAPTERS[r.chapter]}",
            r.summary,
        ]


def test_piped_summaries_are_not_cut() -> None:
    """Summaries longer than any terminal come out whole."""
    out = _piped()
    long = [r for r in all_rules() if len(r.summary) > 80]
    assert long, "no summary is longer than 80 columns: the test proves nothing"
    for r in long:
        assert f"\t{r.summary}\n" in out, r.id


def test_every_static_chapter_is_listed() -> None:
    """Chapters 0 to 5 (what ``check`` runs) all have rules in the listing."""
    listed = {ln.split("\t")[0] for ln in _piped().splitlines()[1:]}
    assert {r.id for r in static_rules()} <= listed
    assert {int(i[2]) for i in listed} >= {0, 1, 2, 3, 4, 5}
    assert {"DR501", "DR502", "DR503", "DR504"} <= listed


def test_json_is_the_same_list_as_data() -> None:
    data = json.loads(_piped("--format", "json"))
    rules = all_rules()
    assert [d["id"] for d in data] == [r.id for r in rules]
    for d, r in zip(data, rules, strict=True):
        assert set(d) == {"id", "name", "severity", "chapter", "summary", "reads", "tags"}
        assert (d["name"], d["severity"], d["chapter"], d["summary"]) == (
            r.name,
            r.severity.label,
            r.chapter,
            r.summary,
        )
        assert d["reads"] == [i.value for i in r.reads]
        assert d["tags"] == sorted(t.value for t in r.tags)
    by_id = {d["id"]: d for d in data}
    assert by_id["DR501"]["reads"] == ["code", "image"]
    assert by_id["DR501"]["tags"] == ["performance"]


def test_in_process_runner_gets_the_plain_listing() -> None:
    """Click's runner is not a terminal either: no table borders, no padding."""
    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0
    first = result.stdout.splitlines()[1]
    assert first.count("\t") == 4 and "  " not in first.split("\t")[0]


def test_terminal_gets_the_table() -> None:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockready", "rules"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(TERM="xterm-256color", COLUMNS="200"),
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    assert proc.wait(timeout=120) == 0
    out = b"".join(chunks).decode("utf-8", "replace")
    assert "\t" not in out, "a terminal gets the aligned table, not tab-separated lines"
    assert any(ln.startswith("DR501 ") for ln in out.replace("\r", "").splitlines())
