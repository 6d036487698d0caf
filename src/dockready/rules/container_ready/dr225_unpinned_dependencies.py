"""DR225 unpinned-dependencies: the image build fetches Go dependencies at whatever version
they have that day (`go get`, `go install pkg@latest`, `go mod init`, GOPATH mode)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import shell_words
from dockready.facts.docker import Instruction, Stage
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})


def _commands(run: Instruction) -> Iterator[list[str]]:
    """The simple commands of a RUN, as words (``A=b`` prefixes kept)."""
    scripts = [" ".join(run.value)] if run.json else [*run.value[:1], *run.heredocs]
    for script in scripts:
        cmd: list[str] = []
        for w in shell_words(script):
            if w in _SEPARATORS:
                if cmd:
                    yield cmd
                cmd = []
            else:
                cmd.append(w)
        if cmd:
            yield cmd


def _go_args(cmd: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """``GO111MODULE=off go get x`` -> ({"GO111MODULE": "off"}, ["get", "x"])."""
    env: dict[str, str] = {}
    i = 0
    while i < len(cmd) and "=" in cmd[i] and not cmd[i].startswith("-"):
        k, _, v = cmd[i].partition("=")
        env[k] = v
        i += 1
    if i < len(cmd) and cmd[i] == "env":
        return _go_args(cmd[i + 1 :])
    if i < len(cmd) and cmd[i].rsplit("/", 1)[-1] == "go":
        return env, cmd[i + 1 :]
    return None


def _packages(args: list[str]) -> list[str]:
    return [a for a in args if not a.startswith("-")]


def _problem(stage: Stage, env: dict[str, str], args: list[str], fetches: bool) -> str | None:
    if not args:
        return None
    verb, rest = args[0], args[1:]
    pkgs = _packages(rest)
    gopath = (env.get("GO111MODULE") or stage.getenv("GO111MODULE") or "").lower() == "off"
    if verb == "get" and not gopath:
        pkgs = [p for p in pkgs if not p.startswith((".", "/"))]  # the module's own
    if verb == "get" and pkgs:
        update = " -u" if "-u" in rest else ""
        return (
            f"go get{update} {pkgs[0]} fetches it at build time, at whatever version it "
            "has that day (no go.mod pins it): two builds of one commit differ"
            + ("; in GOPATH mode nothing records the versions" if gopath else "")
        )
    if verb == "install" and pkgs:
        floating = [p for p in pkgs if p.endswith("@latest") or p.endswith("@master")]
        if floating:
            return (
                f"go install {floating[0]} installs whatever version is newest at build "
                "time; pin a version (@v1.2.3)"
            )
    if verb == "mod" and rest[:1] == ["init"] and fetches:
        return (
            "go mod init in the Dockerfile makes a module file at build time: the next "
            "go mod tidy/go build picks the newest dependency versions; commit go.mod "
            "and go.sum instead"
        )
    return None


@rule(
    id="DR225",
    name="unpinned-dependencies",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def unpinned_dependencies(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Dockerfile `RUN` commands that fetch Go code at whatever version it has on
    the day of the build: `go get <pkg>` (with or without `-u`; `go get ./...` only
    in GOPATH mode, `GO111MODULE=off`), `go install <pkg>@latest` (or `@master`),
    and `go mod init` followed by `go mod tidy` or `go get`, which makes a module
    file inside the build and fills it with the newest versions instead of using the
    committed one. The finding is on the `RUN` line. A `go mod init` of a program
    that needs nothing but the standard library fetches nothing and is not reported.

    Decisions: `go install <pkg>@v1.2.3` is pinned and `go install ./cmd/x` builds
    the context's own code; neither is reported. `go mod download` reads the
    committed go.mod and is not reported (a missing go.sum is DR205's).

    ## Why is this bad?
    The same commit builds a different binary on different days: a dependency's new
    release (or a deleted one) breaks or changes the image without any change in
    the repository, and nothing records which versions went into a release. In
    GOPATH mode there is no go.sum either, so a tampered module goes unnoticed.

    ## Example
    ```dockerfile
    RUN go get -u github.com/acme/tool && go build -o /app .
    ```

    ## Use instead
    ```dockerfile
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN go build -o /app .
    # a tool at a fixed version:
    RUN go install github.com/acme/tool@v1.4.0
    ```

    ## Fix safety
    Needs a go.mod (go mod init, go mod tidy, commit go.mod and go.sum) for code still
    built in GOPATH mode.

    ## References
    - [Go modules reference: go get, go install](https://go.dev/ref/mod#go-get)
    - [Go 1.17: go get no longer builds packages](https://go.dev/doc/go1.17#go-get)
    """
    for df in ctx.index.dockerfiles:
        for st in df.stages:
            runs = [
                (inst, go)
                for inst in st.instructions
                if inst.cmd == "RUN"
                for go in (_go_args(c) for c in _commands(inst))
                if go is not None
            ]
            # go mod init only matters when the stage then resolves dependencies.
            fetches = any(a[:1] == ["get"] or a[:2] == ["mod", "tidy"] for _, (_, a) in runs)
            done: set[int] = set()
            for inst, (env, args) in runs:
                if id(inst) in done:
                    continue
                problem = _problem(st, env, args, fetches)
                if problem is not None:
                    done.add(id(inst))
                    yield Hit(inst.span, problem)
