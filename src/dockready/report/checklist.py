"""The checklist view of a result, shared by the JUnit, Markdown and HTML reports.

Each service is a suite; its items are the rules that ran (``Result.rules``), in id
order, each *failed* (it has findings there), *not applicable* (the rule reads
nothing the service has: ``ServiceSummary.not_applicable``) or *passed*. A rule that
did not run (``--select``, ``ignore``) is no item at all. The ``(repository)`` suite
holds the findings of no service and has no known inputs: its items are passed or
failed. ``DR000`` is an item only where it failed: a file that parses is no check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockready.model import CHAPTERS, Finding, Result, Severity

REPOSITORY = "(repository)"
"""The suite of findings that belong to no service."""

PARSE_ERROR = "DR000"
PASSED, FAILED, NA = "passed", "failed", "na"

_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Item:
    """One checklist item of one service: a rule and its findings there."""

    rule_id: str
    name: str
    chapter: int
    findings: tuple[Finding, ...]
    status: str = PASSED
    #: Why the item is not applicable: the inputs the rule reads, none of which the
    #: service has.
    needs: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


def chapter_title(chapter: int) -> str:
    """``2 · Getting the code container-ready``."""
    title = CHAPTERS.get(chapter)
    return f"{chapter} · {title}" if title else str(chapter)


def chapter_slug(chapter: int) -> str:
    """``2-getting-the-code-container-ready``: the chapter number keeps the order."""
    title = _SLUG.sub("-", CHAPTERS.get(chapter, "").lower()).strip("-")
    return f"{chapter}-{title}" if title else str(chapter)


def suite_names(result: Result) -> list[str]:
    """Services by name, then ``(repository)`` when needed (service-less findings,
    or no service at all)."""
    names = {s.name for s in result.services}
    names.update(f.service for f in result.findings if f.service is not None)
    ordered = sorted(names)
    if not ordered or any(f.service is None for f in result.findings):
        ordered.append(REPOSITORY)
    return ordered


def checklist(result: Result) -> list[tuple[str, list[Item]]]:
    """Every suite with its items, rules in id order; deterministic."""
    rules = {r.id: (r.name, r.chapter, r.reads) for r in result.rules}
    for f in result.findings:  # a finding of a rule the result does not describe
        rules.setdefault(f.rule_id, (f.name, f.chapter, ()))
    by_key: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        by_key.setdefault((f.service or REPOSITORY, f.rule_id), []).append(f)
    out: list[tuple[str, list[Item]]] = []
    for suite in suite_names(result):
        svc = result.service(suite)
        na = set(svc.not_applicable) if svc is not None else set()
        items = []
        for rule_id in sorted(rules):
            found = tuple(by_key.get((suite, rule_id), ()))
            if rule_id == PARSE_ERROR and not found:
                continue
            name, chapter, reads = rules[rule_id]
            if found:
                items.append(Item(rule_id, name, chapter, found, FAILED))
            elif rule_id in na:
                needs = tuple(i.label for i in reads)
                items.append(Item(rule_id, name, chapter, found, NA, needs))
            else:
                items.append(Item(rule_id, name, chapter, found, PASSED))
        out.append((suite, items))
    return out


def tally(items: list[Item]) -> tuple[int, int, int]:
    """``(passed, failed, not applicable)``."""
    failed = sum(1 for it in items if it.status == FAILED)
    na = sum(1 for it in items if it.status == NA)
    return len(items) - failed - na, failed, na
