"""DR302 unpinned-base-image: a FROM image with no tag or the latest tag and no digest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.image import from_text
from dockready.facts.images import lookup, parse_ref
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, option, rule
from dockready.schema import ArrayOf, Text


def _unpinned(ref: str) -> str | None:
    """Why ``ref`` is not pinned (``"no tag"``, ``":latest"``), or None when it is."""
    info = lookup(ref)
    if info is not None:
        if info.pinned:
            return None
        return "no tag" if info.tag is None else ":latest"
    _, _, tag, digest = parse_ref(ref)
    if digest is not None:
        return None
    if tag is None:
        return "no tag"
    return ":latest" if tag == "latest" else None


@dataclass(frozen=True, slots=True)
class AllowedRegistries:
    allowed_registries: tuple[str, ...] = option(
        (),
        ArrayOf(Text(r"[A-Za-z0-9.-]+(?::[0-9]+)?", "a registry host", "registry hosts")),
        "registries whose base images may stay unpinned (immutable tags)",
    )


@rule(
    id="DR302",
    name="unpinned-base-image",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    options=AllowedRegistries,
)
def unpinned_base_image(ctx: Context[AllowedRegistries]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `FROM` lines, in every stage, whose image has no tag or the `latest` tag
    and no digest (the seed's `FROM alpine:latest`). A `FROM` naming an earlier stage
    and `FROM scratch` are not images and are skipped; an image reference that still
    holds an unresolved `${VAR}` (an `ARG` without a default) is skipped too. The
    message shows the reference after `ARG` substitution.

    Option: `[rules.DR302] allowed-registries = ["registry.example.com"]` exempts
    images from registries whose tags are immutable.

    ## Why is this bad?
    `latest` moves. Two builds of the same commit get different base images, a new
    major version (a new libc, a new default user, a removed package) breaks the
    image without any change in the repository, and a rollback does not roll the
    base back. A version tag is reproducible enough for most; a digest is exact.

    ## Example
    ```dockerfile
    FROM alpine:latest
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    # or, exact and still readable:
    FROM alpine:3.20@sha256:<digest>
    ```
    and let Dependabot or Renovate bump it.

    ## Fix safety
    Pinning to the version `latest` resolves to today changes nothing now; later
    updates become explicit commits.

    ## References
    - [Docker: best practices, FROM](https://docs.docker.com/build/building/best-practices/#from)
    - [Hadolint DL3006/DL3007](https://github.com/hadolint/hadolint#rules)
    """
    ix = ctx.index
    allowed = {r.lower() for r in ctx.options.allowed_registries}
    for df in ix.dockerfiles:
        for st in df.stages:
            if st.parent is not None:
                continue
            ref = st.base_resolved
            if "$" in ref or ref.lower() == "scratch":
                continue
            if allowed and parse_ref(ref)[0].lower() in allowed:
                continue  # a registry whose tags are immutable (configuration)
            why = _unpinned(ref)
            if why is None:
                continue
            what = "has no tag (it means :latest)" if why == "no tag" else "uses :latest"
            yield Hit(
                st.span,
                f"FROM {from_text(st)} {what}: the base changes under the same Dockerfile; "
                "pin a version tag or a digest",
            )
