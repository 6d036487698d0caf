from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A tiny fleet: the broken example, the fixed one, and a DR404 fixture."""
    root = tmp_path / "fleet"
    root.mkdir()
    copy_tree(EXAMPLES / "orderservice", root / "broken")
    copy_tree(EXAMPLES / "orderservice-fixed", root / "fixed")
    copy_tree(FIXTURES / "DR404" / "bad", root / "probe")
    return root
