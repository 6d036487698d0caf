"""DR414 unpinned-image-in-manifest: workload and compose images tagged latest, untagged or
with a version-less tag, without a digest."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.compose import with_defaults
from dockready.facts.derived.image import unpinned
from dockready.facts.derived.pod import containers
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _what(why: str) -> str:
    """``unpinned``'s reason, as this rule says it."""
    return "has no tag (it pulls :latest)" if why == "no tag" else f"uses the mutable tag {why}"


def _pins(image: str, var: str) -> bool:
    """Would setting ``var`` to a version pin ``image``?"""
    resolved = with_defaults(image, {var: "1.0.0"})
    return resolved is not None and unpinned(resolved[0]) is None


@rule(
    id="DR414",
    name="unpinned-image-in-manifest",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
)
def unpinned_image_in_manifest(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes workload containers (init containers included) and compose
    services whose `image` has the tag `latest`, no tag, or a tag with no version in
    it (`redis:alpine`), and no `@sha256:` digest. Templated images (`{{ }}`) are
    skipped. In compose, `${VAR:-default}` is read as its default (the message says
    which variable decides); an image that depends on a variable with no default is
    skipped. A compose service that also has `build:` is included: Compose pulls
    the image by that name before it builds. The Dockerfile `FROM` lines are DR302's.

    ## Why is this bad?
    `latest` moves: two pods of one Deployment can run different code, a node that
    re-pulls gets a new version nobody deployed, and a rollback to "the previous
    manifest" changes nothing. The kubelet also defaults `imagePullPolicy` to
    `Always` for `latest`, so every start depends on the registry being up.

    ## Example
    ```yaml
    image: registry.example.com/orderservice:latest
    ```

    ## Use instead
    ```yaml
    image: registry.example.com/orderservice:1.4.2
    # or, immutable:
    image: registry.example.com/orderservice@sha256:<digest>
    ```

    ## Fix safety
    Safe; the release pipeline must then write the version into the manifest.

    ## References
    - [Kubernetes: images (image names, pull policy)](https://kubernetes.io/docs/concepts/containers/images/)
    - [Kubernetes configuration best practices](https://kubernetes.io/docs/concepts/configuration/overview/#container-images)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in containers(w):
            why = unpinned(c.image)
            if why is not None:
                yield Hit(c.image_span, f"image {c.image} of container {c.name} {_what(why)}")
    for cs in ix.compose_services:
        if not cs.image or cs.image_span is None:
            continue
        resolved = with_defaults(cs.image)
        if resolved is None:
            continue
        image, defaults = resolved
        why = unpinned(image)
        if why is None:
            continue
        deciding = [v for v in defaults if _pins(cs.image, v)]
        unless = f" unless {' or '.join(deciding)} is set" if deciding else ""
        yield Hit(cs.image_span, f"compose service {cs.name}: image {image} {_what(why)}{unless}")
