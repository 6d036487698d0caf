"""DR109 publish-error-ignored: a broker publish whose error is thrown away."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.messaging import is_publish
from dockready.facts.go import PUBLISH_CALLS, methods
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR109",
    name="publish-error-ignored",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=methods(PUBLISH_CALLS),
)
def publish_error_ignored(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a broker publish whose error is thrown away: called as a statement, or with
    every result assigned to `_` (the seed's `s.nats.Publish(...)`).

    ## Why is this bad?
    Publishing fails in ordinary operation: the broker restarts, the connection is
    draining during a rollout, a buffer is full. An ignored error turns each of these
    into a silently lost event.

    ## Example
    ```go
    s.nats.Publish("order.created", data)
    ```

    ## Use instead
    ```go
    if err := s.nats.Publish("order.created", data); err != nil {
        return fmt.Errorf("publish order.created: %w", err)
    }
    ```
    (and with NATS, JetStream's acknowledged `js.Publish` for at-least-once).

    ## Fix safety
    Returning the error changes the caller's behaviour; decide whether to retry, fail
    the request or record it in an outbox.

    ## References
    - [nats.go: Conn.Publish](https://pkg.go.dev/github.com/nats-io/nats.go#Conn.Publish)
    """
    ix = ctx.index
    for g in ix.go_files:
        for c in g.calls:
            if is_publish(c) and c.discarded:
                yield Hit(
                    c.span,
                    f"the error of {c.receiver}.{c.name} is discarded: a failed publish is lost silently",
                )
