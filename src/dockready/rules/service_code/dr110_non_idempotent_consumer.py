"""DR110 non-idempotent-consumer: a redelivered message applies a relative update twice."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.go import DB_WRITE_CALLS, Call, GoFile, Value
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_NATS = "github.com/nats-io/nats.go"
#: Receiver names of a JetStream context or consumer (``*nats.Conn`` is core NATS:
#: at most once, no redelivery).
_JS_NAMES = re.compile(r"(?i)^(js|jsc|jetstream|jsctx|stream|cons|consumer)$")
#: Brokers that redeliver a message until it is acknowledged, with the calls that
#: take a handler.
_AT_LEAST_ONCE = {
    f"{_NATS}/jetstream": frozenset({"Consume"}),
    "github.com/nats-io/stan.go": frozenset({"Subscribe", "QueueSubscribe"}),
    "cloud.google.com/go/pubsub": frozenset({"Receive"}),
}
_SUBSCRIBE = frozenset({"Subscribe", "QueueSubscribe", "Consume", "Receive"})
_UPDATE_CALLS = DB_WRITE_CALLS | {"UpdateColumn", "UpdateColumns", "Exec", "ExecContext"}
# A relative update: SQL ``SET qty = qty - 1``, gorm ``gorm.Expr("qty - ?", n)``,
# MongoDB ``$inc``.
_RELATIVE = (
    re.compile(r"(?is)\bset\b.*?\b([a-z_]\w*)\s*=\s*\1\s*[-+]"),
    re.compile(r"""Expr\(\s*["`]\s*([A-Za-z_]\w*)\s*[-+]"""),
    re.compile(r"\$inc\b"),
)


def _redelivers(c: Call) -> bool:
    if c.name not in _SUBSCRIBE or not c.callee.startswith("."):
        return False
    pkg = c.receiver_pkg
    if pkg == _NATS:
        last = c.receiver.rsplit(".", 1)[-1]
        return c.name in ("Subscribe", "QueueSubscribe") and bool(_JS_NAMES.match(last))
    for prefix, names in _AT_LEAST_ONCE.items():
        if (pkg == prefix or pkg.startswith(prefix + "/")) and c.name in names:
            return True
    return False


def _relative(v: Value) -> bool:
    text = v.literal if v.literal is not None else v.text
    return any(p.search(text) for p in _RELATIVE)


def _handler_range(
    ix: ProjectIndex, c: Call, g: GoFile, svc: Service
) -> tuple[GoFile, int, int] | None:
    """The file and lines of the handler: a function literal passed to the call, or
    the one function or method of that name in the file's package."""
    for a in reversed(c.args):
        t = a.text.strip()
        if t.startswith("func("):
            return g, c.span.line, c.span.end_line or c.span.line
    for a in c.args:
        name = a.text.strip()
        if not _FUNC_VALUE.fullmatch(name):
            continue
        short = name.rsplit(".", 1)[-1]
        found = [
            (f2, fn)
            for pkg in svc.packages
            if pkg.dir == g.dir
            for f2 in pkg.files
            for fn in ix.funcs(f2)
            if fn.name == short or fn.name.endswith(")." + short)
        ]
        if len(found) == 1:
            f2, fn = found[0]
            return f2, fn.span.line, fn.end_line
    return None


_FUNC_VALUE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?")


@rule(
    id="DR110",
    name="non-idempotent-consumer",
    severity=Severity.INFO,
    reads=(Input.CODE,),
    calls=(".Receive", ".UpdateColumn", ".UpdateColumns"),
)
def non_idempotent_consumer(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a message handler that applies a relative update (SQL `SET qty = qty - 1`,
    gorm `gorm.Expr("qty - ?", n)`, MongoDB `$inc`) with no deduplication guard, on
    a subscription that redelivers: JetStream (`js.Subscribe`/`QueueSubscribe`, the
    `jetstream` package's `Consume`), NATS Streaming, Google Pub/Sub `Receive`. The
    finding is on the update; the subscription is related.

    Decisions, to stay certain: the handler is a function literal passed to the
    subscription, or the one function of that name in the same package; only its
    own lines are read (an update made in a function it calls is not followed). A
    relative update is not idempotent whatever the schema says, which an `INSERT`
    may be (a unique key). Any word of a guard in the handler's lines (`processed`,
    `dedup`, `idempotent`, `duplicate`, `seen`, `inbox`, `message_id`/`event_id`,
    `Nats-Msg-Id`, `ON CONFLICT`, `SetNX`, `NumDelivered`, `Metadata()`...) silences
    it, and so do core NATS subscriptions (`nc.Subscribe`: at most once) and brokers
    the rule does not know.

    ## Why is this bad?
    A broker that redelivers until it gets an acknowledgement delivers some
    messages twice: the pod is killed during a rollout after the update and before
    the ack, the ack is lost, the ack wait expires under load. A handler that adds
    to a balance or takes from a stock then counts the same event twice.

    ## Example
    ```go
    js.Subscribe("payment.settled", func(m *nats.Msg) {
        db.Exec("UPDATE accounts SET balance = balance + $1 WHERE id = $2", amt, id)
        m.Ack()
    }, nats.ManualAck())
    ```

    ## Use instead
    ```go
    js.Subscribe("payment.settled", func(m *nats.Msg) {
        tx, _ := db.Begin()
        res, _ := tx.Exec("INSERT INTO processed_messages (id) VALUES ($1) ON CONFLICT DO NOTHING",
            m.Header.Get("Nats-Msg-Id"))
        if n, _ := res.RowsAffected(); n == 1 {
            tx.Exec("UPDATE accounts SET balance = balance + $1 WHERE id = $2", amt, id)
        }
        tx.Commit()
        m.Ack()
    }, nats.ManualAck())
    ```

    ## Fix safety
    A deduplication table needs a key the publisher sets once per event (a message
    id), and a retention longer than the broker's redelivery window.

    ## References
    - [NATS JetStream: message deduplication](https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive#message-deduplication)
    - [Microservices patterns: Idempotent Consumer](https://microservices.io/patterns/communication-style/idempotent-consumer.html)
    """
    reported: set[tuple[str, int, int]] = set()
    for svc in ctx.index.services:
        for g in svc.files:
            if g.generated:
                continue
            for sub in g.calls:
                if not _redelivers(sub):
                    continue
                where = _handler_range(ctx.index, sub, g, svc)
                if where is None:
                    continue
                hf, first, last = where
                if any(first <= ln <= last for ln in hf.guard_lines):
                    continue
                for c in hf.calls:
                    if not (first <= c.span.line <= last) or c.name not in _UPDATE_CALLS:
                        continue
                    if not c.callee.startswith(".") or not any(_relative(a) for a in c.args):
                        continue
                    key = (c.span.path, c.span.line, c.span.col)
                    if key in reported:
                        continue
                    reported.add(key)
                    yield Hit(
                        c.span,
                        f"{c.receiver}.{c.name} applies a relative update in a handler of "
                        f"{sub.receiver}.{sub.name}, which redelivers unacknowledged "
                        "messages, and nothing in the handler skips a message already "
                        "processed: a redelivery applies it twice",
                        related=(Related(sub.span, f"{sub.receiver}.{sub.name}"),),
                        service=svc.name,
                    )
