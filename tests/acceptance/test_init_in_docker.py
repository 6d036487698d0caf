"""Acceptance: what ``dockready init`` generates really builds and runs, as
``dockready verify`` rehearses it.

For ``services/inventory`` (one module, two main packages: an HTTP service and a
worker), ``services/ledger`` (a vendored private module, a loopback default address)
and ``services/monorepo`` (a module whose go.mod replaces a requirement with
``../../libs/health``) the test runs ``dockready init`` for each service, then
``dockready verify`` on it: the generated Dockerfile is built with BuildKit in a real
Docker engine (on stand-ins of the base images it names, see ``docker_engine.py``)
and the image runs the way the generated Deployment says (user, read-only root,
dropped capabilities, memory limit, env, emptyDir volumes, ports, probes, preStop,
grace period). Every chapter 6 check must pass:

* the readiness route answers within the startup budget, which the inventory
  service's does only when the config file it reads at a relative path was shipped,
  its temp and cache directories are writable under the read-only root, and the zone
  database and CA bundle are there;
* SIGTERM after preStop ends it with exit code 0 well before SIGKILL, with a request
  that was in flight at SIGTERM answered (inventory's ``/slow`` route);
* the worker stops cleanly on SIGTERM too;
* the vendored service builds with ``-mod=vendor`` and answers on the published port
  although its code defaults to a loopback address.

A control run without the generated emptyDir volumes must fail, or the first check
would prove nothing about them. Everything the runs create is removed by ``verify``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dockready.cli import cli
from dockready.engine import check
from dockready.model import Severity

from .docker_engine import Docker, StandIns

# The tests that use the engine (the ``docker`` fixture, here through ``verified``)
# are marked ``docker`` by conftest.py; test_generated_files_pass_check needs none.

SERVICES = Path(__file__).parent / "services"
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.MULTILINE | re.IGNORECASE)

#: Acceptance projects: the services of each, in the order init is run for them.
PROJECTS: dict[str, tuple[str, ...]] = {
    "inventory": ("inventory", "reindexer"),  # two main packages: Dockerfile.<name>
    "ledger": ("ledger",),  # vendored private module, loopback default address
    "monorepo": ("api",),  # go.mod replaces ../../libs/health: built from the top
}
#: Where a service's module (its Dockerfile and k8s/) lies in its project.
MODULE_DIRS = {"api": "services/api"}
#: A slow route to keep a request in flight at SIGTERM, where the service has one.
DRAIN = {"inventory": "/slow?ms=1500"}


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


def _project_of(service: str) -> str:
    return next(p for p, names in PROJECTS.items() if service in names)


def verify(root: Path, service: str, *extra: str) -> dict[str, Any]:
    args = ["verify", str(root), "--service", service, "--format", "json", "--timeout", "90"]
    if service in DRAIN:
        args += ["--drain-request", DRAIN[service]]
    result = CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    report["stderr"] = result.stderr
    return report


@pytest.fixture(scope="module")
def verified(docker: Docker, standins: StandIns, projects: dict[str, Path]) -> dict[str, Any]:
    """``verify`` of every service, run once (the stand-ins made first)."""
    out: dict[str, Any] = {}
    for project, services in PROJECTS.items():
        root = projects[project]
        for service in services:
            module = root / MODULE_DIRS.get(service, ".")
            for df in module.glob("Dockerfile*"):
                if not df.name.endswith(".dockerignore"):
                    for ref in _FROM.findall(df.read_text()):
                        standins.ensure(ref)
            out[service] = verify(root, service)
    return out


def _loud(report: dict[str, Any]) -> list[str]:
    return [f"{f['id']}: {f['message']}" for f in report["findings"] if f["severity"] != "info"]


@pytest.mark.parametrize("service", [s for names in PROJECTS.values() for s in names])
def test_init_then_verify_passes(verified: dict[str, Any], service: str) -> None:
    report = verified[service]
    assert _loud(report) == [], report["stderr"]
    assert {r["id"] for r in report["rules"]} >= {"DR601", "DR605", "DR606", "DR608"}


def test_the_request_in_flight_is_answered(verified: dict[str, Any]) -> None:
    # the /slow request sent before SIGTERM was answered, and the process exited 0
    report = verified["inventory"]
    assert not [f for f in report["findings"] if f["id"] == "DR606"]
    said = " ".join(n["message"] for n in report["notices"])
    assert "exited 0" in said and "the request in flight was answered" in said, said


def test_without_the_emptydir_volumes_the_service_fails(
    verified: dict[str, Any], projects: dict[str, Path], tmp_path: Path
) -> None:
    # The control: the same image and manifest minus the emptyDir volumes. The root
    # is read-only, so readiness fails; if this passed, the runs above would prove
    # nothing about the volumes init generates.
    root = tmp_path / "inventory"
    shutil.copytree(projects["inventory"], root)
    manifest = root / "k8s" / "inventory.yaml"
    docs = list(yaml.safe_load_all(manifest.read_text()))
    for d in docs:
        if d and d.get("kind") == "Deployment":
            pod = d["spec"]["template"]["spec"]
            pod["volumes"] = [v for v in pod.get("volumes", []) if "emptyDir" not in v]
            for c in pod["containers"]:
                names = {v["name"] for v in pod["volumes"]}
                c["volumeMounts"] = [m for m in c.get("volumeMounts", []) if m["name"] in names]
    manifest.write_text(yaml.safe_dump_all(docs))
    found = {f["id"] for f in verify(root, "inventory")["findings"]}
    assert "DR605" in found, found


def test_vendored_and_monorepo_builds(projects: dict[str, Path], verified: dict[str, Any]) -> None:
    # Built with -mod=vendor (no download, no credentials); the code would listen on
    # 127.0.0.1 only, the image's LEDGER_ADDR opens it up: it was ready (no DR605).
    assert "-mod=vendor" in (projects["ledger"] / "Dockerfile").read_text()
    # go.mod replaces example.com/monorepo/libs/health with ../../libs/health: init
    # builds from the repository top, copies that module where the path points, and
    # lets only the two modules into the context (Dockerfile.dockerignore).
    api = projects["monorepo"] / "services" / "api"
    assert "COPY libs/health /src/libs/health" in (api / "Dockerfile").read_text()
    assert (api / "Dockerfile.dockerignore").is_file()
    for service in ("ledger", "api"):
        assert not [f for f in verified[service]["findings"] if f["id"] in ("DR601", "DR605")]
