"""Makefiles, read as far as a Dockerfile's RUN make needs."""

from __future__ import annotations

from dockready.model import Span
from dockready.parse.dockerfile import go_builds_in, parse_dockerfile
from dockready.parse.makefile import UNKNOWN, parse_makefile, recipe

MAKEFILE = """\
NAME ?= api
OUT := ./bin
LDFLAGS = -X main.version=$(shell git describe --tags)

.PHONY: all build
all: build

build: gen
\t@mkdir -p $(OUT)
\tCGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" \\
\t  -o $(OUT)/$(NAME) ./cmd/$(NAME)

gen:
\t-go generate ./...

%.o: %.c
\tcc -c $<
"""


def test_rules_variables_and_continuations() -> None:
    mf = parse_makefile("Makefile", MAKEFILE)
    assert [t.name for t in mf.targets] == [".PHONY", "all", "build", "gen"]
    build = mf.target("build")
    assert build is not None and build.prerequisites == ("gen",) and build.line == 8
    assert dict(mf.variables)["NAME"] == "api"
    assert mf.default is not None and mf.default.name == "all"


def test_recipe_runs_prerequisites_first_and_expands_variables() -> None:
    mf = parse_makefile("Makefile", MAKEFILE)
    lines = recipe(mf, "build", {})
    assert lines[0] == "go generate ./..."
    assert lines[-1].startswith("CGO_ENABLED=0 go build")
    assert "-o ./bin/api ./cmd/api" in lines[-1]
    # a make function is one inert word: its quotes cannot derail the shell reading
    assert f"main.version={UNKNOWN}" in lines[-1]
    # the command line wins over the Makefile
    assert "-o ./bin/web ./cmd/web" in recipe(mf, "build", {"NAME": "web"})[-1]
    assert recipe(mf, None, {})[-1] == lines[-1]  # the default goal: all -> build
    assert recipe(mf, "nope", {}) == []


def test_go_build_read_from_a_recipe() -> None:
    mf = parse_makefile("Makefile", MAKEFILE)
    span = Span("Dockerfile", 4)
    (gb,) = go_builds_in("\n".join(recipe(mf, "build", {})), {}, "/src", span)
    assert gb.targets == ("./cmd/api",)
    assert gb.output == "./bin/api"
    assert gb.cgo == "0"
    assert gb.span == span


def test_run_make_is_recorded_with_directory_and_variables() -> None:
    df = parse_dockerfile(
        "Dockerfile",
        "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN make -C svc NAME=web build && make\n"
        "RUN make -f other.mk build\n",
    )
    calls = df.stages[0].make_calls
    assert [(c.targets, c.workdir) for c in calls] == [(("build",), "/src/svc"), ((), "/src")]
    assert dict(calls[0].env)["NAME"] == "web"
