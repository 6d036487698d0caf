"""DR407 runs-as-root-in-pod: Finds a workload container whose `securityContext` (its own, or the pod's) sets neither..."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import effective_user
from dockready.facts.derived.probes import app_containers
from dockready.facts.derived.runtime import services_of
from dockready.facts.images import lookup
from dockready.facts.index import ProjectIndex
from dockready.facts.k8s import Container, Workload
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


def _image_user(ix: ProjectIndex, w: Workload, c: Container) -> tuple[str, Related | None] | None:
    """Why the image may run as root (text, the Dockerfile line); None when it does not."""
    builds = [b for s in services_of(ix, w, c) for b in s.builds]
    if not builds:
        info = lookup(c.image)
        if info is not None and not info.image.user_is_root:
            return None
        if info is not None:
            return f"the image {c.image} runs as {info.image.user}", None
        return "nothing shows the image runs as a non-root user", None
    for b in builds:
        u = effective_user(b)
        base = b.dockerfile.lineage(b.final)[-1]
        if u is None:
            return (
                f"the image's user is unknown (no USER, base {base.base_resolved})",
                Related(base.span, f"FROM {base.base_resolved}"),
            )
        if u.is_root is not False:
            if u.span is not None:
                return f"the image runs as {u.name}", Related(u.span, f"USER {u.name}")
            return (
                f"the image runs as root (no USER on {base.base_resolved})",
                Related(base.span, f"FROM {base.base_resolved}: runs as {u.name}"),
            )
    return None


@rule(
    id="DR407",
    name="runs-as-root-in-pod",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
    tags=(Tag.SECURITY,),
)
def runs_as_root_in_pod(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a workload container whose `securityContext` (its own, or the pod's) sets
    neither `runAsNonRoot: true` nor a non-zero `runAsUser`, while the image may run
    as root: the Dockerfile that builds it has no `USER` on a root base, or `USER
    root`/`0`. When the container is not joined to a Dockerfile, the image is looked
    up by name; an image we know nothing about is reported, because then nothing
    guarantees a non-root user. `runAsUser: 0` is always reported. Every workload kind
    is checked, Jobs included (init containers are not).

    ## Why is this bad?
    A process running as root that is compromised (or just buggy) can write anywhere
    in the container, and a container escape starts as root on the node. Setting the
    user in the pod makes the guarantee independent of how the image was built, and
    Pod Security `restricted` admission requires it.

    ## Example
    ```yaml
    spec:
      containers:
        - name: orderservice
          image: registry.example.com/orderservice:1.4.2
    ```

    ## Use instead
    ```yaml
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
    ```

    ## Fix safety
    The process must not need root: files it writes must be writable by that user
    (mount an `emptyDir`), and it cannot bind ports below 1024.

    ## References
    - [Kubernetes: Configure a security context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    - [Kubernetes: Pod Security Standards (restricted)](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
    """
    ix = ctx.index
    for w, c in app_containers(ix):
        sec = c.security
        if sec.run_as_user == 0:
            at = sec.span_of("run_as_user")
            yield Hit(
                c.span,
                f"container {c.name} runs as root: runAsUser is 0",
                related=(Related(at, "runAsUser: 0"),) if at is not None else (),
            )
            continue
        if sec.run_as_user is not None or sec.run_as_non_root is True:
            continue
        why = _image_user(ix, w, c)
        if why is None:
            continue
        yield Hit(
            c.span,
            f"container {c.name} sets neither runAsNonRoot: true nor a non-zero runAsUser, "
            f"and {why[0]}",
            related=(why[1],) if why[1] is not None else (),
        )
