"""``dockready check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dockready import report
from dockready.engine import UsageError, check
from dockready.model import Severity

REPORT_BUG = "please report it at the dockready issue tracker with the command you ran"


def _parse_outputs(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    formats = report.available()
    out = []
    for v in values:
        fmt, sep, dest = v.partition("=")
        if not sep or not dest:
            raise click.BadParameter(f"{v!r}: expected FORMAT=FILE", param_hint="--output")
        if fmt not in formats:
            raise click.BadParameter(
                f"{fmt!r} is not a format (one of {', '.join(formats)})", param_hint="--output"
            )
        out.append((fmt, Path(dest)))
    return out


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(report.available()),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write a report to FILE (repeatable): --output sarif=dockready.sarif",
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
    outputs: tuple[str, ...],
    fail_on: str,
    quiet: bool,
    jobs: int | None,
    timings: bool,
) -> None:
    """Audit Go services (code, Dockerfiles, manifests) under PATHS (default: .)."""
    destinations = _parse_outputs(outputs)
    try:
        outcome = check(list(paths) or ["."], jobs=jobs)
    except UsageError as e:
        click.echo(f"dockready: error: {e}", err=True)
        sys.exit(2)
    except Exception as e:  # pragma: no cover - last resort
        click.echo(f"dockready: internal error: {type(e).__name__}: {e}; {REPORT_BUG}", err=True)
        sys.exit(3)
    result = outcome.result
    for out_fmt, dest in destinations:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(report.render(out_fmt, result), encoding="utf-8")
        except OSError as e:
            click.echo(f"dockready: error: cannot write {dest}: {e.strerror or e}", err=True)
            sys.exit(2)
    if fmt == "text":
        from dockready.report import text

        text.render(result, sys.stdout, quiet=quiet)
    else:
        sys.stdout.write(report.render(fmt, result))
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
