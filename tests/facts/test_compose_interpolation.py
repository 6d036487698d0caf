"""Compose interpolation as dockready reads it: defaults, or nothing certain."""

from __future__ import annotations

import pytest

from dockready.facts.derived.compose import with_defaults


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("redis:7", ("redis:7", ())),
        ("${REG:-}app:${TAG:-latest}", ("app:latest", ("REG", "TAG"))),
        ("app:${TAG-1.2}", ("app:1.2", ("TAG",))),
        ("price$$list:1", ("price$list:1", ())),
        ("app:${TAG}", None),
        ("app:$TAG", None),
        ("app:${TAG:?set TAG}", None),
        ("app:${TAG:-${OTHER:-1}}", None),
    ],
)
def test_with_defaults(raw: str, expected: tuple[str, tuple[str, ...]] | None) -> None:
    assert with_defaults(raw) == expected


def test_with_defaults_takes_what_if_values() -> None:
    assert with_defaults("app:${TAG:-latest}", {"TAG": "2.0"}) == ("app:2.0", ())
