"""DR206 build-target-missing: Dockerfile paths that are not in the build context."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from dockready.discover import SKIP_DIRS, classify
from dockready.facts.derived.build import (
    bind_mounts,
    ctx_rel,
    fetched,
    ignoring_pattern,
    in_module,
    join,
    run_at,
)
from dockready.facts.derived.image import build_of
from dockready.facts.docker import GoBuild, Stage
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@dataclass(frozen=True, slots=True)
class _Tree:
    """The discovered files of the checked tree, and every directory holding one."""

    files: frozenset[str]
    dirs: frozenset[str]

    @staticmethod
    def of(ix: ProjectIndex) -> _Tree:
        return _Tree(ix.all_paths, ix.tree_paths() - ix.all_paths)

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.dirs


def _skipped(ix: ProjectIndex, path: str) -> bool:
    """Is ``path`` where discovery does not look (``vendor/``, ``testdata/``, an
    excluded path such as ``bin/``)? What is there is unknown."""
    parts = path.split("/")
    return (
        any(p in SKIP_DIRS or p == "vendor" for p in parts[:-1])
        or parts[-1] in SKIP_DIRS
        or ix.excluded(path)
    )


def _source_root(src: str) -> str:
    """A COPY source relative to the build context (a leading ``/`` is the context)."""
    return join(src.lstrip("/")) if src.strip("/") else "."


def _context_candidates(
    tree: _Tree, build: Build, stage: Stage, gb: GoBuild, container_path: str
) -> list[str] | None:
    """Where, in the checked tree, the builder path ``container_path`` comes from:
    a bind mount of the context into the go build's RUN, else the latest COPY from
    the context whose destination holds it. None when it is not known (copied from
    another stage, a glob, or no COPY at all)."""
    df = build.dockerfile
    for m in bind_mounts(run_at(stage, gb.span.line), stage.workdir):
        if container_path == m.target or container_path.startswith(m.target.rstrip("/") + "/"):
            if m.other:
                return None
            rel = posixpath.relpath(container_path, m.target)
            return [join(build.context, m.source, rel)]
    copies = df.copies_before(stage, gb.span.line)
    for c in reversed(copies):
        dest = c.dest.rstrip("/") or "/"
        if not (container_path == dest or container_path.startswith(dest.rstrip("/") + "/")):
            continue
        if c.from_stage is not None:
            return None
        rel = posixpath.relpath(container_path, dest)
        out: list[str] = []
        for s in c.sources:
            src = _source_root(s)
            if any(ch in src for ch in "*?[$") or src.startswith(".."):
                return None
            full = join(build.context, src)
            if full in tree.files:
                if rel in (".", posixpath.basename(src)):
                    out.append(full)
                continue
            out.append(join(full, rel))
        return out or None
    return None


def _target_problem(
    ix: ProjectIndex, tree: _Tree, target: str, cand: str, dots: bool
) -> str | None:
    """What is wrong with building ``cand`` (a directory or .go file of the tree), and
    what happens then; None when it builds a command."""
    if cand.endswith(".go"):
        if cand in tree.files:
            return None
        return f"{cand} does not exist in the build context, so the build fails"
    if dots:
        if any(d == cand or d.startswith(cand.rstrip("/") + "/") for d in ix.packages):
            return None
        return f"{target} matches no Go packages in the build context: nothing is built"
    pkg = ix.packages.get(cand)
    if pkg is None:
        if any(p.endswith(".go") and p.rsplit("/", 1)[0] == cand for p in tree.files):
            return None  # Go files that were listed but not parsed (single files named)
        if cand in tree.dirs:
            return f"{cand} holds no Go files, so the build fails"
        return f"{cand} does not exist in the build context, so the build fails"
    if pkg.name != "main":
        return f"{cand} holds package {pkg.name}, not package main: no executable is built"
    if not pkg.is_main:
        return f"package main in {cand} has no func main, so the build fails"
    return None


def _target_dirs(
    ix: ProjectIndex, tree: _Tree, build: Build, stage: Stage, gb: GoBuild, target: str
) -> tuple[list[str], bool] | None:
    """The tree paths a ``go build`` target names, and whether it is a ``...``
    pattern; None when the target is not something we can place (an import path
    outside the module, ``pkg@version``, an unknown copy)."""
    dots = target.endswith("/...") or target == "..."
    t = target[: -len("/...")] if target.endswith("/...") else ("." if target == "..." else target)
    mod = ix.module_of(join(build.context, "x"))
    if mod is not None and mod.module and in_module(t, mod.module):
        return [join(mod.dir, t[len(mod.module) :].lstrip("/"))], dots
    if not (t.startswith(".") or t.startswith("/")) or "@" in t:
        return None
    cp = join(gb.workdir, t)
    cands = _context_candidates(tree, build, stage, gb, cp)
    if cands is None or any(c == ".." or c.startswith("../") for c in cands):
        return None
    return cands, dots


def _inside(path: str, d: str) -> bool:
    return d == "." or path == d or path.startswith(d.rstrip("/") + "/")


def _missing_replacements(ix: ProjectIndex, svc: Service, build: Build) -> Iterator[Hit]:
    """go.mod ``replace`` directives with a local directory that the build cannot
    read: outside the build context, or never copied into the builder."""
    gb, stage, mod = build.go_build, build.build_stage, svc.module
    if gb is None or stage is None or mod is None or not mod.local_replaces:
        return
    if build.context.startswith("..") or not _inside(mod.dir, build.context):
        return
    if mod.dir in ix.vendors and gb.mod != "mod":
        return  # vendor mode: go mod vendor copied the replaced packages
    if bind_mounts(run_at(stage, gb.span.line), stage.workdir):
        return  # the context is mounted into the RUN: not judged
    df = build.dockerfile
    copies = [c for c in df.copies_before(stage, gb.span.line) if c.from_stage is None]
    verb = "install" if gb.install else "build"
    for r in mod.local_replaces:
        if r.new.startswith("/"):
            continue  # an absolute path: it may be in the builder image
        d = join(mod.dir, r.new)
        related = (Related(r.span, f"replace {r.old} => {r.new}"),)
        if not _inside(d, build.context):
            if any(_inside(d, join(build.context, src)) for c in copies for src in c.sources):
                continue  # a COPY ../shared climbs out for it: that COPY is the finding
            yield Hit(
                gb.span,
                f"go {verb} reads {r.new} (go.mod replaces {r.old} with it), which is "
                f"outside the build context ({build.context}): the build fails with 'no "
                "such file or directory'; build from a directory that holds both "
                "(docker build -f <module>/Dockerfile <top>) and copy it, or vendor the "
                "modules",
                related,
            )
            continue
        covered = False
        for c in copies:
            for src in c.sources:
                if any(ch in src for ch in "*?[$"):
                    covered = True  # a glob may hold it: not judged
                    continue
                full = join(build.context, _source_root(src))
                if _inside(d, full):
                    covered = True
        if not covered:
            yield Hit(
                gb.span,
                f"go {verb} reads {r.new} (go.mod replaces {r.old} with it), but no COPY "
                f"puts {d} into the builder: the build fails with 'no such file or "
                "directory'",
                related,
            )


def _missing_targets(ix: ProjectIndex, tree: _Tree, build: Build, st: Stage) -> Iterator[Hit]:
    for gb in st.go_builds:
        for target in gb.targets:
            placed = _target_dirs(ix, tree, build, st, gb, target)
            if placed is None:
                continue
            cands, dots = placed
            verb = "install" if gb.install else "build"
            ignored = _ignored_package(ix, build, cands[0]) if len(cands) == 1 else None
            if ignored is not None:
                yield Hit(
                    gb.span,
                    f"go {verb} {target}: .dockerignore excludes the Go files of {cands[0]}, "
                    "so they never reach the builder and the build fails",
                    (Related(ignored, f"excludes {cands[0]}"),),
                )
                break
            problems = [_target_problem(ix, tree, target, c, dots) for c in cands]
            if len(cands) != 1 or problems[0] is None or _skipped(ix, cands[0] + "/x"):
                continue
            if _main_elsewhere(ix, build, cands[0]):
                continue
            pkg = ix.packages.get(cands[0])
            related = (
                (Related(Span(pkg.files[0].path, 1, 1), f"package {pkg.name}"),)
                if pkg is not None and pkg.files
                else ()
            )
            yield Hit(gb.span, f"go {verb} {target}: {problems[0]}", related)
            break


def _ignored_package(ix: ProjectIndex, build: Build, cand: str) -> Span | None:
    """The .dockerignore line that keeps every Go file of the package at ``cand`` out
    of the build context, if it does."""
    pkg = ix.packages.get(cand)
    di = build.dockerignore
    if pkg is None or di is None or not pkg.files:
        return None
    spans: list[Span] = []
    for g in pkg.files:
        rel = ctx_rel(build, g.path)
        span = ignoring_pattern(di, rel) if rel is not None else None
        if span is None:
            return None
        spans.append(span)
    return spans[0]


def _missing_sources(ix: ProjectIndex, tree: _Tree, build: Build, st: Stage) -> Iterator[Hit]:
    di = build.dockerignore
    for c in st.copies:
        if c.from_stage is not None:
            continue
        for s in c.sources:
            if (
                "$" in s
                or s.startswith("<<")
                or (c.is_add and ("://" in s or s.startswith("git@")))
            ):
                continue
            src = _source_root(s)
            verb = "ADD" if c.is_add else "COPY"
            if src == ".." or src.startswith("../"):
                clamped = src
                while clamped.startswith("../"):
                    clamped = clamped[3:]
                clamped = "." if clamped == ".." else clamped
                if not tree.exists(join(build.context, clamped)):
                    yield Hit(
                        c.span,
                        f"{verb} {s}: the source climbs out of the build context "
                        f"({build.context}), which is all Docker sends: the build fails with "
                        "'not found' (or a forbidden path)",
                    )
                continue
            if src == "." or any(ch in src for ch in "*?["):
                continue
            full = join(build.context, src)
            if tree.exists(full):
                pattern = ignoring_pattern(di, src) if di is not None else None
                if pattern is not None and posixpath.basename(src) != "go.sum":
                    yield Hit(
                        c.span,
                        f"{verb} {s}: .dockerignore excludes it from the build context, so "
                        "the build fails with 'not found'",
                        (Related(pattern, f"excludes {src}"),),
                    )
                continue
            if classify(full) is None or _skipped(ix, full) or _found_elsewhere(tree, src):
                continue
            if posixpath.basename(src) == "go.sum" and _requires_near(ix, full):
                continue  # DR205
            yield Hit(
                c.span,
                f"{verb} {s}: {full} is not in the build context ({build.context}): "
                "the build fails with 'not found'",
            )


def _found_elsewhere(tree: _Tree, src: str) -> bool:
    """Does ``src`` exist under some other directory of the tree? Then the build
    context may be that directory (we only infer it), so nothing is reported."""
    suffix = "/" + src
    return any(p.endswith(suffix) for p in tree.files) or any(d.endswith(suffix) for d in tree.dirs)


def _main_elsewhere(ix: ProjectIndex, build: Build, cand: str) -> bool:
    """Is there a main package at the same path relative to another directory (the
    context may be that one)?"""
    rel = ctx_rel(build, cand)
    if rel is None or rel == ".":
        return False
    return any(
        d != cand and (d == rel or d.endswith("/" + rel)) and p.is_main
        for d, p in ix.packages.items()
    )


def _requires_near(ix: ProjectIndex, go_sum: str) -> bool:
    """Is ``go_sum`` the go.sum of a module that needs one (DR205 reports it)?"""
    mod = ix.module_of(go_sum)
    return mod is not None and fetched(mod) and join(mod.dir, "go.sum") == go_sum


@rule(
    id="DR206",
    name="build-target-missing",
    severity=Severity.ERROR,
    reads=(Input.IMAGE, Input.COMPOSE),
    calls=(),
)
def build_target_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Dockerfile paths that point at nothing in the build context:

    - a `go build`/`go install` target (`./cmd/api`, `/src/cmd/api`, the module
      path) whose directory does not exist, holds no Go files, holds a package other
      than `main`, or a `package main` without `func main`, or whose Go files the
      context's `.dockerignore` excludes (`cmd/`). The target is placed
      through the `COPY` (or `RUN --mount=type=bind`) that put the context into the
      builder; targets copied from another stage, import paths outside the module
      and `pkg@version` are not judged.
    - a `COPY`/`ADD` source (from the context, not `--from`) that does not exist, or
      that the context's `.dockerignore` excludes. Only files of a kind dockready
      reads are judged missing (`.go`, `go.mod`, YAML, Dockerfiles, `.dockerignore`):
      other files and directories may exist without being read. Globs are never
      reported (BuildKit allows a wildcard that matches nothing: `go.su[m]` is the
      idiom for an optional `go.sum`). A missing `go.sum` while go.mod requires
      modules is DR205's.
    - a source that climbs out of the context (`COPY ../shared ./`).
    - a local directory that go.mod `replace`s a requirement with
      (`replace example.com/shared => ../../libs/shared`) outside the build context,
      or one that no `COPY` puts into the builder: `go mod download` and `go build`
      read it. Vendored builds are not judged (`go mod vendor` copies the replaced
      packages), nor are absolute paths or builds that bind-mount the context.

    The build context is inferred (a compose `build.context`, else the Dockerfile's
    module, or an enclosing directory that holds what it copies), so a path found under another directory of the tree (a target with a
    `main` package, a source file) is not reported: the context may be that one.

    ## Why is this bad?
    The image does not build (`"/cmd/app": not found`, `no Go files in …`,
    `cannot load package`), or a build of a library package exits 0 and ships an
    image without the binary. This is the usual state of a Dockerfile after the
    code moved (`cmd/app` → `cmd/api`).

    ## Example
    ```dockerfile
    COPY . .
    RUN go build -o /app ./cmd/server   # the code is now in cmd/api
    ```

    ## Use instead
    ```dockerfile
    COPY . .
    RUN go build -o /app ./cmd/api
    ```

    ## Fix safety
    Safe: point the path at what the repository holds.

    ## References
    - [Dockerfile reference: COPY](https://docs.docker.com/reference/dockerfile/#copy)
    - [go build](https://pkg.go.dev/cmd/go#hdr-Compile_packages_and_dependencies)
    - [BuildKit check CopyIgnoredFile](https://docs.docker.com/reference/build-checks/copy-ignored-file/)
    """
    ix = ctx.index
    tree = _Tree.of(ix)
    for df in ix.dockerfiles:
        build = build_of(ix, df)
        if build is None or build.context == ".." or build.context.startswith("../"):
            continue
        for st in df.stages:
            yield from _missing_targets(ix, tree, build, st)
            yield from _missing_sources(ix, tree, build, st)
    for svc in ix.services:
        for build in svc.builds:
            yield from _missing_replacements(ix, svc, build)
