"""``dockready check``."""

from __future__ import annotations

import sys

import click

from dockready.engine import UsageError, check
from dockready.model import Severity
from dockready.report import jsonfmt, text

REPORT_BUG = "please report it at the dockready issue tracker with the command you ran"


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only findings and the summary line.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parser processes.")
@click.option("--timings", is_flag=True, help="Print where the time went (per phase) to stderr.")
def check_cmd(
    paths: tuple[str, ...],
    fmt: str,
    fail_on: str,
    quiet: bool,
    jobs: int | None,
    timings: bool,
) -> None:
    """Audit Go services (code, Dockerfiles, manifests) under PATHS (default: .)."""
    try:
        outcome = check(list(paths) or ["."], jobs=jobs)
    except UsageError as e:
        click.echo(f"dockready: error: {e}", err=True)
        sys.exit(2)
    except Exception as e:  # pragma: no cover - last resort
        click.echo(f"dockready: internal error: {type(e).__name__}: {e}; {REPORT_BUG}", err=True)
        sys.exit(3)
    result = outcome.result
    if fmt == "json":
        sys.stdout.write(jsonfmt.render(result))
    else:
        text.render(result, sys.stdout, quiet=quiet)
    if timings:
        total = sum(t for _, t in outcome.timings)
        parts = ", ".join(f"{name} {t:.2f}s" for name, t in outcome.timings)
        click.echo(f"dockready: timings: {parts} (total {total:.2f}s)", err=True)
    for err in outcome.internal_errors:
        click.echo(f"dockready: internal error: {err}; {REPORT_BUG}", err=True)
    if outcome.internal_errors:
        sys.exit(3)
    if fail_on != "never" and result.at_or_above(Severity.parse(fail_on)):
        sys.exit(1)
    sys.exit(0)
