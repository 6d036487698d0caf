"""DR201 dynamic-binary-on-static-base: a dynamic binary on a final image without its libc."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.build import (
    Job,
    cgo_need,
    extld_static,
    final_has_loader,
    from_span,
    in_module,
    job_cgo,
    jobs,
    ldflag,
    libc_mismatch,
    libc_text,
    linked_files,
    setting,
    stage_image,
)
from dockready.facts.docker import GoBuild
from dockready.facts.go import GoFile
from dockready.facts.images import ImageInfo
from dockready.facts.index import ProjectIndex
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

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


def _tags(gb: GoBuild) -> frozenset[str]:
    return frozenset(t for t in (gb.tags or "").replace(",", " ").split() if t)


def _extld_static_pie(gb: GoBuild) -> bool:
    ext = ldflag(gb, "extldflags")
    return ext is not None and "-static-pie" in ext.split()


def _external_link(gb: GoBuild) -> bool:
    return ldflag(gb, "linkmode") == "external"


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
                if any(in_module(imp.path, m) for m in _NET_MODULES):
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


def _dynamic(ix: ProjectIndex, job: Job, cgo: bool | None) -> _Dynamic | None:
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
    if _external_link(gb) and not extld_static(gb):
        return _Dynamic("-linkmode external without -extldflags -static links dynamically")
    if cgo and not (_external_link(gb) and extld_static(gb)):
        imp = _net_import(linked_files(ix, job.svc), _tags(gb))
        if imp is not None:
            return _Dynamic("cgo is on", imp)
    return None


def _why_cgo(job: Job, builder: ImageInfo) -> str:
    value = setting(job, "CGO_ENABLED")
    if value is not None:
        return f"CGO_ENABLED={value}"
    if builder.image.gcc:
        return f"{builder.ref} has gcc and CGO_ENABLED is unset"
    return "a C compiler is installed and CGO_ENABLED is unset"


@rule(
    id="DR201",
    name="dynamic-binary-on-static-base",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(),
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
    for job in jobs(ix):
        final = job.build.base
        builder = stage_image(job.df, job.stage)
        if final is None or builder is None or not libc_mismatch(builder, final):
            continue
        if final_has_loader(job.build) or cgo_need(ix, job.svc) is not None:
            continue
        dyn = _dynamic(ix, job, job_cgo(job))
        if dyn is None:
            continue
        span = from_span(job.df, job.build.final)
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
            f"final image {final.ref} {libc_text(final)}: the container fails with "
            f"'exec …: no such file or directory'; {fix}",
            tuple(related),
            service=job.svc.name,
        )
