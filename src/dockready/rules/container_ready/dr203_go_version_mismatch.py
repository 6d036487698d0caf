"""DR203 go-version-mismatch: go.mod needs a newer Go than the builder's."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import Job, from_span, jobs, setting, stage_image
from dockready.facts.go import version_tuple
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _go_requirement(builder: tuple[int, ...], need: tuple[int, ...]) -> bool:
    """Is Go ``need`` newer than a builder tag's Go? A tag without a patch (``1.22``)
    floats to the latest patch release, so only the minor version counts."""
    if len(builder) < 2:
        return False  # golang:1 — any 1.x
    if len(builder) == 2:
        return need[:2] > builder
    return (need + (0,) * (3 - len(need)))[:3] > builder[:3]


def _toolchain_mode(job: Job) -> str:
    """The build's GOTOOLCHAIN: the official golang images set ``local`` since 1.21."""
    return (setting(job, "GOTOOLCHAIN") or "local").strip()


@rule(
    id="DR203",
    name="go-version-mismatch",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(),
)
def go_version_mismatch(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Compares go.mod's `go` line (and `toolchain` line) with the Go of the `golang`
    image the `go build` runs in, taken from its tag (`golang:1.21`,
    `golang:${GO_VERSION}-alpine` with the `ARG` default resolved). The finding is on
    that `FROM` line (where the fix usually goes), with go.mod's line as related.

    A tag without a patch version floats to the newest patch, so `golang:1.22`
    satisfies `go 1.22.3`; `golang:1.22.1` does not. `golang:1` and tags without a
    version (`latest`, `alpine`) are not judged, nor are unknown images.

    The `toolchain` line alone is only a preference: the official images set
    `GOTOOLCHAIN=local`, which ignores it. It is reported (as a warning) only when
    the build sets `GOTOOLCHAIN` to something else, which makes Go download that
    toolchain during the build.

    ## Why is this bad?
    Since Go 1.21 the `go` line is a minimum. The official images set
    `GOTOOLCHAIN=local`, so the build stops with
    `go: go.mod requires go >= 1.22 (running go 1.21.13; GOTOOLCHAIN=local)`. With
    `GOTOOLCHAIN=auto` Go downloads the newer toolchain at build time instead: an
    offline or proxied build fails, and the image no longer builds with the Go it
    names. Go 1.20 and older ignore the line and compile newer code with old
    semantics, or fail on new syntax (and cannot parse a `go 1.21.0`-style or
    `toolchain` line at all).

    ## Example
    ```dockerfile
    FROM golang:1.21 AS build   # go.mod: go 1.22
    ```

    ## Use instead
    ```dockerfile
    ARG GO_VERSION=1.22
    FROM golang:${GO_VERSION}-bookworm AS build
    ```
    and bump it together with go.mod's `go` line.

    ## Fix safety
    Safe: a newer Go compiles code written for older ones.

    ## References
    - [Go toolchains](https://go.dev/doc/toolchain)
    - [go.mod: go directive](https://go.dev/ref/mod#go-mod-file-go)
    - [docker-library/golang: GOTOOLCHAIN=local](https://github.com/docker-library/golang)
    """
    ix = ctx.index
    seen: set[tuple[Span, str]] = set()
    for job in jobs(ix):
        mod = job.svc.module
        builder = stage_image(job.df, job.stage)
        if mod is None or builder is None or builder.go_version is None:
            continue
        if any("@" in t for t in job.gb.targets):
            continue  # go install pkg@version builds outside the module
        have = version_tuple(builder.go_version)
        if have is None:
            continue
        span = from_span(job.df, job.stage)
        mode = _toolchain_mode(job)
        need = version_tuple(mod.go)
        if need is not None and mod.go_span is not None and _go_requirement(have, need):
            if (span, "go") in seen:
                continue
            seen.add((span, "go"))
            if have < (1, 21) and (len(need) > 2 or mod.toolchain is not None):
                effect = (
                    f"Go {builder.go_version} cannot read this go.mod (a go line with a patch "
                    "version, or a toolchain line, needs Go 1.21): the build fails"
                )
            elif have < (1, 21):
                effect = (
                    f"Go {builder.go_version} predates toolchain checks: it compiles the "
                    "code with old semantics, or fails on newer syntax"
                )
            elif mode == "local":
                effect = (
                    f"with GOTOOLCHAIN=local (the image's default) the build fails: "
                    f"'go.mod requires go >= {mod.go}'"
                )
            else:
                effect = (
                    f"with GOTOOLCHAIN={mode} Go downloads a newer toolchain during the "
                    "build, which fails offline"
                )
            yield Hit(
                span,
                f"go.mod requires go {mod.go} but the builder {builder.ref} has Go "
                f"{builder.go_version}: {effect}",
                (Related(mod.go_span, f"go {mod.go}"),),
                service=job.svc.name,
            )
            continue
        tc = version_tuple(mod.toolchain)
        if (
            tc is None
            or mod.toolchain_span is None
            or mode == "local"
            or have < (1, 21)
            or not _go_requirement(have, tc)
            or (span, "toolchain") in seen
        ):
            continue
        seen.add((span, "toolchain"))
        yield Hit(
            span,
            f"go.mod asks for toolchain {mod.toolchain} but the builder {builder.ref} has Go "
            f"{builder.go_version}: with GOTOOLCHAIN={mode} the build downloads it, which "
            "fails offline",
            (Related(mod.toolchain_span, f"toolchain {mod.toolchain}"),),
            severity=Severity.WARNING,
            service=job.svc.name,
        )
