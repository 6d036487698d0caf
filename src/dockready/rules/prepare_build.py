"""Chapter 2 · Getting the code container-ready (seed ch.2): the build side.

These rules join a service's Go code and ``go.mod`` with the Dockerfile that builds
it: the builder image (its Go version, C compiler, git), the ``go build`` flags and
environment, what the build context and ``.dockerignore`` let in, and the final
image the binary has to run on.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import posixpath
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from dockready.discover import SKIP_DIRS, classify
from dockready.facts.docker import Copy, Dockerfile, DockerIgnore, GoBuild, Instruction, Stage
from dockready.facts.effective import (
    CGO_MODULES,
    build_of,
    cgo_enabled,
    cgo_module,
    copies_path,
    has_git,
    linked_files,
    shell_words,
    stage_image,
    vendor_diff,
)
from dockready.facts.go import EnvRef, GoFile, GoMod, version_tuple
from dockready.facts.ignorematch import matches
from dockready.facts.images import ImageInfo
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule
from dockready.secrets import mask, plausible_value, secret_name, strong_kind

# --------------------------------------------------------------------------- tables

#: Of those, the ones that still compile without cgo and fail only at run time.
_CGO_RUNTIME_STUB = frozenset({"github.com/mattn/go-sqlite3", "gorm.io/driver/sqlite"})

#: Standard packages that import ``net`` (resolver through libc when cgo is on).
_NET_STD = frozenset(
    {
        "net",
        "net/http",
        "net/http/httputil",
        "net/http/pprof",
        "net/rpc",
        "net/rpc/jsonrpc",
        "net/smtp",
        "net/textproto",
        "net/mail",
        "crypto/tls",
        "log/syslog",
        "expvar",
    }
)
#: Third-party modules whose packages import ``net`` (servers, clients, drivers).
_NET_MODULES = (
    "google.golang.org/grpc",
    "github.com/lib/pq",
    "github.com/jackc/pgx",
    "github.com/go-sql-driver/mysql",
    "github.com/nats-io/nats.go",
    "github.com/redis/go-redis",
    "github.com/go-redis/redis",
    "github.com/gin-gonic/gin",
    "github.com/labstack/echo",
    "github.com/gofiber/fiber",
    "github.com/valyala/fasthttp",
    "github.com/go-chi/chi",
    "github.com/gorilla/mux",
    "go.mongodb.org/mongo-driver",
    "github.com/segmentio/kafka-go",
    "github.com/IBM/sarama",
    "github.com/Shopify/sarama",
    "github.com/rabbitmq/amqp091-go",
    "github.com/streadway/amqp",
    "github.com/prometheus/client_golang",
    "k8s.io/client-go",
    "cloud.google.com/go",
    "github.com/aws/aws-sdk-go",
    "github.com/aws/aws-sdk-go-v2",
)
_OS_USER = "os/user"

#: ``CGO_ENABLED``/``-buildvcs`` spellings Go reads as true / false.
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})

#: Dockerfile instructions whose secrets DR308 reports (DR207 leaves them alone).
_DR308_INSTRUCTIONS = frozenset({"ENV", "ARG", "COPY"})
#: Passwords in URLs that are well-known defaults of local services, not secrets.
_DEFAULT_PASSWORDS = frozenset(
    {"guest", "postgres", "root", "admin", "password", "pass", "secret", "test", "dev", "user"}
)
#: Words that mark a literal as an example or a placeholder.
_EXAMPLE_WORDS = (
    "example",
    "dummy",
    "sample",
    "placeholder",
    "changeme",
    "change-me",
    "xxxxxx",
    "your-",
    "your_",
    "<",
    "{{",
)
#: Name endings that say a secret-like name holds something else (an algorithm, a
#: cookie or parameter name, a pattern...).
_NOT_SECRET_SUFFIXES = (
    "algo",
    "algorithm",
    "method",
    "scheme",
    "cookie",
    "param",
    "pattern",
    "regex",
    "version",
    "hint",
    "label",
    "kind",
    "claim",
    "scope",
    "issuer",
    "audience",
    "realm",
    "provider",
    "column",
)
#: Directories of test helpers and doubles (secrets there are fixtures).
_TEST_DIRS = frozenset(
    {"mock", "mocks", "fake", "fakes", "testutil", "testutils", "testhelpers", "testing"}
)
#: Reserved example hosts (RFC 2606) in URLs.
_EXAMPLE_HOSTS = (".example", ".test", ".invalid", "example.com", "example.org", "example.net")


# --------------------------------------------------------------------------- shared joins


@dataclass(frozen=True, slots=True)
class _Job:
    """A service's Dockerfile and the ``go build`` in it that makes the shipped binary."""

    svc: Service
    build: Build
    gb: GoBuild
    stage: Stage

    @property
    def df(self) -> Dockerfile:
        return self.build.dockerfile


def _jobs(ix: ProjectIndex) -> Iterator[_Job]:
    for svc in ix.services:
        for b in svc.builds:
            if b.go_build is not None and b.build_stage is not None:
                yield _Job(svc, b, b.go_build, b.build_stage)


def _from_span(df: Dockerfile, stage: Stage) -> Span:
    """The FROM line that names the stage's external image (a parent stage's FROM
    when the stage is built ``FROM`` another stage)."""
    return df.lineage(stage)[-1].span


def _image_ref(df: Dockerfile, stage: Stage) -> str:
    return df.external_base(stage)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _in_module(path: str, module: str) -> bool:
    return path == module or path.startswith(module + "/")


@dataclass(frozen=True, slots=True)
class _Need:
    """Why the code needs cgo: ``import "C"`` or a cgo-only module."""

    what: str
    span: Span
    module: str | None = None

    @property
    def consequence(self) -> str:
        if self.module is None:
            return "the package does not build without cgo"
        if self.module in _CGO_RUNTIME_STUB:
            return "without cgo it builds a stub that fails at run time ('requires cgo to work')"
        return "without cgo the build fails"


def _cgo_need(ix: ProjectIndex, svc: Service) -> _Need | None:
    """The first evidence that the service's binary needs cgo: ``import "C"``, or an
    import from a cgo-only module, in the packages its main package links."""
    files = linked_files(ix, svc)
    for g in files:
        if g.cgo is not None:
            return _Need(f'import "C" in {g.path}', g.cgo)
    for g in files:
        for imp in g.imports:
            mod = cgo_module(imp.path)
            if mod is not None:
                return _Need(f"{mod} (wraps {CGO_MODULES[mod]})", imp.span, mod)
    return None


def _go_env_file(df: Dockerfile, stage: Stage, before: int) -> dict[str, str]:
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


def _setting(job: _Job, name: str) -> str | None:
    """A go setting as the ``go build`` sees it: its environment, else ``go env -w``."""
    value = job.gb.getenv(name)
    if value is None:
        value = _go_env_file(job.df, job.stage, job.gb.span.line).get(name)
    return value


def _goflag(job: _Job, flag: str, parsed: str | None) -> str | None:
    """A ``go build`` flag: as given (flag or ``GOFLAGS`` env, already merged by the
    parser), else from a ``GOFLAGS`` written with ``go env -w``."""
    if parsed is not None:
        return parsed
    goflags = _go_env_file(job.df, job.stage, job.gb.span.line).get("GOFLAGS", "")
    for w in goflags.split():
        key, eq, value = w.lstrip("-").partition("=")
        if key == flag:
            return value if eq else "true"
    return None


def _cgo(job: _Job) -> bool | None:
    """Effective cgo of the job's ``go build`` (``go env -w CGO_ENABLED`` included)."""
    if job.gb.cgo is None:
        written = _go_env_file(job.df, job.stage, job.gb.span.line).get("CGO_ENABLED")
        if written is not None:
            return True if written == "1" else False if written == "0" else None
    return cgo_enabled(job.df, job.stage, job.gb)


def _ldflag_words(gb: GoBuild) -> list[str]:
    if not gb.ldflags:
        return []
    try:
        return shlex.split(gb.ldflags)
    except ValueError:
        return gb.ldflags.split()


def _ldflag(gb: GoBuild, name: str) -> str | None:
    """The value of a linker flag in ``-ldflags`` (``-linkmode external`` or
    ``-linkmode=external``), else None."""
    words = _ldflag_words(gb)
    for i, w in enumerate(words):
        key, eq, value = w.lstrip("-").partition("=")
        if not w.startswith("-") or key != name:
            continue
        if eq:
            return value
        return words[i + 1] if i + 1 < len(words) else ""
    return None


def _tags(gb: GoBuild) -> frozenset[str]:
    return frozenset(t for t in (gb.tags or "").replace(",", " ").split() if t)


def _extld_static(gb: GoBuild) -> bool:
    ext = _ldflag(gb, "extldflags")
    return ext is not None and "-static" in ext.split()


def _extld_static_pie(gb: GoBuild) -> bool:
    ext = _ldflag(gb, "extldflags")
    return ext is not None and "-static-pie" in ext.split()


def _external_link(gb: GoBuild) -> bool:
    return _ldflag(gb, "linkmode") == "external"


def _net_import(files: tuple[GoFile, ...], tags: frozenset[str]) -> tuple[str, Span, str] | None:
    """An import that makes a cgo-enabled binary link libc dynamically: ``net`` (or a
    package that imports it) unless built with ``netgo``, ``os/user`` unless
    ``osusergo``. Returns the import path, its span and why it counts."""
    if "netgo" not in tags:
        for g in files:
            for imp in g.imports:
                if imp.path in _NET_STD:
                    return imp.path, imp.span, "uses the libc resolver"
        for g in files:
            for imp in g.imports:
                if any(_in_module(imp.path, m) for m in _NET_MODULES):
                    return imp.path, imp.span, 'imports "net", which uses the libc resolver'
    if "osusergo" not in tags:
        for g in files:
            imp_user = g.import_of(_OS_USER)
            if imp_user is not None:
                return _OS_USER, imp_user.span, "uses libc user lookups"
    return None


@dataclass(frozen=True, slots=True)
class _Dynamic:
    """Why the binary is linked dynamically: ``reason``, and the import that makes a
    cgo build dynamic (its path, span and why)."""

    reason: str
    imports: tuple[str, Span, str] | None = None


def _dynamic(ix: ProjectIndex, job: _Job, cgo: bool | None) -> _Dynamic | None:
    """Why the ``go build`` makes a dynamically linked executable, ignoring code that
    needs cgo (DR202 judges that), or None when it is static (or we cannot tell).

    ``-buildmode=pie`` needs the dynamic loader (unless ``-extldflags -static-pie``);
    ``-linkmode external`` links dynamically unless ``-extldflags -static``; with cgo
    on, ``net`` and ``os/user`` link libc dynamically unless the ``netgo``/``osusergo``
    tags are set or the link is external and static (the Go linker links those
    packages internally, and then ``-extldflags`` is not used)."""
    gb = job.gb
    if gb.buildmode == "pie" and not _extld_static_pie(gb):
        return _Dynamic("-buildmode=pie needs the dynamic loader")
    if _external_link(gb) and not _extld_static(gb):
        return _Dynamic("-linkmode external without -extldflags -static links dynamically")
    if cgo and not (_external_link(gb) and _extld_static(gb)):
        imp = _net_import(linked_files(ix, job.svc), _tags(gb))
        if imp is not None:
            return _Dynamic("cgo is on", imp)
    return None


def _libc_mismatch(builder: ImageInfo, final: ImageInfo) -> bool:
    """Can a binary linked against the builder's libc not run on the final image?"""
    if not final.image.static_only:
        return False
    return final.image.libc == "none" or final.image.libc != builder.image.libc


def _final_has_loader(build: Build) -> bool:
    """Does the final stage copy a dynamic loader or libraries in (``/lib``...)?"""
    return copies_path(build, "/lib", "/lib64", "/usr/lib") is not None


def _libc_text(final: ImageInfo) -> str:
    return "has no C library" if final.image.libc == "none" else "has only musl libc"


def _why_cgo(job: _Job, builder: ImageInfo) -> str:
    value = _setting(job, "CGO_ENABLED")
    if value is not None:
        return f"CGO_ENABLED={value}"
    if builder.image.gcc:
        return f"{builder.ref} has gcc and CGO_ENABLED is unset"
    return "a C compiler is installed and CGO_ENABLED is unset"


def _cgo_env_span(job: _Job) -> Span | None:
    """The ENV line that sets CGO_ENABLED for the build stage, if any."""
    for st in job.df.lineage(job.stage):
        for name, span in st.env_spans:
            if name == "CGO_ENABLED":
                return span
    return None


@rule(
    id="DR201",
    name="dynamic-binary-on-static-base",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def dynamic_binary_on_static_base(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service binary that is linked dynamically while the final image has no
    matching C library: `scratch`, `distroless/static`, `chainguard/static` (no libc
    at all) or a musl image such as `alpine` for a binary built against glibc.

    The binary is dynamic when cgo is effectively on and the packages the main
    package links import `net` (directly, through `net/http`, `crypto/tls`..., or
    through a client/server module such as gRPC or a database driver) or `os/user`;
    and also with `-buildmode=pie`, or `-linkmode external` without
    `-extldflags -static`. Cgo is on with `CGO_ENABLED=1` (from `ENV`, `ARG`, an
    inline assignment, `export` or `go env -w`), or when it is unset in a builder
    with a C compiler: the Debian `golang:<ver>` images have gcc, the
    `golang:*-alpine` images have none (so cgo is off there since Go 1.20) unless a
    RUN installs one (`apk add gcc`).

    Not reported: the `netgo`/`osusergo` build tags (pure-Go resolver and user
    lookups), `-linkmode external -extldflags -static`, a musl binary (built with cgo in an Alpine builder that has gcc) on an
    Alpine final image, a final stage that copies `/lib` or `/lib64` in, an unknown
    builder or final image, and code that *needs* cgo (`import "C"`, go-sqlite3...):
    turning cgo off is not the fix there, and DR202 reports it.

    ## Why is this bad?
    A dynamic executable starts by loading its ELF interpreter
    (`/lib64/ld-linux-x86-64.so.2`). On an image without it the kernel cannot run
    the file, and the container dies at once with the confusing
    `exec /app: no such file or directory`, although `/app` is there.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    RUN go build -o /app ./cmd/api

    FROM alpine:3.20
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    RUN CGO_ENABLED=0 go build -trimpath -o /app ./cmd/api

    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ```

    ## Fix safety
    `CGO_ENABLED=0` switches `net` to Go's own DNS resolver and `os/user` to parsing
    `/etc/passwd`; both are what a container wants. Code that needs cgo is DR202's.

    ## References
    - [Go: cgo and CGO_ENABLED](https://pkg.go.dev/cmd/cgo)
    - [Go 1.20 release notes: cgo off without a C toolchain](https://go.dev/doc/go1.20#cgo)
    - [distroless: static vs base](https://github.com/GoogleContainerTools/distroless/blob/main/base/README.md)
    """
    ix = ctx.index
    seen: set[Span] = set()
    for job in _jobs(ix):
        final = job.build.base
        builder = stage_image(job.df, job.stage)
        if final is None or builder is None or not _libc_mismatch(builder, final):
            continue
        if _final_has_loader(job.build) or _cgo_need(ix, job.svc) is not None:
            continue
        dyn = _dynamic(ix, job, _cgo(job))
        if dyn is None:
            continue
        span = _from_span(job.df, job.build.final)
        if span in seen:
            continue
        seen.add(span)
        if dyn.reason == "cgo is on":
            why = f"cgo is on: {_why_cgo(job, builder)}"
            fix = "build with CGO_ENABLED=0"
        else:
            why = dyn.reason
            fix = "drop the flag or link statically"
        related = [Related(job.gb.span, f"go build in {builder.ref}: {why}")]
        if dyn.imports is not None:
            path, imp_span, note = dyn.imports
            related.append(Related(imp_span, f'imports "{path}" ({note})'))
            why += f', and the code imports "{path}"'
        yield Hit(
            span,
            f"the binary is dynamically linked against {builder.image.libc} ({why}), but the "
            f"final image {final.ref} {_libc_text(final)}: the container fails with "
            f"'exec …: no such file or directory'; {fix}",
            tuple(related),
            service=job.svc.name,
        )


@rule(
    id="DR202",
    name="cgo-required",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def cgo_required(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds services whose code needs cgo while the build cannot give it: a package the
    service's main package links (its own module's packages, followed through their
    imports) has `import "C"` or imports a module that wraps a C library
    (`mattn/go-sqlite3`, `gorm.io/driver/sqlite`, `confluent-kafka-go` v1 and v2,
    `miekg/pkcs11`, `godror`, RocksDB, libvips, ImageMagick, libgit2...). A
    `require` alone is not evidence (the module may be used only by tests, which
    dockready does not read). Then:

    - the build turns cgo off: `CGO_ENABLED=0` (`ENV`, `ARG`, inline, `export` or
      `go env -w`), or leaves it unset in a builder with no C compiler
      (`golang:*-alpine` without `apk add gcc musl-dev`, Go 1.20 or later); or
    - cgo is on and the binary is linked dynamically (no `-extldflags -static`), but
      the final image cannot run it: no C library (`scratch`, `distroless/static`)
      or another one (musl `alpine` for a glibc build).

    The finding is on the `go build` line, with the import as related. An unknown
    builder or final image is not judged. When cgo is needed, DR201 stays silent
    on the same build: its fix (turning cgo off) would break this code.

    ## Why is this bad?
    Without cgo a package with `import "C"` (and `confluent-kafka-go`) does not
    compile; go-sqlite3 compiles to a stub that fails on first use with
    "Binary was compiled with 'CGO_ENABLED=0', go-sqlite3 requires cgo to work".
    With cgo, the binary needs the builder's libc at run time: on `scratch` it dies
    with `exec …: no such file or directory`.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    RUN CGO_ENABLED=0 go build -o /app ./cmd/api   # the code uses go-sqlite3

    FROM gcr.io/distroless/static-debian12
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22-bookworm AS build
    RUN CGO_ENABLED=1 go build -o /app ./cmd/api

    FROM gcr.io/distroless/base-debian12:nonroot   # glibc, same Debian release
    ```
    or a pure-Go replacement (`modernc.org/sqlite`, `segmentio/kafka-go`) and
    `CGO_ENABLED=0`.

    ## Fix safety
    A glibc final image must match the builder's Debian release; linking statically
    against glibc (`-linkmode external -extldflags -static`) breaks NSS lookups.

    ## References
    - [cmd/cgo](https://pkg.go.dev/cmd/cgo)
    - [mattn/go-sqlite3: cgo](https://github.com/mattn/go-sqlite3#installation)
    - [distroless/cc and base](https://github.com/GoogleContainerTools/distroless/blob/main/cc/README.md)
    """
    ix = ctx.index
    for job in _jobs(ix):
        need = _cgo_need(ix, job.svc)
        if need is None:
            continue
        builder = stage_image(job.df, job.stage)
        cgo = _cgo(job)
        related = [Related(need.span, "needs cgo")]
        if cgo is False:
            value = _setting(job, "CGO_ENABLED")
            if value is not None:
                why = f"CGO_ENABLED={value}"
                env_span = _cgo_env_span(job)
                if env_span is not None and job.stage.getenv("CGO_ENABLED") == job.gb.cgo:
                    related.append(Related(env_span, "CGO_ENABLED set here"))
            else:
                ref = builder.ref if builder is not None else _image_ref(job.df, job.stage)
                why = f"cgo is off: {ref} has no C compiler and CGO_ENABLED is unset"
            yield Hit(
                job.gb.span,
                f"{why}, but {need.what} needs cgo: {need.consequence}",
                tuple(related),
                service=job.svc.name,
            )
            continue
        final = job.build.base
        if not cgo or builder is None or final is None or _extld_static(job.gb):
            continue
        if not _libc_mismatch(builder, final) or _final_has_loader(job.build):
            continue
        related.append(Related(_from_span(job.df, job.build.final), f"final image {final.ref}"))
        yield Hit(
            job.gb.span,
            f"{need.what} needs cgo, so the binary is dynamically linked against "
            f"{builder.image.libc}, but the final image {final.ref} {_libc_text(final)}: "
            "use a final image with that libc (gcr.io/distroless/base-debian12 for glibc) "
            "or link statically",
            tuple(related),
            service=job.svc.name,
        )


def _go_requirement(builder: tuple[int, ...], need: tuple[int, ...]) -> bool:
    """Is Go ``need`` newer than a builder tag's Go? A tag without a patch (``1.22``)
    floats to the latest patch release, so only the minor version counts."""
    if len(builder) < 2:
        return False  # golang:1 — any 1.x
    if len(builder) == 2:
        return need[:2] > builder
    return (need + (0,) * (3 - len(need)))[:3] > builder[:3]


def _toolchain_mode(job: _Job) -> str:
    """The build's GOTOOLCHAIN: the official golang images set ``local`` since 1.21."""
    return (_setting(job, "GOTOOLCHAIN") or "local").strip()


@rule(
    id="DR203",
    name="go-version-mismatch",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def go_version_mismatch(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Compares go.mod's `go` line (and `toolchain` line) with the Go of the `golang`
    image the `go build` runs in, taken from its tag (`golang:1.21`,
    `golang:${GO_VERSION}-alpine` with the `ARG` default resolved). The finding is on
    that `FROM` line (where the fix usually goes), with go.mod's line as related.

    A tag without a patch version floats to the newest patch, so `golang:1.22`
    satisfies `go 1.22.3`; `golang:1.22.1` does not. `golang:1` and tags without a
    version (`latest`, `alpine`) are not judged, nor are unknown images.

    The `toolchain` line alone is only a preference: the official images set
    `GOTOOLCHAIN=local`, which ignores it. It is reported (as a warning) only when
    the build sets `GOTOOLCHAIN` to something else, which makes Go download that
    toolchain during the build.

    ## Why is this bad?
    Since Go 1.21 the `go` line is a minimum. The official images set
    `GOTOOLCHAIN=local`, so the build stops with
    `go: go.mod requires go >= 1.22 (running go 1.21.13; GOTOOLCHAIN=local)`. With
    `GOTOOLCHAIN=auto` Go downloads the newer toolchain at build time instead: an
    offline or proxied build fails, and the image no longer builds with the Go it
    names. Go 1.20 and older ignore the line and compile newer code with old
    semantics, or fail on new syntax (and cannot parse a `go 1.21.0`-style or
    `toolchain` line at all).

    ## Example
    ```dockerfile
    FROM golang:1.21 AS build   # go.mod: go 1.22
    ```

    ## Use instead
    ```dockerfile
    ARG GO_VERSION=1.22
    FROM golang:${GO_VERSION}-bookworm AS build
    ```
    and bump it together with go.mod's `go` line.

    ## Fix safety
    Safe: a newer Go compiles code written for older ones.

    ## References
    - [Go toolchains](https://go.dev/doc/toolchain)
    - [go.mod: go directive](https://go.dev/ref/mod#go-mod-file-go)
    - [docker-library/golang: GOTOOLCHAIN=local](https://github.com/docker-library/golang)
    """
    ix = ctx.index
    seen: set[tuple[Span, str]] = set()
    for job in _jobs(ix):
        mod = job.svc.module
        builder = stage_image(job.df, job.stage)
        if mod is None or builder is None or builder.go_version is None:
            continue
        if any("@" in t for t in job.gb.targets):
            continue  # go install pkg@version builds outside the module
        have = version_tuple(builder.go_version)
        if have is None:
            continue
        span = _from_span(job.df, job.stage)
        mode = _toolchain_mode(job)
        need = version_tuple(mod.go)
        if need is not None and mod.go_span is not None and _go_requirement(have, need):
            if (span, "go") in seen:
                continue
            seen.add((span, "go"))
            if have < (1, 21) and (len(need) > 2 or mod.toolchain is not None):
                effect = (
                    f"Go {builder.go_version} cannot read this go.mod (a go line with a patch "
                    "version, or a toolchain line, needs Go 1.21): the build fails"
                )
            elif have < (1, 21):
                effect = (
                    f"Go {builder.go_version} predates toolchain checks: it compiles the "
                    "code with old semantics, or fails on newer syntax"
                )
            elif mode == "local":
                effect = (
                    f"with GOTOOLCHAIN=local (the image's default) the build fails: "
                    f"'go.mod requires go >= {mod.go}'"
                )
            else:
                effect = (
                    f"with GOTOOLCHAIN={mode} Go downloads a newer toolchain during the "
                    "build, which fails offline"
                )
            yield Hit(
                span,
                f"go.mod requires go {mod.go} but the builder {builder.ref} has Go "
                f"{builder.go_version}: {effect}",
                (Related(mod.go_span, f"go {mod.go}"),),
                service=job.svc.name,
            )
            continue
        tc = version_tuple(mod.toolchain)
        if (
            tc is None
            or mod.toolchain_span is None
            or mode == "local"
            or have < (1, 21)
            or not _go_requirement(have, tc)
            or (span, "toolchain") in seen
        ):
            continue
        seen.add((span, "toolchain"))
        yield Hit(
            span,
            f"go.mod asks for toolchain {mod.toolchain} but the builder {builder.ref} has Go "
            f"{builder.go_version}: with GOTOOLCHAIN={mode} the build downloads it, which "
            "fails offline",
            (Related(mod.toolchain_span, f"toolchain {mod.toolchain}"),),
            severity=Severity.WARNING,
            service=job.svc.name,
        )


# --------------------------------------------------------------------------- context helpers


def _ctx_rel(build: Build, path: str) -> str | None:
    """``path`` (relative to the checked root) relative to the build context, or None
    when it is outside the context."""
    rel = posixpath.relpath(path, build.context) if build.context != "." else path
    rel = posixpath.normpath(rel)
    return None if rel == ".." or rel.startswith("../") else rel


def _ignoring_pattern(di: DockerIgnore, relpath: str) -> Span | None:
    """The .dockerignore line that excludes ``relpath`` (the last matching one)."""
    if not di.excludes(relpath):
        return None
    found: Span | None = None
    for p in di.patterns:
        if not p.negated and matches((p,), relpath):
            found = p.span
    return found or Span(di.path, 1, 1)


def _run_at(stage: Stage, line: int) -> Instruction | None:
    """The RUN instruction of the stage that contains ``line``."""
    best: Instruction | None = None
    for i in stage.instructions:
        if i.span.line > line:
            break
        best = i
    return best if best is not None and best.cmd == "RUN" else None


@dataclass(frozen=True, slots=True)
class _Mount:
    """A ``RUN --mount=type=bind`` from the build context (``source`` relative to it)."""

    source: str
    target: str
    other: bool  # from= another stage or image


def _bind_mounts(run: Instruction | None, workdir: str) -> list[_Mount]:
    out: list[_Mount] = []
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
            _Mount(source, posixpath.normpath(posixpath.join(workdir, target)), "from" in opts)
        )
    return out


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


# --------------------------------------------------------------------------- DR204


def _runs_go_mod_vendor(df: Dockerfile, stage: Stage, before: int) -> bool:
    for st in df.lineage(stage):
        for i in st.instructions:
            if i.cmd != "RUN" or (st is stage and i.span.line > before):
                continue
            words = shell_words(" ".join((*i.value, *i.heredocs)))
            for k in range(len(words) - 2):
                if posixpath.basename(words[k]) == "go" and words[k + 1 : k + 3] == [
                    "mod",
                    "vendor",
                ]:
                    return True
    return False


def _copies_whole_context(job: _Job) -> Copy | None:
    for st in job.df.lineage(job.stage):
        for c in st.copies:
            whole = any(posixpath.normpath(s) in (".", "/") for s in c.sources)
            before = st is not job.stage or c.span.line < job.gb.span.line
            if c.from_stage is None and whole and before:
                return c
    return None


@rule(
    id="DR204",
    name="vendor-mode-mismatch",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def vendor_mode_mismatch(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `go build` commands that build from `vendor/` when `vendor/` cannot work:

    - `-mod=vendor` (as a flag, or in `GOFLAGS` from the environment or `go env -w`)
      while the module requires modules
      and has no committed `vendor/modules.txt`, and no earlier `RUN go mod vendor`
      creates one (the seed's own Dockerfile runs `go mod download`, which fills the
      module cache, not `vendor/`, and then builds with `-mod=vendor`);
    - `-mod=vendor` while the build context's `.dockerignore` excludes `vendor/`;
    - vendor mode (`-mod=vendor`, or implied: Go 1.14+ uses `vendor/` by default when
      `vendor/modules.txt` exists, go.mod says `go 1.14` or later and no `-mod` is
      given, and the whole context is copied in) while `vendor/modules.txt` is out of
      sync with go.mod: a required module missing or at another version.

    The finding is on the `go build` line.

    ## Why is this bad?
    The build stops with `inconsistent vendoring` (or "cannot find module providing
    package"): the image cannot be built, and on CI the error is far from its cause.

    ## Example
    ```dockerfile
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN CGO_ENABLED=0 go build -mod=vendor -o /app ./cmd/app
    ```

    ## Use instead
    Either commit `vendor/` (`go mod vendor`, keep it in the context) and drop
    `go mod download`, or use the module cache and drop `-mod=vendor`:
    ```dockerfile
    RUN CGO_ENABLED=0 go build -o /app ./cmd/app
    ```

    ## Fix safety
    Dropping `-mod=vendor` makes the build download modules (online, or through
    `GOPROXY`); keep it for offline builds and commit `vendor/` instead.

    ## References
    - [Go modules: vendoring](https://go.dev/ref/mod#vendoring)
    - [go build -mod](https://pkg.go.dev/cmd/go#hdr-Build_flags)
    """
    ix = ctx.index
    for job in _jobs(ix):
        mod = job.svc.module
        if mod is None:
            continue
        vendor = ix.vendors.get(mod.dir)
        mod_flag = _goflag(job, "mod", job.gb.mod)
        explicit = mod_flag == "vendor"
        modules_txt = (
            posixpath.join(mod.dir, "vendor/modules.txt")
            if mod.dir != "."
            else ("vendor/modules.txt")
        )
        rel = _ctx_rel(job.build, modules_txt)
        ignored = (
            _ignoring_pattern(job.build.dockerignore, rel)
            if rel is not None and job.build.dockerignore is not None
            else None
        )
        if explicit and vendor is None:
            if not mod.requires or _runs_go_mod_vendor(job.df, job.stage, job.gb.span.line):
                continue
            extra = (
                " (`go mod download` fills the module cache, not vendor/)"
                if any(st.mod_downloads for st in job.df.lineage(job.stage))
                else ""
            )
            yield Hit(
                job.gb.span,
                f"go build -mod=vendor but there is no {modules_txt}{extra}: the build fails "
                "with 'inconsistent vendoring'; drop -mod=vendor or commit vendor/",
                (
                    Related(
                        Span(mod.path, 1, 1), f"requires {_plural(len(mod.requires), 'module')}"
                    ),
                ),
                service=job.svc.name,
            )
            continue
        if vendor is None:
            continue
        if explicit and ignored is not None:
            yield Hit(
                job.gb.span,
                "go build -mod=vendor but .dockerignore excludes vendor/: the build fails "
                "with 'inconsistent vendoring'",
                (Related(ignored, "excludes vendor/"),),
                service=job.svc.name,
            )
            continue
        go_line = version_tuple(mod.go)
        implicit = (
            mod_flag is None
            and go_line is not None
            and go_line >= (1, 14)
            and ignored is None
            and _copies_whole_context(job) is not None
        )
        if not (explicit or implicit):
            continue
        diff = vendor_diff(mod, vendor)
        if not diff:
            continue
        how = "-mod=vendor" if explicit else "vendor mode (vendor/modules.txt exists, go >= 1.14)"
        more = f" (+{len(diff) - 2} more)" if len(diff) > 2 else ""
        yield Hit(
            job.gb.span,
            f"go build uses {how} but vendor/ is out of sync with go.mod: "
            f"{'; '.join(diff[:2])}{more}: the build fails with 'inconsistent vendoring'; "
            "run go mod vendor",
            (Related(Span(vendor.path, 1, 1), "vendor/modules.txt"),),
            service=job.svc.name,
        )


# --------------------------------------------------------------------------- DR205


def _first_use(job: _Job) -> tuple[Span, bool]:
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


#: Versions ``go mod edit``/workspaces give a requirement that a ``replace`` points
#: at a local directory: such modules are not downloaded and have no go.sum lines.
_LOCAL_VERSIONS = frozenset({"v0.0.0", "v0.0.0-00010101000000-000000000000"})


def _fetched(mod: GoMod) -> bool:
    """Does the module require modules that are downloaded (and need go.sum lines)?"""
    return any(r.version not in _LOCAL_VERSIONS for r in mod.requires)


def _vendor_mode(ix: ProjectIndex, job: _Job) -> bool:
    """Does the go build read dependencies from a committed vendor/ (``-mod=vendor``,
    or Go 1.14+'s default when vendor/modules.txt exists and no ``-mod`` is given)?
    go.sum is not consulted then."""
    mod = job.svc.module
    if mod is None or mod.dir not in ix.vendors:
        return False
    flag = _goflag(job, "mod", job.gb.mod)
    go_line = version_tuple(mod.go)
    return flag == "vendor" or (flag is None and go_line is not None and go_line >= (1, 14))


def _stage_at(df: Dockerfile, stage: Stage, line: int) -> Stage | None:
    """The stage of ``stage``'s lineage whose instructions contain ``line``."""
    best: Stage | None = None
    for st in df.lineage(stage):
        if st.span.line <= line and (best is None or st.span.line > best.span.line):
            best = st
    return best


def _sum_available(job: _Job, rel_sum: str, line: int) -> bool | None:
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
        for m in _bind_mounts(_run_at(st_at, line), st_at.workdir):
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
    reported: set[str] = set()
    for svc in ix.services:
        mod = svc.module
        if mod is None or not _fetched(mod) or ix.has_go_sum(mod) or mod.dir in ix.vendors:
            continue
        if mod.path in reported:
            continue
        reported.add(mod.path)
        related: list[Related] = []
        for b in svc.builds:
            for st in b.dockerfile.stages:
                related.extend(Related(s, "go mod download needs go.sum") for s in st.mod_downloads)
            if b.go_build is not None:
                related.append(Related(b.go_build.span, "go build needs go.sum"))
        yield Hit(
            Span(mod.path, 1, 1),
            f"go.mod requires {_plural(len(mod.requires), 'module')} but there is no go.sum: "
            "'go build' fails with 'missing go.sum entry'; run go mod tidy and commit go.sum",
            tuple(related[:3]),
            service=svc.name,
        )
    for job in _jobs(ix):
        mod = job.svc.module
        if mod is None or not _fetched(mod) or not ix.has_go_sum(mod) or _vendor_mode(ix, job):
            continue
        rel_sum = _ctx_rel(job.build, posixpath.join(mod.dir, "go.sum"))
        if rel_sum is None:
            continue
        di = job.build.dockerignore
        ignored = _ignoring_pattern(di, rel_sum) if di is not None else None
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
                (Related(Span(_join(mod.dir, "go.sum")), "go.sum"),),
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


# --------------------------------------------------------------------------- DR206


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


def _join(*parts: str) -> str:
    n = posixpath.normpath(posixpath.join(*parts))
    return "." if n in ("", ".") else n


def _skipped(path: str) -> bool:
    """Is ``path`` in a directory discovery does not read (``vendor/``, ``bin/``...)?"""
    parts = path.split("/")
    return any(p in SKIP_DIRS or p == "vendor" for p in parts[:-1]) or parts[-1] in SKIP_DIRS


def _source_root(src: str) -> str:
    """A COPY source relative to the build context (a leading ``/`` is the context)."""
    return _join(src.lstrip("/")) if src.strip("/") else "."


def _context_candidates(
    tree: _Tree, build: Build, stage: Stage, gb: GoBuild, container_path: str
) -> list[str] | None:
    """Where, in the checked tree, the builder path ``container_path`` comes from:
    a bind mount of the context into the go build's RUN, else the latest COPY from
    the context whose destination holds it. None when it is not known (copied from
    another stage, a glob, or no COPY at all)."""
    df = build.dockerfile
    for m in _bind_mounts(_run_at(stage, gb.span.line), stage.workdir):
        if container_path == m.target or container_path.startswith(m.target.rstrip("/") + "/"):
            if m.other:
                return None
            rel = posixpath.relpath(container_path, m.target)
            return [_join(build.context, m.source, rel)]
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
            full = _join(build.context, src)
            if full in tree.files:
                if rel in (".", posixpath.basename(src)):
                    out.append(full)
                continue
            out.append(_join(full, rel))
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
    mod = ix.module_of(_join(build.context, "x"))
    if mod is not None and mod.module and _in_module(t, mod.module):
        return [_join(mod.dir, t[len(mod.module) :].lstrip("/"))], dots
    if not (t.startswith(".") or t.startswith("/")) or "@" in t:
        return None
    cp = _join(gb.workdir, t)
    cands = _context_candidates(tree, build, stage, gb, cp)
    if cands is None or any(c == ".." or c.startswith("../") for c in cands):
        return None
    return cands, dots


@rule(
    id="DR206",
    name="build-target-missing",
    severity=Severity.ERROR,
    reads=(Input.IMAGE, Input.COMPOSE),
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
    if _bind_mounts(_run_at(stage, gb.span.line), stage.workdir):
        return  # the context is mounted into the RUN: not judged
    df = build.dockerfile
    copies = [c for c in df.copies_before(stage, gb.span.line) if c.from_stage is None]
    verb = "install" if gb.install else "build"
    for r in mod.local_replaces:
        if r.new.startswith("/"):
            continue  # an absolute path: it may be in the builder image
        d = _join(mod.dir, r.new)
        related = (Related(r.span, f"replace {r.old} => {r.new}"),)
        if not _inside(d, build.context):
            if any(_inside(d, _join(build.context, src)) for c in copies for src in c.sources):
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
                full = _join(build.context, _source_root(src))
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
            if len(cands) != 1 or problems[0] is None or _skipped(cands[0] + "/x"):
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
        rel = _ctx_rel(build, g.path)
        span = _ignoring_pattern(di, rel) if rel is not None else None
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
                if not tree.exists(_join(build.context, clamped)):
                    yield Hit(
                        c.span,
                        f"{verb} {s}: the source climbs out of the build context "
                        f"({build.context}), which is all Docker sends: the build fails with "
                        "'not found' (or a forbidden path)",
                    )
                continue
            if src == "." or any(ch in src for ch in "*?["):
                continue
            full = _join(build.context, src)
            if tree.exists(full):
                pattern = _ignoring_pattern(di, src) if di is not None else None
                if pattern is not None and posixpath.basename(src) != "go.sum":
                    yield Hit(
                        c.span,
                        f"{verb} {s}: .dockerignore excludes it from the build context, so "
                        "the build fails with 'not found'",
                        (Related(pattern, f"excludes {src}"),),
                    )
                continue
            if classify(full) is None or _skipped(full) or _found_elsewhere(tree, src):
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
    rel = _ctx_rel(build, cand)
    if rel is None or rel == ".":
        return False
    return any(
        d != cand and (d == rel or d.endswith("/" + rel)) and p.is_main
        for d, p in ix.packages.items()
    )


def _requires_near(ix: ProjectIndex, go_sum: str) -> bool:
    """Is ``go_sum`` the go.sum of a module that needs one (DR205 reports it)?"""
    mod = ix.module_of(go_sum)
    return mod is not None and _fetched(mod) and _join(mod.dir, "go.sum") == go_sum


# --------------------------------------------------------------------------- DR207


def _example(value: str) -> bool:
    low = value.lower()
    return any(w in low for w in _EXAMPLE_WORDS)


def _real_password(password: str | None, user: str | None = None) -> bool:
    """Is a password found in a URL or a connection string a real one (not empty, a
    ``${VAR}``/``%s`` reference, a placeholder, a well-known default or the user
    name again)?"""
    if not password or not plausible_value(password) or "%" in password or "$" in password:
        return False
    if password.lower() in _DEFAULT_PASSWORDS or password == user:
        return False
    return not _example(password)


def _url_password(value: str) -> bool:
    """Does ``value`` hold a URL with a real password (``postgres://u:pw@db``,
    ``redis://:pw@cache``) to a host that is not a reserved example host?"""
    at = value.find("://")
    if at < 0:
        return False
    start = at
    while start > 0 and (value[start - 1].isalnum() or value[start - 1] in "+.-"):
        start -= 1
    words = value[start:].split()
    if not words:
        return False
    try:
        parts = urlsplit(words[0])
        password, user, host = parts.password, parts.username, parts.hostname or ""
    except ValueError:
        return False
    return _real_password(password, user) and not host.endswith(_EXAMPLE_HOSTS)


def _dsn_password(value: str) -> bool:
    """Does ``value`` hold a real password in a connection string: libpq or ODBC
    keywords (``host=db password=…``, ``Server=db;Password=…``) or a MySQL DSN
    (``user:pw@tcp(db:3306)/orders``)?"""
    for token in value.replace(";", " ").split():
        key, eq, val = token.partition("=")
        if eq and key.strip().lower() in ("password", "pwd"):
            return _real_password(val.strip("'\""))
    if "@tcp(" in value or "@unix(" in value:
        user, _, password = value.split("@", 1)[0].partition(":")
        return _real_password(password, user)
    return False


def _shape_secret(value: str) -> str | None:
    """A secret by its shape alone (a key, a token, a password in a URL or connection
    string), after dockready's exclusions; None otherwise."""
    kind = strong_kind(value)
    if kind is not None and kind != "password in URL":
        return None if _example(value) else kind
    if _url_password(value):
        return "password in URL"
    if _dsn_password(value):
        return "password in a connection string"
    return None


def _value_secret(name: str, value: str) -> str | None:
    """The kind of secret ``name = value`` is (by shape, or a secret-like name bound
    to a credential-looking literal), after dockready's exclusions."""
    kind = _shape_secret(value)
    if kind is not None:
        return kind
    if not secret_name(name) or not plausible_value(value) or _example(value):
        return None
    low_name = name.lower()
    if low_name.startswith(("err", "msg")) or low_name.endswith(_NOT_SECRET_SUFFIXES):
        return None
    v = value.strip()
    if any(ch.isspace() for ch in v) or "%" in v or "://" in v:
        return None  # a message, a format string, a URL without a password
    if v.lower() in _DEFAULT_PASSWORDS or v.lower() == low_name or (v.isalpha() and v.islower()):
        return None  # a default, the name again, one lowercase word (bcrypt, plain)
    if all(ch.isupper() or ch.isdigit() or ch == "_" for ch in v) and ("_" in v or v.isalpha()):
        return None  # an environment variable's name: DB_PASSWORD
    if all(ch.isalpha() or ch in "-_./:" for ch in v) and any(ch in "-_./:" for ch in v):
        return None  # a name, header or path: X-Api-Key, db_password, orders/db
    if v.startswith("^") or v.endswith("$") or "\\" in v or "[" in v:
        return None  # a pattern
    return "secret-like value"


def _single_literal(text: str) -> bool:
    """Is Go source ``text`` one string literal (not a concatenation)?"""
    if len(text) < 2 or text[0] not in '"`':
        return False
    quote, i = text[0], 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i == len(text) - 1
        i += 1
    return False


def _masked_word(word: str) -> str:
    """A command-line word with its secret masked: ``--api-key=AKIA…`` keeps the flag
    name (``--api-key=AKI…(20 chars)``); a URL keeps all but its password."""
    if "://" not in word and "=" in word:
        name, _, value = word.rpartition("=")
        return f"{name}={mask(value)}"
    return mask(word)


def _b64(value: str) -> str | None:
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


@rule(
    id="DR207",
    name="hardcoded-secret",
    severity=Severity.ERROR,
    reads=(Input.CODE,),
    tags=(Tag.SECURITY, Tag.SECRET),
)
def hardcoded_secret(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds passwords, tokens, private keys and cloud keys written as literals:

    - in Go code: a string bound to a secret-like name (`dbPassword`, `APIKey:` in a
      struct literal, an `env("DB_PASSWORD", "…")` fallback), or any string shaped
      like a key or token (private key blocks, AWS/GitHub/GitLab/Slack/Stripe/Google
      keys, a password inside a URL);
    - key- or token-shaped values in Dockerfile instructions other than
      `ENV`/`ARG`/`COPY` (those are DR308's): a token in a `RUN git config … url`, a
      password in an `ADD` URL, a key in `CMD`;
    - key- or token-shaped values in manifests outside `env` and ConfigMaps (those
      are DR413's): a committed `Secret` (its `data` decoded from base64), a
      container `command`/`args`.

    Not reported: empty values, `${VAR}`/`$(VAR)`/`%s` references, placeholders
    (`changeme`, `<token>`, `your-key`, `xxxx`), values with `example`, `dummy`,
    `sample`, URLs to reserved example hosts, well-known default passwords of local
    services (`guest`, `postgres`, `root`, `admin`...; also in URLs such as
    `guest:guest@`), names, paths and header names bound to a secret-like name
    (`X-Api-Key`, `DB_PASSWORD`, `orders/db`, `db-credentials`: a weak real secret
    such as `my-secret-key` is missed too), patterns (`^…$`), messages
    (`errInvalidToken = "invalid token"`), files under test-helper directories
    (`mocks/`, `fakes/`, `testutil/`...) and `_test.go` files (not read). The
    message shows only a masked prefix of the value.

    ## Why is this bad?
    A literal secret is in every clone of the repository, in every image layer and
    in the binary (`strings /app`); it cannot be rotated without a release, and the
    same value ends up shared by every environment.

    ## Example
    ```go
    const dbPassword = "s3cr3t-Passw0rd!"
    ```

    ## Use instead
    ```go
    password := os.Getenv("ORDERS_DB_PASSWORD") // from a Kubernetes Secret
    if password == "" {
        return errors.New("ORDERS_DB_PASSWORD is required")
    }
    ```

    ## Fix safety
    Removing the literal is not enough: the secret is in Git history and must be
    rotated.

    ## References
    - [OWASP: Secrets Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html)
    - [Kubernetes: Good practices for Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    - [gitleaks](https://github.com/gitleaks/gitleaks)
    """
    ix = ctx.index
    seen: set[tuple[Span, str]] = set()

    def hit(span: Span, value: str, text: str) -> Iterator[Hit]:
        if (span, value) not in seen:
            seen.add((span, value))
            yield Hit(span, text)

    for g in ix.go_files:
        if any(part in _TEST_DIRS for part in g.path.split("/")[:-1]):
            continue
        found: set[str] = set()  # one finding per value and file
        for lit in g.strings:
            kind = _value_secret(lit.key, lit.value)
            if kind is not None and lit.value not in found:
                found.add(lit.value)
                what = f"{lit.key} = " if lit.key else ""
                yield Hit(
                    lit.span,
                    f"{kind} in Go code: {what}{mask(lit.value)}: it ships in the binary and "
                    "in Git; read it from an env var or file backed by a Secret",
                )
        for c in g.calls:
            for arg in c.args:
                # Only a literal written at the call (not a constant or a concatenation,
                # reported where it is written).
                written = _single_literal(arg.text)
                literal = arg.literal if written else None
                kind = _shape_secret(literal) if literal else None
                if literal and kind is not None and literal not in found:
                    found.add(literal)
                    yield Hit(
                        c.span,
                        f"{kind} in Go code, passed to {c.callee.lstrip('.')}: {mask(literal)}: "
                        "it ships in the binary and in Git; read it from an env var or file "
                        "backed by a Secret",
                    )
                for part in arg.parts:
                    if not isinstance(part, EnvRef) or part.default is None:
                        continue
                    kind = _value_secret(part.name, part.default)
                    if kind is not None and part.default not in found:
                        found.add(part.default)
                        yield Hit(
                            c.span,
                            f"{kind} as the fallback of {part.name}: {mask(part.default)}: "
                            "when the variable is unset the committed value is used",
                        )
    for df in ix.dockerfiles:
        for st in df.stages:
            for inst in st.instructions:
                if inst.cmd in _DR308_INSTRUCTIONS or inst.cmd == "FROM":
                    continue
                text = " ".join((*inst.value, *inst.heredocs))
                for word in shell_words(text):
                    kind = _shape_secret(word)
                    if kind is not None:
                        yield from hit(
                            inst.span,
                            word,
                            f"{kind} in a Dockerfile {inst.cmd}: {_masked_word(word)}: it is stored "
                            "in the image history; use a BuildKit secret mount",
                        )
                        break
    for cm in ix.configmaps:
        if not cm.secret:
            continue
        for d in cm.data:
            decoded = _b64(d.value)
            for value in (d.value, decoded) if decoded is not None else (d.value,):
                kind = _shape_secret(value)
                if kind is not None:
                    yield from hit(
                        d.span,
                        value,
                        f"{kind} committed in Secret {cm.name} ({d.key}: {mask(value)}): "
                        "base64 is not encryption; use Sealed Secrets, SOPS or an external "
                        "secret store",
                    )
                    break
    for w in ix.workloads:
        for ctr in (*w.containers, *w.init_containers):
            for word in (*ctr.command, *ctr.args):
                kind = _shape_secret(word)
                if kind is not None:
                    yield from hit(
                        ctr.span,
                        word,
                        f"{kind} in the command line of container {ctr.name}: {_masked_word(word)}: "
                        "anyone who can read the pod spec sees it; use a Secret",
                    )
                    break


# --------------------------------------------------------------------------- DR223


def _is_root(user: str | None) -> bool:
    """Is a ``USER``/``--chown`` value root (unset means root)?"""
    if user is None:
        return True
    return user.split(":", 1)[0].strip() in ("", "0", "root")


def _user_at(df: Dockerfile, stage: Stage, line: int) -> str | None:
    """The ``USER`` in effect at ``line`` of the stage (its lineage's last ``USER``
    before that line), None for the image's default (root for golang images)."""
    user: str | None = None
    for st in reversed(df.lineage(stage)):
        for i in st.instructions:
            if i.cmd == "USER" and i.span.line < line and i.value:
                user = i.value[0].strip()
    return user


@rule(
    id="DR223",
    name="vcs-stamping-fails",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def vcs_stamping_fails(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `go build` commands whose VCS stamping fails: `.git` reaches the builder
    and Go cannot read it. `.git` reaches the builder when the build context is the
    checked directory (taken as the repository root: dockready does not read `.git`),
    no `.dockerignore` excludes `.git`, and the whole context is copied
    (`COPY . .`) before the build. Then, without `-buildvcs=false` (flag or
    `GOFLAGS`):

    - `-buildvcs=true` is set and the builder has no `git` (`golang:*-alpine`
      without `apk add git`): `error obtaining VCS status: exec: "git": executable
      file not found in $PATH`;
    - the builder is Go 1.18.0 exactly (before `-buildvcs=auto`) and has no `git`;
    - the builder has `git`, and the checkout belongs to another user than the one
      who runs `go build` (`COPY --chown=app . .` then a root build, or `USER app`
      after a root-owned `COPY`): git refuses the repository ("detected dubious
      ownership") and Go fails with `error obtaining VCS status: exit status 128`.

    With the default `-buildvcs=auto` (Go 1.18.1 and later) a missing `git` is not
    an error: Go silently leaves the VCS information out, so a `golang:*-alpine`
    build without `git` is not reported. Targets given as `.go` files are never
    stamped.

    ## Why is this bad?
    The image does not build, with an error that does not name the Dockerfile, and
    works on the developer's machine where the checkout is theirs.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY --chown=65532:65532 . .
    RUN go build -o /app ./cmd/api
    ```

    ## Use instead
    ```dockerfile
    RUN go build -buildvcs=false -o /app ./cmd/api
    ```
    and a `.dockerignore` with `.git`; pass the revision with
    `-ldflags "-X main.version=$VERSION"` if the binary must know it.

    ## Fix safety
    `-buildvcs=false` removes `vcs.revision` from `debug.ReadBuildInfo`; code that
    reports its version from there gets nothing.

    ## References
    - [go build -buildvcs](https://pkg.go.dev/cmd/go#hdr-Build_flags)
    - [golang/go#51748: -buildvcs=auto](https://github.com/golang/go/issues/51748)
    - [git safe.directory](https://git-scm.com/docs/git-config#Documentation/git-config.txt-safedirectory)
    """
    ix = ctx.index
    for job in _jobs(ix):
        gb = job.gb
        mode = (_goflag(job, "buildvcs", gb.buildvcs) or "auto").strip()
        if mode in _FALSE or job.build.context != ".":
            continue
        if all(t.endswith(".go") for t in gb.targets) or any("@" in t for t in gb.targets):
            continue
        di = job.build.dockerignore
        if di is not None and di.excludes(".git"):
            continue
        copy = _copies_whole_context(job)
        if copy is None:
            continue
        dest = copy.dest.rstrip("/") or "/"
        if not (gb.workdir == dest or gb.workdir.startswith(dest.rstrip("/") + "/")):
            continue
        builder = stage_image(job.df, job.stage)
        git = has_git(job.df, job.stage)
        if builder is None or git is None:
            continue
        version = version_tuple(builder.go_version)
        if version is not None and version < (1, 18):
            continue
        related = (
            Related(Span(di.path, 1, 1), ".dockerignore does not exclude .git")
            if di is not None
            else Related(copy.span, "copies the whole context, .git included (no .dockerignore)")
        )
        if not git:
            if mode in _TRUE:
                why = "-buildvcs=true"
            elif version == (1, 18, 0):
                why = "Go 1.18.0 stamps by default"
            else:
                continue
            yield Hit(
                gb.span,
                f"{why} and .git is in the build context, but {builder.ref} has no git: the "
                'build fails with \'error obtaining VCS status: exec: "git": executable file '
                "not found'; add -buildvcs=false or exclude .git",
                (related,),
                service=job.svc.name,
            )
            continue
        owner_root = _is_root(copy.chown)
        runner_user = _user_at(job.df, job.stage, gb.span.line)
        runner_root = _is_root(runner_user)
        if owner_root == runner_root:
            continue
        owner = copy.chown.split(":", 1)[0] if copy.chown else "root"
        runner = runner_user or "root"
        yield Hit(
            gb.span,
            f"go build stamps VCS information, but the copied .git belongs to {owner} and "
            f"the build runs as {runner}: git refuses it ('dubious ownership') and the build "
            "fails with 'error obtaining VCS status: exit status 128'; add -buildvcs=false "
            "or exclude .git",
            (related, Related(copy.span, f"copied as {owner}")),
            service=job.svc.name,
        )
