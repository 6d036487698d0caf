"""DR212 no-health-endpoint: Finds a service that serves HTTP or gRPC but has no health endpoint: no route whose last path..."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import imports_under
from dockready.facts.derived.http import (
    HTTP_KINDS,
    SERVER_KINDS,
    describe,
    ops_only,
    service_go_files,
)
from dockready.facts.derived.observability import main_func
from dockready.facts.go import (
    Route,
)
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_HEALTH_SEGMENTS = frozenset(
    {
        "health",
        "healthz",
        "healthy",
        "healthcheck",
        "healthchecks",
        "health-check",
        "health_check",
        "ready",
        "readyz",
        "readiness",
        "live",
        "livez",
        "liveness",
        "alive",
        "ping",
        "status",
        "heartbeat",
        "hc",
    }
)


# Libraries that serve health endpoints their own way (handlers mounted without a
# visible route, or routes registered inside the library).
_HEALTH_LIBS = (
    "google.golang.org/grpc/health",
    "github.com/heptiolabs/healthcheck",
    "github.com/alexliesenfeld/health",
    "github.com/hellofresh/health-go",
    "github.com/InVisionApp/go-health",
    "github.com/etherlabsio/healthcheck",
    "github.com/dimiro1/health",
    "github.com/AppsFlyer/go-sundheit",
    "github.com/tavsec/gin-healthcheck",
    "github.com/gofiber/fiber/v2/middleware/healthcheck",
    "github.com/gofiber/fiber/v3/middleware/healthcheck",
    "sigs.k8s.io/controller-runtime/pkg/healthz",
    "k8s.io/apiserver/pkg/server/healthz",
)


def is_health_path(path: str) -> bool:
    """Does an HTTP route path look like a health or readiness check?"""
    p = path.strip().lower().rstrip("/")
    if p.startswith("/-/"):
        p = p[2:]
    last = p.rsplit("/", 1)[-1].lstrip("_")
    return last in _HEALTH_SEGMENTS


def _catch_all(r: Route) -> bool:
    """A route that hands every path to another handler: we cannot see its routes."""
    p = r.path.rstrip()
    if r.framework == "net/http" and p == "/" and r.method in (None, "GET"):
        return True
    return p.endswith("/*") or p.endswith("...}") or p.endswith("*path}")


@rule(
    id="DR212",
    name="no-health-endpoint",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def no_health_endpoint(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that serves HTTP or gRPC but has no health endpoint: no route
    whose last path segment is `health`, `healthz`, `ready`, `readyz`, `live`,
    `livez`, `ping`, `status`, `heartbeat`... (`/-/healthy` included) on any router,
    and no gRPC health service registered (`healthpb.RegisterHealthServer`). The
    finding is on the main package's `func main`; the servers are related.

    Decisions: a service with no listener (a worker, a CLI) is not reported: it needs
    an exec probe, which is DR402's business. An HTTP server whose routes are not
    visible (no route found at all, or a catch-all such as net/http's `"/"` or
    `/*` handing requests to another handler, e.g. grpc-gateway) is not reported, nor
    is a service that imports a health library (`grpc/health`, `heptiolabs/healthcheck`,
    `alexliesenfeld/health`, `hellofresh/health-go`, controller-runtime `healthz`...).
    HTTP servers whose only routes are `/metrics` or `/debug/...` are an operations
    port beside a protocol dockready does not model (an RPC framework, raw TCP): they
    do not make the service an HTTP service.

    ## Why is this bad?
    Without an endpoint that says "I can serve", Kubernetes can only probe the TCP
    port: a pod whose database connection is gone, or that is still warming up,
    receives traffic; a deadlocked one is never restarted. Rollouts also cannot wait
    for the new pods to be really ready.

    ## Example
    ```go
    mux := http.NewServeMux()
    mux.HandleFunc("POST /orders", createOrder)
    log.Fatal(http.ListenAndServe(":8080", mux))
    ```

    ## Use instead
    ```go
    mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
        w.WriteHeader(http.StatusOK) // liveness: the process answers
    })
    mux.HandleFunc("GET /readyz", readyz) // readiness: dependencies reachable
    ```
    For gRPC, register `health.NewServer()` with `healthpb.RegisterHealthServer` and
    use a `grpc` probe.

    ## Fix safety
    Adding a route is safe; point the manifest's probes at it (DR402/DR404).

    ## References
    - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    - [gRPC health checking protocol](https://github.com/grpc/grpc/blob/master/doc/health-checking.md)
    """
    ix = ctx.index
    for svc in ix.services:
        at = main_func(svc)
        if at is None:
            continue
        files = service_go_files(svc)
        servers = [lst for g in files for lst in g.listeners if lst.kind in SERVER_KINDS]
        if not servers:
            continue
        if any(g.grpc_health for g in files) or imports_under(files, _HEALTH_LIBS):
            continue
        routes = [r for g in files for r in g.routes]
        if any(is_health_path(r.path) for r in routes):
            continue
        http_servers = [s for s in servers if s.kind in HTTP_KINDS]
        if ops_only(files):
            # Only /metrics or /debug/...: an operations port beside the real
            # protocol (an RPC framework we do not model), not the service's traffic.
            servers = [s for s in servers if s.kind not in HTTP_KINDS]
            http_servers = []
            if not servers:
                continue
        if http_servers and (not routes or any(_catch_all(r) for r in routes)):
            continue  # the routing is not visible: do not guess
        kinds = "gRPC" if not http_servers else "HTTP"
        if http_servers and len(http_servers) != len(servers):
            kinds = "HTTP and gRPC"
        yield Hit(
            at,
            f"{svc.name} serves {kinds} but has no health endpoint (no /healthz, /readyz, "
            "/livez... route and no gRPC health service): probes can only check that the "
            "port is open",
            related=tuple(Related(s.span, describe(s)) for s in servers[:3]),
            service=svc.name,
        )
