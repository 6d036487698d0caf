"""Listeners and routes: the ports and paths a service's code serves, how a server is
described, and pprof."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockready.facts.go import (
    GoFile,
    Listener,
    Route,
)
from dockready.facts.index import Service
from dockready.model import Span


def service_go_files(svc: Service) -> list[GoFile]:
    """The service's Go files (discovery already leaves ``_test.go`` files out)."""
    return list(svc.files)


def ops_route(r: Route) -> bool:
    """A route for operators, not clients: Prometheus metrics, pprof, expvar."""
    p = r.path.strip().lower().rstrip("/")
    return p in ("/metrics", "/debug") or p.startswith("/debug/")


def ops_only(files: list[GoFile]) -> bool:
    """Do the HTTP routes of these files serve operators only (``/metrics``,
    ``/debug/...``)? Then the HTTP listeners are an operations port beside a protocol
    we do not model, not the service's traffic."""
    routes = [r for g in files for r in g.routes]
    http = [lst for g in files for lst in g.listeners if lst.kind in ("http", "https")]
    debug = any(imp.path in _DEBUG_MUX_IMPORTS for g in files for imp in g.imports)
    if debug and http and all(lst.handler == "default" for lst in http):
        # Every HTTP server serves the default mux: what it serves is the default
        # mux's routes plus net/http/pprof's or expvar's (a debug port, often
        # behind an env var); routes of other routers go through servers we do
        # not model (a plugin SDK's unix socket).
        mine = [r for r in routes if r.router == "default"]
        return all(ops_route(r) for r in mine)
    return bool(routes) and all(ops_route(r) for r in routes)


_DEBUG_MUX_IMPORTS = frozenset({"net/http/pprof", "expvar"})


def quoted(text: str) -> str:
    return f'"{text}"'


#: Listener kinds that serve HTTP (net/http and the frameworks the parser knows).
HTTP_KINDS = frozenset({"http", "https", "gin", "echo", "fiber"})
#: Listener kinds of a long-running server: HTTP and gRPC.
SERVER_KINDS = HTTP_KINDS | {"grpc"}


def describe(lst: Listener, addr: str | None = None) -> str:
    """``http server on :8080`` (the resolved address when given, else the code's)."""
    if addr is None:
        addr = lst.addr.literal or lst.addr.text if lst.addr is not None else "an unknown address"
    return f"{lst.kind} server on {addr}"


def port_of(addr: str | None) -> int | None:
    """``":8080"`` / ``"0.0.0.0:8080"`` / ``"8080"`` / ``"[::]:80"`` -> the port."""
    if addr is None:
        return None
    a = addr.strip()
    if a.startswith("["):
        a = a.rsplit("]", 1)[-1]
    tail = a.rsplit(":", 1)[-1]
    if tail.isdigit():
        p = int(tail)
        return p if 0 < p < 65536 else None
    return None


def host_of(addr: str | None) -> str | None:
    if addr is None or ":" not in addr:
        return None
    a = addr.strip()
    if a.startswith("["):
        return a[1:].split("]", 1)[0]
    return a.rsplit(":", 1)[0]


def is_loopback(host: str | None) -> bool:
    return host is not None and (
        host in ("localhost", "::1", "ip6-localhost") or host.startswith("127.")
    )


@dataclass(frozen=True, slots=True)
class BoundListener:
    """A listener with its address resolved in a given environment."""

    listener: Listener
    file: GoFile
    addr: str | None

    @property
    def port(self) -> int | None:
        return port_of(self.addr)

    @property
    def host(self) -> str | None:
        return host_of(self.addr)


def main_files(svc: Service) -> tuple[GoFile, ...]:
    return svc.main.files if svc.main is not None else ()


def listeners(svc: Service, env: Mapping[str, str] | None = None) -> list[BoundListener]:
    """Every listener of the service, its address resolved with ``env``.

    Listeners in non-main packages are included (servers are often started from an
    ``internal/server`` package)."""
    out = []
    for g in svc.files:
        for lst in g.listeners:
            addr = lst.addr.resolve(env) if lst.addr is not None else None
            out.append(BoundListener(lst, g, addr))
    return out


def routes(svc: Service) -> list[tuple[Route, GoFile]]:
    return [(r, g) for g in svc.files for r in g.routes]


def route_matches(route: Route, path: str, method: str = "GET") -> bool:
    """Would ``method path`` be served by ``route``? Go 1.22 / ServeMux semantics:
    a pattern ending in ``/`` matches the subtree; ``{x}`` wildcards match a segment;
    ``{x...}`` the rest; a method of GET also serves HEAD."""
    if (
        route.method is not None
        and route.method != method
        and not (route.method == "GET" and method == "HEAD")
    ):
        return False
    pat = route.path
    if pat.endswith("/{$}"):
        return path == pat[:-3]
    if pat == path:
        return True
    if "{" in pat or ":" in pat:
        ps, xs = pat.strip("/").split("/"), path.strip("/").split("/")
        for i, seg in enumerate(ps):
            if (seg.startswith("{") and seg.endswith("...}")) or seg.startswith("*"):
                return True
            if i >= len(xs):
                return False
            if not (seg.startswith("{") or seg.startswith(":")) and seg != xs[i]:
                return False
        return len(ps) == len(xs)
    return route.framework == "net/http" and pat.endswith("/") and path.startswith(pat)


PPROF_IMPORT = "net/http/pprof"


_PPROF_REGISTER = frozenset(
    {
        "github.com/gin-contrib/pprof.Register",
        "github.com/gin-contrib/pprof.RouteRegister",
        "github.com/labstack/echo-contrib/pprof.Register",
        "github.com/gofiber/fiber/v2/middleware/pprof.New",
    }
)


def serves_pprof(svc: Service, handler: str) -> Span | None:
    """Where the router ``handler`` (a listener's handler: ``"default"`` for
    ``http.DefaultServeMux``, else the mux/engine variable) gets pprof, or None.

    ``net/http/pprof`` registers ``/debug/pprof/`` on the default mux in its ``init``,
    so the default mux serves pprof as soon as any file of the service imports it (the
    import is the evidence). Other routers serve it through a ``/debug/pprof`` route
    or a ``pprof.Register(router)`` call (gin-contrib, echo-contrib)."""
    if not handler:
        return None
    for g in svc.files:
        for r in g.routes:
            if r.router == handler and r.path.lstrip("^").startswith("/debug/pprof"):
                return r.span
        for c in g.calls:
            if c.callee in _PPROF_REGISTER and c.args and c.args[0].text.strip() == handler:
                return c.span
    if handler == "default":
        for g in svc.files:
            imp = g.import_of(PPROF_IMPORT)
            if imp is not None:
                return imp.span
    return None
