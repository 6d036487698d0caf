"""DR608 fails-read-only-root: the service fails when the root filesystem is read-only."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Related, Severity
from dockready.rules.observed._common import log_excerpt, observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(id="DR608", name="fails-read-only-root", severity=Severity.ERROR, reads=(Input.RUNTIME,))
def fails_read_only_root(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    When the container runs with a read-only root (`readOnlyRootFilesystem: true`, or
    the restricted default) and exits before it is ready, runs it again with a
    writable root. If it then stays up, the read-only root is what broke it, and
    `docker diff` names the path it wrote. The runtime twin of DR409.

    ## Why is this bad?
    A read-only root is the single most effective hardening of a container, and the
    `restricted` profile many platforms enforce. A service that writes to its image
    (a log directory, a PID file, a cache) crash-loops under it.

    ## Example
    ```go
    os.MkdirAll("runtime/logs", 0o755)   // in the image's working directory
    ```

    ## Use instead
    Write under `/tmp` or a mounted `emptyDir`, and mount one where the path is fixed:
    ```yaml
    volumeMounts: [{name: logs, mountPath: /runtime/logs}]
    volumes: [{name: logs, emptyDir: {}}]
    ```

    ## References
    - [Kubernetes: security context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    """
    obs = observation(ctx)
    if obs is None or not obs.readonly_failed:
        return
    path = f": it wrote {obs.readonly_write}" if obs.readonly_write else ""
    related = (
        (Related(obs.plan.read_only_span, "readOnlyRootFilesystem"),)
        if obs.plan.read_only_span
        else ()
    )
    yield Hit(
        obs.anchor,
        f"the container exits under a read-only root (code {obs.exited}) and runs with a "
        f"writable one{path}; mount an emptyDir there (log: {log_excerpt(obs, 3)})",
        related=related,
        service=obs.service,
    )
