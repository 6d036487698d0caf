"""What the fixture suite cannot say for the image-build rules DR304, DR309-DR316 and
DR401's message: per-finding severities, and the shell reading the rules share."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, of_rule, run_check

from dockready.facts.derived.runscript import commands, path_covers
from dockready.model import Severity
from dockready.rules.image_build.dr316_world_writable_paths import world_writable


def test_dr304_unknown_base_is_info_and_known_root_base_a_warning() -> None:
    unknown = of_rule(run_check(FIXTURES / "DR304" / "bad-unknown-base"), "DR304")
    known = of_rule(run_check(FIXTURES / "DR304" / "bad"), "DR304")
    assert [f.severity for f in unknown] == [Severity.INFO]
    assert "may run as root" in unknown[0].message
    assert [f.severity for f in known] == [Severity.WARNING]


def test_dr401_limits_without_requests_is_not_scheduled_as_nothing() -> None:
    found = of_rule(run_check(FIXTURES / "DR401" / "bad"), "DR401")
    limits_only = [f for f in found if f.span.line == 39]
    assert [(f.rule_id, f.span.path) for f in limits_only] == [("DR401", "k8s/deploy.yaml")]
    assert "needed nothing" not in limits_only[0].message
    assert "the memory request defaults to its memory limit" in limits_only[0].message


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "set -e; apt-get update && \\\n  DEBIAN_FRONTEND=noninteractive apt-get install -y x",
            [["set", "-e"], ["apt-get", "update"], ["apt-get", "install", "-y", "x"]],
        ),
        # a comment must not swallow the lines after it (heredoc bodies)
        ("apt-get update  # lists\nrm -rf /var/lib/apt/lists/*", [
            ["apt-get", "update"], ["rm", "-rf", "/var/lib/apt/lists/*"],
        ]),
        ("if true; then sudo -E apk add curl; fi", [["true"], ["apk", "add", "curl"], ["fi"]]),
        ("sh -c 'yum install -y x && yum clean all'", [
            ["sh", "-c", "yum install -y x && yum clean all"],
            ["yum", "install", "-y", "x"],
            ["yum", "clean", "all"],
        ]),
    ],
)  # fmt: skip
def test_commands(script: str, expected: list[list[str]]) -> None:
    assert commands(script) == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("777", True), ("0666", True), ("2777", True), ("a+w", True), ("o+w", True),
        ("a=rwx", True), ("ugo+rwX", True), ("1777", None), ("a+rwxt", None),
        ("755", False), ("664", False), ("+w", False), ("go+rwx,o-w", False),
        ("u+x", False), ("$MODE", None),
    ],
)  # fmt: skip
def test_world_writable(mode: str, expected: bool | None) -> None:
    assert world_writable(mode) is expected


def test_path_covers() -> None:
    assert path_covers("/var/lib/apt", "/var/lib/apt/lists")
    assert path_covers("/var/lib/apt/lists/*", "/var/lib/apt/lists")
    assert not path_covers("/var/lib/apt/lists", "/var/lib/apt")
    assert not path_covers("/go/pkg/mo", "/go/pkg/mod")
