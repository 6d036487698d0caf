"""Core value types shared by every layer: severities, spans, findings, results.

Everything here is immutable. Rules produce ``Finding`` objects; reporters read a
``Result``; nothing mutates either after creation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any

_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _field_getter(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    got = _GETTERS.get(cls)
    if got is None:
        names = [f.name for f in fields(cls)]
        if len(names) == 1:
            name = names[0]
            got = _GETTERS[cls] = lambda obj: (getattr(obj, name),)
        else:
            got = _GETTERS[cls] = operator.attrgetter(*names)
    return got


class Compact:
    """Mixin for frozen, slotted dataclasses: pickles as ``(cls, field values)``.

    Facts cross process boundaries when files are parsed in parallel; the default
    pickling of slotted dataclasses (``__getstate__``/``__setstate__`` loops) costs
    twice as much, and at a fleet's size that is a visible share of the run.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), _field_getter(type(self))(self))


class Severity(IntEnum):
    """How bad a finding is; ordered so that ``ERROR > WARNING > INFO``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)"
            ) from None


@dataclass(frozen=True, slots=True, order=True)
class Span(Compact):
    """A place in a file: ``path`` is POSIX, relative to the checked root; 1-based."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Related(Compact):
    """The other end of a joined finding."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding(Compact):
    rule_id: str
    name: str
    severity: Severity
    message: str
    span: Span
    chapter: int
    service: str | None = None
    related: tuple[Related, ...] = ()
    suppressed: str | None = None  # the justification of an inline suppression

    @property
    def sort_key(self) -> tuple[int, str, int, int, str]:
        return (self.chapter, self.span.path, self.span.line, self.span.col, self.rule_id)


@dataclass(frozen=True, slots=True)
class Notice(Compact):
    """Something the user should know that is not a finding (a skipped file)."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class ServiceSummary(Compact):
    name: str
    root: str
    main_packages: tuple[str, ...] = ()
    dockerfiles: tuple[str, ...] = ()
    workloads: tuple[str, ...] = ()
    compose_services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Result(Compact):
    """What a run found. ``findings`` are the ones that count (exit code, text,
    annotations); ``suppressed`` ones stay for machine outputs, marked with their
    justification; ``baselined`` counts findings hidden by a baseline."""

    root: str
    findings: tuple[Finding, ...]
    services: tuple[ServiceSummary, ...] = ()
    notices: tuple[Notice, ...] = ()
    files_checked: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    suppressed: tuple[Finding, ...] = ()
    baselined: int = 0

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= threshold)
