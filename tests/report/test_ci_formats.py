"""The CI formats (JUnit, GitLab Code Quality, GitHub workflow commands, Markdown):
golden files from the bundled example, and the behaviour each consumer relies on.

``DOCKREADY_UPDATE_GOLDEN=1 pytest tests/report/test_ci_formats.py`` rewrites the
golden files; review the diff before committing it.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_check
from golden_file import assert_golden

from dockready import report
from dockready.fingerprint import fingerprint
from dockready.model import Finding, Related, Result, ServiceSummary, Severity, Span, Tag
from dockready.report import github, gitlab, html, jsonfmt, junit, markdown
from dockready.rules.registry import static_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOLDEN = Path(__file__).parent / "golden"


def _text(result: Result) -> str:
    return report.render("text", result)


FORMATS: dict[str, Callable[[Result], str]] = {
    "orderservice.json": jsonfmt.render,
    "orderservice.txt": _text,
    "orderservice.junit.xml": junit.render,
    "orderservice.html": html.render,
    "orderservice.gitlab.json": gitlab.render,
    "orderservice.github.txt": github.render,
    "orderservice.md": markdown.render,
}


@pytest.fixture(scope="module")
def before() -> Result:
    return run_check(EXAMPLES / "orderservice")


@pytest.fixture(scope="module")
def fixed() -> Result:
    return run_check(EXAMPLES / "orderservice-fixed")


def finding(
    rule_id: str = "DR201",
    message: str = "something is wrong",
    *,
    path: str = "Dockerfile",
    line: int = 3,
    col: int = 1,
    severity: Severity = Severity.ERROR,
    service: str | None = "svc",
    name: str = "dynamic-binary-on-static-base",
    related: tuple[Related, ...] = (),
) -> Finding:
    return Finding(
        rule_id=rule_id,
        name=name,
        severity=severity,
        message=message,
        span=Span(path, line, col),
        chapter=int(rule_id[2]),
        service=service,
        related=related,
    )


def result_of(*findings: Finding, services: tuple[str, ...] = ("svc",)) -> Result:
    return Result(
        root="/nowhere",
        findings=findings,
        services=tuple(ServiceSummary(name=s, root=s) for s in services),
        files_checked=3,
        rules=tuple(r.info for r in static_rules()),
    )


# -- golden files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_golden(name: str, before: Result) -> None:
    assert_golden(GOLDEN / name, FORMATS[name](before))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_renders_are_deterministic(name: str, before: Result) -> None:
    again = run_check(EXAMPLES / "orderservice")
    assert FORMATS[name](before) == FORMATS[name](again)


# -- JUnit ----------------------------------------------------------------------------


def _cases(xml: str) -> dict[tuple[str, str], ET.Element]:
    root = ET.fromstring(xml)
    out = {}
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            key = (suite.attrib["name"], case.attrib["name"].split()[0])
            assert key not in out, f"duplicate testcase {key}"
            out[key] = case
    return out


def test_junit_has_a_testcase_per_service_and_rule(before: Result) -> None:
    xml = junit.render(before)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    cases = _cases(xml)
    checklist = {r.id for r in static_rules()} - {"DR000"}
    assert set(cases) == {("orderservice", rule_id) for rule_id in checklist}
    names = {r.id: f"{r.id} {r.name}" for r in static_rules()}
    for (_, rule_id), case in cases.items():
        assert case.attrib["name"] == names[rule_id]
        assert case.attrib["classname"].startswith("dockready.orderservice.")
    dr201 = cases[("orderservice", "DR201")]
    assert dr201.attrib["classname"] == "dockready.orderservice.2-getting-the-code-container-ready"


def test_junit_fails_exactly_the_rules_with_findings(before: Result) -> None:
    xml = junit.render(before)
    cases = _cases(xml)
    failed = {rule_id for (_, rule_id), case in cases.items() if case.find("failure") is not None}
    assert failed == {f.rule_id for f in before.findings}
    assert "DR404" in failed
    assert "DR406" not in failed and ("orderservice", "DR406") in cases

    per_rule = Counter(f.rule_id for f in before.findings)
    for rule_id, n in per_rule.items():
        failure = cases[("orderservice", rule_id)].find("failure")
        assert failure is not None
        assert failure.attrib["message"] == f"{n} finding{'s' if n != 1 else ''}"
        assert len([ln for ln in (failure.text or "").splitlines() if not ln.startswith(" ")]) == n
    probe = cases[("orderservice", "DR404")].find("failure")
    assert probe is not None and probe.attrib["type"] == "error"
    assert (probe.text or "").startswith("k8s/deployment.yaml:38:21 readiness probe")
    assert "\n    ↳ cmd/orderservice/main.go:61 route /health" in (probe.text or "")
    assert cases[("orderservice", "DR403")].find("failure").attrib["type"] == "info"  # type: ignore[union-attr]

    root = ET.fromstring(xml)
    assert root.attrib["tests"] == str(len(cases))
    assert root.attrib["failures"] == str(len(failed))
    suite = root.find("testsuite")
    assert suite is not None and suite.attrib["failures"] == str(len(failed))


def test_junit_clean_example_has_no_failures(fixed: Result) -> None:
    root = ET.fromstring(junit.render(fixed))
    assert root.attrib["failures"] == "0"
    assert root.find(".//failure") is None
    assert [s.attrib["name"] for s in root.iter("testsuite")] == ["orderservice"]
    assert len(list(root.iter("testcase"))) == len(static_rules()) - 1


def test_junit_repository_suite_and_parse_errors() -> None:
    result = result_of(
        finding("DR000", "cannot parse YAML", path="k8s/a.yaml", name="parse-error", service=None),
        finding("DR307", "no .dockerignore", name="dockerignore-missing", service=None),
        finding("DR201", "dynamic \x00binary\x1b", severity=Severity.WARNING),
        services=("svc", "another"),
    )
    root = ET.fromstring(junit.render(result))  # the control characters are gone
    suites = [s.attrib["name"] for s in root.iter("testsuite")]
    assert suites == ["another", "svc", "(repository)"]
    cases = _cases(junit.render(result))
    assert ("(repository)", "DR000") in cases and ("svc", "DR000") not in cases
    assert cases[("(repository)", "DR000")].find("failure") is not None
    assert cases[("(repository)", "DR307")].find("failure") is not None
    assert cases[("another", "DR201")].find("failure") is None
    svc = cases[("svc", "DR201")].find("failure")
    assert svc is not None and svc.attrib["type"] == "warning"
    assert svc.text == "Dockerfile:3:1 dynamic \ufffdbinary\ufffd"


def test_junit_without_services_uses_the_repository_suite() -> None:
    root = ET.fromstring(junit.render(result_of(services=())))
    assert [s.attrib["name"] for s in root.iter("testsuite")] == ["(repository)"]
    assert root.attrib["failures"] == "0"


# -- GitLab Code Quality --------------------------------------------------------------


def test_gitlab_issues(before: Result) -> None:
    issues = json.loads(gitlab.render(before))
    assert len(issues) == len(before.findings)
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == len(fps)
    for issue, f in zip(issues, before.findings, strict=True):
        assert issue["check_name"] == f.rule_id
        assert issue["description"] == f"{f.rule_id} {f.name}: {f.message}"
        assert issue["location"] == {"path": f.span.path, "lines": {"begin": f.span.line}}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
    by_id = {i["check_name"]: i for i in issues}
    assert by_id["DR404"]["severity"] == "critical"
    assert by_id["DR404"]["categories"] == ["Bug Risk"]
    assert by_id["DR207"]["categories"] == ["Security"]
    assert by_id["DR306"]["categories"] == ["Performance"]
    assert by_id["DR401"]["severity"] == "major"
    assert by_id["DR403"]["severity"] == "info"


def test_gitlab_fingerprints_survive_a_line_move(before: Result, tmp_path: Path) -> None:
    moved = tmp_path / "orderservice"
    shutil.copytree(EXAMPLES / "orderservice", moved)
    for rel, comment in [
        ("cmd/orderservice/main.go", "// moved\n\n"),
        ("Dockerfile", "# moved\n# again\n"),
        ("k8s/deployment.yaml", "# moved\n"),
    ]:
        path = moved / rel
        path.write_text(comment + path.read_text(encoding="utf-8"), encoding="utf-8")
    after = run_check(moved)
    lines_before = sorted((f.span.path, f.span.line) for f in before.findings)
    lines_after = sorted((f.span.path, f.span.line) for f in after.findings)
    assert lines_before != lines_after  # the findings did move
    fps_before = Counter(i["fingerprint"] for i in json.loads(gitlab.render(before)))
    fps_after = Counter(i["fingerprint"] for i in json.loads(gitlab.render(after)))
    assert fps_before == fps_after


def test_gitlab_colliding_fingerprints_get_a_suffix() -> None:
    a = finding(message="port 80 is wrong", line=3)
    b = finding(message="port 81 is wrong", line=7)
    c = finding(message="port 82 is wrong", line=9)
    assert fingerprint(a) == fingerprint(b) == fingerprint(c)
    base = fingerprint(a)
    issues = json.loads(gitlab.render(result_of(a, b, c)))
    assert [i["fingerprint"] for i in issues] == [base, f"{base}-2", f"{base}-3"]
    # each report numbers its collisions afresh: nothing is carried over from the last
    again = json.loads(gitlab.render(result_of(c, a)))
    assert [i["fingerprint"] for i in again] == [base, f"{base}-2"]


def test_gitlab_empty_report_is_an_empty_list(fixed: Result) -> None:
    assert json.loads(gitlab.render(fixed)) == []


# -- GitHub workflow commands ---------------------------------------------------------


def test_github_escapes_properties_and_data() -> None:
    f = finding(
        message="100% of a,b: done\r\nnext line",
        path="dir,x/a:b%.go",
        line=12,
        col=5,
        related=(Related(Span("k8s/d.yaml", 4, 2), "50%, here: too"),),
    )
    out = github.render(result_of(f))
    assert out == (
        "::error file=dir%2Cx/a%3Ab%25.go,line=12,col=5,"
        "title=DR201 dynamic-binary-on-static-base"
        # a CR/LF from the checked files is shown escaped (it must not start a line);
        # the related locations are the annotation's own lines
        "::100%25 of a,b: done\\r\\nnext line%0A↳ k8s/d.yaml:4 50%25, here: too\n"
    )
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_github_one_command_per_finding(before: Result, fixed: Result) -> None:
    lines = github.render(before).splitlines()
    named = Counter(
        (m["rule"], m["file"], int(m["line"]))
        for m in (
            re.match(r"::\w+ file=(?P<file>[^,]+),line=(?P<line>\d+),.*?title=(?P<rule>DR\d+) ", x)
            for x in lines
        )
        if m is not None
    )
    assert named == Counter((f.rule_id, f.span.path, f.span.line) for f in before.findings)
    levels = Counter(line.split(" ", 1)[0] for line in lines)
    c = before.counts
    assert levels == {"::error": c["error"], "::warning": c["warning"], "::notice": c["info"]}
    assert github.render(fixed) == ""
    warning = github.render(result_of(finding(severity=Severity.INFO)))
    assert warning.startswith("::notice file=Dockerfile,line=3,col=1,title=")


# -- Markdown -------------------------------------------------------------------------


def test_markdown_escapes_table_cells() -> None:
    f = finding(
        message="a | b <i>x</i> *not bold* `code | pipe` [link](x)\nsecond line",
        related=(Related(Span("a|b.go", 2), "rel | ated"),),
    )
    md = markdown.render(result_of(f))
    row = next(line for line in md.splitlines() if line.startswith("| error | DR201 |"))
    assert row == (
        "| error | DR201 | Dockerfile:3 | a \\| b &lt;i&gt;x&lt;/i&gt; \\*not bold\\* "
        "`code \\| pipe` \\[link\\](x)<br>second line<br>↳ a\\|b.go:2 rel \\| ated |"
    )
    # every table row has exactly its columns' unescaped pipes
    assert row.replace("\\|", "").count("|") == 5


def test_markdown_summary(before: Result) -> None:
    md = markdown.render(before)
    lines = md.splitlines()
    assert lines[0] == "### dockready: 13 errors, 22 warnings, 10 info"
    assert "| orderservice | passed | failed | n/a |" in lines
    assert "| 4 · Running it | 12 | 12 | 1 |" in lines  # DR419 reads compose only
    assert "#### 4 · Running it" in lines
    rows = Counter(
        (cells[1], cells[2])
        for line in lines
        if line.startswith(("| error |", "| warning |", "| info |"))
        for cells in [[c.strip() for c in line.split(" | ", 3)]]
    )
    assert rows == Counter((f.rule_id, f"{f.span.path}:{f.span.line}") for f in before.findings)
    assert "No problems found." not in md


def test_markdown_clean(fixed: Result) -> None:
    md = markdown.render(fixed)
    assert md.splitlines()[0] == "### dockready: 0 errors, 0 warnings, 0 info"
    assert "No problems found." in md.splitlines()
    assert "#### " not in md


def test_markdown_caps_the_findings_table() -> None:
    many = tuple(finding(message=f"problem {i}", line=i + 1) for i in range(250))
    md = markdown.render(result_of(*many))
    rows = [line for line in md.splitlines() if line.startswith("| error |")]
    assert len(rows) == markdown.MAX_ROWS
    assert "… and 50 more (run `dockready check` for the full report)." in md
    assert md.startswith("### dockready: 250 errors, 0 warnings, 0 info\n")


def test_gitlab_categories_come_from_the_rule_tags(before: Result) -> None:
    issues = json.loads(gitlab.render(before))
    by_rule = {i["check_name"]: i["categories"] for i in issues}
    assert by_rule["DR207"] == ["Security"]  # tagged security
    assert by_rule["DR306"] == ["Performance"]  # tagged performance
    assert by_rule["DR404"] == ["Bug Risk"]
    for r in before.rules:
        assert not (r.security and Tag.PERFORMANCE in r.tags), r.id


def test_markdown_caps_the_service_tables() -> None:
    names = tuple(f"svc{i:02}" for i in range(25))
    md = markdown.render(result_of(services=names))
    assert sum(1 for line in md.splitlines() if line.endswith("| passed | failed | n/a |")) == 20
    assert "… and 5 more services." in md.splitlines()
