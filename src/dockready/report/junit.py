"""``--format junit``: the checklist as JUnit XML, for CI test dashboards.

One ``<testsuite>`` per service and, in it, one ``<testcase>`` per rule that ran
(``report/checklist.py``): passed when the rule has no finding for that service,
failed (``<failure>``, one line per finding) when it has, skipped (``<skipped>``)
when it does not apply (the service has none of what the rule reads). Findings that
belong to no service go to a suite named ``(repository)``, which also stands in for
the services when the checked tree has none. DR000 (a file that cannot be parsed) is
an item only in the suites that have parse errors.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from dockready.model import Finding, Result
from dockready.report.checklist import FAILED, NA, chapter_slug, checklist, tally

# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def failure_text(findings: tuple[Finding, ...]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.span.path}:{f.span.line}:{f.span.col} {f.message}")
        lines.extend(f"    ↳ {r.span.path}:{r.span.line} {r.message}" for r in f.related)
    return "\n".join(lines)


def render(result: Result) -> str:
    root = ET.Element("testsuites", name="dockready")
    total = failed = skipped = 0
    for suite_name, items in checklist(result):
        _, n_failed, n_na = tally(items)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=clean(suite_name),
            tests=str(len(items)),
            failures=str(n_failed),
            errors="0",
            skipped=str(n_na),
        )
        total += len(items)
        failed += n_failed
        skipped += n_na
        for it in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=clean(f"dockready.{suite_name}.{chapter_slug(it.chapter)}"),
                name=f"{it.rule_id} {it.name}",
            )
            severity = it.severity
            if it.status == NA:
                ET.SubElement(
                    case, "skipped", message="not applicable: no " + ", no ".join(it.needs)
                )
            elif it.status == FAILED and severity is not None:
                n = len(it.findings)
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{n} finding{'s' if n != 1 else ''}",
                    type=severity.label,
                )
                failure.text = clean(failure_text(it.findings))
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
