"""Facts pickle compactly (``model.Compact``) and come back as the very objects they
were: the same class, equal, hashable, frozen."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from dockready.engine import load_project
from dockready.model import Compact, Span

REPO = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True, slots=True)
class _Base(Compact):
    x: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Derived(_Base):  # slots are not all its fields: built the usual way
    y: int = 0


def _objects(value: object, out: dict[type, object]) -> None:
    if isinstance(value, (tuple, list)):
        for v in value:
            _objects(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _objects(v, out)
    elif isinstance(value, Compact):
        out.setdefault(type(value), value)
        for f in dataclasses.fields(value):  # type: ignore[arg-type]
            _objects(getattr(value, f.name), out)


def test_unpickled_facts_are_the_facts_of_the_same_classes() -> None:
    parsed = load_project([str(REPO / "examples"), str(REPO / "tests" / "fixtures")]).parsed
    facts = [p.facts for p in parsed]
    seen: dict[type, object] = {}
    _objects(facts, seen)
    assert len(seen) > 30, sorted(c.__name__ for c in seen)
    back = pickle.loads(pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == facts
    got: dict[type, object] = {}
    _objects(back, got)
    assert set(got) == set(seen)  # no object came back as its builder
    for cls, obj in got.items():
        assert "__rebuild__" in cls.__dict__, cls
        assert hash(obj) == hash(seen[cls])
        name = dataclasses.fields(obj)[0].name  # type: ignore[arg-type]
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)


def test_an_unpickled_span_orders_and_compares_as_built() -> None:
    spans = [Span("b.go", 2, 1), Span("a.go", 9, 3, 9, 7)]
    back = pickle.loads(pickle.dumps(spans))
    assert [type(s) for s in back] == [Span, Span]
    assert sorted(back) == sorted(spans) and back == spans
    assert {*back} == {*spans}


def test_a_class_whose_slots_are_not_its_fields_pickles_through_its_init() -> None:
    assert "__rebuild__" in _Base.__dict__ and "__rebuild__" not in _Derived.__dict__
    for obj in (_Base(1), _Derived(1, 2)):
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj) and back == obj
