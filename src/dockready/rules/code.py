"""Chapter 1 · Service code: communication, observability, consistency (seed ch.1)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.go import DB_WRITE_CALLS, PUBLISH_CALLS, TX_CALLS, Call, GoFile
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_DB_PKGS = (
    "database/sql",
    "gorm.io/gorm",
    "github.com/jinzhu/gorm",
    "github.com/jmoiron/sqlx",
    "github.com/jackc/pgx",
    "go.mongodb.org/mongo-driver",
    "github.com/uptrace/bun",
    "entgo.io/ent",
)
_DB_NAME = re.compile(r"(?i)^(db|database|sqldb|gormdb|gdb|pgdb|orm)$")
_BROKER_PKGS = (
    "github.com/nats-io/nats.go",
    "github.com/nats-io/stan.go",
    "github.com/segmentio/kafka-go",
    "github.com/IBM/sarama",
    "github.com/Shopify/sarama",
    "github.com/confluentinc/confluent-kafka-go",
    "github.com/rabbitmq/amqp091-go",
    "github.com/streadway/amqp",
    "cloud.google.com/go/pubsub",
    "github.com/apache/pulsar-client-go",
    "github.com/aws/aws-sdk-go-v2/service/sns",
    "github.com/aws/aws-sdk-go-v2/service/sqs",
)
_BROKER_NAME = re.compile(
    r"(?i)^(nats|nc|natsconn|js|jetstream|stan|kafka|producer|kafkaproducer|publisher|"
    r"broker|mq|rabbit|amqp|amqpch|pub|bus|eventbus|sns|sqs|pulsar)$"
)


def _last(receiver: str) -> str:
    return receiver.rsplit(".", 1)[-1].rstrip("()")


def _from(pkg: str, prefixes: tuple[str, ...]) -> bool:
    return any(pkg == p or pkg.startswith(p + "/") for p in prefixes)


def is_db_write(c: Call) -> bool:
    """A write through a database handle (``db.ExecContext``, gorm ``db.Create``...)."""
    if not c.callee.startswith(".") or c.name not in DB_WRITE_CALLS:
        return False
    if c.receiver_pkg:
        return _from(c.receiver_pkg, _DB_PKGS)
    return bool(_DB_NAME.match(_last(c.receiver)))


def is_publish(c: Call) -> bool:
    """A message sent to a broker (NATS, Kafka, RabbitMQ, Pub/Sub...)."""
    if not c.callee.startswith(".") or c.name not in PUBLISH_CALLS:
        return False
    if c.receiver_pkg:
        return _from(c.receiver_pkg, _BROKER_PKGS)
    return bool(_BROKER_NAME.match(_last(c.receiver)))


@rule(
    id="DR101",
    name="http-client-no-timeout",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
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


@rule(
    id="DR102",
    name="http-server-no-timeouts",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def http_server_no_timeouts(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds HTTP servers that never time out a slow client: `http.ListenAndServe`,
    `http.ListenAndServeTLS` and `http.Serve` (which cannot take timeouts), and
    `http.Server{}` literals that set neither `ReadHeaderTimeout` nor `ReadTimeout`.

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
            if lit.type == "net/http.Server" and not (
                lit.has("ReadHeaderTimeout") or lit.has("ReadTimeout")
            ):
                yield Hit(
                    lit.span,
                    "http.Server sets neither ReadHeaderTimeout nor ReadTimeout (Slowloris)",
                )


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


@rule(
    id="DR109",
    name="publish-error-ignored",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
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
