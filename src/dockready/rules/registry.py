"""The rule registry. The ``@rule`` decorator is the only way a rule is registered.

A rule is a small function over the project index that yields ``Hit``s; the registry
turns hits into ``Finding``s with the rule's id, name, chapter and severity. The
function's docstring is the rule's documentation page (ruff's sections).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dockready.facts.index import ProjectIndex, Service
from dockready.model import Finding, Related, Severity, Span

CHAPTERS = {
    0: "Housekeeping",
    1: "Service code",
    2: "Getting the code container-ready",
    3: "Building the image",
    4: "Running it",
    5: "Delivering and operating",
    6: "Observed at runtime",
}
#: Rules whose findings are security problems (a door left open, a secret leaked):
#: code-scanning formats file them as security issues.
SECURITY_RULES = frozenset(
    {
        "DR207",  # hardcoded-secret
        "DR213",  # pprof-exposed
        "DR304",  # runs-as-root
        "DR308",  # secret-in-image
        "DR407",  # runs-as-root-in-pod
        "DR410",  # privilege-escalation
        "DR411",  # sensitive-host-mount
        "DR413",  # secret-in-plain-config
        "DR415",  # debug-port-exposed
        "DR416",  # host-namespaces
        "DR421",  # named-user-with-runasnonroot
    }
)
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")

_ID = re.compile(r"^DR[0-9]{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports: where, what, the other end(s), and optionally a severity
    different from the rule's default (e.g. DR305: error on a shell-less image)."""

    span: Span
    message: str
    related: tuple[Related, ...] = ()
    severity: Severity | None = None
    service: str | None = None


Check = Callable[[ProjectIndex], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    check: Check
    doc: str

    @property
    def chapter(self) -> int:
        return int(self.id[2])

    @property
    def summary(self) -> str:
        """The first sentence of the *What it does* section."""
        body = section(self.doc, "What it does")
        first = body.split("\n\n", 1)[0]
        return " ".join(first.split())

    def finding(self, hit: Hit, ix: ProjectIndex) -> Finding:
        service = hit.service
        if service is None:
            svc: Service | None = ix.service_of(hit.span.path)
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


def rule(id: str, name: str, severity: Severity) -> Callable[[Check], Check]:
    """Register a rule. Refuses malformed or duplicate ids and names."""

    def register(fn: Check) -> Check:
        if not _ID.match(id):
            raise ValueError(f"malformed rule id {id!r}")
        if not _NAME.match(name):
            raise ValueError(f"malformed rule name {name!r} for {id}")
        if id in RULES:
            raise ValueError(f"duplicate rule id {id}")
        if any(r.name == name for r in RULES.values()):
            raise ValueError(f"duplicate rule name {name}")
        RULES[id] = Rule(id, name, severity, fn, _dedent(fn.__doc__ or ""))
        return fn

    return register


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def section(doc: str, title: str) -> str:
    """The text of a ``## title`` section of a rule page."""
    m = re.search(rf"^## {re.escape(title)}\s*$\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return m.group(1).strip() if m else ""


def all_rules() -> list[Rule]:
    from dockready import rules  # noqa: F401  (imports every chapter module)

    return [RULES[k] for k in sorted(RULES)]
