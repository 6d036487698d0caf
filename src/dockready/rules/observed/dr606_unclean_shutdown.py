"""DR606 unclean-shutdown: SIGTERM with a request in flight did not end cleanly."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Related, Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(id="DR606", name="unclean-shutdown", severity=Severity.ERROR, reads=(Input.RUNTIME,))
def unclean_shutdown(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Stops the ready container the way the kubelet does: the `preStop` hook (`sleep`
    or `exec`), then SIGTERM, then SIGKILL when the grace period
    (`terminationGracePeriodSeconds`, 30 s by default) is over. One HTTP request is
    in flight when SIGTERM arrives (its headers half sent, finished 0.3 s later).
    Reports a process that does not exit within the grace period less the preStop,
    exits non-zero, or drops the request; the message gives the measured drain time.
    The runtime twin of DR214 and DR406.

    ## Why is this bad?
    Every rollout, scale-in and node drain sends SIGTERM. A service that dies at once
    drops the requests it was serving; one that ignores the signal is killed after
    the grace period, mid-write.

    ## Example
    ```go
    log.Fatal(http.ListenAndServe(":8080", mux))   // no signal handling
    ```

    ## Use instead
    ```go
    ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
    defer stop()
    go srv.ListenAndServe()
    <-ctx.Done()
    shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
    defer cancel()
    srv.Shutdown(shutdown)
    ```

    ## References
    - [Kubernetes: termination of pods](https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination)
    - [net/http: Server.Shutdown](https://pkg.go.dev/net/http#Server.Shutdown)
    """
    obs = observation(ctx)
    if obs is None or obs.drain is None:
        return
    d = obs.drain
    related = (Related(obs.plan.grace_span, "the grace period"),) if obs.plan.grace_span else ()
    problems = []
    if d.seconds is None:
        problems.append(f"it did not exit within {d.allowed:g} s of SIGTERM and was killed")
    elif d.exit_code not in (0, None):
        problems.append(f"it exited with code {d.exit_code} after {d.seconds:.2f} s")
    if d.in_flight == "dropped":
        problems.append("the request in flight got no answer")
    if problems:
        drained = f"{d.seconds:.2f} s" if d.seconds is not None else f"over {d.allowed:g} s"
        yield Hit(
            obs.anchor,
            f"on SIGTERM {'; '.join(problems)} (drain measured: {drained}, allowed "
            f"{d.allowed:g} s after preStop)",
            related=related,
            service=obs.service,
        )
