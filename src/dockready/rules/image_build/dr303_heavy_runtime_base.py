"""DR303 heavy-runtime-base: a static binary on a full distribution, not distroless or scratch."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.build import cgo_enabled
from dockready.facts.derived.image import final_runs, shell_wrapper
from dockready.facts.docker import SHELLS
from dockready.facts.images import parse_ref
from dockready.facts.index import Build
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_NEEDS_DISTRO = frozenset({"os/exec"})

#: Debugging toolboxes: hundreds of MB of network tools and a shell, never a runtime.
_TOOLBOXES = frozenset({"nicolaka/netshoot", "praqma/network-multitool", "wbitt/network-multitool"})


def _static_build(b: Build) -> str | None:
    """Why the service's binary is static (``"CGO_ENABLED=0"``...), or None."""
    gb, st = b.go_build, b.build_stage
    if gb is None or st is None:
        return None
    if gb.ldflags is not None and "-static" in gb.ldflags:
        return "-extldflags -static"
    if cgo_enabled(b.dockerfile, st, gb) is not False:
        return None
    if gb.cgo is not None:
        return f"CGO_ENABLED={gb.cgo.strip()}"
    return f"cgo is off: {b.dockerfile.external_base(st)} has no C compiler"


def _final_needs_distro(b: Build) -> bool:
    """Does the final stage use the distribution (RUN, a shell, a HEALTHCHECK, a script)?"""
    if any(True for _ in final_runs(b)):
        return True
    f = b.final
    if f.healthcheck is not None and f.healthcheck.value[:1] != ("NONE",):
        return True
    for inst in (f.cmd, f.entrypoint):
        if inst is None or not inst.value:
            continue
        if not inst.json or shell_wrapper(inst) is not None:
            return True
        head = posixpath.basename(inst.value[0])
        if head in SHELLS or head.endswith(".sh"):
            return True
    return False


@rule(
    id="DR303",
    name="heavy-runtime-base",
    severity=Severity.INFO,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def heavy_runtime_base(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose final image is a full distribution (`debian`, `ubuntu`,
    `ubi`, `alpine`...) although the binary built for it is static, and suggests
    `gcr.io/distroless/static` or `scratch`. The finding is on the final `FROM`.

    Decisions: the binary counts as static when the `go build` feeding the final
    image links with `-extldflags -static`, or cgo is off for it: `CGO_ENABLED=0`, or
    no `CGO_ENABLED` on a builder without a C compiler (`golang:*-alpine`, where cgo
    is off by default since Go 1.20). The rule stays silent when the final image evidently uses
    the distribution: a `RUN` in the final stage (installing packages, creating a
    user), a `HEALTHCHECK`, a shell-form or shell-script `CMD`/`ENTRYPOINT`, or Go
    code that imports `os/exec`. A Go toolchain final image is DR301's.

    A network-debugging toolbox as the final image (`nicolaka/netshoot`,
    `network-multitool`) is reported whatever the binary: it is never a runtime.

    ## Why is this bad?
    A static Go binary needs no libc, no shell and no package manager. Each of them
    is size to pull on every node, packages for a scanner to report, and tools for an
    attacker who gets code execution. `distroless/static` still has CA certificates,
    `/etc/passwd`, `/tmp` and zoneinfo.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    RUN CGO_ENABLED=0 go build -o /app .

    FROM debian:bookworm-slim
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Fix safety
    Debugging with `kubectl exec ... sh` no longer works: use
    `kubectl debug` with an ephemeral container, or the `:debug` tag.

    ## References
    - [Distroless images](https://github.com/GoogleContainerTools/distroless)
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    """
    ix = ctx.index
    seen: set[str] = set()
    for svc in ix.services:
        if any(svc.imports(p) for p in _NEEDS_DISTRO):
            continue
        for b in svc.builds:
            if b.dockerfile.path in seen:
                continue
            info = b.base
            ref = b.dockerfile.external_base(b.final)
            if ref and parse_ref(ref)[1] in _TOOLBOXES:
                seen.add(b.dockerfile.path)
                yield Hit(
                    b.final.span,
                    f"the service runs on {ref}, a network-debugging toolbox: hundreds "
                    "of MB of tools and a shell in every pod; run it on a minimal base and "
                    "use kubectl debug with the toolbox when one is needed",
                )
                continue
            if info is None or not info.image.full_distro or info.image.go:
                continue
            why = _static_build(b)
            if why is None or _final_needs_distro(b):
                continue
            seen.add(b.dockerfile.path)
            yield Hit(
                b.final.span,
                f"the binary is static ({why}) but runs on the full distribution {info.ref}: "
                "gcr.io/distroless/static (or scratch) is smaller and has no shell or "
                "package manager",
            )
