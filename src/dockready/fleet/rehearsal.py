"""``fleet --verify``: after the static check, each service of a repository that has
a Dockerfile is built and run in a Docker engine with the code path of ``dockready
verify`` (its functions, in the worker's check process, not a subprocess); its
chapter 6 findings join the check's result, and the service is marked observed.

The rehearsals share the repository's time limit: each gets what is left of it.
"""

from __future__ import annotations

import contextlib
import io
import time
import uuid
from dataclasses import replace
from pathlib import Path

from dockready.config import Config
from dockready.engine import finding_order
from dockready.facts.index import ProjectIndex
from dockready.model import Finding, Result
from dockready.rules.registry import observed_rules

#: The least time a rehearsal is started with (``verify --timeout`` has the same floor).
MIN_SECONDS = 5.0


class RehearsalError(Exception):
    """A rehearsal that could not be made, with the reason to show."""


def engine_problem() -> str | None:
    """Why no Docker engine can be used (``verify``'s own message), or None."""
    from dockready.verify.docker import Docker, EngineError

    try:
        Docker.find()
    except EngineError as e:
        return str(e)
    return None


def rehearse_one(
    index: ProjectIndex,
    root: Path,
    service: str,
    config: Config,
    timeout: float,
    run_id: str = "",
) -> list[Finding]:
    """``dockready verify ROOT --service SERVICE --timeout TIMEOUT``'s findings: the
    image built from the service's first Dockerfile, run as its workload says. A
    build that fails is a DR601 finding, as in ``verify``. Every container and image
    made carries the label of ``run_id`` (one of its own when empty) and is removed
    at the end."""
    from dockready.commands import verify as verify_cmd
    from dockready.verify.docker import Docker, EngineError, Janitor

    (svc,) = [s for s in index.services if s.name == service]
    said = io.StringIO()
    try:
        docker = Docker.find()
        janitor = Janitor(docker, run_id=run_id or f"fleet-{uuid.uuid4().hex[:12]}")
        # verify says what it does on stderr; the fleet shows its own progress
        with contextlib.redirect_stderr(said), janitor.guard():
            findings, _ = verify_cmd._verify(
                index, root, svc, docker, janitor, None, None, timeout, config
            )
    except EngineError as e:
        raise RehearsalError(f"verify {service}: {e}") from None
    except SystemExit:  # verify refused (it said why on stderr)
        why = said.getvalue().strip().removeprefix("dockready: error: ").splitlines()
        raise RehearsalError(f"verify {service}: {why[-1] if why else 'refused'}") from None
    return findings


def verified(
    result: Result,
    index: ProjectIndex,
    root: Path,
    config: Config,
    timeout: float,
    run_id: str = "",
) -> Result:
    """``result`` with the rehearsal of every service that has a main package and a
    Dockerfile: the chapter 6 rules among its rules, their findings among its
    findings, those services observed (the others have chapter 6 not applicable).
    The rehearsals' Docker objects carry the label of ``run_id`` (``rehearse_one``)."""
    deadline = time.monotonic() + timeout
    found: list[Finding] = []
    observed: set[str] = set()
    for svc in sorted(index.services, key=lambda s: s.name):
        if svc.main is None or not svc.builds:
            continue
        left = deadline - time.monotonic()
        if left < MIN_SECONDS:
            raise RehearsalError(f"no time left to verify {svc.name}")
        found += rehearse_one(index, root, svc.name, config, left, run_id)
        observed.add(svc.name)
    infos = tuple(r.info for r in observed_rules() if config.rule_enabled(r.id))
    rules = tuple(sorted({r.id: r for r in (*result.rules, *infos)}.values(), key=lambda r: r.id))
    services = tuple(
        replace(s, observed=s.observed or s.name in observed).judged_by(rules)
        for s in result.services
    )
    return replace(
        result,
        findings=tuple(sorted((*result.findings, *found), key=finding_order)),
        rules=rules,
        services=services,
    )
