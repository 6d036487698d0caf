"""docker build commands read from scripts, Makefiles, workflows, skaffold and compose."""

from __future__ import annotations

from textwrap import dedent

import pytest

from dockready.model import Span
from dockready.parse.buildrefs import (
    from_makefile,
    is_build_yaml,
    parse_build_yaml,
    parse_script,
    resolve,
    shell_builds,
)
from dockready.parse.makefile import parse_makefile


def builds(text: str, cwd: str | None = ".", here: str = ".") -> list[tuple[str | None, ...]]:
    return [(r.dockerfile, r.context) for r in shell_builds("b.sh", text, cwd, here)]


def test_docker_build_flags_and_context() -> None:
    assert builds("docker build -f deploy/Dockerfile-api -t $IMG .") == [
        ("deploy/Dockerfile-api", ".")
    ]
    assert builds("docker build --build-arg V=1 -t x svc/api 2>&1 | tee log") == [
        ("svc/api/Dockerfile", "svc/api")
    ]
    assert builds("docker buildx build --file=build/Dockerfile --push ops") == [
        ("build/Dockerfile", "ops")
    ]
    assert builds("podman build -f=ops/Containerfile ops") == [("ops/Containerfile", "ops")]
    assert builds("sudo -E docker image build --file x/api.df x") == [("x/api.df", "x")]
    assert builds("echo docker build . && docker push x") == []


def test_build_args_are_kept_as_written() -> None:
    (ref,) = shell_builds(
        "b.sh", "docker build --build-arg A=1 --build-arg B --build-arg=C=$X .", ".", "."
    )
    assert ref.args == (("A", "1"), ("B", None), ("C", None))


def test_unknown_parts_are_none_never_guessed() -> None:
    # a variable, stdin, a URL, an absolute path, a path above the root
    assert builds("docker build -f $DF .") == [(None, ".")]
    assert builds("docker build ${CTX}") == [(None, None)]
    assert builds("docker build -f $(make -s df) .") == [(None, ".")]
    assert builds("docker build - < Dockerfile") == [(None, None)]
    assert builds("docker build https://github.com/o/r.git") == [(None, None)]
    assert builds("docker build -f /abs/Dockerfile .") == [(None, ".")]
    assert builds("docker build ../..") == [(None, None)]
    assert builds("docker build", cwd=None) == [(None, None)]


def test_cd_and_variables_are_followed_as_far_as_they_are_known() -> None:
    assert builds("cd services/x && docker buildx build --file=build/Dockerfile ..") == [
        ("services/x/build/Dockerfile", "services")
    ]
    # a subshell's cd is undone; a cd in a block that may not run loses the folder
    assert builds("(cd svc && docker build .); docker build -f ops/Dockerfile ops") == [
        ("svc/Dockerfile", "svc"),
        ("ops/Dockerfile", "ops"),
    ]
    text = "if [ -d a ]; then\n  cd a\nfi\ndocker build .\n"
    assert builds(text) == [(None, None)]
    assert builds("CTX=svc\nDF=${DF:-x}\ndocker build -f $DF $CTX\n") == [(None, "svc")]
    assert builds("cd $SOMEWHERE\ndocker build .\n") == [(None, None)]


def test_the_scripts_own_folder() -> None:
    text = 'cd "$(dirname "$0")/.."\ndocker build -f deploy/api.df .\n'
    assert builds(text, cwd=None, here="scripts") == [("deploy/api.df", ".")]
    text = (
        'ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)\n'
        'docker build -f "$ROOT/deploy/x.df" "$ROOT"\n'
    )
    assert builds(text, cwd=None, here="scripts") == [("deploy/x.df", ".")]


def test_lines_heredocs_and_continuations() -> None:
    text = dedent(
        """\
        #!/bin/sh
        cat <<EOF
        docker build -f not-a-command .
        EOF
        docker build \\
          -f multi.df \\
          .
        """
    )
    refs = shell_builds("b.sh", text, ".", ".")
    assert [(r.dockerfile, r.span.line) for r in refs] == [("multi.df", 5)]


def test_a_script_runs_from_its_folder_or_the_top_and_the_real_dockerfile_decides() -> None:
    script = parse_script("scripts/build.sh", "docker build -f deploy/Dockerfile-api .\n")
    (readings,) = script.commands
    assert [(r.dockerfile, r.context) for r in readings] == [
        ("scripts/deploy/Dockerfile-api", "scripts"),
        ("deploy/Dockerfile-api", "."),
    ]
    (ref,) = resolve(script.commands, {"deploy/Dockerfile-api"}.__contains__)
    assert (ref.dockerfile, ref.context) == ("deploy/Dockerfile-api", ".")
    (ref,) = resolve(script.commands, lambda _p: False)
    assert (ref.dockerfile, ref.context) == (None, None)
    (ref,) = resolve(script.commands, lambda _p: True)  # both exist: cannot tell
    assert (ref.dockerfile, ref.context) == (None, None)


def test_makefile_recipes() -> None:
    mf = parse_makefile(
        "svc/Makefile",
        "IMAGE ?= api\nDF = build/api.df\n\nimage:\n"
        "\tdocker build -f $(DF) -t $(IMAGE):dev --build-arg V=$(VERSION) .\n"
        "\tcd $(DIR) && docker build .\n",
    )
    refs = [r for (r,) in from_makefile(mf).commands]
    assert [(r.dockerfile, r.context, r.args, r.span.line) for r in refs] == [
        ("svc/build/api.df", "svc", (("V", None),), 4),
        (None, None, (), 4),
    ]
    # an included *.mk runs in its folder or at the top: both readings
    mk = parse_makefile("build/docker.mk", "image:\n\tdocker build -f deploy/Dockerfile .\n")
    (readings,) = from_makefile(mk).commands
    assert [r.context for r in readings] == ["build", "."]


WORKFLOW = """\
name: ci
on: [push]
defaults:
  run:
    working-directory: services
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: api
        working-directory: .
        run: |
          echo building
          docker build -f deploy/Dockerfile-api \\
            --build-arg VERSION=${{ github.sha }} .
      - run: docker buildx build -f worker/Dockerfile.worker worker
      - uses: docker/build-push-action@v5
        with:
          context: ./svc
          file: ${{ github.workspace }}/svc/build.Dockerfile
          build-args: |
            A=1
            B=${{ secrets.B }}
      - uses: docker/build-push-action@v5
        with:
          context: ${{ inputs.dir }}
      - uses: docker/build-push-action@v5
"""


def test_github_workflow_steps() -> None:
    assert is_build_yaml(".github/workflows/ci.yml", WORKFLOW)
    refs, notice = parse_build_yaml(".github/workflows/ci.yml", WORKFLOW)
    assert notice is None
    got = [(r.dockerfile, r.context, r.args, r.span.line) for (r,) in refs.commands]
    assert got == [
        ("deploy/Dockerfile-api", ".", (("VERSION", None),), 15),
        ("services/worker/Dockerfile.worker", "services/worker", (), 17),
        ("svc/build.Dockerfile", "svc", (("A", "1"), ("B", None)), 18),
        (None, None, (), 25),
        ("Dockerfile", ".", (), 28),
    ]
    # a workflow of a repository checked from above it: paths from its own top
    refs, _ = parse_build_yaml("shop/.github/workflows/ci.yml", WORKFLOW)
    assert refs.commands[0][0].dockerfile == "shop/deploy/Dockerfile-api"


def test_skaffold_artifacts() -> None:
    text = dedent(
        """\
        apiVersion: skaffold/v4beta6
        kind: Config
        build:
          artifacts:
            - image: api
              context: services/api
              docker:
                dockerfile: build/api.Dockerfile
                buildArgs:
                  GO: "1.22"
            - image: fn
              ko: {}
        profiles:
          - name: dev
            build:
              artifacts:
                - image: web
        """
    )
    assert is_build_yaml("deploy/skaffold.yaml", text)
    refs, _ = parse_build_yaml("deploy/skaffold.yaml", text)
    assert [(r.dockerfile, r.context, r.args, r.span) for (r,) in refs.commands] == [
        (
            "deploy/services/api/build/api.Dockerfile",
            "deploy/services/api",
            (("GO", "1.22"),),
            Span("deploy/skaffold.yaml", 5),
        ),
        ("deploy/Dockerfile", "deploy", (), Span("deploy/skaffold.yaml", 17)),
    ]


def test_skaffold_artifacts_that_merge_shared_settings() -> None:
    # ``<<: *shared`` brings the context and Dockerfile in; the artifact's own keys win
    text = dedent(
        """\
        apiVersion: skaffold/v4beta6
        kind: Config
        build:
          artifacts:
            - &shared
              image: api
              context: services/api
              docker:
                dockerfile: build/Dockerfile
            - <<: *shared
              image: worker
              docker:
                dockerfile: build/worker.Dockerfile
        """
    )
    refs, _ = parse_build_yaml("skaffold.yaml", text)
    assert [(r.dockerfile, r.context) for (r,) in refs.commands] == [
        ("services/api/build/Dockerfile", "services/api"),
        ("services/api/build/worker.Dockerfile", "services/api"),
    ]


def test_yaml_that_is_neither_is_not_read_for_builds() -> None:
    assert not is_build_yaml("k8s/api.yaml", "apiVersion: v1\nkind: Service\n")
    assert not is_build_yaml(".github/dependabot.yml", "version: 2\n")


def test_broken_workflow_yaml_is_a_notice() -> None:
    refs, notice = parse_build_yaml(".github/workflows/x.yml", "jobs: [\n")
    assert refs.commands == ()
    assert notice is not None and notice.message.startswith("skipped: not valid YAML")
    assert notice.span == Span(".github/workflows/x.yml", 2)


def test_bad_shell_never_raises() -> None:
    for text in ('docker build "unterminated', "docker build $(((", "))) fi done }", "\\"):
        shell_builds("b.sh", text, ".", ".")


def test_values_of_the_wrong_shape_are_unknown_not_defaults() -> None:
    workflow = dedent(
        """\
        jobs:
          a:
            defaults: {run: {working-directory: [x]}}
            steps:
              - run: docker build .
              - uses: docker/build-push-action@v5
                with: [1]
              - uses: docker/build-push-action@v5
                with:
                  context: {a: 1}
              - uses: docker/build-push-action@v5
                with:
        """
    )
    refs, _ = parse_build_yaml(".github/workflows/x.yml", workflow)
    got = [(r.dockerfile, r.context) for (r,) in refs.commands]
    assert got == [(None, None), (None, None), (None, None), ("Dockerfile", ".")]
    skaffold = dedent(
        """\
        apiVersion: skaffold/v4beta6
        build:
          artifacts:
            - docker: {dockerfile: [1]}
              context: x
            - context: [1]
            - 3
        """
    )
    refs, _ = parse_build_yaml("skaffold.yaml", skaffold)
    assert [(r.dockerfile, r.context) for (r,) in refs.commands] == [(None, "x"), (None, None)]


@pytest.mark.parametrize("builtin", ["export", "local", "readonly", "declare"])
def test_a_bare_assignment_builtin_is_not_a_command(builtin: str) -> None:
    """``export`` alone lists the variables (a script found in jaeger has one): the
    script is still read, and its build found."""
    script = parse_script("build.sh", f"{builtin}\ndocker build -f Dockerfile .\n")
    (readings,) = script.commands
    assert {r.dockerfile for r in readings} == {"Dockerfile"}
