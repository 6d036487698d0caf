"""DR310 build-flags: the shipped binary is built without `-trimpath` and `-ldflags "-s -w"`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.derived.build import goflag, jobs, ldflag_words, stage_image
from dockready.facts.go import version_tuple
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
#: ``-gcflags`` that make a debugger build (``all=-N -l``): symbols are wanted there.
_DEBUG_BUILD = re.compile(r"-gcflags[= ]?['\"]?[^ ]*-N\b|-N -l")


def _linker_flag(words: list[str], name: str) -> bool:
    """Is the boolean linker flag ``-name`` on (``-s``, ``-s=true``, ``--s``)?"""
    for w in words:
        key, eq, value = w.lstrip("-").partition("=")
        if w.startswith("-") and key == name:
            return not eq or value in _TRUE
    return False


@rule(
    id="DR310",
    name="build-flags",
    severity=Severity.INFO,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def build_flags(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds the `go build` (or `go install`) that makes a service's shipped binary
    when it runs without `-trimpath`, or without `-ldflags "-s -w"`. Flags given in
    `GOFLAGS` (environment or `go env -w`) count. The finding is on the `go build`.

    Decisions: with a Go 1.22 or later builder (or one whose version is unknown),
    `-s` alone is enough, since it implies `-w` from Go 1.22 on. A `-ldflags` made
    of a variable (`-ldflags "$LDFLAGS"`) is not judged, and neither is a debugger
    build (`-gcflags "all=-N -l"`), which needs its symbols. On a builder image we
    do not know (not `golang`), whose environment may set `GOFLAGS`, only a
    `-ldflags` written on the command is judged. Only the build that makes the
    binary a service ships is checked.

    ## Why is this bad?
    Without `-trimpath` the binary records the builder's absolute file paths (in
    panics, stack traces and `debug.BuildInfo`), so two builds of the same commit
    differ and the paths leak the build layout. Without `-s -w` it carries its
    symbol table and DWARF debug data, typically a quarter of its size, which every
    node pulls and nothing in production reads (stack traces do not need them).

    ## Example
    ```dockerfile
    RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app
    ```

    ## Use instead
    ```dockerfile
    RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app
    ```

    ## Fix safety
    `-s -w` removes what `dlv` and `pprof` symbolization of raw addresses use; keep
    a separate debug build for that. Profiles taken from the running service still
    symbolize (Go keeps its own symbol tables for tracebacks).

    ## References
    - [go build flags (-trimpath, -ldflags)](https://pkg.go.dev/cmd/go#hdr-Compile_packages_and_dependencies)
    - [go tool link (-s, -w)](https://pkg.go.dev/cmd/link)
    - [Go 1.22 release notes: linker](https://go.dev/doc/go1.22#linker)
    """
    seen: set[Span] = set()
    for job in jobs(ctx.index):
        gb = job.gb
        if gb.span in seen or _DEBUG_BUILD.search(gb.command):
            continue
        seen.add(gb.span)
        # an image we do not know may set GOFLAGS; a -ldflags on the command wins over it
        img = stage_image(job.df, job.stage)
        trimpath = gb.trimpath or (goflag(job, "trimpath", None) or "false") in _TRUE
        ldflags = goflag(job, "ldflags", gb.ldflags)
        missing: list[str] = []
        if not trimpath and img is not None:
            missing.append("-trimpath")
        if (ldflags is None and img is not None) or (ldflags is not None and "$" not in ldflags):
            words = ldflag_words(gb) if ldflags == gb.ldflags else (ldflags or "").split()
            version = version_tuple(img.go_version) if img is not None else None
            s_implies_w = version is None or version >= (1, 22)
            strip = _linker_flag(words, "s")
            dwarf = _linker_flag(words, "w") or (strip and s_implies_w)
            if not (strip and dwarf):
                lacking = " ".join(f for f, on in (("-s", strip), ("-w", dwarf)) if not on)
                missing.append(f'-ldflags "{lacking}"')
        if not missing:
            continue
        why = []
        if "-trimpath" in missing:
            why.append("the binary records the builder's file paths")
        if any(m.startswith("-ldflags") for m in missing):
            why.append("it carries symbol and debug data nothing in production reads")
        go = "go install" if gb.install else "go build"
        yield Hit(
            gb.span,
            f"{go} without {' and '.join(missing)}: {' and '.join(why)}",
            service=job.svc.name,
        )
