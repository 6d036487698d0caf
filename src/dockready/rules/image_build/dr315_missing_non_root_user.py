"""DR315 missing-non-root-user: USER names a user but the image has no /etc/passwd."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import builds, effective_user, final_base, has_capability
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR315",
    name="missing-non-root-user",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def missing_non_root_user(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `USER <name>` (a user or group given by name, such as `app` or
    `65532:app`) in a final image that has no `/etc/passwd`: `scratch` with no
    `COPY` of `/etc/passwd`. The finding is on the `USER` line.

    Decisions: `USER root` is left to DR304. Images that have an `/etc/passwd` are
    not checked for the name itself (distroless knows `nonroot` and `nobody`; a
    name created with `adduser` in a `RUN` is fine). An unknown base image is not
    reported.

    ## Why is this bad?
    The runtime resolves a user name through the image's `/etc/passwd`. With none,
    the container fails to start: `unable to find user app: no matching entries in
    passwd file`.

    ## Example
    ```dockerfile
    FROM scratch
    COPY --from=build /app /app
    USER app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM scratch
    COPY --from=build /app /app
    USER 65532:65532
    ENTRYPOINT ["/app"]
    ```
    (or copy a prepared `/etc/passwd` from the build stage).

    ## Fix safety
    Safe: a numeric uid needs no passwd entry.

    ## References
    - [Docker: USER](https://docs.docker.com/reference/dockerfile/#user)
    """
    ix = ctx.index
    for b in builds(ix):
        user = effective_user(b)
        if user is None or user.span is None or user.from_base:
            continue
        parts = [p for p in user.name.split(":", 1) if p]
        named = [p for p in parts if not p.isdigit()]
        if not named or "$" in user.name or user.name.split(":", 1)[0] == "root":
            continue
        if has_capability(b, "passwd") is not False:
            continue
        yield Hit(
            user.span,
            f"USER {user.name} names a user, but {final_base(b)} has no /etc/passwd: the "
            "container fails to start (unable to find user); use a numeric uid:gid",
        )
