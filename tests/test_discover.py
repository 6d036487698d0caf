"""Discovery: which files are read and as what; Dockerfiles named by build commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tree

from dockready.config import Config, load_config
from dockready.discover import Kind, classify, discover
from dockready.engine import UsageError, load_project

GO_MOD = "module example.com/api\n\ngo 1.22\n"
MAIN = "package main\n\nfunc main() {}\n"
DOCKERFILE = (
    "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\n"
    "RUN CGO_ENABLED=0 go build -o /out/api .\n"
    "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/api /api\n"
)


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "dockerfile",
        "Dockerfile.api",
        "Dockerfile-counter",
        "dockerfile-api",
        "Dockerfile_worker",
        "api.Dockerfile",
        "api.dockerfile",
        "Containerfile",
        "Containerfile.ci",
        "containerfile-dev",
    ],
)
def test_every_dockerfile_name(name: str) -> None:
    assert classify(f"deploy/{name}") is Kind.DOCKERFILE


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Dockerfile.md", None),
        ("Dockerfile.tmpl", None),
        ("dockerfile.go", Kind.GO),
        ("Dockerfile.sh", Kind.SCRIPT),
        ("Dockerfile.dockerignore", Kind.DOCKERIGNORE),
        ("api.dockerignore", Kind.DOCKERIGNORE),
        ("Dockerfile.yaml", Kind.YAML),
        ("docker.mk", Kind.MAKEFILE),
        ("build.sh", Kind.SCRIPT),
        ("dockerfiles.txt", None),
    ],
)
def test_names_that_are_not_dockerfiles(name: str, kind: Kind | None) -> None:
    assert classify(f"deploy/{name}") is kind


def test_default_excludes_are_not_read_at_all(tmp_path: Path) -> None:
    write_tree(tmp_path, {"go.mod": GO_MOD, "main.go": MAIN})
    for d in ("node_modules/x", ".venv", "venv", "__pycache__", ".idea", ".terraform", ".cache"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "Dockerfile").write_bytes(b"FROM x\n\xff\xfe\x00 not text")
    files, notices = discover(tmp_path, [tmp_path])
    assert [f.rel for f in files] == ["go.mod", "main.go"]
    assert notices == []  # not even opened


def test_a_file_named_on_the_command_line_is_read_even_when_excluded(tmp_path: Path) -> None:
    write_tree(tmp_path, {"gen/Dockerfile": "FROM alpine:3.19\n", "go.mod": GO_MOD})
    excluded = Config(extend_exclude=("gen",)).excluder(tmp_path)
    assert [f.rel for f in discover(tmp_path, [tmp_path], excluded)[0]] == ["go.mod"]
    named = tmp_path / "gen" / "Dockerfile"
    assert [f.rel for f in discover(tmp_path, [named], excluded)[0]] == ["gen/Dockerfile"]


def test_test_files_and_testdata_are_not_read(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "main.go": MAIN,
            "main_test.go": "package main\n",
            "testdata/Dockerfile": "FROM x\n",
            "vendor/example.com/y/Dockerfile": "FROM x\n",
        },
    )
    assert [f.rel for f in discover(tmp_path, [tmp_path])[0]] == ["go.mod", "main.go"]


def test_a_tree_of_shell_scripts_only_has_nothing_to_check(tmp_path: Path) -> None:
    write_tree(tmp_path, {"build.sh": "docker build .\n"})
    with pytest.raises(UsageError, match="nothing to check under"):
        load_project([str(tmp_path)])


# ------------------------------------------------------------- build commands elsewhere

APP = {"go.mod": GO_MOD, "main.go": MAIN}


def context_of(root: Path, dockerfile: str) -> str:
    ix = load_project([str(root)]).index
    assert dockerfile in ix.builds, f"{dockerfile} was not read as a Dockerfile"
    return ix.builds[dockerfile].context


def test_compose_names_a_dockerfile_of_any_name(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **APP,
            "build/api.img": DOCKERFILE,
            "compose.yaml": "services:\n  api:\n    build:\n      context: .\n"
            "      dockerfile: build/api.img\n",
        },
    )
    assert context_of(tmp_path, "build/api.img") == "."


def test_a_script_docker_build_sets_the_context(tmp_path: Path) -> None:
    # the script may run from the top or from scripts/: only deploy/Dockerfile-api
    # exists, so it runs from the top and the context is the repository
    write_tree(
        tmp_path,
        {
            **APP,
            "deploy/Dockerfile-api": DOCKERFILE,
            "scripts/build.sh": "#!/bin/sh\nset -e\ndocker build -f deploy/Dockerfile-api .\n",
        },
    )
    assert context_of(tmp_path, "deploy/Dockerfile-api") == "."


def test_a_script_that_moves_to_its_own_folder(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "api/go.mod": GO_MOD,
            "api/main.go": MAIN,
            "api/build/api.image": DOCKERFILE,
            "api/build/make-image.sh": 'cd "$(dirname "$0")/.."\n'
            "docker build --file build/api.image --build-arg V=1 .\n",
        },
    )
    assert context_of(tmp_path, "api/build/api.image") == "api"


def test_an_included_makefile_fragment(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **APP,
            "ops/api.dockerfile.in": DOCKERFILE,
            "Makefile": "include mk/docker.mk\n",
            "mk/docker.mk": "DF := ops/api.dockerfile.in\nimage:\n\tdocker build -f $(DF) .\n",
        },
    )
    assert context_of(tmp_path, "ops/api.dockerfile.in") == "."


def test_a_github_workflow_step(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "svc/go.mod": GO_MOD,
            "svc/main.go": MAIN,
            "docker/svc.Dockerfile": DOCKERFILE,
            ".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n"
            "      - run: docker build -f docker/svc.Dockerfile svc\n",
        },
    )
    assert context_of(tmp_path, "docker/svc.Dockerfile") == "svc"


def test_build_push_action(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "svc/go.mod": GO_MOD,
            "svc/main.go": MAIN,
            "svc/image.build": DOCKERFILE,
            ".github/workflows/release.yaml": "on: push\njobs:\n  b:\n    runs-on: x\n"
            "    steps:\n      - uses: docker/build-push-action@v6\n        with:\n"
            "          context: svc\n          file: svc/image.build\n",
        },
    )
    assert context_of(tmp_path, "svc/image.build") == "svc"


def test_skaffold_artifact(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **APP,
            "hack/api.docker": DOCKERFILE,
            "skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n"
            "  artifacts:\n    - image: api\n      docker:\n        dockerfile: hack/api.docker\n",
        },
    )
    assert context_of(tmp_path, "hack/api.docker") == "."


def test_a_named_file_is_not_read_when_excluded_or_of_another_kind(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **APP,
            "gen/api.img": DOCKERFILE,
            "values.yaml": "a: 1\n",
            "build.sh": "docker build -f gen/api.img .\ndocker build -f values.yaml .\n"
            "docker build -f missing.img .\n",
            ".dockready.toml": 'extend-exclude = ["gen"]\n',
        },
    )
    project = load_project([str(tmp_path)], load_config(tmp_path / ".dockready.toml"))
    assert not project.index.builds
    assert not project.notices
    # named on the command line, a Markdown file is a Dockerfile all the same
    (tmp_path / "build.sh").write_text("docker build -f notes.md .\n")
    (tmp_path / "notes.md").write_text(DOCKERFILE)
    assert context_of(tmp_path, "notes.md") == "."
