"""DR218 listen-on-loopback: a server bound to loopback where the service is deployed."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import imports_under
from dockready.facts.derived.http import BoundListener, is_loopback
from dockready.facts.derived.process import SELF_LISTENING, declared_ports, explain, where_in
from dockready.facts.derived.runtime import bound_listeners, runtimes
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _same_addr_twice(b: BoundListener, bound: list[BoundListener]) -> bool:
    """A ``Serve(lis)`` whose address comes from a ``net.Listen`` also in the list."""
    lst = b.listener
    return lst.kind != "tcp" and any(
        o.listener.kind == "tcp"
        and o.file.path == b.file.path
        and o.listener.addr is not None
        and lst.addr is not None
        and o.listener.addr.text == lst.addr.text
        for o in bound
    )


@rule(
    id="DR218",
    name="listen-on-loopback",
    severity=Severity.ERROR,
    reads=(Input.IMAGE, Input.K8S, Input.COMPOSE),
    calls=(),
)
def listen_on_loopback(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a server that binds a loopback address (`127.0.0.1`, `localhost`, `::1`)
    where the service is deployed: in each workload container and compose service,
    or in the image itself when there is neither. The address is resolved there, so
    `HOST` defaulting to `127.0.0.1` for local runs and set to `0.0.0.0` in the
    Deployment is fine. The finding is on the listener.

    Decisions: a loopback listener is reported when something points at it (its
    port is a `containerPort`, a Service `targetPort`, a probe port, an `EXPOSE` or
    a compose port target), or when it is the service's only listener while ports
    are declared. A separate admin/pprof listener on `127.0.0.1` next to a public
    one is good practice (reached with `kubectl port-forward`) and is not reported.
    Nothing is reported when an address cannot be resolved, or for a service with
    no Dockerfile, workload or compose service.

    ## Why is this bad?
    Inside a container, `127.0.0.1` is the container's own loopback. The kubelet's
    probes, the Service and `docker run -p` all connect to the pod/container IP, so
    nothing reaches the server: `connection refused`, probes fail, the pod restarts
    forever.

    ## Example
    ```go
    srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux}
    ```

    ## Use instead
    ```go
    srv := &http.Server{Addr: ":8080", Handler: mux}
    ```
    Keep loopback only for a separate admin listener.

    ## Fix safety
    Binding all interfaces makes the port reachable from the pod network, which is
    the intent for the service port; keep debug handlers off that listener (DR213).

    ## References
    - [Docker: container networking](https://docs.docker.com/engine/network/#published-ports)
    - [Kubernetes: configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    """
    ix = ctx.index
    for svc in ix.services:
        unseen = imports_under(svc.files, SELF_LISTENING)
        reported: set[Span] = set()
        for rt in runtimes(ix, svc, deployed=True):
            bound = bound_listeners(svc, rt)
            resolved = [b for b in bound if b.port is not None]
            public = {b.port for b in resolved if not is_loopback(b.host)}
            declared = declared_ports(ix, rt, probes=True)
            only = not unseen and len(resolved) == len(bound) and not public and bool(declared)
            for b in resolved:
                span = b.listener.span
                if (
                    not is_loopback(b.host)
                    or b.port in public
                    or span in reported
                    or _same_addr_twice(b, resolved)
                ):
                    continue
                pointed = [d for d in declared if d.port == b.port]
                if not pointed and not only:
                    continue
                reported.add(span)
                why = (
                    f"{pointed[0].what} points at it"
                    if pointed
                    else "it is the service's only listener"
                )
                target = pointed[0] if pointed else declared[0]
                how = explain(ix, rt, b.listener.addr) if b.listener.addr is not None else ""
                yield Hit(
                    span,
                    f"listens on {b.addr}{how}{where_in(rt)}: loopback is unreachable from "
                    f"outside the container, and {why}",
                    related=(Related(target.span, target.what),),
                    service=svc.name,
                )
