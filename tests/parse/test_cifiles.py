"""``parse/cifiles.py``: CI jobs, their steps, runners and caches; never a traceback."""

from __future__ import annotations

import pytest

from dockready.parse.cifiles import ci_system, parse_ci

WF = ".github/workflows/ci.yml"


def test_which_files_are_ci() -> None:
    assert ci_system(".github/workflows/ci.yml") == "github"
    assert ci_system("svc/.github/workflows/build.yaml") == "github"
    assert ci_system(".gitlab-ci.yml") == "gitlab"
    assert ci_system(".github/workflows/sub/x.yml") is None
    assert ci_system("ci.yml") is None


@pytest.mark.parametrize(
    "text",
    ["", "jobs: [", "- a\n- b\n", "jobs: 3", "jobs:\n  x: [1, 2]\n", "jobs:\n  x:\n    steps: 7\n",
     "a: &a [*a]\n", "jobs:\n  x:\n    steps:\n      - run: \"unterminated\n"],
)  # fmt: skip
def test_malformed_input_is_no_crash(text: str) -> None:
    for path in (WF, ".gitlab-ci.yml"):
        f = parse_ci(path, text)
        assert f is None or all(j.name for j in f.jobs)


def test_github_job_runner_steps_and_builds() -> None:
    f = parse_ci(
        WF,
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/setup-go@v5\n"
        "        with: {cache: false}\n"
        "      - run: |\n"
        "          sudo -E go test ./...\n"
        "          docker buildx build --cache-from type=gha -f build/Dockerfile .\n"
        "  b:\n"
        "    runs-on: [self-hosted]\n"
        "    steps: [{run: go build}]\n"
        "  c:\n"
        "    uses: org/repo/.github/workflows/x.yml@v1\n",
    )
    assert f is not None and f.system == "github"
    a, b, c = f.jobs
    assert (a.fresh, b.fresh, c.opaque) == (True, False, True)
    setup, run = a.steps
    assert setup.action == "actions/setup-go" and setup.ref == "v5"
    assert setup.input("cache") == "false"
    assert [c.words[:2] for c in run.commands] == [("go", "test"), ("docker", "buildx")]
    assert run.commands[0].span.line == 8
    assert run.cache_from and run.builds[0].dockerfile == "build/Dockerfile"


def test_gitlab_extends_anchors_default_cache_and_reference() -> None:
    f = parse_ci(
        ".gitlab-ci.yml",
        "default:\n"
        "  image: golang:1.22\n"
        "  cache: {paths: [.go/pkg/mod]}\n"
        ".tpl: &tpl\n"
        "  tags: [docker-big]\n"
        "a:\n"
        "  script: [go test ./...]\n"
        "b:\n"
        "  <<: *tpl\n"
        "  cache: []\n"
        "  script: [go build]\n"
        "c:\n"
        "  extends: .missing\n"
        "  script: [go build]\n"
        "d:\n"
        "  script: !reference [.tpl, script]\n"
        "e:\n"
        "  trigger: other/project\n",
    )
    assert f is not None
    jobs = {j.name: j for j in f.jobs}
    assert set(jobs) == {"a", "b", "c", "d"}, "hidden templates and bridge jobs are no jobs"
    assert jobs["a"].fresh and jobs["a"].caches == (".go/pkg/mod",)
    assert not jobs["b"].fresh and jobs["b"].caches == ()
    assert jobs["c"].opaque and jobs["d"].opaque and not jobs["a"].opaque
    assert jobs["a"].commands[0].words == ("go", "test", "./...")


def test_gitlab_include_makes_jobs_without_own_cache_opaque() -> None:
    f = parse_ci(
        ".gitlab-ci.yml", "include: [{local: x.yml}]\nt:\n  image: go\n  script: [go test]\n"
    )
    assert f is not None and f.jobs[0].opaque
