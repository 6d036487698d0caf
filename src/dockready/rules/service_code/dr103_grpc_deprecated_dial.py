"""DR103 grpc-deprecated-dial: deprecated gRPC dialing (grpc.Dial, WithInsecure, WithBlock...)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_GRPC_DEPRECATED = {
    "google.golang.org/grpc.Dial": "grpc.Dial is deprecated: use grpc.NewClient",
    "google.golang.org/grpc.DialContext": "grpc.DialContext is deprecated: use grpc.NewClient",
    "google.golang.org/grpc.WithInsecure": (
        "grpc.WithInsecure is deprecated: use "
        "grpc.WithTransportCredentials(insecure.NewCredentials())"
    ),
    "google.golang.org/grpc.WithTimeout": (
        "grpc.WithTimeout is deprecated (and ignored by NewClient): use per-call deadlines"
    ),
    "google.golang.org/grpc.WithBlock": (
        "grpc.WithBlock blocks start-up until the peer answers: a pod that starts before "
        "its dependency hangs; let the connection be lazy"
    ),
}


@rule(
    id="DR103",
    name="grpc-deprecated-dial",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=(
        "google.golang.org/grpc.Dial",
        "google.golang.org/grpc.DialContext",
        "google.golang.org/grpc.WithInsecure",
        "google.golang.org/grpc.WithTimeout",
        "google.golang.org/grpc.WithBlock",
    ),
)
def grpc_deprecated_dial(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds the gRPC client set-up of the seed's own snippet: `grpc.Dial`,
    `grpc.DialContext`, `grpc.WithInsecure`, `grpc.WithTimeout` and `grpc.WithBlock`.
    Each call is reported once.

    ## Why is this bad?
    These are deprecated. `WithBlock`/`WithTimeout` make start-up wait for a peer: in
    Kubernetes, where pods start in any order, the service hangs or crash-loops until
    its dependency is ready; and with `NewClient` they are ignored, so the timeout
    the code seems to have is not there.

    ## Example
    ```go
    conn, err := grpc.Dial("inventory:50051", grpc.WithInsecure(), grpc.WithTimeout(5*time.Second))
    ```

    ## Use instead
    ```go
    conn, err := grpc.NewClient("dns:///inventory:50051",
        grpc.WithTransportCredentials(insecure.NewCredentials()))
    // and a deadline on every call:
    ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
    ```

    ## Fix safety
    `NewClient` defaults to the `dns` resolver and connects lazily; errors surface on
    the first call instead of at dial time.

    ## References
    - [grpc-go: anti-patterns](https://github.com/grpc/grpc-go/blob/master/Documentation/anti-patterns.md)
    - [grpc.NewClient](https://pkg.go.dev/google.golang.org/grpc#NewClient)
    """
    ix = ctx.index
    for g in ix.go_files:
        for c in g.calls:
            msg = _GRPC_DEPRECATED.get(c.callee)
            if msg is not None:
                yield Hit(c.span, msg)
