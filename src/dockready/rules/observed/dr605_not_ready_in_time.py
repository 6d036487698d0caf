"""DR605 not-ready-in-time: readiness did not pass within the startup budget."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Related, Severity
from dockready.rules.observed._common import log_excerpt, observation, where_run
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(id="DR605", name="not-ready-in-time", severity=Severity.ERROR, reads=(Input.RUNTIME,))
def not_ready_in_time(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Starts the container and runs its readiness check (the manifest's probe:
    `httpGet`, `tcpSocket`, `grpc` as a TCP check, `exec`; without a workload, the
    code's health route or a TCP check on its port) until it passes, within the
    startup budget: the startup probe's `initialDelaySeconds + periodSeconds ×
    failureThreshold`, else the liveness probe's, else 30 s (capped by
    `--timeout`). A container that exits before that is reported with its exit code
    and the last lines of its log; so is a worker (nothing to probe) that exits with
    a non-zero code at start.

    ## Why is this bad?
    A pod that is not ready in time is restarted by its liveness probe before it
    ever serves, and a rollout waits for it forever: the classic crash loop after a
    migration (a config file missing, a database it cannot reach, a port it does not
    listen on).

    ## Example
    A service that listens on `:8081` while the probe asks `:8080`; a service that
    exits because `conf/app.ini` is not in the image.

    ## Use instead
    Fix what the log says; make the probe ask the port and path the code serves.

    ## References
    - [Kubernetes: configure probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    """
    obs = observation(ctx)
    if obs is None or not obs.started or obs.ready is not False or obs.oom:
        return
    chk = obs.plan.readiness or obs.plan.startup or obs.plan.liveness
    related = (Related(chk.span, "the probe"),) if chk is not None and chk.span else ()
    if obs.exited is not None:
        when = "before it was ready" if chk is not None or obs.plan.ports else "at start"
        yield Hit(
            obs.anchor,
            f"the container exited with code {obs.exited} {when} "
            f"({where_run(obs)}); log: {log_excerpt(obs)}",
            related=related,
            service=obs.service,
        )
        return
    what = (
        f"{chk.kind} check on port {chk.port}{' ' + chk.path if chk.kind == 'http' else ''}"
        if chk is not None
        else "no readiness check"
    )
    yield Hit(
        obs.anchor,
        f"not ready within {obs.budget:.0f} s ({what}, {where_run(obs)}); log: {log_excerpt(obs)}",
        related=related,
        service=obs.service,
    )
