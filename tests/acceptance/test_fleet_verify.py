"""``dockready fleet --verify`` on a real Docker engine: a fleet of two repositories
made from ``verify_services/`` (its good service; and the same service with a type
error, whose image does not build). Base images are the local stand-ins."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from click.testing import CliRunner

from dockready.cli import cli

from .docker_engine import Docker, StandIns

HERE = Path(__file__).parent
BASES = ("golang:1.22-bookworm", "gcr.io/distroless/static-debian12:nonroot")


def _repository(dest: Path) -> Path:
    src = HERE / "verify_services"
    (dest / "cmd").mkdir(parents=True)
    (dest / "k8s").mkdir()
    shutil.copy(src / "go.mod", dest / "go.mod")
    shutil.copytree(src / "cmd" / "good", dest / "cmd" / "good")
    shutil.copy(src / "Dockerfile.good", dest / "Dockerfile")
    shutil.copy(src / "k8s" / "good.yaml", dest / "k8s" / "good.yaml")
    return dest


def test_fleet_verify_passes_a_good_service_and_blocks_one_that_does_not_build(
    docker: Docker, standins: StandIns, tmp_path: Path
) -> None:
    for ref in BASES:
        standins.ensure(ref)
    good = _repository(tmp_path / "good")
    broken = _repository(tmp_path / "broken")
    # parses (the service is found), does not compile: the build fails
    (broken / "cmd" / "good" / "broken.go").write_text('package main\n\nvar _ int = "text"\n')
    t0 = time.monotonic()
    res = CliRunner().invoke(
        cli,
        [
            "fleet",
            str(good),
            str(broken),
            "--verify",
            "--no-db",
            "--format",
            "json",
            "--jobs",
            "2",
            "--timeout",
            "80",
            "--no-progress",
        ],
        catch_exceptions=False,
    )
    seconds = time.monotonic() - t0
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"]["errors"] == 0, doc["repositories"]
    svcs = {Path(r["source"]).name: r["services"] for r in doc["repositories"]}
    (ok,) = [s for s in svcs["good"] if s["name"] != "(repository)"]
    (bad,) = [s for s in svcs["broken"] if s["name"] != "(repository)"]
    assert ok["chapters"]["6"] == "pass", ok["findings"]
    assert not [b for b in ok["blockers"] if b.startswith("DR6")]
    assert "DR601" in bad["blockers"] and bad["chapters"]["6"] == "fail"
    assert seconds < 90
    # nothing of the fleet's rehearsals is left in the engine
    args = ["ps", "-a", "--filter", "label=dockready.run", "--format"]
    listed = docker.run_raw([*args, '{{.Label "dockready.run"}}'], timeout=60)
    assert not [ln for ln in listed.stdout.split() if ln.startswith("fleet-")]
