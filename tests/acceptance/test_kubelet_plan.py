"""The translation of a generated Deployment into ``docker run`` options (no engine
needed): every field the acceptance run relies on, and refusals for what it cannot
translate."""

from __future__ import annotations

import copy
import itertools
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from .kubelet import HttpProbe, PlanError, cpus, deployment_of, memory_bytes, plan

GOLDEN = Path(__file__).parents[1] / "generate" / "golden" / "k8s"


def orderservice() -> dict[str, Any]:
    return deployment_of(list(yaml.safe_load_all((GOLDEN / "orderservice.yaml").read_text())))


def _pairs(args: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in itertools.pairwise(args) if a.startswith("--")]


def test_generated_deployment() -> None:
    p = plan(orderservice())
    pairs = _pairs(p.run_args)
    assert ("--user", "65532:65532") in pairs
    assert "--read-only" in p.run_args
    assert ("--security-opt", "no-new-privileges") in pairs
    assert ("--cap-drop", "ALL") in pairs
    assert ("--memory", str(256 * 1024**2)) in pairs
    assert ("--memory-swap", str(256 * 1024**2)) in pairs
    assert ("--env", "GOMEMLIMIT=230MiB") in pairs
    assert ("--tmpfs", f"/tmp:rw,mode=1777,size={64 * 1024**2}") in pairs
    assert ("--publish", f"127.0.0.1::{p.ports[0]}") in pairs
    assert p.readiness == HttpProbe("/readyz", p.ports[0])
    assert p.liveness == HttpProbe("/healthz", p.ports[0])
    assert p.prestop_sleep == 5
    assert p.after_sigterm == p.grace - 5


def test_container_security_context_overrides_the_pod() -> None:
    d = orderservice()
    pod = d["spec"]["template"]["spec"]
    pod["containers"][0]["securityContext"]["runAsUser"] = 1000
    assert ("--user", "1000:65532") in _pairs(plan(d).run_args)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("volumes", 0), {"name": "tmp", "configMap": {"name": "x"}}, "only emptyDir"),
        (("containers", 0, "livenessProbe"), {"exec": {"command": ["true"]}}, "only httpGet"),
        (
            ("containers", 0, "lifecycle"),
            {"preStop": {"exec": {"command": ["sleep", "5"]}}},
            "only sleep",
        ),
        (("containers", 0, "env", 0), {"name": "X", "valueFrom": {}}, "no literal value"),
    ],
)
def test_what_it_cannot_run_is_an_error(path: tuple[Any, ...], value: object, message: str) -> None:
    d = copy.deepcopy(orderservice())
    node: Any = d["spec"]["template"]["spec"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(PlanError, match=message):
        plan(d)


def test_quantities() -> None:
    assert memory_bytes("256Mi") == 268435456
    assert memory_bytes("1G") == 10**9
    assert memory_bytes("512") == 512
    assert cpus("250m") == 0.25
    assert cpus("2") == 2.0
    with pytest.raises(PlanError):
        memory_bytes("lots")


def test_gomaxprocs_from_the_cpu_limit() -> None:
    # The generated manifest (go 1.22) sets GOMAXPROCS from limits.cpu; with no CPU
    # limit the kubelet gives the node's CPUs, with one its value rounded up.
    d = orderservice()
    assert ("--env", f"GOMAXPROCS={os.cpu_count()}") in _pairs(plan(d).run_args)
    d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1500m"
    pairs = _pairs(plan(d).run_args)
    assert ("--env", "GOMAXPROCS=2") in pairs and ("--cpus", "1.5") in pairs
