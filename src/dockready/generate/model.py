"""What ``init`` knows about one service: detected from the project index
(``generate/detect.py``), rendered by the templates (``generate/render_*.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass


def dns_label(name: str) -> str:
    """``name`` as a DNS-1123 label that starts with a letter: the service, binary,
    image and Kubernetes object name (``OrderService`` -> ``orderservice``)."""
    label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].rstrip("-")
    if not label or not label[0].isalpha():
        label = ("svc-" + label)[:63].rstrip("-")
    return label


@dataclass(frozen=True, slots=True)
class PortSpec:
    """A port the service serves besides its main one: ``name`` is the protocol
    (``http``, ``grpc``, ``tcp``) or ``metrics`` for an operations port, unique in
    the pod (at most 15 characters, as Kubernetes wants)."""

    name: str
    port: int
    protocol: str = "http"


@dataclass(frozen=True, slots=True)
class InitFacts:
    """One service, as the generators need it. Paths are POSIX.

    ``root`` is the directory the files are written to (the module root, relative to
    the checked directory); ``main_pkg`` is the main package relative to it
    (``./cmd/orders`` or ``.``).
    """

    name: str
    root: str
    module: str
    main_pkg: str
    go_version: str  # go.mod's ``go`` line, e.g. "1.22" or "1.22.3"
    toolchain: str | None = None
    cgo: bool = False  # the code needs cgo (import "C", go-sqlite3...)
    vendor: bool = False  # a committed vendor/modules.txt
    has_go_sum: bool = True
    private_modules: tuple[str, ...] = ()  # GOPRIVATE patterns
    port: int = 8080
    port_env: str | None = None  # the env var that sets the port, if the code reads one
    health_path: str | None = None  # liveness route (e.g. /healthz)
    ready_path: str | None = None  # readiness route (e.g. /readyz); falls back to health
    grpc_health: bool = False
    grpc: bool = False  # serves gRPC (probe kind grpc when there is no HTTP health route)
    shutdown_timeout: float | None = None  # seconds the code drains on SIGTERM
    writes_tmp: bool = False
    needs_tls: bool = False
    needs_tz: bool = False
    config_files: tuple[str, ...] = ()  # files the code opens, relative to root
    slow_start: bool = False  # warrants a startupProbe
    # -- added with generate/detect.py (keyword-only in spirit: keep new fields last) --
    # ``config_files`` are opened at relative paths, which are relative to root in the
    # tree (where the code runs from): the image ships each one at /<path>.
    listens: bool = True  # False: the code opens no listener (a worker): no EXPOSE, no probes
    addr_env: str | None = None  # the env var that holds the whole listen address (":8080")
    # What the image sets so that the process listens on every interface at ``port``:
    # (("PORT", "8080"),), (("HOST", "0.0.0.0"), ("PORT", "8080")), (("ADDR", ":8080"),).
    listen_env: tuple[tuple[str, str], ...] = ()
    # Config files the code opens that the tree does not hold (an absolute path, or a
    # relative one with no such file): absolute paths in the container, to mount.
    missing_configs: tuple[str, ...] = ()
    write_dirs: tuple[str, ...] = ()  # directories the code writes to, other than the temp dir
    # The Dockerfile, relative to root: Dockerfile.<name> when the module has several
    # services (its .dockerignore is then Dockerfile.<name>.dockerignore).
    dockerfile: str = "Dockerfile"
    # What the generated files cannot fix, for the user (printed by ``init``).
    warnings: tuple[str, ...] = ()
    # Why start-up may be slow ("runs schema migrations (goose)"): the reason for
    # ``slow_start``, for the notes and the manifest's comment.
    slow_start_why: str | None = None
    # Variables the code cannot start without (no default; DR228): the manifests take
    # them from the Secret ``<name>-env``, compose from the caller's environment.
    required_env: tuple[str, ...] = ()
    # The build context, relative to ``root``: "." (the module root), or an enclosing
    # directory ("../..") when go.mod replaces requirements with local directories
    # outside the module (not vendored): the image must be built from a directory
    # that holds them all. ``local_modules`` are those directories, relative to the
    # context, for the Dockerfile to copy.
    context: str = "."
    local_modules: tuple[str, ...] = ()
    # The protocol of the main listener (``port``): "http", "grpc" or "tcp" (a
    # framework's own RPC, a raw listener). It names the port.
    protocol: str = "http"
    # The other listeners a client or Prometheus reaches (debug listeners left out).
    ports: tuple[PortSpec, ...] = ()
    # Where the main listener's port would be a guess (its address cannot be read and
    # no variable sets it): the address and its file:line. ``init`` then asks for
    # ``--port`` instead of writing files that cannot work.
    port_guess: str | None = None
    # Build tags the binary needs (``migrate``: the files of its migration step).
    build_tags: tuple[str, ...] = ()

    @property
    def grpc_port(self) -> int | None:
        """The port gRPC is served on, if any."""
        if self.protocol == "grpc":
            return self.port
        return next((p.port for p in self.ports if p.protocol == "grpc"), None)
