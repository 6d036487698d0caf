"""DR225 unpinned-dependencies: the image build fetches Go dependencies at whatever version
they have that day (`go get`, `go install pkg@latest`, `go mod init`, GOPATH mode)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.docker import GoCommand
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_FLOATING = ("@latest", "@master", "@main")


def _get_problem(cmd: GoCommand) -> str | None:
    """``go get``: reported for remote packages (``./...`` reads the committed
    go.mod, except in GOPATH mode, where nothing does)."""
    rest = cmd.args[1:]
    pkgs = [a for a in rest if not a.startswith("-")]
    if not cmd.gopath:
        pkgs = [p for p in pkgs if not p.startswith((".", "/"))]
    if not pkgs:
        return None
    update = " -u" if "-u" in rest else ""
    return (
        f"go get{update} {pkgs[0]} fetches it at build time, at whatever version it has "
        "that day (no go.mod pins it): two builds of one commit differ"
        + ("; in GOPATH mode nothing records the versions" if cmd.gopath else "")
    )


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
    in GOPATH mode, `GO111MODULE=off`), `go install <pkg>@latest` (or `@master`, `@main`),
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
            reported: set[int] = set()  # one finding per RUN line
            # go mod init only matters when the stage then resolves dependencies.
            tidies = any(c.args[:1] == ("get",) or c.args[:2] == ("mod", "tidy")
                         for c in st.go_commands)  # fmt: skip
            for cmd in st.go_commands:
                if cmd.args[:1] == ("get",):
                    problem = _get_problem(cmd)
                elif cmd.args[:2] == ("mod", "init") and tidies:
                    problem = (
                        "go mod init in the Dockerfile makes a module file at build time: "
                        "the next go mod tidy/go build picks the newest dependency versions; "
                        "commit go.mod and go.sum instead"
                    )
                else:
                    problem = None
                if problem is not None and cmd.span.line not in reported:
                    reported.add(cmd.span.line)
                    yield Hit(cmd.span, problem)
            for gb in st.go_builds:
                floating = [t for t in gb.targets if gb.install and t.endswith(_FLOATING)]
                if floating and gb.span.line not in reported:
                    reported.add(gb.span.line)
                    yield Hit(
                        gb.span,
                        f"go install {floating[0]} installs whatever version is newest at "
                        "build time; pin a version (@v1.2.3)",
                    )
