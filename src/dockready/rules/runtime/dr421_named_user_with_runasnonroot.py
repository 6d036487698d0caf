"""DR421 named-user-with-runasnonroot: runAsNonRoot without runAsUser on a named-user image."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import effective_user
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR421",
    name="named-user-with-runasnonroot",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
    tags=(Tag.SECURITY,),
)
def named_user_with_runasnonroot(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins a container that sets `runAsNonRoot: true` without `runAsUser` with the
    image it runs, and finds an image whose effective user is a name (`USER
    appuser`, `USER nonroot:nonroot`), from the final stage's `USER` or the base
    image's default. The finding is on `runAsNonRoot`; the `USER` line (or the final
    `FROM`, for a base default) is related. Numeric users (`USER 65532`, the
    distroless and Chainguard `nonroot` defaults) are fine; an unknown base image with
    no `USER` is not reported. When a service has several Dockerfiles, every one must
    have a named user.

    ## Why is this bad?
    The kubelet cannot map a user name to a UID (it does not read the image's
    `/etc/passwd`), so it cannot verify `runAsNonRoot` and refuses to start the
    container: `CreateContainerConfigError: container has runAsNonRoot and image has
    non-numeric user (appuser), cannot verify user is non-root`. The pod never runs.

    ## Example
    ```dockerfile
    RUN adduser -D -u 10001 appuser
    USER appuser
    ```
    ```yaml
    securityContext:
      runAsNonRoot: true
    ```

    ## Use instead
    ```dockerfile
    USER 10001:10001
    ```
    or set `runAsUser: 10001` next to `runAsNonRoot: true`.

    ## Fix safety
    Safe when the UID is the one the name maps to (file ownership stays right).

    ## References
    - [Kubernetes: SecurityContext runAsNonRoot](https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context-1)
    - [kubernetes/kubernetes#56503](https://github.com/kubernetes/kubernetes/issues/56503)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        users = [(b, effective_user(b)) for b in svc.builds]
        if any(u is None or u.numeric or u.name.startswith("$") for _, u in users):
            continue
        build, user = users[0]
        assert user is not None
        if user.span is not None:
            rel = Related(user.span, f"USER {user.name}")
        else:
            rel = Related(build.final.span, f"the base image runs as user {user.name}")
        for dep in svc.deployments:
            sec = dep.container.security
            if sec.run_as_non_root is not True or sec.run_as_user is not None:
                continue
            yield Hit(
                sec.span_of("run_as_non_root") or dep.container.span,
                f"runAsNonRoot: true without runAsUser, and the image runs as the named user "
                f"{user.name!r}: the kubelet cannot verify it and the container fails with "
                "CreateContainerConfigError",
                related=(rel,),
            )
