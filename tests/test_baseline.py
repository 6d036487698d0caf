"""Baselines: the file format, clear errors, multiset matching, and fingerprints that
survive line moves and unrelated edits of a real project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_check

from dockready.baseline import (
    VERSION,
    Baseline,
    BaselineError,
    Entry,
    dumps,
    load,
    new_only,
    write,
)
from dockready.fingerprint import fingerprint
from dockready.model import Finding, Severity, Span

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orderservice"


def finding(rule_id: str, path: str, line: int, message: str) -> Finding:
    return Finding(rule_id, "name", Severity.WARNING, message, Span(path, line, 1), 1)


A = finding("DR101", "cmd/api/main.go", 40, "http.Get uses http.DefaultClient (line 40)")
A_MOVED = finding("DR101", "cmd/api/main.go", 52, "http.Get uses http.DefaultClient (line 52)")
B = finding("DR304", "Dockerfile", 11, "no USER in the final stage")


# --------------------------------------------------------------------------- format


def test_file_is_sorted_one_finding_per_line_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write(path, [A, B, A_MOVED])
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["tool"] == "dockready"
    assert data["baseline_version"] == VERSION
    assert data["findings"] == [
        {
            "fingerprint": fingerprint(B),
            "id": "DR304",
            "path": "Dockerfile",
            "count": 1,
            "message": B.message,
        },
        {
            "fingerprint": fingerprint(A),
            "id": "DR101",
            "path": "cmd/api/main.go",
            "count": 2,
            "message": A.message,  # the first occurrence's
        },
    ]
    lines = text.splitlines()
    assert len(lines) == 4 + 2 + 2  # header, one line per entry, footer
    assert all(line.startswith('    {"fingerprint": ') for line in lines[4:6])
    assert load(path) == Baseline(
        (
            Entry(fingerprint(B), "DR304", "Dockerfile", B.message, 1),
            Entry(fingerprint(A), "DR101", "cmd/api/main.go", A.message, 2),
        )
    )
    assert load(path).total == 3
    assert dumps([A, B, A_MOVED]) == dumps([A_MOVED, B, A])  # order-independent


def test_empty_baseline(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write(path, [])
    assert json.loads(path.read_text()) == {
        "tool": "dockready",
        "baseline_version": 1,
        "findings": [],
    }
    assert new_only([A], load(path)) == ([A], 0)


def test_non_ascii_messages_stay_readable(tmp_path: Path) -> None:
    f = finding("DR201", "Dockerfile", 3, "fails with 'exec …: no such file'")
    path = tmp_path / "b.json"
    write(path, [f])
    assert "exec …" in path.read_text(encoding="utf-8")
    assert new_only([f], load(path)) == ([], 1)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON (line 1, column 2"),
        ("[]", "is not a dockready baseline"),
        ('{"tool": "other", "baseline_version": 1, "findings": []}', "not a dockready baseline"),
        ('{"tool": "dockready", "findings": []}', "has no integer baseline_version"),
        ('{"tool": "dockready", "baseline_version": true, "findings": []}', "no integer"),
        (
            '{"tool": "dockready", "baseline_version": 2, "findings": []}',
            "has baseline_version 2 (written by a newer dockready?); this dockready reads "
            "version 1: write the baseline again",
        ),
        ('{"tool": "dockready", "baseline_version": 1}', '"findings" must be a list'),
        ('{"tool": "dockready", "baseline_version": 1, "findings": [1]}', "#1 is not an object"),
        (
            '{"tool": "dockready", "baseline_version": 1, "findings": [{"id": "DR101"}]}',
            'finding #1 has no "fingerprint" string',
        ),
        (
            '{"tool": "dockready", "baseline_version": 1, '
            '"findings": [{"fingerprint": "ab", "count": 0}]}',
            'finding #1 has a bad "count" (0)',
        ),
    ],
)
def test_load_errors_are_clear(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as err:
        load(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_missing_unreadable_and_unwritable(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="does not exist"):
        load(tmp_path / "nope.json")
    with pytest.raises(BaselineError, match="is a directory"):
        load(tmp_path)
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BaselineError, match="not UTF-8"):
        load(tmp_path / "bin.json")
    with pytest.raises(BaselineError, match="cannot write baseline"):
        write(tmp_path / "no" / "such" / "dir.json", [A])
    assert list(tmp_path.iterdir()) == [tmp_path / "bin.json"]  # no temporary file left


def test_extra_keys_and_missing_count_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps(
            {
                "tool": "dockready",
                "baseline_version": 1,
                "generated": "2024-05-01",
                "findings": [{"fingerprint": fingerprint(B), "note": "accepted by ops"}],
            }
        )
    )
    assert new_only([B, A], load(path)) == ([A], 1)


# --------------------------------------------------------------------------- matching


def test_multiset_semantics_a_second_identical_occurrence_is_new(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write(path, [A, B])
    base = load(path)
    assert new_only([A, B], base) == ([], 2)
    assert new_only([A_MOVED, B], base) == ([], 2)  # a line move is the same finding
    # the same finding twice: one is accepted, the later one is new
    assert new_only([A, A_MOVED, B], base) == ([A_MOVED], 2)
    # and with a count of 2 both are accepted
    write(path, [A, A_MOVED])
    assert new_only([A, A_MOVED, A], load(path)) == ([A], 2)


def test_a_different_message_or_path_is_new() -> None:
    base = Baseline((Entry(fingerprint(A), "DR101", A.span.path, A.message),))
    other_call = finding("DR101", "cmd/api/main.go", 40, "http.Post uses http.DefaultClient")
    other_file = finding("DR101", "cmd/worker/main.go", 40, A.message)
    assert new_only([other_call, other_file], base) == ([other_call, other_file], 0)


# --------------------------------------------------------------------------- real project


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _prepend(path: Path, lines: str) -> None:
    path.write_text(lines + path.read_text())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "orderservice"
    shutil.copytree(EXAMPLE, root)
    return root


def _move_everything(root: Path) -> None:
    """Insert lines at the top of every file and edit unrelated lines."""
    main = root / "cmd" / "orderservice" / "main.go"
    _prepend(main, "// Command orderservice takes orders.\n//\n// It is old.\n\n")
    _edit(
        main, 'log.Printf("orderservice listening on :%s", port)', 'log.Printf("up on :%s", port)'
    )
    _edit(main, "// notifyCRM tells the legacy CRM", "// notifyCRM informs the legacy CRM")
    dockerfile = root / "Dockerfile"
    _prepend(dockerfile, "\n# The order service image.\n\n")
    _edit(dockerfile, "# planted: DR203 (go.mod says go 1.22)", "# builder stage")
    deployment = root / "k8s" / "deployment.yaml"
    _prepend(deployment, "# orderservice manifests\n\n# owned by team orders\n")
    _edit(deployment, "            periodSeconds: 10\n", "            periodSeconds: 10\n\n")


def test_fingerprints_survive_line_moves_and_unrelated_edits(project: Path, tmp_path: Path) -> None:
    before = run_check(project).findings
    assert len(before) > 20
    path = tmp_path / "baseline.json"
    write(path, before)
    _move_everything(project)
    after = run_check(project).findings
    # the edits really moved the findings
    assert {(f.rule_id, f.span.line) for f in after} != {(f.rule_id, f.span.line) for f in before}
    new, matched = new_only(after, load(path))
    assert new == []
    assert matched == len(before) == len(after)


def test_a_planted_problem_is_the_only_new_finding(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write(path, run_check(project).findings)
    _move_everything(project)
    main = project / "cmd" / "orderservice" / "main.go"
    _edit(
        main,
        "// importOrders spools",
        "func fetchStock() {\n"
        '\tresp, err := http.Get("https://stock.example.com/v1/levels")\n'
        "\tif err == nil {\n\t\tresp.Body.Close()\n\t}\n}\n\n"
        "// importOrders spools",
    )
    _edit(main, "\tgo pollRates()\n", "\tgo pollRates()\n\tgo fetchStock()\n")
    after = run_check(project).findings
    new, matched = new_only(after, load(path))
    assert [(f.rule_id, f.span.path) for f in new] == [("DR101", "cmd/orderservice/main.go")]
    assert new[0].message.startswith("http.Get ")
    assert matched == len(after) - 1
    # the new http.Get is the later one in the file: the baseline absorbed the first
    assert new[0].span.line > max(
        f.span.line for f in after if f.rule_id == "DR101" and f is not new[0]
    )


def test_a_planted_stage_is_new(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write(path, run_check(project).findings)
    _move_everything(project)
    _edit(
        project / "Dockerfile",
        "FROM alpine:latest\n",
        "FROM alpine:latest AS extra\nRUN echo hi\n\nFROM alpine:latest\n",
    )
    new, _ = new_only(run_check(project).findings, load(path))
    assert new, "a new :latest stage must be reported"
    assert {(f.rule_id, f.span.path) for f in new} == {("DR302", "Dockerfile")}
