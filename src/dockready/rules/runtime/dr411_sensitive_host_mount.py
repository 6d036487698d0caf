"""DR411 sensitive-host-mount: hostPath volumes and compose binds of sensitive host paths."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.pod import containers, under
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_SENSITIVE_EXACT = frozenset(
    {
        "/",
        "/etc",
        "/proc",
        "/sys",
        "/dev",
        "/boot",
        "/root",
        "/home",
        "/var/run",
        "/run",
        "/var/lib",
        "/var/lib/docker",
        "/var/lib/containerd",
        "/var/lib/kubelet",
        "/var/lib/etcd",
        "/etc/kubernetes",
        "/run/containerd",
        "/var/run/containerd",
        "/run/crio",
        "/var/run/crio",
    }
)


# Anything below these is sensitive too.
_SENSITIVE_TREES = (
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/etc/kubernetes",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/run/containerd",
    "/var/run/containerd",
    "/run/crio",
    "/var/run/crio",
    "/root",
    "/proc",
)


_RUNTIME_SOCKETS = frozenset(
    {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock"}
)


def _sensitive(host_path: str) -> str | None:
    p = posixpath.normpath(host_path) if host_path else ""
    if p.startswith("//"):
        p = p[1:]
    if not p.startswith("/"):
        return None
    base = posixpath.basename(p)
    if base in _RUNTIME_SOCKETS:
        return "the container runtime socket: full control of every container on the node"
    if p in _SENSITIVE_EXACT:
        return "a host system directory"
    if any(under(p, t) for t in _SENSITIVE_TREES):
        return "node or cluster credentials and state"
    if base.endswith(".sock") and (under(p, "/var/run") or under(p, "/run")):
        return "a host daemon's socket"
    return None


@rule(
    id="DR411",
    name="sensitive-host-mount",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def sensitive_host_mount(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `hostPath` volumes of sensitive host paths: the Docker, containerd or CRI-O
    socket (any `docker.sock`, `containerd.sock`, `crio.sock`...), `/`, `/etc`,
    `/proc`, `/sys`, `/dev`, `/boot`, `/root`, `/home`, `/var/run` and `/run` (and
    any `*.sock` below them), `/var/lib/kubelet`, `/var/lib/docker`,
    `/var/lib/containerd`, `/var/lib/etcd` and `/etc/kubernetes` (and below). The
    finding is on the volume; the mounts that use it are related locations. Compose
    bind mounts of the same paths (`/var/run/docker.sock:/var/run/docker.sock`, or
    `type: bind`) are reported on the `volumes:` entry.
    `readOnly: true` does not make these safe (a socket is still usable, keys still
    readable), so it does not silence the finding. Node agents that really need one
    of these should suppress the finding where they do.

    ## Why is this bad?
    The container runtime socket is root on the node: whoever reaches it starts a
    privileged container. `/etc`, `/root` and the kubelet directory hold node and
    cluster credentials; `/proc` and `/sys` expose the host's processes and kernel
    settings. A compromised service becomes a compromised node.

    ## Example
    ```yaml
    volumes:
      - name: docker
        hostPath:
          path: /var/run/docker.sock
    ```

    ## Use instead
    Do not build or run containers from a pod through the node's daemon; use a
    rootless builder (BuildKit rootless, kaniko) or the Kubernetes API, and mount
    only the files the service needs through a ConfigMap, a Secret or a CSI driver.

    ## Fix safety
    Removing the mount breaks whatever used it; replace that function first.

    ## References
    - [Kubernetes: hostPath](https://kubernetes.io/docs/concepts/storage/volumes/#hostpath)
    - [Pod Security Standards: baseline (HostPath Volumes)](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    """
    ix = ctx.index
    for w in ix.workloads:
        for v in w.volumes:
            if v.kind != "hostPath":
                continue
            why = _sensitive(v.source)
            if why is None:
                continue
            related = tuple(
                Related(m.span, f"mounted at {m.mount_path} in container {c.name}")
                for c in containers(w)
                for m in c.mounts
                if m.name == v.name
            )
            yield Hit(
                v.span,
                f"hostPath volume {v.name} mounts {v.source} from the node: {why}",
                related=related,
            )
    for cs in ix.compose_services:
        for b in cs.binds:
            why = _sensitive(b.source)
            if why is not None:
                yield Hit(
                    b.span,
                    f"compose service {cs.name} mounts {b.source} from the host at "
                    f"{b.target}{' (read-only)' if b.read_only else ''}: {why}",
                )
