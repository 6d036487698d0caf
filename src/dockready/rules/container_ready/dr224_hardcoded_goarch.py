"""DR224 hardcoded-goarch: a literal GOARCH/GOOS in a multi-platform build."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.docker import Dockerfile, GoBuild, Stage
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_TARGET_ARGS = frozenset({"TARGETARCH", "TARGETOS", "TARGETPLATFORM", "TARGETVARIANT"})
_PLATFORM_OS_ARCH = re.compile(r"^([a-z0-9]+)/([a-z0-9_]+)")
_ARCH_OF = {"GOOS": 0, "GOARCH": 1}


def _intent(df: Dockerfile) -> tuple[str, Span] | None:
    """Why this Dockerfile is certainly built for several platforms (or one that is
    not the builder's): a stage ``FROM --platform=$BUILDPLATFORM`` (cross-compiling),
    or ``ARG TARGETARCH``/``TARGETOS``/``TARGETPLATFORM`` declared."""
    for st in df.stages:
        if st.platform and "BUILDPLATFORM" in st.platform:
            return f"FROM --platform={st.platform} cross-compiles for the target platforms", (
                st.span
            )
    for st in df.stages:
        for i in st.instructions:
            if i.cmd == "ARG" and any(v.split("=", 1)[0] in _TARGET_ARGS for v in i.value):
                return "the Dockerfile declares the target platform arguments", i.span
    return None


def _final_platform(df: Dockerfile) -> tuple[str, str, Span] | None:
    """``(os, arch, span)`` of a literal ``FROM --platform=os/arch`` on the final stage."""
    final = df.final
    if final is None or not final.platform or "$" in final.platform:
        return None
    m = _PLATFORM_OS_ARCH.match(final.platform)
    return (m.group(1), m.group(2), final.span) if m else None


def _literal(df: Dockerfile, st: Stage, gb: GoBuild, name: str) -> str | None:
    """The literal value of ``name`` the build sees, as written: in the ``RUN`` line
    (``GOARCH=amd64 go build``, ``export GOARCH=amd64``) or an ``ENV`` of the stage's
    lineage. A value from an ``ARG`` (a default the parser substituted) is not."""
    v = gb.getenv(name)
    if not v or "$" in v:
        return None
    pat = re.compile(r"(?<![\w$])" + name + r"""[= ]["']?([A-Za-z0-9_]+)""")
    for i in st.instructions:
        if i.cmd == "RUN" and i.span.line <= gb.span.line <= (i.span.end_line or i.span.line):
            m = pat.search(i.original)
            if m is not None:
                return m.group(1) if m.group(1) == v else None
    for s in reversed(df.lineage(st)):
        for i in reversed(s.instructions):
            if i.cmd == "ENV":
                m = pat.search(i.original)
                if m is not None:
                    return m.group(1) if m.group(1) == v else None
            if i.cmd == "ARG" and any(x.split("=", 1)[0] == name for x in i.value):
                return None
    return None


@rule(
    id="DR224",
    name="hardcoded-goarch",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
)
def hardcoded_goarch(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a `go build` in a Dockerfile that sets `GOARCH` or `GOOS` to a literal
    (`GOARCH=amd64 go build`, `ENV GOARCH=amd64`) where the Dockerfile is certainly
    built for other platforms: a stage `FROM --platform=$BUILDPLATFORM` (the
    cross-compiling pattern), `ARG TARGETARCH`/`TARGETOS`/`TARGETPLATFORM` declared,
    or a final stage `FROM --platform=linux/arm64` that the literal contradicts. The
    finding is on the `RUN` line of the build; the evidence of the other platforms
    is related.

    Decisions: a literal `GOOS=linux` is judged only against a final stage for
    another OS (every Linux platform wants it). A value from an `ARG` (`ARG GOARCH=amd64`, overridable with
    `--build-arg`) or a variable (`GOARCH=$TARGETARCH`) is not a literal. A
    Dockerfile with no sign of other platforms is not judged: a literal `GOARCH`
    is then merely redundant on a builder of that architecture.

    ## Why is this bad?
    `docker buildx build --platform linux/amd64,linux/arm64` runs the build stage
    once per platform (or once on the build platform, with `$BUILDPLATFORM`) and
    expects each to produce a binary for `$TARGETARCH`. With `GOARCH=amd64` written
    in, the arm64 image holds an amd64 binary: it fails at start with
    `exec format error` on Graviton, Ampere or Apple silicon nodes.

    ## Example
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /out/app .
    ```

    ## Use instead
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    ARG TARGETOS TARGETARCH
    RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
    ```

    ## Fix safety
    Safe: for a single-platform build BuildKit sets `TARGETARCH` to the builder's
    platform, the value the literal had.

    ## References
    - [Docker: multi-platform builds, cross-compilation](https://docs.docker.com/build/building/multi-platform/#cross-compilation)
    - [Dockerfile reference: automatic platform ARGs](https://docs.docker.com/reference/dockerfile/#automatic-platform-args-in-the-global-scope)
    """
    for df in ctx.index.dockerfiles:
        intent = _intent(df)
        final = _final_platform(df)
        if intent is None and final is None:
            continue
        for st in df.stages:
            for gb in st.go_builds:
                lits = {n: v for n in _ARCH_OF if (v := _literal(df, st, gb, n))}
                if not lits:
                    continue
                shown = " ".join(f"{n}={v}" for n, v in sorted(lits.items()))
                if intent is not None and "GOARCH" in lits:
                    why, span = intent
                    shown = f"GOARCH={lits['GOARCH']}"
                    yield Hit(
                        gb.span,
                        f"go build with a literal {shown} while {why}: every image gets a "
                        f"{lits['GOARCH']} binary (exec format error on the other platforms); use "
                        "GOOS=$TARGETOS GOARCH=$TARGETARCH (ARG TARGETOS TARGETARCH)",
                        related=(Related(span, why),),
                    )
                    continue
                if final is None:
                    continue
                fos, farch, fspan = final
                want = {"GOOS": fos, "GOARCH": farch}
                wrong = {n: v for n, v in lits.items() if v != want[n]}
                if wrong:
                    yield Hit(
                        gb.span,
                        f"go build with a literal {shown}, but the final stage is "
                        f"FROM --platform={fos}/{farch}: the binary does not run there "
                        "(exec format error); use GOOS=$TARGETOS GOARCH=$TARGETARCH",
                        related=(Related(fspan, f"final stage for {fos}/{farch}"),),
                    )
