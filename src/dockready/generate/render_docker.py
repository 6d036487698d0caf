"""The Dockerfile and .dockerignore of a service, from its :class:`InitFacts`.

Decisions (each keeps ``dockready check`` quiet on the result):

- No ``# syntax=`` line: BuildKit would fetch the frontend image, which fails offline;
  the built-in frontend knows cache and secret mounts.
- Builder ``golang:<major.minor>-bookworm``: the newest of go.mod's ``go`` and
  ``toolchain`` lines, major.minor only, so the tag floats to the newest patch
  release (security fixes) and satisfies any patch the go.mod names (DR203); never
  older than Go 1.21, the first release that treats the ``go`` line as a minimum.
- Static binaries (``CGO_ENABLED=0``, cross-compiled from ``$BUILDPLATFORM`` for
  ``$TARGETOS/$TARGETARCH``) on ``distroless/static-debian12:nonroot``; code that
  needs cgo is built natively with ``CGO_ENABLED=1`` and runs on
  ``distroless/base-debian12:nonroot`` (glibc of the builder's Debian release).
- ``go.mod``/``go.sum`` first, ``go mod download`` in a cache mount, then the
  sources; vendored modules skip the download and build with ``-mod=vendor``.
- Private modules: ``ENV GOPRIVATE`` and a BuildKit secret mounted as
  ``/root/.netrc`` for the download only; never a token in an ``ARG``.
- Configuration files read at relative paths are copied to ``/<path>`` with
  ``WORKDIR /`` (the process runs in ``/``).
- ``USER 65532:65532`` (numeric: no passwd lookup, ``runAsNonRoot`` can verify it)
  and an exec-form ``ENTRYPOINT``.
"""

from __future__ import annotations

import json
import posixpath

from dockready.facts.go import version_tuple
from dockready.generate.jinja import render
from dockready.generate.model import InitFacts
from dockready.parse.dockerignore import parse_dockerignore

STATIC_RUNTIME = "gcr.io/distroless/static-debian12:nonroot"
CGO_RUNTIME = "gcr.io/distroless/base-debian12:nonroot"
#: The oldest builder generated: Go 1.21 made the go line a minimum toolchain.
MIN_GO = (1, 21)


def go_image_version(f: InitFacts) -> str:
    """The ``golang`` image version to build with: ``"1.22"``."""
    best = MIN_GO
    for v in (f.go_version, f.toolchain):
        t = version_tuple(v)
        if t is not None and len(t) >= 2 and t[:2] > best:
            best = (t[0], t[1])
    return f"{best[0]}.{best[1]}"


def binary_name(f: InitFacts) -> str:
    return f.name


def module_dir(f: InitFacts) -> str:
    """The module root relative to the build context: ``.``, or ``services/api`` when
    the context is an enclosing directory (``f.context``)."""
    if f.context == ".":
        return "."
    context = posixpath.normpath(posixpath.join(f.root, f.context))
    return posixpath.relpath(f.root, context)


def dockerignore_name(f: InitFacts) -> str:
    """``.dockerignore``, or ``<Dockerfile>.dockerignore`` next to a Dockerfile with
    another name, or built from an enclosing directory (BuildKit reads that one first,
    so the context's own .dockerignore, shared with others, is left alone)."""
    if posixpath.basename(f.dockerfile) == "Dockerfile" and f.context == ".":
        return posixpath.join(posixpath.dirname(f.dockerfile), ".dockerignore")
    return f.dockerfile + ".dockerignore"


def _in_context(f: InitFacts, path: str) -> str:
    """``path`` (relative to the module root) relative to the build context."""
    mod = module_dir(f)
    return path if mod == "." else posixpath.join(mod, path)


def _copy_args(src: str, dest_rel: str | None = None) -> str:
    dest = "/" + (src if dest_rel is None else dest_rel)
    if any(ch.isspace() or ch in "\"'\\$" for ch in src):
        return json.dumps([src, dest])
    return f"{src} {dest}"


def render_dockerfile(f: InitFacts) -> str:
    private = ",".join(f.private_modules) if not f.vendor else ""
    build_opts = ""
    mod = module_dir(f)
    if f.dockerfile != "Dockerfile" or mod != ".":
        build_opts += f"-f {_in_context(f, f.dockerfile)} "
    if private:
        build_opts += "--secret id=netrc,src=$HOME/.netrc "
    env_line = " ".join(f"{k}={v}" for k, v in f.listen_env) if f.listens else ""
    return render(
        "Dockerfile.j2",
        name=f.name,
        module=f.module,
        build_opts=build_opts,
        go_tag=go_image_version(f),
        cgo=f.cgo,
        vendor=f.vendor,
        has_go_sum=f.has_go_sum,
        private=private,
        binary=binary_name(f),
        main_pkg=f.main_pkg,
        runtime_image=CGO_RUNTIME if f.cgo else STATIC_RUNTIME,
        config_files=f.config_files,
        config_copies=[_copy_args(_in_context(f, c), c) for c in f.config_files],
        mod_dir=mod,
        context_up=f.context,
        local_modules=f.local_modules,
        env_line=env_line,
        listens=f.listens,
        port=f.port,
        expose=" ".join(str(p) for p in (f.port, *(x.port for x in f.ports))),
        tags=",".join(f.build_tags),
        runtime_needs=_runtime_needs(f),
    )


def _runtime_needs(f: InitFacts) -> list[str]:
    """What the code uses from the runtime image's filesystem (distroless has both;
    ``scratch`` has neither, which is why it is never generated)."""
    out = []
    if f.needs_tls:
        out.append("CA certificates (/etc/ssl/certs), for its TLS connections")
    if f.needs_tz:
        out.append("the time zone database (/usr/share/zoneinfo), for time.LoadLocation")
    return out


def _must_keep(f: InitFacts) -> list[str]:
    keep = ["go.mod"]
    if f.has_go_sum:
        keep.append("go.sum")
    if f.vendor:
        keep.append("vendor/modules.txt")
    keep.extend(f.config_files)
    out = [_in_context(f, p) for p in keep]
    out.extend(posixpath.join(d, "go.mod") for d in f.local_modules)
    return out


def render_dockerignore(f: InitFacts) -> str:
    """The .dockerignore, with ``!`` exceptions for anything the build or the image
    needs that a pattern would exclude (a config file under ``k8s/``...). Built from
    an enclosing directory, it lets in only the module and its local replacements
    (``*``, then ``!services/api``...), and excludes the usual at any depth."""
    wide = f.context != "."
    include = [module_dir(f), *f.local_modules] if wide else []
    base = render("dockerignore.j2", keep=[], include=include)
    patterns = parse_dockerignore(".dockerignore", base)
    keep = [p for p in _must_keep(f) if patterns.excludes(p)]
    return render("dockerignore.j2", keep=keep, include=include) if keep else base


def render_docker(f: InitFacts) -> dict[str, str]:
    """``{Dockerfile: text, .dockerignore: text}``, paths relative to ``f.root``."""
    return {f.dockerfile: render_dockerfile(f), dockerignore_name(f): render_dockerignore(f)}
