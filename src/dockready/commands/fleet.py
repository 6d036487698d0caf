"""``dockready fleet``: many repositories at once, their readiness, and its history.

``dockready fleet SOURCE...`` checks; ``dockready fleet runs`` lists the stored runs;
``dockready fleet diff [RUN_A] [RUN_B]`` compares two of them. A first argument that
is not ``runs`` or ``diff`` is a SOURCE (write ``./diff`` for a directory named so).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from dockready.commands.options import REPORT_BUG, parse_outputs

DEFAULT_DB = Path(".dockready") / "fleet.db"
DB_HELP = "The history database [default: .dockready/fleet.db]."


class _FleetGroup(click.Group):
    """``fleet SOURCE...`` runs the hidden ``scan`` command; ``fleet runs|diff`` the
    others."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["scan", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path,
            "[scan] SOURCE... [OPTIONS] | runs | diff [RUN_A] [RUN_B]",
        )


@click.group("fleet", cls=_FleetGroup)
def fleet_cmd() -> None:
    """Audit many repositories at once and track their readiness run after run.

    \b
    dockready fleet SOURCE... [--jobs N] [--db FILE] [--timeout S] [--format text|json]
                    [--executor dask://HOST:PORT] [--verify] [--output FORMAT=FILE]
    dockready fleet runs [--db FILE]
    dockready fleet diff [RUN_A] [RUN_B] [--db FILE]

    A SOURCE is a directory (a repository or a monorepo), a git URL (cloned shallow
    into a cache, fetched again on the next run) or a text file listing sources
    (one a line, # comments). Options: dockready fleet scan --help.
    """


def _db_path(db: str | None) -> Path:
    if db is not None:
        path = Path(db)
        if not path.parent.is_dir():
            raise click.BadParameter(f"no such directory {path.parent}", param_hint="--db")
        return path
    return DEFAULT_DB


def _open(path: Path, create: bool) -> Any:
    from dockready.fleet import db

    if not create and not path.is_file():
        click.echo(
            f"dockready: error: no fleet database at {path} (run dockready fleet SOURCE... first)",
            err=True,
        )
        sys.exit(2)
    try:
        if create and path == DEFAULT_DB:
            path.parent.mkdir(exist_ok=True)
        return db.open_db(path)
    except (db.DbError, OSError) as e:
        click.echo(f"dockready: error: {getattr(e, 'strerror', None) or e}", err=True)
        sys.exit(2)


def _parse_outputs(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    from dockready.fleet.output import FORMATS

    return parse_outputs(values, FORMATS)


@fleet_cmd.command("scan")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Repositories checked at once [default: the cores].",
)
@click.option("--db", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option("--no-db", is_flag=True, help="Do not record the run.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Seconds one repository may take (clone and check); then it is an error row.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where git sources are cloned [default: ~/.cache/dockready/fleet].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
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
    help="Also write a report to FILE (repeatable; json, text, html, sarif, junit, "
    "waves-csv, waves-md, waves-json): "
    "--output json=fleet.json --output html=fleet/index.html",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr [default: a bar on a terminal, plain lines otherwise].",
)
@click.option(
    "--executor",
    "executor_url",
    metavar="URL",
    default=None,
    help="Check the repositories on a Dask cluster: dask://HOST:PORT "
    "[default: a local pool of --jobs processes].",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Also build and run each service that has a Dockerfile in a Docker engine, "
    "as dockready verify does (chapter 6), within the repository's --timeout.",
)
def scan_cmd(
    sources: tuple[str, ...],
    jobs: int | None,
    db: str | None,
    no_db: bool,
    timeout: float,
    cache_dir: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    progress: bool | None,
    executor_url: str | None,
    verify: bool,
) -> None:
    """Check every repository of SOURCE... with the engine and config of check.

    Exit status: 0 no service has blockers (error findings of chapters 2-4, and 6
    with --verify), 1 some
    service has blockers or a repository could not be checked, 2 usage error, 3
    internal error.
    """
    from dockready.fleet import db as fleetdb
    from dockready.fleet import output, readiness, runner
    from dockready.fleet import sources as fleetsources

    destinations = _parse_outputs(outputs)
    if verify:
        from dockready.fleet.rehearsal import engine_problem

        problem = engine_problem()
        if problem is not None:  # what dockready verify says, and its exit status
            click.echo(f"dockready: error: {problem}", err=True)
            sys.exit(2)
    db_path = None if no_db else _db_path(db)
    not_recorded = ""
    srcs = fleetsources.expand(sources)
    if not srcs:
        raise click.UsageError("no sources given")
    executor, release = None, None
    if executor_url is not None:
        try:
            executor, release = runner.remote_executor(executor_url)
        except runner.ExecutorError as e:
            raise click.BadParameter(str(e), param_hint="--executor") from None
    conn = _open(db_path, create=True) if db_path is not None else None
    scratch = None
    if conn is None:  # --no-db: a scratch database holds the findings while we run
        scratch = tempfile.TemporaryDirectory(prefix="dockready-fleet-")
        try:
            conn = fleetdb.open_db(Path(scratch.name) / "run.db")
        except fleetdb.DbError:
            conn = None  # then the run keeps its findings in memory
    recorder = fleetdb.Recorder(conn) if conn is not None else None
    # Each repository is stored as it completes (one transaction each) and kept
    # without its findings, which the outputs read back; unless an output needs the
    # whole run (html, sarif, junit), or the database fails us.
    slim = not any(f in output.NEEDS_FINDINGS for f, _ in destinations)
    stored = recorder is not None

    def keep(rep: Any) -> Any:
        nonlocal stored, not_recorded
        if stored and recorder is not None:
            try:
                recorder.add(rep)
            except (fleetdb.DbError, sqlite3.Error) as e:
                stored = False
                if db_path is not None:
                    not_recorded = f"cannot record the run in {db_path}: {e}"
            else:
                if slim:
                    return replace(
                        rep, services=tuple(readiness.without_findings(x) for x in rep.services)
                    )
        return rep

    def findings_of(source: str, name: str) -> list[Any]:
        sid = recorder.service_id(source, name) if recorder is not None else None
        if conn is None or sid is None:  # pragma: no cover - only stored ones are dropped
            raise RuntimeError(f"the findings of {name} in {source} were not stored")
        return fleetdb.stored_findings(conn, sid)

    cache = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "dockready" / "fleet"
    if executor is not None and not cache_dir:
        cache = Path("~/.cache/dockready/fleet")  # each Dask worker's own home
    if progress is False:
        shown: runner.Progress = runner.Progress()
    elif (progress is None or progress) and sys.stderr.isatty():
        shown = runner.BarProgress(sys.stderr)
    else:
        shown = runner.PlainProgress(sys.stderr, output.shown)
    try:
        try:
            if recorder is not None:
                try:
                    recorder.begin(tuple(x.key for x in srcs))
                except (fleetdb.DbError, sqlite3.Error) as e:
                    stored = False
                    if db_path is not None:
                        not_recorded = f"cannot record the run in {db_path}: {e}"
            run = runner.run_fleet(
                srcs,
                jobs=jobs or runner.default_jobs(),
                timeout=timeout,
                cache_dir=cache,
                progress=shown,
                keep_results=any(f in output.NEEDS_RESULTS for f, _ in destinations),
                executor=executor,
                on_report=keep,
                verify=verify,
            )
            if stored and db_path is not None and recorder is not None:
                try:
                    run = replace(run, run_id=recorder.finish(run))
                except (fleetdb.DbError, sqlite3.Error) as e:
                    not_recorded = f"cannot record the run in {db_path}: {e}"
        except Exception as e:  # last resort
            click.echo(
                f"dockready: internal error: {type(e).__name__}: {e}; {REPORT_BUG}", err=True
            )
            sys.exit(3)
        finally:
            if release is not None:
                release()
        for out_fmt, dest in destinations:
            try:
                output.write(out_fmt, run, dest, db_path, findings_of)
            except OSError as e:
                click.echo(f"dockready: error: cannot write {dest}: {e.strerror or e}", err=True)
                sys.exit(3)
        for piece in output.chunks(fmt, run, findings_of):
            sys.stdout.write(piece)
    finally:
        if conn is not None:
            conn.close()
        if scratch is not None:
            scratch.cleanup()
    if not_recorded:  # the report is out; the history is not
        click.echo(f"dockready: error: {not_recorded}", err=True)
        sys.exit(3)
    failed = any(r.failed for r in run.repos)
    sys.exit(1 if output.blocked(run) or failed else 0)


@fleet_cmd.command("runs")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
def runs_cmd(db: str | None) -> None:
    """List the runs stored in the database."""
    from dockready.fleet import db as fleetdb
    from dockready.fleet import output

    conn = _open(_db_path(db), create=False)
    try:
        sys.stdout.write(output.runs_text(fleetdb.runs(conn)))
    finally:
        conn.close()


@fleet_cmd.command("diff")
@click.argument("run_a", type=int, required=False)
@click.argument("run_b", type=int, required=False)
@click.option("--db", type=click.Path(dir_okay=False), default=None, help=DB_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def diff_cmd(run_a: int | None, run_b: int | None, db: str | None, fmt: str) -> None:
    """New, fixed and still-open findings per service between two runs (by
    fingerprint). RUN_A defaults to the run before RUN_B, RUN_B to the last run."""
    from dockready.fleet import db as fleetdb
    from dockready.fleet import output

    conn = _open(_db_path(db), create=False)
    try:
        ids = fleetdb.run_ids(conn)
        for given in (run_a, run_b):
            if given is not None and given not in ids:
                click.echo(
                    f"dockready: error: no run {given} in the database (runs: {', '.join(map(str, ids)) or 'none'})",
                    err=True,
                )
                sys.exit(2)
        if run_b is None:
            later = [i for i in ids if run_a is None or i > run_a]
            run_b = later[-1] if later else None
        if run_a is None and run_b is not None:
            earlier = [i for i in ids if i < run_b]
            run_a = earlier[-1] if earlier else None
        if run_a is None or run_b is None:
            click.echo("dockready: error: a diff needs two runs in the database", err=True)
            sys.exit(2)
        diffs = fleetdb.diff(conn, run_a, run_b)
    finally:
        conn.close()
    render = output.diff_json if fmt == "json" else output.diff_text
    sys.stdout.write(render(run_a, run_b, diffs))
