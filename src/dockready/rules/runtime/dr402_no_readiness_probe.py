"""DR402 no-readiness-probe: Finds a container that receives traffic and has no `readinessProbe`."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.http import ops_only
from dockready.facts.derived.probes import long_running
from dockready.facts.derived.runtime import (
    bound_listeners,
    is_served,
    services_of,
    workload_runtime,
)
from dockready.facts.index import Deployment, ProjectIndex
from dockready.facts.k8s import Container, Workload
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _serves(ix: ProjectIndex, w: Workload, c: Container) -> bool:
    """Traffic reaches the container: it declares ports, a Service selects its pod, or
    the code of the service it runs listens."""
    if is_served(ix, w, c):
        return True
    return any(
        bound_listeners(s, workload_runtime(ix, s, Deployment(w, c)))
        and not ops_only(list(s.files))
        for s in services_of(ix, w, c)
    )


@rule(
    id="DR402",
    name="no-readiness-probe",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def no_readiness_probe(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a container that receives traffic and has no `readinessProbe`. A container
    receives traffic when it declares `ports`, when a Service selects its pod (and it
    is the pod's only container), or when the code of the service it runs listens
    (a listener that serves only operations routes, `/metrics` or `/debug/...`, is
    not traffic).

    Workers (no ports, no Service, no listener in their code) are not reported, and
    neither are Jobs and CronJobs, nor Knative Services (Knative probes the
    container's port over TCP when no readiness probe is given).

    ## Why is this bad?
    Without a readiness probe the pod is added to the Service endpoints as soon as the
    process starts, before it has connected to its database or warmed its caches, and
    it stays there while it is overloaded or shutting down. Rollouts then send
    requests to pods that cannot serve them.

    ## Example
    ```yaml
    containers:
      - name: orderservice
        ports:
          - containerPort: 8080
    ```

    ## Use instead
    ```yaml
    containers:
      - name: orderservice
        ports:
          - name: http
            containerPort: 8080
        readinessProbe:
          httpGet: {path: /readyz, port: http}
          periodSeconds: 5
    ```

    ## Fix safety
    The endpoint must exist in the code (see DR404) and should check what the pod
    needs to serve, not every dependency.

    ## References
    - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    """
    ix = ctx.index
    for w, c in long_running(ix):
        if c.probe("readiness") is None and not w.knative and _serves(ix, w, c):
            yield Hit(
                c.span,
                f"container {c.name} receives traffic but has no readinessProbe: it is sent "
                "requests before it can serve them",
            )
