"""DR404 probe-not-served: Joins every probe of a workload container to the code of the service it runs, and reports a probe..."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from dockready.facts.derived.http import (
    HTTP_KINDS,
    BoundListener,
    is_loopback,
    route_matches,
    routes,
)
from dockready.facts.derived.probes import join_words
from dockready.facts.derived.runtime import bound_listeners, workload_runtime
from dockready.facts.go import (
    ROUTE_VERBS,
    Call,
    GoFile,
    Route,
    handler_routers,
    server_handler,
)
from dockready.facts.index import Deployment, ProjectIndex, Service
from dockready.facts.k8s import Handler, Probe
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _at(span: Span) -> str:
    return f"{span.path}:{span.line}"


# Listener kinds that answer HTTP.


# Calls that register a route (the parser's route verbs).
_ROUTE_CALLS = frozenset({*ROUTE_VERBS, "Method", "MethodFunc"})


# Router methods that answer every path (an SPA fallback answers 200 to anything).
_CATCH_ALL = frozenset({"NotFound", "NoRoute", "NotFoundHandler", "SetNotFoundHandler"})


# Router methods that hand a path prefix to a handler we do not follow.
_MOUNTS = frozenset({"Mount", "Route", "PathPrefix", "Static", "StaticFS", "StaticFile"})


# Calls that take a router and add no routes of their own.
_SERVE_CALLS = frozenset(
    {
        "net/http.ListenAndServe",
        "net/http.ListenAndServeTLS",
        "net/http.Serve",
        "net/http.ServeTLS",
    }
)


_WRAPPER_PKGS = (
    "net/http",
    "golang.org/x/net/http2/h2c",
    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
    "github.com/gorilla/handlers",
    "github.com/rs/cors",
    "github.com/go-chi/cors",
    "github.com/klauspost/compress/gzhttp",
    "github.com/NYTimes/gziphandler",
    "log/slog",
    "log",
    "fmt",
)


# Packages that register routes on the default mux in their init.
_IMPLICIT_ROUTES = {"net/http/pprof": "/debug/pprof/", "expvar": "/debug/vars"}


# Health-check libraries serve their own endpoints; gRPC's own packages do not.
_GRPC_PREFIX = "google.golang.org/grpc"


_HEALTHY_WORDS = ("health", "ready", "live", "ping", "status")


def _func_at(g: GoFile, line: int) -> str:
    for f in g.funcs:
        if f.span.line <= line <= f.end_line:
            return f.name
    return ""


def _in_module(svc: Service, pkg: str) -> bool:
    mod = svc.module.module if svc.module is not None else ""
    return bool(mod) and (pkg == mod or pkg.startswith(mod + "/"))


def _wrapper(pkg: str) -> bool:
    return any(pkg == p or pkg.startswith(p + "/") for p in _WRAPPER_PKGS)


@dataclass(frozen=True, slots=True)
class _Served:
    """What a service's code serves over HTTP, as far as the facts tell.

    ``routes`` are the literal routes plus those an import registers on the default
    mux; ``routers`` the routers of the literal routes; ``servers`` the ``Handler`` of
    every ``http.Server`` literal (for a listener whose server is built elsewhere);
    ``mounts`` path prefixes handed to handlers we do not follow (None: any path);
    ``unsure`` is set when routes exist that we cannot see."""

    routes: tuple[tuple[Route, GoFile], ...]
    routers: frozenset[str]
    servers: tuple[str, ...]
    mounts: tuple[str | None, ...]
    unsure: bool

    def covered_by_mount(self, path: str) -> bool:
        for m in self.mounts:
            if m is None or m in ("", "/"):
                return True
            p = m.rstrip("/")
            if path == p or path.startswith(p + "/"):
                return True
        return False

    def ties(self, bl: BoundListener) -> frozenset[str] | None:
        """The routers a listener serves; None when it serves something we cannot see."""
        known = self.routers | {"default"}
        handler = bl.listener.handler
        if handler:
            found = handler_routers(handler) & known
            return found or None
        if bl.listener.kind not in ("http", "https") or not self.servers:
            return None
        out: set[str] = set()
        for h in self.servers:
            found = handler_routers(h) & known
            if not found:
                return None
            out |= found
        return frozenset(out)


def _served(ix: ProjectIndex, svc: Service) -> _Served:
    explicit = tuple(routes(svc))
    routers = frozenset(r.router for r, _ in explicit)
    servers = tuple(
        server_handler(lit.field("Handler"))
        for g in svc.files
        for lit in g.literals
        if lit.type == "net/http.Server"
    )
    # Routes an import registers on the default mux, when something may serve it.
    implicit: list[tuple[Route, GoFile]] = []
    if "default" in servers or any(
        lst.handler == "default" for g in svc.files for lst in g.listeners
    ):
        for g in svc.files:
            for imp in g.imports:
                path = _IMPLICIT_ROUTES.get(imp.path)
                if path is not None:
                    implicit.append((Route(path, None, "default", imp.span), g))
    names = set(routers)
    scopes: dict[str, set[tuple[str, str]]] = {}
    for r, g in explicit:
        scopes.setdefault(r.router, set()).add((g.path, _func_at(g, r.span.line)))
    for g in svc.files:
        for lst in g.listeners:
            if lst.handler and lst.handler != "default":
                names.add(lst.handler)
                scopes.setdefault(lst.handler, set()).add((g.path, lst.func))
    unsure = any(
        imp.path != _GRPC_PREFIX
        and not imp.path.startswith(_GRPC_PREFIX + "/")
        and "health" in imp.path.lower()
        for g in svc.files
        for imp in g.imports
    )
    mounts: list[str | None] = []

    @cache
    def methods() -> frozenset[str]:
        """The names of the service's functions and methods (read when first asked:
        a skimmed file is parsed for them)."""
        return frozenset(f.name.rsplit(".", 1)[-1] for g in svc.files for f in ix.funcs(g))

    for g in svc.files:
        for c in g.calls:
            on_router = c.callee.startswith(".") and c.receiver in names
            if _dynamic_route(c, on_router):
                unsure = True
            elif on_router and c.name in _CATCH_ALL:
                mounts.append(None)
            elif on_router and c.name in _MOUNTS:
                first = c.arg(0)
                mounts.append(first.literal if first is not None else None)
            elif on_router and c.name == "Use" and c.args and (c.args[0].literal or "")[:1] == "/":
                mounts.append(c.args[0].literal)
            if _hands_router_away(svc, g, c, scopes, methods):
                unsure = True
    return _Served(explicit + tuple(implicit), routers, servers, tuple(mounts), unsure)


def _dynamic_route(c: Call, on_router: bool) -> bool:
    """A route registered with a pattern we cannot read."""
    if c.callee in ("net/http.HandleFunc", "net/http.Handle"):
        idx = 0
    elif on_router and c.name in _ROUTE_CALLS:
        idx = 1 if c.name in ("Method", "MethodFunc") else 0
    else:
        return False
    pattern = c.arg(idx)
    return pattern is None or pattern.literal is None


def _hands_router_away(
    svc: Service,
    g: GoFile,
    c: Call,
    scopes: dict[str, set[tuple[str, str]]],
    methods: Callable[[], frozenset[str]],
) -> bool:
    """A router passed to code we do not see, which may register routes on it."""
    handed = False
    for a in c.args:
        name = a.text.strip().lstrip("&")
        if name in scopes and (g.path, c.func) in scopes[name]:
            handed = True
    if not handed or c.callee in _SERVE_CALLS:
        return False
    if c.callee.startswith("."):
        return c.name not in _ROUTE_CALLS and c.name not in methods()
    pkg = c.package
    return bool(pkg) and not _in_module(svc, pkg) and not _wrapper(pkg)


def _route_label(r: Route) -> str:
    return f"{r.method} {r.path}" if r.method else r.path


def _serves_path(r: Route, path: str) -> bool:
    """``route_matches``, also across a trailing slash (a 301 is a probe success)."""
    if route_matches(r, path):
        return True
    if path != "/" and path.endswith("/"):
        return route_matches(r, path.rstrip("/"))
    return route_matches(r, path + "/")


def _healthy_first(rs: Iterable[tuple[Route, GoFile]]) -> list[tuple[Route, GoFile]]:
    """Health-like routes first, then the code's own routes, then implicit ones."""
    return sorted(
        rs,
        key=lambda rg: (
            not any(w in rg[0].path.lower() for w in _HEALTHY_WORDS),
            rg[0].path in _IMPLICIT_ROUTES.values(),
            rg[0].span.path,
            rg[0].span.line,
        ),
    )


def _port_words(p: int, named: int | str | None) -> str:
    return f"port {named} ({p})" if isinstance(named, str) and not named.isdigit() else f"port {p}"


def _port_problem(
    probe: Probe, p: int, where: str, bls: list[BoundListener]
) -> tuple[str, tuple[Related, ...]] | None:
    """Why nothing in the code answers on port ``p``; None when something does or
    when we cannot tell (a listener whose address depends on what we cannot read)."""
    if any(bl.port == p and not is_loopback(bl.host) for bl in bls):
        return None
    if any(bl.port is None for bl in bls):
        return None
    loop = [bl for bl in bls if bl.port == p]
    if loop:
        return (
            f"{probe.which} probe {where}; the code listens on {loop[0].addr} only, which the "
            "kubelet cannot reach (it probes the pod IP)",
            tuple(Related(bl.listener.span, f"listens on {bl.addr}") for bl in loop),
        )
    ports = sorted({bl.port for bl in bls if bl.port is not None})
    return (
        f"{probe.which} probe {where}; the code listens only on "
        + join_words([str(x) for x in ports])
        + " ("
        + ", ".join(_at(bl.listener.span) for bl in bls[:3])
        + "): the probe always fails",
        tuple(Related(bl.listener.span, f"listens on {bl.addr}") for bl in bls),
    )


def _path_problem(
    probe: Probe,
    p: int,
    path: str,
    where: str,
    code: _Served,
    bls: list[BoundListener],
) -> tuple[str, tuple[Related, ...]] | None:
    if code.unsure or not code.routes or code.covered_by_mount(path):
        return None
    public = [bl for bl in bls if bl.port == p and not is_loopback(bl.host)]
    # The listeners that may answer on the probed port (an unresolved one may).
    maybe = public or [bl for bl in bls if bl.port is None]
    web = [bl for bl in maybe if bl.listener.kind in HTTP_KINDS]
    here = [code.ties(bl) for bl in web]
    if not web or any(t is None for t in here):
        return None
    candidates = list(code.routes)
    every = [code.ties(bl) for bl in bls if bl.listener.kind in HTTP_KINDS]
    tied = {r for t in every for r in t or ()}
    if (
        public
        and all(bl.port is not None for bl in bls)
        and all(t is not None for t in every)
        and code.routers <= tied
    ):
        served_here = {r for t in here for r in t or ()}
        candidates = [rg for rg in code.routes if rg[0].router in served_here]
    if any(_serves_path(r, path) for r, _ in candidates):
        return None
    elsewhere = [rg for rg in code.routes if rg not in candidates and _serves_path(rg[0], path)]
    if elsewhere:
        r = elsewhere[0][0]
        other = [bl for bl in bls if (code.ties(bl) or frozenset()) & {r.router}]
        on = f" on port {other[0].port}" if other and other[0].port else ""
        return (
            f"{probe.which} probe {where}; the code serves {_route_label(r)} only{on} "
            f"({_at(r.span)}), not on port {p}",
            (
                Related(r.span, f"route {_route_label(r)}"),
                *(Related(bl.listener.span, f"listens on {bl.addr}") for bl in other[:1]),
            ),
        )
    if not candidates:
        return None
    shown = _healthy_first(candidates)[:3]
    words = [f"{_route_label(r)} ({_at(r.span)})" for r, _ in shown]
    if len(candidates) > len(shown):
        listing = ", ".join(words) + f" and {len(candidates) - len(shown)} more"
    else:
        listing = "only " + join_words(words)
    return (
        f"{probe.which} probe {where}; the code serves {listing}",
        tuple(Related(r.span, f"route {_route_label(r)}") for r, _ in shown),
    )


def _grpc_problem(
    svc: Service, probe: Probe, where: str, bls: list[BoundListener]
) -> tuple[str, tuple[Related, ...]] | None:
    servers = [bl for bl in bls if bl.listener.kind == "grpc"]
    if not servers:
        return None
    if any(g.grpc_health for g in svc.files):
        return None
    if any(
        "health" in imp.path.lower() and not imp.path.startswith(_GRPC_PREFIX)
        for g in svc.files
        for imp in g.imports
    ):
        return None
    return (
        f"{probe.which} probe {where}, but the code never registers the gRPC health service "
        "(grpc_health_v1.RegisterHealthServer): every probe fails",
        tuple(Related(bl.listener.span, "gRPC server") for bl in servers),
    )


def _probe_hits(
    svc: Service, dep: Deployment, bls: list[BoundListener], code: _Served
) -> Iterator[Hit]:
    c = dep.container
    for probe in c.probes:
        h: Handler = probe.handler
        if h.kind not in ("httpGet", "grpc", "tcpSocket"):
            continue
        p = c.port_number(h.port)
        if p is None:
            continue
        port = _port_words(p, h.port)
        path = (h.path or "/").split("?", 1)[0] or "/"
        where = {
            "httpGet": f"asks GET {path} on {port}",
            "grpc": f"uses gRPC health on {port}",
            "tcpSocket": f"connects to {port}",
        }[h.kind]
        # The finding points at what is wrong: the port, the path, or the handler.
        problem = _port_problem(probe, p, where, bls)
        span = h.port_span
        if problem is None and h.kind == "httpGet":
            problem = _path_problem(probe, p, path, where, code, bls)
            span = h.path_span
        elif problem is None and h.kind == "grpc":
            problem = _grpc_problem(svc, probe, where, bls)
            span = h.span
        if problem is not None:
            yield Hit(span or h.span, problem[0], related=problem[1], service=svc.name)


@rule(
    id="DR404",
    name="probe-not-served",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
    # Router methods that answer every path or hand a prefix away (the rest of what
    # the rule matches, routes and servers, the facts record already).
    calls=(
        ".NotFound",
        ".NoRoute",
        ".NotFoundHandler",
        ".SetNotFoundHandler",
        ".Mount",
        ".Route",
        ".PathPrefix",
        ".Static",
        ".StaticFS",
        ".StaticFile",
    ),
)
def probe_not_served(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins every probe of a workload container to the code of the service it runs, and
    reports a probe nothing answers:

    - `httpGet`: the port must be one the code listens on (named ports resolved
      through the container's `ports`, listen addresses through the container's
      env, ConfigMaps, flags and the Dockerfile `ENV`), not on loopback only, and the
      path must be served by a route (Go 1.22 patterns such as `GET /healthz`,
      subtree patterns ending in `/`, gorilla `.Methods`, chi/gin/echo/fiber verbs and
      path parameters). A trailing-slash difference is accepted (the redirect counts
      as success). When every router is tied to a listener, the route must be served
      by the listener on the probed port.
    - `grpc`: the port check, and a gRPC server that registers the gRPC health
      service.
    - `tcpSocket`: the port check only. `exec` probes are not checked here (DR422).

    Precision comes first, so the rule stays silent when the code may serve routes
    we cannot see: a route with a non-literal pattern, a router handed to a function
    outside the module, a health-check library, a catch-all (`NotFound`, `NoRoute`)
    or a mount (`Mount`, `Route`, `PathPrefix`, `Static`) covering the path, or a
    listener on the probed port whose handler cannot be tied to a router. The port
    check is off when some listen address cannot be resolved. `net/http/pprof` and
    `expvar` count as routes on the default mux when it is served. Containers not
    joined to a service's code are not checked.

    ## Why is this bad?
    The pod never becomes ready (readiness), is restarted forever (liveness), or never
    starts (startup). A `/health` vs `/healthz` typo is the most common migration
    failure of all, and it only shows once the manifest meets the code.

    ## Example
    ```go
    http.HandleFunc("/health", health)
    log.Fatal(http.ListenAndServe(":8080", nil))
    ```
    ```yaml
    readinessProbe:
      httpGet: {path: /healthz, port: 8080}
    ```

    ## Use instead
    ```go
    mux.HandleFunc("GET /healthz", healthz)
    mux.HandleFunc("GET /readyz", readyz)
    ```
    ```yaml
    ports:
      - {name: http, containerPort: 8080}
    readinessProbe:
      httpGet: {path: /readyz, port: http}
    ```

    ## Fix safety
    Change whichever side is wrong; a named port keeps the probe, the Service and the
    container port in step.

    ## References
    - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    - [net/http: ServeMux patterns](https://pkg.go.dev/net/http#hdr-Patterns-ServeMux)
    - [gRPC health checking protocol](https://github.com/grpc/grpc/blob/master/doc/health-checking.md)
    """
    ix = ctx.index
    for svc in ix.services:
        code: _Served | None = None
        for dep in svc.deployments:
            if not dep.container.probes:
                continue
            bls = bound_listeners(svc, workload_runtime(ix, svc, dep))
            if not bls:
                continue
            code = code or _served(ix, svc)
            yield from _probe_hits(svc, dep, bls, code)
