"""Chapter 2 · Getting the code container-ready: the code against the platform it runs
on (ports, bind addresses, memory and CPU limits, a writable /tmp)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.effective import (
    BoundListener,
    Runtime,
    bound_listeners,
    file_writes,
    has_capability,
    image_runtime,
    imports_under,
    is_loopback,
    runtimes,
    temp_dir,
)
from dockready.facts.go import Call, EnvRef, FlagRef, GoFile, Value, version_tuple
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

# Frameworks that open their listeners from their own configuration: the listener
# facts cannot see those ports, so a service using one is not judged on ports.
_SELF_LISTENING = (
    "github.com/valyala/fasthttp",
    "github.com/zeromicro/go-zero",
    "github.com/go-kratos/kratos",
    "go-micro.dev",
    "github.com/micro/go-micro",
    "github.com/beego/beego",
    "github.com/kataras/iris",
    "github.com/cloudwego/hertz",
    "github.com/cloudwego/kitex",
    "github.com/dapr/go-sdk",
)
# A port with one of these in its name is a debug port: DR415 (debug-port-exposed)
# owns it, and the fix is to remove it, not to renumber it.
_DEBUG_PORT_WORDS = ("debug", "pprof")
_PROBE_KINDS = frozenset({"httpGet", "tcpSocket", "grpc"})


def _calls(svc: Service) -> Iterator[tuple[Call, GoFile]]:
    for g in svc.files:
        for c in g.calls:
            yield c, g


# -- ports: what the manifests, Dockerfile and compose file point at ---------


@dataclass(frozen=True, slots=True)
class _Declared:
    """A port something outside the code expects the service on."""

    port: int
    span: Span
    what: str
    kind: str  # expose | containerPort | service | compose | probe
    name: str = ""
    related: tuple[Related, ...] = ()

    @property
    def is_debug(self) -> bool:
        return any(w in self.name.lower() for w in _DEBUG_PORT_WORDS)


def _declared(ix: ProjectIndex, rt: Runtime, probes: bool = False) -> list[_Declared]:
    """The TCP ports a runtime declares for the service.

    For a workload: the container's ``containerPort``s, then the ``targetPort`` of
    every Service that selects the pod. A Service port that resolves to one of the
    container's ports (by name or number) adds itself as a related location of that
    port instead of a port of its own; one that names or numbers another container's
    port, or an undeclared port of a pod with sidecars, is not the service's."""
    if rt.kind == "image" and rt.build is not None:
        return [
            _Declared(e.port, e.span, f"EXPOSE {e.text}", "expose")
            for st in reversed(rt.build.dockerfile.lineage(rt.build.final))
            for e in st.exposes
            if e.port is not None and e.protocol == "tcp"
        ]
    if rt.kind == "compose" and rt.compose is not None:
        return [
            _Declared(
                p.target,
                p.span,
                f"compose port {p.published + ':' if p.published else ''}{p.target}",
                "compose",
            )
            for p in rt.compose.ports
            if p.target is not None and p.protocol == "tcp"
        ]
    dep = rt.deployment
    if dep is None:
        return []
    c = dep.container
    ours = [
        _Declared(
            p.port,
            p.span,
            f"containerPort {p.port}" + (f" ({p.name})" if p.name else ""),
            "containerPort",
            p.name,
        )
        for p in c.ports
        if p.protocol.upper() == "TCP"
    ]
    extra: dict[int, list[Related]] = {}
    services: list[_Declared] = []
    others = [o for o in dep.workload.containers if o is not c and not o.init]
    for ks in ix.kservices:
        if not ks.selects(dep.workload):
            continue
        for sp in ks.ports:
            if sp.protocol.upper() != "TCP":
                continue
            target = sp.target_port if sp.target_port is not None else sp.port
            if isinstance(target, str) and target.isdigit():
                target = int(target)
            number = c.port_number(target)
            if number is not None and (
                isinstance(target, str) or any(p.port == number for p in c.ports)
            ):
                extra.setdefault(number, []).append(
                    Related(sp.span, f"Service {ks.name} port {sp.port} -> targetPort {target}")
                )
                continue
            if isinstance(target, str) or others:
                continue  # another container's port, a missing name, or a sidecar's
            services.append(
                _Declared(
                    target,
                    sp.span,
                    f"Service {ks.name} targetPort {target} (port {sp.port})",
                    "service",
                    sp.name,
                )
            )
    out = [
        _Declared(d.port, d.span, d.what, d.kind, d.name, tuple(extra.get(d.port, ())))
        for d in ours
    ]
    out += services
    if probes:
        for pr in c.probes:
            if pr.handler.kind in _PROBE_KINDS:
                n = c.port_number(pr.handler.port)
                if n is not None:
                    out.append(
                        _Declared(
                            n,
                            pr.handler.port_span or pr.handler.span,
                            f"the {pr.which} probe (port {n})",
                            "probe",
                        )
                    )
    return out


# -- how an address was resolved, for messages ------------------------------


def _env_origin(ix: ProjectIndex, rt: Runtime, name: str) -> str:
    dep = rt.deployment
    if dep is not None:
        for e in dep.container.env:
            if e.name == name:
                if e.source == "configMapKeyRef":
                    return f"from ConfigMap {e.ref.partition('/')[0]}"
                return f"set in {rt.label}"
        for ef in reversed(dep.container.env_from):
            cm = ix.configmap(dep.workload.namespace, ef.name)
            if cm is not None and any(ef.prefix + d.key == name for d in cm.data):
                return f"from ConfigMap {cm.name} via envFrom"
    if rt.compose is not None and any(e.name == name for e in rt.compose.environment):
        return f"set in {rt.label}"
    return "from the Dockerfile ENV"


def _explain(ix: ProjectIndex, rt: Runtime, value: Value) -> str:
    """``PORT default 8080`` / ``PORT=9090 set in Deployment/api`` / ``-addr default :8080``."""
    bits: list[str] = []
    for p in value.parts:
        if isinstance(p, EnvRef):
            if p.name in rt.env:
                bits.append(f"{p.name}={rt.env[p.name]} {_env_origin(ix, rt, p.name)}")
            else:
                bits.append(f"{p.name} default {p.default}")
        elif isinstance(p, FlagRef):
            given = (rt.flags or {}).get(p.name)
            if given is not None:
                bits.append(f"-{p.name}={given} on the command line")
            else:
                bits.append(f"flag -{p.name} default {p.default}")
    return f" ({'; '.join(bits)})" if bits else ""


def _listener_related(ix: ProjectIndex, rt: Runtime, bl: BoundListener) -> Related:
    lst = bl.listener
    how = _explain(ix, rt, lst.addr) if lst.addr is not None else ""
    return Related(lst.span, f"listens on {bl.addr}{how}")


def _resolved(svc: Service, rt: Runtime) -> list[BoundListener] | None:
    """The service's listeners in ``rt``; None unless every one resolves to a port."""
    bound = bound_listeners(svc, rt)
    if not bound or any(b.port is None for b in bound):
        return None
    return bound


def _where(rt: Runtime) -> str:
    return "" if rt.kind == "image" else f" in {rt.label}"


_CONSEQUENCE = {
    "expose": "`docker run -P` and tools that read EXPOSE publish a port nothing serves",
    "containerPort": "traffic and probes sent to it are refused",
    "service": "the Service forwards to a port nothing listens on",
    "compose": "the published port reaches nothing",
}


@rule(
    id="DR217",
    name="listen-port-mismatch",
    severity=Severity.ERROR,
    reads=(Input.IMAGE, Input.K8S, Input.COMPOSE),
)
def listen_port_mismatch(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Compares the port the code listens on with the ports declared around it, each in
    the environment where it applies: the Dockerfile `EXPOSE` with the image's own
    `ENV` and command line; each workload container's `containerPort`s and the
    `targetPort` of every Kubernetes Service that selects the pod with the
    container's environment (Dockerfile `ENV`, literal `env`, ConfigMap `envFrom` and
    `configMapKeyRef`) and `command`/`args` flags; and each compose port's target with
    the service's `environment`. A listen address built from `os.Getenv("PORT")`
    with a default of 8080 is 9090 in a Deployment that sets `PORT=9090`. The
    finding is on the declared port (where the fix usually goes); the listener is
    the related location.

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
        if imports_under(svc.files, _SELF_LISTENING):
            continue
        seen: set[tuple[Span, int]] = set()
        for rt in runtimes(ix, svc):
            bound = _resolved(svc, rt)
            if bound is None:
                continue
            ports = {b.port for b in bound}
            public = [b for b in bound if not is_loopback(b.host)] or bound
            shown = sorted({f":{b.port}" for b in public})
            related = tuple(_listener_related(ix, rt, b) for b in _one_per_port(public))
            for d in _declared(ix, rt):
                if d.port in ports or d.is_debug or (d.span, d.port) in seen:
                    continue
                seen.add((d.span, d.port))
                yield Hit(
                    d.span,
                    f"{d.what} does not match the port the code listens on{_where(rt)} "
                    f"({', '.join(shown)}): {_CONSEQUENCE[d.kind]}",
                    related=(*related, *d.related),
                    service=svc.name,
                )


def _one_per_port(bound: list[BoundListener]) -> list[BoundListener]:
    """One listener per port, preferring where the address is written (``net.Listen``
    over the ``Serve(lis)`` that uses it)."""
    best: dict[int | None, BoundListener] = {}
    for b in bound:
        cur = best.get(b.port)
        if cur is None or (b.listener.kind == "tcp" and cur.listener.kind != "tcp"):
            best[b.port] = b
    return list(best.values())


# -- DR218 -------------------------------------------------------------------


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
        unseen = imports_under(svc.files, _SELF_LISTENING)
        reported: set[Span] = set()
        for rt in runtimes(ix, svc, deployed=True):
            bound = bound_listeners(svc, rt)
            resolved = [b for b in bound if b.port is not None]
            public = {b.port for b in resolved if not is_loopback(b.host)}
            declared = _declared(ix, rt, probes=True)
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
                how = _explain(ix, rt, b.listener.addr) if b.listener.addr is not None else ""
                yield Hit(
                    span,
                    f"listens on {b.addr}{how}{_where(rt)}: loopback is unreachable from "
                    f"outside the container, and {why}",
                    related=(Related(target.span, target.what),),
                    service=svc.name,
                )


# -- DR219 -------------------------------------------------------------------

_AUTOMEMLIMIT = "github.com/KimMachineGun/automemlimit"


def _code_sets_memlimit(svc: Service) -> bool:
    return imports_under(svc.files, (_AUTOMEMLIMIT,)) or any(
        c.callee == "runtime/debug.SetMemoryLimit" for c, _ in _calls(svc)
    )


def _env_span(rt: Runtime, name: str) -> Span | None:
    """Where ``name`` is set for ``rt``: the container/compose env, else the Dockerfile."""
    if rt.deployment is not None:
        for e in rt.deployment.container.env:
            if e.name == name:
                return e.span
    if rt.compose is not None:
        for e in rt.compose.environment:
            if e.name == name:
                return e.span
    if rt.build is not None:
        for st in rt.build.dockerfile.lineage(rt.build.final):
            for k, s in st.env_spans:
                if k == name:
                    return s
    return None


@rule(
    id="DR219",
    name="gomemlimit-unset",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
)
def gomemlimit_unset(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a Go service whose container has a memory limit the Go runtime does not
    know about: a workload container with `resources.limits.memory` (or a compose
    service with `mem_limit` / `deploy.resources.limits.memory`) and no `GOMEMLIMIT`
    (a literal, a ConfigMap value or a `resourceFieldRef`, in the manifest or the
    Dockerfile), while the code neither imports `automemlimit` nor calls
    `debug.SetMemoryLimit`. Also finds `GOGC=off` with no `GOMEMLIMIT` (reported on
    the `GOGC` line, instead of the limit), and `GOMEMLIMIT` taken from a
    `resourceFieldRef` to `limits.memory` in a container that declares no memory
    limit.

    Decisions: only workloads and compose services joined to a Go service are
    judged (an image we cannot tie to Go code is not). A container with `envFrom` a
    Secret or a ConfigMap that is not in the tree may set `GOMEMLIMIT` there, so it
    is not reported. The Dockerfile alone is judged only for `GOGC=off`, when
    nothing deploys it.

    ## Why is this bad?
    The Go GC sizes the heap from `GOGC` alone: with the default of 100 the heap may
    grow to twice the live data before a collection. Under a 256 MiB limit that is
    enough to be OOM-killed under load, long before the runtime would have collected.
    With `GOMEMLIMIT` a little under the limit, the GC works harder as the heap nears
    it instead. `GOGC=off` without a limit never collects at all. A `resourceFieldRef`
    to an undeclared `limits.memory` gives the node's allocatable memory: no useful
    limit.

    ## Example
    ```yaml
    resources:
      limits:
        memory: 256Mi
    ```

    ## Use instead
    ```yaml
    env:
      - name: GOMEMLIMIT
        value: 230MiB  # about 90% of the limit
    resources:
      limits:
        memory: 256Mi
    ```
    or `import _ "github.com/KimMachineGun/automemlimit"`, which reads the cgroup
    limit at start-up.

    ## Fix safety
    Safe: `GOMEMLIMIT` is a soft limit. Leave headroom for non-heap memory (goroutine
    stacks, cgo, mapped files).

    ## References
    - [A Guide to the Go Garbage Collector: memory limit](https://go.dev/doc/gc-guide#Memory_limit)
    - [runtime/debug.SetMemoryLimit](https://pkg.go.dev/runtime/debug#SetMemoryLimit)
    - [KimMachineGun/automemlimit](https://github.com/KimMachineGun/automemlimit)
    - [Kubernetes: expose container resources as env vars](https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/)
    """
    ix = ctx.index
    for svc in ix.services:
        code_sets = _code_sets_memlimit(svc)
        seen: set[Span] = set()
        for rt in runtimes(ix, svc, deployed=True):
            for hit in _memlimit_hits(rt, code_sets, svc.name):
                if hit.span not in seen:
                    seen.add(hit.span)
                    yield hit


def _memlimit_hits(rt: Runtime, code_sets: bool, service: str) -> Iterator[Hit]:
    dep, comp = rt.deployment, rt.compose
    limit: str | None = None
    where: Span | None = None
    if dep is not None:
        res = dep.container.resources
        limit, where = res.limit("memory"), res.span or dep.container.span
        for e in dep.container.env:
            if (
                e.name == "GOMEMLIMIT"
                and e.source == "resourceFieldRef"
                and e.ref == "limits.memory"
                and limit is None
            ):
                yield Hit(
                    e.span,
                    f"GOMEMLIMIT comes from limits.memory, which container {dep.container.name} "
                    "does not set: Kubernetes gives the node's allocatable memory, so the GC "
                    "has no useful limit",
                    service=service,
                )
                return
    elif comp is not None:
        limit, where = comp.mem_limit, comp.span
    gomem = rt.sets("GOMEMLIMIT")
    if code_sets or gomem is not False:
        return
    gogc = rt.env.get("GOGC", "").strip().lower()
    gogc_span = _env_span(rt, "GOGC")
    if gogc == "off" and gogc_span is not None:
        limit_text = f" (limit {limit})" if limit else ""
        yield Hit(
            gogc_span,
            f"GOGC=off with no GOMEMLIMIT{_where(rt)}{limit_text}: the GC never runs and "
            "the heap grows until the process is OOM-killed",
            related=(Related(where, f"memory limit {limit}"),) if limit and where else (),
            service=service,
        )
        return
    if limit and where is not None:
        key = "limits.memory" if dep is not None else "mem_limit"
        yield Hit(
            where,
            f"{key} {limit} but no GOMEMLIMIT{_where(rt)}, and the code sets none "
            "(automemlimit, debug.SetMemoryLimit): the GC does not see the limit and the "
            "container is OOM-killed instead of collecting",
            service=service,
        )


# -- DR220 -------------------------------------------------------------------

_AUTOMAXPROCS = "go.uber.org/automaxprocs"
_CGROUP_AWARE_GO = (1, 25)


def _code_sets_maxprocs(svc: Service) -> bool:
    if imports_under(svc.files, (_AUTOMAXPROCS,)):
        return True
    for c, _ in _calls(svc):
        if c.callee == "runtime.GOMAXPROCS":
            arg = c.arg(0)
            if arg is not None and arg.literal != "0":
                return True
    return False


@rule(
    id="DR220",
    name="gomaxprocs-unaware",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def gomaxprocs_unaware(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a workload container with `resources.limits.cpu` running a Go service
    whose go.mod `go` line is below 1.25 (or missing, which means 1.16), when
    nothing sizes `GOMAXPROCS` to the limit: no `GOMAXPROCS` variable (a literal or
    a `resourceFieldRef` to `limits.cpu`, in the manifest or the Dockerfile), no
    `go.uber.org/automaxprocs` import, no `runtime.GOMAXPROCS(n)` call with a
    non-zero argument. The finding is on the container's `resources`; the go.mod
    `go` line is related.

    Decisions: the `go` line decides, not the toolchain that builds: Go 1.25 turned
    the cgroup-aware default on through a GODEBUG setting keyed to the main module's
    `go` version. A container with `envFrom` a Secret or a ConfigMap not in the tree
    may set `GOMAXPROCS` there and is not reported. Compose CPU limits are not read.

    ## Why is this bad?
    Before Go 1.25, `GOMAXPROCS` defaults to the number of CPUs of the node, not the
    container's CPU limit. On a 32-core node with `cpu: "1"`, 32 threads run Go code
    and the CFS quota is spent in the first few milliseconds of each 100 ms period:
    the container is throttled and latency spikes.

    ## Example
    ```yaml
    resources:
      limits:
        cpu: "1"
    ```
    with `go 1.22` in go.mod and nothing setting `GOMAXPROCS`.

    ## Use instead
    ```yaml
    env:
      - name: GOMAXPROCS
        valueFrom:
          resourceFieldRef:
            resource: limits.cpu
    ```
    or `import _ "go.uber.org/automaxprocs"`, or go.mod `go 1.25`.

    ## Fix safety
    Safe. `resourceFieldRef` rounds a fractional limit up to a whole CPU.

    ## References
    - [Go 1.25 release notes: container-aware GOMAXPROCS](https://go.dev/doc/go1.25#container-aware-gomaxprocs)
    - [uber-go/automaxprocs](https://github.com/uber-go/automaxprocs)
    """
    ix = ctx.index
    for svc in ix.services:
        mod = svc.module
        if mod is None or not svc.deployments:
            continue
        version = version_tuple(mod.go) if mod.go else (1, 16)
        if version is None or version >= _CGROUP_AWARE_GO or _code_sets_maxprocs(svc):
            continue
        go_line = mod.go_span or Span(mod.path)
        go_text = f"go {mod.go}" if mod.go else "no go line (go 1.16)"
        seen: set[Span] = set()
        for rt in runtimes(ix, svc, deployed=True):
            dep = rt.deployment
            if dep is None:
                continue
            cpu = dep.container.resources.limit("cpu")
            if not cpu or rt.sets("GOMAXPROCS") is not False:
                continue
            span = dep.container.resources.span or dep.container.span
            if span in seen:
                continue
            seen.add(span)
            yield Hit(
                span,
                f"limits.cpu {cpu} in {rt.label}, but go.mod says {go_text} (below 1.25 the "
                "runtime ignores the cgroup CPU limit) and neither GOMAXPROCS nor automaxprocs "
                "is set: GOMAXPROCS is the node's core count and the container is throttled",
                related=(Related(go_line, go_text),),
                service=svc.name,
            )


# -- DR221 -------------------------------------------------------------------

# Calls that use the temp directory without writing a path file_writes() sees:
# multipart parsing spills large uploads to temp files.
_MULTIPART = {
    "net/http": frozenset({"ParseMultipartForm", "FormFile"}),
    "github.com/gin-gonic/gin": frozenset({"FormFile", "MultipartForm"}),
    "github.com/labstack/echo/v4": frozenset({"FormFile", "MultipartForm"}),
    "github.com/labstack/echo": frozenset({"FormFile", "MultipartForm"}),
    "mime/multipart": frozenset({"ReadForm"}),
}
_MULTIPART_NOTE = "multipart files over the in-memory limit spill to temp files"


@dataclass(frozen=True, slots=True)
class _TempUse:
    """Code that writes under ``/tmp`` in a given runtime."""

    span: Span
    what: str
    note: str


def _under_tmp(path: str | None) -> bool:
    return path is not None and (path.rstrip("/") == "/tmp" or path.startswith("/tmp/"))


def _tmp_uses(svc: Service, rt: Runtime) -> list[_TempUse]:
    """What writes under ``/tmp`` with ``rt``'s environment (``$TMPDIR`` moves the
    temp directory, not literal ``/tmp/...`` paths)."""
    out: list[_TempUse] = []
    for w in file_writes(svc, rt.env):
        if _under_tmp(w.path):
            note = "creates it in $TMPDIR, else /tmp" if w.temp else "writes under /tmp"
            out.append(_TempUse(w.span, w.what, note))
    if not _under_tmp(temp_dir(rt.env)):
        return out
    lines = {(u.span.path, u.span.line) for u in out}
    for c, _ in _calls(svc):
        if c.callee == "os.TempDir" and (c.span.path, c.span.line) not in lines:
            out.append(_TempUse(c.span, "os.TempDir()", "$TMPDIR, else /tmp"))
        elif c.callee.startswith(".") and c.name in _MULTIPART.get(c.receiver_pkg, ()):
            out.append(_TempUse(c.span, f"{c.receiver}.{c.name}", _MULTIPART_NOTE))
    return sorted(out, key=lambda u: (u.span.path, u.span.line, u.span.col))


def _failing(ix: ProjectIndex, svc: Service, build: Build) -> list[_TempUse]:
    """The temp-file uses that fail on ``build``'s image where it runs: in every
    workload (none with a volume at ``/tmp``), or in the image alone when there is
    no workload. Empty when any workload is fine or its ``TMPDIR`` is unknown."""
    placed = [rt for rt in runtimes(ix, svc, deployed=True) if rt.deployment is not None]
    if not placed:
        return _tmp_uses(svc, image_runtime(build))
    first: list[_TempUse] = []
    for rt in placed:
        mounts = rt.deployment.container.mounts if rt.deployment is not None else ()
        if any(m.mount_path.rstrip("/") == "/tmp" for m in mounts):
            return []
        if rt.sets("TMPDIR") is None or "TMPDIR" in rt.unknown:
            return []
        uses = _tmp_uses(svc, rt)
        if not uses:
            return []
        first = first or uses
    return first


@rule(
    id="DR221",
    name="missing-tmp-dir",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def missing_tmp_dir(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose code writes temp files while its final image has no `/tmp`
    (`scratch` with no `/tmp` copied in) and no workload mounts a volume there. The
    code counts as writing temp files when it calls `os.CreateTemp`/`os.MkdirTemp`
    (or `ioutil.TempFile`/`TempDir`) with an empty directory, `os.TempDir()` or a
    `/tmp` path; calls `os.TempDir()`; writes a literal `/tmp/...` path
    (`os.Create`, `os.WriteFile`, `os.MkdirAll`...); or parses multipart uploads
    (`(*http.Request).ParseMultipartForm`/`FormFile`, gin/echo `FormFile`,
    `multipart.Reader.ReadForm`), which spill files larger than the in-memory limit
    (32 MB by default) to temp files: uploads fail only once they are large, which
    is why this is worth finding before production. The finding is on the final
    `FROM`; the calls are related.

    Decisions: with workloads, every one of them must lack a volume mounted at
    `/tmp` for a finding; with none, the image is judged alone (compose
    `tmpfs`/`volumes` are not read). A `TMPDIR` (Dockerfile or workload) that moves
    the temp directory elsewhere takes the temp-directory uses out, not literal
    `/tmp/...` paths; a `TMPDIR` we cannot read means no finding. A base image we do
    not know is never reported; distroless and Chainguard images have `/tmp`.

    ## Why is this bad?
    `scratch` has no directories at all. `os.CreateTemp("", ...)` uses `$TMPDIR` or
    `/tmp`, and fails with `open /tmp/upload-123: no such file or directory` on the
    first request that needs it, not at start-up.

    ## Example
    ```dockerfile
    FROM scratch
    COPY --from=build /out/app /app
    ENTRYPOINT ["/app"]
    ```
    with `os.CreateTemp("", "upload-*")` in the code.

    ## Use instead
    Mount an `emptyDir` at `/tmp` (works with `readOnlyRootFilesystem: true`):
    ```yaml
    volumeMounts:
      - name: tmp
        mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir: {}
    ```
    or base the image on `gcr.io/distroless/static`, which has a `/tmp`.

    ## Fix safety
    Safe. Size the `emptyDir` (`sizeLimit`) for the largest expected upload.

    ## References
    - [os.TempDir](https://pkg.go.dev/os#TempDir)
    - [net/http: Request.ParseMultipartForm](https://pkg.go.dev/net/http#Request.ParseMultipartForm)
    - [Kubernetes: emptyDir](https://kubernetes.io/docs/concepts/storage/volumes/#emptydir)
    """
    ix = ctx.index
    for svc in ix.services:
        for build in svc.builds:
            if has_capability(build, "tmp") is not False:
                continue
            left = _failing(ix, svc, build)
            if not left:
                continue
            base = build.dockerfile.external_base(build.final)
            first = left[0]
            more = f" and {len(left) - 1} more" if len(left) > 1 else ""
            mounted = " and no workload mounts a volume there" if svc.deployments else ""
            yield Hit(
                build.final.span,
                f"the final image ({base}) has no /tmp{mounted}, but the code writes temp "
                f"files ({first.what}{more}): `no such file or directory` at run time",
                related=tuple(Related(u.span, f"{u.what}: {u.note}") for u in left),
                service=svc.name,
            )
