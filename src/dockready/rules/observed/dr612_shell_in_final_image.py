"""DR612 shell-in-final-image: a shell or package manager in the final image."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR612",
    name="shell-in-final-image",
    severity=Severity.INFO,
    reads=(Input.RUNTIME,),
    tags=(Tag.SECURITY,),
)
def shell_in_final_image(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Lists the final image's filesystem and reports shells (`sh`, `bash`, `ash`,
    `busybox`) and package managers (`apt`, `dpkg`, `apk`, `yum`, `dnf`, `rpm`,
    `pip`) in the usual binary directories.

    ## Why is this bad?
    A Go binary needs neither. A shell in the image is the first thing an attacker
    who gets code execution uses, and a package manager lets them install the rest.

    ## Example
    ```dockerfile
    FROM debian:12
    COPY --from=build /app /app
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    ```
    and `kubectl debug` with an ephemeral container when a shell is needed.

    ## References
    - [Distroless images](https://github.com/GoogleContainerTools/distroless)
    - [Kubernetes: ephemeral containers](https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/)
    """
    obs = observation(ctx)
    if obs is None or obs.image is None:
        return
    found = [*obs.image.shells, *obs.image.package_managers]
    if found:
        yield Hit(
            obs.anchor,
            f"the final image has {', '.join(found[:6])}{' ...' if len(found) > 6 else ''}",
            service=obs.service,
        )
