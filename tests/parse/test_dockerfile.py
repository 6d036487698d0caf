"""Behaviour of the Dockerfile parser: stages, substitution, inheritance, go builds,
and bad input (which must become an error with a line, never an exception)."""

from __future__ import annotations

import random
import time
from textwrap import dedent

import pytest

from dockready.facts.docker import Dockerfile, GoBuild, Stage
from dockready.parse.dockerfile import expand, parse_dockerfile


def parse(text: str) -> Dockerfile:
    d = parse_dockerfile("svc/Dockerfile", dedent(text).lstrip("\n"))
    assert d.error is None, d.error_message
    return d


def only_build(stage: Stage) -> GoBuild:
    assert len(stage.go_builds) == 1, stage.go_builds
    return stage.go_builds[0]


def one_build(text: str) -> GoBuild:
    d = parse(text)
    assert d.final is not None
    return only_build(d.final)


# --------------------------------------------------------------------------- FROM and ARG


def test_global_arg_resolves_from() -> None:
    d = parse(
        """
        ARG GO_VERSION=1.22
        ARG DISTRO=alpine
        FROM golang:${GO_VERSION}-${DISTRO} AS build
        FROM --platform=$BUILDPLATFORM gcr.io/distroless/static:${TAG:-nonroot}
        """
    )
    assert d.global_args == (("GO_VERSION", "1.22"), ("DISTRO", "alpine"))
    build, final = d.stages
    assert build.base == "golang:${GO_VERSION}-${DISTRO}"
    assert build.base_resolved == "golang:1.22-alpine"
    assert build.name == "build"
    assert final.base_resolved == "gcr.io/distroless/static:nonroot"
    assert final.platform == "$BUILDPLATFORM"  # unknown built-in arg: left as written
    assert final.name is None and final.label == "1"


def test_unknown_arg_is_left_as_written() -> None:
    d = parse("ARG BASE\nFROM ${BASE}\n")
    assert d.stages[0].base_resolved == "${BASE}"
    assert d.global_args == (("BASE", None),)


def test_global_arg_default_can_use_earlier_arg() -> None:
    d = parse("ARG V=1.22\nARG IMG=golang:$V\nFROM $IMG\n")
    assert d.stages[0].base_resolved == "golang:1.22"


def test_from_stage_sets_parent_case_insensitively() -> None:
    d = parse(
        """
        FROM golang:1.22 AS Base
        FROM base AS test
        FROM alpine:3.20
        """
    )
    assert d.stages[1].parent == 0
    assert d.stages[2].parent is None
    assert d.external_base(d.stages[1]) == "golang:1.22"


def test_lowercase_instructions_are_upper_cased() -> None:
    d = parse("from alpine:3.20\nrun echo hi\n")
    assert [i.cmd for i in d.stages[0].instructions] == ["FROM", "RUN"]


# --------------------------------------------------------------------------- stage state


def test_multi_stage_copy_from() -> None:
    d = parse(
        """
        FROM golang:1.22 AS build
        WORKDIR /src
        COPY go.mod go.sum ./
        RUN go mod download
        COPY . .
        RUN go build -o /out/app ./cmd/app

        FROM gcr.io/distroless/static:nonroot
        COPY --from=build --chown=65532:65532 --chmod=0755 /out/app /app
        ENTRYPOINT ["/app"]
        """
    )
    build, final = d.stages
    assert [c.dest for c in build.copies] == ["/src/", "/src/"]
    assert build.copies[0].sources == ("go.mod", "go.sum")
    assert build.mod_downloads[0].line == 4
    (copy,) = final.copies
    assert copy.from_stage == "build" and d.stage(copy.from_stage) is build
    assert copy.chown == "65532:65532" and copy.chmod == "0755"
    assert copy.sources == ("/out/app",) and copy.dest == "/app"
    assert final.entrypoint is not None and final.entrypoint.json
    assert final.entrypoint.value == ("/app",)


def test_copy_exec_form_and_add() -> None:
    d = parse(
        """
        FROM alpine:3.20
        WORKDIR /app
        COPY ["conf dir/a.yaml", "b.yaml", "conf/"]
        ADD https://example.com/x.tgz .
        """
    )
    exec_copy, add = d.stages[0].copies
    assert exec_copy.sources == ("conf dir/a.yaml", "b.yaml")
    assert exec_copy.dest == "/app/conf/"
    assert add.is_add and add.dest == "/app/"


def test_parent_stage_inheritance_of_user_env_workdir() -> None:
    d = parse(
        """
        FROM alpine:3.20 AS base
        ENV APP_ENV=prod PORT=8080
        USER 10001
        WORKDIR /srv
        CMD ["/srv/app"]

        FROM base AS final
        ENV PORT=9090
        WORKDIR data
        """
    )
    base, final = d.stages
    assert final.parent == 0
    assert final.getenv("APP_ENV") == "prod"
    assert final.getenv("PORT") == "9090"
    assert base.getenv("PORT") == "8080"
    assert final.user == "10001" and final.user_span == base.user_span
    assert final.user_span is not None and final.user_span.line == 3
    assert final.workdir == "/srv/data"
    assert final.cmd is not None and final.cmd.span.line == 5
    assert dict(final.env_spans)["PORT"].line == 8
    assert dict(final.env_spans)["APP_ENV"].line == 2


def test_unrelated_stage_inherits_nothing() -> None:
    d = parse("FROM alpine:3.20 AS a\nUSER app\nENV X=1\nFROM alpine:3.20\n")
    assert d.stages[1].user is None and d.stages[1].env == ()


def test_env_forms_and_quotes() -> None:
    d = parse(
        """
        FROM alpine:3.20
        ENV A=1 B="two words" C='single $A' D=a\\ b
        ENV LEGACY value with spaces
        ENV E=$A F="${A}x" G=${MISSING:-dflt} H=$UNKNOWN
        ENV A=2 I=$A
        """
    )
    env = dict(d.stages[0].env)
    assert env["A"] == "2"
    assert env["B"] == "two words"
    assert env["C"] == "single $A"
    assert env["D"] == "a b"
    assert env["LEGACY"] == "value with spaces"
    assert (env["E"], env["F"], env["G"], env["H"]) == ("1", "1x", "dflt", "$UNKNOWN")
    assert env["I"] == "1"  # one ENV sees the values from before it


def test_stage_args_env_precedence_and_substitution() -> None:
    d = parse(
        """
        ARG GO=1.22
        ARG PORT=8080
        FROM golang:${GO}
        ARG GO
        ARG PORT=9000 APP_USER=app
        ARG NOVALUE
        ENV PORT=7000
        EXPOSE ${PORT} 9090/udp 8000-8010 $NOVALUE
        USER ${APP_USER}
        WORKDIR /home/${APP_USER}
        """
    )
    (st,) = d.stages
    assert dict(st.args) == {"GO": "1.22", "PORT": "9000", "APP_USER": "app", "NOVALUE": None}
    assert [(e.port, e.protocol) for e in st.exposes] == [
        (7000, "tcp"),
        (9090, "udp"),
        (None, "tcp"),
        (None, "tcp"),
    ]
    assert st.exposes[3].text == "$NOVALUE"
    assert st.user == "app" and st.workdir == "/home/app"


def test_cmd_shell_vs_exec_and_entrypoint_reset() -> None:
    d = parse(
        """
        FROM alpine:3.20 AS base
        CMD ["serve"]
        FROM base AS a
        ENTRYPOINT /app --flag
        FROM base AS b
        CMD /app serve
        ENTRYPOINT ["/app"]
        """
    )
    base, a, b = d.stages
    assert base.cmd is not None and base.cmd.json and base.cmd.value == ("serve",)
    assert a.entrypoint is not None and not a.entrypoint.json
    assert a.entrypoint.value == ("/app --flag",)
    assert a.cmd is None  # ENTRYPOINT drops the inherited CMD
    assert b.cmd is not None and not b.cmd.json and b.cmd.value == ("/app serve",)


def test_healthcheck_last_wins_and_none_kept() -> None:
    d = parse(
        """
        FROM alpine:3.20
        HEALTHCHECK --interval=5s CMD ["wget", "-qO-", "http://localhost:8080/healthz"]
        HEALTHCHECK NONE
        """
    )
    st = d.stages[0]
    assert st.healthcheck is not None and st.healthcheck.value == ("NONE",)
    first = next(i for i in st.instructions if i.cmd == "HEALTHCHECK")
    assert first.json and first.value[0] == "CMD" and first.flag("interval") == "5s"


def test_instruction_spans_start_lines() -> None:
    d = parse(
        """
        FROM alpine:3.20

        RUN apk add --no-cache curl \\
            tzdata
        USER 65532
        """
    )
    lines = [(i.cmd, i.span.line, i.span.col) for i in d.stages[0].instructions]
    assert lines == [("FROM", 1, 1), ("RUN", 3, 1), ("USER", 5, 1)]
    assert d.stages[0].instructions[0].span.path == "svc/Dockerfile"


# --------------------------------------------------------------------------- go builds


def test_inline_env_and_flags() -> None:
    b = one_build(
        """
        FROM golang:1.22
        ENV GOPROXY=direct
        WORKDIR /src
        RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -tags netgo,osusergo \\
              -mod=vendor -buildvcs=false -o /out/app ./cmd/app
        """
    )
    assert b.cgo == "0" and b.getenv("GOOS") == "linux" and b.getenv("GOPROXY") == "direct"
    assert b.ldflags == "-s -w" and b.trimpath and b.mod == "vendor"
    assert b.tags == "netgo,osusergo" and b.buildvcs == "false"
    assert b.output == "/out/app" and b.targets == ("./cmd/app",)
    assert b.workdir == "/src" and not b.install
    assert b.span.line == 4


def test_ldflags_split_forms() -> None:
    for flag in ('-ldflags "-s -w"', "-ldflags '-s -w'", '--ldflags="-s -w"', '-ldflags="-s -w"'):
        b = one_build(f"FROM golang:1.22\nRUN go build {flag} -o app .\n")
        assert b.ldflags == "-s -w", flag
        assert b.output == "app" and b.targets == (".",), flag


def test_double_dash_and_bool_flags() -> None:
    b = one_build("FROM golang:1.22\nRUN go build --o=/bin/x -a -v -race --trimpath ./...\n")
    assert b.output == "/bin/x" and b.trimpath and b.targets == ("./...",)


def test_default_target_and_buildmode() -> None:
    b = one_build("FROM golang:1.22\nRUN go build -buildmode=pie\n")
    assert b.targets == (".",) and b.buildmode == "pie" and b.output is None


def test_export_and_env_command() -> None:
    d = parse(
        """
        FROM golang:1.22
        RUN export CGO_ENABLED=0 GOFLAGS=-mod=vendor && go build -o /a ./a && \\
            env CGO_ENABLED=1 GOARCH=arm64 go build -o /b ./b
        RUN go build -o /c ./c
        """
    )
    a, b, c = d.stages[0].go_builds
    assert a.cgo == "0" and a.mod == "vendor"  # GOFLAGS supplies -mod
    assert b.cgo == "1" and b.getenv("GOARCH") == "arm64" and b.mod == "vendor"
    assert c.cgo is None  # an export does not outlive its RUN
    assert (a.span.line, b.span.line, c.span.line) == (2, 3, 4)


def test_explicit_mod_beats_goflags() -> None:
    b = one_build("FROM golang:1.22\nENV GOFLAGS=-mod=vendor\nRUN go build -mod=mod .\n")
    assert b.mod == "mod"


def test_stage_env_and_arg_defaults_reach_build() -> None:
    b = one_build(
        """
        FROM golang:1.22
        ARG CGO_ENABLED=0
        ARG TARGETARCH
        ENV GOFLAGS=-buildvcs=false
        RUN GOARCH=$TARGETARCH go build .
        """
    )
    assert b.cgo == "0" and b.buildvcs == "false"
    assert b.getenv("GOARCH") == "$TARGETARCH"  # unknown: left as written
    assert b.getenv("TARGETARCH") is None


def test_env_set_after_run_does_not_apply() -> None:
    b = one_build("FROM golang:1.22\nRUN go build .\nENV CGO_ENABLED=0\n")
    assert b.cgo is None


def test_heredoc_run_with_go_build() -> None:
    d = parse(
        """
        FROM golang:1.22-alpine
        WORKDIR /src
        RUN --mount=type=cache,target=/go/pkg/mod <<EOF
        set -eux
        go mod download   # fetch modules
        export CGO_ENABLED=0
        cd cmd/server
        go build -o /out/server .
        EOF
        """
    )
    st = d.stages[0]
    b = only_build(st)
    assert b.cgo == "0" and b.workdir == "/src/cmd/server" and b.output == "/out/server"
    assert b.span.line == 8
    assert [s.line for s in st.mod_downloads] == [3]


def test_heredoc_that_is_a_file_is_not_run() -> None:
    d = parse(
        """
        FROM golang:1.22
        RUN cat <<EOF > /build.sh
        go build -o /x .
        EOF
        """
    )
    assert d.stages[0].go_builds == ()


def test_go_via_path_install_and_sh_c() -> None:
    d = parse(
        """
        FROM golang:1.22
        RUN /usr/local/go/bin/go install -ldflags "-s -w" ./cmd/tool@latest
        RUN ["sh", "-c", "CGO_ENABLED=0 go build -o /x ./x"]
        RUN ["go", "build", "-o", "/y", "./y"]
        RUN sh -c 'go build -o /z ./z' # comment with go build
        """
    )
    tool, x, y, z = d.stages[0].go_builds
    assert tool.install and tool.ldflags == "-s -w" and tool.targets == ("./cmd/tool@latest",)
    assert x.cgo == "0" and x.output == "/x"
    assert y.output == "/y" and y.targets == ("./y",)
    assert z.output == "/z"


def test_commands_split_on_operators() -> None:
    d = parse(
        "FROM golang:1.22\nRUN go vet ./... ; go build -o a . || true && go test ./... | tee log\n"
    )
    (b,) = d.stages[0].go_builds
    assert b.output == "a" and b.targets == (".",)
    assert b.command == "go build -o a ."


def test_redirections_are_not_targets() -> None:
    b = one_build("FROM golang:1.22\nRUN go build -o app ./cmd 2>&1 > /tmp/log\n")
    assert b.targets == ("./cmd",)


def test_go_mod_download_spans() -> None:
    d = parse("FROM golang:1.22\nCOPY go.* ./\nRUN go mod download -x\nRUN go mod tidy\n")
    assert [s.line for s in d.stages[0].mod_downloads] == [3]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("FROM alpine:3.20\nRUN echo hi\nFOO bar\n", 3, "unknown instruction"),
        ("FROM alpine\nRUN echo 'unterminated\nnext'\n", 3, "unknown instruction"),
        ("", 1, "empty"),
        ("# only a comment\n\n", 1, "empty"),
        ("RUN echo hi\n", 1, "before the first FROM"),
        ("ARG X=1\n", 1, "no FROM"),
        ("FROM alpine\nCOPY onlyone\n", 2, "COPY"),
        ("FROM a b\n", 1, "FROM"),
        ("FROM alpine\nHEALTHCHECK CURL x\n", 2, "HEALTHCHECK"),
        ("FROM alpine\nENV A=1\nENV B\n", 3, "ENV"),
        ("FROM alpine\nRUN true\nRUN <<EOF\necho\n", 3, "heredoc"),
    ],
)
def test_bad_dockerfiles_report_a_line(text: str, line: int, fragment: str) -> None:
    d = parse_dockerfile("Dockerfile", text)
    assert d.error is not None, d
    assert d.error.line == line and d.error.path == "Dockerfile"
    assert fragment.lower() in d.error_message.lower()
    assert "\n" not in d.error_message
    assert d.stages == ()


def test_garbage_never_raises() -> None:
    rng = random.Random(7)
    alphabet = "FROMRUNCOPYENV ARG=$\"{}\\\n<<EOF-'#:/ .go build"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        d = parse_dockerfile("Dockerfile", "FROM a\n" + text)
        assert d.error is not None or d.stages


def test_parses_fast() -> None:
    text = dedent(
        """
        ARG GO=1.22
        FROM golang:${GO}-alpine AS build
        WORKDIR /src
        COPY go.mod go.sum ./
        RUN --mount=type=cache,target=/go/pkg/mod go mod download
        COPY . .
        RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app
        FROM gcr.io/distroless/static:nonroot
        COPY --from=build /out/app /app
        EXPOSE 8080
        USER 65532:65532
        ENTRYPOINT ["/app"]
        """
    )
    parse_dockerfile("Dockerfile", text)
    start = time.perf_counter()
    for _ in range(200):
        parse_dockerfile("Dockerfile", text)
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------- expand


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("plain", "plain"),
        ("$A/${A}", "1/1"),
        ("${A:-x}${E:-y}${E-z}${U:-d}", "1yd"),
        ("${A:+set}${U:+set}", "set${U:+set}"),
        ("'$A'\"$A\"", "$A1"),
        ('"a\\"b"', 'a"b'),
        ("\\$A", "$A"),
        ("$U ${U}", "$U ${U}"),
        ("${A#x}", "${A#x}"),
    ],
)
def test_expand(word: str, expected: str) -> None:
    assert expand(word, {"A": "1", "E": ""}) == expected


def test_backtick_escape_directive() -> None:
    d = parse("# escape=`\nFROM alpine\nENV P=C:`\\app\n")
    assert d.stages[0].getenv("P") == "C:\\app"


def test_go_commands_that_resolve_dependencies() -> None:
    # go get / go mod init / go mod tidy, through env prefixes, ENV and sh -c; with
    # the GOPATH mode each one runs in. go build and go mod download are not among them.
    d = parse(
        dedent(
            """\
            FROM golang:1.22
            ENV GO111MODULE=off
            RUN go get -u example.com/tool && go build -o /app .
            RUN GO111MODULE=on sh -c "go mod init x && go mod tidy" && go mod download
            """
        )
    )
    got = [(c.span.line, c.args, c.gopath) for c in d.stages[0].go_commands]
    assert got == [
        (3, ("get", "-u", "example.com/tool"), True),
        (4, ("mod", "init", "x"), False),
        (4, ("mod", "tidy"), False),
    ]
