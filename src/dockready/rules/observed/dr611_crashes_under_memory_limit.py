"""DR611 crashes-under-memory-limit: OOM-killed under the memory limit."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Related, Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR611", name="crashes-under-memory-limit", severity=Severity.ERROR, reads=(Input.RUNTIME,)
)
def crashes_under_memory_limit(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Runs the container under the workload's memory limit (128Mi without a workload),
    at start and through a short, bounded load burst (8 clients on the readiness
    route for 2 s), and reports an OOM kill or a crash during the burst.

    ## Why is this bad?
    The kernel kills the process the moment it crosses the limit: the pod restarts
    under load, exactly when it is needed. Go's garbage collector does not know the
    limit unless `GOMEMLIMIT` says so (DR219).

    ## Example
    ```yaml
    resources: {limits: {memory: 32Mi}}   # and a cache that grows to 100 MB
    ```

    ## Use instead
    Size the limit from measurements, set `GOMEMLIMIT` to about 90 % of it, and bound
    caches.

    ## References
    - [Kubernetes: resource management](https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/)
    - [Go: GOMEMLIMIT](https://go.dev/doc/gc-guide#Memory_limit)
    """
    obs = observation(ctx)
    if obs is None:
        return
    limit = f"{obs.plan.memory / 2**20:.0f}Mi" if obs.plan.memory else "no limit"
    related = (Related(obs.plan.memory_span, "the limit"),) if obs.plan.memory_span else ()
    if obs.oom:
        when = "under the load burst" if obs.oom_when == "load" else "at start"
        yield Hit(
            obs.anchor,
            f"the container was OOM-killed {when} (memory limit {limit})",
            related=related,
            service=obs.service,
        )
    elif obs.oom_when == "load" and obs.exited is not None:
        yield Hit(
            obs.anchor,
            f"the container exited with code {obs.exited} under the load burst (memory "
            f"limit {limit})",
            related=related,
            service=obs.service,
        )
