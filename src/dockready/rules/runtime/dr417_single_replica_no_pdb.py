"""DR417 single-replica-no-pdb: served workloads with one replica or no PodDisruptionBudget."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_REPLICATED = frozenset({"Deployment", "StatefulSet", "Rollout", "DeploymentConfig"})


@rule(
    id="DR417",
    name="single-replica-no-pdb",
    severity=Severity.INFO,
    reads=(Input.K8S,),
)
def single_replica_no_pdb(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Deployments and StatefulSets that a Service routes to (a served workload)
    and that run one replica (`replicas: 1`, or unset, which is 1, with no
    HorizontalPodAutoscaler targeting the workload), or that no
    PodDisruptionBudget in their namespace selects. One finding per workload, on its
    `replicas:` line (else its `kind:` line), says which. Argo Rollouts and OpenShift
    DeploymentConfigs are judged like Deployments; a Deployment that an Argo
    Rollout runs through `workloadRef` is judged with the Rollout's `replicas` (and
    an autoscaler of either), and reported there.

    ## Why is this bad?
    With one replica every rollout, node drain, eviction and crash is an outage of
    the service. Without a PodDisruptionBudget a node drain (cluster upgrades,
    autoscaler scale-down) may evict every replica at once, however many there are.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 1
    ```

    ## Use instead
    ```yaml
    kind: Deployment
    spec:
      replicas: 2
    ---
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    spec:
      minAvailable: 1
      selector:
        matchLabels:
          app.kubernetes.io/name: orderservice
    ```

    ## Fix safety
    Safe for a stateless service; a service that assumes it is alone (in-memory
    state, a scheduler, a leader without election) needs that fixed first.

    ## References
    - [Kubernetes: Specifying a Disruption Budget](https://kubernetes.io/docs/tasks/run-application/configure-pdb/)
    - [Kubernetes: Disruptions](https://kubernetes.io/docs/concepts/workloads/pods/disruptions/)
    """
    ix = ctx.index
    others = list(ix.others)
    # an Argo Rollout with a workloadRef runs the pods of the workload it names
    runs = {(r.namespace, r.workload_ref): r for r in ix.workloads if r.workload_ref}
    for w in ix.workloads:
        if w.kind not in _REPLICATED or not ix.selecting(w):
            continue
        owner = runs.get((w.namespace, f"{w.kind}/{w.name}"))
        sized = owner or w
        labels = dict(w.labels)
        scaled = any(
            o.kind == "HorizontalPodAutoscaler"
            and o.namespace == w.namespace
            and o.target in (f"{w.kind}/{w.name}", f"{sized.kind}/{sized.name}")
            for o in others
        )
        budget = any(
            o.kind == "PodDisruptionBudget"
            and o.namespace == w.namespace
            and o.selector
            and all(labels.get(k) == v for k, v in o.selector)
            for o in others
        )
        problems = []
        if not scaled and (sized.replicas is None or sized.replicas <= 1):
            unset = " (replicas is unset)" if sized.replicas is None else ""
            problems.append(f"runs one replica{unset}: every rollout, drain or crash is an outage")
        if not budget:
            problems.append(
                "no PodDisruptionBudget selects its pods: a node drain may evict them all at once"
            )
        if problems:
            via = f" (run by Rollout {owner.name})" if owner is not None else ""
            yield Hit(
                sized.replicas_span or sized.span,
                f"{w.kind} {w.name}{via}: " + "; ".join(problems),
            )
