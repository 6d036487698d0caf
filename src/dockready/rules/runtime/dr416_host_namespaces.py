"""DR416 host-namespaces: pods and compose services that share the node's namespaces."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR416",
    name="host-namespaces",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def host_namespaces(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds pods that share the node's namespaces: `hostNetwork: true`, `hostPID:
    true` or `hostIPC: true`, and compose services with `network_mode: host` or
    `pid: host`. One finding per workload or compose service names all of them.

    ## Why is this bad?
    With the host network a pod binds the node's ports (two replicas on one node
    collide), bypasses NetworkPolicies and reaches every local service of the node;
    with the host PID or IPC namespace it sees and signals the node's processes and
    reads their shared memory. Service discovery also breaks: `localhost` is now the
    node (seed 4.3). Node agents (CNI, monitoring DaemonSets) that need it should
    suppress the finding where they do.

    ## Example
    ```yaml
    spec:
      hostNetwork: true
    ```

    ## Use instead
    Use the pod network and a Service (`hostPort` or a NodePort Service when a node
    port is really needed).

    ## Fix safety
    Clients that reached the pod through the node's IP must switch to the Service.

    ## References
    - [Pod Security Standards: baseline (Host Namespaces)](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    - [Compose: network_mode](https://docs.docker.com/reference/compose-file/services/#network_mode)
    """
    ix = ctx.index
    for w in ix.workloads:
        shared = [
            name
            for name, on in (
                ("hostNetwork", w.host_network),
                ("hostPID", w.host_pid),
                ("hostIPC", w.host_ipc),
            )
            if on
        ]
        if shared:
            yield Hit(
                w.host_span or w.span,
                f"{w.kind} {w.name} shares the node's namespaces: {', '.join(shared)}",
            )
    for s in ix.compose_services:
        modes = [
            f"{key}: host"
            for key, val in (("network_mode", s.network_mode), ("pid", s.pid))
            if val == "host"
        ]
        if modes:
            yield Hit(
                s.mode_span or s.span,
                f"compose service {s.name} shares the host's namespaces: {', '.join(modes)}",
            )
