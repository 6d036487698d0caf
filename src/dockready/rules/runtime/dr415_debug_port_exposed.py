"""DR415 debug-port-exposed: Service or compose ports that expose pprof."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dockready.facts.derived.http import (
    HTTP_KINDS,
    PPROF_IMPORT,
    host_of,
    is_loopback,
    port_of,
    serves_pprof,
)
from dockready.facts.derived.pod import SERVER_TYPES
from dockready.facts.go import Value, server_handler
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_DEBUG_PORT_NAMES = frozenset({"debug", "pprof", "profiling", "profiler", "admin", "diag"})


_PPROF_PORT = 6060


# Paths of an admin/debug listener; any other route makes a listener the application's.
_ADMIN_PATHS = (
    "/debug",
    "/metrics",
    "/healthz",
    "/readyz",
    "/livez",
    "/health",
    "/ready",
    "/live",
    "/ping",
    "/version",
)


@dataclass(frozen=True, slots=True)
class _Listen:
    """A listen address of the service: a Listener fact, or an ``http.Server{Addr:}``
    literal (servers started through a helper are not always Listener facts)."""

    addr: Value | None
    handler: str
    span: Span
    kind: str


def _listens(svc: Service) -> list[_Listen]:
    out = [
        _Listen(lst.addr, lst.handler, lst.span, lst.kind) for g in svc.files for lst in g.listeners
    ]
    for g in svc.files:
        for lit in g.literals:
            if lit.type in SERVER_TYPES:
                handler = server_handler(lit.field("Handler"))
                out.append(_Listen(lit.field("Addr"), handler, lit.span, "http"))
    return out


def _is_app_router(svc: Service, handler: str) -> bool:
    for g in svc.files:
        for r in g.routes:
            if r.router == handler and not any(
                r.path == p or r.path.startswith(p + "/") for p in _ADMIN_PATHS
            ):
                return True
    return False


def _pprof_import(svc: Service) -> Span | None:
    for g in svc.files:
        imp = g.import_of(PPROF_IMPORT)
        if imp is not None:
            return imp.span
    return None


def _exposed_debug(
    svc: Service, port: int, names: tuple[str, ...], env: Mapping[str, str]
) -> tuple[str, tuple[Related, ...]] | None:
    """Why a port of the pod reaching ``port`` exposes pprof, or None."""
    on_port: list[_Listen] = []
    public_ports: set[int | None] = set()
    for lst in _listens(svc):
        addr = lst.addr.resolve(env) if lst.addr is not None else None
        if addr is None or not is_loopback(host_of(addr)):
            public_ports.add(port_of(addr) if addr is not None else None)
        if addr is not None and port_of(addr) == port:
            if is_loopback(host_of(addr)):
                return None  # pprof (if any) only on loopback: nothing is exposed
            on_port.append(lst)
    # The service's only reachable listener is the application's, whatever its routes.
    only_listener = public_ports == {port}
    for lst in on_port:
        if lst.kind not in HTTP_KINDS:
            continue
        where = serves_pprof(svc, lst.handler)
        if where is None:
            continue
        if only_listener or _is_app_router(svc, lst.handler):
            return None  # pprof on the application listener: DR213, fixed in the code
        mux = "http.DefaultServeMux" if lst.handler == "default" else lst.handler
        return (
            f"the listener on {port} serves net/http/pprof",
            (
                Related(lst.span, f"listener on {port} serving {mux}"),
                Related(where, f"pprof registered on {mux}"),
            ),
        )
    if on_port:
        return None
    imp = _pprof_import(svc)
    debug_named = any(n.lower() in _DEBUG_PORT_NAMES for n in names if n) or port == _PPROF_PORT
    if imp is not None and debug_named:
        return (
            f"port {port} is the debug port and the service imports net/http/pprof",
            (Related(imp, "net/http/pprof imported here"),),
        )
    return None


@rule(
    id="DR415",
    name="debug-port-exposed",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def debug_port_exposed(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins a Kubernetes Service (or a compose `ports:` entry) with the code of the
    service it reaches, and finds a port that exposes pprof. A Service port whose
    target port (resolved through named container ports) is:

    - a listener (resolved in the container's environment) that serves
      `net/http/pprof`: the default mux in a service that imports it, a
      `/debug/pprof` route on its router, or `pprof.Register(router)`, when that
      listener is a dedicated debug/admin listener; or
    - a port named `debug`, `pprof`, `profiling`, `admin`... or the conventional
      pprof port 6060, in a service that imports `net/http/pprof`, when no listener of
      the service is known on that port.

    Decisions: pprof served on the application's own listener (one with application
    routes, or the service's only listener that is not on loopback) is DR213's
    finding (the fix is in the code), not repeated here. A debug listener bound to loopback
    (`127.0.0.1:6060`, reached with `kubectl port-forward`) is not reachable through
    the Service, so nothing is exposed and nothing is reported. Compose ports
    published on `127.0.0.1` only are not exposed either.

    ## Why is this bad?
    pprof serves heap dumps (with whatever secrets are in memory), goroutine stacks,
    the command line, and lets any caller run CPU profiles and traces: information
    disclosure and an easy denial of service. A Service makes it reachable from every
    pod in the cluster, or from outside with a LoadBalancer or NodePort.

    ## Example
    ```yaml
    ports:
      - name: http
        port: 80
        targetPort: 8080
      - name: debug
        port: 6060
        targetPort: 6060
    ```

    ## Use instead
    Keep pprof on a separate listener bound to `127.0.0.1:6060`, leave it out of the
    Service, and reach it with `kubectl port-forward pod/<name> 6060`.

    ## Fix safety
    Safe: removing the Service port only removes remote access to the profiler.

    ## References
    - [net/http/pprof](https://pkg.go.dev/net/http/pprof)
    - [kubectl port-forward](https://kubernetes.io/docs/tasks/access-application-cluster/port-forward-access-application-cluster/)
    """
    ix = ctx.index
    for svc in ix.services:
        for dep in svc.deployments:
            env = ix.env_for(svc, dep)
            for ks in ix.selecting(dep.workload):
                for sp in ks.ports:
                    target = sp.port if sp.target_port is None else sp.target_port
                    num = dep.container.port_number(target)
                    if num is None:
                        continue
                    names = (sp.name, target if isinstance(target, str) else "")
                    why = _exposed_debug(svc, num, names, env)
                    if why is None:
                        continue
                    label = f"{sp.name} " if sp.name else ""
                    yield Hit(
                        sp.span,
                        f"Service {ks.name} port {label}({sp.port}->{num}) exposes pprof: {why[0]}",
                        related=why[1],
                    )
        for cs in svc.compose:
            env = {**ix.env_for(svc), **{e.name: e.value for e in cs.environment if e.value}}
            for cp in cs.ports:
                if cp.target is None or is_loopback(cp.host_ip):
                    continue
                why = _exposed_debug(svc, cp.target, (), env)
                if why is not None:
                    yield Hit(
                        cp.span,
                        f"compose service {cs.name} publishes port {cp.target}, which exposes "
                        f"pprof: {why[0]}",
                        related=why[1],
                    )
