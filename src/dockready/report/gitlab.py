"""``--format gitlab``: a GitLab Code Quality report (the Code Climate issue format).

Each finding is one issue. Choices, where the format leaves them open:

- ``severity``: GitLab knows ``info``, ``minor``, ``major``, ``critical`` and
  ``blocker``. A dockready *error* is a container that fails to build, start, serve
  or stay safe in production, so it is ``critical``; a *warning* is a real defect
  that does not stop the service (no timeouts, no limits), ``major``; *info* stays
  ``info``. ``blocker`` is left to tools that know a merge must stop; ``minor`` to
  style nits, which dockready does not report.
- ``categories`` (Code Climate's fixed list): ``Security`` for the rules about
  secrets, root, privileges, host access and exposed debug endpoints;
  ``Performance`` for the rules about image size and build-cache use; ``Bug Risk``
  for everything else, since every other rule names a way the service breaks.
- ``fingerprint``: ``dockready.fingerprint`` (rule, file and message without numbers,
  so it survives line moves), unique within the report: when two findings share
  one, the later ones (in report order) get ``-2``, ``-3``, ... appended.
- ``location.path`` is relative to the checked root, as in every dockready format;
  GitLab expects it relative to the repository, so check from the repository root.
"""

from __future__ import annotations

import json
from typing import Any

from dockready.fingerprint import fingerprint
from dockready.model import Finding, Result, RuleInfo, Severity, Tag

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def categories(f: Finding, rule: RuleInfo | None) -> list[str]:
    """GitLab's category of a finding, from its rule's tags."""
    tags = rule.tags if rule is not None else ()
    if Tag.SECURITY in tags:
        return ["Security"]
    if Tag.PERFORMANCE in tags:
        return ["Performance"]
    return ["Bug Risk"]


def unique_fingerprints(findings: tuple[Finding, ...]) -> list[str]:
    """One fingerprint per finding, in order; a repeat gets the first free ``-N``."""
    seen: set[str] = set()
    out = []
    for f in findings:
        base = fp = fingerprint(f)
        n = 1
        while fp in seen:
            n += 1
            fp = f"{base}-{n}"
        seen.add(fp)
        out.append(fp)
    return out


def issue(f: Finding, fp: str, rule: RuleInfo | None = None) -> dict[str, Any]:
    return {
        "description": f"{f.rule_id} {f.name}: {f.message}",
        "check_name": f.rule_id,
        "fingerprint": fp,
        "severity": SEVERITY[f.severity],
        "categories": categories(f, rule),
        "location": {"path": f.span.path, "lines": {"begin": f.span.line}},
        "engine_name": "dockready",
    }


def render(result: Result) -> str:
    rules = {r.id: r for r in result.rules}
    issues = [
        issue(f, fp, rules.get(f.rule_id))
        for f, fp in zip(result.findings, unique_fingerprints(result.findings), strict=True)
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
