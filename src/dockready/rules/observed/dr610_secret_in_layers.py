"""DR610 secret-in-layers: secret files or values in the image's layers, history or config."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule


@rule(
    id="DR610",
    name="secret-in-layers",
    severity=Severity.ERROR,
    reads=(Input.RUNTIME,),
    tags=(Tag.SECURITY, Tag.SECRET),
)
def secret_in_layers(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Walks every layer of the image (`docker save`), its history and its config with
    the detectors `check` uses: files named like credentials (`.env`, `id_rsa`,
    `*.key`, `credentials.json`, `.netrc`), small text files holding a key or token
    of a known shape, `ENV` values with secret names, and secrets in `RUN` lines. A
    file deleted by a later layer still counts: it is in the image. Secrets are never
    printed, only where they are and what kind. The runtime twin of DR308.

    ## Why is this bad?
    Anyone who can pull the image can read every layer. `RUN rm .env` removes
    nothing: the file stays in the layer that copied it.

    ## Example
    ```dockerfile
    COPY . .
    RUN go build -o /app . && rm .env
    ```

    ## Use instead
    Keep secrets out of the build context (`.dockerignore`), pass build-time secrets
    with `RUN --mount=type=secret`, and run-time ones from a Kubernetes Secret.

    ## References
    - [Docker: build secrets](https://docs.docker.com/build/building/secrets/)
    """
    obs = observation(ctx)
    if obs is None or obs.image is None:
        return
    for s in obs.image.secrets:
        yield Hit(
            obs.anchor,
            f"the image holds a secret ({s.kind}) in {s.where}: anyone who pulls it can read it",
            service=obs.service,
        )
