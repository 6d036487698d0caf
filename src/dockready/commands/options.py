"""Options and messages every command shares."""

from __future__ import annotations

from collections.abc import Callable
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
