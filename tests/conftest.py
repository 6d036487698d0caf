from __future__ import annotations

from pathlib import Path

import pytest

from dockready.engine import check
from dockready.model import Finding, Result

FIXTURES = Path(__file__).parent / "fixtures"


def run_check(path: Path | str) -> Result:
    outcome = check([str(path)], jobs=1)
    assert not outcome.internal_errors, outcome.internal_errors
    return outcome.result


def ids_at(result: Result) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.span.path, f.span.line) for f in result.findings}


def of_rule(result: Result, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
