"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run. ``tool.driver.rules`` lists every rule that ran (``Result.rules``: not
only those that fired), sorted by id, so that ``ruleIndex`` does not depend on what
fired and a rule with no results is still documented. Paths are POSIX, relative to the checked root and percent-encoded;
the root itself is ``originalUriBaseIds.SRCROOT`` when it is absolute.

Each result carries ``partialFingerprints["dockreadFingerprint/v1"]``
(:func:`dockready.fingerprint.fingerprint`), which survives line moves, so code
scanning keeps tracking an alert across edits.

Suppressions: a finding silenced by an inline comment (``Finding.suppressed``, the
reason) keeps its result, with ``suppressions: [{"kind": "inSource", ...}]``
(the justification is the attribute itself when it is a string); code scanning then
shows the alert as dismissed instead of open.

Columns are declared as ``unicodeCodePoints``. YAML spans (libyaml) count code points;
Go spans are converted from tree-sitter's bytes to characters by the parser.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from dockready import __version__
from dockready.fingerprint import fingerprint
from dockready.model import CHAPTERS, Finding, Related, Result, RuleInfo, Severity, Span

INFORMATION_URI = "https://github.com/dockready/dockready"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "dockreadFingerprint/v1"
SRCROOT = "SRCROOT"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub's ``problem.severity`` vocabulary (CodeQL's): "note" is a "recommendation".
PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "recommendation",
}
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def render(result: Result) -> str:
    rules = result.rules
    index = {r.id: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dockready",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "invocations": [_invocation(result)],
    }
    base = root_uri(result.root)
    if base is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base}}
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = [
        sarif_result(f, index.get(f.rule_id)) for f in (*result.findings, *result.suppressed)
    ]
    doc = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    tags = ["dockready", f"chapter-{rule.chapter}", slug(CHAPTERS.get(rule.chapter, ""))]
    properties: dict[str, Any] = {"problem.severity": PROBLEM_SEVERITY[rule.severity]}
    if rule.security:
        tags.append("security")
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    properties["tags"] = [t for t in tags if t]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": plain(first_sentence(rule.summary))},
        "fullDescription": {"text": plain(rule.section("What it does"))},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "helpUri": help_uri(rule.id),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def help_uri(rule_id: str) -> str:
    return f"{INFORMATION_URI}/blob/main/docs/rules/{rule_id}.md"


def sarif_result(f: Finding, rule_index: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": f.rule_id}
    if rule_index is not None:
        out["ruleIndex"] = rule_index
    out["level"] = LEVELS[f.severity]
    out["message"] = {"text": f.message}
    out["locations"] = [{"physicalLocation": physical_location(f.span)}]
    if f.related:
        out["relatedLocations"] = [_related(i, r) for i, r in enumerate(f.related, 1)]
    out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(f)}
    suppressed = f.suppressed
    if suppressed:
        out["suppressions"] = [suppression(suppressed)]
    properties = {"service": f.service, "chapter": f.chapter}
    out["properties"] = {k: v for k, v in properties.items() if v is not None}
    return out


def suppression(suppressed: object) -> dict[str, str]:
    """A SARIF suppression for a finding silenced in the source (an ignore comment).

    ``suppressed`` is whatever the model will carry: a reason string, or just ``True``.
    """
    why = suppressed if isinstance(suppressed, str) else "suppressed in source"
    return {"kind": "inSource", "justification": why}


def _related(i: int, r: Related) -> dict[str, Any]:
    return {"id": i, "physicalLocation": physical_location(r.span), "message": {"text": r.message}}


def physical_location(span: Span) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": artifact_uri(span.path), "uriBaseId": SRCROOT},
        "region": {"startLine": max(span.line, 1), "startColumn": max(span.col, 1)},
    }


_BYTE_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")


def artifact_uri(path: str) -> str:
    """A relative URI reference for a POSIX path: never absolute, ``%``-encoded."""
    # A byte of a file name that is not UTF-8 is shown \xNN (discover.shown_path):
    # in a URI it is that byte, percent-encoded.
    parts = _BYTE_ESCAPE.split(path.lstrip("/"))
    out = []
    for i, part in enumerate(parts):
        out.append(f"%{part.upper()}" if i % 2 else quote(part.replace("\\", "/"), safe="/"))
    return "".join(out)


def root_uri(root: str) -> str | None:
    """``file:///abs/root/`` when ``root`` is absolute (POSIX or Windows), else None."""
    for flavour in (PurePosixPath, PureWindowsPath):
        p = flavour(root)
        if p.is_absolute():
            uri = p.as_uri()
            return uri if uri.endswith("/") else uri + "/"
    return None


def _invocation(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {"executionSuccessful": True}
    if result.notices:
        notes = []
        for n in result.notices:
            note: dict[str, Any] = {"level": "note", "message": {"text": n.message}}
            if n.span is not None:
                note["locations"] = [{"physicalLocation": physical_location(n.span)}]
            notes.append(note)
        out["toolExecutionNotifications"] = notes
    return out


# --- rule text ---------------------------------------------------------------------

_SLUG = re.compile(r"[^a-z0-9]+")
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])|:\s+(?=- )|:$")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


def plain(markdown: str) -> str:
    """Markdown to plain text: paragraphs and list items unwrapped onto one line each,
    code spans without backticks, links as ``text (url)``, emphasis dropped; fenced
    code blocks are kept as they are."""
    blocks: list[str] = []
    lines: list[str] = []
    fenced = False

    def flush() -> None:
        if lines:
            blocks.append(_inline(" ".join(lines)) if not fenced else "\n".join(lines))
            lines.clear()

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            if not fenced:
                flush()
                fenced = True
                lines.append(line)
            else:
                lines.append(line)
                flush()
                fenced = False
            continue
        if fenced:
            lines.append(line)
        elif not line:
            flush()
            if blocks and blocks[-1] != "":
                blocks.append("")
        elif _ITEM.match(line):
            flush()
            lines.append(line.strip())
        else:
            lines.append(line.strip())
    flush()
    while blocks and blocks[-1] == "":
        blocks.pop()
    return "\n".join(blocks)


def _inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _CODE.finditer(text):
        out.append(_prose(text[pos : m.start()]))
        out.append(m.group(2).strip())
        pos = m.end()
    out.append(_prose(text[pos:]))
    return "".join(out)


def _prose(text: str) -> str:
    text = _LINK.sub(r"\1 (\2)", text)
    return _EMPHASIS.sub(r"\2", text)


def first_sentence(text: str) -> str:
    """The first sentence of ``text``; a lead-in that ends in a colon ends with a full
    stop instead ("Finds ... cannot work:" -> "Finds ... cannot work.")."""
    m = _SENTENCE_END.search(text)
    head = text[: m.start()] if m else text
    head = head.strip()
    if head.endswith(":"):
        head = head[:-1]
    if head and head[-1] not in ".!?":
        head += "."
    return head
