"""The rule registry. ``@rule`` is the one place a rule is described.

A rule is a small function over a ``Context`` (the project index and the rule's typed
options) that yields ``Hit``s; the registry turns hits into ``Finding``s with the
rule's id, name, chapter and severity. Everything else anybody needs to know about a
rule is an argument of the decorator, and nothing else lists rules:

- ``id``, ``name``, ``severity``; the chapter is the id's first digit (DR2xx: 2);
- ``reads``: the inputs the rule reads (any one is enough). A service that has none
  of them gets the rule as *not applicable* in the result; ``()`` means always;
- ``tags``: ``security`` (code-scanning formats file the findings as security
  issues) and ``secret`` (the evidence line holds a secret: snippets never show it);
- ``options``: a frozen dataclass whose fields are the ``[rules.<ID>]`` keys, with
  their defaults, their checks and their meaning (``option()``). The config schema
  and its error messages are generated from it; the rule reads ``ctx.options``;
- ``calls``: the Go calls the rule asks about (``"net/http.Get"`` for a package
  function, ``".FormFile"`` for a method): the parser records calls by name only
  when someone asks for that name, and the parser's table is the union of these
  with what the facts themselves need (``facts.go.FACT_CALLS``).

The function's docstring is the rule's documentation page (ruff's sections).

Rules live one per module, ``rules/<chapter package>/<id>_<name>.py``; a rule is
found by walking those packages (``all_rules``), so adding one means adding its
module and its fixtures, nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dockready.facts.index import ProjectIndex, Service
from dockready.model import (
    CHAPTERS,
    Finding,
    Input,
    Related,
    RuleInfo,
    Severity,
    Span,
    Tag,
    doc_section,
)
from dockready.schema import Check, Key, Table

__all__ = [
    "CHAPTERS",
    "DOC_SECTIONS",
    "Context",
    "Hit",
    "Input",
    "NoOptions",
    "Rule",
    "Tag",
    "all_rules",
    "call_names",
    "option",
    "rule",
    "section",
]

#: The chapter packages under ``dockready.rules``, by chapter.
CHAPTER_PACKAGES = {
    0: "housekeeping",
    1: "service_code",
    2: "container_ready",
    3: "image_build",
    4: "runtime",
    5: "delivery",
    6: "observed",
}
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")

_ID = re.compile(r"^DR[0-9]{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_CALL = re.compile(r"^(?:[a-z0-9][a-z0-9./_-]*)?\.[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports: where, what, the other end(s), and optionally a severity
    different from the rule's default (e.g. DR305: error on a shell-less image)."""

    span: Span
    message: str
    related: tuple[Related, ...] = ()
    severity: Severity | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class NoOptions:
    """The options of a rule that takes none."""


OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, slots=True)
class Context(Generic[OptionsT]):
    """What a rule is given: the frozen project index and its options, typed."""

    index: ProjectIndex
    options: OptionsT
    #: What ``dockready verify`` observed (``verify.rehearse.Observation``), for the
    #: chapter 6 rules (``reads=(Input.RUNTIME,)``); None in ``check``.
    observed: Any = None


def option(default: Any, check: Check, doc: str) -> Any:
    """A field of a rule's options class: its default, how a configured value is
    checked (``dockready.schema``) and what it means (the docs and ``rules --help``)."""
    return dataclasses.field(default=default, metadata={"check": check, "doc": doc})


Check_ = Callable[[Context[Any]], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    check: Check_
    doc: str
    reads: tuple[Input, ...] = ()
    tags: frozenset[Tag] = frozenset()
    options: type = NoOptions
    calls: frozenset[str] = frozenset()
    module: str = ""

    @property
    def chapter(self) -> int:
        return int(self.id[2])

    @property
    def summary(self) -> str:
        """The first sentence of the *What it does* section."""
        body = section(self.doc, "What it does")
        first = body.split("\n\n", 1)[0]
        return " ".join(first.split())

    @property
    def info(self) -> RuleInfo:
        """The rule as data, for the result and the reporters."""
        return RuleInfo(
            id=self.id,
            name=self.name,
            severity=self.severity,
            chapter=self.chapter,
            summary=self.summary,
            doc=self.doc,
            tags=tuple(sorted(self.tags)),
            reads=self.reads,
        )

    def option_keys(self) -> dict[str, Key]:
        """The ``[rules.<ID>]`` table's keys (``allowed_registries`` is
        ``allowed-registries``), with their checks, defaults and meanings."""
        return {
            f.name.replace("_", "-"): Key(f.metadata["check"], f.default, f.metadata["doc"])
            for f in dataclasses.fields(self.options)
        }

    def option_table(self) -> Table:
        return Table(self.option_keys(), owner=self.id)

    def make_options(self, configured: dict[str, Any] | None = None) -> Any:
        """The options value: configured keys (already validated) over the defaults."""
        given = {k.replace("-", "_"): v for k, v in (configured or {}).items()}
        return self.options(**given)

    def run(self, ix: ProjectIndex, options: Any = None) -> Iterator[Finding]:
        ctx = Context(ix, options if options is not None else self.make_options())
        for hit in self.check(ctx):
            yield self.finding(hit, ix)

    def finding(self, hit: Hit, ix: ProjectIndex) -> Finding:
        service = hit.service
        if service is None:
            svc: Service | None = ix.service_of(hit.span.path, hit.span.line)
            service = svc.name if svc is not None else None
        return Finding(
            rule_id=self.id,
            name=self.name,
            severity=hit.severity or self.severity,
            message=hit.message,
            span=hit.span,
            chapter=self.chapter,
            service=service,
            related=hit.related,
        )


RULES: dict[str, Rule] = {}


def rule(
    *,
    id: str,
    name: str,
    severity: Severity,
    reads: Iterable[Input],
    tags: Iterable[Tag] = (),
    options: type = NoOptions,
    calls: Iterable[str] = (),
) -> Callable[[Check_], Check_]:
    """Register a rule. Refuses malformed or duplicate ids and names, options that are
    not a frozen dataclass whose every field was made with ``option()``, and calls
    that are not ``pkg/path.Name`` or ``.Method``."""

    def register(fn: Check_) -> Check_:
        if not _ID.match(id):
            raise ValueError(f"malformed rule id {id!r}")
        if not _NAME.match(name):
            raise ValueError(f"malformed rule name {name!r} for {id}")
        if id in RULES:
            raise ValueError(f"duplicate rule id {id}")
        if any(r.name == name for r in RULES.values()):
            raise ValueError(f"duplicate rule name {name}")
        _check_options(id, options)
        bad_calls = [c for c in calls if not _CALL.match(c)]
        if bad_calls:
            raise ValueError(f"{id}: calls must be 'pkg/path.Name' or '.Method': {bad_calls}")
        RULES[id] = Rule(
            id=id,
            name=name,
            severity=severity,
            check=fn,
            doc=inspect.cleandoc(fn.__doc__ or ""),
            reads=tuple(reads),
            tags=frozenset(tags),
            options=options,
            calls=frozenset(calls),
            module=fn.__module__,
        )
        return fn

    return register


def _check_options(rule_id: str, options: type) -> None:
    params = getattr(options, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise ValueError(f"{rule_id}: options must be a frozen dataclass")
    for f in dataclasses.fields(options):
        if "check" not in f.metadata or f.default is dataclasses.MISSING:
            raise ValueError(f"{rule_id}: option {f.name} must be made with option()")


section = doc_section


_LOADED = False


def rule_modules() -> Iterator[str]:
    """Every rule module's dotted name: the modules of the chapter packages."""
    for chapter in sorted(CHAPTER_PACKAGES):
        pkg = f"dockready.rules.{CHAPTER_PACKAGES[chapter]}"
        try:
            mod = importlib.import_module(pkg)
        except ModuleNotFoundError:
            continue
        for info in sorted(pkgutil.iter_modules(mod.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                yield f"{pkg}.{info.name}"


def all_rules() -> list[Rule]:
    """Every rule, in id order (the chapter packages are walked on first use)."""
    global _LOADED
    if not _LOADED:
        for name in rule_modules():
            importlib.import_module(name)
        _LOADED = True
    return [RULES[k] for k in sorted(RULES)]


def static_rules() -> list[Rule]:
    """The rules ``check`` runs: all but the ones that read a running container."""
    return [r for r in all_rules() if Input.RUNTIME not in r.reads]


def observed_rules() -> list[Rule]:
    """The rules ``verify`` runs on what it observed (chapter 6)."""
    return [r for r in all_rules() if Input.RUNTIME in r.reads]


def call_names(rules: Iterable[Rule]) -> frozenset[str]:
    """The method names the rules ask the Go parser to record."""
    return frozenset(c.rsplit(".", 1)[1] for r in rules for c in r.calls)
