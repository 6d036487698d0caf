"""The CI integrations: the pre-commit hook, the GitHub Action, the GitLab CI template
and the README snippets that use them.

Static checks read the YAML; the behavioural ones run the Action's and the template's
shell scripts for real (bash/sh, with a ``dockready`` on PATH that is this checkout)
against a copy of the bundled example, so the files the reports are uploaded from are
the files the command writes. ``pre-commit try-repo`` runs only when pre-commit is
installed (it builds the hook's environment with pip).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockready import report
from dockready.discover import classify

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
HOOKS = REPO / ".pre-commit-hooks.yaml"
ACTION = REPO / "action.yml"
GITLAB = REPO / "ci" / "gitlab" / "dockready.gitlab-ci.yml"
README = REPO / "README.md"
BAD = REPO / "examples" / "orderservice"
GOOD = REPO / "examples" / "orderservice-fixed"
SECTION = "## In CI and code review"
FAIL_ON = ("error", "warning", "info", "never")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pyproject() -> dict[str, Any]:
    """The ``[project]`` table of pyproject.toml."""
    project: dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    return project


def hook() -> dict[str, Any]:
    hooks = load(HOOKS)
    assert isinstance(hooks, list) and len(hooks) == 1
    return hooks[0]


def action() -> dict[str, Any]:
    return load(ACTION)


def action_steps() -> list[dict[str, Any]]:
    return action()["runs"]["steps"]


def step(pred: str) -> dict[str, Any]:
    """The one Action step whose ``uses`` or ``run`` contains ``pred``."""
    found = [s for s in action_steps() if pred in s.get("uses", "") + s.get("run", "")]
    assert len(found) == 1, (pred, found)
    return found[0]


def gitlab_job(config: dict[str, Any], name: str) -> dict[str, Any]:
    """``name`` with its ``extends`` resolved (GitLab's deep merge of mappings)."""

    def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(base)
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out

    job = dict(config[name])
    parents = job.pop("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = merge(merged, gitlab_job(config, parent))
    return merge(merged, job)


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{SECTION}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def fenced(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.M | re.S)


def shim_env(tmp_path: Path) -> dict[str, str]:
    """The environment with a ``dockready`` executable that runs this checkout."""
    bin_dir = tmp_path / "shim-bin"
    bin_dir.mkdir()
    exe = bin_dir / "dockready"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dockready "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE") and not k.startswith("GIT")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    env["SHIM_BIN"] = str(bin_dir)
    return env


def example_copy(src: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(src, dest)
    return dest


# --- every file is YAML ------------------------------------------------------------


@pytest.mark.parametrize("path", [HOOKS, ACTION, GITLAB], ids=lambda p: p.name)
def test_yaml_parses(path: Path) -> None:
    assert isinstance(load(path), list | dict)


# --- pre-commit hook ---------------------------------------------------------------


def hook_command(staged: list[str]) -> list[str]:
    """The command pre-commit runs for ``staged``: ``entry``, ``args``, then the file
    names unless ``pass_filenames`` is false (pre-commit's default is true)."""
    h = hook()
    names = staged if h.get("pass_filenames", True) else []
    return [*shlex.split(h["entry"]), *h.get("args", []), *names]


def test_hook_checks_the_whole_tree_whatever_is_staged() -> None:
    # The audit joins files (a manifest to the code it runs): given only the staged
    # files, `dockready check` would check those alone and miss every join.
    staged = ["k8s/deploy.yaml", "cmd/app/main.go"]
    assert all(hook_runs_for(path) for path in staged)
    command = hook_command(staged)
    assert command == hook_command([])
    assert not set(staged) & set(command)


def test_hook_entry_is_the_console_script() -> None:
    scripts = pyproject()["scripts"]
    program, command = hook()["entry"].split()
    assert program in scripts
    from dockready.cli import cli

    assert command in cli.commands


def hook_runs_for(path: str) -> bool:
    """pre-commit's filter: ``re.search`` of ``files``, then not of ``exclude``."""
    h = hook()
    exclude = h.get("exclude", "^$")
    return bool(re.search(h["files"], path)) and not re.search(exclude, path)


@pytest.mark.parametrize(
    "path",
    [
        "cmd/app/main.go",
        "go.mod",
        "go.sum",
        "services/api/go.mod",
        "vendor/modules.txt",
        "Dockerfile",
        "Containerfile",
        "Dockerfile.prod",
        "build/api.Dockerfile",
        ".dockerignore",
        "k8s/deploy.yaml",
        "compose.yml",
    ],
)
def test_hook_runs_for_files_dockready_reads(path: str) -> None:
    assert hook_runs_for(path)


def test_hook_runs_for_the_configuration_file() -> None:
    config = pytest.importorskip("dockready.config")
    assert hook_runs_for(config.CONFIG_NAME)
    assert hook_runs_for(f"services/api/{config.CONFIG_NAME}")


@pytest.mark.parametrize(
    "path",
    ["README.md", "cmd/app/main_test.go", "Makefile", "docs/notes.txt", "notgo.mod", "x.gomod"],
)
def test_hook_skips_other_files(path: str) -> None:
    assert not hook_runs_for(path)


@pytest.mark.parametrize(
    "path",
    [
        "main.go",
        "pkg/x/y_test.go",
        "go.mod",
        "sub/go.sum",
        "vendor/modules.txt",
        "modules.txt",
        "Dockerfile",
        "deploy/Dockerfile.dev",
        "api.dockerfile",
        "Containerfile.ci",
        "app.containerfile",
        ".dockerignore",
        "api.Dockerfile.dockerignore",
        "k8s/a.yaml",
        "compose.yml",
        "README.md",
        "pyproject.toml",
        "go.work",
        "main.c",
    ],
)
def test_hook_filter_agrees_with_discovery(path: str) -> None:
    assert hook_runs_for(path) == (classify(path) is not None), path


# --- GitHub Action -----------------------------------------------------------------


def test_action_is_composite_with_documented_inputs() -> None:
    a = action()
    assert a["name"] and a["description"]
    assert a["runs"]["using"] == "composite"
    inputs = a["inputs"]
    assert {"path", "fail-on", "sarif-file", "upload-sarif", "args"} <= set(inputs)
    # The repository root: the reports' paths are relative to it, as GitHub's are.
    assert inputs["path"]["default"] == "."
    # Empty: the flag is passed only when set, so .dockready.toml's fail-on applies.
    assert inputs["fail-on"]["default"] == ""
    # The upload step runs on the string "true": uploading is the default.
    assert inputs["upload-sarif"]["default"] == "true"
    for name, spec in inputs.items():
        assert spec.get("description"), name
    assert a["outputs"]["sarif-file"]["value"] == "${{ inputs.sarif-file }}"


def test_action_steps_use_every_input() -> None:
    text = json.dumps(action_steps())
    for name in action()["inputs"]:
        assert re.search(rf"\binputs\.{re.escape(name)}\b(?![-\w])", text), name


def test_action_scripts_take_inputs_from_env_only() -> None:
    # ${{ }} spliced into a script is a script-injection hole; env is not.
    for s in action_steps():
        assert "${{" not in s.get("run", ""), s.get("name")
        if "run" in s:
            assert s["shell"] == "bash", s.get("name")


def test_action_installs_its_own_checkout() -> None:
    setup = step("actions/setup-python@")
    assert setup["uses"] == "actions/setup-python@v5"
    assert str(setup["with"]["python-version"]).startswith(("3.1", "${{ inputs."))
    default = action()["inputs"]["python-version"]["default"]
    assert tuple(int(n) for n in default.split(".")) >= (3, 11)
    install = step("pip install")
    assert "${{ github.action_path }}" in json.dumps(install["env"])


def test_action_check_step() -> None:
    s = step("dockready check")
    assert s["id"] == "check"
    run = s["run"]
    assert "--format github" in run
    assert re.search(r'--output "sarif=\$DOCKREADY_SARIF"', run)
    assert re.search(r'--output "markdown=\$summary"', run)
    assert '--fail-on "$DOCKREADY_FAIL_ON"' in run
    assert s["env"]["DOCKREADY_SARIF"] == "${{ inputs.sarif-file }}"
    assert "set +e" in run
    assert "GITHUB_STEP_SUMMARY" in run


def test_action_upload_step() -> None:
    s = step("github/codeql-action/upload-sarif@")
    assert s["uses"] == "github/codeql-action/upload-sarif@v3"
    assert "always()" in s["if"]
    assert "inputs.upload-sarif == 'true'" in s["if"]
    assert s["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert s["with"]["category"] == "dockready"


def test_action_ends_with_dockreadys_exit_code() -> None:
    steps = action_steps()
    names = [s.get("uses", "") + s.get("run", "") for s in steps]
    check_at = next(i for i, n in enumerate(names) if "dockready check" in n)
    upload_at = next(i for i, n in enumerate(names) if "upload-sarif@" in n)
    last = steps[-1]
    assert check_at < upload_at < len(steps) - 1
    assert "always()" in last["if"]
    assert last["env"]["CODE"] == "${{ steps.check.outputs.exit-code }}"
    assert 'exit "$CODE"' in last["run"]


BASH = shutil.which("bash")


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize(
    ("example", "fail_on", "code"),
    [(BAD, "error", 1), (BAD, "never", 0), (GOOD, "warning", 0)],
    ids=["findings", "fail-on-never", "clean"],
)
def test_action_check_script_runs(tmp_path: Path, example: Path, fail_on: str, code: int) -> None:
    check, last = step("dockready check"), action_steps()[-1]
    assert set(check["env"]) == {
        "DOCKREADY_BIN",
        "DOCKREADY_PATH",
        "DOCKREADY_FAIL_ON",
        "DOCKREADY_SARIF",
        "DOCKREADY_ARGS",
    }
    repo = example_copy(example, tmp_path)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = shim_env(tmp_path)
    env.update(
        DOCKREADY_BIN=env["SHIM_BIN"],
        DOCKREADY_PATH=".",
        DOCKREADY_FAIL_ON=fail_on,
        DOCKREADY_SARIF="dockready.sarif",
        DOCKREADY_ARGS="--jobs 1",
        RUNNER_TEMP=str(runner_temp),
        GITHUB_OUTPUT=str(tmp_path / "output"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary"),
    )
    (tmp_path / "summary").write_text("earlier step\n", encoding="utf-8")
    # GitHub runs `bash --noprofile --norc -eo pipefail {0}`.
    proc = subprocess.run(
        [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", check["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr  # the step itself never fails
    outputs = dict(
        line.split("=", 1)
        for line in (tmp_path / "output").read_text(encoding="utf-8").splitlines()
    )
    assert outputs == {"exit-code": str(code), "sarif": "true"}
    sarif = json.loads((repo / "dockready.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    summary = (tmp_path / "summary").read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n### dockready")
    if example == BAD:
        assert "::error file=" in proc.stdout
        assert sarif["runs"][0]["results"]
    final = subprocess.run(
        [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", last["run"]],
        env={**env, "CODE": outputs["exit-code"]},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert final.returncode == code


# --- GitLab CI template ------------------------------------------------------------


def gitlab() -> dict[str, Any]:
    return load(GITLAB)


def gitlab_script() -> list[str]:
    script = gitlab_job(gitlab(), "dockready")["script"]
    assert isinstance(script, list)
    return script


def test_gitlab_hidden_job() -> None:
    config = gitlab()
    hidden = config[".dockready"]
    # The image's Python is one dockready supports (pyproject's requires-python).
    image = re.fullmatch(r"python:(\d+)\.(\d+)(-[\w.-]+)?", hidden["image"])
    assert image, hidden["image"]
    project = pyproject()
    minimum = re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"])
    assert minimum, project["requires-python"]
    assert (int(image[1]), int(image[2])) >= (int(minimum[1]), int(minimum[2]))
    assert any('"$DOCKREADY_PIP_SPEC"' in line and "pip install" in line
               for line in hidden["before_script"])  # fmt: skip
    assert config["dockready"]["extends"] == ".dockready"


def test_gitlab_variables_have_defaults() -> None:
    variables = gitlab()["variables"]
    # By default pip installs this project, under the name it is published as.
    project = pyproject()
    assert variables["DOCKREADY_PIP_SPEC"] == project["name"]
    # The repository root: the reports' paths are relative to it, as GitLab's are.
    assert variables["DOCKREADY_PATH"] == "."
    # Empty: --fail-on is passed only when set, so .dockready.toml's fail-on applies.
    assert variables["DOCKREADY_FAIL_ON"] == ""
    job = gitlab_job(gitlab(), "dockready")
    used = set(re.findall(r"\$\{?(DOCKREADY_\w+)", json.dumps(job)))
    assert used <= set(variables), used - set(variables)


def test_gitlab_job_command_and_reports() -> None:
    job = gitlab_job(gitlab(), "dockready")
    (command,) = [line for line in gitlab_script() if "dockready check" in line]
    assert 'dockready check "$DOCKREADY_PATH"' in command
    assert "--format text" in command
    assert '--fail-on "$DOCKREADY_FAIL_ON"' in command
    written = dict(re.findall(r"--output (\w+)=(\S+)", command))
    assert job["artifacts"]["when"] == "always"
    reports = job["artifacts"]["reports"]
    assert reports == {"codequality": written["gitlab"], "junit": written["junit"]}


def test_gitlab_job_rules() -> None:
    job = gitlab_job(gitlab(), "dockready")
    assert job["stage"] == "test"
    conditions = [rule["if"] for rule in job["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in conditions
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in conditions


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs sh")
@pytest.mark.parametrize(("example", "code"), [(BAD, 1), (GOOD, 0)], ids=["findings", "clean"])
def test_gitlab_script_writes_the_reports(tmp_path: Path, example: Path, code: int) -> None:
    repo = example_copy(example, tmp_path)
    env = shim_env(tmp_path)
    env["PATH"] = os.pathsep.join([env["SHIM_BIN"], env.get("PATH", "")])
    env.update({k: str(v) for k, v in gitlab()["variables"].items()})
    env["DOCKREADY_ARGS"] = "--jobs 1"
    job = gitlab_job(gitlab(), "dockready")
    for line in gitlab_script():
        proc = subprocess.run(
            ["sh", "-c", line],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert proc.returncode == code, proc.stderr
    reports = job["artifacts"]["reports"]
    issues = json.loads((repo / reports["codequality"]).read_text(encoding="utf-8"))
    assert isinstance(issues, list)
    assert bool(issues) == (example == BAD)
    for issue in issues:
        assert not Path(issue["location"]["path"]).is_absolute()
        assert (repo / issue["location"]["path"]).is_file()
    assert ET.parse(repo / reports["junit"]).getroot().tag in ("testsuites", "testsuite")


# --- README ------------------------------------------------------------------------


def test_readme_section_yaml_snippets_parse() -> None:
    blocks = fenced(readme_section(), "yaml")
    assert len(blocks) >= 3
    for block in blocks:
        assert isinstance(yaml.safe_load(block), dict), block


def readme_yaml(key: str) -> dict[str, Any]:
    docs = [yaml.safe_load(b) for b in fenced(readme_section(), "yaml")]
    found = [d for d in docs if key in d]
    assert len(found) == 1, key
    return found[0]


def test_readme_pre_commit_snippet() -> None:
    (repo,) = readme_yaml("repos")["repos"]
    assert repo["repo"] == "https://github.com/dockready/dockready"
    assert repo["rev"] == "v0.1.0"
    assert [h["id"] for h in repo["hooks"]] == [hook()["id"]]


def test_readme_github_snippet() -> None:
    workflow = readme_yaml("jobs")
    assert workflow["permissions"]["security-events"] == "write"
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    (uses,) = [s for s in steps if s.get("uses", "").startswith("dockready/dockready@")]
    assert uses["uses"] == "dockready/dockready@v0.1.0"
    assert set(uses.get("with", {})) <= set(action()["inputs"])
    assert uses["with"].get("fail-on", "error") in FAIL_ON


def test_readme_gitlab_snippet() -> None:
    config = readme_yaml("include")
    (include,) = config["include"]
    source = include.get("remote") or include.get("file")
    assert source.endswith("/" + GITLAB.relative_to(REPO).as_posix())
    assert set(config.get("variables", {})) <= set(gitlab()["variables"])


def test_readme_any_ci_snippet_uses_real_formats() -> None:
    (sh,) = fenced(readme_section(), "sh")
    assert "dockready check" in sh
    formats = re.findall(r"--output (\w+)=", sh)
    assert formats
    assert set(formats) <= set(report.available())


def test_readme_mentions_paths_relative_to_checked_path() -> None:
    text = " ".join(readme_section().split())
    assert "relative to the checked path" in text
    assert "repository root" in text


# --- pre-commit itself (optional) --------------------------------------------------

HAVE_PRE_COMMIT = importlib.util.find_spec("pre_commit") is not None
GIT = shutil.which("git")


def git(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [
            str(GIT),
            "-c",
            "user.name=dockready tests",
            "-c",
            "user.email=tests@dockready.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A git repository of the working tree's package and hook file (uncommitted
    changes included, which ``try-repo`` of this checkout would leave out)."""
    root = tmp_path_factory.mktemp("pre-commit")
    repo = root / "hook-repo"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(SRC, repo / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, repo / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(root / "cache")
    git("init", "-q", cwd=repo, env=env)
    git("add", "-A", cwd=repo, env=env)
    git("commit", "-q", "-m", "hook", cwd=repo, env=env)
    return repo, env


def try_repo(
    hook_repo: tuple[Path, dict[str, str]], target: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    repo, env = hook_repo
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(repo), "dockready", *args],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode == 3 and "Installing environment" in proc.stdout:
        pytest.skip(f"pre-commit could not build the hook environment (offline?): {proc.stdout}")
    return proc


def git_target(example: Path, tmp_path: Path, env: dict[str, str]) -> Path:
    target = example_copy(example, tmp_path)
    git("init", "-q", cwd=target, env=env)
    git("add", "-A", cwd=target, env=env)
    return target


@pytest.mark.skipif(not HAVE_PRE_COMMIT or GIT is None, reason="needs pre-commit and git")
def test_pre_commit_hook_fails_on_findings(
    hook_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    target = git_target(BAD, tmp_path, hook_repo[1])
    proc = try_repo(hook_repo, target, "--all-files")
    assert proc.returncode == 1, proc.stdout
    assert "dockready" in proc.stdout and "Failed" in proc.stdout
    assert "DR404" in proc.stdout


@pytest.mark.skipif(not HAVE_PRE_COMMIT or GIT is None, reason="needs pre-commit and git")
def test_pre_commit_hook_passes_and_skips(
    hook_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    env = hook_repo[1]
    target = git_target(GOOD, tmp_path, env)
    proc = try_repo(hook_repo, target, "--all-files")
    assert proc.returncode == 0, proc.stdout
    assert "Passed" in proc.stdout
    # A commit that touches no file dockready reads skips the hook.
    git("commit", "-q", "-m", "service", cwd=target, env=env)
    (target / "NOTES.md").write_text("notes\n", encoding="utf-8")
    git("add", "NOTES.md", cwd=target, env=env)
    proc = try_repo(hook_repo, target)
    assert proc.returncode == 0, proc.stdout
    assert "Skipped" in proc.stdout
