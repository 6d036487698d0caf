"""The task a pool worker runs for one repository: ``audit_task``.

It is a top-level function of picklable arguments and value, so that any
``concurrent.futures.Executor`` can run it (the local process pool today). It never
raises: a repository that cannot be cloned, configured, read or checked in time is a
``RepoReport`` with ``status == "error"`` and a one-line reason.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from dockready.config import ConfigError, resolve_config
from dockready.engine import UsageError, check
from dockready.fleet import sources
from dockready.fleet.graph import Links, links_of
from dockready.fleet.isolate import one_line, run_isolated
from dockready.fleet.readiness import ServiceReadiness, services_of
from dockready.model import Result, RuleInfo

OK, ERROR = "ok", "error"


@dataclass(frozen=True, slots=True)
class Task:
    source: sources.Source
    timeout: float
    cache_dir: str
    #: Check in a child process that is killed after ``timeout`` (off only in tests
    #: that patch the engine in this process).
    isolated: bool = True
    #: Send the whole check ``Result`` back (``RepoReport.result``): the dashboard's
    #: per-repository reports and the fleet SARIF need it; nothing else does.
    keep_result: bool = False
    #: ``fleet --verify``: rehearse each service that has a Dockerfile in Docker
    #: after the check (``rehearsal``), within the same time limit.
    verify: bool = False


@dataclass(frozen=True, slots=True)
class RepoReport:
    source: str
    path: str
    status: str
    error: str = ""
    seconds: float = 0.0
    files: int = 0
    services: tuple[ServiceReadiness, ...] = ()
    #: The check's ``Result`` when the task asked for it (``Task.keep_result``).
    result: Result | None = field(default=None, compare=False, repr=False)
    #: Per service, the names it answers to and the addresses it calls (``graph``).
    links: tuple[Links, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == ERROR


@dataclass(frozen=True, slots=True)
class Checked:
    """What the child process sends back."""

    files: int
    services: tuple[ServiceReadiness, ...]
    result: Result | None = None
    links: tuple[Links, ...] = ()


def share_rules(report: RepoReport, known: dict[RuleInfo, RuleInfo]) -> RepoReport:
    """``report`` with its result's rules replaced by equal ones seen before: the
    results a fleet keeps share one copy of each rule's documentation (about 200 KB
    a repository otherwise)."""
    if report.result is None:
        return report
    rules = tuple(known.setdefault(r, r) for r in report.result.rules)
    return replace(report, result=replace(report.result, rules=rules))


class RepoError(Exception):
    """A repository that cannot be checked, with the reason to show."""


def check_repository(
    path: str, keep_result: bool = False, verify_seconds: float | None = None, run_id: str = ""
) -> Checked:
    """``dockready check PATH`` as the fleet sees it: the repository's own
    ``.dockready.toml`` (found as ``check`` finds it), one process. With
    ``verify_seconds``, then ``dockready verify`` of each service with a Dockerfile,
    all within that many seconds from the start; what Docker objects it makes carry
    the label of ``run_id`` (one of its own when empty)."""
    start = time.monotonic()
    try:
        config = resolve_config([path])
        outcome = check([path], config, jobs=1)
    except (UsageError, ConfigError) as e:
        raise RepoError(str(e)) from None
    if outcome.internal_errors:
        raise RepoError(f"internal error in the rules: {outcome.internal_errors[0]}")
    result = outcome.result
    if verify_seconds is not None and outcome.index is not None:
        from dockready.fleet import rehearsal

        left = verify_seconds - (time.monotonic() - start)
        try:
            result = rehearsal.verified(
                result, outcome.index, Path(result.root), config, left, run_id
            )
        except rehearsal.RehearsalError as e:
            raise RepoError(str(e)) from None
    try:
        links = links_of(outcome.index) if outcome.index is not None else ()
    except Exception:  # the graph is an extra: a bug there must not lose the check
        links = ()
    return Checked(
        result.files_checked,
        services_of(result, verified=verify_seconds is not None),
        result if keep_result else None,
        links,
    )


def audit_task(task: Task) -> RepoReport:
    start = time.monotonic()
    src = task.source

    def error(reason: str, path: str = "") -> RepoReport:
        shown = path or (src.location if src.kind != sources.GIT else "")
        return RepoReport(src.key, shown, ERROR, reason, time.monotonic() - start)

    try:
        if src.problem:
            return error(src.problem, src.location)
        if src.kind == sources.GIT:
            try:
                # ``~`` is the worker's home (a Dask worker may be another machine)
                cache = Path(task.cache_dir).expanduser()
                path = str(sources.sync(src.location, cache, task.timeout))
            except sources.GitError as e:
                return error(str(e))
        else:
            path = src.location
        left = task.timeout - (time.monotonic() - start)
        if left <= 0:
            return error(f"timed out after {task.timeout:g} s", path)
        # the rehearsals stop a little before the limit, to clean up after themselves
        budget = max(0.0, left - 5.0) if task.verify else None
        # the label of the rehearsals' Docker objects, known here to remove them if the
        # check process is killed before it could
        run_id = f"fleet-{uuid.uuid4().hex[:12]}" if task.verify else ""
        if task.isolated:
            out = run_isolated(_check_or_reason, (path, task.keep_result, budget, run_id), left)
            if run_id and not out.ok:
                _sweep(run_id)
            if out.timed_out:  # the repository's limit, clone included
                return error(f"timed out after {task.timeout:g} s", path)
            if not out.ok:
                return error(out.error, path)
            value = out.value
        else:
            value = _check_or_reason(path, task.keep_result, budget, run_id)
        if isinstance(value, str):
            return error(value, path)
        return RepoReport(
            src.key,
            path,
            OK,
            "",
            time.monotonic() - start,
            value.files,
            value.services,
            value.result,
            value.links,
        )
    except Exception as e:  # one repository never stops the fleet
        return error(one_line(e))


def _sweep(run_id: str) -> None:
    """Remove the Docker objects labelled with ``run_id``: those of rehearsals whose
    process was killed (a timeout) or died before its own clean-up ran. A container
    left would run on, holding its port and memory."""
    from dockready.verify.docker import Docker, EngineError, Janitor

    with contextlib.suppress(EngineError, OSError):
        Janitor(Docker.find(), run_id=run_id).sweep()


def _check_or_reason(
    path: str, keep_result: bool = False, verify_seconds: float | None = None, run_id: str = ""
) -> Checked | str:
    try:
        return check_repository(path, keep_result, verify_seconds, run_id)
    except RepoError as e:
        return str(e)
    except RecursionError:
        return "the repository is nested too deeply to check"
    except MemoryError:
        return "out of memory"
    except Exception as e:
        return f"internal error: {one_line(e)}"
