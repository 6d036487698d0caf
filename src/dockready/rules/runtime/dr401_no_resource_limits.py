"""DR401 no-resource-limits: Finds workload containers (every kind, Jobs included) that do not set a memory request, a memory..."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.probes import app_containers, join_words
from dockready.facts.index import ProjectIndex
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _limit_ranges(ix: ProjectIndex) -> frozenset[str]:
    return frozenset(o.namespace for o in ix.others if o.kind == "LimitRange")


@rule(
    id="DR401",
    name="no-resource-limits",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def no_resource_limits(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds workload containers (every kind, Jobs included) that do not set a memory
    request, a memory limit and a CPU request. One finding per container names what
    is missing; it points at `resources:` when the block exists, else at the
    container.

    A CPU limit is not required (CPU is throttled, not killed, and a CPU limit on a
    Go service mostly adds latency). A request that is not set but whose limit is
    counts as set: Kubernetes copies the limit into the request (a container with
    memory and CPU limits and no requests is not reported; one with only a memory
    limit is reported for its CPU request). Containers in a namespace that has a
    `LimitRange` in the tree are skipped: the LimitRange fills in the defaults.

    ## Why is this bad?
    Without requests the scheduler places the pod as if it needed nothing, so nodes
    are over-committed and the pod is the first one evicted (`BestEffort`). Without a
    memory limit a leak grows until the node runs out of memory and the kernel kills
    whatever it picks, not just the leaking pod. The Go runtime also needs a limit to
    size itself (`GOMEMLIMIT`, `GOMAXPROCS`).

    ## Example
    ```yaml
    containers:
      - name: orderservice
        image: registry.example.com/orderservice:1.4.2
    ```

    ## Use instead
    ```yaml
    containers:
      - name: orderservice
        image: registry.example.com/orderservice:1.4.2
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: {memory: 256Mi}
        env:
          - name: GOMEMLIMIT
            value: 230MiB
    ```

    ## Fix safety
    The numbers come from measurement (load tests, the pod's metrics); a limit that
    is too low turns into OOM kills.

    ## References
    - [Kubernetes: Resource management for pods and containers](https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/)
    - [Kubernetes: Pod quality of service classes](https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/)
    """
    ix = ctx.index
    defaulted = _limit_ranges(ix)
    for w, c in app_containers(ix):
        if w.namespace in defaulted:
            continue
        res = c.resources
        mem_limit = res.limit("memory")
        # Kubernetes copies a limit into the request when only the limit is set.
        mem_request = res.request("memory") or mem_limit
        cpu_request = res.request("cpu") or res.limit("cpu")
        missing = [
            label
            for label, value in (
                ("memory request", mem_request),
                ("memory limit", mem_limit),
                ("CPU request", cpu_request),
            )
            if not value
        ]
        if not missing:
            continue
        if res.span is None:
            what = f"sets no resources (no {join_words(missing, 'or')})"
            why = ["it is scheduled as if it needed nothing"]
        else:
            copied = [
                f"the {kind} request defaults to its {kind} limit"
                for kind in ("memory", "CPU")
                if not res.request(kind.lower()) and res.limit(kind.lower())
            ]
            what = f"has no {join_words(missing, 'or')}"
            if copied:
                what += f" ({join_words(copied)})"
            why = []
            unreserved = [k for k, v in (("memory", mem_request), ("CPU", cpu_request)) if not v]
            if len(unreserved) == 2:
                why.append("it is scheduled as if it needed nothing")
            elif unreserved:
                why.append(f"it is scheduled as if it needed no {unreserved[0]}")
        if "memory limit" in missing:
            why.append("a leak can take the node's memory")
        msg = f"container {c.name} {what}: {' and '.join(why)}"
        yield Hit(res.span or c.span, msg)
