"""What ``init`` knows about one service: detected from the project index
(``generate/detect.py``), rendered by the templates (``generate/render_*.py``)."""

from __future__ import annotations

from dataclasses import dataclass


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
