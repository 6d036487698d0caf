"""DR108 dual-write-without-outbox: a database write, then a publish, with no outbox."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.messaging import is_db_write, is_publish
from dockready.facts.go import DB_WRITE_CALLS, PUBLISH_CALLS, TX_CALLS, Call, GoFile, methods
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _functions(g: GoFile) -> dict[str, list[Call]]:
    out: dict[str, list[Call]] = {}
    for c in g.calls:
        if c.func:
            out.setdefault(c.func, []).append(c)
    return out


def _mentions_outbox(g: GoFile, func: str) -> bool:
    return any(
        "outbox" in s.value.lower() or "outbox" in s.key.lower()
        for s in g.strings
        if s.func == func
    ) or any(
        "outbox" in c.receiver.lower() or "outbox" in c.callee.lower()
        for c in g.calls
        if c.func == func
    )


@rule(
    id="DR108",
    name="dual-write-without-outbox",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=methods(DB_WRITE_CALLS | TX_CALLS | PUBLISH_CALLS),
)
def dual_write_without_outbox(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a function that writes to a database and then publishes to a message
    broker (NATS, Kafka, RabbitMQ, Pub/Sub...) with no transaction and no outbox in
    sight: the seed's `CreateOrder`. The finding is on the publish; the database
    write is the related location.

    Decisions: a function that opens a transaction (`Begin`, `BeginTx`,
    `Transaction`...) or mentions an outbox is taken to handle it; a publish before
    the write is not reported (that is a different bug, usually caught by review).
    Database handles are recognised by type (database/sql, gorm, sqlx, pgx, mongo,
    bun) or by a `db`-like name; brokers likewise.

    ## Why is this bad?
    The two writes are not atomic. A crash, a SIGKILL at the end of the grace period
    or a broker outage between them loses the event for a committed row; a
    publish-then-rollback sends an event for a row that does not exist. Rollouts make
    this routine, not rare.

    ## Example
    ```go
    func (s *OrderService) CreateOrder(o Order) error {
        if err := s.db.Create(&o).Error; err != nil {
            return err
        }
        s.nats.Publish("order.created", o.JSON())
        return nil
    }
    ```

    ## Use instead
    Write the event to an outbox table in the same transaction as the row and publish
    from the outbox with a relay (or use change data capture).

    ## Fix safety
    A design change, not an edit.

    ## References
    - [Transactional outbox pattern](https://microservices.io/patterns/data/transactional-outbox.html)
    """
    ix = ctx.index
    for g in ix.go_files:
        for func, calls in _functions(g).items():
            writes = [c for c in calls if is_db_write(c)]
            if not writes:
                continue
            if any(c.callee.startswith(".") and c.name in TX_CALLS for c in calls):
                continue
            if _mentions_outbox(g, func):
                continue
            first = min(writes, key=lambda c: c.order)
            for pub in calls:
                if is_publish(pub) and pub.order > first.order:
                    yield Hit(
                        pub.span,
                        f"{pub.receiver}.{pub.name} after a database write in {func}, with no "
                        "transaction or outbox: the event can be lost, or sent for a "
                        "rolled-back write",
                        related=(
                            Related(first.span, f"database write {first.receiver}.{first.name}"),
                        ),
                    )
                    break
