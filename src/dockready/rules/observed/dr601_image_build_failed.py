"""DR601 image-build-failed: the image does not build."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity, Span
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(id="DR601", name="image-build-failed", severity=Severity.ERROR, reads=(Input.RUNTIME,))
def image_build_failed(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Builds the service's image from the Dockerfile that `check` joins to it, with its
    build context, through BuildKit (`docker buildx build`, or `docker build` with
    `DOCKER_BUILDKIT=1`), and reports a failed build on the failing instruction's
    line, with the step and the tail of the build log.

    ## Why is this bad?
    A Dockerfile that does not build blocks the whole migration, and the reason is
    often something the linter cannot see: a module download that needs credentials,
    a `COPY` of a file the `.dockerignore` excludes, a cgo build on an image with no
    C compiler.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    COPY . .
    RUN CGO_ENABLED=1 go build -o /app .   # the builder has no gcc
    ```

    ## Use instead
    Fix the step the finding names; `dockready verify --keep` leaves the build cache
    and the log for a closer look.

    ## References
    - [Docker: BuildKit](https://docs.docker.com/build/buildkit/)
    """
    obs = observation(ctx)
    if obs is None or obs.build is None or obs.build.ok:
        return
    b = obs.build
    path = obs.dockerfile or obs.anchor.path
    span = Span(path, b.line) if b.line else obs.anchor
    step = f" at {b.step}" if b.step else ""
    tail = " | ".join(ln.strip() for ln in b.log_tail.splitlines()[-4:] if ln.strip())
    yield Hit(
        span,
        f"the image does not build{step} ({b.seconds:.1f} s): {tail[:500]}",
        service=obs.service,
    )
