"""DR603 image-too-large: the image is over its size budget."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.model import Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, option, rule
from dockready.schema import Number


@dataclass(frozen=True, slots=True)
class Options:
    budget_mb: float = option(
        50, Number(minimum=1), "the largest image, in MB (10^6 bytes), that passes"
    )


@rule(
    id="DR603",
    name="image-too-large",
    severity=Severity.WARNING,
    reads=(Input.RUNTIME,),
    options=Options,
)
def image_too_large(ctx: Context[Options]) -> Iterator[Hit]:
    """
    ## What it does
    Reports an image larger than the budget (`budget-mb`, default 50 MB: a static Go
    service on `distroless/static` is 10-30 MB), with its measured size.

    ## Why is this bad?
    Every node pulls the image before the pod starts: a 900 MB image with the whole
    Go toolchain slows every rollout and scale-out, costs registry storage and
    carries hundreds of packages a scanner will flag.

    ## Example
    ```dockerfile
    FROM golang:1.22
    COPY . .
    RUN go build -o /app .
    CMD ["/app"]
    ```

    ## Use instead
    A multi-stage build that copies only the binary into a small base.

    ## References
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    """
    obs = observation(ctx)
    if obs is None or obs.image is None or not obs.image.size:
        return
    mb = obs.image.size / 1e6
    if mb > ctx.options.budget_mb:
        yield Hit(
            obs.anchor,
            f"the image is {mb:.1f} MB, over the budget of {ctx.options.budget_mb:g} MB",
            service=obs.service,
        )
