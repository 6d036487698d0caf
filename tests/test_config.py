"""Configuration: ``.dockready.toml`` discovery, rule selection, per-path ignores,
severity overrides, the flags that override the file, and every configuration error
(exit 2, naming the key's dotted path)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dockready.cli import cli
from dockready.config import CONFIG_NAME, Config, compile_glob, find_config, load_config
from dockready.engine import check
from dockready.rules.registry import RULES, all_rules

all_rules()

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "orderservice"
FIXTURES = Path(__file__).parent / "fixtures"
# DR304/bad: DR214 (error) in main.go, DR304 (warning) and DR303 (info) in Dockerfile
ROOT_USER = FIXTURES / "DR304" / "bad"


# --------------------------------------------------------------------------- helpers


def invoke(args: Sequence[str]) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": None, "COLUMNS": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"dockready {' '.join(args)} raised") from result.exception
    return result


def findings(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = invoke(["check", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)["findings"]


def ids(*args: str) -> set[str]:
    return {f["id"] for f in findings(*args)[1]}


def make_repo(
    root: Path, config: str | None = None, services: Mapping[str, Path] | None = None
) -> Path:
    """A repository (``.git``) holding copies of fixtures (default: ``ROOT_USER`` at
    ``svc/``) and, when given, a ``.dockready.toml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir()
    for at, src in (services or {"svc": ROOT_USER}).items():
        shutil.copytree(src, root / at)
    if config is not None:
        (root / CONFIG_NAME).write_text(config, encoding="utf-8")
    return root


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "dockready.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def usage_error(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("checked", ["svc", "svc/Dockerfile"])
def test_config_is_found_from_a_subdirectory(tmp_path: Path, checked: str) -> None:
    repo = make_repo(tmp_path / "repo", 'ignore = ["DR304"]\n')
    assert find_config(repo / checked) == (repo / CONFIG_NAME).resolve()
    assert "DR304" in ids("--no-config", str(repo / checked))
    assert "DR304" not in ids(str(repo / checked))


def test_discovery_stops_at_the_repository_root(tmp_path: Path) -> None:
    # Above the repository's .git: not this repository's configuration (and broken,
    # so reading it would be exit 2).
    (tmp_path / CONFIG_NAME).write_text("not = [valid\n")
    repo = make_repo(tmp_path / "repo")
    assert find_config(repo / "svc") is None
    assert "DR304" in ids(str(repo / "svc"))


def test_explicit_config_replaces_discovery(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", "broken = [\n")
    conf = config_file(tmp_path, 'ignore = ["DR304"]\n')
    found = ids("--config", str(conf), str(repo / "svc"))
    assert "DR304" not in found
    assert "DR214" in found


def test_missing_explicit_config_is_exit_2(tmp_path: Path) -> None:
    line = usage_error(invoke(["check", "--config", str(tmp_path / "nope.toml"), str(EXAMPLE)]))
    assert "nope.toml: no such file" in line


def test_no_config_ignores_the_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", "broken = [\n")
    assert usage_error(invoke(["check", str(repo)])).endswith(
        "invalid TOML: Invalid value (at end of document)"
    )
    assert "DR304" in ids("--no-config", str(repo))


def test_config_and_no_config_together_is_exit_2(tmp_path: Path) -> None:
    conf = config_file(tmp_path, "")
    line = usage_error(invoke(["check", "--config", str(conf), "--no-config", str(EXAMPLE)]))
    assert "--config and --no-config" in line


# --------------------------------------------------------------------------- selection


def chapter4(found: set[str]) -> set[str]:
    return {i for i in found if i.startswith("DR4")}


def test_most_specific_entry_wins(tmp_path: Path) -> None:
    everything = ids("--no-config", str(EXAMPLE))
    assert {"DR404", "DR401", "DR203"} <= everything, "precondition"

    def run(toml: str) -> set[str]:
        return ids("--config", str(config_file(tmp_path, toml)), str(EXAMPLE))

    # An exact select beats a chapter ignore; nothing else is selected.
    assert run('select = ["DR404"]\nignore = ["DR4"]\n') == {"DR404"}
    # "DR" selects all, "DR4" (longer) ignores chapter 4, "DR404" (longer still) wins.
    found = run('select = ["DR", "DR404"]\nignore = ["DR4"]\n')
    assert chapter4(found) == {"DR404"}
    assert found - chapter4(found) == everything - chapter4(everything)
    # A longer prefix ignore carves out of a shorter select.
    found = run('select = ["DR4"]\nignore = ["DR40"]\n')
    assert found == {i for i in chapter4(everything) if not i.startswith("DR40")}
    assert found, "precondition: chapter 4 has rules outside DR40x"
    # Equal specificity: ignore wins.
    assert run('select = ["DR4"]\nignore = ["DR4"]\n') == set()
    assert run('select = ["DR404"]\nignore = ["DR404"]\n') == set()


def test_parse_errors_are_ignored_only_by_exact_id(tmp_path: Path) -> None:
    bad = str(FIXTURES / "DR000" / "bad")

    def run(toml: str) -> set[str]:
        return ids("--config", str(config_file(tmp_path, toml)), bad)

    assert "DR000" in run('ignore = ["DR"]\n')
    assert "DR000" in run('ignore = ["DR0"]\n')
    assert "DR000" in run('select = ["DR4"]\n')
    assert "DR000" in run('[[per-path-ignores]]\npaths = ["**"]\nignore = ["DR"]\n')
    assert "DR000" not in run('ignore = ["DR000"]\n')
    assert "DR000" not in run('[[per-path-ignores]]\npaths = ["**"]\nignore = ["DR000"]\n')


def test_deselected_rules_do_not_run() -> None:
    outcome = check([str(EXAMPLE)], jobs=1, config=Config(select=("DR404",)))
    assert [r.id for r in outcome.result.rules] == ["DR000", "DR404"]
    assert {f.rule_id for f in outcome.result.findings} == {"DR404"}


def test_library_check_without_config_runs_everything() -> None:
    default = check([str(EXAMPLE)], jobs=1).result
    assert default.findings == check([str(EXAMPLE)], jobs=1, config=Config()).result.findings
    assert {f.rule_id for f in default.findings} == ids("--no-config", str(EXAMPLE))


# --------------------------------------------------------------------------- per-path


PER_PATH = """\
[[per-path-ignores]]
paths = ["legacy/**"]
ignore = ["DR"]

[[per-path-ignores]]
paths = ["**/e2e/**"]
ignore = ["DR3"]
"""


def test_per_path_ignores_with_globstar(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        PER_PATH,
        {
            "svc": ROOT_USER,
            "legacy/old/svc": ROOT_USER,
            "e2e/svc": ROOT_USER,
            "svc2/deep/e2e/x": ROOT_USER,
        },
    )
    got: dict[str, set[str]] = {}
    for f in findings(str(repo))[1]:
        top = f["path"].rsplit("/", 1)[0] if "/" in f["path"] else ""
        got.setdefault(top, set()).add(f["id"])
    # DR106/DR107: the test services serve HTTP and log through std log only.
    assert got == {
        "svc": {"DR106", "DR107", "DR214", "DR303", "DR304"},
        "e2e/svc": {"DR106", "DR107", "DR214"},  # `**/` matches no directory too
        "svc2/deep/e2e/x": {"DR106", "DR107", "DR214"},
    }


def test_per_path_globs_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = '[[per-path-ignores]]\npaths = ["svc/Dockerfile"]\nignore = ["DR304"]\n'
    repo = make_repo(tmp_path / "repo", config)
    # Checked from the subdirectory, the finding's path is "Dockerfile"; the glob is
    # still matched against "svc/Dockerfile".
    assert {"DR214", "DR303"} <= ids(str(repo / "svc"))
    assert "DR304" not in ids(str(repo / "svc"))
    assert "DR304" in ids("--no-config", str(repo / "svc"))


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("legacy/**", "legacy/a/b.go", True),
        ("legacy/**", "src/legacy/a.go", False),
        ("legacy/", "legacy/a.go", True),
        ("**/testdata/**", "testdata/a.go", True),
        ("**/testdata/**", "a/b/testdata/c/d.go", True),
        ("**/testdata/**", "a/testdata.go", False),
        ("a/**/b.go", "a/b.go", True),
        ("a/**/b.go", "a/x/y/b.go", True),
        ("a/**/b.go", "c/a/x/b.go", False),
        ("**", "anything/at/all.go", True),
        ("*.go", "a/b/main.go", True),  # no slash: any depth
        ("cmd/*.go", "cmd/a/b.go", False),  # `*` stays in a segment
        ("cmd/*/main.go", "cmd/api/main.go", True),
        ("k8s", "deploy/k8s/deployment.yaml", True),  # a directory: what is under it
        ("/Dockerfile", "Dockerfile", True),
        ("/Dockerfile", "svc/Dockerfile", False),  # a leading slash anchors
        ("Dockerfile.[!a]*", "Dockerfile.prod", True),
        ("Dockerfile.[!p]*", "Dockerfile.prod", False),
        ("?.go", "ab.go", False),
        (r"\*.go", "*.go", True),
        (r"\*.go", "x.go", False),
    ],
)
def test_glob(pattern: str, path: str, matches: bool) -> None:
    from dockready.config import PathIgnore

    entry = PathIgnore((pattern,), ("DR",), (compile_glob(pattern),))
    assert entry.matches(path) is matches


@pytest.mark.parametrize("pattern", ["", "/", "legacy/[a", "a/[]", "a[/]b", "../x", "a\\"])
def test_malformed_glob(pattern: str) -> None:
    with pytest.raises(ValueError):
        compile_glob(pattern)


# --------------------------------------------------------------------------- severity


def test_severity_override_changes_exit_code(tmp_path: Path) -> None:
    only3 = 'select = ["DR3"]\n'
    code, got = findings("--config", str(config_file(tmp_path, only3)), str(ROOT_USER))
    assert code == 0
    assert {(f["id"], f["severity"]) for f in got} == {("DR304", "warning"), ("DR303", "info")}

    raised = str(config_file(tmp_path, only3 + '[severity]\nDR304 = "error"\n'))
    code, got = findings("--config", raised, str(ROOT_USER))
    assert code == 1
    assert {(f["id"], f["severity"]) for f in got} == {("DR304", "error"), ("DR303", "info")}
    doc = json.loads(
        invoke(["check", "--format", "json", "--config", raised, str(ROOT_USER)]).stdout
    )
    assert (doc["summary"]["error"], doc["summary"]["warning"]) == (1, 0)

    assert findings("--no-config", str(ROOT_USER))[0] == 1  # DR214 is an error
    lowered = str(config_file(tmp_path, '[severity]\nDR214 = "info"\n'))
    code, got = findings("--config", lowered, str(ROOT_USER))
    assert code == 0
    assert ("DR214", "info") in {(f["id"], f["severity"]) for f in got}


def test_fail_on_in_file_and_flag(tmp_path: Path) -> None:
    conf = str(config_file(tmp_path, 'select = ["DR3"]\nfail-on = "warning"\n'))
    assert invoke(["check", "--config", conf, str(ROOT_USER)]).exit_code == 1
    assert invoke(["check", "--config", conf, "--fail-on", "error", str(ROOT_USER)]).exit_code == 0
    assert invoke(["check", "--config", conf, "--fail-on", "info", str(ROOT_USER)]).exit_code == 1


# --------------------------------------------------------------------------- flags


def test_flags_override_the_file(tmp_path: Path) -> None:
    def run(toml: str, *flags: str) -> set[str]:
        return ids("--config", str(config_file(tmp_path, toml)), *flags, str(EXAMPLE))

    assert {"DR403", "DR404", "DR401"} <= ids("--no-config", str(EXAMPLE)), "precondition"
    # --select replaces the file's select...
    assert run('select = ["DR3"]\n', "--select", "DR404") == {"DR404"}
    # ... and its ignore: the command line is a fresh selection.
    assert "DR404" in run('ignore = ["DR404"]\n', "--select", "DR4")
    # --ignore replaces the file's ignore; --extend-ignore adds to it.
    found = run('select = ["DR40"]\nignore = ["DR404"]\n', "--ignore", "DR403")
    assert "DR404" in found and "DR403" not in found
    found = run('select = ["DR40"]\nignore = ["DR404"]\n', "--extend-ignore", "DR403")
    assert found and not found & {"DR403", "DR404"}
    # --extend-select adds to the file's select.
    found = run('select = ["DR3"]\n', "--extend-select", "DR404")
    assert "DR404" in found and "DR302" in found and "DR203" not in found
    # Comma-separated and repeatable.
    assert run("", "--select", "DR404,DR403", "--select", " DR401") == {"DR401", "DR403", "DR404"}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--select", "DR4O4"],
            '--select: unknown rule id or prefix "DR4O4" (did you mean DR404?)',
        ),
        (
            ["--ignore", "DR2,dr404"],
            '--ignore: unknown rule id or prefix "dr404" (did you mean DR404?)',
        ),
        (["--extend-ignore", "runs-as-root"], "(did you mean DR304?)"),
    ],
)
def test_bad_rule_id_on_the_command_line(flags: list[str], message: str) -> None:
    assert message in usage_error(invoke(["check", *flags, str(EXAMPLE)]))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        # unknown keys
        ('selct = ["DR4"]', "selct: unknown key (did you mean select?)"),
        ("[rules.DR406]\nmarign = 5", "rules.DR406.marign: unknown key (did you mean margin?)"),
        ('[services.orders]\nimage = ["x"]', "services.orders.image: unknown key (did you"),
        # wrong types
        ('[rules.DR406]\nmargin = "5s"', 'rules.DR406.margin: expected a number, got "5s"'),
        ("[rules.DR406]\nmargin = -1", "rules.DR406.margin: expected a number >= 0, got -1"),
        ("[rules.DR406]\nmargin = true", "rules.DR406.margin: expected a number, got true"),
        (
            '[rules.DR302]\nallowed-registries = "registry.example.com"',
            "rules.DR302.allowed-registries: expected an array of registry hosts",
        ),
        ('select = "DR2"', 'select: expected an array of rule ids or prefixes, got "DR2"'),
        ('severity = "error"', "severity: expected a table of rule id = "),
        (
            '[services."my svc"]\ndockerfiles = ["../Dockerfile"]',
            'services."my svc".dockerfiles[0]: expected a relative path, got "../Dockerfile"',
        ),
        (
            '[services.orders]\nworkloads = ["k8s/deploy.yaml"]',
            'services.orders.workloads[0]: expected a workload such as "k8s/deploy.yaml#',
        ),
        # unknown rule ids, with a suggestion
        (
            'select = ["DR2", "DR4O4"]',
            'select[1]: unknown rule id or prefix "DR4O4" (did you mean DR404?)',
        ),
        (
            'ignore = ["probe-not-served"]',
            'ignore[0]: unknown rule id or prefix "probe-not-served" (did you mean DR404?)',
        ),
        (
            '[severity]\nDR4O4 = "error"',
            'severity.DR4O4: unknown rule id "DR4O4" (did you mean DR404?)',
        ),
        ('[severity]\nDR4 = "error"', 'severity.DR4: unknown rule id "DR4"'),
        ("[rules.DR101]\nx = 1", "rules.DR101: DR101 has no options"),
        (
            '[[per-path-ignores]]\npaths = ["a/**"]\nignore = ["DR99"]',
            'per-path-ignores[0].ignore[0]: unknown rule id or prefix "DR99"',
        ),
        # per-path ignores: glob types, malformed globs, missing keys
        (
            '[[per-path-ignores]]\npaths = "legacy/**"\nignore = ["DR2"]',
            'per-path-ignores[0].paths: expected a non-empty array of glob patterns, got "legacy/**"',
        ),
        (
            '[[per-path-ignores]]\npaths = ["a/**", 7]\nignore = ["DR2"]',
            "per-path-ignores[0].paths[1]: expected a glob pattern, got 7",
        ),
        (
            '[[per-path-ignores]]\npaths = ["legacy/[a"]\nignore = ["DR2"]',
            "per-path-ignores[0].paths[0]: bad glob pattern \"legacy/[a\": an unclosed '['",
        ),
        ('[[per-path-ignores]]\npaths = ["a/**"]', 'per-path-ignores[0]: missing key "ignore"'),
        # fail-on
        (
            'fail-on = "warn"',
            'fail-on: expected one of "error", "warning", "info" or "never", got "warn"',
        ),
        # not TOML at all
        ('select = ["DR2"', "invalid TOML"),
    ],
)
def test_config_error_is_exit_2_with_the_key_path(tmp_path: Path, toml: str, message: str) -> None:
    repo = make_repo(tmp_path / "repo", toml + "\n")
    line = usage_error(invoke(["check", str(repo / "svc")]))
    assert line.startswith("dockready: error: ")
    assert f"{CONFIG_NAME}: {message}" in line


# --------------------------------------------------------------------------- the object


def test_services_and_rule_options_are_exposed(tmp_path: Path) -> None:
    config = load_config(
        config_file(
            tmp_path,
            """
            [services.orders]
            dockerfiles = ["build/orders.Dockerfile"]
            images = ["registry.example.com/orders"]
            workloads = ["k8s/deploy.yaml#Deployment/orders"]

            [rules.DR406]
            margin = 5
            """,
        )
    )
    orders = config.services["orders"]
    assert orders.dockerfiles == ("build/orders.Dockerfile",)
    assert orders.images == ("registry.example.com/orders",)
    assert orders.workloads == ("k8s/deploy.yaml#Deployment/orders",)
    assert config.options_for(RULES["DR406"]).margin == 5
    assert config.options_for(RULES["DR302"]).allowed_registries == ()  # the default


def test_readme_example_is_a_valid_config(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert blocks, "the Configuration section has a toml example"
    config = load_config(config_file(tmp_path, blocks[0]))
    assert config.select and config.per_path_ignores and config.severity
    assert config.services and config.rules
