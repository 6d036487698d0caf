"""A container command that runs a script, not the service's Go binary: rules that
judge the Go process stay silent about it (``facts.docker.script_command``)."""

from __future__ import annotations

import pytest

from dockready.facts.docker import script_command


@pytest.mark.parametrize(
    "command",
    [
        ["sh", "-c", "backup"],
        ["/bin/bash", "/scripts/run.sh"],
        ["/scripts/backup.sh"],
        ["python3", "job.py"],
        ["/usr/local/bin/python3.12", "-m", "reports.nightly"],
        ["python", "-c", "print(1)"],
        ["ruby", "task.rb"],
        ["perl", "-e", "1"],
        ["node", "job.js"],
        ["/usr/bin/nodejs", "dist/main.mjs"],
    ],
)
def test_a_shell_an_interpreter_or_a_script_runs_a_script(command: list[str]) -> None:
    assert script_command(command)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["/app"],
        ["/usr/local/bin/orders", "serve", "--port", "8080"],
        ["node"],  # a Go binary may be called node (a blockchain node)
        ["/bin/node", "--config", "/etc/node.yaml"],
        ["pythonic-server"],
    ],
)
def test_a_binary_is_not_a_script(command: list[str]) -> None:
    assert not script_command(command)
