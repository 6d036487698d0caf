"""``dockready check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dockready import baseline, report
from dockready.cache import DIRNAME
from dockready.commands.options import REPORT_BUG, config_options, parse_outputs, render_options
from dockready.config import ConfigError, resolve_config
from dockready.engine import UsageError, check, resolve_root
from dockready.model import Severity


def _parse_outputs(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    return parse_outputs(values, report.available())


def _cache_dir(targets: list[str], no_cache: bool, cache_dir: str | None) -> Path | None:
    if no_cache:
        return None
    if cache_dir:
        return Path(cache_dir)
    return resolve_root(targets)[0] / DIRNAME


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
    default=None,
    help="Exit 1 when a finding is at or above this severity "
    "[default: the config's fail-on, else error].",
)
@config_options
@click.option(
    "--select",
    multiple=True,
    metavar="IDS",
    help="Run only these rules (ids or prefixes, comma-separated, repeatable); "
    "replaces the config's select and ignore.",
)
@click.option("--extend-select", multiple=True, metavar="IDS", help="Run these rules too.")
@click.option(
    "--ignore",
    multiple=True,
    metavar="IDS",
    help="Do not run these rules (ids or prefixes); replaces the config's ignore.",
)
@click.option(
    "--extend-ignore", multiple=True, metavar="IDS", help="Do not run these rules either."
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Report only findings that are not in this baseline (see --write-baseline).",
)
@click.option(
    "--write-baseline",
    "write_baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record today's findings in FILE and exit 0: later runs with --baseline FILE "
    "report only new ones.",
)
@render_options
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOBS",
    help="Paths never read (comma-separated, repeatable); replaces the config's exclude "
    "and the defaults (.git, node_modules, .venv, bin, dist...).",
)
@click.option(
    "--extend-exclude", multiple=True, metavar="GLOBS", help="Paths never read, besides those."
)
@click.option(
    "--kube-version",
    "kube_version",
    default=None,
    metavar="VERSION",
    help="Validate manifests against this Kubernetes version's schemas (DR425), "
    'e.g. "1.30"; over the config\'s kube-version [default: the newest installed].',
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    envvar="DOCKREADY_NO_CACHE",
    help="Parse every file again (no .dockready_cache/).",
)
@click.option(
    "--cache-dir",
    "cache_dir",
    type=click.Path(file_okay=False),
    default=None,
    envvar="DOCKREADY_CACHE_DIR",
    help="Cache parsed facts here [default: .dockready_cache/ at the checked root].",
)
@click.option("-q", "--quiet", is_flag=True, help="Only findings and the summary line.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parser processes.")
@click.option("--timings", is_flag=True, help="Print where the time went (per phase) to stderr.")
def check_cmd(
    paths: tuple[str, ...],
    fmt: str,
    outputs: tuple[str, ...],
    fail_on: str | None,
    config_file: str | None,
    no_config: bool,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_ignore: tuple[str, ...],
    baseline_file: str | None,
    write_baseline: str | None,
    helm_values: tuple[str, ...],
    no_render: bool,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    kube_version: str | None,
    no_cache: bool,
    cache_dir: str | None,
    quiet: bool,
    jobs: int | None,
    timings: bool,
) -> None:
    """Audit Go services (code, Dockerfiles, manifests) under PATHS (default: .).

    Reads .dockready.toml from the first PATH or the nearest directory above it (up
    to the repository root); command-line options override it.
    """
    destinations = _parse_outputs(outputs)
    targets = list(paths) or ["."]
    try:
        config = (
            resolve_config(
                targets,
                config_file=config_file,
                no_config=no_config,
                select=select,
                ignore=ignore,
                extend_select=extend_select,
                extend_ignore=extend_ignore,
                fail_on=fail_on,
                baseline=None if write_baseline else baseline_file,
            )
            .with_render(helm_values, no_render)
            .with_cache(_cache_dir(targets, no_cache, cache_dir))
            .with_exclude(exclude, extend_exclude)
            .with_kube_version(kube_version)
        )
        outcome = check(targets, config, jobs=jobs)
    except (UsageError, ConfigError) as e:
        click.echo(f"dockready: error: {e}", err=True)
        sys.exit(2)
    except Exception as e:  # pragma: no cover - last resort
        click.echo(f"dockready: internal error: {type(e).__name__}: {e}; {REPORT_BUG}", err=True)
        sys.exit(3)
    result = outcome.result
    if write_baseline:
        try:
            baseline.write(Path(write_baseline), result.findings)
        except baseline.BaselineError as e:
            click.echo(f"dockready: error: {e}", err=True)
            sys.exit(2)
        click.echo(
            f"dockready: wrote {write_baseline} with {len(result.findings)} finding(s)", err=True
        )
        sys.exit(0)
    for out_fmt, dest in destinations:
        try:
            dest.write_text(report.render(out_fmt, result), encoding="utf-8")
        except OSError as e:
            click.echo(f"dockready: error: cannot write {dest}: {e.strerror or e}", err=True)
            sys.exit(3)
    if fmt == "text":
        from dockready.report import text

        text.render(result, sys.stdout, quiet=quiet)
    else:
        sys.stdout.write(report.render(fmt, result))
    if timings:
        total = sum(t for _, t in outcome.timings)
        parts = ", ".join(f"{name} {t:.2f}s" for name, t in outcome.timings)
        click.echo(f"dockready: timings: {parts} (total {total:.2f}s)", err=True)
        n = dict(outcome.counts)
        read = (
            f"Go files: {n.get('go_parsed', 0):,} read in full, {n.get('go_skimmed', 0):,} skimmed "
            "(nothing in them a rule reads)"
        )
        if "cache_hits" in n:
            hits, misses = n["cache_hits"], n.get("cache_misses", 0)
            read += f"; cache: {hits:,} of {hits + misses:,} files taken from it"
        click.echo(f"dockready: {read}", err=True)
    for err in outcome.internal_errors:
        click.echo(f"dockready: internal error: {err}; {REPORT_BUG}", err=True)
    if outcome.internal_errors:
        sys.exit(3)
    threshold = config.fail_on or "error"
    if threshold != "never" and result.at_or_above(Severity.parse(threshold)):
        sys.exit(1)
    sys.exit(0)
