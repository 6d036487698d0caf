"""Acceptance: what ``dockready init`` generates really builds and runs.

For ``services/inventory`` (one module, two main packages: an HTTP service and a
worker) ``services/ledger`` (a vendored private module, a loopback default address) and
``services/monorepo`` (a module whose go.mod replaces a requirement with
``../../libs/health``) the test runs ``dockready init`` for each service, builds each generated
Dockerfile with BuildKit in a real Docker engine (on stand-ins of the base images it
names, see ``docker_engine.py``), then runs the image the way the generated
Deployment says the kubelet will (``kubelet.py``: user, read-only root, dropped
capabilities, memory limit, env, emptyDir volumes, ports, probes, grace period) and
checks what happened:

* the readiness and liveness routes of the manifest answer 200 on the published
  port; the service's readiness route fails unless the config file it reads at a
  relative path was shipped, its temp and cache directories are writable under the
  read-only root, and the zone database and CA bundle are there;
* ``docker stop`` (SIGTERM, then SIGKILL after the time the grace period leaves
  after preStop) ends it with exit code 0 well before SIGKILL, with a request that
  was in flight at SIGTERM answered;
* the worker stops cleanly on SIGTERM too;
* the vendored service builds with ``-mod=vendor`` and answers on the published
  port although its code defaults to a loopback address.

Everything it creates (containers, images, stand-ins) is removed at the end.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dockready.cli import cli
from dockready.engine import check
from dockready.model import Severity

from .docker_engine import Docker, StandIns
from .kubelet import HttpProbe, PodPlan, deployment_of, plan

# The tests that use the engine (the ``docker`` fixture, here through ``built``) are
# marked ``docker`` by conftest.py; test_generated_files_pass_check needs none.

SERVICES = Path(__file__).parent / "services"
READY_TIMEOUT = 30.0  # seconds for the container to answer its readiness route
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.MULTILINE | re.IGNORECASE)


@dataclass
class Built:
    name: str
    image: str
    plan: PodPlan
    dockerfile: Path


#: Acceptance projects: the services of each, in the order init is run for them.
PROJECTS: dict[str, tuple[str, ...]] = {
    "inventory": ("inventory", "reindexer"),  # two main packages: Dockerfile.<name>
    "ledger": ("ledger",),  # vendored private module, loopback default address
    "monorepo": ("api",),  # go.mod replaces ../../libs/health: built from the top
}
#: Where a service's module (its Dockerfile and k8s/) lies in its project; the build
#: context is always the project's top.
MODULE_DIRS = {"api": "services/api"}


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each project under services/ with the files ``init`` generates for its services."""
    base = tmp_path_factory.mktemp("acceptance")
    out = {}
    for project, services in PROJECTS.items():
        root = base / project
        shutil.copytree(SERVICES / project, root)
        for service in services:
            args = ["init", str(root)] + (["--service", service] if len(services) > 1 else [])
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
        out[project] = root
    return out


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_generated_files_pass_check(projects: dict[str, Path], project: str) -> None:
    findings = check([str(projects[project])], jobs=1).result.findings
    loud = [f for f in findings if f.severity >= Severity.WARNING]
    assert not loud, "\n".join(f"{f.span}: {f.rule_id} {f.message}" for f in loud)


def _build(docker: Docker, standins: StandIns, root: Path, service: str) -> Built:
    module = root / MODULE_DIRS.get(service, ".")
    dockerfile = module / f"Dockerfile.{service}"
    if not dockerfile.exists():
        dockerfile = module / "Dockerfile"
    for ref in _FROM.findall(dockerfile.read_text()):
        standins.ensure(ref)
    image = f"dockready-acceptance/{service}:{uuid.uuid4().hex[:12]}"
    docker("build", "--file", str(dockerfile), "--tag", image, str(root), timeout=900)
    docs = list(yaml.safe_load_all((module / "k8s" / f"{service}.yaml").read_text()))
    return Built(service, image, plan(deployment_of(docs)), dockerfile)


@pytest.fixture(scope="module")
def built(
    docker: Docker, standins: StandIns, projects: dict[str, Path]
) -> Iterator[Callable[[str], Built]]:
    """The image of a service, built on first use; every image is removed at the end."""
    images: dict[str, Built] = {}

    def get(service: str) -> Built:
        if service not in images:
            project = next(p for p, names in PROJECTS.items() if service in names)
            images[service] = _build(docker, standins, projects[project], service)
        return images[service]

    try:
        yield get
    finally:
        for b in images.values():
            docker.run_raw(["rmi", "--force", b.image], timeout=120)


class Container:
    """One ``docker run -d``; removed on exit."""

    def __init__(self, docker: Docker, image: str, args: list[str]) -> None:
        self.docker = docker
        self.name = f"dockready-acceptance-{uuid.uuid4().hex[:12]}"
        self.id = docker("run", "--detach", "--name", self.name, *args, image).strip()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.docker.run_raw(["rm", "--force", self.id], timeout=60)

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(
            self.docker("inspect", "--format", "{{json .State}}", self.id)
        )
        return out

    def logs(self) -> str:
        proc = self.docker.run_raw(["logs", self.id], timeout=60)
        return proc.stdout + proc.stderr

    def host_port(self, port: int) -> int:
        out = self.docker("port", self.id, f"{port}/tcp")
        return int(out.strip().splitlines()[0].rsplit(":", 1)[1])

    def url(self, probe: HttpProbe) -> str:
        return f"http://127.0.0.1:{self.host_port(probe.port)}{probe.path}"


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_ready(c: Container, probe: HttpProbe) -> tuple[int, str]:
    """Poll the probe like the kubelet does, until 200, the container exits or time
    runs out; the last answer."""
    url = c.url(probe)
    deadline = time.monotonic() + READY_TIMEOUT
    last: tuple[int, str] = (0, "no answer")
    while time.monotonic() < deadline:
        try:
            last = get(url, timeout=2)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            last = (0, str(err))
        if last[0] == 200:
            return last
        if not c.state()["Running"]:
            break
        time.sleep(0.2)
    return last


def stop_cleanly(c: Container, p: PodPlan, said: str) -> None:
    """Stop ``c`` as the kubelet would after preStop: SIGTERM, and SIGKILL once the
    grace period left after preStop is over. It must exit 0 on its own, well before
    the SIGKILL, having logged ``said``."""
    started = time.monotonic()
    c.docker("stop", "--time", str(p.after_sigterm), c.id, timeout=p.after_sigterm + 30)
    took = time.monotonic() - started
    state = c.state()
    logs = c.logs()
    assert state["ExitCode"] == 0, f"exit code {state['ExitCode']}\n{logs}"
    assert not state["OOMKilled"]
    assert took < p.after_sigterm - 1, f"stopped after {took:.1f} s: SIGKILL, not SIGTERM?"
    assert said in logs, logs


def test_service_answers_probes_and_stops_cleanly(
    docker: Docker, built: Callable[[str], Built]
) -> None:
    inventory = built("inventory")
    p = inventory.plan
    assert p.readiness is not None and p.liveness is not None, "the manifest has no HTTP probes"
    assert "--read-only" in p.run_args and "ALL" in p.run_args
    with Container(docker, inventory.image, p.run_args) as c:
        status, body = wait_ready(c, p.readiness)
        assert status == 200, f"readiness {p.readiness.path}: {status} {body}\n{c.logs()}"
        assert "uid 65532" in body  # the manifest's runAsUser, not root
        status, body = get(c.url(p.liveness))
        assert status == 200, f"liveness {p.liveness.path}: {status} {body}"

        # A request in flight when SIGTERM arrives is answered, and the process exits
        # 0 on its own, long before the SIGKILL that ends the grace period.
        in_flight: dict[str, object] = {}
        slow = threading.Thread(
            target=lambda: in_flight.update(
                answer=get(c.url(HttpProbe("/slow?ms=1500", p.ports[0])), 10)
            )
        )
        slow.start()
        time.sleep(0.3)
        stop_cleanly(c, p, "drained")
        slow.join(timeout=10)
        assert in_flight.get("answer") == (200, "done\n"), in_flight


def test_without_the_emptydir_volumes_the_service_is_not_ready(
    docker: Docker, built: Callable[[str], Built]
) -> None:
    inventory = built("inventory")
    # The control: the same image and manifest minus the emptyDir volumes. The root
    # is read-only, so the readiness route must say why it fails; if this passed,
    # the test above would prove nothing about the volumes init generates.
    args = list(inventory.plan.run_args)
    while "--tmpfs" in args:
        i = args.index("--tmpfs")
        del args[i : i + 2]
    probe = inventory.plan.readiness
    assert probe is not None
    with Container(docker, inventory.image, args) as c:
        status, body = wait_ready(c, probe)
    assert status == 503, (status, body)
    assert "temp dir" in body and "read-only file system" in body


def test_worker_stops_cleanly(docker: Docker, built: Callable[[str], Built]) -> None:
    reindexer = built("reindexer")
    p = reindexer.plan
    assert not p.ports and p.readiness is None  # a worker: nothing to probe
    with Container(docker, reindexer.image, p.run_args) as c:
        deadline = time.monotonic() + READY_TIMEOUT
        while "reindexing" not in c.logs() and time.monotonic() < deadline:
            assert c.state()["Running"], c.logs()
            time.sleep(0.2)
        stop_cleanly(c, p, "SIGTERM: stopped")


def test_vendored_service_on_loopback_by_default_is_reachable(
    docker: Docker, built: Callable[[str], Built]
) -> None:
    ledger = built("ledger")
    # Built with -mod=vendor (no download, no credentials); the code would listen on
    # 127.0.0.1 only, the image's LEDGER_ADDR opens it up.
    assert "-mod=vendor" in ledger.dockerfile.read_text()
    p = ledger.plan
    assert p.readiness is not None
    with Container(docker, ledger.image, p.run_args) as c:
        status, body = wait_ready(c, p.readiness)
        assert (status, body) == (200, "ok\n"), c.logs()
        stop_cleanly(c, p, "drained")


def test_monorepo_service_builds_from_the_top_with_its_local_module(
    docker: Docker, built: Callable[[str], Built]
) -> None:
    api = built("api")
    # go.mod replaces example.com/monorepo/libs/health with ../../libs/health: init
    # builds from the repository top, copies that module where the path points, and
    # lets only the two modules into the context (Dockerfile.dockerignore).
    text = api.dockerfile.read_text()
    assert "COPY libs/health /src/libs/health" in text
    assert (api.dockerfile.parent / "Dockerfile.dockerignore").is_file()
    p = api.plan
    assert p.readiness is not None
    with Container(docker, api.image, p.run_args) as c:
        status, body = wait_ready(c, p.readiness)
        assert (status, body) == (200, "shared ok\n"), c.logs()
        stop_cleanly(c, p, "drained")
