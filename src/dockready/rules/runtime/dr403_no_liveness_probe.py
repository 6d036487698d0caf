"""DR403 no-liveness-probe: Finds containers of long-running workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet,..."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.probes import long_running
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR403",
    name="no-liveness-probe",
    severity=Severity.INFO,
    reads=(Input.K8S,),
)
def no_liveness_probe(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds containers of long-running workloads (Deployment, StatefulSet, DaemonSet,
    ReplicaSet, ReplicationController, Pod) without a `livenessProbe`. Workers are
    included: a stuck consumer needs a restart as much as a stuck server. Jobs and
    CronJobs are skipped (use `activeDeadlineSeconds` there).

    ## Why is this bad?
    A process that deadlocks or wedges without exiting keeps its pod `Running`
    forever: Kubernetes only restarts containers that exit or fail their liveness
    probe.

    ## Example
    ```yaml
    containers:
      - name: orderservice
        readinessProbe:
          httpGet: {path: /readyz, port: http}
    ```

    ## Use instead
    ```yaml
    containers:
      - name: orderservice
        readinessProbe:
          httpGet: {path: /readyz, port: http}
        livenessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 10
          failureThreshold: 3
    ```

    ## Fix safety
    A liveness probe must only check the process itself (see DR418): one that checks
    a database restarts every pod when the database is down.

    ## References
    - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    """
    ix = ctx.index
    for _w, c in long_running(ix):
        if c.probe("liveness") is None:
            yield Hit(
                c.span,
                f"container {c.name} has no livenessProbe: a deadlocked process is never restarted",
            )
