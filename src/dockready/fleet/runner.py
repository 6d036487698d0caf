"""The repositories of a fleet through a ``concurrent.futures.Executor``.

The executor is made by ``make_executor`` (a bounded ``ProcessPoolExecutor`` today);
anything with ``submit`` and futures (a Dask client's executor) can take its place,
since the work is one picklable function, ``worker.audit_task``. A worker that dies
under the pool turns its repositories into error rows; the others go on.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from dockready import __version__
from dockready.fleet import sources
from dockready.fleet.isolate import one_line
from dockready.fleet.worker import ERROR, RepoReport, Task, audit_task, share_rules

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class FleetRun:
    started_at: str
    finished_at: str
    seconds: float
    tool_version: str
    sources: tuple[str, ...]
    repos: tuple[RepoReport, ...]
    run_id: int | None = field(default=None)


def default_jobs() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def make_executor(jobs: int) -> Executor:
    """A bounded pool of processes. Workers are forked (the engine is imported once),
    before any progress thread runs: every worker starts at the first submit."""
    ctx = multiprocessing.get_context("fork") if sys.platform != "win32" else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)


class ExecutorError(Exception):
    """An ``--executor`` that cannot be used, with the reason to show."""


def remote_executor(url: str, timeout: float = 30.0) -> tuple[Executor, Callable[[], None]]:
    """The executor that ``--executor URL`` names, and how to let it go. Only
    ``dask://HOST:PORT`` today: a ``distributed.Client`` of that scheduler, whose
    ``get_executor()`` takes the pool's place (the repositories must be reachable
    from the Dask workers: git URLs, or paths on a shared file system)."""
    scheme, sep, address = url.partition("://")
    if not sep or scheme != "dask" or not address or "/" in address:
        raise ExecutorError(f"{url!r}: expected dask://HOST:PORT")
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorError(
            "--executor dask:// needs Dask: pip install 'dockready[dask]'"
        ) from None
    try:
        client = Client(f"tcp://{address}", timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as e:
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {address}: {one_line(e)}"
        ) from None
    executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
    return executor, client.close


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Progress:
    """What the user sees while the fleet runs."""

    def start(self, total: int) -> None: ...
    def advance(self, report: RepoReport) -> None: ...
    def stop(self) -> None: ...


class PlainProgress(Progress):
    """``[3/20] path: 4 services, 12 findings (2.1 s)`` per repository, on a stream."""

    def __init__(self, stream: TextIO, shown: Callable[[str], str]) -> None:
        self.stream, self.shown, self.done, self.total = stream, shown, 0, 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, report: RepoReport) -> None:
        self.done += 1
        where = self.shown(report.source)
        if report.failed:
            what = f"error: {report.error}"
        else:
            n = sum(s.finding_count for s in report.services)
            services = sum(1 for s in report.services if not s.is_repository)
            what = f"{services} service{'s' * (services != 1)}, {n} finding{'s' * (n != 1)}"
        print(
            f"[{self.done}/{self.total}] {where}: {what} ({report.seconds:.1f} s)",
            file=self.stream,
            flush=True,
        )


class BarProgress(Progress):
    """A rich progress bar: done, failed, left, ETA (on a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(
            TextColumn("fleet"),
            BarColumn(),
            TextColumn(
                "{task.fields[done]} done, {task.fields[failed]} failed, {task.fields[left]} left"
            ),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self.failed = 0

    def start(self, total: int) -> None:
        self.task = self.bar.add_task("fleet", total=total, done=0, failed=0, left=total)
        self.total = total
        self.bar.start()

    def advance(self, report: RepoReport) -> None:
        self.failed += report.failed
        done = int(self.bar.tasks[0].completed) + 1
        self.bar.update(self.task, advance=1, done=done, failed=self.failed, left=self.total - done)

    def stop(self) -> None:
        self.bar.stop()


def run_fleet(
    srcs: Sequence[sources.Source],
    *,
    jobs: int,
    timeout: float = DEFAULT_TIMEOUT,
    cache_dir: Path,
    progress: Progress | None = None,
    executor: Executor | None = None,
    isolated: bool = True,
    keep_results: bool = False,
    on_report: Callable[[RepoReport], RepoReport] | None = None,
    verify: bool = False,
) -> FleetRun:
    """Check every source; the reports come back in the order of ``srcs``.
    ``keep_results``: each report carries its check ``Result`` (``RepoReport.result``).
    ``on_report``: called with each report as it arrives (after the progress); what
    it returns is kept in its place (the command stores the report and keeps it
    without its findings). Done futures are let go at once: the parent holds only
    what ``on_report`` returns. ``verify``: each repository's services are also
    rehearsed in Docker (``fleet --verify``)."""
    progress = progress or Progress()
    started, clock = now(), time.monotonic()
    tasks = [Task(s, timeout, str(cache_dir), isolated, keep_results, verify) for s in srcs]
    reports: dict[int, RepoReport] = {}
    known_rules: dict[Any, Any] = {}  # one copy of each rule across kept results
    own = executor is None
    pool = executor if executor is not None else make_executor(max(1, min(jobs, len(tasks) or 1)))
    try:
        futures: dict[Future[RepoReport], int] = {
            pool.submit(audit_task, t): i for i, t in enumerate(tasks)
        }
        progress.start(len(tasks))
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=futures.__getitem__):
                    i = futures.pop(fut)
                    try:
                        rep = fut.result()
                    except Exception as e:  # a worker died under the pool
                        s = tasks[i].source
                        rep = RepoReport(
                            s.key,
                            s.location if s.kind != sources.GIT else "",
                            ERROR,
                            f"the worker failed: {one_line(e)}",
                        )
                    rep = share_rules(rep, known_rules)
                    progress.advance(rep)
                    reports[i] = on_report(rep) if on_report is not None else rep
        finally:
            progress.stop()
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return FleetRun(
        started_at=started,
        finished_at=now(),
        seconds=time.monotonic() - clock,
        tool_version=__version__,
        sources=tuple(s.key for s in srcs),
        repos=tuple(reports[i] for i in range(len(tasks))),
    )
