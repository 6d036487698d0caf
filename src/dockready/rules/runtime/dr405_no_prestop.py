"""DR405 no-prestop: Finds a served container with no `lifecycle.preStop` hook."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.probes import long_running
from dockready.facts.derived.runtime import is_served
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR405",
    name="no-prestop",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def no_prestop(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a served container with no `lifecycle.preStop` hook. Served means it
    declares `ports`, or a Service selects its pod and it is the pod's only
    container. Jobs and CronJobs are skipped, and so are Knative Services (Knative
    adds a `preStop` hook that waits for its queue-proxy to drain).

    ## Why is this bad?
    On deletion the kubelet sends SIGTERM at the same time as the endpoint
    controller removes the pod from the Service; kube-proxy, ingress controllers and
    service meshes learn it seconds later. A process that stops accepting at SIGTERM
    refuses the requests still routed to it. A short `preStop` sleep keeps it serving
    until the rest of the cluster has stopped sending.

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
          - containerPort: 8080
        lifecycle:
          preStop:
            sleep: {seconds: 5}   # Kubernetes >= 1.30; else exec sleep, if the image has it
    ```

    ## Fix safety
    The sleep counts against `terminationGracePeriodSeconds` (DR406). `exec` hooks need
    the binary in the image (DR422).

    ## References
    - [Kubernetes: Container lifecycle hooks](https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/)
    - [Kubernetes: Termination of pods](https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination)
    """
    ix = ctx.index
    for w, c in long_running(ix):
        if c.pre_stop is None and not w.knative and is_served(ix, w, c):
            yield Hit(
                c.span,
                f"container {c.name} has no preStop hook: it gets SIGTERM while still in the "
                "Service endpoints, and requests routed to it in the next seconds fail",
            )
