"""``dockready rules`` and ``dockready explain``."""

from __future__ import annotations

import json
import sys

import click

from dockready.rules.registry import CHAPTERS, all_rules


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_cmd(fmt: str) -> None:
    """List every rule: id, name, severity, chapter, summary.

    On a terminal, a table. Piped, one rule per line after a header line, fields
    separated by tabs (``id``, ``name``, ``severity``, ``chapter``, ``summary``), never
    wrapped or cut. ``--format json``: the same list as data, with the inputs each
    rule reads and its tags."""
    rules = all_rules()
    if fmt == "json":
        data = [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity.label,
                "chapter": r.chapter,
                "summary": r.summary,
                "reads": [i.value for i in r.reads],
                "tags": sorted(t.value for t in r.tags),
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    if not sys.stdout.isatty():
        out = ["id\tname\tseverity\tchapter\tsummary"]
        out += [
            "\t".join((r.id, r.name, r.severity.label, _chapter(r.chapter), _field(r.summary)))
            for r in rules
        ]
        sys.stdout.write("\n".join(out) + "\n")
        return
    from rich.console import Console  # here: rich costs start-up time to every command
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    # id, name and severity are looked up and grepped for: never wrap them (an 80-column
    # pipe would otherwise fold "http-client-no-timeout" over two lines).
    for col in ("id", "name", "severity"):
        table.add_column(col, no_wrap=True)
    for col in ("chapter", "summary"):
        table.add_column(col, overflow="fold")
    for r in rules:
        table.add_row(r.id, r.name, r.severity.label, _chapter(r.chapter), r.summary)
    Console(soft_wrap=False).print(table)


def _chapter(n: int) -> str:
    return f"{n} {CHAPTERS[n]}"


def _field(text: str) -> str:
    """One tab-separated field: no tabs or line breaks inside."""
    return " ".join(text.split())


@click.command("explain")
@click.argument("rule_id")
def explain_cmd(rule_id: str) -> None:
    """Show the documentation page of a rule (by id or name)."""
    key = rule_id.strip()
    for r in all_rules():
        if key.upper() == r.id or key == r.name:
            from rich.console import Console
            from rich.markdown import Markdown

            Console().print(Markdown(f"# {r.id} {r.name} ({r.severity.label})\n\n{r.doc}"))
            return
    click.echo(f"dockready: error: no rule {rule_id!r} (see `dockready rules`)", err=True)
    sys.exit(2)
