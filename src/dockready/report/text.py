"""Human output: findings grouped by checklist chapter, severity-coloured with rich.

Plain (no colour, no styling) when stdout is not a terminal or ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
from itertools import groupby
from typing import IO

from rich.console import Console
from rich.text import Text

from dockready.model import CHAPTERS, Result, Severity
from dockready.report.escape import printable as _p

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(result: Result, out: IO[str], *, quiet: bool = False, color: bool | None = None) -> None:
    if color is None and os.environ.get("NO_COLOR", ""):
        # rich's own NO_COLOR handling drops colours but keeps bold/dim/underline
        # escapes on a terminal; NO_COLOR here means plain text.
        color = False
    console = Console(
        file=out,
        force_terminal=color,
        no_color=color is False or None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    if not quiet:
        for n in result.notices:
            where = f"{_p(n.span.path)}:{n.span.line}: " if n.span else ""
            console.print(Text(f"notice: {where}{_p(n.message)}", style="dim"))
    for chapter, group in groupby(result.findings, key=lambda f: f.chapter):
        items = list(group)
        if not quiet:
            console.print()
            console.print(Text(f"{chapter} · {CHAPTERS.get(chapter, '')}", style="bold underline"))
        for f in items:
            line = Text()
            line.append(f"{_p(f.span.path)}:{f.span.line}:{f.span.col}", style="bold")
            line.append(" ")
            line.append(f"{f.severity.label:<7}", style=_STYLE[f.severity])
            line.append(f" {f.rule_id} ", style=_STYLE[f.severity])
            line.append(_p(f.message))
            line.append(f"  [{f.name}", style="dim")
            # With services found, a finding of none says so: it was not guessed.
            who = f.service or ("unattributed" if result.services else "")
            line.append(f"{', ' + _p(who) if who else ''}]", style="dim")
            console.print(line)
            if not quiet:
                for r in f.related:
                    rel = Text("    ↳ ", style="dim")
                    rel.append(f"{_p(r.span.path)}:{r.span.line}", style="bold dim")
                    rel.append(f" {_p(r.message)}", style="dim")
                    console.print(rel)
    c = result.counts
    total = len(result.findings)
    summary = Text()
    if not quiet:
        console.print()
    if total == 0:
        summary.append(f"No problems found in {result.files_checked} files.", style="green")
    else:
        summary.append(f"{total} finding{'s' if total != 1 else ''}: ")
        summary.append(f"{c.get('error', 0)} error(s)", style=_STYLE[Severity.ERROR])
        summary.append(", ")
        summary.append(f"{c.get('warning', 0)} warning(s)", style=_STYLE[Severity.WARNING])
        summary.append(", ")
        summary.append(f"{c.get('info', 0)} info", style=_STYLE[Severity.INFO])
        summary.append(f" in {result.files_checked} files, {len(result.services)} service(s).")
    hidden = []
    if result.suppressed:
        hidden.append(f"{len(result.suppressed)} suppressed inline")
    if result.baselined:
        hidden.append(f"{result.baselined} in the baseline")
    if hidden:
        summary.append(f" ({', '.join(hidden)})", style="dim")
    console.print(summary)
