"""DR217 listen-port-mismatch: the code listens on another port than the one declared for it."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import imports_under
from dockready.facts.derived.http import BoundListener, is_loopback
from dockready.facts.derived.process import (
    SELF_LISTENING,
    declared_ports,
    explain,
    given_flags,
    where_in,
)
from dockready.facts.derived.runtime import Runtime, bound_listeners, runtimes
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _listener_related(ix: ProjectIndex, rt: Runtime, bl: BoundListener) -> Related:
    lst = bl.listener
    how = explain(ix, rt, lst.addr) if lst.addr is not None else ""
    return Related(lst.span, f"listens on {bl.addr}{how}")


def _resolved(svc: Service, rt: Runtime) -> list[BoundListener] | None:
    """The service's listeners in ``rt``; None unless every one resolves to a port."""
    bound = bound_listeners(svc, rt)
    if not bound or any(b.port is None for b in bound):
        return None
    return bound


_CONSEQUENCE = {
    "expose": "`docker run -P` and tools that read EXPOSE publish a port nothing serves",
    "containerPort": "traffic and probes sent to it are refused",
    "service": "the Service forwards to a port nothing listens on",
    "compose": "the published port reaches nothing",
}


def _one_per_port(bound: list[BoundListener]) -> list[BoundListener]:
    """One listener per port, preferring where the address is written (``net.Listen``
    over the ``Serve(lis)`` that uses it)."""
    best: dict[int | None, BoundListener] = {}
    for b in bound:
        cur = best.get(b.port)
        if cur is None or (b.listener.kind == "tcp" and cur.listener.kind != "tcp"):
            best[b.port] = b
    return list(best.values())


@rule(
    id="DR217",
    name="listen-port-mismatch",
    severity=Severity.ERROR,
    reads=(Input.IMAGE, Input.K8S, Input.COMPOSE),
    calls=(),
)
def listen_port_mismatch(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Compares the port the code listens on with the ports declared around it, each in
    the environment where it applies: the Dockerfile `EXPOSE` with the image's own
    `ENV` and command line; each workload container's `containerPort`s and the
    `targetPort` of every Kubernetes Service that selects the pod with the
    container's environment (Dockerfile `ENV`, literal `env`, ConfigMap `envFrom`
    and `configMapKeyRef`) and `command`/`args` flags; and each compose port's
    target with the service's `environment` and its command line (the image's
    `ENTRYPOINT`/`CMD` flags, unless compose `command:`/`entrypoint:` replace them).
    A listen address built from `os.Getenv("PORT")` with a default of 8080 is 9090
    in a Deployment that sets `PORT=9090`. A Knative Service's container gets `PORT`
    from Knative (its port, 8080 when it declares none, the port Knative then sends
    traffic to). The finding is on the declared port (where the fix usually goes);
    the listener is the related location. When a command-line flag sets the port,
    the message names the chain (`-port=8080 in the Dockerfile CMD, not the flag's
    default 80`) and the line that gives the flag (the Dockerfile
    `CMD`/`ENTRYPOINT`, compose `command:`/`entrypoint:`, the container's
    `args`/`command`) is related too.

    Decisions:
    - A declared port is fine when it matches any of the service's listeners (a
      service may serve HTTP and gRPC on two ports). A port that matches only a
      loopback listener is left to DR218 (listen-on-loopback).
    - A named `targetPort` resolves through the container's named ports; a Service
      port that lands on a `containerPort` is reported once, on the `containerPort`,
      with the Service as related. A Service port that belongs to another container
      of the pod (a sidecar) is not judged.
    - A port named like `debug`/`pprof` that matches no listener is left to DR415
      (debug-port-exposed): it should be removed, not renumbered. Other named ports
      (`metrics`, `admin`) are judged like any other.
    - An address the code takes from a configuration file it reads
      (`viper.GetString("server.port")`, `cfg.Section("server").Key("HTTP_PORT")`,
      `cfg.Server.Port` with `server: {port: 8000}` in `configs/config.yaml`) has
      that file's value when every file that has the key agrees, the final image
      holds the file where the code opens it, and nothing the runtime mounts covers
      it; the file's line is related.
    - Nothing is reported for a runtime where any listener's address cannot be
      resolved (an opaque expression, a variable from a Secret or a missing
      ConfigMap, `envFrom` of a Secret, a flag under compose whose `command:` is not
      read), and nothing for services built on frameworks that open their own
      listeners from configuration (go-zero, Kratos, Hertz, fasthttp...).

    ## Why is this bad?
    Kubernetes sends Service traffic and probes to the `targetPort`/`containerPort`,
    compose forwards to the port target, `docker run -P` publishes the `EXPOSE`d
    port. When the code listens elsewhere, connections are refused: the pod never
    becomes ready, or is ready and unreachable. The mismatch usually appears when a
    port moves to an environment variable and one file is forgotten.

    ## Example
    ```go
    port := os.Getenv("PORT")
    if port == "" {
        port = "8080"
    }
    srv := &http.Server{Addr: ":" + port, ReadHeaderTimeout: 5 * time.Second}
    ```
    ```dockerfile
    EXPOSE 8000
    ```

    ## Use instead
    ```dockerfile
    EXPOSE 8080
    ```
    and name the port once in the manifest (`name: http`), with probes and the
    Service's `targetPort` referring to it by name.

    ## Fix safety
    Change the declared port to the one the code uses, or set the variable in that
    environment; both are local edits. Check clients that may rely on the old port.

    ## References
    - [Kubernetes: Service targetPort](https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service)
    - [Dockerfile reference: EXPOSE](https://docs.docker.com/reference/dockerfile/#expose)
    - [Compose file: ports](https://docs.docker.com/reference/compose-file/services/#ports)
    """
    ix = ctx.index
    for svc in ix.services:
        if imports_under(svc.files, SELF_LISTENING):
            continue
        seen: set[tuple[Span, int]] = set()
        for rt in runtimes(ix, svc):
            bound = _resolved(svc, rt)
            if bound is None:
                continue
            ports = {b.port for b in bound}
            public = [b for b in bound if not is_loopback(b.host)] or bound
            flags = given_flags(rt, [b.listener.addr for b in public if b.listener.addr])
            shown = "; ".join(
                [", ".join(sorted({f":{b.port}" for b in public}))] + [t for t, _ in flags]
            )
            related = tuple(_listener_related(ix, rt, b) for b in _one_per_port(public))
            related += tuple(r for _, r in flags if r is not None)
            related += tuple(
                Related(s.entry.span, f"{'.'.join(s.entry.key)}: {s.entry.value}")
                for s in rt.settings.values()
            )
            for d in declared_ports(ix, rt):
                if d.port in ports or d.is_debug or (d.span, d.port) in seen:
                    continue
                seen.add((d.span, d.port))
                yield Hit(
                    d.span,
                    f"{d.what} does not match the port the code listens on{where_in(rt)} "
                    f"({shown}): {_CONSEQUENCE[d.kind]}",
                    related=(*related, *d.related),
                    service=svc.name,
                )
