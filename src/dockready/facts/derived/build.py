"""The build side of a service, shared by the container-ready rules (DR201-DR206,
DR223): the ``go build`` that makes a service's binary and the settings it sees
(``go env -w`` included), its link flags, the final image's libc, and where build
context paths come from (``.dockerignore``, COPY and bind-mount sources)."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from dockready.facts.derived.image import copies_path, installed_packages, shell_words
from dockready.facts.docker import Copy, Dockerfile, DockerIgnore, GoBuild, Instruction, Stage
from dockready.facts.go import (
    Call,
    GoFile,
    GoMod,
    Value,
    VendorModules,
    version_tuple,
)
from dockready.facts.ignorematch import matches
from dockready.facts.images import ImageInfo, lookup
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
    # Strings only: posixpath.relpath asks the OS for the working directory each time.
    rel = posixpath.normpath(path)
    if build.context != ".":
        ctx = posixpath.normpath(build.context)
        if rel == ctx:
            rel = "."
        elif ctx != ".":
            if not rel.startswith(ctx + "/"):
                return None
            rel = rel[len(ctx) + 1 :]
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


#: Packages that put a C compiler on a builder (``apk add gcc``, ``build-base``...).
C_COMPILER_PACKAGES = frozenset(
    {"gcc", "clang", "build-base", "build-essential", "g++", "gcc-c++", "musl-gcc"}
)


def stage_image(df: Dockerfile, stage: Stage) -> ImageInfo | None:
    """What we know about the external image a stage is built ``FROM`` (None if
    unknown); for a builder, ``go_version`` is the Go of its ``golang`` tag."""
    return lookup(df.external_base(stage))


def stage_installs(df: Dockerfile, stage: Stage) -> frozenset[str]:
    """Packages the RUNs of a stage and of the stages it is built FROM install."""
    return frozenset(
        pkg
        for st in df.lineage(stage)
        for i in st.instructions
        if i.cmd == "RUN"
        for pkg in installed_packages(i)
    )


def has_c_compiler(df: Dockerfile, stage: Stage) -> bool | None:
    """Is there a C compiler in the stage: the base image's (Debian ``golang`` images
    have gcc) or one a RUN installs (``apk add gcc musl-dev``)? None if unknown."""
    if stage_installs(df, stage) & C_COMPILER_PACKAGES:
        return True
    info = stage_image(df, stage)
    return None if info is None else info.image.gcc


def has_git(df: Dockerfile, stage: Stage) -> bool | None:
    """Is ``git`` in the stage (the base image's, or installed by a RUN)?"""
    if "git" in stage_installs(df, stage):
        return True
    info = stage_image(df, stage)
    return None if info is None else info.image.git


def cgo_enabled(df: Dockerfile, stage: Stage, build: GoBuild) -> bool | None:
    """The effective ``CGO_ENABLED`` of a ``go build``: the value the command sees
    (``ENV``, inline, ``export``), else Go's default: on when a C compiler is present,
    off without one (Go >= 1.20; ``golang:*-alpine`` has no gcc). None when unknown
    (an unknown builder image, a Go older than 1.20 without a compiler, a value that
    is neither 0 nor 1)."""
    if build.cgo is not None:
        value = build.cgo.strip()
        return True if value == "1" else False if value == "0" else None
    cc = has_c_compiler(df, stage)
    if cc is None or cc:
        return cc
    info = stage_image(df, stage)
    version = version_tuple(info.go_version) if info is not None else None
    if version is not None and version < (1, 20):
        return None  # before Go 1.20 cgo defaulted on, compiler or not
    return False


def linked_files(ix: ProjectIndex, svc: Service) -> tuple[GoFile, ...]:
    """The Go files that end up in the service's binary, as far as the tree shows: the
    main package and the packages of the service's own module that it imports,
    transitively (imports of other modules are not followed). All of the service's
    files when its main package or module path is unknown. Unlike ``svc.files`` this
    leaves out packages of the module that only other services (or tests) use."""
    mod = svc.module
    if svc.main is None or mod is None or not mod.module:
        return tuple(svc.files)
    seen = {svc.main.dir}
    queue = [svc.main]
    out: list[GoFile] = []
    while queue:
        pkg = queue.pop()
        out.extend(pkg.files)
        for g in pkg.files:
            for imp in g.imports:
                if imp.path != mod.module and not imp.path.startswith(mod.module + "/"):
                    continue
                rel = imp.path[len(mod.module) :].lstrip("/")
                d = posixpath.normpath(posixpath.join(mod.dir, rel))
                d = "." if d in ("", ".") else d
                dep = ix.packages.get(d)
                if dep is not None and d not in seen:
                    seen.add(d)
                    queue.append(dep)
    return tuple(out)


def imports_under(files: Iterable[GoFile], prefixes: Iterable[str]) -> bool:
    """Does any file import one of ``prefixes`` or a package below it
    (``go.uber.org/fx`` covers ``go.uber.org/fx/fxevent``)?"""
    wanted = {p.rstrip("/") for p in prefixes}
    for g in files:
        for imp in g.imports:
            path = imp.path
            if path in wanted:
                return True
            i = path.find("/")
            while i > 0:
                if path[:i] in wanted:
                    return True
                i = path.find("/", i + 1)
    return False


#: Modules that only work with cgo (they wrap a C library), with what they wrap.
#: A module matches itself and its sub-paths (``.../confluent-kafka-go/v2/kafka``).
CGO_MODULES: dict[str, str] = {
    "github.com/mattn/go-sqlite3": "SQLite, a C library",
    "gorm.io/driver/sqlite": "mattn/go-sqlite3 (SQLite in C)",
    "github.com/confluentinc/confluent-kafka-go": "librdkafka, a C library",
    "gopkg.in/confluentinc/confluent-kafka-go.v1": "librdkafka, a C library",
    "github.com/miekg/pkcs11": "PKCS#11 modules through C",
    "github.com/godror/godror": "Oracle's ODPI-C",
    "github.com/mattn/go-oci8": "Oracle's OCI client",
    "github.com/ibmdb/go_ibm_db": "the IBM Db2 CLI driver",
    "github.com/linxGnu/grocksdb": "RocksDB, a C++ library",
    "github.com/tecbot/gorocksdb": "RocksDB, a C++ library",
    "github.com/h2non/bimg": "libvips",
    "github.com/davidbyttow/govips": "libvips",
    "gopkg.in/gographics/imagick.v2": "ImageMagick",
    "gopkg.in/gographics/imagick.v3": "ImageMagick",
    "github.com/libgit2/git2go": "libgit2",
    "github.com/ceph/go-ceph": "Ceph's librados",
    "github.com/DataDog/zstd": "zstd in C",
    "github.com/valyala/gozstd": "zstd in C",
}


def vendor_diff(mod: GoMod, vendor: VendorModules) -> list[str]:
    """How ``vendor/modules.txt`` disagrees with go.mod (a required module missing, or
    at another version): ``go build`` in vendor mode then stops with "inconsistent
    vendoring". Empty when they agree."""
    vendored = dict(vendor.modules)
    out: list[str] = []
    for r in mod.requires:
        v = vendored.get(r.path)
        if v is None:
            out.append(f"{r.path} {r.version} is not in vendor/modules.txt")
        elif v != r.version and v != "=>":
            out.append(f"{r.path} is {r.version} in go.mod but {v} in vendor/")
    return out


def cgo_module(path: str) -> str | None:
    """The cgo-only module (a key of :data:`CGO_MODULES`) an import path belongs to."""
    for mod in CGO_MODULES:
        if path == mod or path.startswith(mod + "/"):
            return mod
    return None


#: URL schemes that connect with TLS (verified against the system roots).
TLS_SCHEMES = ("https://", "wss://", "rediss://", "amqps://", "mongodb+srv://", "mqtts://")


#: Cloud SDKs: every call is HTTPS to the provider's API.
CLOUD_SDKS = (
    "cloud.google.com/go",
    "google.golang.org/api",
    "firebase.google.com/go",
    "github.com/aws/aws-sdk-go",
    "github.com/aws/aws-sdk-go-v2",
    "github.com/Azure/azure-sdk-for-go",
)


#: Zones ``time.LoadLocation`` serves without the zoneinfo database.
ZONES_BUILT_IN = frozenset({"", "UTC", "Local"})


def embeds_tzdata(files: Iterable[GoFile], build: Build | None = None) -> bool:
    """Does the binary carry its own zoneinfo: one of its ``files`` imports
    ``time/tzdata``, or ``build``'s ``go build`` sets ``-tags timetzdata`` (in
    ``-tags`` or ``GOFLAGS``)?"""
    if any(g.import_of("time/tzdata") is not None for g in files):
        return True
    gb = build.go_build if build is not None else None
    if gb is None:
        return False
    texts = [gb.tags or "", gb.getenv("GOFLAGS") or ""]
    return any("timetzdata" in t.replace(",", " ").replace("=", " ").split() for t in texts)


def zoneinfo_loads(
    files: Iterable[GoFile], resolve: Callable[[Value], Iterable[str | None]]
) -> list[tuple[Call, str | None]]:
    """``time.LoadLocation`` calls in ``files`` that need the zoneinfo database, with
    the zone they load when known. ``resolve`` gives the values the argument takes
    (one per place the service runs; None where unknown): a call whose every value
    is a built-in zone (``UTC``, ``Local``, ``""``) needs no database."""
    out: list[tuple[Call, str | None]] = []
    for g in files:
        for c in g.calls_to("time.LoadLocation"):
            v = c.arg(0)
            if v is None:
                continue
            names = set(resolve(v))
            if all(n is not None and n in ZONES_BUILT_IN for n in names):
                continue
            out.append(
                (c, next((n for n in names if n is not None and n not in ZONES_BUILT_IN), None))
            )
    return out
