"""The decisions of the chapter 1 observability and consumer rules that the fixture
repos cannot each spell out: which targets are another service (DR105), which lines
guard a handler (DR110), which calls the parser records for DR104."""

from __future__ import annotations

import pytest

from dockready.facts.go import EnvRef, FlagRef, Opaque, Part, Value
from dockready.parse.gosrc import parse_go
from dockready.rules.service_code.dr105_no_tracing import is_remote


@pytest.mark.parametrize(
    ("parts", "remote"),
    [
        (("http://billing/charge",), True),
        (("dns:///inventory:50051",), True),
        (("inventory.default.svc.cluster.local:50051",), True),
        ((EnvRef("INVENTORY_ADDR"),), True),
        (("http://", FlagRef("billing-host"), "/charge"), True),
        (("http://localhost:8080/orders",), False),
        (("https://api.fx.example.com/v1/rates",), False),  # a third party
        (("inventory.shop.svc:8080",), True),
        (("127.0.0.1:9000",), False),
        (("[::1]:80",), False),
        ((":", Opaque("port")), False),  # this pod
        ((Opaque("s.URL"),), False),  # unreadable: not counted
        (("http://metadata.google.internal", Opaque("path")), False),
        # the host is unreadable; the env var is in the path
        (("https://", Opaque("region"), "-run.googleapis.com/v1/", EnvRef("K_SERVICE")), False),
        ((EnvRef("DAPR_HOST", "http://localhost"), ":", EnvRef("DAPR_HTTP_PORT")), False),
    ],
)
def test_dr105_target_is_another_service(parts: tuple[Part, ...], remote: bool) -> None:
    assert is_remote(Value("target", parts)) is remote


def test_dr105_no_target() -> None:
    assert not is_remote(None)
    assert not is_remote(Value("x", ()))


def test_guard_lines_name_the_lines_of_dedup_words() -> None:
    src = (
        b"package main\n"
        b"// skip messages already processed\n"
        b"func f() {\n"
        b'\tq := "INSERT INTO seen (id) VALUES ($1) ON CONFLICT DO NOTHING"\n'
        b"\t_ = q\n"
        b"}\n"
    )
    assert parse_go("main.go", src).guard_lines == (2, 4)


def test_calls_with_a_background_context_are_recorded_whatever_their_name() -> None:
    src = (
        b"package main\n"
        b'import "context"\n'
        b"func f(c Client) {\n"
        b"\tc.Reserve(context.Background(), 1)\n"
        b"\tc.Release(context.TODO())\n"
        b"\tc.Other(ctx)\n"
        b"}\n"
    )
    names = {c.name for c in parse_go("main.go", src, frozenset()).calls}
    assert names == {"Reserve", "Release"}
