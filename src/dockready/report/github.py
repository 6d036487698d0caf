"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=…,line=…,col=…,title=DR201 dynamic-binary-on-static-base::message``
(``::warning`` for warnings, ``::notice`` for info). Related locations follow the
message as ``↳ path:line message`` lines. Escaping is the runner's (actions/toolkit
``escapeData``/``escapeProperty``): ``%``, CR and LF in the message; those and ``:``
and ``,`` in properties. Paths are relative to the checked root: GitHub resolves
them against the workspace, so check from the repository root.

GitHub shows at most 10 annotations of each level per step and 50 per job; the
rest are still in the log.
"""

from __future__ import annotations

from dockready.model import Finding, Result, Severity
from dockready.report.escape import printable

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding) -> str:
    props = ",".join(
        f"{key}={escape_property(value)}"
        for key, value in (
            ("file", printable(f.span.path)),
            ("line", str(f.span.line)),
            ("col", str(f.span.col)),
            ("title", f"{f.rule_id} {f.name}"),
        )
    )
    message = printable(f.message) + "".join(
        f"\n↳ {printable(r.span.path)}:{r.span.line} {printable(r.message)}" for r in f.related
    )
    return f"::{COMMAND[f.severity]} {props}::{escape_data(message)}"


def render(result: Result) -> str:
    return "".join(command(f) + "\n" for f in result.findings)
