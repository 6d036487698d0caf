"""DR312 sources-in-final-image: the final image holds the Go sources or the module cache."""

from __future__ import annotations

import bisect
import fnmatch
import posixpath
from collections.abc import Iterator

from dockready.facts.derived.build import ctx_rel
from dockready.facts.derived.image import builds, is_devcontainer
from dockready.facts.derived.runscript import (
    iter_runs,
    mounted,
    path_covers,
    program,
    run_commands,
)
from dockready.facts.docker import Copy, Dockerfile, Stage
from dockready.facts.images import lookup
from dockready.facts.index import Build, ProjectIndex
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

#: Commands that build Go code: a stage that runs one is a build image.
_GO_TOOLS = frozenset({"go", "glide", "dep", "godep", "gb"})


_SORTED: list[tuple[ProjectIndex, list[str]]] = []


def _go_paths_under(ix: ProjectIndex, context: str) -> list[str]:
    """The ``.go`` paths of the tree under ``context``, sorted (a range of the sorted
    list, so that many services cost no more than one tree)."""
    if not _SORTED or _SORTED[0][0] is not ix:
        found = {p for p in ix.all_paths if p.endswith(".go")} | {g.path for g in ix.go_files}
        _SORTED[:] = [(ix, sorted(found))]
    paths = _SORTED[0][1]
    if context in (".", ""):
        return paths
    prefix = context.rstrip("/") + "/"
    lo = bisect.bisect_left(paths, prefix)
    hi = bisect.bisect_left(paths, prefix[:-1] + chr(ord("/") + 1))
    return paths[lo:hi]


def _go_files(ix: ProjectIndex, b: Build) -> list[str]:
    """The ``.go`` files of the build context that ``.dockerignore`` lets in, relative
    to the context."""
    out = []
    for p in _go_paths_under(ix, b.context):
        rel = ctx_rel(b, p)
        if rel is None or (b.dockerignore is not None and b.dockerignore.excludes(rel)):
            continue
        out.append(rel)
    return out


def _under(files: list[str], prefix: str) -> list[str]:
    """The files at or under the context path ``prefix`` (a glob matches by name)."""
    p = posixpath.normpath(prefix.lstrip("/")) if prefix.strip("/") else "."
    if p in (".", ""):
        return files
    if any(ch in p for ch in "*?["):
        return [f for f in files if fnmatch.fnmatch(f, p) or fnmatch.fnmatch(f, p + "/*")]
    return [f for f in files if f == p or f.startswith(p + "/")]


def _context_sources(
    ix: ProjectIndex, b: Build, copy: Copy, files: list[str], inner: str = "."
) -> list[str]:
    """The Go files a COPY from the build context puts at ``dest/inner``, when they
    are a source tree: the whole context, `.go` files named as such, or a folder
    holding a ``main`` package or a ``go.mod``. A folder that only happens to hold a
    ``.go`` file next to its data (``conf/conf.go``, ``schema/schema.go``) is not."""
    if copy.from_stage is not None or any("$" in s or "://" in s for s in copy.sources):
        return []
    out: list[str] = []
    tree = False
    for s in copy.sources:
        prefix = posixpath.normpath(posixpath.join(s, inner).lstrip("/")) or "."
        found = _under(files, prefix)
        if not found:
            continue
        out.extend(found)
        if prefix in (".", "*", "./*") or prefix.endswith(".go") or _is_tree(ix, b, found, prefix):
            tree = True
    return out if tree else []


def _is_tree(ix: ProjectIndex, b: Build, found: list[str], prefix: str) -> bool:
    """Do the copied files hold a ``main`` package or a module (``go.mod``)?"""
    base = "" if b.context == "." else b.context.rstrip("/") + "/"
    mains = {g.path for g in ix.go_files if g.package == "main"}
    if any(base + f in mains for f in found):
        return True
    if any(ch in prefix for ch in "*?["):
        return False
    return any(p.startswith(base + prefix + "/") and p.endswith("/go.mod") for p in ix.all_paths)


def _builds_here(df: Dockerfile, stage: Stage) -> bool:
    """Is the stage a build or development image: its lineage compiles Go, runs a
    ``go`` (or ``glide``/``dep``) command, or starts from a Go toolchain image? A
    single-stage build is DR301's."""
    lineage = df.lineage(stage)
    if any(st.go_builds or st.go_commands or st.mod_downloads for st in lineage):
        return True
    img = lookup(df.external_base(stage))
    if img is not None and img.image.go:
        return True
    return any(
        program(argv) in _GO_TOOLS
        for st in lineage
        for run in iter_runs(st.instructions)
        for argv in run_commands(run)
    )


def _modcache(df: Dockerfile, stage: Stage) -> str | None:
    """The module cache folder of a builder stage, when it is known."""
    env = dict(stage.env)
    if env.get("GOMODCACHE"):
        return env["GOMODCACHE"]
    if env.get("GOPATH"):
        return posixpath.join(env["GOPATH"].split(":")[0], "pkg/mod")
    img = lookup(df.external_base(stage))
    return "/go/pkg/mod" if img is not None and img.image.go else None


def _from_builder(
    ix: ProjectIndex, b: Build, builder: Stage, path: str, files: list[str]
) -> tuple[str, Copy | None, int] | None:
    """What ``COPY --from=builder <path>`` brings along: the module cache, or Go
    sources the builder copied from the context: ``(what, evidence, count)``."""
    df = b.dockerfile
    cache = _modcache(df, builder)
    if cache is not None and "$" not in cache and path_covers(path, cache):
        runs = [r for st in df.lineage(builder) for r in iter_runs(st.instructions)]
        if not any(mounted(r, cache) for r in runs):
            return f"the module cache ({cache})", None, 0
    for st in df.lineage(builder):
        for c in st.copies:
            dest = c.dest.rstrip("/") or "/"
            if path_covers(path, dest):
                found = _context_sources(ix, b, c, files)
            elif path_covers(dest, path):
                found = _context_sources(ix, b, c, files, posixpath.relpath(path, dest))
            else:
                continue
            if found:
                return "Go sources", c, len(found)
    return None


@rule(
    id="DR312",
    name="sources-in-final-image",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def sources_in_final_image(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `COPY` instructions of the final image (the final stage and the stages it
    is built `FROM`) that put the Go source tree or the module cache into it:

    - a `COPY` from the build context (`COPY . /app`, `COPY cmd/ /app/cmd/`) that
      brings `.go` files the `.dockerignore` lets through;
    - a `COPY --from=<build stage>` of a folder into which that stage copied Go
      sources from the context (`COPY --from=build /src /app`), or of the module
      cache (`/go/pkg/mod`, or `/go`, on a `golang` builder; `GOMODCACHE`/`GOPATH`
      when the stage sets them).

    Decisions: a final stage that compiles Go itself, runs `go` or starts from a Go
    toolchain image (a single-stage build or a development image) is DR301's, not
    reported here. A source tree is the whole context, `.go` files named as such,
    or a folder holding a `main` package or a `go.mod`: a data folder that happens
    to hold a `.go` file (`conf/conf.go` next to the YAML it embeds) is not
    reported, and neither is the binary or a folder without `.go` files. A module cache the builder keeps on a
    BuildKit cache mount is not in its filesystem and is not reported. Sources
    named by a variable are not judged. Development images under `.devcontainer/`
    are skipped.

    ## Why is this bad?
    The runtime needs the binary, not the code: the sources and the module cache
    make the image larger (the module cache is often hundreds of megabytes), ship
    the whole code base (and anything secret committed with it) to every registry
    and node, and give image scanners thousands of files to report on.

    ## Example
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /src /app
    ENTRYPOINT ["/app/server"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /src/server /app/server
    COPY --from=build /src/configs /app/configs
    ENTRYPOINT ["/app/server"]
    ```

    ## Fix safety
    Check what the binary reads at run time (templates, migrations, `configs/`)
    and copy those folders explicitly, or embed them with `go:embed`.

    ## References
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    - [Docker Go guide: multi-stage builds](https://docs.docker.com/guides/golang/build-images/#multi-stage-builds)
    """
    ix = ctx.index
    for b in builds(ix):
        df = b.dockerfile
        if is_devcontainer(df) or _builds_here(df, b.final):
            continue
        files: list[str] | None = None  # listed only for a COPY from the context
        for st in reversed(df.lineage(b.final)):
            for c in st.copies:
                if c.from_stage is None:
                    if files is None:
                        files = _go_files(ix, b)
                    found = _context_sources(ix, b, c, files)
                    if found:
                        n = len(found)
                        yield Hit(
                            c.span,
                            f"COPY {' '.join(c.sources)} puts {n} Go source file"
                            f"{'s' if n > 1 else ''} ({found[0]}...) into the final image: "
                            "copy only the binary and the files it reads at run time",
                        )
                    continue
                builder = df.stage(c.from_stage)
                if builder is None or builder.index >= st.index:
                    continue
                for src in c.sources:
                    if "$" in src or any(ch in src for ch in "*?["):
                        continue
                    src = posixpath.normpath(posixpath.join("/", src))
                    if files is None:
                        files = _go_files(ix, b)
                    what = _from_builder(ix, b, builder, src, files)
                    if what is None:
                        continue
                    label, evidence, n = what
                    if evidence is None:
                        text = f"{label} of stage {builder.label}"
                        related: tuple[Related, ...] = ()
                    else:
                        text = f"{n} Go source file{'s' if n > 1 else ''} of stage {builder.label}"
                        related = (Related(evidence.span, "the sources are copied in here"),)
                    yield Hit(
                        c.span,
                        f"COPY --from={c.from_stage} {src} puts {text} into the final "
                        "image: copy only the binary and the files it reads at run time",
                        related,
                    )
                    break
