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
