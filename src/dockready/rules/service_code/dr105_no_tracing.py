"""DR105 no-tracing: a server that calls other services and propagates no traces."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.http import SERVER_KINDS, describe
from dockready.facts.derived.observability import has_tracing_library, main_func
from dockready.facts.go import Call, EnvRef, FlagRef, GoFile, Value
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Calls that open a connection to, or send a request to, another service, with the
#: index of the argument that names the target.
_OUTBOUND: dict[str, tuple[str, int]] = {
    "google.golang.org/grpc.NewClient": ("a gRPC client", 0),
    "google.golang.org/grpc.Dial": ("a gRPC client", 0),
    "google.golang.org/grpc.DialContext": ("a gRPC client", 1),
    "net/http.NewRequest": ("an HTTP request", 1),
    "net/http.NewRequestWithContext": ("an HTTP request", 2),
    "net/http.Get": ("an HTTP request", 0),
    "net/http.Post": ("an HTTP request", 0),
    "net/http.PostForm": ("an HTTP request", 0),
    "net/http.Head": ("an HTTP request", 0),
}
#: Hosts that are not another service: this pod, and cloud metadata servers.
_LOCAL_HOSTS = frozenset(
    {"", "localhost", "0.0.0.0", "::1", "[::1]", "metadata", "metadata.google.internal"}
)
_SIDECAR_ENV = ("DAPR_",)  # a sidecar that traces the calls made through it


def _host(target: str) -> str:
    """The host of ``http://host:port/path``, ``dns:///host:port`` or ``host:port``."""
    t = target.strip()
    if "://" in t:
        t = t.split("://", 1)[1].lstrip("/")
    t = t.split("/", 1)[0].split("?", 1)[0]
    if "@" in t:
        t = t.rsplit("@", 1)[1]
    if t.startswith("["):
        return t.split("]", 1)[0] + "]"
    return t.rsplit(":", 1)[0] if t.count(":") == 1 else t


def _local(host: str) -> bool:
    h = host.lower()
    return h in _LOCAL_HOSTS or h.startswith(("127.", "169.254.")) or h.endswith(".localhost")


_CONFIGURED = "\x01"  # an environment variable or a flag
_UNKNOWN = "\x02"  # a piece the parser could not resolve


def is_remote(v: Value | None) -> bool:
    """Does a target name another service for certain? Its host is configured at
    deploy time (an environment variable or a flag; not a sidecar's), or a literal
    that names a peer in the cluster. A host the rule cannot read (a
    parameter, a struct field) does not count."""
    if v is None or not v.parts:
        return False
    if any(isinstance(p, EnvRef) and p.name.startswith(_SIDECAR_ENV) for p in v.parts):
        return False
    text = "".join(
        p if isinstance(p, str) else _CONFIGURED if isinstance(p, (EnvRef, FlagRef)) else _UNKNOWN
        for p in v.parts
    )
    if "://" in text:
        text = text.split("://", 1)[1].lstrip("/")
    host = text.split("/", 1)[0]
    if _UNKNOWN in host:
        return False
    if _CONFIGURED in host:
        return True
    return bool(host) and _in_cluster(_host(host))


def _in_cluster(host: str) -> bool:
    """A literal host that names a peer in the cluster: a Service's short name
    (``inventory``) or its DNS name (``inventory.shop.svc.cluster.local``). A public
    name (``api.stripe.com``) is a third party, whose side of a trace we never see."""
    h = host.lower().rstrip(".")
    if _local(h) or not h:
        return False
    if "." not in h:
        return not h.replace("-", "").isdigit()
    return h.endswith((".svc", ".svc.cluster.local", ".cluster.local"))


def _outbound(svc: Service) -> list[tuple[Span, str]]:
    out: list[tuple[Span, str]] = []
    files: list[GoFile] = list(svc.files)
    for g in files:
        if g.generated:
            continue
        calls: tuple[Call, ...] = g.calls
        for c in calls:
            spec = _OUTBOUND.get(c.callee)
            if spec is not None and is_remote(c.arg(spec[1])):
                out.append((c.span, spec[0]))
    return out


@rule(
    id="DR105",
    name="no-tracing",
    severity=Severity.INFO,
    reads=(Input.CODE,),
    calls=tuple(_OUTBOUND),
)
def no_tracing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that serves HTTP or gRPC and calls other services (it creates a
    gRPC client with `grpc.NewClient`/`grpc.Dial`, or builds HTTP requests with
    `http.NewRequest*`/`http.Get`/`http.Post`) but has no distributed tracing: no
    OpenTelemetry, OpenTracing, Jaeger, Zipkin, OpenCensus, Datadog... imported by its
    packages. The finding is on `func main`; the first outbound calls are related.

    Decisions: the outbound calls are the ones the rule can name for certain, and
    only when their target is known to be another service: read from an environment
    variable or a flag (not a Dapr sidecar's `DAPR_*`), or a literal address that
    names a peer in the cluster (a Service's short name such as `inventory:50051`,
    or a `*.svc.cluster.local` name; not `localhost`, a metadata server or a public
    API's domain). A target the rule cannot read (a function parameter, a struct
    field) does not count, nor do requests sent only through an SDK (a cloud client,
    a database driver), nor calls in generated files.

    Any import, or direct requirement in `go.mod`, whose path mentions `otel`,
    `trace`, `tracing`, `jaeger`, `zipkin`, `apm`, `sentry`... or a framework that
    traces itself (go-zero, go-micro, Dapr) silences the rule, and so does a sidecar:
    Dapr (a `DAPR_*` variable named, `/dapr/...` routes, `dapr.io/` annotations, a
    `dapr.yaml` run file in the service's folder or above) or an Istio/Linkerd proxy
    injected by a workload annotation.

    ## Why is this bad?
    When a request crosses several services, a slow or failing response has its
    cause somewhere downstream. Without trace context propagated on every hop, each
    service's logs and metrics show only its own part, and finding which dependency
    made a request slow means correlating timestamps by hand across pods.

    ## Example
    ```go
    conn, err := grpc.NewClient(inventoryAddr,
        grpc.WithTransportCredentials(insecure.NewCredentials()))
    ```

    ## Use instead
    ```go
    import "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"

    conn, err := grpc.NewClient(inventoryAddr,
        grpc.WithTransportCredentials(insecure.NewCredentials()),
        grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
    ```
    with `otelgrpc.NewServerHandler()` on the server (and `otelhttp` for HTTP), and
    a tracer provider that exports to your collector.

    ## Fix safety
    Instrumentation adds headers to outgoing requests and a little latency; sample
    in production.

    ## References
    - [OpenTelemetry Go: getting started](https://opentelemetry.io/docs/languages/go/getting-started/)
    - [W3C Trace Context](https://www.w3.org/TR/trace-context/)
    """
    for svc in ctx.index.services:
        at = main_func(svc)
        if at is None:
            continue
        servers = [lst for g in svc.files for lst in g.listeners if lst.kind in SERVER_KINDS]
        if not servers:
            continue
        calls = _outbound(svc)
        if not calls or has_tracing_library(svc, ctx.index):
            continue
        kinds = sorted({what for _, what in calls})
        yield Hit(
            at,
            f"{svc.name} serves {describe(servers[0])} and calls other services "
            f"({' and '.join(kinds)}) but has no tracing (no OpenTelemetry or other "
            "tracer): a slow request cannot be followed across services",
            related=tuple(Related(span, what) for span, what in calls[:3]),
            service=svc.name,
        )
