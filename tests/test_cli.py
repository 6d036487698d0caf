"""The command line contract: commands, options, exit codes, and both output formats.

Most tests drive ``dockready.cli.cli`` in-process with click's ``CliRunner``; a few run
the real ``python -m dockready`` in a subprocess (and one on a pseudo-terminal) so the
entry point, stdout/stderr separation and TTY detection are covered too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dockready import __version__
from dockready.cli import cli
from dockready.model import Severity
from dockready.report.jsonfmt import SCHEMA_VERSION
from dockready.rules import registry
from dockready.rules.registry import CHAPTERS, all_rules

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
EXAMPLES = REPO / "examples"
BAD = EXAMPLES / "orderservice"
FIXED = EXAMPLES / "orderservice-fixed"
FIXTURES = Path(__file__).parent / "fixtures"

SECRETS = ("s3cr3t-Passw0rd!", "hunter2")
FINDING_KEYS = {
    "id",
    "name",
    "severity",
    "chapter",
    "message",
    "path",
    "line",
    "column",
    "service",
    "related",
    "suppressed",
}
ANSI = "\x1b["
# rich reads these: unset them so "not a TTY" really means plain output here.
CLEAN_ENV: dict[str, str | None] = {
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "COLUMNS": None,
    "LINES": None,
}
FINDING_LINE = re.compile(
    r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+) (?P<sev>error|warning|info)\s+"
    r"(?P<id>DR\d{3}) (?P<message>.+)$"
)
SUMMARY_LINE = re.compile(
    r"^(?P<total>\d+) findings?: (?P<error>\d+) error\(s\), (?P<warning>\d+) warning\(s\), "
    r"(?P<info>\d+) info in (?P<files>\d+) files, (?P<services>\d+) service\(s\)\.$"
)
HEADING = re.compile(r"^(?P<chapter>\d) · (?P<title>.+)$")


# --------------------------------------------------------------------------- helpers


def invoke(args: Sequence[str], env: Mapping[str, str | None] | None = None) -> Result:
    """Run the CLI in-process; any exception other than ``sys.exit`` fails the test."""
    result = CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"dockready {' '.join(args)} raised") from result.exception
    return result


def check_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = invoke(["check", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def run_module(
    args: Sequence[str], *, cwd: Path = REPO, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m dockready ARGS`` in a real process."""
    full_env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dockready", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def run_on_tty(args: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    """``python -m dockready ARGS`` with stdout/stderr on a pseudo-terminal."""
    pty = pytest.importorskip("pty")
    full_env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full_env.update(PYTHONPATH=str(SRC), TERM="xterm-256color", **env)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockready", *args],
        cwd=REPO,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def findings_of(doc: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["id"] == rule_id]


def all_paths(doc: dict[str, Any]) -> Iterator[str]:
    """Every path the JSON document mentions."""
    for f in doc["findings"]:
        yield f["path"]
        for r in f["related"]:
            yield r["path"]
    for n in doc.get("notices", []):
        if n.get("path"):
            yield n["path"]
    for s in doc["services"]:
        yield from s["main_packages"]
        yield from s["dockerfiles"]
        yield from (w.split("#", 1)[0] for w in s["workloads"])


def summary_of(out: str) -> re.Match[str]:
    matches = [m for m in map(SUMMARY_LINE.match, out.splitlines()) if m]
    assert len(matches) == 1, f"expected one summary line in:\n{out}"
    return matches[0]


@pytest.fixture(scope="module")
def bad_json() -> dict[str, Any]:
    code, doc = check_json(str(BAD))
    assert code == 1
    return doc


@pytest.fixture(scope="module")
def bad_text() -> str:
    result = invoke(["check", str(BAD)])
    assert result.exit_code == 1, result.stderr
    return result.stdout


# --------------------------------------------------------------------------- top level


def test_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dockready, version {__version__}"


def test_help_lists_commands() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    for cmd in ("check", "rules", "explain"):
        assert re.search(rf"^\s+{cmd}\b", result.stdout, re.M), result.stdout


def test_unknown_command_is_usage_error() -> None:
    result = invoke(["frobnicate"])
    assert result.exit_code == 2
    assert "frobnicate" in result.stderr


# --------------------------------------------------------------------------- rules, explain


def test_rules_lists_every_rule_on_one_line() -> None:
    result = invoke(["rules"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.match(r"^id\s+name\s+severity\s+chapter", lines[0]), lines[0]
    assert len(all_rules()) > 1
    for r in all_rules():
        row = [ln for ln in lines if ln.split()[0] == r.id]
        assert len(row) == 1, f"{r.id} is not listed exactly once"
        # id, name, severity and chapter number side by side, never folded apart
        assert re.match(
            rf"^{r.id}\s+{re.escape(r.name)}\s+{r.severity.label}\s+{r.chapter} ", row[0]
        ), row[0]


def test_rules_json() -> None:
    result = invoke(["rules", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    by_id = {d["id"]: d for d in data}
    assert len(by_id) == len(data), "a rule is listed twice"
    assert set(by_id) == {r.id for r in all_rules()} and len(by_id) > 1
    for r in all_rules():
        d = by_id[r.id]
        assert d["name"] == r.name
        assert d["severity"] == r.severity.label
        assert d["chapter"] == r.chapter
        assert d["summary"]


def test_rules_bad_format_is_usage_error() -> None:
    result = invoke(["rules", "--format", "yaml"])
    assert result.exit_code == 2
    assert "--format" in result.stderr


@pytest.mark.parametrize("key", ["DR201", "dr201", "dynamic-binary-on-static-base"])
def test_explain_renders_rule_page(key: str) -> None:
    result = invoke(["explain", key])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "DR201" in out
    assert "dynamic-binary-on-static-base" in out
    assert "What it does" in out
    assert "Why is this bad?" in out
    assert out.index("What it does") < out.index("Why is this bad?")
    assert "##" not in out, "markdown should be rendered, not printed raw"
    assert ANSI not in out


def test_explain_unknown_rule_exits_2() -> None:
    result = invoke(["explain", "DR999"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "DR999" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_explain_needs_an_argument() -> None:
    result = invoke(["explain"])
    assert result.exit_code == 2


# --------------------------------------------------------------------------- exit codes


def test_exit_1_on_errors_by_default() -> None:
    result = invoke(["check", str(BAD)])
    assert result.exit_code == 1
    assert result.stderr == ""


def test_exit_0_on_clean_example() -> None:
    result = invoke(["check", str(FIXED)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout
    code, doc = check_json(str(FIXED))
    assert code == 0
    assert doc["findings"] == []
    assert doc["summary"]["error"] == doc["summary"]["warning"] == doc["summary"]["info"] == 0


def _severities(path: Path) -> Counter[str]:
    _, doc = check_json(str(path))
    return Counter(f["severity"] for f in doc["findings"])


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [(None, 0), ("error", 0), ("warning", 1), ("info", 1), ("never", 0)],
)
def test_fail_on_with_only_warnings(fail_on: str | None, expected: int) -> None:
    repo = FIXTURES / "DR101" / "bad"
    sev = _severities(repo)
    assert sev["warning"] and not sev["error"], f"precondition: only warnings, got {sev}"
    args = ["check", str(repo)] + (["--fail-on", fail_on] if fail_on else [])
    assert invoke(args).exit_code == expected


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("error", 0), ("warning", 0), ("info", 1), ("never", 0)]
)
def test_fail_on_with_only_info(fail_on: str, expected: int) -> None:
    repo = FIXTURES / "DR403" / "bad"
    sev = _severities(repo)
    assert sev["info"] and not sev["error"] and not sev["warning"], f"precondition: {sev}"
    assert invoke(["check", "--fail-on", fail_on, str(repo)]).exit_code == expected


def test_fail_on_never_with_errors() -> None:
    result = invoke(["check", "--fail-on", "never", str(BAD)])
    assert result.exit_code == 0
    assert "DR404" in result.stdout


def test_nonexistent_path_is_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    result = invoke(["check", str(missing)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no-such-dir" in lines[0]
    assert "Traceback" not in result.stderr


def test_one_missing_path_among_several_is_usage_error(tmp_path: Path) -> None:
    result = invoke(["check", str(FIXED), str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "missing" in result.stderr


@pytest.mark.parametrize(
    ("option", "value"), [("--format", "xml"), ("--fail-on", "critical"), ("--jobs", "0")]
)
def test_bad_option_value_is_usage_error(option: str, value: str) -> None:
    result = invoke(["check", option, value, str(FIXED)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert option in result.stderr
    assert value in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_option_is_usage_error() -> None:
    result = invoke(["check", "--no-such-option", str(FIXED)])
    assert result.exit_code == 2
    assert "--no-such-option" in result.stderr


def _crashing(rule_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ix: object) -> Iterator[registry.Hit]:
        raise RuntimeError("boom in a rule")

    monkeypatch.setitem(
        registry.RULES, rule_id, dataclasses.replace(registry.RULES[rule_id], check=boom)
    )


def test_crashing_rule_exits_3_and_keeps_other_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    all_rules()  # make sure every rule is registered before patching one
    _crashing("DR302", monkeypatch)
    result = invoke(["check", str(BAD)])
    assert result.exit_code == 3
    assert "Traceback" not in result.stdout + result.stderr
    err = result.stderr
    assert "internal error" in err
    assert "DR302" in err
    assert "boom in a rule" in err
    assert "report" in err  # tells the user how to report it
    # every other rule still ran and was printed
    assert "DR302" not in result.stdout
    for rule_id in ("DR404", "DR217", "DR201"):
        assert rule_id in result.stdout
    assert summary_of(result.stdout)


def test_crashing_rule_json_is_still_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    all_rules()
    _crashing("DR404", monkeypatch)
    result = invoke(["check", "--format", "json", str(BAD)])
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    ids = {f["id"] for f in doc["findings"]}
    assert "DR404" not in ids
    assert {"DR217", "DR302"} <= ids
    assert "DR404" in result.stderr and "report" in result.stderr


def test_crash_outside_rules_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    import dockready.commands.check as check_module

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("engine bug")

    monkeypatch.setattr(check_module, "check", broken)
    result = invoke(["check", str(FIXED)])
    assert result.exit_code == 3
    assert "Traceback" not in result.stderr
    assert "internal error" in result.stderr
    assert "report" in result.stderr


# --------------------------------------------------------------------------- JSON


def test_json_envelope(bad_json: dict[str, Any]) -> None:
    doc = bad_json
    assert doc["tool"] == {"name": "dockready", "version": __version__}
    assert doc["schema_version"] == SCHEMA_VERSION
    assert re.fullmatch(r"\d+\.\d+", doc["schema_version"])
    assert isinstance(doc["findings"], list) and doc["findings"]
    (svc,) = doc["services"]
    assert svc["name"] == "orderservice"
    assert svc["main_packages"] == ["cmd/orderservice"]
    assert svc["dockerfiles"] == ["Dockerfile"]
    assert svc["workloads"] == ["k8s/deployment.yaml#Deployment/orderservice"]


def test_json_findings_shape(bad_json: dict[str, Any]) -> None:
    rules = {r.id: r for r in all_rules()}
    for f in bad_json["findings"]:
        assert set(f) == FINDING_KEYS, f
        r = rules[f["id"]]
        assert f["name"] == r.name
        assert f["chapter"] == r.chapter
        assert f["severity"] in {s.label for s in Severity}
        assert isinstance(f["message"], str) and f["message"]
        assert isinstance(f["line"], int) and f["line"] >= 1
        assert isinstance(f["column"], int) and f["column"] >= 1
        assert f["service"] in (None, "orderservice")
        assert isinstance(f["related"], list)
        for rel in f["related"]:
            assert {"path", "line", "message"} <= set(rel)
            assert isinstance(rel["line"], int) and rel["line"] >= 1
            assert rel["message"]


def test_json_paths_are_relative_to_the_root(bad_json: dict[str, Any]) -> None:
    paths = list(all_paths(bad_json))
    assert paths
    for p in paths:
        assert not p.startswith("/") and not re.match(r"^[A-Za-z]:", p), p
        assert ".." not in p.split("/"), p
        assert "\\" not in p, p
        assert (BAD / p).exists(), f"{p} is not relative to {BAD}"
    assert str(REPO) not in json.dumps(bad_json)


def test_json_summary_matches_findings(bad_json: dict[str, Any]) -> None:
    counts = Counter(f["severity"] for f in bad_json["findings"])
    summary = bad_json["summary"]
    for sev in Severity:
        assert summary[sev.label] == counts[sev.label], sev.label
    assert summary["error"] > 0 and summary["warning"] > 0
    # every file a finding points at was one of the files checked
    assert summary["files"] >= len({f["path"] for f in bad_json["findings"]})


def test_json_planted_findings(bad_json: dict[str, Any]) -> None:
    (dr404,) = findings_of(bad_json, "DR404")
    assert dr404["path"] == "k8s/deployment.yaml"
    assert dr404["severity"] == "error"
    assert dr404["service"] == "orderservice"
    assert "/healthz" in dr404["message"]
    assert any(
        r["path"] == "cmd/orderservice/main.go" and r["line"] == 61 and "/health" in r["message"]
        for r in dr404["related"]
    ), dr404["related"]

    (dr217,) = findings_of(bad_json, "DR217")
    assert (dr217["path"], dr217["line"]) == ("Dockerfile", 16)
    assert "8000" in dr217["message"] and "8080" in dr217["message"]
    assert any(r["path"] == "cmd/orderservice/main.go" for r in dr217["related"])

    assert ("Dockerfile", 11) in {(f["path"], f["line"]) for f in findings_of(bad_json, "DR302")}


def test_json_findings_are_sorted(bad_json: dict[str, Any]) -> None:
    keys = [(f["chapter"], f["path"], f["line"], f["column"]) for f in bad_json["findings"]]
    assert keys == sorted(keys)


def test_default_path_is_cwd(monkeypatch: pytest.MonkeyPatch, bad_json: dict[str, Any]) -> None:
    monkeypatch.chdir(BAD)
    result = invoke(["check", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"] == bad_json["findings"]


def test_relative_and_absolute_paths_agree(
    monkeypatch: pytest.MonkeyPatch, bad_json: dict[str, Any]
) -> None:
    monkeypatch.chdir(EXAMPLES)
    code, doc = check_json("orderservice")
    assert code == 1
    assert doc["findings"] == bad_json["findings"]


def test_file_argument_paths_relative_to_its_directory() -> None:
    code, doc = check_json(str(BAD / "Dockerfile"))
    assert code == 1
    assert {f["path"] for f in doc["findings"]} == {"Dockerfile"}
    assert "DR302" in {f["id"] for f in doc["findings"]}


# --------------------------------------------------------------------------- text


def test_text_grouped_by_chapter(bad_text: str) -> None:
    assert ANSI not in bad_text
    lines = bad_text.splitlines()
    headings = [m for m in map(HEADING.match, lines) if m]
    chapters = [int(m["chapter"]) for m in headings]
    assert chapters == sorted(set(chapters)), "each chapter once, in order"
    assert {1, 2, 3, 4} <= set(chapters)
    for m in headings:
        assert m["title"] == CHAPTERS[int(m["chapter"])]
    assert "2 · Getting the code container-ready" in lines

    rules = {r.id: r for r in all_rules()}
    current = None
    seen = 0
    for ln in lines:
        if h := HEADING.match(ln):
            current = int(h["chapter"])
        elif f := FINDING_LINE.match(ln):
            seen += 1
            assert current == rules[f["id"]].chapter, f"{ln!r} under chapter {current}"
            assert f["sev"] in ("error", "warning", "info")
    assert seen > 0


def test_text_finding_and_related_lines(bad_text: str) -> None:
    lines = bad_text.splitlines()
    dr217 = [ln for ln in lines if " DR217 " in ln]
    assert len(dr217) == 1
    m = FINDING_LINE.match(dr217[0])
    assert m, dr217[0]
    assert (m["path"], m["line"], m["col"], m["sev"]) == ("Dockerfile", "16", "1", "error")
    assert "EXPOSE 8000" in m["message"]
    assert dr217[0].endswith("[listen-port-mismatch, orderservice]")

    i = lines.index(dr217[0])
    related = lines[i + 1]
    assert re.match(r"^\s+↳ cmd/orderservice/main\.go:\d+ ", related), related

    dr404 = next(i for i, ln in enumerate(lines) if " DR404 " in ln)
    assert lines[dr404].startswith("k8s/deployment.yaml:")
    assert re.match(r"^\s+↳ cmd/orderservice/main\.go:61 route /health$", lines[dr404 + 1])


def test_text_summary_line(bad_text: str, bad_json: dict[str, Any]) -> None:
    m = summary_of(bad_text)
    s = bad_json["summary"]
    assert int(m["total"]) == len(bad_json["findings"])
    assert (int(m["error"]), int(m["warning"]), int(m["info"])) == (
        s["error"],
        s["warning"],
        s["info"],
    )
    assert int(m["files"]) == s["files"]
    assert int(m["services"]) == 1
    assert bad_text.rstrip("\n").splitlines()[-1] == m.group(0), "summary comes last"
    finding_lines = [ln for ln in bad_text.splitlines() if FINDING_LINE.match(ln)]
    assert len(finding_lines) == len(bad_json["findings"])


def test_text_is_plain_when_no_color_set() -> None:
    result = invoke(["check", str(BAD)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert ANSI not in result.stdout
    assert "DR404" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_text_on_a_terminal_is_styled_unless_no_color() -> None:
    code, styled = run_on_tty(["check", "examples/orderservice"], {})
    assert code == 1
    assert ANSI in styled, "on a terminal the output is coloured"
    assert "DR404" in styled

    code, plain = run_on_tty(["check", "examples/orderservice"], {"NO_COLOR": "1"})
    assert code == 1
    assert "DR404" in plain
    assert ANSI not in plain, "NO_COLOR must give plain text, with no styling either"


def _repo_with_notice(root: Path) -> Path:
    (root / "main.go").write_bytes(b"\x00\x01binary\x00" * 16)
    (root / "Dockerfile").write_text('FROM alpine:latest\nUSER 65532\nCMD ["/app"]\n')
    return root


def test_quiet_hides_notices_and_headings(tmp_path: Path) -> None:
    repo = _repo_with_notice(tmp_path)
    loud = invoke(["check", "--fail-on", "warning", str(repo)])
    quiet = invoke(["check", "--fail-on", "warning", "--quiet", str(repo)])
    assert loud.exit_code == quiet.exit_code == 1
    assert "notice: main.go" in loud.stdout and "binary" in loud.stdout
    assert "3 · Building the image" in loud.stdout

    out = quiet.stdout
    assert "notice" not in out
    assert not any(HEADING.match(ln) for ln in out.splitlines())
    assert "" not in out.splitlines(), "no blank separator lines either"
    assert re.search(r"^Dockerfile:1:1 warning\s+DR302 ", out, re.M), out
    assert summary_of(out)


def test_quiet_keeps_findings_and_summary_of_example() -> None:
    result = invoke(["check", "-q", str(BAD)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert not any(HEADING.match(ln) for ln in lines)
    assert not any("↳" in ln for ln in lines)
    assert sum(1 for ln in lines if FINDING_LINE.match(ln)) == len(lines) - 1
    assert summary_of(result.stdout)


def test_text_on_clean_tree(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    result = invoke(["check", str(tmp_path)])
    assert result.exit_code == 0
    assert "No problems found in 1 files." in result.stdout


def test_exclude_and_extend_exclude(tmp_path: Path) -> None:
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "Dockerfile").write_text("FROM alpine:latest\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM alpine:latest\n")

    def paths(*args: str) -> set[str]:
        result = invoke(["check", "--format", "json", str(tmp_path), *args])
        return {f["path"] for f in json.loads(result.stdout)["findings"]}

    assert paths() == {"gen/Dockerfile", "app/Dockerfile"}
    assert paths("--extend-exclude", "gen") == {"app/Dockerfile"}
    (tmp_path / ".dockready.toml").write_text('extend-exclude = ["app/"]\n')
    assert paths() == {"gen/Dockerfile"}
    # --exclude replaces the file's and the defaults: here nothing is left to check
    result = invoke(["check", str(tmp_path), "--exclude", "gen,app"])
    assert result.exit_code == 2 and "nothing to check" in result.stderr
    (tmp_path / ".dockready.toml").write_text('exclude = ["[oops"]\n')
    result = invoke(["check", str(tmp_path)])
    assert result.exit_code == 2 and "exclude" in result.stderr


# --------------------------------------------------------------------------- several paths


def test_multiple_paths_relative_to_common_root(bad_json: dict[str, Any]) -> None:
    result = invoke(["check", "--format", "json", str(BAD), str(FIXED)])
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    paths = list(all_paths(doc))
    assert paths
    for p in paths:
        assert not p.startswith("/"), p
        assert (EXAMPLES / p).exists(), f"{p} is not relative to {EXAMPLES}"
        assert p.startswith(("orderservice/", "orderservice-fixed/")), p
    finding_paths = {f["path"] for f in doc["findings"]}
    assert "orderservice/Dockerfile" in finding_paths
    assert not any(p.startswith("orderservice-fixed/") for p in finding_paths)
    ids = {(f["id"], f["path"], f["line"]) for f in doc["findings"]}
    assert ("DR217", "orderservice/Dockerfile", 16) in ids
    assert ("DR302", "orderservice/Dockerfile", 11) in ids
    _, fixed = check_json(str(FIXED))
    assert doc["summary"]["files"] == bad_json["summary"]["files"] + fixed["summary"]["files"]

    text = invoke(["check", str(BAD), str(FIXED)])
    assert text.exit_code == 1
    assert re.search(r"^orderservice/Dockerfile:16:1 error\s+DR217 ", text.stdout, re.M)


def test_multiple_paths_find_what_each_path_finds_alone(bad_json: dict[str, Any]) -> None:
    _, both = check_json(str(BAD), str(FIXED))
    alone = {(f["id"], "orderservice/" + f["path"], f["line"]) for f in bad_json["findings"]}
    together = {(f["id"], f["path"], f["line"]) for f in both["findings"]}
    assert together == alone


# --------------------------------------------------------------------------- secrets


def test_example_really_holds_the_secrets() -> None:
    """Precondition of the masking tests: the raw secrets are in the example."""
    text = "".join(
        p.read_text()
        for p in BAD.rglob("*")
        if p.is_file() and ".dockready_cache" not in p.parts  # `make demo` leaves one
    )
    for secret in SECRETS:
        assert secret in text


@pytest.mark.parametrize(
    "args",
    [
        ["check", str(BAD)],
        ["check", "--quiet", str(BAD)],
        ["check", "--format", "json", str(BAD)],
        ["check", str(BAD), str(FIXED)],
        ["check", "--format", "json", str(EXAMPLES)],
    ],
    ids=["text", "quiet", "json", "two-paths", "parent"],
)
def test_secrets_are_masked(args: list[str]) -> None:
    result = invoke(args)
    assert result.exit_code == 1
    everything = result.stdout + result.stderr
    for secret in SECRETS:
        assert secret not in everything
    # the findings about those secrets are still there, masked
    for rule_id in ("DR207", "DR308", "DR413"):
        assert rule_id in everything
    assert "s3c…" in everything
    assert "h…(7 chars)" in everything


# --------------------------------------------------------------------------- real process


def test_module_entry_point_json() -> None:
    proc = run_module(["check", "--format", "json", "examples/orderservice"])
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["tool"]["name"] == "dockready"
    assert findings_of(doc, "DR404")
    for p in all_paths(doc):
        assert not os.path.isabs(p), p
    for secret in SECRETS:
        assert secret not in proc.stdout


def test_module_entry_point_text_and_exit_codes(tmp_path: Path) -> None:
    proc = run_module(["check", "examples/orderservice"])
    assert proc.returncode == 1
    assert ANSI not in proc.stdout, "a pipe is not a terminal: plain text"
    assert "2 · Getting the code container-ready" in proc.stdout
    assert re.search(r"^Dockerfile:16:1 error\s+DR217 ", proc.stdout, re.M)
    assert summary_of(proc.stdout)
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr

    assert run_module(["check", "examples/orderservice-fixed"]).returncode == 0

    missing = run_module(["check", str(tmp_path / "nope")])
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "nope" in missing.stderr

    bad_opt = run_module(["check", "--format", "xml", "."])
    assert bad_opt.returncode == 2
    assert "--format" in bad_opt.stderr
    assert "Traceback" not in bad_opt.stderr


def test_module_version_and_explain() -> None:
    proc = run_module(["--version"])
    assert proc.returncode == 0
    assert __version__ in proc.stdout
    proc = run_module(["explain", "DR201"])
    assert proc.returncode == 0
    assert "What it does" in proc.stdout and "Why is this bad?" in proc.stdout
    assert run_module(["explain", "DR999"]).returncode == 2


def test_timings_say_what_was_parsed_skimmed_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    tree = tmp_path / "svc"
    tree.mkdir()
    (tree / "go.mod").write_text("module example.com/svc\n\ngo 1.22\n")
    (tree / "main.go").write_text(
        'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n'
    )
    (tree / "store").mkdir()
    (tree / "store" / "store.go").write_text("package store\n\ntype S struct{ N int }\n")
    args = ["check", str(tree), "--format", "json", "--timings", "--cache-dir", str(tmp_path / "c")]
    cold = invoke(args, env={"DOCKREADY_NO_CACHE": None})
    assert "Go files: 1 read in full, 1 skimmed" in cold.stderr
    assert "cache: 0 of 3 files taken from it" in cold.stderr
    warm = invoke(args, env={"DOCKREADY_NO_CACHE": None})
    assert "cache: 3 of 3 files taken from it" in warm.stderr
    assert warm.stdout == cold.stdout
