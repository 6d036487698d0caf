"""A generated Deployment's container, run in Docker the way the kubelet would run it.

:func:`plan` reads the pod template of the (single-container) Deployment and turns
it into ``docker run`` options and the probes and stop timings to apply:

* ``securityContext`` (pod, then container): ``runAsUser``/``runAsGroup`` ->
  ``--user``, ``readOnlyRootFilesystem`` -> ``--read-only``,
  ``allowPrivilegeEscalation: false`` -> ``no-new-privileges``,
  ``capabilities`` -> ``--cap-drop``/``--cap-add``; ``RuntimeDefault`` seccomp is
  Docker's default profile;
* ``resources.limits`` -> ``--memory`` (swap off) and ``--cpus``;
* ``env`` with literal values, or ``resourceFieldRef`` of the limits -> ``--env``;
* ``emptyDir`` volumes -> a tmpfs of the ``sizeLimit`` (mode 1777, as an emptyDir
  is writable by any user);
* ``ports`` -> published on 127.0.0.1 at a free host port;
* HTTP probes by path and (named) port; ``preStop.sleep`` and
  ``terminationGracePeriodSeconds`` for the stop: SIGTERM comes after the preStop
  sleep, SIGKILL at the end of the grace period, so the process has
  ``grace - preStop`` seconds after SIGTERM.

A field it cannot translate is an error, not a silent difference.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

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


class PlanError(ValueError):
    """The manifest asks for something this runner does not translate."""


def memory_bytes(quantity: str) -> int:
    m = _QUANTITY.match(str(quantity))
    if m is None or m.group(2) == "m":
        raise PlanError(f"memory quantity {quantity!r}")
    return int(float(m.group(1)) * _FACTORS[m.group(2)])


def cpus(quantity: str) -> float:
    m = _QUANTITY.match(str(quantity))
    if m is None:
        raise PlanError(f"cpu quantity {quantity!r}")
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "m" else value


def _resource_field(ref: dict[str, Any], limits: dict[str, Any]) -> str:
    """A ``resourceFieldRef`` value as the kubelet computes it: the limit divided by
    the divisor, rounded up; with no limit, the node's allocatable amount (here: this
    machine's CPUs, as the container sees them)."""
    resource = ref.get("resource")
    divisor = str(ref.get("divisor", "1"))
    if resource == "limits.cpu":
        total = cpus(limits["cpu"]) if "cpu" in limits else float(os.cpu_count() or 1)
        return str(max(1, math.ceil(total / cpus(divisor))))
    if resource == "limits.memory" and "memory" in limits:
        return str(math.ceil(memory_bytes(limits["memory"]) / memory_bytes(divisor)))
    raise PlanError(f"resourceFieldRef {resource}")


@dataclass(frozen=True)
class HttpProbe:
    path: str
    port: int


@dataclass
class PodPlan:
    """What to run and how to judge it."""

    name: str
    run_args: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    readiness: HttpProbe | None = None
    liveness: HttpProbe | None = None
    startup: HttpProbe | None = None
    prestop_sleep: int = 0
    grace: int = 30

    @property
    def after_sigterm(self) -> int:
        """Seconds between SIGTERM and SIGKILL."""
        return max(self.grace - self.prestop_sleep, 0)


def _probe(spec: dict[str, Any] | None, ports: dict[str, int]) -> HttpProbe | None:
    if spec is None:
        return None
    http = spec.get("httpGet")
    if http is None:
        raise PlanError(f"only httpGet probes are run here, not {sorted(spec)}")
    port = http["port"]
    if isinstance(port, str):
        if port not in ports:
            raise PlanError(f"probe port {port!r} names no container port")
        port = ports[port]
    return HttpProbe(http.get("path", "/"), int(port))


def deployment_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    found = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Deployment"]
    if len(found) != 1:
        raise PlanError(f"expected one Deployment, found {len(found)}")
    return found[0]


def plan(deployment: dict[str, Any]) -> PodPlan:
    pod = deployment["spec"]["template"]["spec"]
    containers = pod["containers"]
    if len(containers) != 1 or pod.get("initContainers"):
        raise PlanError("only single-container pods are run here")
    c = containers[0]
    out = PodPlan(name=c["name"])
    args = out.run_args

    sec = dict(pod.get("securityContext") or {})
    sec.update(c.get("securityContext") or {})
    if "runAsUser" in sec:
        user = str(sec["runAsUser"])
        if "runAsGroup" in sec:
            user += f":{sec['runAsGroup']}"
        args += ["--user", user]
    if sec.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if sec.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    if sec.get("privileged"):
        args.append("--privileged")
    caps = sec.get("capabilities") or {}
    for cap in caps.get("drop") or []:
        args += ["--cap-drop", str(cap)]
    for cap in caps.get("add") or []:
        args += ["--cap-add", str(cap)]
    seccomp = (sec.get("seccompProfile") or {}).get("type")
    if seccomp not in (None, "RuntimeDefault"):
        raise PlanError(f"seccompProfile {seccomp}")

    limits = (c.get("resources") or {}).get("limits") or {}
    if "memory" in limits:
        mem = memory_bytes(limits["memory"])
        args += ["--memory", str(mem), "--memory-swap", str(mem)]
    if "cpu" in limits:
        args += ["--cpus", f"{cpus(limits['cpu']):g}"]

    for env in c.get("env") or []:
        if "value" in env:
            args += ["--env", f"{env['name']}={env['value']}"]
            continue
        field_ref = (env.get("valueFrom") or {}).get("resourceFieldRef")
        if field_ref is None:
            raise PlanError(f"env {env.get('name')} has no literal value")
        args += ["--env", f"{env['name']}={_resource_field(field_ref, limits)}"]
    if c.get("envFrom"):
        raise PlanError("envFrom is not run here")

    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for mount in c.get("volumeMounts") or []:
        vol = volumes.get(mount["name"])
        if vol is None or "emptyDir" not in vol:
            raise PlanError(f"volume {mount['name']}: only emptyDir volumes are run here")
        opts = ["rw", "mode=1777"]
        size = (vol["emptyDir"] or {}).get("sizeLimit")
        if size is not None:
            opts.append(f"size={memory_bytes(size)}")
        args += ["--tmpfs", f"{mount['mountPath']}:{','.join(opts)}"]

    named: dict[str, int] = {}
    for port in c.get("ports") or []:
        number = int(port["containerPort"])
        out.ports.append(number)
        if "name" in port:
            named[port["name"]] = number
        args += ["--publish", f"127.0.0.1::{number}"]

    out.readiness = _probe(c.get("readinessProbe"), named)
    out.liveness = _probe(c.get("livenessProbe"), named)
    out.startup = _probe(c.get("startupProbe"), named)
    prestop = ((c.get("lifecycle") or {}).get("preStop")) or {}
    if prestop:
        if "sleep" not in prestop:
            raise PlanError(f"preStop {sorted(prestop)}: only sleep is run here")
        out.prestop_sleep = int(prestop["sleep"]["seconds"])
    out.grace = int(pod.get("terminationGracePeriodSeconds", 30))
    return out
