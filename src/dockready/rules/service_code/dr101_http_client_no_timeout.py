"""DR101 http-client-no-timeout: an outbound HTTP call that can wait forever (no timeout)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR101",
    name="http-client-no-timeout",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=(
        "net/http.Get",
        "net/http.Post",
        "net/http.Head",
        "net/http.PostForm",
        ".Do",
        ".Get",
        ".Post",
        ".Head",
        ".PostForm",
    ),
)
def http_client_no_timeout(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds outbound HTTP calls that can wait forever: `http.Get`, `http.Post`,
    `http.Head` and `http.PostForm` (they use `http.DefaultClient`), calls on
    `http.DefaultClient` itself, and `http.Client{}` literals with no `Timeout` (or a
    zero one).

    A client whose timeout is set elsewhere (`c.Timeout = ...`) is not tracked: the
    literal is reported, so set `Timeout` in the literal.

    ## Why is this bad?
    `net/http` has no default timeout. In a cluster, a peer that accepts the
    connection and never answers (a pod being killed, a network policy dropping
    packets) pins the goroutine and its memory until the process is restarted.

    ## Example
    ```go
    resp, err := http.Get("https://inventory/api/stock")
    ```

    ## Use instead
    ```go
    var client = &http.Client{Timeout: 5 * time.Second}
    resp, err := client.Get("https://inventory/api/stock")
    ```
    and per-request deadlines with `http.NewRequestWithContext`.

    ## Fix safety
    Choosing a timeout changes behaviour for slow, legitimate responses; pick it per
    call site.

    ## References
    - [net/http: Client](https://pkg.go.dev/net/http#Client)
    - [The complete guide to Go net/http timeouts](https://blog.cloudflare.com/the-complete-guide-to-golang-net-http-timeouts/)
    """
    ix = ctx.index
    for g in ix.go_files:
        for c in g.calls:
            if c.callee in ("net/http.Get", "net/http.Post", "net/http.Head", "net/http.PostForm"):
                yield Hit(
                    c.span,
                    f"http.{c.name} uses http.DefaultClient, which has no timeout: "
                    "a peer that never answers hangs this call forever",
                )
            elif c.callee.startswith(".") and c.receiver == "http.DefaultClient":
                yield Hit(c.span, "http.DefaultClient has no timeout")
        for lit in g.literals:
            if lit.type != "net/http.Client":
                continue
            timeout = lit.field("Timeout")
            if timeout is None:
                yield Hit(lit.span, "http.Client without Timeout: requests can hang forever")
            elif timeout.seconds == 0 or timeout.literal == "0":
                yield Hit(lit.span, "http.Client with Timeout 0 (no timeout)")
