"""``dockready rules`` and ``dockready explain``."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from dockready.rules.registry import CHAPTERS, all_rules


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_cmd(fmt: str) -> None:
    """List every rule: id, name, severity, chapter."""
    rules = all_rules()
    if fmt == "json":
        import json

        data = [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity.label,
                "chapter": r.chapter,
                "summary": r.summary,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(box=None, pad_edge=False)
    # id, name and severity are looked up and grepped for: never wrap them (an 80-column
    # pipe would otherwise fold "http-client-no-timeout" over two lines).
    for col in ("id", "name", "severity"):
        table.add_column(col, no_wrap=True)
    for col in ("chapter", "summary"):
        table.add_column(col, overflow="fold")
    for r in rules:
        table.add_row(
            r.id, r.name, r.severity.label, f"{r.chapter} {CHAPTERS[r.chapter]}", r.summary
        )
    Console(soft_wrap=False).print(table)


@click.command("explain")
@click.argument("rule_id")
def explain_cmd(rule_id: str) -> None:
    """Show the documentation page of a rule (by id or name)."""
    key = rule_id.strip()
    for r in all_rules():
        if key.upper() == r.id or key == r.name:
            Console().print(Markdown(f"# {r.id} {r.name} ({r.severity.label})\n\n{r.doc}"))
            return
    click.echo(f"dockready: error: no rule {rule_id!r} (see `dockready rules`)", err=True)
    sys.exit(2)
