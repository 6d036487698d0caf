"""DR301 single-stage-build: the final image is a Go toolchain image (the compiler ships)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.image import (
    builds,
    final_base,
    from_text,
    is_devcontainer,
    shell_words,
)
from dockready.facts.docker import Dockerfile, Stage
from dockready.facts.images import lookup
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


def _builds_go(df: Dockerfile, final: Stage) -> bool:
    """Does the Dockerfile build Go, or run ``go`` as the container's command?"""
    if any(st.go_builds for st in df.stages):
        return True
    for inst in (final.cmd, final.entrypoint):
        if inst is None or not inst.value:
            continue
        words = list(inst.value) if inst.json else shell_words(inst.value[0])
        if words and posixpath.basename(words[0]) == "go":
            return True
    return False


@rule(
    id="DR301",
    name="single-stage-build",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def single_stage_build(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Dockerfiles whose final image is a Go toolchain image (`golang`,
    `golang:*-alpine`, or a stage built `FROM` one): the compiler, the module cache
    and the sources ship to production. The finding is on the final `FROM`.

    Decisions: only Dockerfiles that build Go (a `go build`/`go install` in some
    stage) or run `go` in their `CMD`/`ENTRYPOINT` are checked, and Dockerfiles under
    `.devcontainer/` are skipped: a development image is meant to carry the toolchain.

    ## Why is this bad?
    A `golang` image is about 800 MB against a few MB for the binary on
    `distroless/static`: slower pulls on every node and every scale-up, and hundreds
    of packages (gcc, git, a shell, curl) that a scanner reports and an attacker can
    use. The sources and any secret copied for the build are in the image too.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN go build -o /app ./cmd/server
    CMD ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /app ./cmd/server

    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Fix safety
    A static binary (`CGO_ENABLED=0`) runs on `distroless/static`; a cgo binary needs
    `distroless/base` or a matching libc. Anything the container ran from the
    toolchain image (a shell in a probe, `go run`) must be replaced.

    ## References
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    - [Distroless images](https://github.com/GoogleContainerTools/distroless)
    """
    ix = ctx.index
    for b in builds(ix):
        df = b.dockerfile
        if is_devcontainer(df):
            continue
        info = lookup(final_base(b))
        if info is None or not info.image.go:
            continue
        if not _builds_go(df, b.final):
            continue
        yield Hit(
            b.final.span,
            f"the final image is the Go toolchain image {from_text(df.lineage(b.final)[-1])}: "
            "the compiler and the sources ship to production; copy the binary into a "
            "runtime stage (distroless/static, scratch)",
        )
