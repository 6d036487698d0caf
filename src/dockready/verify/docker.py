"""The Docker engine, through its command line.

The client is Debian's ``/usr/bin/docker`` first, then the ``docker`` on PATH, with
``DOCKER_BUILDKIT=1``: an engine's built-in BuildKit builds ``RUN --mount`` without
the buildx plugin a newer client asks for. When ``docker buildx version`` answers,
``buildx build --load`` is used instead.

Every container, image, volume and network a run makes carries the label
``dockready.run=<id>`` (:class:`Janitor`), and :meth:`Janitor.sweep` removes all of
them: on success, failure, timeout and interrupt (unless the user keeps them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

RUN_LABEL = "dockready.run"


class EngineError(RuntimeError):
    """The engine or the client is missing, or a docker command failed."""


def docker_client() -> str | None:
    """The client that builds with the engine's own BuildKit: Debian's
    ``/usr/bin/docker`` first (a newer client on PATH wants the buildx plugin)."""
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Docker:
    """The ``docker`` command line, with BuildKit on and output captured."""

    client: str
    env: dict[str, str] = field(default_factory=dict)
    buildx: bool = False

    @classmethod
    def find(cls) -> Docker:
        client = docker_client()
        if client is None:
            raise EngineError("no docker client (apt-get install docker.io)")
        env = dict(os.environ, DOCKER_BUILDKIT="1", BUILDKIT_PROGRESS="plain")
        docker = cls(client, env)
        probe = docker.run_raw(["info", "--format", "{{.ServerVersion}}"], timeout=20)
        if probe.returncode != 0:
            raise EngineError(
                "the Docker engine does not answer (start it: "
                "setsid dockerd --host unix:///var/run/docker.sock &): "
                + (probe.stderr.strip().splitlines() or ["no output"])[-1]
            )
        docker.buildx = docker.run_raw(["buildx", "version"], timeout=20).returncode == 0
        return docker

    def run_raw(
        self, args: Sequence[str], *, timeout: float = 600, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [self.client, *args],
                input=stdin.decode() if stdin is not None else None,
                capture_output=True,
                text=True,
                errors="replace",
                env=self.env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"docker {' '.join(args)}: no answer in {timeout:.0f} s") from exc

    def __call__(self, *args: str, timeout: float = 600) -> str:
        """Run ``docker ARGS``; its stdout, or :class:`EngineError` with its output."""
        proc = self.run_raw(args, timeout=timeout)
        if proc.returncode != 0:
            raise EngineError(
                f"docker {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc.stdout

    def image_exists(self, ref: str) -> bool:
        return self.run_raw(["image", "inspect", ref], timeout=30).returncode == 0

    def build_args(self) -> list[str]:
        """The build command: buildx (loading the result) or the built-in BuildKit."""
        return ["buildx", "build", "--load"] if self.buildx else ["build"]


@dataclass
class Janitor:
    """The label of one run, and the removal of everything that carries it."""

    docker: Docker
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    keep: bool = False

    @property
    def label(self) -> str:
        return f"{RUN_LABEL}={self.run_id}"

    def labels(self) -> list[str]:
        return ["--label", self.label]

    def leftovers(self) -> dict[str, list[str]]:
        """Every object of this run still in the engine, by kind."""
        flt = ["--filter", f"label={self.label}"]
        out: dict[str, list[str]] = {}
        for kind, args in (
            ("containers", ["ps", "-aq", *flt]),
            ("images", ["images", "-q", *flt]),
            ("volumes", ["volume", "ls", "-q", *flt]),
            ("networks", ["network", "ls", "-q", *flt]),
        ):
            proc = self.docker.run_raw(args, timeout=60)
            ids = sorted(set(proc.stdout.split())) if proc.returncode == 0 else []
            if ids:
                out[kind] = ids
        return out

    def sweep(self) -> dict[str, list[str]]:
        """Remove every object of this run (containers first); what was removed."""
        found = self.leftovers()
        for kind, cmd in (
            ("containers", ["rm", "--force", "--volumes"]),
            ("images", ["rmi", "--force"]),
            ("volumes", ["volume", "rm", "--force"]),
            ("networks", ["network", "rm"]),
        ):
            ids = found.get(kind)
            if ids:
                self.docker.run_raw([*cmd, *ids], timeout=120)
        return found

    @contextmanager
    def guard(self) -> Iterator[Janitor]:
        """Sweep when the block ends, however it ends (an exception, SIGINT, SIGTERM),
        unless ``keep``. Signals are turned into ``KeyboardInterrupt`` while it runs
        (in the main thread only)."""
        restore: list[tuple[signal.Signals, Any]] = []

        def interrupted(signum: int, _frame: FrameType | None) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                restore.append((sig, signal.getsignal(sig)))
                signal.signal(sig, interrupted)
        try:
            yield self
        finally:
            try:
                if not self.keep:
                    self.sweep()
            finally:
                for sig, handler in restore:
                    signal.signal(sig, handler)
