"""DR202 cgo-required: code that needs cgo in a build that cannot give it."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import (
    Job,
    cgo_need,
    extld_static,
    final_has_loader,
    from_span,
    job_cgo,
    jobs,
    libc_mismatch,
    libc_text,
    setting,
    stage_image,
)
from dockready.facts.docker import Dockerfile, Stage
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _image_ref(df: Dockerfile, stage: Stage) -> str:
    return df.external_base(stage)


def _cgo_env_span(job: Job) -> Span | None:
    """The ENV line that sets CGO_ENABLED for the build stage, if any."""
    for st in job.df.lineage(job.stage):
        for name, span in st.env_spans:
            if name == "CGO_ENABLED":
                return span
    return None


@rule(
    id="DR202",
    name="cgo-required",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(),
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
    for job in jobs(ix):
        need = cgo_need(ix, job.svc)
        if need is None:
            continue
        builder = stage_image(job.df, job.stage)
        cgo = job_cgo(job)
        related = [Related(need.span, "needs cgo")]
        if cgo is False:
            value = setting(job, "CGO_ENABLED")
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
        if not cgo or builder is None or final is None or extld_static(job.gb):
            continue
        if not libc_mismatch(builder, final) or final_has_loader(job.build):
            continue
        related.append(Related(from_span(job.df, job.build.final), f"final image {final.ref}"))
        yield Hit(
            job.gb.span,
            f"{need.what} needs cgo, so the binary is dynamically linked against "
            f"{builder.image.libc}, but the final image {final.ref} {libc_text(final)}: "
            "use a final image with that libc (gcr.io/distroless/base-debian12 for glibc) "
            "or link statically",
            tuple(related),
            service=job.svc.name,
        )
