"""What the service-code rules (chapter 1) share: which calls write to a database and
which publish to a message broker."""

from __future__ import annotations

import re

from dockready.facts.go import DB_WRITE_CALLS, PUBLISH_CALLS, Call

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
