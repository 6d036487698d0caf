"""``--format junit``: the checklist as JUnit XML, for CI test dashboards.

One ``<testsuite>`` per service and, in it, one ``<testcase>`` per registered rule:
the checklist item passed when the rule has no finding for that service, failed
(``<failure>``, one line per finding) when it has. Findings that belong to no service
go to a suite named ``(repository)``, which also stands in for the services when
the checked tree has none. DR000 (a file that cannot be parsed) is not a checklist
item: it appears, as a failure, only in the suites that have parse errors.

``checklist()`` is the (service, rule) -> findings table the Markdown summary
shares, so both formats count passed and failed items the same way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dockready.model import Finding, Result, Severity
from dockready.rules.registry import CHAPTERS, all_rules

REPOSITORY = "(repository)"
"""The suite of findings that belong to no service."""

PARSE_ERROR = "DR000"

# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Item:
    """One checklist item of one service: a rule and its findings there."""

    rule_id: str
    name: str
    chapter: int
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


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
    rules = {r.id: (r.name, r.chapter) for r in all_rules()}
    for f in result.findings:  # a finding of a rule this build does not know
        rules.setdefault(f.rule_id, (f.name, f.chapter))
    by_key: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        by_key.setdefault((f.service or REPOSITORY, f.rule_id), []).append(f)
    out: list[tuple[str, list[Item]]] = []
    for suite in suite_names(result):
        items = []
        for rule_id in sorted(rules):
            found = tuple(by_key.get((suite, rule_id), ()))
            if rule_id == PARSE_ERROR and not found:
                continue
            name, chapter = rules[rule_id]
            items.append(Item(rule_id, name, chapter, found))
        out.append((suite, items))
    return out


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def failure_text(findings: tuple[Finding, ...]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.span.path}:{f.span.line}:{f.span.col} {f.message}")
        lines.extend(f"    ↳ {r.span.path}:{r.span.line} {r.message}" for r in f.related)
    return "\n".join(lines)


def render(result: Result) -> str:
    root = ET.Element("testsuites", name="dockready")
    total = failed = 0
    for suite_name, items in checklist(result):
        n_failed = sum(1 for it in items if not it.passed)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_clean(suite_name),
            tests=str(len(items)),
            failures=str(n_failed),
            errors="0",
            skipped="0",
        )
        total += len(items)
        failed += n_failed
        for it in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_clean(f"dockready.{suite_name}.{chapter_slug(it.chapter)}"),
                name=f"{it.rule_id} {it.name}",
            )
            severity = it.severity
            if severity is not None:
                n = len(it.findings)
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{n} finding{'s' if n != 1 else ''}",
                    type=severity.label,
                )
                failure.text = _clean(failure_text(it.findings))
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
