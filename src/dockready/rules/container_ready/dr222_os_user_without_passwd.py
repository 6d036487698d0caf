"""DR222 os-user-without-passwd: os/user lookups in an image with no /etc/passwd."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.files import fatal_after
from dockready.facts.derived.image import final_base, has_capability
from dockready.facts.derived.runtime import runtimes
from dockready.facts.go import Call
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_LOOKUPS = {
    "os/user.Current": "user.Current",
    "os/user.Lookup": "user.Lookup",
    "os/user.LookupId": "user.LookupId",
    "os/user.LookupGroup": "user.LookupGroup",
    "os/user.LookupGroupId": "user.LookupGroupId",
}


def _user_set(ix: ProjectIndex, svc: Service) -> bool:
    """Is ``USER`` set (or possibly set) where the service runs? Go's ``user.Current``
    without cgo and without ``/etc/passwd`` falls back on ``$USER`` and ``$HOME``."""
    return any(rt.sets("USER") is not False for rt in runtimes(ix, svc))


def _lookups(svc: Service) -> Iterator[tuple[Call, Call]]:
    """``(lookup, fatal call)``: lookups whose failure ends the process."""
    for g in svc.files:
        if g.path.endswith("_test.go") or g.generated:
            continue
        for c in g.calls_to(*_LOOKUPS):
            fatal = fatal_after(g, c)
            if fatal is not None and not c.discarded:
                yield c, fatal


@rule(
    id="DR222",
    name="os-user-without-passwd",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    calls=("os/user.LookupGroup", "os/user.LookupGroupId"),
)
def os_user_without_passwd(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `os/user` lookups (`user.Current`, `user.Lookup`, `user.LookupId`,
    `user.LookupGroup`, `user.LookupGroupId`) in a service whose final image has no
    `/etc/passwd`: `scratch` with no `COPY` of one, when a failed lookup ends the
    process (`log.Fatal`/`os.Exit` within a few lines after it). The finding is on
    the call; the final `FROM` and the fatal call are related.

    Decisions: a lookup whose error is handled (a fallback name, a log line) is not
    reported. `user.Current` is reported only when nothing that runs the service
    sets `USER` (without cgo Go builds the current user from `$USER` and `$HOME` when
    `/etc/passwd` has no entry). `os.UserHomeDir` is not reported: Docker and
    Kubernetes always set `HOME` (to `/` when the user has no passwd entry). Images
    whose base is unknown are not judged.

    ## Why is this bad?
    The lookups read `/etc/passwd` and `/etc/group`. On `scratch` they fail:
    `user: unknown userid 65532`, or `user: Current requires cgo or $USER set in
    environment`. Code that uses them to find a home or config directory, or to log
    who it runs as, works on a laptop and fails at start-up in the container.

    ## Example
    ```go
    u, err := user.Current()
    if err != nil {
        log.Fatal(err)
    }
    cfgDir := filepath.Join(u.HomeDir, ".orders")
    ```
    ```dockerfile
    FROM scratch
    COPY --from=build /out/orders /orders
    USER 65532:65532
    ```

    ## Use instead
    Take the directory from the environment or a flag (`os.Getenv("ORDERS_CONFIG_DIR")`),
    or ship a passwd file that names the user:
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    ```

    ## Fix safety
    Switching to a distroless base adds `/etc/passwd`, `/etc/group` and CA
    certificates; the binary is unchanged.

    ## References
    - [Go: os/user](https://pkg.go.dev/os/user)
    - [distroless: static image contents](https://github.com/GoogleContainerTools/distroless/blob/main/base/README.md)
    """
    ix = ctx.index
    for svc in ix.services:
        calls = list(_lookups(svc))
        if not calls:
            continue
        missing = [b for b in svc.builds if has_capability(b, "passwd") is False]
        if not missing:
            continue
        user_set: bool | None = None
        for c, fatal in calls:
            if c.callee == "os/user.Current":
                if user_set is None:
                    user_set = _user_set(ix, svc)
                if user_set:
                    continue
            b = missing[0]
            yield Hit(
                c.span,
                f"{_LOOKUPS[c.callee]} reads /etc/passwd, which {final_base(b)} does not "
                "have: the lookup fails in the container and the service exits; take what "
                "it is for from the environment, or use a base image with /etc/passwd",
                related=(
                    Related(b.final.span, f"final image {final_base(b)}: no /etc/passwd"),
                    Related(fatal.span, "a failed lookup ends the process"),
                ),
                service=svc.name,
            )
