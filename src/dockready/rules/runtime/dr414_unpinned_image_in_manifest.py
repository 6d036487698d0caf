"""DR414 unpinned-image-in-manifest: workload images tagged latest or untagged, without a digest."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import unpinned
from dockready.facts.derived.pod import containers
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR414",
    name="unpinned-image-in-manifest",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def unpinned_image_in_manifest(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes workload containers (init containers included) whose `image`
    has the tag `latest` or no tag, and no `@sha256:` digest. Templated images
    (`$VAR`, `{{ }}`) are skipped. Compose `image:` lines are not checked (compose is
    the local set-up; the Dockerfile `FROM` lines are DR302's).

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
                what = (
                    "has no tag (it pulls :latest)"
                    if why == "no tag"
                    else "uses the mutable tag :latest"
                )
                yield Hit(c.image_span, f"image {c.image} of container {c.name} {what}")
