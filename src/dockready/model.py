"""Core value types shared by every layer: severities, spans, findings, results.

Everything here is immutable. Rules produce ``Finding`` objects; reporters read a
``Result``; nothing mutates either after creation.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from enum import IntEnum, StrEnum
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
    """Mixin for frozen, slotted dataclasses: pickles as ``(builder, field values)``.

    Facts cross process boundaries when files are parsed in parallel, and a warm run
    unpickles every file's facts from the cache. Two costs are avoided:

    - the default pickling of slotted dataclasses (``__getstate__``/``__setstate__``
      loops), twice as dear;
    - a frozen dataclass's ``__init__``, which stores each field through
      ``object.__setattr__`` (0.5 µs for a ``Span``). The *builder* is a plain slotted
      class with the same slots in the same order (so the same memory layout): its
      ``__init__`` stores the fields directly and then makes the object what it is
      (``__class__``), a frozen instance equal to one built the usual way, in a
      third of the time. It is found as ``<class>.__rebuild__`` when unpickling.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # ``dataclass(slots=True)`` makes the class a second time, with its fields and
        # slots: that one gets the builder.
        if "__dataclass_fields__" in cls.__dict__ and "__slots__" in cls.__dict__:
            builder = _builder(cls)
            if builder is not None:
                cls.__rebuild__ = builder  # type: ignore[attr-defined]

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        return (cls.__dict__.get("__rebuild__", cls), _field_getter(cls)(self))


def _builder(cls: type) -> type | None:
    """A class whose instances are built as plain slotted objects and then become
    ``cls`` instances; None when ``cls``'s slots are not exactly its fields."""
    names = tuple(f.name for f in fields(cls))
    if cls.__dict__["__slots__"] != names or cls.__bases__ != (Compact,):
        return None
    args = ", ".join(names)
    body = "".join(f"    self.{n} = {n}\n" for n in names)
    ns: dict[str, Any] = {"_cls": cls}
    # (as ``dataclass`` makes ``__init__``: from the class's own field names)
    exec(f"def __init__(self, {args}):\n{body}    self.__class__ = _cls\n", ns)
    builder = type(cls.__name__, (Compact,), {"__slots__": names, "__init__": ns["__init__"]})
    builder.__module__ = cls.__module__
    builder.__qualname__ = f"{cls.__qualname__}.__rebuild__"
    return builder


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


CHAPTERS = {
    0: "Housekeeping",
    1: "Service code",
    2: "Getting the code container-ready",
    3: "Building the image",
    4: "Running it",
    5: "Delivering and operating",
    6: "Observed at runtime",
}


class Input(StrEnum):
    """What a service can have that a rule reads (``@rule(reads=...)``)."""

    CODE = "code"
    IMAGE = "image"
    K8S = "k8s"
    COMPOSE = "compose"
    #: The container running in a Docker engine (``dockready verify``).
    RUNTIME = "runtime"

    @property
    def label(self) -> str:
        """What a person calls it: "Dockerfile", "Kubernetes workload"..."""
        return _INPUT_TITLES[self]


_INPUT_TITLES = {
    Input.CODE: "Go main package",
    Input.IMAGE: "Dockerfile",
    Input.K8S: "Kubernetes workload",
    Input.COMPOSE: "compose service",
    Input.RUNTIME: "running container (dockready verify)",
}


def doc_section(doc: str, title: str) -> str:
    """The text of a ``## title`` section of a rule page (its docstring)."""
    m = re.search(rf"^## {re.escape(title)}\s*$\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return m.group(1).strip() if m else ""


class Tag(StrEnum):
    """What kind of problem a rule finds, beyond its chapter."""

    #: A door left open or a secret leaked: code scanning files it as security.
    SECURITY = "security"
    #: The evidence line holds a secret value: no report shows its snippet.
    SECRET = "secret"
    #: Image size and build-cache use.
    PERFORMANCE = "performance"


@dataclass(frozen=True, slots=True)
class RuleInfo(Compact):
    """A rule as the result carries it: what reporters know of the rules that ran."""

    id: str
    name: str
    severity: Severity
    chapter: int
    summary: str = ""
    doc: str = ""
    tags: tuple[Tag, ...] = ()
    reads: tuple[Input, ...] = ()

    def section(self, title: str) -> str:
        """The text of a ``## title`` section of the rule's page."""
        return doc_section(self.doc, title)

    @property
    def security(self) -> bool:
        return Tag.SECURITY in self.tags

    @property
    def secret(self) -> bool:
        return Tag.SECRET in self.tags


@dataclass(frozen=True, slots=True, order=True)
class Span(Compact):
    """A place in a file: ``path`` is POSIX, relative to the checked root; 1-based.

    ``end_line``/``end_col`` say where the thing ends (the last line of a Dockerfile
    instruction with its continuation lines and heredocs, the end of a YAML value or
    a Go expression); 0 when the parser did not say. They are not part of a span's
    identity: two spans that start at the same place are equal."""

    path: str
    line: int = 1
    col: int = 1
    end_line: int = field(default=0, compare=False)
    end_col: int = field(default=0, compare=False)

    @property
    def last_line(self) -> int:
        """The last line the span covers (its first when the end is unknown)."""
        return max(self.end_line, self.line)

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
    #: Ids of rules that ran but read nothing this service has (``Rule.reads``).
    not_applicable: tuple[str, ...] = ()
    #: A container of it ran in a Docker engine (``dockready verify``).
    observed: bool = False

    def judged_by(self, rules: Iterable[RuleInfo]) -> ServiceSummary:
        """This summary with ``not_applicable`` filled in for ``rules``: those that read
        something (``reads``) and nothing this service has."""
        has = self.inputs
        na = tuple(r.id for r in rules if r.reads and not has & set(r.reads))
        return replace(self, not_applicable=na)

    @property
    def inputs(self) -> frozenset[Input]:
        has = set()
        if self.main_packages:
            has.add(Input.CODE)
        if self.dockerfiles:
            has.add(Input.IMAGE)
        if self.workloads:
            has.add(Input.K8S)
        if self.compose_services:
            has.add(Input.COMPOSE)
        if self.observed:
            has.add(Input.RUNTIME)
        return frozenset(has)


@dataclass(frozen=True, slots=True)
class Result(Compact):
    """What a run found. ``findings`` are the ones that count (exit code, text,
    annotations); ``suppressed`` ones stay for machine outputs, marked with their
    justification; ``baselined`` counts findings hidden by a baseline. ``rules`` are
    the rules that ran (in id order): a rule that did not run is neither passed nor
    failed, and each service says which of them did not apply to it."""

    root: str
    findings: tuple[Finding, ...]
    services: tuple[ServiceSummary, ...] = ()
    notices: tuple[Notice, ...] = ()
    files_checked: int = 0
    suppressed: tuple[Finding, ...] = ()
    baselined: int = 0
    rules: tuple[RuleInfo, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """Findings by severity label, every severity present (0 when none)."""
        return {s.label: sum(1 for f in self.findings if f.severity is s) for s in Severity}

    def rule(self, rule_id: str) -> RuleInfo | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None

    def service(self, name: str | None) -> ServiceSummary | None:
        for s in self.services:
            if s.name == name:
                return s
        return None

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= threshold)
