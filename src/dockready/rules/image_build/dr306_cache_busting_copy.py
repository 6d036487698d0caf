"""DR306 cache-busting-copy: the Go sources are copied before the modules are downloaded."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.image import WHOLE_CONTEXT, builds
from dockready.facts.docker import Copy, Instruction, Stage
from dockready.facts.index import Build, ProjectIndex
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_MOD_FILES = frozenset({"go.mod", "go.sum", "go.work", "go.work.sum"})
_MODCACHE = ("/go/pkg/mod", "/root/go/pkg/mod")


def _is_source_copy(ix: ProjectIndex, b: Build, c: Copy) -> bool:
    """A COPY from the build context that brings in Go sources."""
    if c.from_stage is not None:
        return False
    for s in c.sources:
        if s in WHOLE_CONTEXT or s.endswith(".go"):
            return True
        if posixpath.basename(s.rstrip("/")) in _MOD_FILES or "*" in s or "$" in s:
            continue
        rel = posixpath.normpath(posixpath.join(b.context, s.lstrip("/")))
        if any(d == rel or d.startswith(rel + "/") for d in ix.packages):
            return True
    return False


def _original(stages: tuple[Stage, ...], span: Span) -> str:
    """The instruction at ``span`` as written (its first line, flags included)."""
    for st in stages:
        for i in st.instructions:
            if i.span == span:
                text = " ".join(i.original.split())
                return text if len(text) <= 60 else text[:57] + "..."
    return "COPY"


def _run_at(st: Stage, span: Span) -> Instruction | None:
    """The RUN instruction holding ``span`` (a go build inside it)."""
    found: Instruction | None = None
    for i in st.instructions:
        if i.cmd == "RUN" and i.span.line <= span.line:
            found = i
    return found


def _modcache_mount(run: Instruction | None) -> bool:
    if run is None:
        return False
    return any(
        f.startswith("--mount=") and "type=cache" in f and any(p in f for p in _MODCACHE)
        for f in run.flags
    )


@rule(
    id="DR306",
    name="cache-busting-copy",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def cache_busting_copy(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds, in a stage that runs `go build`, the `COPY` that brings the sources in
    (`COPY . .`, a package directory, `*.go`) before the modules are downloaded. The
    finding is on that `COPY`.

    Decisions: two cases are reported. (1) `go mod download` runs only after the
    sources are copied (the seed's `COPY . .` then `RUN go mod download`). (2) There
    is no `go mod download` at all, `go.mod` requires modules, and `go build` fetches
    them after the source copy; this case is not reported when the build uses a
    BuildKit cache mount on `/go/pkg/mod` or a vendor directory (`-mod=vendor` or
    `vendor/modules.txt`), where nothing is downloaded again. Stages a build stage is
    built `FROM` count as part of it. A `RUN make <target>` counts as the `go build`
    its Makefile recipe runs (the Makefile the stage copied with the context).

    ## Why is this bad?
    Docker reuses a layer only while everything before it is unchanged. With the
    sources copied first, every code change invalidates the download layer and the
    build fetches every module again: minutes per CI run, and a build that fails
    whenever the proxy is slow.

    ## Example
    ```dockerfile
    COPY . .
    RUN go mod download
    RUN go build -o /app ./cmd/server
    ```

    ## Use instead
    ```dockerfile
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN go build -o /app ./cmd/server
    ```

    ## Fix safety
    Safe: the same files end up in the stage.

    ## References
    - [Docker: optimizing builds with cache](https://docs.docker.com/build/cache/optimize/)
    - [Docker Go guide](https://docs.docker.com/guides/golang/build-images/)
    """
    ix = ctx.index
    seen: set[Span] = set()
    for b in builds(ix):
        df = b.dockerfile
        mod = ix.module_of(posixpath.join(b.context, "go.mod"))
        vendored = mod is not None and mod.dir in ix.vendors
        for st in df.stages:
            # the stage's own go build, or the one its RUN make runs (Build.go_build)
            made = (b.go_build,) if b.build_stage is st and b.go_build is not None else ()
            gbs = st.go_builds or made
            if not gbs:
                continue
            chain = tuple(reversed(df.lineage(st)))
            srcs = sorted(
                (c for s in chain for c in s.copies if _is_source_copy(ix, b, c)),
                key=lambda c: c.span.line,
            )
            if not srcs:
                continue
            first = srcs[0]
            downloads = [d for s in chain for d in s.mod_downloads]
            if first.span in seen or any(d.line < first.span.line for d in downloads):
                continue
            after = [d for d in downloads if d.line > first.span.line]
            what = _original(chain, first.span)
            if after:
                seen.add(first.span)
                yield Hit(
                    first.span,
                    f"{what} comes before go mod download (line {after[0].line}): every source "
                    "change downloads all modules again; COPY go.mod go.sum first",
                )
                continue
            gb = gbs[0]
            if (
                mod is None
                or not mod.requires
                or vendored
                or gb.mod == "vendor"
                or _modcache_mount(_run_at(st, gb.span))
            ):
                continue
            seen.add(first.span)
            n = len(mod.requires)
            yield Hit(
                first.span,
                f"{what} with no go mod download before it: go build fetches the {n} "
                f"required module{'s' if n > 1 else ''} again after every source change; "
                "COPY go.mod go.sum and RUN go mod download first",
            )
