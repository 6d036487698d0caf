"""Every rule's fixtures: each ``bad*`` case yields the named findings (rule id, file,
line), each ``good*`` case stays silent for that rule.

``tests/fixtures/<ID>/expect.yaml`` maps a case directory to its expected findings::

    bad:
      - {path: main.go, line: 12}
      - {path: k8s/deploy.yaml, line: 20, message: "/healthz", related: main.go}
    good: []
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, of_rule, run_check
from observed import run_observed


def _cases() -> list[Any]:
    out = []
    for d in sorted(FIXTURES.iterdir()):
        exp = d / "expect.yaml"
        if not exp.is_file():
            continue
        spec = yaml.safe_load(exp.read_text()) or {}
        for case, expected in spec.items():
            out.append(pytest.param(d.name, case, expected or [], id=f"{d.name}/{case}"))
    return out


@pytest.mark.parametrize(("rule_id", "case", "expected"), _cases())
def test_fixture(rule_id: str, case: str, expected: list[dict[str, Any]]) -> None:
    case_dir: Path = FIXTURES / rule_id / case
    assert case_dir.is_dir(), f"missing fixture directory {case_dir}"
    if (case_dir / "observation.yaml").is_file():  # chapter 6: what verify saw
        found = [f for f in run_observed(case_dir) if f.rule_id == rule_id]
    else:
        found = of_rule(run_check(case_dir), rule_id)
    got = sorted((f.span.path, f.span.line) for f in found)
    if case.startswith("good"):
        assert not found, f"{rule_id} must stay silent on {case}, got: " + "; ".join(
            f"{f.span}: {f.message}" for f in found
        )
        return
    assert expected, f"{rule_id}/{case}: a bad case must name its expected findings"
    for exp in expected:
        matches = [
            f
            for f in found
            if f.span.path == exp["path"] and ("line" not in exp or f.span.line == exp["line"])
        ]
        assert matches, f"{rule_id}/{case}: expected a finding at {exp}, got {got}"
        if "message" in exp:
            assert any(exp["message"] in f.message for f in matches), (
                f"{rule_id}/{case}: no message containing {exp['message']!r} in "
                + "; ".join(f.message for f in matches)
            )
        if "related" in exp:
            assert any(any(r.span.path == exp["related"] for r in f.related) for f in matches), (
                f"{rule_id}/{case}: expected a related location in {exp['related']}"
            )
    extra = [
        (f.span.path, f.span.line)
        for f in found
        if not any(
            f.span.path == e["path"] and ("line" not in e or f.span.line == e["line"])
            for e in expected
        )
    ]
    assert not extra, f"{rule_id}/{case}: unexpected findings at {extra}"
