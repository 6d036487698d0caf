"""Meta-tests over the registry: every rule is documented and has fixtures."""

from __future__ import annotations

import pytest
import yaml
from conftest import FIXTURES

from dockready.rules.registry import DOC_SECTIONS, all_rules, section

RULES = all_rules()


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_has_docs(r) -> None:  # type: ignore[no-untyped-def]
    for title in DOC_SECTIONS:
        assert section(r.doc, title), f"{r.id} lacks the '## {title}' section"
    assert r.summary, f"{r.id} has no summary"


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_has_fixtures(r) -> None:  # type: ignore[no-untyped-def]
    d = FIXTURES / r.id
    exp = d / "expect.yaml"
    assert exp.is_file(), f"{r.id} has no tests/fixtures/{r.id}/expect.yaml"
    spec = yaml.safe_load(exp.read_text()) or {}
    assert any(k.startswith("bad") for k in spec), f"{r.id} has no bad case"
    assert any(k.startswith("good") for k in spec), f"{r.id} has no good case"
    for case in spec:
        assert (d / case).is_dir(), f"{r.id}: expect.yaml names missing case {case}"
    for sub in d.iterdir():
        if sub.is_dir():
            assert sub.name in spec, f"{r.id}: case {sub.name} is not in expect.yaml"


def test_ids_match_checklist() -> None:
    """Rule ids and names are the public contract of CHECKLIST.md."""
    import re
    from pathlib import Path

    checklist = Path(__file__).resolve().parents[1] / "docs" / "CHECKLIST.md"
    if not checklist.is_file():
        pytest.skip("docs/CHECKLIST.md not present")
    table = dict(re.findall(r"^\| (DR\d{3}) \| ([a-z0-9-]+) \|", checklist.read_text(), re.M))
    for r in RULES:
        if r.id == "DR000":
            continue
        assert table.get(r.id) == r.name, f"{r.id} is {table.get(r.id)!r} in CHECKLIST.md"


def test_readme_lists_every_rule() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for r in RULES:
        assert f"| {r.id} | {r.name} | {r.severity.label} |" in readme, f"README lacks {r.id}"


def test_rule_docs_are_generated_from_the_docstrings() -> None:
    """docs/rules/ must match the docstrings: run `make docs` after editing a rule."""
    from pathlib import Path

    from dockready.docs import pages

    docs = Path(__file__).resolve().parents[1] / "docs" / "rules"
    for name, text in pages().items():
        path = docs / name
        assert path.is_file(), f"docs/rules/{name} is missing: run `make docs`"
        assert path.read_text(encoding="utf-8") == text, (
            f"docs/rules/{name} drifted: run `make docs`"
        )
    extra = {p.name for p in docs.glob("*.md")} - set(pages())
    assert not extra, f"stale pages in docs/rules: {sorted(extra)}"
