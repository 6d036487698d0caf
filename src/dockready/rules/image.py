"""Chapter 3 · Building the image (seed ch.3)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.docker import Copy, Dockerfile, Instruction, Stage
from dockready.facts.effective import (
    build_of,
    cgo_enabled,
    config_opens,
    copies_path,
    effective_user,
    final_runs,
    has_capability,
    has_tool,
    installs_tool,
    shell_words,
)
from dockready.facts.go import Call
from dockready.facts.images import lookup, parse_ref
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, option, rule
from dockready.schema import ArrayOf, Text
from dockready.secrets import mask, secret_kind, secret_name

# --------------------------------------------------------------------------- helpers


def _builds(ix: ProjectIndex) -> Iterator[Build]:
    """Every Dockerfile with stages, as a Build (joined to its service when it is)."""
    for df in ix.dockerfiles:
        b = build_of(ix, df)
        if b is not None:
            yield b


def _final_base(build: Build) -> str:
    return build.dockerfile.external_base(build.final)


def _from_text(st: Stage) -> str:
    """``alpine:latest``, or ``${BASE} (alpine:latest)`` when an ARG was substituted."""
    if st.base != st.base_resolved:
        return f"{st.base} ({st.base_resolved})"
    return st.base


def _is_devcontainer(df: Dockerfile) -> bool:
    return ".devcontainer/" in f"/{df.path}"


_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


def _shell_wrapper(inst: Instruction) -> tuple[str, str] | None:
    """``["sh", "-c", "script"]`` (exec form running a shell) -> ``(shell, script)``."""
    v = inst.value
    if not inst.json or len(v) < 3 or posixpath.basename(v[0]) not in _SHELLS:
        return None
    flag = v[1]
    if flag.startswith("-") and not flag.startswith("--") and "c" in flag:
        return v[0], v[2]
    return None


def _execs(script: str) -> bool:
    """Does the shell replace itself with the command (``exec /app``)?"""
    words = shell_words(script)
    return bool(words) and words[0] == "exec"


_SHELL_META = frozenset("$|&;<>()`*?~\\\"'")


def _exec_form(script: str) -> str | None:
    """The exec form of a simple shell command (``/app -v`` -> ``["/app", "-v"]``)."""
    if any(ch in _SHELL_META for ch in script):
        return None
    words = script.split()
    if words[:1] == ["exec"]:
        words = words[1:]
    return json.dumps(words) if words else None


# --------------------------------------------------------------------------- DR301


def _builds_go(df: Dockerfile, final: Stage) -> bool:
    """Does the Dockerfile build Go, or run ``go`` as the container's command?"""
    if any(st.go_builds for st in df.stages):
        return True
    for inst in (final.cmd, final.entrypoint):
        if inst is None or not inst.value:
            continue
        words = list(inst.value) if inst.json else shell_words(inst.value[0])
        if words and posixpath.basename(words[0]) == "go":
            return True
    return False


@rule(
    id="DR301",
    name="single-stage-build",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def single_stage_build(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Dockerfiles whose final image is a Go toolchain image (`golang`,
    `golang:*-alpine`, or a stage built `FROM` one): the compiler, the module cache
    and the sources ship to production. The finding is on the final `FROM`.

    Decisions: only Dockerfiles that build Go (a `go build`/`go install` in some
    stage) or run `go` in their `CMD`/`ENTRYPOINT` are checked, and Dockerfiles under
    `.devcontainer/` are skipped: a development image is meant to carry the toolchain.

    ## Why is this bad?
    A `golang` image is about 800 MB against a few MB for the binary on
    `distroless/static`: slower pulls on every node and every scale-up, and hundreds
    of packages (gcc, git, a shell, curl) that a scanner reports and an attacker can
    use. The sources and any secret copied for the build are in the image too.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN go build -o /app ./cmd/server
    CMD ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /app ./cmd/server

    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Fix safety
    A static binary (`CGO_ENABLED=0`) runs on `distroless/static`; a cgo binary needs
    `distroless/base` or a matching libc. Anything the container ran from the
    toolchain image (a shell in a probe, `go run`) must be replaced.

    ## References
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    - [Distroless images](https://github.com/GoogleContainerTools/distroless)
    """
    ix = ctx.index
    for b in _builds(ix):
        df = b.dockerfile
        if _is_devcontainer(df):
            continue
        info = lookup(_final_base(b))
        if info is None or not info.image.go:
            continue
        if not _builds_go(df, b.final):
            continue
        yield Hit(
            b.final.span,
            f"the final image is the Go toolchain image {_from_text(df.lineage(b.final)[-1])}: "
            "the compiler and the sources ship to production; copy the binary into a "
            "runtime stage (distroless/static, scratch)",
        )


# --------------------------------------------------------------------------- DR302


def _unpinned(ref: str) -> str | None:
    """Why ``ref`` is not pinned (``"no tag"``, ``":latest"``), or None when it is."""
    info = lookup(ref)
    if info is not None:
        if info.pinned:
            return None
        return "no tag" if info.tag is None else ":latest"
    _, _, tag, digest = parse_ref(ref)
    if digest is not None:
        return None
    if tag is None:
        return "no tag"
    return ":latest" if tag == "latest" else None


@dataclass(frozen=True, slots=True)
class AllowedRegistries:
    allowed_registries: tuple[str, ...] = option(
        (),
        ArrayOf(Text(r"[A-Za-z0-9.-]+(?::[0-9]+)?", "a registry host", "registry hosts")),
        "registries whose base images may stay unpinned (immutable tags)",
    )


@rule(
    id="DR302",
    name="unpinned-base-image",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    options=AllowedRegistries,
)
def unpinned_base_image(ctx: Context[AllowedRegistries]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `FROM` lines, in every stage, whose image has no tag or the `latest` tag
    and no digest (the seed's `FROM alpine:latest`). A `FROM` naming an earlier stage
    and `FROM scratch` are not images and are skipped; an image reference that still
    holds an unresolved `${VAR}` (an `ARG` without a default) is skipped too. The
    message shows the reference after `ARG` substitution.

    Option: `[rules.DR302] allowed-registries = ["registry.example.com"]` exempts
    images from registries whose tags are immutable.

    ## Why is this bad?
    `latest` moves. Two builds of the same commit get different base images, a new
    major version (a new libc, a new default user, a removed package) breaks the
    image without any change in the repository, and a rollback does not roll the
    base back. A version tag is reproducible enough for most; a digest is exact.

    ## Example
    ```dockerfile
    FROM alpine:latest
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    # or, exact and still readable:
    FROM alpine:3.20@sha256:<digest>
    ```
    and let Dependabot or Renovate bump it.

    ## Fix safety
    Pinning to the version `latest` resolves to today changes nothing now; later
    updates become explicit commits.

    ## References
    - [Docker: best practices, FROM](https://docs.docker.com/build/building/best-practices/#from)
    - [Hadolint DL3006/DL3007](https://github.com/hadolint/hadolint#rules)
    """
    ix = ctx.index
    allowed = {r.lower() for r in ctx.options.allowed_registries}
    for df in ix.dockerfiles:
        for st in df.stages:
            if st.parent is not None:
                continue
            ref = st.base_resolved
            if "$" in ref or ref.lower() == "scratch":
                continue
            if allowed and parse_ref(ref)[0].lower() in allowed:
                continue  # a registry whose tags are immutable (configuration)
            why = _unpinned(ref)
            if why is None:
                continue
            what = "has no tag (it means :latest)" if why == "no tag" else "uses :latest"
            yield Hit(
                st.span,
                f"FROM {_from_text(st)} {what}: the base changes under the same Dockerfile; "
                "pin a version tag or a digest",
            )


# --------------------------------------------------------------------------- DR303


_NEEDS_DISTRO = frozenset({"os/exec"})


def _static_build(b: Build) -> str | None:
    """Why the service's binary is static (``"CGO_ENABLED=0"``...), or None."""
    gb, st = b.go_build, b.build_stage
    if gb is None or st is None:
        return None
    if gb.ldflags is not None and "-static" in gb.ldflags:
        return "-extldflags -static"
    if cgo_enabled(b.dockerfile, st, gb) is not False:
        return None
    if gb.cgo is not None:
        return f"CGO_ENABLED={gb.cgo.strip()}"
    return f"cgo is off: {b.dockerfile.external_base(st)} has no C compiler"


def _final_needs_distro(b: Build) -> bool:
    """Does the final stage use the distribution (RUN, a shell, a HEALTHCHECK, a script)?"""
    if any(True for _ in final_runs(b)):
        return True
    f = b.final
    if f.healthcheck is not None and f.healthcheck.value[:1] != ("NONE",):
        return True
    for inst in (f.cmd, f.entrypoint):
        if inst is None or not inst.value:
            continue
        if not inst.json or _shell_wrapper(inst) is not None:
            return True
        head = posixpath.basename(inst.value[0])
        if head in _SHELLS or head.endswith(".sh"):
            return True
    return False


@rule(
    id="DR303",
    name="heavy-runtime-base",
    severity=Severity.INFO,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def heavy_runtime_base(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose final image is a full distribution (`debian`, `ubuntu`,
    `ubi`, `alpine`...) although the binary built for it is static, and suggests
    `gcr.io/distroless/static` or `scratch`. The finding is on the final `FROM`.

    Decisions: the binary counts as static when the `go build` feeding the final
    image links with `-extldflags -static`, or cgo is off for it: `CGO_ENABLED=0`, or
    no `CGO_ENABLED` on a builder without a C compiler (`golang:*-alpine`, where cgo
    is off by default since Go 1.20). The rule stays silent when the final image evidently uses
    the distribution: a `RUN` in the final stage (installing packages, creating a
    user), a `HEALTHCHECK`, a shell-form or shell-script `CMD`/`ENTRYPOINT`, or Go
    code that imports `os/exec`. A Go toolchain final image is DR301's.

    ## Why is this bad?
    A static Go binary needs no libc, no shell and no package manager. Each of them
    is size to pull on every node, packages for a scanner to report, and tools for an
    attacker who gets code execution. `distroless/static` still has CA certificates,
    `/etc/passwd`, `/tmp` and zoneinfo.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    RUN CGO_ENABLED=0 go build -o /app .

    FROM debian:bookworm-slim
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Fix safety
    Debugging with `kubectl exec ... sh` no longer works: use
    `kubectl debug` with an ephemeral container, or the `:debug` tag.

    ## References
    - [Distroless images](https://github.com/GoogleContainerTools/distroless)
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    """
    ix = ctx.index
    seen: set[str] = set()
    for svc in ix.services:
        if any(svc.imports(p) for p in _NEEDS_DISTRO):
            continue
        for b in svc.builds:
            if b.dockerfile.path in seen:
                continue
            info = b.base
            if info is None or not info.image.full_distro or info.image.go:
                continue
            why = _static_build(b)
            if why is None or _final_needs_distro(b):
                continue
            seen.add(b.dockerfile.path)
            yield Hit(
                b.final.span,
                f"the binary is static ({why}) but runs on the full distribution {info.ref}: "
                "gcr.io/distroless/static (or scratch) is smaller and has no shell or "
                "package manager",
            )


# --------------------------------------------------------------------------- DR304


@rule(
    id="DR304",
    name="runs-as-root",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.SECURITY,),
)
def runs_as_root(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Dockerfiles whose final image runs as root: the last `USER` of the final
    stage (or of the stage it is built from) is `root`, `0` or `0:<gid>`, or there is
    no `USER` and the base image's default user is root (`alpine`, `debian`,
    `scratch`, distroless without `:nonroot`). The finding is on the `USER` line, or
    on the final `FROM` when there is none.

    Decisions: distroless and Chainguard `:nonroot` images (uid 65532) are not root;
    a base image we know nothing about is not reported (its `USER` is unknown); a
    `USER` given by name (`app`) is taken as non-root. Development images under
    `.devcontainer/` are skipped.

    ## Why is this bad?
    A process running as root in a container is root on the container's filesystem
    and, after a container escape, much closer to root on the node. Kubernetes
    `runAsNonRoot: true` refuses to start such an image, which is the usual surprise
    at migration time.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    USER 65532:65532
    ENTRYPOINT ["/app"]
    ```

    ## Fix safety
    Files the process writes must be writable by the new uid, and ports below 1024
    need `NET_BIND_SERVICE`: listen on 8080.

    ## References
    - [Docker: best practices, USER](https://docs.docker.com/build/building/best-practices/#user)
    - [Kubernetes: pod security standards, restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
    """
    ix = ctx.index
    for b in _builds(ix):
        if _is_devcontainer(b.dockerfile):
            continue
        user = effective_user(b)
        if user is None or user.is_root is not True:
            continue
        if user.span is not None:
            yield Hit(
                user.span,
                f"USER {user.name}: the container runs as root; use a numeric non-root uid",
            )
        else:
            yield Hit(
                b.final.span,
                f"no USER in the final stage and {_final_base(b)} runs as root by default; "
                "add USER with a numeric non-root uid (e.g. 65532)",
            )


# --------------------------------------------------------------------------- DR305


def _shell_hits(b: Build) -> Iterator[tuple[Instruction, str, bool]]:
    """``(instruction, script, needs_sh_only)`` for each shell-run CMD/ENTRYPOINT
    of the final image; ``needs_sh_only`` is set when the shell execs the command."""
    f = b.final
    ep, cmd = f.entrypoint, f.cmd
    for inst in (ep, cmd):
        if inst is None or not inst.value:
            continue
        if inst is cmd and ep is not None and not ep.json:
            continue  # a shell-form ENTRYPOINT ignores CMD
        if not inst.json:
            yield inst, inst.value[0], _execs(inst.value[0])
            continue
        wrapped = _shell_wrapper(inst)
        if wrapped is not None:
            yield inst, wrapped[1], _execs(wrapped[1])


@rule(
    id="DR305",
    name="shell-form-entrypoint",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
)
def shell_form_entrypoint(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a final image whose `CMD` or `ENTRYPOINT` runs through a shell: the shell
    form (`CMD /app`), or an exec form that only wraps one (`CMD ["sh", "-c", "/app"]`).
    Error when the final image has no such shell (`scratch`, distroless): the
    container cannot start. Warning elsewhere: `/bin/sh` is PID 1 and does not pass
    SIGTERM on to the Go process.

    Decisions: a script that starts with `exec` (`CMD exec /app`) makes the shell
    replace itself, so it is only reported (as an error) on an image without the
    shell. A shell-form `CMD` after a shell-form `ENTRYPOINT` is ignored by Docker and
    not reported; after an exec-form `ENTRYPOINT` it is reported as a warning on any
    image, because Docker then passes `/bin/sh -c ...` to the entrypoint as
    arguments. An image whose base is unknown gets the warning. A shell script run
    in exec form (`ENTRYPOINT ["/entrypoint.sh"]`) is not judged: its content is not
    known here.

    ## Why is this bad?
    On `docker stop` or a pod deletion the runtime sends SIGTERM to PID 1. `sh` does
    not forward it, so the service never shuts down gracefully: in-flight requests
    are cut when SIGKILL comes at the end of the grace period (30 s of a stuck
    rollout per pod). On an image without `/bin/sh` the container fails at once with
    `exec: "/bin/sh": stat /bin/sh: no such file or directory`.

    ## Example
    ```dockerfile
    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
    CMD /app --port 8080
    ```

    ## Use instead
    ```dockerfile
    ENTRYPOINT ["/app", "--port", "8080"]
    ```

    ## Fix safety
    Exec form does no variable expansion: `$PORT` in the command must be read by the
    program instead (`os.Getenv`).

    ## References
    - [Docker: CMD, shell and exec form](https://docs.docker.com/reference/dockerfile/#shell-and-exec-form)
    - [Docker: ENTRYPOINT](https://docs.docker.com/reference/dockerfile/#entrypoint)
    """
    ix = ctx.index
    for b in _builds(ix):
        after_exec_ep = b.final.entrypoint is not None and b.final.entrypoint.json
        for inst, script, execs in _shell_hits(b):
            wrapped = _shell_wrapper(inst)
            shell = wrapped[0] if wrapped is not None else "/bin/sh"
            present = has_tool(b, shell)
            shown = script if len(script) <= 60 else script[:57] + "..."
            exec_form = _exec_form(script)
            fix = (
                f"use {inst.cmd} {exec_form}"
                if exec_form
                else "use exec form, or start the script with exec"
            )
            if inst.cmd == "CMD" and after_exec_ep and not inst.json:
                # Not run by a shell at all: handed to the entrypoint as arguments.
                yield Hit(
                    inst.span,
                    f"CMD in shell form after an exec-form ENTRYPOINT: Docker passes "
                    f"'/bin/sh -c {shown}' to the entrypoint as arguments; {fix}",
                )
            elif present is False:
                yield Hit(
                    inst.span,
                    f"{inst.cmd} runs {shown!r} through {shell}, which {_final_base(b)} does not "
                    f"have: the container cannot start; {fix}",
                    severity=Severity.ERROR,
                )
            elif not execs:
                form = "in shell form" if not inst.json else f"wraps {shell} -c"
                words = shell_words(script)
                prog = posixpath.basename(words[0]) if words else "the program"
                yield Hit(
                    inst.span,
                    f"{inst.cmd} {form} ({shown!r}): the shell is PID 1 and SIGTERM never "
                    f"reaches {prog}; {fix}",
                )


# --------------------------------------------------------------------------- DR306


_WHOLE_CONTEXT = frozenset({".", "./", "*", "./*", "/", "./."})
_MOD_FILES = frozenset({"go.mod", "go.sum", "go.work", "go.work.sum"})
_MODCACHE = ("/go/pkg/mod", "/root/go/pkg/mod")


def _is_source_copy(ix: ProjectIndex, b: Build, c: Copy) -> bool:
    """A COPY from the build context that brings in Go sources."""
    if c.from_stage is not None:
        return False
    for s in c.sources:
        if s in _WHOLE_CONTEXT or s.endswith(".go"):
            return True
        if posixpath.basename(s.rstrip("/")) in _MOD_FILES or "*" in s or "$" in s:
            continue
        rel = posixpath.normpath(posixpath.join(b.context, s.lstrip("/")))
        if any(d == rel or d.startswith(rel + "/") for d in ix.packages):
            return True
    return False


def _original(stages: tuple[Stage, ...], span: Span) -> str:
    """The instruction at ``span`` as written (its first line, flags included)."""
    for st in stages:
        for i in st.instructions:
            if i.span == span:
                text = " ".join(i.original.split())
                return text if len(text) <= 60 else text[:57] + "..."
    return "COPY"


def _run_at(st: Stage, span: Span) -> Instruction | None:
    """The RUN instruction holding ``span`` (a go build inside it)."""
    found: Instruction | None = None
    for i in st.instructions:
        if i.cmd == "RUN" and i.span.line <= span.line:
            found = i
    return found


def _modcache_mount(run: Instruction | None) -> bool:
    if run is None:
        return False
    return any(
        f.startswith("--mount=") and "type=cache" in f and any(p in f for p in _MODCACHE)
        for f in run.flags
    )


@rule(
    id="DR306",
    name="cache-busting-copy",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def cache_busting_copy(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds, in a stage that runs `go build`, the `COPY` that brings the sources in
    (`COPY . .`, a package directory, `*.go`) before the modules are downloaded. The
    finding is on that `COPY`.

    Decisions: two cases are reported. (1) `go mod download` runs only after the
    sources are copied (the seed's `COPY . .` then `RUN go mod download`). (2) There
    is no `go mod download` at all, `go.mod` requires modules, and `go build` fetches
    them after the source copy; this case is not reported when the build uses a
    BuildKit cache mount on `/go/pkg/mod` or a vendor directory (`-mod=vendor` or
    `vendor/modules.txt`), where nothing is downloaded again. Stages a build stage is
    built `FROM` count as part of it.

    ## Why is this bad?
    Docker reuses a layer only while everything before it is unchanged. With the
    sources copied first, every code change invalidates the download layer and the
    build fetches every module again: minutes per CI run, and a build that fails
    whenever the proxy is slow.

    ## Example
    ```dockerfile
    COPY . .
    RUN go mod download
    RUN go build -o /app ./cmd/server
    ```

    ## Use instead
    ```dockerfile
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN go build -o /app ./cmd/server
    ```

    ## Fix safety
    Safe: the same files end up in the stage.

    ## References
    - [Docker: optimizing builds with cache](https://docs.docker.com/build/cache/optimize/)
    - [Docker Go guide](https://docs.docker.com/guides/golang/build-images/)
    """
    ix = ctx.index
    seen: set[Span] = set()
    for b in _builds(ix):
        df = b.dockerfile
        mod = ix.module_of(posixpath.join(b.context, "go.mod"))
        vendored = mod is not None and mod.dir in ix.vendors
        for st in df.stages:
            if not st.go_builds:
                continue
            chain = tuple(reversed(df.lineage(st)))
            srcs = sorted(
                (c for s in chain for c in s.copies if _is_source_copy(ix, b, c)),
                key=lambda c: c.span.line,
            )
            if not srcs:
                continue
            first = srcs[0]
            downloads = [d for s in chain for d in s.mod_downloads]
            if first.span in seen or any(d.line < first.span.line for d in downloads):
                continue
            after = [d for d in downloads if d.line > first.span.line]
            what = _original(chain, first.span)
            if after:
                seen.add(first.span)
                yield Hit(
                    first.span,
                    f"{what} comes before go mod download (line {after[0].line}): every source "
                    "change downloads all modules again; COPY go.mod go.sum first",
                )
                continue
            gb = st.go_builds[0]
            if (
                mod is None
                or not mod.requires
                or vendored
                or gb.mod == "vendor"
                or _modcache_mount(_run_at(st, gb.span))
            ):
                continue
            seen.add(first.span)
            n = len(mod.requires)
            yield Hit(
                first.span,
                f"{what} with no go mod download before it: go build fetches the {n} "
                f"required module{'s' if n > 1 else ''} again after every source change; "
                "COPY go.mod go.sum and RUN go mod download first",
            )


# --------------------------------------------------------------------------- DR307


#: What a .dockerignore must exclude: a representative path for each entry.
_MUST_IGNORE = (
    (".git", ".git/HEAD"),
    (".env", ".env"),
    ("*.key", "server.key"),
    ("*.pem", "server.pem"),
)


def _copies_whole_context(df: Dockerfile) -> bool:
    return any(
        c.from_stage is None and any(s in _WHOLE_CONTEXT for s in c.sources)
        for st in df.stages
        for c in st.copies
    )


@rule(
    id="DR307",
    name="dockerignore-missing",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
)
def dockerignore_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a Dockerfile that copies its whole build context (`COPY . .`, `ADD . /src`)
    while the context has no `.dockerignore` (reported on line 1 of the Dockerfile),
    or has one that does not exclude `.git`, `.env`, `*.key` and `*.pem` (reported
    once on line 1 of the `.dockerignore`, naming what is missing).

    Decisions: the context is the one the index joins (a compose `build.context`,
    else the Dockerfile's directory or module root), and a `<Dockerfile>.dockerignore`
    next to the Dockerfile wins, as in BuildKit. Each required entry is checked with
    Docker's matching on a representative path (`.git/HEAD`, `.env`, `server.key`,
    `server.pem`), so `**/*.pem` or an allowlist (`*` then `!cmd/`) both pass.
    Build output (`bin/`, `dist/`) is recommended but not required: dockready cannot
    see whether a project produces it. A Dockerfile that copies only named files is
    not reported: BuildKit then transfers only those.

    ## Why is this bad?
    `COPY . .` puts everything in the context into a layer: the `.git` history
    (with every secret ever committed), a developer's `.env`, TLS keys. Deleting them
    in a later layer does not remove them from the image. A big context also slows
    every build and busts the cache on unrelated changes.

    ## Example
    A repository with `Dockerfile` (`COPY . .`), `.env` and `.git/`, and no
    `.dockerignore`.

    ## Use instead
    ```
    # .dockerignore
    .git
    .env
    **/.env
    **/*.pem
    **/*.key
    bin/
    dist/
    ```

    ## Fix safety
    Check that nothing the build needs is excluded (a `go:embed` directory, a
    config file the image ships).

    ## References
    - [Docker: .dockerignore files](https://docs.docker.com/build/concepts/context/#dockerignore-files)
    """
    ix = ctx.index
    reported: set[str] = set()
    for b in _builds(ix):
        df = b.dockerfile
        if not _copies_whole_context(df):
            continue
        di = b.dockerignore
        if di is None:
            where = "the repository root" if b.context == "." else b.context
            yield Hit(
                Span(df.path, 1, 1),
                f"no .dockerignore in the build context ({where}) and the Dockerfile copies "
                "all of it: .git, .env and key files end up in the image",
            )
            continue
        if di.path in reported:
            continue
        missing = [name for name, probe in _MUST_IGNORE if not di.excludes(probe)]
        if missing:
            reported.add(di.path)
            yield Hit(
                Span(di.path, 1, 1),
                f".dockerignore does not exclude {', '.join(missing)}: {df.path} copies the "
                "whole context, so they end up in the image",
                related=(Related(b.final.span, "the image built from this context"),),
            )


# --------------------------------------------------------------------------- DR308


#: Build args that carry credentials for private modules, whatever their value.
_TOKEN_ARGS = frozenset(
    {
        "NETRC",
        "GIT_CREDENTIALS",
        "SSH_KEY",
        "SSH_PRIVATE_KEY",
        "ID_RSA",
        "GOAUTH",
        "GIT_AUTH",
        "DEPLOY_KEY",
    }
)
_SECRET_FILES = frozenset(
    {
        ".env",
        ".netrc",
        "_netrc",
        ".npmrc",
        ".git-credentials",
        ".pgpass",
        "credentials.json",
        "service-account.json",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
    }
)
_SECRET_EXTS = (".key", ".p12", ".pfx", ".jks", ".keystore")
_NOT_SECRET_ENV = (".example", ".sample", ".template", ".dist", ".defaults")
_CERT_WORDS = frozenset(
    {
        "ca",
        "cert",
        "certs",
        "certificate",
        "chain",
        "fullchain",
        "bundle",
        "root",
        "rootca",
        "pub",
        "public",
    }
)


def _secret_file(src: str) -> bool:
    name = posixpath.basename(src.rstrip("/")).lower()
    if name in _SECRET_FILES:
        return True
    if name.startswith(".env.") and not name.endswith(_NOT_SECRET_ENV):
        return True
    if name.endswith(_SECRET_EXTS):
        return True
    if name.endswith(".pem"):
        stem = name[:-4].replace("-", ".").replace("_", ".")
        return not any(w in _CERT_WORDS for w in stem.split("."))
    return False


def _token_arg(name: str) -> bool:
    return name.upper() in _TOKEN_ARGS or secret_name(name)


def _raw_env(st: Stage) -> dict[str, tuple[str, Span]]:
    """The ENV pairs written in this stage, raw (before substitution), last wins."""
    out: dict[str, tuple[str, Span]] = {}
    for i in st.instructions:
        if i.cmd == "ENV":
            for k in range(0, len(i.value) - 1, 2):
                out[i.value[k]] = (i.value[k + 1], i.span)
    return out


def _references(raw: str, names: set[str]) -> str | None:
    for n in names:
        if f"${n}" in raw or f"${{{n}}}" in raw or f"${{{n}:" in raw:
            return n
    return None


@rule(
    id="DR308",
    name="secret-in-image",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
    tags=(Tag.SECURITY, Tag.SECRET),
)
def secret_in_image(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds secrets put into an image or its build history, in every stage:
    - `ENV` with a secret-like name and a plausible literal value (`ENV
      DB_PASSWORD=hunter2`), or one that copies a build arg (`ENV TOKEN=$TOKEN`);
    - `ARG` with a secret-like name and a literal default;
    - `ARG` carrying a credential (a secret-like name such as `GITHUB_TOKEN`, or
      `NETRC`, `SSH_PRIVATE_KEY`...) even without a default, when a `RUN` follows it in
      the stage: build args are recorded in the image history of every `RUN`;
    - `COPY`/`ADD` of `.env`, `.netrc`, `.npmrc`, `.git-credentials`,
      `credentials.json`, `id_rsa`-style keys, `*.key`/`*.p12`/`*.pfx`/`*.jks`, and
      `*.pem` unless its name says it is a certificate (`ca.pem`, `cert.pem`).

    Values are never printed: messages show a masked prefix. Placeholders
    (`changeme`, `${VAR}`, `<token>`) are not secrets. Builder stages are included:
    their layers live in the build cache and in any exported cache.

    ## Why is this bad?
    `ENV` is part of the image config (`docker inspect` shows it to anyone who can
    pull); `ARG` values appear in `docker history`; a copied file stays in its layer
    even if a later `RUN rm` deletes it. Registries, caches and every node that
    pulled the image keep a copy.

    ## Example
    ```dockerfile
    ARG GITHUB_TOKEN
    RUN git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
    COPY .netrc /root/.netrc
    ENV DB_PASSWORD=hunter2
    ```

    ## Use instead
    ```dockerfile
    # docker build --secret id=netrc,src=$HOME/.netrc .
    RUN --mount=type=secret,id=netrc,target=/root/.netrc go mod download
    ```
    and give runtime secrets to the container (Kubernetes `secretKeyRef`), not the
    image.

    ## Fix safety
    Rotate the secret: it is already in every pushed image and cache.

    ## References
    - [Docker: build secrets](https://docs.docker.com/build/building/secrets/)
    - [Hadolint DL3044 / Docker build checks SecretsUsedInArgOrEnv](https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/)
    """
    ix = ctx.index
    for df in ix.dockerfiles:
        for st in df.stages:
            args = {n for n, _ in st.args} | {n for n, _ in df.global_args}
            for name, (raw, span) in _raw_env(st).items():
                value = st.getenv(name) or raw
                kind = secret_kind(name, value)
                ref = _references(raw, args) if secret_name(name) else None
                if kind is not None and ref is None:
                    yield Hit(
                        span,
                        f"ENV {name}={mask(value)} ({kind}) is stored in the image config; "
                        "pass it at run time (a Kubernetes Secret) instead",
                    )
                elif ref is not None:
                    yield Hit(
                        span,
                        f"ENV {name} copies build arg {ref} into the image config; use "
                        "RUN --mount=type=secret for build-time secrets",
                    )
            yield from _arg_hits(st)
            for c in st.copies:
                bad = [s for s in c.sources if _secret_file(s)]
                if bad:
                    verb = "ADD" if c.is_add else "COPY"
                    yield Hit(
                        c.span,
                        f"{verb} of {', '.join(bad)} puts a secrets file into an image layer "
                        "(a later rm does not remove it); use RUN --mount=type=secret",
                    )


def _arg_hits(st: Stage) -> Iterator[Hit]:
    insts = st.instructions
    for k, i in enumerate(insts):
        if i.cmd != "ARG":
            continue
        for item in i.value:
            name, eq, default = item.partition("=")
            name = name.strip()
            if eq:
                kind = secret_kind(name, default)
                if kind is not None:
                    yield Hit(
                        i.span,
                        f"ARG {name} has a secret default ({mask(default)}, {kind}): it is in "
                        "the Dockerfile and the image history; use RUN --mount=type=secret",
                    )
                    continue
            if _token_arg(name) and any(j.cmd == "RUN" for j in insts[k + 1 :]):
                yield Hit(
                    i.span,
                    f"ARG {name} passes a credential as a build arg: its value is recorded in "
                    "the history of every RUN after it; use RUN --mount=type=secret",
                )


# --------------------------------------------------------------------------- DR311


#: Commands a HEALTHCHECK typically runs that an image may lack.
_PROBE_TOOLS = frozenset(
    {"curl", "wget", "sh", "bash", "ash", "nc", "netcat", "grpc_health_probe", "grpcurl"}
)
_SH_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;"})


def _command_heads(words: list[str]) -> list[str]:
    """The command word of each simple command in a split script."""
    heads: list[str] = []
    start = True
    for w in words:
        if w in _SH_OPERATORS:
            start = True
        elif start:
            if "=" in w and not w.startswith(("-", "/", "=")):
                continue  # VAR=x prefix
            heads.append(w)
            start = False
    return heads


@rule(
    id="DR311",
    name="healthcheck-tool-missing",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def healthcheck_tool_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a `HEALTHCHECK` of the final image that runs a command the image does not
    have: `curl`, `wget`, `nc`, `grpc_health_probe`, a shell (the seed's `HEALTHCHECK
    CMD curl ...` on `alpine`, which has only busybox `wget`). The shell form (`CMD
    curl ... || exit 1`) needs `/bin/sh` itself, so on `scratch` or distroless it
    always fails. The finding is on the `HEALTHCHECK` line.

    Decisions: what the image has comes from the base image table, `COPY`s of the
    tool, and `RUN`s in the final stage that install or fetch it (`apk add curl`,
    `wget -O /bin/grpc_health_probe`). An unknown base image is not reported. Other
    commands (the service binary's own `healthcheck` subcommand) are not judged.

    ## Why is this bad?
    The check fails on every run, so Docker, Compose and ECS mark the container
    unhealthy: Compose `depends_on: condition: service_healthy` never starts the
    dependants, and Swarm/ECS replace the container in a loop. Kubernetes ignores
    `HEALTHCHECK`; its probes are DR402.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1
    ```

    ## Use instead
    ```dockerfile
    HEALTHCHECK CMD wget -q -O /dev/null http://localhost:8080/healthz || exit 1
    ```
    or, on a shell-less image, a `healthcheck` subcommand of the binary:
    `HEALTHCHECK CMD ["/app", "healthcheck"]`.

    ## Fix safety
    Safe.

    ## References
    - [Docker: HEALTHCHECK](https://docs.docker.com/reference/dockerfile/#healthcheck)
    """
    ix = ctx.index
    for b in _builds(ix):
        hc = b.final.healthcheck
        if hc is None or len(hc.value) < 2 or hc.value[0].upper() != "CMD":
            continue
        base = _final_base(b)
        if not hc.json:
            if has_tool(b, "sh") is False:
                yield Hit(
                    hc.span,
                    f"HEALTHCHECK in shell form runs /bin/sh, which {base} does not have: the "
                    "check always fails; use the exec form with a command the image has",
                )
                continue
            heads = _command_heads(shell_words(hc.value[1]))
        else:
            words = list(hc.value[1:])
            heads = [words[0]]
            wrapped = len(words) >= 3 and posixpath.basename(words[0]) in _SHELLS
            if wrapped and words[1].startswith("-") and "c" in words[1]:
                heads += _command_heads(shell_words(words[2]))
        for head in heads:
            tool = posixpath.basename(head)
            if tool not in _PROBE_TOOLS:
                continue
            # has_tool matches COPYs by bare name; keep a shell's path (/busybox/sh).
            query = head if tool in _SHELLS and head not in ("sh", "/bin/sh") else tool
            if has_tool(b, query) is False and not installs_tool(b, tool):
                yield Hit(
                    hc.span,
                    f"HEALTHCHECK runs {tool}, which {base} does not have: the check always "
                    "fails and the container is marked unhealthy",
                )
                break


# --------------------------------------------------------------------------- DR314


def _short_callee(c: Call) -> str:
    """``os.ReadFile``, ``viper.ReadInConfig``, ``v.SetConfigFile``."""
    if c.callee.startswith("."):
        return f"{c.receiver}{c.callee}"
    pkg = c.package.rsplit("/", 1)[-1].split(".", 1)[0]
    return f"{pkg}.{c.name}"


def _mounted(svc: Service, path: str) -> bool:
    for dep in svc.deployments:
        for m in dep.container.mounts:
            mp = m.mount_path.rstrip("/") or "/"
            if path == mp or path.startswith(mp + "/") or mp == "/":
                return True
    return False


@rule(
    id="DR314",
    name="config-file-not-shipped",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def config_file_not_shipped(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose code opens a configuration file at a fixed path
    (`os.ReadFile("config.yaml")`, `os.Open("/etc/orders/config.yaml")`,
    `viper.SetConfigFile`, viper `SetConfigName` + `AddConfigPath` +
    `ReadInConfig`, `toml.DecodeFile`, `cleanenv.ReadConfig`, `ini.Load`, koanf
    `file.Provider`) that the final image does not contain and no Kubernetes
    workload running the service mounts. The finding is on the final `FROM` of the
    service's Dockerfile (where the fix usually goes); the Go call is the related
    location.

    Decisions, for precision: only string-literal paths (constants included) with a
    configuration extension (`.yaml`, `.yml`, `.json`, `.toml`, `.ini`, `.conf`,
    `.cfg`, `.properties`, `.hcl`); a path built from an environment variable or a
    flag is skipped (the deployment can point it elsewhere), and so is viper when the
    file also calls `AutomaticEnv`/`BindEnv`/`SetEnvPrefix` (settings can come from
    the environment). System files (`/etc/*.conf`, `/proc`, `/usr`...) are not
    configuration. A relative path is resolved against the final stage's `WORKDIR`.
    A path counts as shipped when a `COPY` of the final image writes it or a
    directory holding it, and as mounted when a `volumeMount` of a workload running
    the service is the path or one of its parents. Services run by Compose are
    skipped (compose volumes are not known here).

    ## Why is this bad?
    The service builds and passes its tests on a laptop where `config.yaml` sits next
    to the code, then exits at start-up in the container (`open config.yaml: no such
    file or directory`): a crash loop on the first deployment.

    ## Example
    ```go
    data, err := os.ReadFile("config.yaml")
    ```
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    Ship it, or (better for settings that differ per environment) mount it from a
    ConfigMap:
    ```dockerfile
    WORKDIR /
    COPY config.yaml /config.yaml
    ```
    ```yaml
    volumeMounts:
      - {name: config, mountPath: /etc/orders}
    ```
    and read the path from the environment: `os.Getenv("ORDERS_CONFIG")`.

    ## Fix safety
    Check which file each environment needs before baking one into the image.

    ## References
    - [Kubernetes: configure a pod to use a ConfigMap](https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#add-configmap-data-to-a-volume)
    - [The twelve-factor app: config](https://12factor.net/config)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds or svc.compose:
            continue
        opens = [(c, paths, shown) for g in svc.files for c, paths, shown in config_opens(g)]
        if not opens:
            continue
        for b in svc.builds:
            workdir = b.final.workdir or "/"
            done: set[str] = set()
            for call, paths, shown in opens:
                full = tuple(posixpath.normpath(posixpath.join(workdir, p)) for p in paths)
                if shown in done:
                    continue
                if copies_path(b, *full) is not None or any(_mounted(svc, p) for p in full):
                    continue
                done.add(shown)
                dirs = dict.fromkeys(posixpath.dirname(p) for p in full)
                where = full[0] if len(full) == 1 else ", ".join(dirs)
                at = "" if where == shown else f" ({where} in the container)"
                mounted = " and no workload mounts" if svc.deployments else ""
                yield Hit(
                    b.final.span,
                    f"the code reads {shown}{at}, which the final image does not "
                    f"contain{mounted}: the service fails at start-up; COPY it or mount it "
                    "from a ConfigMap",
                    related=(Related(call.span, f"{_short_callee(call)} reads {shown}"),),
                )


# --------------------------------------------------------------------------- DR315


@rule(
    id="DR315",
    name="missing-non-root-user",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def missing_non_root_user(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `USER <name>` (a user or group given by name, such as `app` or
    `65532:app`) in a final image that has no `/etc/passwd`: `scratch` with no
    `COPY` of `/etc/passwd`. The finding is on the `USER` line.

    Decisions: `USER root` is left to DR304. Images that have an `/etc/passwd` are
    not checked for the name itself (distroless knows `nonroot` and `nobody`; a
    name created with `adduser` in a `RUN` is fine). An unknown base image is not
    reported.

    ## Why is this bad?
    The runtime resolves a user name through the image's `/etc/passwd`. With none,
    the container fails to start: `unable to find user app: no matching entries in
    passwd file`.

    ## Example
    ```dockerfile
    FROM scratch
    COPY --from=build /app /app
    USER app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM scratch
    COPY --from=build /app /app
    USER 65532:65532
    ENTRYPOINT ["/app"]
    ```
    (or copy a prepared `/etc/passwd` from the build stage).

    ## Fix safety
    Safe: a numeric uid needs no passwd entry.

    ## References
    - [Docker: USER](https://docs.docker.com/reference/dockerfile/#user)
    """
    ix = ctx.index
    for b in _builds(ix):
        user = effective_user(b)
        if user is None or user.span is None or user.from_base:
            continue
        parts = [p for p in user.name.split(":", 1) if p]
        named = [p for p in parts if not p.isdigit()]
        if not named or "$" in user.name or user.name.split(":", 1)[0] == "root":
            continue
        if has_capability(b, "passwd") is not False:
            continue
        yield Hit(
            user.span,
            f"USER {user.name} names a user, but {_final_base(b)} has no /etc/passwd: the "
            "container fails to start (unable to find user); use a numeric uid:gid",
        )
