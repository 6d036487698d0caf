"""DR604 runs-as-root-observed: the process was seen running as uid 0."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.observed._common import observation, where_run
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR604",
    name="runs-as-root-observed",
    severity=Severity.WARNING,
    reads=(Input.RUNTIME,),
    tags=(Tag.SECURITY,),
)
def runs_as_root_observed(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Lists the uids of the container's processes (`docker top`) once it runs, and
    reports uid 0: the runtime twin of DR304 and DR407. When the workload asks for
    `runAsNonRoot: true` (or no workload is given: the restricted default) and the
    image's user is root, the kubelet would refuse to start the pod
    (`CreateContainerConfigError`): that is reported too, and the rest of the run
    goes on as uid 65532.

    ## Why is this bad?
    A process that runs as root in the container is one kernel or runtime bug away
    from root on the node, can write anywhere in the image, and fails the
    `restricted` Pod Security Standard.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    USER 65532:65532
    ```

    ## References
    - [Kubernetes: Pod Security Standards](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
    """
    obs = observation(ctx)
    if obs is None:
        return
    if obs.refused:
        yield Hit(
            obs.anchor,
            f"the image runs as {obs.refused} and the pod asks for runAsNonRoot "
            f"({where_run(obs)}): the kubelet refuses to start it; set USER to a "
            "numeric non-root user in the Dockerfile or runAsUser in the pod",
            service=obs.service,
        )
    elif 0 in obs.uids:
        yield Hit(
            obs.anchor,
            f"the container's process runs as uid 0 ({where_run(obs)}; uids seen: "
            f"{', '.join(map(str, obs.uids))})",
            service=obs.service,
        )
