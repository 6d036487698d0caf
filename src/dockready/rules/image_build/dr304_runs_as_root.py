"""DR304 runs-as-root: the final image runs as root."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import builds, effective_user, final_base, is_devcontainer
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR304",
    name="runs-as-root",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.SECURITY,),
)
def runs_as_root(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Dockerfiles whose final image runs as root: the last `USER` of the final
    stage (or of the stage it is built from) is `root`, `0` or `0:<gid>`, or there is
    no `USER` and the base image's default user is root (`alpine`, `debian`,
    `scratch`, distroless without `:nonroot`). The finding is on the `USER` line, or
    on the final `FROM` when there is none.

    Decisions: distroless and Chainguard `:nonroot` images (uid 65532) are not root;
    a base image we know nothing about, with no `USER` in the final stage, is
    reported at `info` severity: its default user is unknown, so the container may
    run as root; a `USER` given by name (`app`) is taken as non-root. Development
    images under `.devcontainer/` are skipped.

    ## Why is this bad?
    A process running as root in a container is root on the container's filesystem
    and, after a container escape, much closer to root on the node. Kubernetes
    `runAsNonRoot: true` refuses to start such an image, which is the usual surprise
    at migration time.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    USER 65532:65532
    ENTRYPOINT ["/app"]
    ```

    ## Fix safety
    Files the process writes must be writable by the new uid, and ports below 1024
    need `NET_BIND_SERVICE`: listen on 8080.

    ## References
    - [Docker: best practices, USER](https://docs.docker.com/build/building/best-practices/#user)
    - [Kubernetes: pod security standards, restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/)
    """
    ix = ctx.index
    for b in builds(ix):
        if is_devcontainer(b.dockerfile):
            continue
        user = effective_user(b)
        if user is None:
            yield Hit(
                b.final.span,
                f"no USER in the final stage and the default user of {final_base(b)} is "
                "unknown: the container may run as root; add USER with a numeric non-root "
                "uid (e.g. 65532)",
                severity=Severity.INFO,
            )
            continue
        if user.is_root is not True:
            continue
        if user.span is not None:
            yield Hit(
                user.span,
                f"USER {user.name}: the container runs as root; use a numeric non-root uid",
            )
        else:
            yield Hit(
                b.final.span,
                f"no USER in the final stage and {final_base(b)} runs as root by default; "
                "add USER with a numeric non-root uid (e.g. 65532)",
            )
