"""DR408 writable-root-filesystem: Kubernetes containers without readOnlyRootFilesystem: true."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR408",
    name="writable-root-filesystem",
    severity=Severity.INFO,
    reads=(Input.K8S,),
)
def writable_root_filesystem(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes containers (not init containers) whose `securityContext` does
    not set `readOnlyRootFilesystem: true`. The finding is on the container's
    `readOnlyRootFilesystem` when it is set to `false`, else on the container.

    Writes the code makes under a read-only root are DR409's; this rule only asks
    for the setting.

    ## Why is this bad?
    A writable root filesystem lets an attacker who gets code execution drop tools
    and binaries into the image's directories and keep them until the pod goes, and
    lets a bug fill the node's ephemeral storage with files nobody knows about. A Go
    service needs no writable root: its binary and files are read-only inputs, and
    its temp files belong on an `emptyDir`.

    ## Example
    ```yaml
    securityContext:
      allowPrivilegeEscalation: false
    ```

    ## Use instead
    ```yaml
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
    volumeMounts:
      - name: tmp
        mountPath: /tmp
    ```
    with an `emptyDir` volume for `/tmp` (and for any directory the code writes:
    DR409 names them).

    ## Fix safety
    Needs review: a service that writes under the root fails with 'read-only file
    system' until each directory it writes gets a volume.

    ## References
    - [Kubernetes: Configure a Security Context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    - [CIS Kubernetes Benchmark 5.7.x: immutable container filesystems](https://www.cisecurity.org/benchmark/kubernetes)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in w.containers:
            sec = c.security
            if sec.read_only_root is True:
                continue
            said = "is false" if sec.read_only_root is False else "is not set"
            yield Hit(
                sec.span_of("read_only_root") or c.span,
                f"container {c.name}: readOnlyRootFilesystem {said}: the image's files can "
                "be changed at run time; set it to true and mount an emptyDir where the "
                "code writes",
            )
