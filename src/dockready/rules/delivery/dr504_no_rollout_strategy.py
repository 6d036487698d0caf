"""DR504 no-rollout-strategy: a served Deployment leaves its rolling-update bounds implicit."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, option, rule
from dockready.schema import Number


def _default_down(replicas: int | None) -> str:
    """What the default ``maxUnavailable: 25%`` allows, in pods, when replicas are known."""
    if replicas is None:
        return " (an autoscaler sets the replica count)"
    down = math.floor(replicas * 0.25)
    if down == 0:
        return f" (at {replicas} replica(s) none yet, but the bound grows with the count)"
    return f" (at {replicas} replicas: {down} pod(s) at once)"


@dataclass(frozen=True, slots=True)
class MinReplicas:
    min_replicas: int = option(
        4,
        Number(minimum=1),
        "judge Deployments with at least this many replicas (or an autoscaler); at "
        "fewer than 4 the default 25% rounds down to no pod",
    )


@rule(
    id="DR504",
    name="no-rollout-strategy",
    severity=Severity.INFO,
    reads=(Input.K8S,),
    options=MinReplicas,
)
def no_rollout_strategy(ctx: Context[MinReplicas]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Deployments that serve traffic (a container declares a `containerPort`, or
    a Service selects the pods) and do not state how a rollout may take capacity
    away: no `strategy.rollingUpdate.maxUnavailable`, and not `strategy.type:
    Recreate` (which is an explicit choice). Reported on the `strategy:` line when
    there is one (a `rollingUpdate` with only `maxSurge`), else on the `kind:` line.

    Decisions: only `maxUnavailable` makes the bounds explicit, since it is the one
    that decides how much serving capacity a rollout removes; `maxSurge` alone does
    not. Only Deployments where the default takes pods down are judged: at least 4
    replicas (`min-replicas`), or a HorizontalPodAutoscaler targeting it (the count
    then changes without review). Below 4 replicas the default 25% rounds down to
    no pod, and the rollout only surges: a finding there would name no harm
    (`[rules.DR504] min-replicas = 1` reports those too). A Deployment that an Argo
    Rollout runs through `workloadRef` is not judged (the Rollout's strategy
    applies).

    ## Why is this bad?
    The defaults (`maxUnavailable: 25%`, `maxSurge: 25%`) let a rollout take a
    quarter of the pods (rounded down) out of service before their replacements are
    ready: at 4 replicas one pod, at 8 two, during peak traffic too. Whether that is
    acceptable is a decision about the service's capacity, and it belongs in the
    manifest where it is reviewed, not in a default.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 4
      template: ...
    ```

    ## Use instead
    ```yaml
    kind: Deployment
    spec:
      replicas: 4
      strategy:
        type: RollingUpdate
        rollingUpdate:
          maxUnavailable: 0   # never below 4 ready pods
          maxSurge: 1
    ```

    ## Fix safety
    `maxUnavailable: 0` needs room for the surge pods (quota, node capacity); with
    `maxSurge: 0` too, Kubernetes refuses the Deployment.

    ## References
    - [Kubernetes: Deployment strategy, rolling update](https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment)
    """
    ix = ctx.index
    services = list(ix.kservices)
    scaled = {(o.namespace, o.target) for o in ix.others if o.kind == "HorizontalPodAutoscaler"}
    run_by_rollout = {
        (r.namespace, r.workload_ref)
        for r in ix.workloads
        if r.kind == "Rollout" and r.workload_ref
    }
    for w in ix.workloads:
        if w.kind != "Deployment":
            continue
        ref = (w.namespace, f"Deployment/{w.name}")
        if ref in run_by_rollout:
            continue
        if w.max_unavailable is not None or w.strategy_type == "Recreate":
            continue
        replicas = None if ref in scaled else (1 if w.replicas is None else w.replicas)
        if replicas is not None and replicas < max(ctx.options.min_replicas, 1):
            continue
        served = any(p for c in w.containers for p in c.ports) or any(
            s.selects(w) for s in services
        )
        if not served:
            continue
        yield Hit(
            w.strategy_span or w.span,
            f"Deployment {w.name} has no explicit rollingUpdate.maxUnavailable: a "
            "rollout may take the default 25% of its pods out of service before their "
            f"replacements are ready{_default_down(replicas)}; state maxUnavailable (and "
            "maxSurge), or type: Recreate",
        )
