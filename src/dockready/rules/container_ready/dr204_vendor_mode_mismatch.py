"""DR204 vendor-mode-mismatch: -mod=vendor without a usable vendor/."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.build import (
    copies_whole_context,
    ctx_rel,
    goflag,
    ignoring_pattern,
    jobs,
    plural,
    vendor_diff,
)
from dockready.facts.derived.image import shell_words
from dockready.facts.docker import Dockerfile, Stage
from dockready.facts.go import version_tuple
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


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


@rule(
    id="DR204",
    name="vendor-mode-mismatch",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    calls=(),
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
    for job in jobs(ix):
        mod = job.svc.module
        if mod is None:
            continue
        vendor = ix.vendors.get(mod.dir)
        mod_flag = goflag(job, "mod", job.gb.mod)
        explicit = mod_flag == "vendor"
        modules_txt = (
            posixpath.join(mod.dir, "vendor/modules.txt")
            if mod.dir != "."
            else ("vendor/modules.txt")
        )
        rel = ctx_rel(job.build, modules_txt)
        ignored = (
            ignoring_pattern(job.build.dockerignore, rel)
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
                (Related(Span(mod.path, 1, 1), f"requires {plural(len(mod.requires), 'module')}"),),
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
            and copies_whole_context(job) is not None
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
