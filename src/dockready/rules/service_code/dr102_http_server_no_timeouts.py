"""DR102 http-server-no-timeouts: HTTP servers that never time out a slow client (Slowloris)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR102",
    name="http-server-no-timeouts",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=(
        "net/http.ListenAndServe",
        "net/http.ListenAndServeTLS",
        "net/http.Serve",
    ),
)
def http_server_no_timeouts(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds HTTP servers that never time out a slow client: `http.ListenAndServe`,
    `http.ListenAndServeTLS` and `http.Serve` (which cannot take timeouts), and
    `http.Server{}` literals that set neither `ReadHeaderTimeout` nor `ReadTimeout`
    (in the literal or by assigning `srv.ReadHeaderTimeout` later in the file), gin's
    `r.Run()` (an `http.Server` without timeouts) and echo's `e.Start()` unless
    `e.Server.ReadHeaderTimeout`/`ReadTimeout` is set in that file. fiber (fasthttp)
    is not checked.

    ## Why is this bad?
    A client that sends its headers one byte at a time keeps a goroutine and a file
    descriptor forever (Slowloris). Behind a Kubernetes Service every pod is
    reachable by every other workload in the cluster, so one misbehaving caller can
    exhaust a replica.

    ## Example
    ```go
    log.Fatal(http.ListenAndServe(":8080", mux))
    ```

    ## Use instead
    ```go
    srv := &http.Server{
        Addr:              ":8080",
        Handler:           mux,
        ReadHeaderTimeout: 5 * time.Second,
        ReadTimeout:       30 * time.Second,
        WriteTimeout:      30 * time.Second,
        IdleTimeout:       120 * time.Second,
    }
    ```

    ## Fix safety
    Safe for ordinary APIs; streaming endpoints need longer write timeouts.

    ## References
    - [net/http: Server](https://pkg.go.dev/net/http#Server)
    - [gosec G112](https://github.com/securego/gosec#available-rules)
    """
    ix = ctx.index
    for g in ix.go_files:
        for c in g.calls:
            if c.callee in (
                "net/http.ListenAndServe",
                "net/http.ListenAndServeTLS",
                "net/http.Serve",
            ):
                yield Hit(
                    c.span,
                    f"http.{c.name} runs a server with no read/write timeouts (Slowloris); "
                    "use an http.Server with ReadHeaderTimeout",
                )
        for lit in g.literals:
            if (
                lit.type == "net/http.Server"
                and not (lit.has("ReadHeaderTimeout") or lit.has("ReadTimeout"))
                and not (lit.var and lit.var in g.timeouts)
            ):
                yield Hit(
                    lit.span,
                    "http.Server sets neither ReadHeaderTimeout nor ReadTimeout (Slowloris)",
                )
        for lst in g.listeners:
            if lst.kind == "gin":
                yield Hit(
                    lst.span,
                    "gin's Run starts an http.Server with no read/write timeouts (Slowloris); "
                    "serve the engine from an http.Server with ReadHeaderTimeout",
                )
            elif lst.kind == "echo" and f"{lst.handler}.Server" not in g.timeouts:
                yield Hit(
                    lst.span,
                    f"echo's {lst.handler}.Start serves with no read timeouts (Slowloris); set "
                    f"{lst.handler}.Server.ReadHeaderTimeout (or ReadTimeout) before it starts",
                )
