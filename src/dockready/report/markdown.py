"""``--format markdown``: a short summary for ``$GITHUB_STEP_SUMMARY`` or a PR comment.

A title with the counts, the checklist of each service (passed, failed and not
applicable items per chapter, counted as in the JUnit report), then the findings by chapter, capped at
``MAX_ROWS`` rows so the whole stays well under a comment's size limit. Cell text
is escaped for GitHub-flavoured Markdown tables: ``|`` everywhere, Markdown and
HTML syntax outside the message's own `code spans`, newlines as ``<br>``.
"""

from __future__ import annotations

import re
from itertools import groupby

from dockready.model import Finding, Result, Severity
from dockready.report.checklist import chapter_title, checklist, tally

MAX_ROWS = 200
MAX_SERVICES = 20
MAX_NOTICES = 20

_MARKUP = re.compile(r"([\\*_\[\]~])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKUP.sub(r"\\\1", text).replace("|", "\\|")
    return _NEWLINES.sub("<br>", text)


def _code(text: str) -> str:
    # GFM splits table rows on | even inside code spans; \| is the way to keep one.
    # The text holds no backtick: it is what lies between two of the message's.
    return "`" + _NEWLINES.sub(" ", text).replace("|", "\\|") + "`"


def cell(text: str) -> str:
    """Text for one table cell: the message's `code spans` stay code spans."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unbalanced backtick: no code spans at all
        return _text(text).replace("`", "\\`")
    return "".join(_code(p) if i % 2 else _text(p) for i, p in enumerate(parts))


def _title(result: Result) -> str:
    count = {s: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    return (
        f"### dockready: {_plural(count[Severity.ERROR], 'error')}, "
        f"{_plural(count[Severity.WARNING], 'warning')}, {count[Severity.INFO]} info"
    )


def _checklists(result: Result) -> list[str]:
    out: list[str] = []
    suites = checklist(result)
    for name, items in suites[:MAX_SERVICES]:
        out += [f"| {cell(name)} | passed | failed | n/a |", "|:--|--:|--:|--:|"]
        for chapter, group in groupby(
            sorted(items, key=lambda it: it.chapter), lambda it: it.chapter
        ):
            passed, failed, na = tally(list(group))
            out.append(f"| {cell(chapter_title(chapter))} | {passed} | {failed} | {na} |")
        passed, failed, na = tally(items)
        out += [f"| **total** | **{passed}** | **{failed}** | **{na}** |", ""]
    if len(suites) > MAX_SERVICES:
        out += [f"… and {_plural(len(suites) - MAX_SERVICES, 'more service')}.", ""]
    return out


def _row(f: Finding) -> str:
    message = cell(f.message) + "".join(
        f"<br>↳ {cell(f'{r.span.path}:{r.span.line}')} {cell(r.message)}" for r in f.related
    )
    where = cell(f"{f.span.path}:{f.span.line}")
    return f"| {f.severity.label} | {f.rule_id} | {where} | {message} |"


def _findings(result: Result) -> list[str]:
    if not result.findings:
        return ["No problems found.", ""]
    out: list[str] = []
    ordered = sorted(result.findings, key=lambda f: f.chapter)  # stable: keeps the order
    shown = ordered[:MAX_ROWS]
    for chapter, group in groupby(shown, key=lambda f: f.chapter):
        out += [f"#### {chapter_title(chapter)}", ""]
        out += ["| severity | id | location | message |", "|---|---|---|---|"]
        out += [_row(f) for f in group]
        out.append("")
    hidden = len(result.findings) - len(shown)
    if hidden:
        out += [f"… and {hidden} more (run `dockready check` for the full report).", ""]
    return out


def _notices(result: Result) -> list[str]:
    if not result.notices:
        return []
    out = [f"<details><summary>{_plural(len(result.notices), 'notice')}</summary>", ""]
    for n in result.notices[:MAX_NOTICES]:
        where = f"{n.span.path}:{n.span.line}: " if n.span else ""
        out.append(f"- {cell(where + n.message)}")
    hidden = len(result.notices) - MAX_NOTICES
    if hidden > 0:
        out.append(f"- … and {hidden} more")
    return [*out, "", "</details>", ""]


def render(result: Result) -> str:
    files = _plural(result.files_checked, "file")
    services = _plural(len(result.services), "service")
    total = len(result.findings)
    summary = (
        f"{_plural(total, 'finding')} in {files}, {services}."
        if total
        else f"Checked {files}, {services}."
    )
    lines = [_title(result), "", summary, ""]
    lines += _checklists(result)
    lines += _findings(result)
    lines += _notices(result)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"
