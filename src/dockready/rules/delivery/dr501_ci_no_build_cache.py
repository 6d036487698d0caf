"""DR501 ci-no-build-cache: a CI job builds Go or a Go image with no cache."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.delivery import CIFile, CIJob
from dockready.facts.derived.runscript import cache_mounts
from dockready.facts.docker import Dockerfile
from dockready.facts.index import ProjectIndex
from dockready.model import Related, Severity, Span
from dockready.rules.delivery._ci import (
    github_go_cache,
    gitlab_go_cache,
    go_builds,
    made_go_builds,
)
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


def _compiles_go(df: Dockerfile) -> bool:
    return any(st.go_builds or st.mod_downloads for st in df.stages)


def _go_span(df: Dockerfile) -> Span:
    for st in df.stages:
        for gb in st.go_builds:
            return gb.span
        for span in st.mod_downloads:
            return span
    return Span(df.path, 1)


def _cache_mounted(df: Dockerfile) -> bool:
    return any(cache_mounts(i) for st in df.stages for i in st.instructions if i.cmd == "RUN")


def _uncached_image(ix: ProjectIndex, job: CIJob) -> Iterator[tuple[Span, Dockerfile]]:
    """The job's image builds of a known Dockerfile that compiles Go, with no layer
    cache: no ``--cache-from``/``cache-from:`` and no ``RUN --mount=type=cache``."""
    for step in job.steps:
        if step.cache_from:
            continue
        for ref in step.builds:
            build = ix.builds.get(ref.dockerfile) if ref.dockerfile is not None else None
            if build is None:
                continue
            df = build.dockerfile
            if _compiles_go(df) and not _cache_mounted(df):
                yield step.span, df


def _job_hit(ix: ProjectIndex, f: CIFile, job: CIJob) -> Hit | None:
    makefiles = {m.path: m for m in ix.makefiles}
    go_steps = [(s, c, f"`{' '.join(c.words[:2])}`") for s in job.steps for c in go_builds(s)]
    go_steps += [
        (s, c, f"`{' '.join(c.words[:3])}` (which runs `go {sub}`)")
        for s in job.steps
        for c, sub in made_go_builds(s, makefiles)
    ]
    go_steps.sort(key=lambda x: x[1].span.line)
    parts: list[str] = []
    where: Span | None = None
    related: list[Related] = []
    if go_steps:
        if f.system == "github":
            cached, why = github_go_cache(job)
            advice = (
                "use actions/setup-go@v5 (it caches the module and build caches by "
                "default) or actions/cache on ~/go/pkg/mod and ~/.cache/go-build"
            )
        else:
            state = gitlab_go_cache(job)
            if state is None:
                return None
            cached, why = state, "no `cache:` holds Go's module or build cache"
            advice = "set GOPATH and GOCACHE under $CI_PROJECT_DIR and list them in cache:paths"
        if not cached:
            step, _, go = go_steps[0]
            where = step.span if f.system == "github" else job.span
            parts.append(
                f"runs {go} on a fresh runner with no Go cache ({why}): every run "
                f"downloads every module and compiles everything from scratch; {advice}"
            )
    images = list(_uncached_image(ix, job))
    if images:
        span, df = images[0]
        where = where or (span if f.system == "github" else job.span)
        related.append(Related(_go_span(df), "the Go build, with no cache mount"))
        parts.append(
            f"builds {df.path}, which compiles Go, with no layer cache (no --cache-from/"
            "cache-from, no RUN --mount=type=cache): each run rebuilds every layer; add "
            "cache-from/cache-to (type=gha or a registry cache)"
        )
    if where is None:
        return None
    return Hit(where, f"CI job {job.name}: " + "; it also ".join(parts), tuple(related))


@rule(
    id="DR501",
    name="ci-no-build-cache",
    severity=Severity.INFO,
    reads=(Input.CODE, Input.IMAGE),
    tags=(Tag.PERFORMANCE,),
)
def ci_no_build_cache(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds CI jobs (GitHub Actions workflows, `.gitlab-ci.yml`) that run `go build`,
    `go test` or `go install`, or build an image whose Dockerfile compiles Go, with no
    cache kept between runs. One finding per job, on the step that builds (GitHub)
    or on the job (GitLab).

    Decisions, to report only what is certain:
    - Only jobs that start from an empty disk are judged: GitHub-hosted runners
      (`runs-on: ubuntu-*`, `windows-*`, `macos-*`) and GitLab jobs that run in a
      container `image:` and ask for no runner `tags` (other than GitLab's `saas-*`).
      A self-hosted runner, a runner label from an expression, or a shell executor
      may keep `~/go` between runs.
    - Go counts as cached with `actions/setup-go@v4` or later (it caches
      `GOMODCACHE` and `GOCACHE` unless `cache: false`), `actions/setup-go@v3` with
      `cache: true`, `actions/cache` on a path that may hold Go's caches, a GitLab
      `cache:` whose paths may hold them. A setup-go pinned to a commit, a local
      action (`./.github/actions/...`) or another action whose name says Go or cache
      may cache: the job is not reported. A GitLab job whose `GOPATH`/`GOCACHE` point
      outside the project (a runner volume may keep them) is not reported either.
    - An image build counts as cached with `--cache-from`/`--cache-to`,
      `docker/build-push-action`'s `cache-from`/`cache-to`, or a `RUN
      --mount=type=cache` in the Dockerfile it builds. Only builds of a Dockerfile
      that dockready reads and that compiles Go are judged.
    - A job defined where it cannot be read (a reusable workflow, a GitLab `include`
      that may set the default cache, an `extends` of a template of another file,
      `!reference`) is not reported.

    The finding is repository-level: like other findings on shared files, it names a
    service only when the CI file lies in that service's folder.

    ## Why is this bad?
    A fresh runner has an empty module cache and build cache: every run downloads
    every module and compiles the standard library and all dependencies again. That
    is minutes per run on a medium service, and a dependency on the module proxy
    being up for every build.

    ## Example
    ```yaml
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: actions/setup-go@v3
            with: {go-version: "1.22"}
          - run: go test ./...
    ```

    ## Use instead
    ```yaml
          - uses: actions/setup-go@v5   # caches go.sum-keyed module and build caches
            with: {go-version-file: go.mod}
          - run: go test ./...
    ```
    For images: `docker/build-push-action` with `cache-from: type=gha` and
    `cache-to: type=gha,mode=max`. For GitLab: `variables: {GOPATH:
    $CI_PROJECT_DIR/.go, GOCACHE: $CI_PROJECT_DIR/.go-build}` and `cache: {key:
    {files: [go.sum]}, paths: [.go/pkg/mod/, .go-build/]}`.

    ## Fix safety
    Safe: Go verifies every cache entry; a stale cache costs time, never correctness.

    ## References
    - [actions/setup-go: caching dependency files and build outputs](https://github.com/actions/setup-go#caching-dependency-files-and-build-outputs)
    - [GitLab: caching Go projects](https://docs.gitlab.com/ee/ci/caching/#cache-go-dependencies)
    - [Docker: cache storage backends (gha, registry)](https://docs.docker.com/build/cache/backends/)
    """
    ix = ctx.index
    for f in ix.ci_files:
        for job in f.jobs:
            if job.opaque or not job.fresh:
                continue
            hit = _job_hit(ix, f, job)
            if hit is not None:
                yield hit
