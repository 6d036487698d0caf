from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from dockready.engine import check
from dockready.facts.go import FACT_CALLS, GoFile
from dockready.model import Finding, Result
from dockready.parse.gosrc import read_go

FIXTURES = Path(__file__).parent / "fixtures"

# The CLI caches parsed facts in .dockready_cache/ at the checked root: the tests run
# it on the fixtures and examples of this repository, which must stay as they are.
# tests/test_cache.py turns the cache on where it tests it.
os.environ.setdefault("DOCKREADY_NO_CACHE", "1")


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; return ``root``."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def skimmed(path: str, source: bytes, calls: frozenset[str] = FACT_CALLS) -> GoFile | None:
    """What the prefilter made of a Go file when it skimmed it; None when it parsed it."""
    g = read_go(path, source, calls)
    return g if g.skimmed else None


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
