"""A workload container as ``docker run`` options, and what to judge it by.

:func:`from_workload` reads the container of a Kubernetes workload the way the kubelet
runs it; :func:`restricted` is the run without a workload: non-root, read-only root,
128Mi, the port the code listens on. What cannot be translated is a note in the
plan (``unsupported``), never a silent difference.

Translation:

* ``securityContext`` (pod, then container): ``runAsUser``/``runAsGroup`` ->
  ``--user``; ``readOnlyRootFilesystem`` -> ``--read-only``;
  ``allowPrivilegeEscalation: false`` -> ``no-new-privileges``; capabilities ->
  ``--cap-drop``/``--cap-add``; ``runAsNonRoot`` is checked against the user the
  process runs as (DR604), as the kubelet refuses uid 0;
* ``resources.limits`` -> ``--memory`` (swap off) and ``--cpus``;
* ``env``: literal values; ``configMapKeyRef`` from the ConfigMaps in the tree;
  ``secretKeyRef`` and Secret ``envFrom`` get generated placeholders (never shown);
  ``fieldRef``/``resourceFieldRef`` as the kubelet computes the common ones;
* ``command``/``args`` -> ``--entrypoint`` and the command line;
* ``emptyDir`` -> a tmpfs (mode 1777); ConfigMap and Secret volumes -> files written
  to a temporary directory and mounted read-only; other volumes -> a tmpfs, noted;
* ``ports`` -> published on 127.0.0.1; probes (``httpGet``, ``tcpSocket``, ``grpc``
  with the gRPC health protocol when ``grpcio`` is installed, ``exec``); ``preStop`` (``sleep`` and ``exec``) and
  ``terminationGracePeriodSeconds``.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from dataclasses import dataclass, field

from dockready.facts.index import ProjectIndex
from dockready.facts.k8s import Container, Handler, Workload
from dockready.model import Span

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$")
_FACTORS = {
    None: 1,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "k": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
}
#: The restricted run without a workload.
DEFAULT_MEMORY = 128 * 1024**2
DEFAULT_USER = "65532:65532"
DEFAULT_GRACE = 30


def memory_bytes(quantity: str) -> int | None:
    m = _QUANTITY.match(str(quantity).strip())
    if m is None or m.group(2) == "m":
        return None
    return int(float(m.group(1)) * _FACTORS[m.group(2)])


def cpus(quantity: str) -> float | None:
    m = _QUANTITY.match(str(quantity).strip())
    if m is None:
        return None
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "m" else value


@dataclass(frozen=True, slots=True)
class Check:
    """A probe: ``kind`` is ``http``, ``tcp``, ``grpc`` (``path`` is the health
    service name then) or ``exec``; ``port`` a container port."""

    kind: str
    port: int | None = None
    path: str = "/"
    command: tuple[str, ...] = ()
    span: Span | None = None
    period: float = 10
    failures: int = 3
    initial_delay: float = 0


@dataclass
class Plan:
    """How to run the container, and how to judge it."""

    name: str
    user: str | None = None  # --user; None: the image's USER
    read_only: bool = False
    memory: int | None = None
    cpus: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    secret_env: set[str] = field(default_factory=set)  # names whose values are placeholders
    entrypoint: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    tmpfs: list[str] = field(default_factory=list)  # mount paths
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # mount path -> files
    ports: list[int] = field(default_factory=list)
    readiness: Check | None = None
    liveness: Check | None = None
    startup: Check | None = None
    prestop_sleep: float = 0
    prestop_exec: tuple[str, ...] = ()
    grace: int = DEFAULT_GRACE
    #: A slow route to keep one request in flight at SIGTERM (``--drain-request``).
    drain_path: str | None = None
    cap_drop: list[str] = field(default_factory=list)
    cap_add: list[str] = field(default_factory=list)
    no_new_privileges: bool = False
    run_as_non_root: bool = False
    #: Where the plan comes from: the workload container, or None (the restricted run).
    workload: str | None = None
    span: Span | None = None  # the container in its manifest
    memory_span: Span | None = None
    read_only_span: Span | None = None
    grace_span: Span | None = None
    #: What the manifest asks for that this run does not reproduce.
    unsupported: list[str] = field(default_factory=list)

    @property
    def after_sigterm(self) -> float:
        """Seconds between SIGTERM and SIGKILL (the grace period less the preStop)."""
        return max(self.grace - self.prestop_sleep, 0)

    def run_args(self) -> list[str]:
        """``docker run`` options (not the image and command)."""
        out: list[str] = []
        if self.user:
            out += ["--user", self.user]
        if self.read_only:
            out.append("--read-only")
        if self.memory:
            out += ["--memory", str(self.memory), "--memory-swap", str(self.memory)]
        if self.cpus:
            out += ["--cpus", f"{self.cpus:g}"]
        if self.no_new_privileges:
            out += ["--security-opt", "no-new-privileges"]
        for cap in self.cap_drop:
            out += ["--cap-drop", cap]
        for cap in self.cap_add:
            out += ["--cap-add", cap]
        for k, v in self.env.items():
            out += ["--env", f"{k}={v}"]
        for path in self.tmpfs:
            out += ["--tmpfs", f"{path}:rw,mode=1777"]
        for port in self.ports:
            out += ["--publish", f"127.0.0.1::{port}"]
        if self.entrypoint is not None:
            out += ["--entrypoint", self.entrypoint[0] if self.entrypoint else ""]
        return out

    def command(self) -> list[str]:
        """What follows the image: the rest of ``command`` and then ``args``."""
        out: list[str] = []
        if self.entrypoint:
            out += list(self.entrypoint[1:])
        if self.args is not None:
            out += list(self.args)
        return out


def _placeholder() -> str:
    return "dockready-placeholder-" + secrets.token_hex(6)


def _check(
    handler: Handler,
    c: Container,
    which_span: Span,
    probe_period: float = 10,
    failures: int = 3,
    delay: float = 0,
) -> Check | None:
    port = c.port_number(handler.port)
    kind = handler.kind
    if kind == "httpGet":
        return Check(
            "http",
            port,
            handler.path or "/",
            span=which_span,
            period=probe_period,
            failures=failures,
            initial_delay=delay,
        )
    if kind == "grpc":
        return Check(
            "grpc",
            port,
            path=handler.service or "",
            span=which_span,
            period=probe_period,
            failures=failures,
            initial_delay=delay,
        )
    if kind == "tcpSocket":
        return Check(
            "tcp",
            port,
            span=which_span,
            period=probe_period,
            failures=failures,
            initial_delay=delay,
        )
    if kind == "exec":
        return Check(
            "exec",
            None,
            command=handler.command,
            span=which_span,
            period=probe_period,
            failures=failures,
            initial_delay=delay,
        )
    return None


def from_workload(ix: ProjectIndex, w: Workload, c: Container) -> Plan:
    """The container ``c`` of ``w`` as the kubelet would run it."""
    plan = Plan(name=c.name, workload=f"{w.path}#{w.kind}/{w.name}", span=c.span)
    sec = c.security
    if sec.run_as_user is not None:
        plan.user = str(sec.run_as_user)
        if sec.run_as_group is not None:
            plan.user += f":{sec.run_as_group}"
    plan.read_only = bool(sec.read_only_root)
    plan.read_only_span = sec.span_of("read_only_root")
    plan.no_new_privileges = sec.allow_privilege_escalation is False
    plan.cap_drop = list(sec.caps_drop)
    plan.cap_add = list(sec.caps_add)
    plan.run_as_non_root = bool(sec.run_as_non_root)
    if sec.privileged:
        plan.unsupported.append("privileged: true is not reproduced")
    mem = c.resources.limit("memory")
    if mem is not None:
        plan.memory = memory_bytes(mem)
        plan.memory_span = c.resources.span
    cpu = c.resources.limit("cpu")
    if cpu is not None:
        plan.cpus = cpus(cpu)
    ns = w.namespace
    for ef in c.env_from:
        if ef.kind == "configMapRef":
            cm = ix.configmap(ns, ef.name)
            if cm is None:
                plan.unsupported.append(f"envFrom ConfigMap {ef.name} is not in the tree")
                continue
            for d in cm.data:
                plan.env[ef.prefix + d.key] = d.value
        else:
            plan.unsupported.append(
                f"envFrom Secret {ef.name}: its keys are unknown, nothing is set"
            )
    for e in c.env:
        if e.source is None and e.value is not None:
            plan.env[e.name] = re.sub(
                r"\$\((\w+)\)", lambda m: plan.env.get(m.group(1), m.group(0)), e.value
            )
        elif e.source == "configMapKeyRef":
            name, _, key = e.ref.partition("/")
            cm = ix.configmap(ns, name)
            found = next((d.value for d in cm.data if d.key == key), None) if cm else None
            if found is None:
                plan.unsupported.append(f"env {e.name}: ConfigMap {e.ref} is not in the tree")
            else:
                plan.env[e.name] = found
        elif e.source == "secretKeyRef":
            plan.env[e.name] = _placeholder()
            plan.secret_env.add(e.name)
        elif e.source == "resourceFieldRef":
            value = _resource_field(e.ref, c)
            if value is not None:
                plan.env[e.name] = value
        elif e.source == "fieldRef":
            plan.env[e.name] = {
                "metadata.name": f"{w.name}-verify",
                "metadata.namespace": ns or "default",
                "status.podIP": "127.0.0.1",
                "spec.nodeName": "verify-node",
            }.get(e.ref, "")
    if c.command:
        plan.entrypoint = c.command
    if c.args or c.command:
        plan.args = c.args
    volumes = {v.name: v for v in w.volumes}
    for m in c.mounts:
        v = volumes.get(m.name)
        kind = v.kind if v is not None else "missing"
        if kind in ("configMap", "secret") and v is not None:
            files: dict[str, str] = {}
            if kind == "configMap":
                cm = ix.configmap(ns, v.source)
                if cm is None:
                    plan.unsupported.append(
                        f"volume {m.name}: ConfigMap {v.source} is not in the tree"
                    )
                else:
                    files = {d.key: d.value for d in cm.data}
            else:
                plan.unsupported.append(f"volume {m.name}: Secret {v.source} mounted empty")
            plan.files[m.mount_path] = files
        else:
            if kind != "emptyDir":
                plan.unsupported.append(f"volume {m.name} ({kind}) is a tmpfs here")
            plan.tmpfs.append(m.mount_path)
    plan.ports = [p.port for p in c.ports if p.protocol.upper() == "TCP"]
    for p in c.probes:
        chk = _check(p.handler, c, p.span, p.period, p.failure_threshold, p.initial_delay)
        setattr(plan, p.which, chk)
    if c.pre_stop is not None:
        if c.pre_stop.kind == "sleep":
            plan.prestop_sleep = float(c.pre_stop.seconds or 0)
        elif c.pre_stop.kind == "exec":
            plan.prestop_exec = c.pre_stop.command
        else:
            plan.unsupported.append(f"preStop {c.pre_stop.kind} is not run")
    if w.grace is not None:
        plan.grace = w.grace
        plan.grace_span = w.grace_span
    if w.init_containers:
        plan.unsupported.append("init containers are not run")
    return plan


def _resource_field(resource: str, c: Container) -> str | None:
    if resource == "limits.memory":
        mem = c.resources.limit("memory")
        b = memory_bytes(mem) if mem is not None else None
        return str(b) if b is not None else None
    if resource == "limits.cpu":
        cpu = c.resources.limit("cpu")
        total = cpus(cpu) if cpu is not None else float(os.cpu_count() or 1)
        return str(max(1, math.ceil(total or 1)))
    return None


def restricted(name: str, ports: list[int], health: str | None) -> Plan:
    """The run without a workload: non-root, read-only root, 128Mi, the code's ports,
    and its health route as the readiness check (else a TCP check)."""
    plan = Plan(name=name, user=None, read_only=True, memory=DEFAULT_MEMORY)
    plan.run_as_non_root = True
    plan.tmpfs = ["/tmp"]
    plan.ports = list(ports)
    plan.cap_drop = ["ALL"]
    plan.no_new_privileges = True
    if ports:
        plan.readiness = (
            Check("http", ports[0], health, period=1)
            if health
            else Check("tcp", ports[0], period=1)
        )
    return plan
