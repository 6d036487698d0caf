"""Options and messages every command shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

REPORT_BUG = "please report it at the dockready issue tracker with the command you ran"

F = TypeVar("F", bound=Callable[..., Any])


def config_options(fn: F) -> F:
    """``--config FILE`` and ``--no-config``: which ``.dockready.toml`` is read."""
    fn = click.option("--no-config", is_flag=True, help="Ignore any .dockready.toml.")(fn)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Read this configuration file instead of looking for .dockready.toml.",
    )(fn)


def render_options(fn: F) -> F:
    """``--helm-values FILE`` and ``--no-render``: how charts and overlays are read."""
    fn = click.option(
        "--no-render",
        is_flag=True,
        help="Do not render Helm charts or build Kustomize overlays (their templates "
        "are skipped with a notice; overlay files are checked one by one).",
    )(fn)
    return click.option(
        "--helm-values",
        "helm_values",
        multiple=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Helm values file, over the chart's values.yaml (repeatable, in order); "
        "it applies to the chart whose folder holds it, or to the only chart.",
    )(fn)


def parse_outputs(values: tuple[str, ...], formats: Sequence[str]) -> list[tuple[str, Path]]:
    """``--output FORMAT=FILE`` values: a known format, and a file whose directory
    exists (checked before the run; a directory is never created)."""
    out = []
    for v in values:
        fmt, sep, dest = v.partition("=")
        if not sep or not dest:
            raise click.BadParameter(f"{v!r}: expected FORMAT=FILE", param_hint="--output")
        if fmt not in formats:
            raise click.BadParameter(
                f"{fmt!r} is not a format (one of {', '.join(formats)})", param_hint="--output"
            )
        path = Path(dest)
        if not path.parent.is_dir():
            raise click.BadParameter(
                f"cannot write {dest}: no such directory {path.parent}", param_hint="--output"
            )
        out.append((fmt, path))
    return out
