"""DR406 grace-period-too-short: Compares a workload's `terminationGracePeriodSeconds` (30 when unset) with what a container needs..."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.runtime import drain_timeout, services_of, sleep_seconds
from dockready.facts.go import Shutdown
from dockready.facts.index import ProjectIndex
from dockready.facts.k8s import Container, Workload
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, option, rule
from dockready.schema import Number


def _secs(x: float) -> str:
    return f"{int(x)} s" if x == int(x) else f"{x:g} s"


@dataclass(frozen=True, slots=True)
class _Budget:
    container: Container
    pre_stop: float | None
    drain: Shutdown | None

    @property
    def total(self) -> float:
        d = self.drain.timeout if self.drain is not None else None
        return (self.pre_stop or 0.0) + (d or 0.0)


def _budget(ix: ProjectIndex, w: Workload, c: Container) -> _Budget:
    drains = [d for s in services_of(ix, w, c) if (d := drain_timeout(s)) is not None]
    drain = max(drains, key=lambda d: d.timeout or 0.0, default=None)
    return _Budget(c, sleep_seconds(c.pre_stop), drain)


@dataclass(frozen=True, slots=True)
class GraceMargin:
    margin: float = option(
        0,
        Number(minimum=0),
        "seconds the grace period must exceed the preStop sleep plus the drain",
    )


@rule(
    id="DR406",
    name="grace-period-too-short",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
    options=GraceMargin,
)
def grace_period_too_short(ctx: Context[GraceMargin]) -> Iterator[Hit]:
    """
    ## What it does
    Compares a workload's `terminationGracePeriodSeconds` (30 when unset) with what a
    container needs to stop: its `preStop` sleep (`sleep.seconds`, or the `sleep N`
    of an `exec` hook) plus the drain timeout of the code it runs (the longest
    `Server.Shutdown` context deadline, joined through the image). It reports when
    the grace period is less than or equal to the sum, once per workload (every
    kind), for its neediest container.

    Equality is reported: SIGKILL comes exactly at the deadline, so a drain that
    uses its whole timeout is cut. With no known drain timeout the preStop sleep is
    compared alone; with neither, nothing is reported (DR214 covers a service with
    no graceful shutdown).

    Option: `[rules.DR406] margin = 5` asks for that many more seconds of grace
    (log flushing, slow SIGKILL delivery under load).

    ## Why is this bad?
    The grace period covers the preStop hook and the shutdown together. When it runs
    out the kubelet sends SIGKILL: in-flight requests are cut and deferred cleanup
    (flushing, closing connections, committing offsets) never runs.

    ## Example
    ```yaml
    terminationGracePeriodSeconds: 20
    containers:
      - lifecycle:
          preStop:
            sleep: {seconds: 5}
    ```
    ```go
    ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
    srv.Shutdown(ctx)
    ```

    ## Use instead
    ```yaml
    terminationGracePeriodSeconds: 40   # > 5 s preStop + 20 s drain, with a margin
    ```

    ## Fix safety
    A longer grace period only makes stops slower when the process needs the time.

    ## References
    - [Kubernetes: Termination of pods](https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination)
    - [net/http: Server.Shutdown](https://pkg.go.dev/net/http#Server.Shutdown)
    """
    ix = ctx.index
    for w in ix.workloads:
        budgets = [
            b
            for c in w.containers
            if not c.init
            and ((b := _budget(ix, w, c)).pre_stop is not None or b.drain is not None)
            and b.total > 0
        ]
        if not budgets:
            continue
        worst = max(budgets, key=lambda b: b.total)
        grace = w.grace_seconds
        margin = float(ctx.options.margin)
        if grace > worst.total + margin:
            continue
        parts: list[str] = []
        related: list[Related] = []
        hook = worst.container.pre_stop
        if worst.pre_stop is not None and hook is not None:
            parts.append(f"preStop sleep {_secs(worst.pre_stop)}")
            related.append(Related(hook.span, f"preStop sleeps {_secs(worst.pre_stop)}"))
        if worst.drain is not None and worst.drain.timeout is not None:
            parts.append(f"Shutdown timeout {_secs(worst.drain.timeout)}")
            related.append(
                Related(worst.drain.span, f"Shutdown drains for up to {_secs(worst.drain.timeout)}")
            )
        if margin:
            parts.append(f"margin {_secs(margin)}")
        total = worst.total + margin
        sum_text = " + ".join(parts) + (f" = {_secs(total)}" if len(parts) > 1 else "")
        setting = (
            f"terminationGracePeriodSeconds {grace}"
            if w.grace is not None
            else "the default terminationGracePeriodSeconds (30)"
        )
        yield Hit(
            w.grace_span or w.span,
            f"{setting} ≤ {sum_text} for container {worst.container.name}: SIGKILL cuts the drain",
            related=tuple(related),
        )
