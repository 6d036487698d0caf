"""DR205 missing-go-sum: go.sum missing or not copied before the build."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from dockready.facts.derived.build import (
    Job,
    bind_mounts,
    ctx_rel,
    fetched,
    goflag,
    ignoring_pattern,
    jobs,
    join,
    plural,
    run_at,
)
from dockready.facts.docker import Dockerfile, Stage
from dockready.facts.go import version_tuple
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _covers(source: str, relpath: str) -> bool:
    """Does a COPY/mount source (relative to the context) bring in ``relpath``?"""
    src = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
    if src == ".":
        return True
    if any(c in src for c in "*?["):
        depth = src.count("/")
        path = relpath
        while path.count("/") > depth:
            path = posixpath.dirname(path)
        return fnmatch.fnmatchcase(path, src)
    return relpath == src or relpath.startswith(src + "/")


def _first_use(job: Job) -> tuple[Span, bool]:
    """The first ``go mod download`` before the ``go build`` (in the build stage or a
    stage it is built FROM), else the ``go build``; and whether it is a download."""
    downloads = [
        s
        for st in job.df.lineage(job.stage)
        for s in st.mod_downloads
        if st is not job.stage or s.line < job.gb.span.line
    ]
    if downloads:
        return min(downloads, key=lambda s: (s.line, s.col)), True
    return job.gb.span, False


def _vendor_mode(ix: ProjectIndex, job: Job) -> bool:
    """Does the go build read dependencies from a committed vendor/ (``-mod=vendor``,
    or Go 1.14+'s default when vendor/modules.txt exists and no ``-mod`` is given)?
    go.sum is not consulted then."""
    mod = job.svc.module
    if mod is None or mod.dir not in ix.vendors:
        return False
    flag = goflag(job, "mod", job.gb.mod)
    go_line = version_tuple(mod.go)
    return flag == "vendor" or (flag is None and go_line is not None and go_line >= (1, 14))


def _stage_at(df: Dockerfile, stage: Stage, line: int) -> Stage | None:
    """The stage of ``stage``'s lineage whose instructions contain ``line``."""
    best: Stage | None = None
    for st in df.lineage(stage):
        if st.span.line <= line and (best is None or st.span.line > best.span.line):
            best = st
    return best


def _sum_available(job: Job, rel_sum: str, line: int) -> bool | None:
    """Is go.sum in the builder before the RUN at ``line``: copied by an earlier
    COPY from the context, or bind-mounted into that RUN? None when the sources come
    from another stage (not judged)."""
    other = False
    for st in job.df.lineage(job.stage):
        for c in st.copies:
            if c.span.line >= line:
                continue
            if c.from_stage is not None:
                other = True
            elif any(_covers(s, rel_sum) for s in c.sources):
                return True
    st_at = _stage_at(job.df, job.stage, line)
    if st_at is not None:
        for m in bind_mounts(run_at(st_at, line), st_at.workdir):
            if m.other:
                other = True
            elif _covers(m.source, rel_sum):
                return True
    return None if other else False


@rule(
    id="DR205",
    name="missing-go-sum",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(),
)
def missing_go_sum(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a module that requires other modules but whose `go.sum` will not be there
    when the Dockerfile needs it:

    - there is no `go.sum` next to `go.mod` (reported on go.mod, line 1, once per
      module, with the Dockerfile's `go mod download`/`go build` as related);
    - the build context's `.dockerignore` excludes `go.sum`;
    - `go build` runs before any `COPY` (or `RUN --mount=type=bind`) brings `go.sum`
      into the builder;
    - `go mod download` runs before `go.sum` is copied, which only a later
      `COPY . .` repairs (reported as a warning: the build works, but the download
      layer is neither checked against nor keyed on the committed sums).

    Sources copied from another stage (`COPY --from`) are not judged. Requirements at
    `v0.0.0` (or the zero pseudo-version), which a `replace` to a local directory or a
    workspace provides, need no go.sum lines and are not counted; a build that reads
    a committed `vendor/` (`-mod=vendor`, or Go 1.14+'s default) does not read
    go.sum and is not judged either.

    ## Why is this bad?
    Go verifies every module against `go.sum` and, since Go 1.16, never edits it
    during a build: without it `go build` stops with `missing go.sum entry for
    module providing package …`. A `go.sum` that is not committed also means the
    dependencies are not pinned to checksums.

    ## Example
    ```dockerfile
    COPY go.mod ./
    RUN go mod download
    COPY *.go ./
    RUN go build -o /app .
    ```

    ## Use instead
    Commit `go.sum` (`go mod tidy`), and copy it with `go.mod`:
    ```dockerfile
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN go build -o /app ./cmd/app
    ```

    ## Fix safety
    Safe: `go mod tidy` writes the sums of the versions go.mod already names.

    ## References
    - [Go modules: go.sum](https://go.dev/ref/mod#go-sum-files)
    - [Go 1.16: build commands do not modify go.mod/go.sum](https://go.dev/doc/go1.16#go-command)
    """
    ix = ctx.index
    # One finding per go.mod; its service is the module's when only one service
    # builds from it (the index decides), else none.
    by_module: dict[str, list[Service]] = {}
    for svc in ix.services:
        if svc.module is not None:
            by_module.setdefault(svc.module.path, []).append(svc)
    for services in by_module.values():
        mod = services[0].module
        assert mod is not None
        if not fetched(mod) or ix.has_go_sum(mod) or mod.dir in ix.vendors:
            continue
        related: list[Related] = []
        for b in (b for svc in services for b in svc.builds):
            for st in b.dockerfile.stages:
                related.extend(Related(s, "go mod download needs go.sum") for s in st.mod_downloads)
            if b.go_build is not None:
                related.append(Related(b.go_build.span, "go build needs go.sum"))
        yield Hit(
            Span(mod.path, 1, 1),
            f"go.mod requires {plural(len(mod.requires), 'module')} but there is no go.sum: "
            "'go build' fails with 'missing go.sum entry'; run go mod tidy and commit go.sum",
            tuple(related[:3]),
        )
    for job in jobs(ix):
        mod = job.svc.module
        if mod is None or not fetched(mod) or not ix.has_go_sum(mod) or _vendor_mode(ix, job):
            continue
        rel_sum = ctx_rel(job.build, posixpath.join(mod.dir, "go.sum"))
        if rel_sum is None:
            continue
        di = job.build.dockerignore
        ignored = ignoring_pattern(di, rel_sum) if di is not None else None
        first, is_download = _first_use(job)
        if ignored is not None:
            yield Hit(
                first,
                "go.sum is excluded by .dockerignore, so it never reaches the builder: "
                "'go build' fails with 'missing go.sum entry'",
                (Related(ignored, "excludes go.sum"),),
                service=job.svc.name,
            )
            continue
        at_build = _sum_available(job, rel_sum, job.gb.span.line)
        if at_build is None:
            continue
        if not at_build:
            yield Hit(
                job.gb.span,
                "go build runs before go.sum is copied into the builder: it fails with "
                "'missing go.sum entry'; COPY go.mod go.sum ./ first",
                (Related(Span(join(mod.dir, "go.sum")), "go.sum"),),
                service=job.svc.name,
            )
            continue
        if is_download and _sum_available(job, rel_sum, first.line) is False:
            yield Hit(
                first,
                "go mod download runs before go.sum is copied: modules are fetched without "
                "the committed checksums and the layer is not keyed on them; "
                "COPY go.mod go.sum ./ first",
                (Related(job.gb.span, "go.sum arrives before go build"),),
                severity=Severity.WARNING,
                service=job.svc.name,
            )
