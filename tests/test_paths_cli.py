"""The paths `dockready check` reads, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import write_tree

from dockready.cli import cli

GO_MOD = "module example.com/api\n\ngo 1.22\n"
MAIN = "package main\n\nfunc main() {}\n"
# DR302: a base image with no tag
UNPINNED = (
    "FROM golang AS build\nWORKDIR /src\nCOPY . .\n"
    "RUN CGO_ENABLED=0 go build -o /out/api .\n"
    "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/api /api\n"
    'USER 65532:65532\nENTRYPOINT ["/api"]\n'
)


def found(*args: str) -> set[tuple[str, str]]:
    result = CliRunner().invoke(cli, ["check", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return {(f["id"], f["path"]) for f in json.loads(result.stdout)["findings"]}


def test_a_dockerfile_only_a_script_names_is_checked(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "main.go": MAIN,
            "deploy/api.img": UNPINNED,
            "scripts/release.sh": "#!/bin/sh\ndocker build -f deploy/api.img -t api .\n",
        },
    )
    assert ("DR302", "deploy/api.img") in found(str(tmp_path))
    # excluded: not read, even though a build command names it
    assert not {p for _, p in found(str(tmp_path), "--extend-exclude", "deploy")} & {
        "deploy/api.img"
    }


def test_a_shell_script_alone_is_not_something_to_check(tmp_path: Path) -> None:
    script = write_tree(tmp_path, {"build.sh": "docker build .\n"}) / "build.sh"
    result = CliRunner().invoke(cli, ["check", str(script)])
    assert result.exit_code == 2
    assert f"{script}: not a file dockready reads" in result.stderr
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert f"nothing to check under {tmp_path} (looked for Go sources" in result.stderr


def test_dr307_is_dropped_by_per_path_ignores(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "go.mod": GO_MOD,
            "main.go": MAIN,
            ".env": "TOKEN=x\n",
            ".dockerignore": ".git\n",
            "Dockerfile": UNPINNED,
        },
    )
    assert ("DR307", ".dockerignore") in found(str(tmp_path))
    (tmp_path / ".dockready.toml").write_text(
        '[[per-path-ignores]]\npaths = [".dockerignore"]\nignore = ["DR307"]\n'
    )
    assert ("DR307", ".dockerignore") not in found(str(tmp_path))
