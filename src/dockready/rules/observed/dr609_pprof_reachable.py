"""DR609 pprof-reachable: /debug/pprof/ answers on a published port."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR609",
    name="pprof-reachable",
    severity=Severity.ERROR,
    reads=(Input.RUNTIME,),
    tags=(Tag.SECURITY,),
)
def pprof_reachable(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Once the container is ready, asks `GET /debug/pprof/` on every port the
    container publishes (the workload's `containerPort`s, or the code's ports) and
    reports an answer of 200 with pprof's index (the profiles it lists, not a
    catch-all route's page): the runtime twin of DR213.

    ## Why is this bad?
    pprof hands anyone who reaches the port heap dumps (with whatever secrets are in
    memory), goroutine stacks and CPU profiles that pin a core for 30 s: a data leak
    and a denial of service on the port the Service and the Ingress expose.

    ## Example
    ```go
    import _ "net/http/pprof"
    http.ListenAndServe(":8080", nil)
    ```

    ## Use instead
    Serve pprof on a separate listener bound to `127.0.0.1`, reached with
    `kubectl port-forward`.

    ## References
    - [net/http/pprof](https://pkg.go.dev/net/http/pprof)
    """
    obs = observation(ctx)
    if obs is None or not obs.pprof_ports:
        return
    ports = ", ".join(map(str, obs.pprof_ports))
    yield Hit(
        obs.anchor,
        f"GET /debug/pprof/ answers 200 on port {ports}: heap dumps and CPU profiles for "
        "anyone who reaches the Service",
        service=obs.service,
    )
