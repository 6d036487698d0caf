"""Command line: arguments -> options -> engine -> reporter. One module per command."""

from __future__ import annotations

import os
import sys

import click

from dockready import __version__
from dockready.commands.check import check_cmd
from dockready.commands.fleet import fleet_cmd
from dockready.commands.init import init_cmd
from dockready.commands.rules import explain_cmd, rules_cmd
from dockready.commands.verify import verify_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dockready")
def cli() -> None:
    """Get Go services into Docker and Kubernetes without the usual failures."""


cli.add_command(check_cmd)
cli.add_command(rules_cmd)
cli.add_command(verify_cmd)
cli.add_command(explain_cmd)
cli.add_command(init_cmd)
cli.add_command(fleet_cmd)


def _tolerant_streams() -> None:
    """A character the terminal's encoding lacks (``↳`` under cp1252) is written as an
    escape, never a crash at report time."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main() -> None:
    _tolerant_streams()
    try:
        cli.main(prog_name="dockready", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
    except OSError as e:
        # the report could not be written (stdout on a full disk, a closed pipe): exit
        # 3, never 1, which CI reads as "findings"
        try:
            print(f"dockready: error: cannot write the report: {e.strerror or e}", file=sys.stderr)
        finally:
            os._exit(3)
    except SystemExit as e:
        # Everything is written: skip tearing down a large heap object by object.
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
        try:
            sys.stdout.flush()
        except OSError as err:  # stdout on a full disk, a closed pipe: not "findings"
            print(
                f"dockready: error: cannot write the report: {err.strerror or err}", file=sys.stderr
            )
            code = 3
        sys.stderr.flush()
        os._exit(code)
