"""DR223 vcs-stamping-fails: go build's VCS stamping fails on the copied .git."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import copies_whole_context, goflag, has_git, jobs, stage_image
from dockready.facts.docker import Dockerfile, Stage
from dockready.facts.go import version_tuple
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: ``CGO_ENABLED``/``-buildvcs`` spellings Go reads as true / false.
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


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
    calls=(),
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
    for job in jobs(ix):
        gb = job.gb
        mode = (goflag(job, "buildvcs", gb.buildvcs) or "auto").strip()
        if mode in _FALSE or job.build.context != ".":
            continue
        if all(t.endswith(".go") for t in gb.targets) or any("@" in t for t in gb.targets):
            continue
        di = job.build.dockerignore
        if di is not None and di.excludes(".git"):
            continue
        copy = copies_whole_context(job)
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
