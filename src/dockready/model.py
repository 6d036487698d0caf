"""Core value types shared by every layer: severities, spans, findings, results.

Everything here is immutable. Rules produce ``Finding`` objects; reporters read a
``Result``; nothing mutates either after creation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


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
class Span:
    """A place in a file: ``path`` is POSIX, relative to the checked root; 1-based."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Related:
    """The other end of a joined finding."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    name: str
    severity: Severity
    message: str
    span: Span
    chapter: int
    service: str | None = None
    related: tuple[Related, ...] = ()

    @property
    def sort_key(self) -> tuple[int, str, int, int, str]:
        return (self.chapter, self.span.path, self.span.line, self.span.col, self.rule_id)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that is not a finding (a skipped file)."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class ServiceSummary:
    name: str
    root: str
    main_packages: tuple[str, ...] = ()
    dockerfiles: tuple[str, ...] = ()
    workloads: tuple[str, ...] = ()
    compose_services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    root: str
    findings: tuple[Finding, ...]
    services: tuple[ServiceSummary, ...] = ()
    notices: tuple[Notice, ...] = ()
    files_checked: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= threshold)
