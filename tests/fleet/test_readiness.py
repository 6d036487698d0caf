"""Chapter status, score and blockers of a service, from real ``check`` results."""

from __future__ import annotations

from pathlib import Path

from dockready.engine import check
from dockready.fleet.readiness import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    WARN,
    chapter_status,
    score,
    services_of,
)
from dockready.model import Severity
from dockready.report.checklist import FAILED, NA, PASSED, Item

from .conftest import EXAMPLES, FIXTURES


def _item(rule_id: str, status: str, severity: Severity | None = None) -> Item:
    from dockready.model import Finding, Span

    chapter = int(rule_id[2])
    found = ()
    if severity is not None:
        found = (Finding(rule_id, "x", severity, "m", Span("a.go", 1), chapter),)
    return Item(rule_id, "x", chapter, found, status)


def test_chapter_status_rules() -> None:
    assert chapter_status([]) == NOT_APPLICABLE
    assert chapter_status([_item("DR401", NA)]) == NOT_APPLICABLE
    assert chapter_status([_item("DR401", NA), _item("DR402", PASSED)]) == PASS
    assert chapter_status([_item("DR401", FAILED, Severity.INFO)]) == PASS
    assert chapter_status([_item("DR401", FAILED, Severity.WARNING)]) == WARN
    assert (
        chapter_status(
            [_item("DR401", FAILED, Severity.WARNING), _item("DR402", FAILED, Severity.ERROR)]
        )
        == FAIL
    )


def test_score_formula() -> None:
    assert score([_item("DR401", PASSED)]) == 100
    # one blocking rule (error, chapter 4), one error outside 2-4, one warning, one info
    items = [
        _item("DR401", FAILED, Severity.ERROR),
        _item("DR101", FAILED, Severity.ERROR),
        _item("DR402", FAILED, Severity.WARNING),
        _item("DR403", FAILED, Severity.INFO),
    ]
    assert score(items) == 100 - 20 - 10 - 4
    assert score([_item(f"DR4{i:02d}", FAILED, Severity.ERROR) for i in range(10)]) == 0


def test_broken_example_is_blocked_and_fixed_one_is_ready() -> None:
    (broken,) = services_of(check([str(EXAMPLES / "orderservice")], jobs=1).result)
    assert broken.name == "orderservice"
    assert {"DR201", "DR404", "DR415"} <= set(broken.blockers)
    assert broken.chapter(2) == FAIL and broken.chapter(4) == FAIL
    assert not broken.ready and broken.score == 0
    assert all(len(f.fingerprint) == 16 for f in broken.findings)

    (fixed,) = services_of(check([str(EXAMPLES / "orderservice-fixed")], jobs=1).result)
    assert fixed.ready and fixed.blockers == ()
    assert [s for _, s in fixed.chapters] == [PASS] * 5


def test_a_service_without_a_dockerfile_has_chapter_3_not_applicable(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "orderservice-fixed", tmp_path / "svc")
    shutil.rmtree(tmp_path / "svc" / "k8s")
    (tmp_path / "svc" / "Dockerfile").unlink()
    (svc,) = services_of(check([str(tmp_path / "svc")], jobs=1).result)
    assert svc.chapter(3) == NOT_APPLICABLE
    assert svc.chapter(2) == PASS


def test_probe_fixture_blocks_on_dr404() -> None:
    services = services_of(check([str(FIXTURES / "DR404" / "bad")], jobs=1).result)
    assert any("DR404" in s.blockers for s in services)


def test_repository_row_is_judged_only_where_findings_landed() -> None:
    from dockready.model import Finding, Result, RuleInfo, Span

    rules = (
        RuleInfo("DR301", "a", Severity.ERROR, 3),
        RuleInfo("DR401", "b", Severity.ERROR, 4),
    )
    found = Finding("DR401", "b", Severity.ERROR, "m", Span("k8s/d.yaml", 2), 4)
    (row,) = services_of(Result(root=".", findings=(found,), rules=rules))
    assert row.is_repository
    assert row.chapters == (
        (1, NOT_APPLICABLE),
        (2, NOT_APPLICABLE),
        (3, NOT_APPLICABLE),
        (4, FAIL),
        (5, NOT_APPLICABLE),
    )
    assert row.blockers == ("DR401",)
    # no finding of no service: no row at all
    assert services_of(Result(root=".", findings=(), rules=rules)) == ()


def test_status_per_rule_is_the_checklist_item() -> None:
    (broken,) = services_of(check([str(EXAMPLES / "orderservice")], jobs=1).result)
    status = {r: (s, n) for r, s, n in broken.rules}
    assert status["DR404"][0] == "failed" and status["DR404"][1] >= 1
    assert sum(n for _, _, n in broken.rules) == len(broken.findings)
    assert {s for s, _ in status.values()} <= {"passed", "failed", "n/a"}
    (fixed,) = services_of(check([str(EXAMPLES / "orderservice-fixed")], jobs=1).result)
    assert dict((r, s) for r, s, _ in fixed.rules)["DR404"] == "passed"
    assert [r for r, _, _ in fixed.rules] == sorted(r for r, _, _ in fixed.rules)


def test_a_rule_reading_nothing_the_service_has_is_not_applicable(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "orderservice-fixed", tmp_path / "svc")
    shutil.rmtree(tmp_path / "svc" / "k8s")
    (svc,) = services_of(check([str(tmp_path / "svc")], jobs=1).result)
    assert dict((r, s) for r, s, _ in svc.rules)["DR404"] == "n/a"


def test_repository_row_has_only_the_rules_where_findings_landed() -> None:
    from dockready.model import Finding, Result, RuleInfo, Span

    rules = (
        RuleInfo("DR301", "a", Severity.ERROR, 3),
        RuleInfo("DR401", "b", Severity.ERROR, 4),
    )
    found = Finding("DR401", "b", Severity.ERROR, "m", Span("k8s/d.yaml", 2), 4)
    (row,) = services_of(Result(root=".", findings=(found,), rules=rules))
    assert row.rules == (("DR401", "failed", 1),)
