"""What the container-ready rules about the running process (chapter 2) share: the
service's calls, the ports declared around it, and how a runtime and a resolved
address are shown in messages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dockready.facts.derived.runtime import ArgvPart, Runtime
from dockready.facts.go import Call, EnvRef, FlagRef, GoFile, Opaque, Value
from dockready.facts.index import ProjectIndex, Service
from dockready.facts.k8s import KNATIVE_DEFAULT_PORT
from dockready.model import Related, Span

# Frameworks that open their listeners from their own configuration: the listener
# facts cannot see those ports, so a service using one is not judged on ports.
SELF_LISTENING = (
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


def calls(svc: Service) -> Iterator[tuple[Call, GoFile]]:
    """Every recorded call in the service's Go files, with its file."""
    for g in svc.files:
        for c in g.calls:
            yield c, g


@dataclass(frozen=True, slots=True)
class DeclaredPort:
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


def declared_ports(ix: ProjectIndex, rt: Runtime, probes: bool = False) -> list[DeclaredPort]:
    """The TCP ports a runtime declares for the service.

    For a workload: the container's ``containerPort``s (in a Knative Service that
    declares none, the 8080 Knative sends traffic to), then the ``targetPort`` of
    every Service that selects the pod. A Service port that resolves to one of the
    container's ports (by name or number) adds itself as a related location of that
    port instead of a port of its own; one that names or numbers another container's
    port, or an undeclared port of a pod with sidecars, is not the service's."""
    if rt.kind == "image" and rt.build is not None:
        return [
            DeclaredPort(e.port, e.span, f"EXPOSE {e.text}", "expose")
            for st in reversed(rt.build.dockerfile.lineage(rt.build.final))
            for e in st.exposes
            if e.port is not None and e.protocol == "tcp"
        ]
    if rt.kind == "compose" and rt.compose is not None:
        return [
            DeclaredPort(
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
        DeclaredPort(
            p.port,
            p.span,
            f"containerPort {p.port}" + (f" ({p.name})" if p.name else ""),
            "containerPort",
            p.name,
        )
        for p in c.ports
        if p.protocol.upper() == "TCP"
    ]
    if dep.workload.knative and not c.ports and not c.init:
        ours.append(
            DeclaredPort(
                KNATIVE_DEFAULT_PORT,
                c.span,
                f"Knative's default port {KNATIVE_DEFAULT_PORT} (the container declares none)",
                "containerPort",
            )
        )
    extra: dict[int, list[Related]] = {}
    services: list[DeclaredPort] = []
    others = [o for o in dep.workload.containers if o is not c and not o.init]
    for ks in ix.selecting(dep.workload):
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
                DeclaredPort(
                    target,
                    sp.span,
                    f"Service {ks.name} targetPort {target} (port {sp.port})",
                    "service",
                    sp.name,
                )
            )
    out = [
        DeclaredPort(d.port, d.span, d.what, d.kind, d.name, tuple(extra.get(d.port, ())))
        for d in ours
    ]
    out += services
    if probes:
        for pr in c.probes:
            if pr.handler.kind in _PROBE_KINDS:
                n = c.port_number(pr.handler.port)
                if n is not None:
                    out.append(
                        DeclaredPort(
                            n,
                            pr.handler.port_span or pr.handler.span,
                            f"the {pr.which} probe (port {n})",
                            "probe",
                        )
                    )
    return out


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


def explain(ix: ProjectIndex, rt: Runtime, value: Value) -> str:
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
                bits.append(_given(p, given, (rt.flag_from or {}).get(p.name)))
            else:
                bits.append(f"flag -{p.name} default {p.default}")
        elif isinstance(p, Opaque) and p.text in rt.settings:
            s = rt.settings[p.text]
            bits.append(f"{s.entry.value!r} from {s.shown}")
    return f" ({'; '.join(bits)})" if bits else ""


def _given(flag: FlagRef, value: str, part: ArgvPart | None) -> str:
    """``-port=8080 in the Dockerfile CMD, not the flag's default 80``."""
    where = f"in {part.where}" if part is not None else "on the command line"
    default = f", not the flag's default {flag.default}" if flag.default is not None else ""
    return f"-{flag.name}={value} {where}{default}"


def given_flags(rt: Runtime, values: Iterable[Value]) -> list[tuple[str, Related | None]]:
    """The flags of ``values`` the command line of ``rt`` gives, once each: how each
    is given (``-port=8080 in the Dockerfile CMD, not the flag's default 80``) and
    where, as a related location (None when that is not known)."""
    out: dict[str, tuple[str, Related | None]] = {}
    for v in values:
        for p in v.parts:
            if not isinstance(p, FlagRef) or p.name in out:
                continue
            given = (rt.flags or {}).get(p.name)
            if given is None:
                continue
            part = (rt.flag_from or {}).get(p.name)
            text = _given(p, given, part)
            related = (
                Related(part.span, f"{part.where}: -{p.name}={given}")
                if part is not None and part.span is not None
                else None
            )
            out[p.name] = (text, related)
    return list(out.values())


def where_in(rt: Runtime) -> str:
    """Where ``rt`` is, for messages: ``" in Deployment/api"``; ``""`` for the image."""
    return "" if rt.kind == "image" else f" in {rt.label}"
