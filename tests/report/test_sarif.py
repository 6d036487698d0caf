"""SARIF 2.1.0 output: schema-valid, stable (golden file), and what code scanning needs.

The golden file pins the output on the bundled example. So that editing a rule page,
adding a rule or releasing does not break it, it leaves out the version, the absolute
root, the text of the rule pages and the rules that raise nothing on the example
(``test_rule_descriptors`` and ``test_rule_index_points_at_the_rule`` check those
against the registry). Refresh it with
``DOCKREADY_UPDATE_GOLDEN=1 pytest tests/report/test_sarif.py`` and review the diff.
"""

from __future__ import annotations

import copy
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from conftest import run_check
from golden_file import assert_golden

from dockready import __version__
from dockready.fingerprint import fingerprint
from dockready.model import Finding, Related, Result, Severity, Span
from dockready.report.sarif import (
    FINGERPRINT_KEY,
    INFORMATION_URI,
    first_sentence,
    plain,
    render,
)
from dockready.rules.registry import section, static_rules

RULES = tuple(r.info for r in static_rules())

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLE = REPO / "examples" / "orderservice"
GOLDEN = HERE / "golden" / "orderservice.sarif"
SCHEMA_NAME = "sarif-schema-2.1.0.json"
SCHEMA_CANDIDATES = (
    HERE.parents[2] / "shared" / "schemas" / SCHEMA_NAME,  # CI: shared/ next to the clone
    Path("/work/shared/schemas") / SCHEMA_NAME,  # a developer's machine
)
SECRETS = ("s3cr3t-Passw0rd!", "hunter2")


def _schema_path() -> Path | None:
    return next((p for p in SCHEMA_CANDIDATES if p.is_file()), None)


@pytest.fixture(scope="module")
def example() -> Result:
    return run_check(EXAMPLE)


@pytest.fixture(scope="module")
def text(example: Result) -> str:
    return render(example)


@pytest.fixture(scope="module")
def doc(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _run(doc: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = doc["runs"][0]
    return run


def _finding(**changes: Any) -> Finding:
    base = Finding(
        rule_id="DR404",
        name="probe-not-served",
        severity=Severity.ERROR,
        message="readiness probe asks GET /healthz on port 8080; the code serves /health",
        span=Span("k8s/deployment.yaml", 37, 13),
        chapter=4,
        service="orderservice",
        related=(Related(Span("cmd/orderservice/main.go", 61, 2), "route /health"),),
    )
    return replace(base, **changes)


def _fields(f: Finding) -> dict[str, Any]:
    return {x.name: getattr(f, x.name) for x in fields(Finding)}


def _result(*findings: Finding, root: str = "/srv/project") -> Result:
    return Result(root=root, findings=findings, rules=RULES)


# --- schema and golden ------------------------------------------------------------


def test_valid_against_the_official_schema(doc: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = _schema_path()
    if path is None:
        pytest.skip(f"{SCHEMA_NAME} not found in {[str(p) for p in SCHEMA_CANDIDATES]}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    errors = sorted(validator_cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_synthetic_result_valid_too() -> None:
    """Relative root (no originalUriBaseIds), no findings, a suppressed finding."""
    jsonschema = pytest.importorskip("jsonschema")
    path = _schema_path()
    if path is None:
        pytest.skip(f"{SCHEMA_NAME} not found")
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for result in (
        _result(root="."),
        _result(replace(_finding(), suppressed="node agent needs it")),
    ):
        errors = list(validator.iter_errors(json.loads(render(result))))
        assert not errors, errors[0].message


def _normalized(doc: dict[str, Any]) -> str:
    """The output with what the golden file does not pin taken out: the version, the
    absolute root, the rule pages' text, and the rules that raised nothing here (the
    remaining ones are renumbered, and ``ruleIndex`` with them)."""
    doc = copy.deepcopy(doc)
    run = _run(doc)
    driver = run["tool"]["driver"]
    driver["version"] = "<version>"
    if "originalUriBaseIds" in run:
        run["originalUriBaseIds"]["SRCROOT"]["uri"] = "file:///<root>/"
    fired = {r["ruleId"] for r in run["results"]}
    driver["rules"] = [r for r in driver["rules"] if r["id"] in fired]
    for r in driver["rules"]:
        r["fullDescription"]["text"] = f"<What it does of {r['id']}>"
        r["help"] = {"text": f"<page of {r['id']}>", "markdown": f"<page of {r['id']}>"}
    index = {r["id"]: i for i, r in enumerate(driver["rules"])}
    for res in run["results"]:
        res["ruleIndex"] = index[res["ruleId"]]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_golden(doc: dict[str, Any]) -> None:
    assert_golden(GOLDEN, _normalized(doc), "normalized SARIF, see the module docstring")


def test_deterministic_across_runs(text: str) -> None:
    # A second, separate check of the example: the golden file leaves parts out and
    # re-serializes, so the whole text is compared here.
    assert render(run_check(EXAMPLE)) == text
    assert text.endswith("}\n")
    assert text.startswith('{\n  "$schema": ')


# --- top level and tool -------------------------------------------------------------


def test_header_and_run(doc: dict[str, Any], example: Result) -> None:
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = _run(doc)
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "dockready"
    assert driver["version"] == __version__
    assert driver["informationUri"] == INFORMATION_URI
    root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert root == EXAMPLE.as_uri() + "/"
    assert example.root == str(EXAMPLE)


def test_rule_descriptors(doc: dict[str, Any]) -> None:
    rules = static_rules()
    got = _run(doc)["tool"]["driver"]["rules"]
    assert [r["id"] for r in got] == sorted(r.id for r in rules)
    level = {"error": "error", "warning": "warning", "info": "note"}
    problem = {"error": "error", "warning": "warning", "info": "recommendation"}
    for rule, d in zip(rules, got, strict=True):
        assert d["id"] == rule.id and d["name"] == rule.name
        short = d["shortDescription"]["text"]
        assert short and "`" not in short and short[-1] in ".!?"
        assert short == plain(first_sentence(rule.summary))
        assert d["fullDescription"]["text"] == plain(section(rule.doc, "What it does"))
        assert d["help"] == {"text": rule.doc, "markdown": rule.doc}
        assert d["helpUri"] == f"{INFORMATION_URI}/blob/main/docs/rules/{rule.id}.md"
        assert d["defaultConfiguration"] == {"level": level[rule.severity.label]}
        props = d["properties"]
        assert props["problem.severity"] == problem[rule.severity.label]
        tags = props["tags"]
        assert tags[:2] == ["dockready", f"chapter-{rule.chapter}"]
        assert ("security" in tags) == rule.info.security
        if rule.info.security:
            want = {"error": "8.0", "warning": "5.0"}[rule.severity.label]
            assert props["security-severity"] == want
        else:
            assert "security-severity" not in props


def test_chapter_tags(doc: dict[str, Any]) -> None:
    by_id = {r["id"]: r for r in _run(doc)["tool"]["driver"]["rules"]}
    assert by_id["DR404"]["properties"]["tags"] == ["dockready", "chapter-4", "running-it"]
    assert by_id["DR207"]["properties"]["tags"] == [
        "dockready",
        "chapter-2",
        "getting-the-code-container-ready",
        "security",
    ]


def test_plain_text() -> None:
    md = (
        "Uses `a*b` and **bold** and *em* and [docs](https://x.y/z).\nWrapped\nline.\n"
        "\n- item\n  more\n- two"
    )
    assert plain(md) == (
        "Uses a*b and bold and em and docs (https://x.y/z). Wrapped line.\n\n- item more\n- two"
    )
    fenced = "Text\n```go\nx := 1\n```\nafter"
    assert plain(fenced) == "Text\n```go\nx := 1\n```\nafter"


# --- results ----------------------------------------------------------------------


def test_every_finding_is_a_result(doc: dict[str, Any], example: Result) -> None:
    results = _run(doc)["results"]
    assert len(results) == len(example.findings) > 0
    for f, r in zip(example.findings, results, strict=True):
        assert r["ruleId"] == f.rule_id
        assert r["message"]["text"] == f.message
        assert r["partialFingerprints"] == {FINGERPRINT_KEY: fingerprint(f)}
        assert r["properties"] == {"service": f.service, "chapter": f.chapter}
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f.span.path, "uriBaseId": "SRCROOT"}
        assert loc["region"] == {"startLine": f.span.line, "startColumn": f.span.col}


def test_rule_index_points_at_the_rule(doc: dict[str, Any]) -> None:
    run = _run(doc)
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_related_locations_of_dr404(doc: dict[str, Any]) -> None:
    (r,) = [r for r in _run(doc)["results"] if r["ruleId"] == "DR404"]
    related = r["relatedLocations"]
    assert [x["id"] for x in related] == list(range(1, len(related) + 1))
    ends = [
        (
            x["physicalLocation"]["artifactLocation"]["uri"],
            x["physicalLocation"]["region"]["startLine"],
            x["message"]["text"],
        )
        for x in related
    ]
    assert ("cmd/orderservice/main.go", 61, "route /health") in ends
    assert all(x["physicalLocation"]["artifactLocation"]["uriBaseId"] == "SRCROOT" for x in related)


def test_no_related_locations_key_when_none() -> None:
    out = json.loads(render(_result(_finding(related=()))))
    assert "relatedLocations" not in _run(out)["results"][0]


def test_levels_follow_the_finding() -> None:
    findings = [
        _finding(severity=Severity.INFO, rule_id="DR403", name="no-liveness-probe"),
        _finding(severity=Severity.WARNING, rule_id="DR305", name="shell-form-entrypoint"),
        # DR305 may be raised to error on a shell-less image: the result says so
        _finding(severity=Severity.ERROR, rule_id="DR305", name="shell-form-entrypoint"),
    ]
    results = _run(json.loads(render(_result(*findings))))["results"]
    assert [r["level"] for r in results] == ["note", "warning", "error"]


def test_info_finding_in_example_is_a_note(doc: dict[str, Any], example: Result) -> None:
    infos = [i for i, f in enumerate(example.findings) if f.severity is Severity.INFO]
    assert infos
    results = _run(doc)["results"]
    assert all(results[i]["level"] == "note" for i in infos)


def test_fingerprint_survives_a_line_move() -> None:
    a = _finding()
    b = _finding(span=replace(a.span, line=a.span.line + 12))
    ra, rb = (_run(json.loads(render(_result(f))))["results"][0] for f in (a, b))
    assert ra["partialFingerprints"] == rb["partialFingerprints"]
    assert ra["locations"] != rb["locations"]
    c = _finding(span=replace(a.span, path="k8s/other.yaml"))
    rc = _run(json.loads(render(_result(c))))["results"][0]
    assert rc["partialFingerprints"] != ra["partialFingerprints"]


def test_no_raw_secrets_in_results(doc: dict[str, Any]) -> None:
    """The example plants both secrets; the findings name them masked. (Rule pages
    quote them as examples, so ``tool.driver.rules`` is left out of this check.)"""
    run = copy.deepcopy(_run(doc))
    del run["tool"]["driver"]["rules"]
    dumped = json.dumps(run, ensure_ascii=False)
    assert any(r["ruleId"] in ("DR207", "DR308", "DR413") for r in run["results"])
    for secret in SECRETS:
        assert secret not in dumped


def test_paths_are_relative(doc: dict[str, Any]) -> None:
    run = _run(doc)
    uris = []
    for r in run["results"]:
        for loc in [*r["locations"], *r.get("relatedLocations", [])]:
            uris.append(loc["physicalLocation"]["artifactLocation"]["uri"])
    assert uris
    for uri in uris:
        assert not uri.startswith("/") and "://" not in uri and "\\" not in uri, uri


def test_paths_are_percent_encoded() -> None:
    out = json.loads(render(_result(_finding(span=Span("deploy/my app/#1/é.yaml", 3, 1)))))
    loc = _run(out)["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "deploy/my%20app/%231/%C3%A9.yaml"


def test_root_uri_only_when_absolute() -> None:
    assert "originalUriBaseIds" not in _run(json.loads(render(_result(root="."))))
    absolute = _run(json.loads(render(_result(root="/srv/my project"))))
    assert absolute["originalUriBaseIds"] == {"SRCROOT": {"uri": "file:///srv/my%20project/"}}


def test_service_omitted_when_none() -> None:
    out = json.loads(render(_result(_finding(service=None))))
    assert _run(out)["results"][0]["properties"] == {"chapter": 4}


def test_notices_become_tool_notifications() -> None:
    from dockready.model import Notice

    result = Result(
        root="/srv/p",
        findings=(),
        notices=(Notice("skipped: not UTF-8", Span("k8s/x.yaml")), Notice("no files")),
    )
    inv = _run(json.loads(render(result)))["invocations"][0]
    notes = inv["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["skipped: not UTF-8", "no files"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ("k8s/x.yaml")
    assert "locations" not in notes[1]


# --- suppressions ---------------------------------------------------------------


def test_suppressed_finding_has_a_suppression() -> None:
    f = _finding()
    findings = (
        f,
        replace(f, suppressed="node agent needs the socket"),
        replace(f, suppressed=""),
    )
    results = _run(json.loads(render(_result(*findings))))["results"]
    assert "suppressions" not in results[0]
    assert results[1]["suppressions"] == [
        {"kind": "inSource", "justification": "node agent needs the socket"}
    ]
    assert "suppressions" not in results[2]
    assert len({json.dumps(r["partialFingerprints"]) for r in results}) == 1
