"""DR423 grpc-not-balanced: a gRPC client holds one connection to a ClusterIP Service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from dockready import linear
from dockready.facts.derived.runtime import workload_runtime
from dockready.facts.go import Call, GoFile
from dockready.facts.index import ProjectIndex, Service
from dockready.facts.k8s import KService
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_GRPC = "google.golang.org/grpc"
_DIALS = {f"{_GRPC}.NewClient": 0, f"{_GRPC}.Dial": 0, f"{_GRPC}.DialContext": 1}
#: ``name``, ``name.ns``, ``name.ns.svc``, ``name.ns.svc.cluster.local``, and a port.
_TARGET = linear.compile(
    r"^(?:(dns|passthrough):///?)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
    r"(?:\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.svc(?:\.cluster\.local)?)?)?:([0-9]{1,5})$"
)
#: Client options that pick a balancer or a resolver: the client balances somehow.
_BALANCING_CALLS = frozenset(
    {
        f"{_GRPC}.WithDefaultServiceConfig",
        f"{_GRPC}.WithBalancerName",
        f"{_GRPC}.WithResolvers",
    }
)
#: Kinds and API groups of service meshes: a sidecar balances each request.
_MESH_GROUPS = ("istio.io/", "linkerd.io/", "consul.hashicorp.com/", "kuma.io/")
_MESH_ANNOTATIONS = ("sidecar.istio.io/inject", "linkerd.io/inject", "kuma.io/sidecar-injection")


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    name: str
    namespace: str | None
    port: int


def _target(text: str) -> _Target | None:
    m = _TARGET.match(text)
    if m is None:
        return None
    return _Target(m.group(1) or "", m.group(2), m.group(3), int(m.group(4)))


def _meshed(ix: ProjectIndex) -> bool:
    """A service mesh may be in the picture: its proxies balance per request."""
    if any(o.api_version.startswith(_MESH_GROUPS) for o in ix.others):
        return True
    for m in ix.manifests:
        for d in m.documents:
            if d.kind == "Namespace" and any(
                w in d.body for w in ('"istio-injection"', '"istio.io/rev"', *_MESH_ANNOTATIONS)
            ):
                return True
    return any(k in _MESH_ANNOTATIONS for w in ix.workloads for k, _ in w.annotations)


def _headless(ix: ProjectIndex, s: KService) -> bool | None:
    """Whether the Service is headless (``clusterIP: None``); None if unknown."""
    for m in ix.manifests:
        for d in m.documents:
            if d.kind != "Service" or d.name != s.name or d.span != s.span:
                continue
            try:
                spec = json.loads(d.body).get("spec") or {}
            except (ValueError, AttributeError):
                return None
            return isinstance(spec, dict) and spec.get("clusterIP") == "None"
    return None


def _balances(svc: Service) -> bool:
    """The client's code picks a balancer or resolver (round_robin, a custom one)."""
    for g in svc.files:
        if any(imp.path.startswith(f"{_GRPC}/balancer") for imp in g.imports):
            return True
        if any(c.callee in _BALANCING_CALLS for c in g.calls):
            return True
        if any("round_robin" in s.value for s in g.strings):
            return True
    return False


def _servers(ix: ProjectIndex, s: KService) -> list[Service]:
    return [
        other for other in ix.services if any(s.selects(dep.workload) for dep in other.deployments)
    ]


def _ages_connections(server: Service) -> bool:
    """The server's code sets keepalive parameters (maybe ``MaxConnectionAge``)."""
    return any(c.callee == f"{_GRPC}.KeepaliveParams" for g in server.files for c in g.calls)


def _dials(svc: Service) -> Iterator[tuple[GoFile, Call, int]]:
    for g in svc.files:
        for c in g.calls:
            idx = _DIALS.get(c.callee)
            if idx is not None and not g.generated:
                yield g, c, idx


@rule(
    id="DR423",
    name="grpc-not-balanced",
    severity=Severity.INFO,
    reads=(Input.K8S,),
    calls=(
        f"{_GRPC}.NewClient",
        f"{_GRPC}.Dial",
        f"{_GRPC}.DialContext",
        f"{_GRPC}.WithDefaultServiceConfig",
        f"{_GRPC}.WithBalancerName",
        f"{_GRPC}.WithResolvers",
        f"{_GRPC}.KeepaliveParams",
    ),
)
def grpc_not_balanced(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins each gRPC client of a service's code (`grpc.NewClient`, `grpc.Dial`,
    `grpc.DialContext`) to the Kubernetes Service its target names, when the target
    is known (a literal, or an environment variable the client's workload sets) and
    is a Service of the repository by name, namespace and port (`orders:50051`,
    `orders.shop.svc.cluster.local:50051`). It reports the client when its calls
    all go down one HTTP/2 connection to one pod:

    - the Service has a cluster IP (not headless), so DNS gives the client one
      address whatever it does; or the Service is headless but the client neither
      uses the `dns` resolver with `round_robin` (it takes the first address);
    - and the server's code sets no keepalive parameters (`MaxConnectionAge` makes
      clients reconnect, and so spread, over time);
    - and no service mesh is in the repository (its proxies balance each request).

    The client's code choosing a balancer or resolver of its own
    (`WithDefaultServiceConfig`, `WithResolvers`) counts as balancing against a
    headless Service. Targets that are not certain (a flag, a config file, an
    unresolved variable) are not followed.

    ## Why is this bad?
    gRPC multiplexes every call over one long-lived HTTP/2 connection. kube-proxy
    balances connections, not requests: the connection lands on one pod, which then
    takes all of this client's load while the other replicas idle. Scaling out does
    not help, and a rollout moves the whole load at once.

    ## Example
    ```go
    conn, err := grpc.NewClient("orders:50051",
        grpc.WithTransportCredentials(insecure.NewCredentials()))
    ```
    ```yaml
    kind: Service
    metadata: {name: orders}
    spec:
      ports: [{port: 50051}]
    ```

    ## Use instead
    ```go
    conn, err := grpc.NewClient("dns:///orders:50051",
        grpc.WithTransportCredentials(insecure.NewCredentials()),
        grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"round_robin":{}}]}`))
    ```
    ```yaml
    kind: Service
    metadata: {name: orders}
    spec:
      clusterIP: None   # headless: DNS returns every ready pod
      ports: [{port: 50051}]
    ```
    Or have the server close connections after a while:
    `grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: 5 * time.Minute})`.

    ## Fix safety
    A headless Service has no cluster IP: clients that relied on it (or on
    `sessionAffinity`) must resolve through DNS; client-side balancing needs the
    client to re-resolve when pods change (the `dns` resolver does on connection
    loss).

    ## References
    - [Kubernetes blog: gRPC Load Balancing on Kubernetes without Tears](https://kubernetes.io/blog/2018/11/07/grpc-load-balancing-on-kubernetes-without-tears/)
    - [gRPC: Load balancing](https://grpc.io/blog/grpc-load-balancing/)
    - [gRPC Go: keepalive ServerParameters](https://pkg.go.dev/google.golang.org/grpc/keepalive#ServerParameters)
    """
    ix = ctx.index
    if _meshed(ix):
        return
    seen: set[tuple[str, int, int]] = set()
    for svc in ix.services:
        dials = list(_dials(svc))
        if not dials:
            continue
        balances = _balances(svc)
        for dep in svc.deployments:
            rt = workload_runtime(ix, svc, dep)
            for _g, c, idx in dials:
                arg = c.arg(idx)
                if arg is None:
                    continue
                text = arg.literal if arg.literal is not None else rt.resolve(arg)
                t = _target(text) if text else None
                if t is None:
                    continue
                ns = t.namespace or dep.workload.namespace
                found = [
                    s
                    for s in ix.kservices
                    if s.name == t.name
                    and s.namespace == ns
                    and (s.type == "ClusterIP" or not s.type)
                    and any(p.port == t.port for p in s.ports)
                ]
                if len(found) != 1:
                    continue
                s = found[0]
                headless = _headless(ix, s)
                if headless is None:
                    continue
                resolver_dns = t.scheme == "dns" or (
                    t.scheme == "" and c.callee == f"{_GRPC}.NewClient"
                )
                if headless and balances and resolver_dns:
                    continue
                servers = _servers(ix, s)
                if not servers or any(_ages_connections(x) for x in servers):
                    continue
                key = (c.span.path, c.span.line, c.span.col)
                if key in seen:
                    continue
                seen.add(key)
                why = (
                    "the Service is headless but the client takes the first address "
                    "(no dns:/// resolver with round_robin)"
                    if headless
                    else "the Service has one cluster IP, so the client has one address "
                    "and opens one HTTP/2 connection"
                )
                yield Hit(
                    c.span,
                    f"gRPC client of {text} reaches Service {s.name}: {why}, and the "
                    "server sets no MaxConnectionAge: one pod takes all of this client's "
                    "calls",
                    related=(Related(s.span, f"Service {s.name}"),),
                    service=svc.name,
                )
