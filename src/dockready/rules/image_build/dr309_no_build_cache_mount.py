"""DR309 no-build-cache-mount: `go build` runs without a BuildKit cache mount."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.build import bind_mounts, run_at, stage_image
from dockready.facts.derived.image import WHOLE_CONTEXT, builds, is_devcontainer
from dockready.facts.derived.runscript import cache_mounts, mounted
from dockready.facts.docker import Dockerfile, GoBuild, Instruction, Stage
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


def _user_at(df: Dockerfile, stage: Stage, line: int) -> str | None:
    """The ``USER`` in effect at ``line`` (None: the image's default)."""
    user: str | None = None
    for st in reversed(df.lineage(stage)):
        for i in st.instructions:
            if i.cmd == "USER" and i.span.line < line and i.value:
                user = i.value[0].strip()
    return user


def _home(df: Dockerfile, stage: Stage, gb: GoBuild) -> str | None:
    """``$HOME`` of the ``go build``: its environment, else ``/root`` for root on a
    known image; None when it cannot be known."""
    home = gb.getenv("HOME")
    if home is not None:
        return None if "$" in home else home
    user = _user_at(df, stage, gb.span.line)
    if user is not None and user.split(":", 1)[0] not in ("root", "0"):
        return None
    img = stage_image(df, stage)
    if img is None or not img.image.user_is_root:
        return None
    return "/root"


def gocache_dir(df: Dockerfile, stage: Stage, gb: GoBuild) -> str | None:
    """Where the ``go build`` keeps compiled packages (``GOCACHE``), None if unknown."""
    cache = gb.getenv("GOCACHE")
    if cache is not None:
        return None if "$" in cache or not cache.startswith("/") else cache
    home = _home(df, stage, gb)
    return posixpath.join(home, ".cache/go-build") if home else None


def modcache_dir(df: Dockerfile, stage: Stage, env: dict[str, str]) -> str | None:
    """Where Go keeps downloaded modules (``GOMODCACHE``, ``$GOPATH/pkg/mod``,
    ``/go/pkg/mod`` on a ``golang`` image), None if unknown."""
    gopath = env.get("GOPATH")
    if env.get("GOMODCACHE"):
        found: str | None = env["GOMODCACHE"]
    elif gopath:
        found = posixpath.join(gopath.split(":")[0], "pkg/mod")
    else:
        img = stage_image(df, stage)
        found = "/go/pkg/mod" if img is not None and img.image.go else None
    return None if found is None or "$" in found else found


def _builds_sources(df: Dockerfile, stage: Stage, gb: GoBuild, run: Instruction) -> bool:
    """Does the ``go build`` compile files from the build context: a package (not
    ``pkg@version``) after a COPY from the context, or with the context bind-mounted?
    Only then does a source change re-run it."""
    if gb.targets and all("@" in t for t in gb.targets):
        return False
    if bind_mounts(run, stage.workdir):
        return True
    return any(c.from_stage is None for c in df.copies_before(stage, run.span.line))


def _first_go_builds(df: Dockerfile) -> Iterator[tuple[Stage, GoBuild, Instruction]]:
    """Each RUN that compiles the sources with ``go build``/``go install``, with its
    first such command."""
    seen: set[Span] = set()
    for st in df.stages:
        for gb in st.go_builds:
            run = run_at(st, gb.span.line)
            if run is None or run.span in seen or not _builds_sources(df, st, gb, run):
                continue
            seen.add(run.span)
            yield st, gb, run


@rule(
    id="DR309",
    name="no-build-cache-mount",
    severity=Severity.INFO,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def no_build_cache_mount(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `RUN` instructions that run `go build` (or `go install`) without a BuildKit
    cache mount on Go's build cache (`GOCACHE`, `/root/.cache/go-build` for root on
    the `golang` images). The finding is on the `RUN`; its message also says when the
    same `RUN` has no cache mount on the module cache (`/go/pkg/mod`).

    It also finds a `go mod download` that runs after the whole build context is
    copied (`COPY . .`) without a cache mount on the module cache: the layer cache
    cannot keep that download, since every source change re-runs it.

    Decisions: on a `go build`, only the build cache decides whether a finding is
    made. A missing module-cache mount alone is not reported, because a
    `go mod download` layer keyed on `go.mod`/`go.sum` is an accepted way to cache
    modules (DR306 covers the order of those steps). When the build cache folder cannot be known (a `GOCACHE`
    or `HOME` from a variable, a non-root `USER` without `HOME`, an unknown builder
    image), any cache mount on the `RUN` counts, and a `RUN` with none is reported.
    Only builds of the build context's sources are checked (a package after a `COPY`
    from the context, or with the context bind-mounted): `go install pkg@version`
    before the sources are copied is reused from the layer cache anyway.
    Development images under `.devcontainer/` are skipped.

    ## Why is this bad?
    A layer is reused only while nothing above it changed; after any source change
    the `go build` layer starts from an empty build cache and recompiles every
    package, the standard library's dependencies and all modules included. A cache
    mount keeps the compiled packages between builds, so only what changed is
    compiled: builds that took minutes take seconds.

    ## Example
    ```dockerfile
    RUN go build -o /out/app ./cmd/app
    ```

    ## Use instead
    ```dockerfile
    RUN --mount=type=cache,target=/go/pkg/mod \\
        --mount=type=cache,target=/root/.cache/go-build \\
        go build -o /out/app ./cmd/app
    ```

    ## Fix safety
    Safe: the cache mount is not part of the image, and Go validates every cache
    entry. CI builders need a persisted BuildKit cache (e.g. `cache-to`/`cache-from`
    or a long-lived builder) to benefit.

    ## References
    - [Docker: optimize cache usage, cache mounts](https://docs.docker.com/build/cache/optimize/#use-cache-mounts)
    - [Docker Go guide: cache mounts](https://docs.docker.com/guides/golang/build-images/)
    - [go help cache (GOCACHE)](https://pkg.go.dev/cmd/go#hdr-Build_and_test_caching)
    """
    for b in builds(ctx.index):
        df = b.dockerfile
        if is_devcontainer(df):
            continue
        for st, gb, run in _first_go_builds(df):
            gocache = gocache_dir(df, st, gb)
            if gocache is None:
                if cache_mounts(run):
                    continue
            elif mounted(run, gocache):
                continue
            where = gocache or "GOCACHE"
            go = "go install" if gb.install else "go build"
            msg = (
                f"{go} without a cache mount on {where}: after every source change it "
                "recompiles every package from scratch; add "
                f"--mount=type=cache,target={where} to this RUN"
            )
            modcache = modcache_dir(df, st, dict(gb.env))
            if modcache is not None and gb.mod != "vendor" and not mounted(run, modcache):
                msg += f" (and one on {modcache} for the modules)"
            yield Hit(run.span, msg)
        yield from _downloads_after_sources(df)


def _downloads_after_sources(df: Dockerfile) -> Iterator[Hit]:
    """``go mod download`` RUNs after the whole context is copied, without a cache
    mount on the module cache: the layer cache cannot keep them."""
    seen: set[Span] = set()
    for st in df.stages:
        for span in st.mod_downloads:
            run = run_at(st, span.line)
            if run is None or run.span in seen:
                continue
            seen.add(run.span)
            whole = next(
                (
                    c
                    for c in df.copies_before(st, run.span.line)
                    if c.from_stage is None
                    and any(posixpath.normpath(s) in WHOLE_CONTEXT for s in c.sources)
                ),
                None,
            )
            if whole is None:
                continue
            modcache = modcache_dir(df, st, dict(st.env))
            if (modcache is None and cache_mounts(run)) or (
                modcache is not None and mounted(run, modcache)
            ):
                continue
            where = modcache or "GOMODCACHE"
            yield Hit(
                run.span,
                f"go mod download after the whole context is copied (line {whole.span.line}) "
                f"and without a cache mount on {where}: every source change downloads every "
                f"module again; add --mount=type=cache,target={where} to this RUN",
            )
