"""``dockready fleet --output sarif=FILE`` and ``--output junit=FILE``: the whole fleet
in one file for CI (documented in docs/fleet.md).

**SARIF** (2.1.0): one log, one run, tool ``dockready``. ``tool.driver.rules`` is every
rule that ran in any repository, by id. Each repository's findings (and its findings
suppressed inline, marked as in ``check``'s SARIF) are results built by
``report/sarif.py``, their locations moved under the repository:

- ``artifactLocation.uri`` is ``<prefix>/<path>``, where the prefix is the source as
  it is shown (``output.shown``) made a relative path: ``services/orders`` for a
  directory under the working directory, ``src/orders`` for ``/src/orders``,
  ``git.example.com/org/orders`` for a git URL (no user info, no ``.git``);
- ``uriBaseId`` is the source's own ``SOURCE<n>`` (``n`` counts the sources from 1,
  in the order of the run); ``originalUriBaseIds.SOURCE<n>`` is the directory the
  prefix is relative to (``file:///home/me/``: base + uri is the file) and, always,
  a description naming the source. A git source's base has no ``uri`` (its clone is
  in a cache, not under the prefix).

A repository that could not be checked, and each repository's notices, are
``toolExecutionNotifications`` (``error`` and ``note``); ``executionSuccessful`` is
false when a repository could not be checked.

**JUnit**: one ``<testsuite>`` per repository (named as the source is shown) and in it
one ``<testcase>`` per service and checklist chapter 1-5 (``<service> · <n> <title>``),
with the chapter's readiness status: ``fail`` and ``warn`` are a ``<failure>`` (type
``error`` or ``warning``, one line per finding of the chapter), ``n/a`` is
``<skipped>``, ``pass`` passes. Chapter 0 (housekeeping) gets a test case only in a
service with findings there. A repository that could not be checked is one test
case ``check`` with an ``<error>`` and its reason.

Messages are the engine's, already masked; no file content is added.
"""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

from dockready import __version__
from dockready.fleet.output import shown
from dockready.fleet.readiness import CHAPTERS, FAIL, NOT_APPLICABLE, WARN, ServiceReadiness
from dockready.fleet.runner import FleetRun
from dockready.fleet.worker import RepoReport
from dockready.model import CHAPTERS as CHAPTER_TITLES
from dockready.model import RuleInfo
from dockready.report import sarif
from dockready.report.junit import clean

FORMATS = ("sarif", "junit")
_SCP = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>.*)$")


def prefix_of(display: str) -> str:
    """The source as shown, made a relative POSIX path ("" for the working directory)."""
    m = _SCP.match(display)
    if m:
        host, path = m["host"], m["path"]
    elif "://" in display:
        try:
            parts = urlsplit(display)
            host, path = parts.hostname or "", parts.path
        except ValueError:
            host, path = "", display.split("://", 1)[1]
    else:
        norm = posixpath.normpath(display.replace("\\", "/"))
        return "" if norm in (".", "/") else norm.lstrip("/")
    path = path.strip("/").removesuffix(".git")
    return "/".join(p for p in f"{host}/{path}".split("/") if p not in ("", ".", ".."))


def base_uri(rep: RepoReport, prefix: str) -> str | None:
    """``file:///dir/`` such that ``dir/<prefix>`` is the checked directory, or None."""
    if "://" in rep.source or _SCP.match(rep.source):
        return None
    path = PurePosixPath(rep.path or rep.source)
    if not path.is_absolute():
        return None
    depth = len(PurePosixPath(prefix).parts) if prefix else 0
    if depth > len(path.parts) - 1:
        return None
    base = path.parents[depth - 1] if depth else path
    if prefix and base / prefix != path:
        return None
    return sarif.root_uri(str(base))


def _move(location: dict[str, Any], prefix: str, base_id: str) -> None:
    physical = location.get("physicalLocation")
    if not isinstance(physical, dict):
        return
    artifact = physical.setdefault("artifactLocation", {})
    uri = artifact.get("uri", "")
    head = quote(prefix, safe="/")
    artifact["uri"] = f"{head}/{uri}" if head and uri else (head or uri)
    artifact["uriBaseId"] = base_id


def render_sarif(run: FleetRun) -> str:
    rules: dict[str, RuleInfo] = {}
    for rep in run.repos:
        if rep.result is not None:
            for r in rep.result.rules:
                rules.setdefault(r.id, r)
    ordered = [rules[k] for k in sorted(rules)]
    index = {r.id: i for i, r in enumerate(ordered)}
    bases: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for n, rep in enumerate(run.repos, 1):
        display = shown(rep.source)
        prefix = prefix_of(display)
        base_id = f"SOURCE{n}"
        base: dict[str, Any] = {"description": {"text": display}}
        uri = base_uri(rep, prefix)
        if uri is not None:
            base["uri"] = uri
        bases[base_id] = base
        if rep.failed:
            notes.append(
                {"level": "error", "message": {"text": f"{display}: {rep.error or 'not checked'}"}}
            )
            continue
        result = rep.result
        if result is None:
            continue
        for notice in result.notices:
            note: dict[str, Any] = {"level": "note", "message": {"text": notice.message}}
            if notice.span is not None:
                loc = {"physicalLocation": sarif.physical_location(notice.span)}
                _move(loc, prefix, base_id)
                note["locations"] = [loc]
            notes.append(note)
        for f in (*result.findings, *result.suppressed):
            out = sarif.sarif_result(f, index.get(f.rule_id))
            for key in ("locations", "relatedLocations"):
                for loc in out.get(key, ()):
                    _move(loc, prefix, base_id)
            out.setdefault("properties", {})["repository"] = display
            results.append(out)
    invocation: dict[str, Any] = {"executionSuccessful": not any(r.failed for r in run.repos)}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    doc = {
        "$schema": sarif.SARIF_SCHEMA,
        "version": sarif.SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockready",
                        "version": __version__,
                        "informationUri": sarif.INFORMATION_URI,
                        "rules": [sarif.rule_descriptor(r) for r in ordered],
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": bases,
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _chapter_case(
    suite: ET.Element, display: str, service: ServiceReadiness, chapter: int, status: str
) -> str:
    title = CHAPTER_TITLES.get(chapter, "")
    case = ET.SubElement(
        suite,
        "testcase",
        classname=clean(f"dockready.{display}.{service.name}"),
        name=clean(f"{service.name} · {chapter} {title}".rstrip()),
    )
    if status == NOT_APPLICABLE:
        ET.SubElement(case, "skipped", message="not applicable: no rule of the chapter applies")
    elif status in (FAIL, WARN):
        found = [f for f in service.findings if f.chapter == chapter]
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{len(found)} finding{'s' if len(found) != 1 else ''}",
            type="error" if status == FAIL else "warning",
        )
        failure.text = clean(
            "\n".join(f"{f.severity} {f.rule_id} {f.path}:{f.line} {f.message}" for f in found)
        )
    return status


def _chapter0_status(service: ServiceReadiness) -> str | None:
    severities = {f.severity for f in service.findings if f.chapter == 0}
    if "error" in severities:
        return FAIL
    if "warning" in severities:
        return WARN
    return None


def render_junit(run: FleetRun) -> str:
    root = ET.Element("testsuites", name="dockready fleet")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for rep in run.repos:
        display = shown(rep.source)
        suite = ET.SubElement(root, "testsuite", name=clean(display))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if rep.failed:
            case = ET.SubElement(
                suite, "testcase", classname=clean(f"dockready.{display}"), name="check"
            )
            error = ET.SubElement(
                case, "error", message=clean(rep.error or "not checked"), type="error"
            )
            error.text = clean(rep.error or "not checked")
            counts["tests"] += 1
            counts["errors"] += 1
        for service in rep.services:
            # chapters 1-5, and 6 when the fleet ran with --verify
            cases = [(n, status) for n, status in service.chapters if n in CHAPTERS or n == 6]
            zero = _chapter0_status(service)
            if zero is not None:
                cases.insert(0, (0, zero))
            for chapter, status in cases:
                _chapter_case(suite, display, service, chapter, status)
                counts["tests"] += 1
                if status in (FAIL, WARN):
                    counts["failures"] += 1
                elif status == NOT_APPLICABLE:
                    counts["skipped"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{rep.seconds:.3f}")
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{run.seconds:.3f}")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def render(fmt: str, run: FleetRun) -> str:
    if fmt == "sarif":
        return render_sarif(run)
    if fmt == "junit":
        return render_junit(run)
    raise ValueError(f"not a CI format: {fmt}")
