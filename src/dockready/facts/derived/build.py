"""The build side of a service, shared by the container-ready rules (DR201-DR206,
DR223): the ``go build`` that makes a service's binary and the settings it sees
(``go env -w`` included), its link flags, the final image's libc, and where build
context paths come from (``.dockerignore``, COPY and bind-mount sources)."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.docker import Copy, Dockerfile, DockerIgnore, GoBuild, Instruction, Stage
from dockready.facts.effective import (
    CGO_MODULES,
    cgo_enabled,
    cgo_module,
    copies_path,
    linked_files,
    shell_words,
)
from dockready.facts.go import GoMod
from dockready.facts.ignorematch import matches
from dockready.facts.images import ImageInfo
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Span

#: Of ``CGO_MODULES``, the ones that still compile without cgo and fail only at run time.
CGO_RUNTIME_STUB = frozenset({"github.com/mattn/go-sqlite3", "gorm.io/driver/sqlite"})


@dataclass(frozen=True, slots=True)
class Job:
    """A service's Dockerfile and the ``go build`` in it that makes the shipped binary."""

    svc: Service
    build: Build
    gb: GoBuild
    stage: Stage

    @property
    def df(self) -> Dockerfile:
        return self.build.dockerfile


def jobs(ix: ProjectIndex) -> Iterator[Job]:
    """Each service build whose Dockerfile has a ``go build`` in a build stage."""
    for svc in ix.services:
        for b in svc.builds:
            if b.go_build is not None and b.build_stage is not None:
                yield Job(svc, b, b.go_build, b.build_stage)


def from_span(df: Dockerfile, stage: Stage) -> Span:
    """The FROM line that names the stage's external image (a parent stage's FROM
    when the stage is built ``FROM`` another stage)."""
    return df.lineage(stage)[-1].span


def plural(n: int, word: str) -> str:
    """``n word``, with an ``s`` when ``n`` is not 1."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def in_module(path: str, module: str) -> bool:
    """Is import path ``path`` in module ``module`` (the module or a package under it)?"""
    return path == module or path.startswith(module + "/")


@dataclass(frozen=True, slots=True)
class Need:
    """Why the code needs cgo: ``import "C"`` or a cgo-only module."""

    what: str
    span: Span
    module: str | None = None

    @property
    def consequence(self) -> str:
        if self.module is None:
            return "the package does not build without cgo"
        if self.module in CGO_RUNTIME_STUB:
            return "without cgo it builds a stub that fails at run time ('requires cgo to work')"
        return "without cgo the build fails"


def cgo_need(ix: ProjectIndex, svc: Service) -> Need | None:
    """The first evidence that the service's binary needs cgo: ``import "C"``, or an
    import from a cgo-only module, in the packages its main package links."""
    files = linked_files(ix, svc)
    for g in files:
        if g.cgo is not None:
            return Need(f'import "C" in {g.path}', g.cgo)
    for g in files:
        for imp in g.imports:
            mod = cgo_module(imp.path)
            if mod is not None:
                return Need(f"{mod} (wraps {CGO_MODULES[mod]})", imp.span, mod)
    return None


def go_env_file(df: Dockerfile, stage: Stage, before: int) -> dict[str, str]:
    """Settings written with ``go env -w KEY=VALUE`` by RUNs of the stage's lineage
    before line ``before`` (Go reads them when the environment does not set them)."""
    out: dict[str, str] = {}
    for st in reversed(df.lineage(stage)):
        for i in st.instructions:
            if i.cmd != "RUN" or i.span.line >= before:
                continue
            words = shell_words(" ".join((*i.value, *i.heredocs)))
            for k in range(len(words) - 2):
                if posixpath.basename(words[k]) != "go" or words[k + 1 : k + 3] != ["env", "-w"]:
                    continue
                for w in words[k + 3 :]:
                    name, eq, value = w.partition("=")
                    if not eq:
                        break
                    out[name] = value
    return out


def setting(job: Job, name: str) -> str | None:
    """A go setting as the ``go build`` sees it: its environment, else ``go env -w``."""
    value = job.gb.getenv(name)
    if value is None:
        value = go_env_file(job.df, job.stage, job.gb.span.line).get(name)
    return value


def goflag(job: Job, flag: str, parsed: str | None) -> str | None:
    """A ``go build`` flag: as given (flag or ``GOFLAGS`` env, already merged by the
    parser), else from a ``GOFLAGS`` written with ``go env -w``."""
    if parsed is not None:
        return parsed
    goflags = go_env_file(job.df, job.stage, job.gb.span.line).get("GOFLAGS", "")
    for w in goflags.split():
        key, eq, value = w.lstrip("-").partition("=")
        if key == flag:
            return value if eq else "true"
    return None


def job_cgo(job: Job) -> bool | None:
    """Effective cgo of the job's ``go build`` (``go env -w CGO_ENABLED`` included)."""
    if job.gb.cgo is None:
        written = go_env_file(job.df, job.stage, job.gb.span.line).get("CGO_ENABLED")
        if written is not None:
            return True if written == "1" else False if written == "0" else None
    return cgo_enabled(job.df, job.stage, job.gb)


def ldflag_words(gb: GoBuild) -> list[str]:
    """The words of the ``go build``'s ``-ldflags`` (shell-split when it can be)."""
    if not gb.ldflags:
        return []
    try:
        return shlex.split(gb.ldflags)
    except ValueError:
        return gb.ldflags.split()


def ldflag(gb: GoBuild, name: str) -> str | None:
    """The value of a linker flag in ``-ldflags`` (``-linkmode external`` or
    ``-linkmode=external``), else None."""
    words = ldflag_words(gb)
    for i, w in enumerate(words):
        key, eq, value = w.lstrip("-").partition("=")
        if not w.startswith("-") or key != name:
            continue
        if eq:
            return value
        return words[i + 1] if i + 1 < len(words) else ""
    return None


def extld_static(gb: GoBuild) -> bool:
    """Does ``-ldflags`` pass ``-static`` to the external linker (``-extldflags``)?"""
    ext = ldflag(gb, "extldflags")
    return ext is not None and "-static" in ext.split()


def libc_mismatch(builder: ImageInfo, final: ImageInfo) -> bool:
    """Can a binary linked against the builder's libc not run on the final image?"""
    if not final.image.static_only:
        return False
    return final.image.libc == "none" or final.image.libc != builder.image.libc


def final_has_loader(build: Build) -> bool:
    """Does the final stage copy a dynamic loader or libraries in (``/lib``...)?"""
    return copies_path(build, "/lib", "/lib64", "/usr/lib") is not None


def libc_text(final: ImageInfo) -> str:
    """What the final image lacks, for a message."""
    return "has no C library" if final.image.libc == "none" else "has only musl libc"


def ctx_rel(build: Build, path: str) -> str | None:
    """``path`` (relative to the checked root) relative to the build context, or None
    when it is outside the context."""
    rel = posixpath.relpath(path, build.context) if build.context != "." else path
    rel = posixpath.normpath(rel)
    return None if rel == ".." or rel.startswith("../") else rel


def ignoring_pattern(di: DockerIgnore, relpath: str) -> Span | None:
    """The .dockerignore line that excludes ``relpath`` (the last matching one)."""
    if not di.excludes(relpath):
        return None
    found: Span | None = None
    for p in di.patterns:
        if not p.negated and matches((p,), relpath):
            found = p.span
    return found or Span(di.path, 1, 1)


def run_at(stage: Stage, line: int) -> Instruction | None:
    """The RUN instruction of the stage that contains ``line``."""
    best: Instruction | None = None
    for i in stage.instructions:
        if i.span.line > line:
            break
        best = i
    return best if best is not None and best.cmd == "RUN" else None


@dataclass(frozen=True, slots=True)
class Mount:
    """A ``RUN --mount=type=bind`` from the build context (``source`` relative to it)."""

    source: str
    target: str
    other: bool  # from= another stage or image


def bind_mounts(run: Instruction | None, workdir: str) -> list[Mount]:
    """The bind mounts of a RUN (``run`` may be None), targets made absolute against
    ``workdir``."""
    out: list[Mount] = []
    if run is None:
        return out
    for f in run.flags:
        if not f.startswith("--mount="):
            continue
        opts: dict[str, str] = {}
        for item in f[len("--mount=") :].split(","):
            k, _, v = item.partition("=")
            opts[k.strip().lower()] = v.strip()
        if opts.get("type", "bind") != "bind":
            continue
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
        if not target:
            continue
        source = posixpath.normpath(opts.get("source") or opts.get("src") or ".")
        out.append(
            Mount(source, posixpath.normpath(posixpath.join(workdir, target)), "from" in opts)
        )
    return out


def copies_whole_context(job: Job) -> Copy | None:
    """The COPY of the whole build context (``COPY . .``) into the build stage's lineage
    before the ``go build``, if any."""
    for st in job.df.lineage(job.stage):
        for c in st.copies:
            whole = any(posixpath.normpath(s) in (".", "/") for s in c.sources)
            before = st is not job.stage or c.span.line < job.gb.span.line
            if c.from_stage is None and whole and before:
                return c
    return None


#: Versions ``go mod edit``/workspaces give a requirement that a ``replace`` points
#: at a local directory: such modules are not downloaded and have no go.sum lines.
LOCAL_VERSIONS = frozenset({"v0.0.0", "v0.0.0-00010101000000-000000000000"})


def fetched(mod: GoMod) -> bool:
    """Does the module require modules that are downloaded (and need go.sum lines)?"""
    return any(r.version not in LOCAL_VERSIONS for r in mod.requires)


def join(*parts: str) -> str:
    """``posixpath.join`` normalized (``.`` for the empty path)."""
    n = posixpath.normpath(posixpath.join(*parts))
    return "." if n in ("", ".") else n
