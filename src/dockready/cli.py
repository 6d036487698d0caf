"""Command line: arguments -> options -> engine -> reporter. One module per command."""

from __future__ import annotations

import sys

import click

from dockready import __version__
from dockready.commands.check import check_cmd
from dockready.commands.rules import explain_cmd, rules_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dockready")
def cli() -> None:
    """Get Go services into Docker and Kubernetes without the usual failures."""


cli.add_command(check_cmd)
cli.add_command(rules_cmd)
cli.add_command(explain_cmd)


def main() -> None:
    try:
        cli.main(prog_name="dockready", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
