"""DR106 no-metrics: a server that exposes no metrics (no Prometheus or OpenTelemetry)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.http import SERVER_KINDS, describe
from dockready.facts.derived.observability import has_metrics_library, main_func
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR106",
    name="no-metrics",
    severity=Severity.INFO,
    reads=(Input.CODE,),
)
def no_metrics(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that serves HTTP or gRPC but exposes no metrics: no route
    `/metrics`, and no metrics library imported by its packages (Prometheus'
    `client_golang`, OpenTelemetry, OpenCensus, StatsD, Datadog, expvar,
    VictoriaMetrics, go-metrics...). The finding is on `func main`; the servers are
    related.

    Decisions: a program with no HTTP or gRPC server (a worker, a tool) is not
    reported: where its metrics would go is a design choice, not a missing line. Any
    import, or direct requirement in `go.mod`, whose path mentions `prometheus`,
    `metric`, `statsd`, `telemetry`, `monitor`, `expvar`... or a framework that
    serves metrics itself (go-zero, go-micro, Dapr) silences the rule: the rule
    cannot see what such a library exposes. So does a sidecar that measures the
    traffic: Dapr (a `DAPR_*` variable named, `/dapr/...` routes, `dapr.io/`
    annotations, a `dapr.yaml` run file in the service's folder or above) or an
    Istio/Linkerd proxy injected by a workload annotation.

    ## Why is this bad?
    Kubernetes restarts a crashed pod, but it cannot tell you that a live one is
    slow, failing half of its requests or running out of connections. Without
    request rates, error rates and latencies (the RED metrics) there is nothing to
    alert on, nothing for the Horizontal Pod Autoscaler to scale on beyond CPU, and
    no way to see a rollout go bad before users do.

    ## Example
    ```go
    mux := http.NewServeMux()
    mux.HandleFunc("POST /orders", createOrder)
    log.Fatal(srv.ListenAndServe())
    ```

    ## Use instead
    ```go
    import "github.com/prometheus/client_golang/prometheus/promhttp"

    mux.Handle("GET /metrics", promhttp.Handler())
    ```
    and count requests per route and status (or instrument with OpenTelemetry and
    its Prometheus exporter).

    ## Fix safety
    A new route is safe; keep `/metrics` off the public ingress.

    ## References
    - [Prometheus: instrumenting a Go application](https://prometheus.io/docs/guides/go-application/)
    - [OpenTelemetry Go: metrics](https://opentelemetry.io/docs/languages/go/instrumentation/#metrics)
    """
    for svc in ctx.index.services:
        at = main_func(svc)
        if at is None:
            continue
        servers = [lst for g in svc.files for lst in g.listeners if lst.kind in SERVER_KINDS]
        if not servers:
            continue
        if any(
            r.path.strip().rstrip("/").endswith("/metrics") for g in svc.files for r in g.routes
        ):
            continue
        if has_metrics_library(svc, ctx.index):
            continue
        yield Hit(
            at,
            f"{svc.name} serves {describe(servers[0])} but exposes no metrics (no /metrics "
            "route, no Prometheus or OpenTelemetry): request rates, errors and latencies "
            "cannot be watched or alerted on",
            related=tuple(Related(s.span, describe(s)) for s in servers[:3]),
            service=svc.name,
        )
