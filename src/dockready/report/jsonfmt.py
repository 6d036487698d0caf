"""``--format json``: a versioned API. Bump SCHEMA_VERSION on any breaking change
(the minor number on an addition: 1.1 added ``rules`` and ``not_applicable``)."""

from __future__ import annotations

import json
from typing import Any

from dockready import __version__
from dockready.model import Finding, Result

SCHEMA_VERSION = "1.1"


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "id": f.rule_id,
        "name": f.name,
        "severity": f.severity.label,
        "chapter": f.chapter,
        "message": f.message,
        "path": f.span.path,
        "line": f.span.line,
        "column": f.span.col,
        "service": f.service,
        "suppressed": f.suppressed,
        "related": [
            {"path": r.span.path, "line": r.span.line, "column": r.span.col, "message": r.message}
            for r in f.related
        ],
    }


def render(result: Result) -> str:
    doc = {
        "tool": {"name": "dockready", "version": __version__},
        "schema_version": SCHEMA_VERSION,
        "services": [
            {
                "name": s.name,
                "root": s.root,
                "main_packages": list(s.main_packages),
                "dockerfiles": list(s.dockerfiles),
                "workloads": list(s.workloads),
                "compose_services": list(s.compose_services),
                "not_applicable": list(s.not_applicable),
            }
            for s in result.services
        ],
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity.label,
                "chapter": r.chapter,
                "tags": [str(t) for t in r.tags],
                "reads": [str(i) for i in r.reads],
            }
            for r in result.rules
        ],
        "findings": [finding_dict(f) for f in (*result.findings, *result.suppressed)],
        "notices": [
            {
                "message": n.message,
                "path": n.span.path if n.span else None,
                "line": n.span.line if n.span else None,
            }
            for n in result.notices
        ],
        "summary": {
            **result.counts,
            "suppressed": len(result.suppressed),
            "baselined": result.baselined,
            "files": result.files_checked,
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
