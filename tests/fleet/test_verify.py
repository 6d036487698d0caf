"""``fleet --verify`` without a Docker engine: the verify entry point is a fake
(``commands.verify._verify``, the function ``dockready verify`` runs), the rest is
the fleet's own code path."""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from dockready.cli import cli
from dockready.commands import verify as verify_cmd
from dockready.fleet import rehearsal, runner, sources
from dockready.model import Finding, Severity, Span
from dockready.verify import docker as docker_mod

from .conftest import EXAMPLES


class FakeDocker:
    """An engine that answers and holds nothing (the janitor's sweep finds nothing)."""

    def run_raw(self, args: list[str], timeout: float = 0) -> Any:
        return SimpleNamespace(returncode=0, stdout="", stderr="")


@pytest.fixture
def fake_verify(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``_verify`` that fails the build of services under a directory named
    ``broken*`` (DR601, as verify reports a failed build) and passes the others;
    each call is logged to the returned file (pool workers are other processes)."""
    log = tmp_path / "verify.log"

    def fake(
        ix: Any,
        root: Path,
        svc: Any,
        docker: Any,
        janitor: Any,
        image: Any,
        wanted: Any,
        timeout: float,
        config: Any,
    ) -> tuple[list[Finding], list[Any]]:
        assert image is None and wanted is None and 0 < timeout <= 60
        with log.open("a") as f:
            f.write(f"{root.name} {svc.name} {svc.builds[0].dockerfile.path}\n")
        if not root.name.startswith("broken"):
            return [], []
        b = svc.builds[0]
        return [
            Finding(
                "DR601",
                "image-build-failed",
                Severity.ERROR,
                "the image did not build: RUN go build exited 1",
                Span(b.dockerfile.path, 3),
                6,
                service=svc.name,
            )
        ], []

    monkeypatch.setattr(docker_mod.Docker, "find", classmethod(lambda cls: FakeDocker()))
    monkeypatch.setattr(verify_cmd, "_verify", fake)
    return log


@pytest.fixture
def two(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(EXAMPLES / "orderservice-fixed", root / "good")
    shutil.copytree(EXAMPLES / "orderservice-fixed", root / "broken")
    nodocker = shutil.copytree(EXAMPLES / "orderservice-fixed", root / "nodocker")
    (nodocker / "Dockerfile").unlink()
    return root


def test_verify_adds_chapter_6_and_its_error_findings_block(
    fake_verify: Path, two: Path, tmp_path: Path
) -> None:
    srcs = sources.expand([str(two / n) for n in ("good", "broken", "nodocker")])
    with ThreadPoolExecutor(1) as pool:
        run = runner.run_fleet(
            srcs,
            jobs=1,
            timeout=60,
            cache_dir=tmp_path,
            executor=pool,
            isolated=False,
            verify=True,
        )
    by = {Path(r.source).name: r for r in run.repos}
    assert all(r.status == "ok" for r in run.repos), [r.error for r in run.repos]
    (good,) = by["good"].services
    (broken,) = by["broken"].services
    (nodocker,) = by["nodocker"].services
    assert good.chapter(6) == "pass" and good.ready and good.score == 100
    assert broken.chapter(6) == "fail" and broken.blockers == ("DR601",)
    assert broken.score == 100 - 20  # a blocking rule, like chapters 2-4
    assert [f.rule_id for f in broken.findings] == ["DR601"]
    # no Dockerfile: not rehearsed, chapter 6 not applicable
    assert nodocker.chapter(6) == "n/a" and nodocker.ready
    rules = dict((r, s) for r, s, _ in nodocker.rules)
    assert rules["DR601"] == "n/a"
    assert sorted(fake_verify.read_text().splitlines()) == [
        "broken orderservice Dockerfile",
        "good orderservice Dockerfile",
    ]


def test_without_verify_there_is_no_chapter_6(fake_verify: Path, two: Path, tmp_path: Path) -> None:
    srcs = sources.expand([str(two / "broken")])
    with ThreadPoolExecutor(1) as pool:
        run = runner.run_fleet(srcs, jobs=1, cache_dir=tmp_path, executor=pool, isolated=False)
    (svc,) = run.repos[0].services
    assert [n for n, _ in svc.chapters] == [1, 2, 3, 4, 5] and svc.ready
    assert not fake_verify.exists()


def test_fleet_verify_cli_through_the_pool(fake_verify: Path, two: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "fleet",
            str(two / "good"),
            str(two / "broken"),
            "--verify",
            "--no-db",
            "--format",
            "json",
            "--jobs",
            "2",
            "--timeout",
            "60",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    svcs = {Path(r["source"]).name: r["services"][0] for r in doc["repositories"]}
    assert svcs["good"]["chapters"]["6"] == "pass" and svcs["good"]["ready"]
    assert svcs["broken"]["blockers"] == ["DR601"]
    assert doc["top_blockers"] == [{"id": "DR601", "name": "image-build-failed", "services": 1}]
    text = CliRunner().invoke(
        cli,
        ["fleet", str(two / "broken"), "--verify", "--no-db", "--no-progress", "--timeout", "60"],
    )
    assert text.exit_code == 1, text.output
    header = next(ln for ln in text.stdout.splitlines() if ln.startswith("service"))
    assert header.split()[2:8] == ["1", "2", "3", "4", "5", "6"]
    assert "6 Observed at runtime" in text.stdout


def test_junit_has_a_case_for_chapter_6(fake_verify: Path, two: Path, tmp_path: Path) -> None:
    junit = tmp_path / "fleet.xml"
    res = CliRunner().invoke(
        cli,
        [
            "fleet",
            str(two / "broken"),
            "--verify",
            "--no-db",
            "--no-progress",
            "--timeout",
            "60",
            "--output",
            f"junit={junit}",
        ],
    )
    assert res.exit_code == 1, res.output
    xml = junit.read_text()
    assert "orderservice · 6 Observed at runtime" in xml
    assert "error DR601 Dockerfile:3" in xml


def test_no_engine_exits_2_with_the_message_of_verify(
    monkeypatch: pytest.MonkeyPatch, two: Path
) -> None:
    def none(cls: Any) -> Any:
        raise docker_mod.EngineError("no docker client (apt-get install docker.io)")

    monkeypatch.setattr(docker_mod.Docker, "find", classmethod(none))
    fleet = CliRunner().invoke(cli, ["fleet", str(two / "good"), "--verify", "--no-db"])
    verify = CliRunner().invoke(cli, ["verify", str(two / "good")])
    assert fleet.exit_code == verify.exit_code == 2
    assert fleet.stderr.strip() == verify.stderr.strip()
    assert "no docker client" in fleet.stderr
    assert rehearsal.engine_problem() == "no docker client (apt-get install docker.io)"


def test_a_rehearsal_that_cannot_run_is_an_error_row(
    monkeypatch: pytest.MonkeyPatch, fake_verify: Path, two: Path, tmp_path: Path
) -> None:
    def lost(*args: Any) -> Any:
        raise docker_mod.EngineError("docker build: no answer in 60 s")

    monkeypatch.setattr(verify_cmd, "_verify", lost)
    srcs = sources.expand([str(two / "good")])
    with ThreadPoolExecutor(1) as pool:
        run = runner.run_fleet(
            srcs, jobs=1, cache_dir=tmp_path, executor=pool, isolated=False, verify=True
        )
    (rep,) = run.repos
    assert rep.failed and rep.error == "verify orderservice: docker build: no answer in 60 s"


def test_the_dashboard_shows_chapter_6_only_with_verify(
    fake_verify: Path, two: Path, tmp_path: Path
) -> None:
    pages = {}
    for flag in ("--verify", "--no-progress"):
        html = tmp_path / flag.strip("-") / "index.html"
        html.parent.mkdir()
        res = CliRunner().invoke(
            cli,
            [
                "fleet",
                str(two / "broken"),
                flag,
                "--no-db",
                "--no-progress",
                "--timeout",
                "60",
                "--output",
                f"html={html}",
            ],
        )
        assert res.exit_code in (0, 1), res.output
        pages[flag] = html.read_text()
    assert 'data-chapter="6" data-status="fail"' in pages["--verify"]
    assert "chapters 2–4 and 6" in pages["--verify"]
    assert 'data-chapter="6"' not in pages["--no-progress"]


class LoggingDocker:
    """An engine that writes down what it is asked (to a file: the check runs in a
    child process) and always holds one container of the run."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def run_raw(self, args: list[str], timeout: float = 0) -> Any:
        with self.log.open("a") as f:
            f.write(" ".join(args) + "\n")
        held = "c0ffee\n" if args[:2] == ["ps", "-aq"] else ""
        return SimpleNamespace(returncode=0, stdout=held, stderr="")


def test_a_rehearsal_killed_at_the_time_limit_leaves_no_container(
    monkeypatch: pytest.MonkeyPatch, two: Path, tmp_path: Path
) -> None:
    """The check process is killed at the repository's limit, before its own clean-up
    can run: the parent removes what carries the label the rehearsal was given."""
    engine_log, labels = tmp_path / "engine.log", tmp_path / "labels.log"

    def hangs(ix: Any, root: Path, svc: Any, docker: Any, janitor: Any, *rest: Any) -> Any:
        labels.write_text(janitor.label)
        docker.run_raw(["run", "--detach", *janitor.labels(), "app"])  # a container runs
        time.sleep(120)

    monkeypatch.setattr(
        docker_mod.Docker, "find", classmethod(lambda cls: LoggingDocker(engine_log))
    )
    monkeypatch.setattr(verify_cmd, "_verify", hangs)
    monkeypatch.setattr(rehearsal, "MIN_SECONDS", 0.5)  # a shorter limit will do
    srcs = sources.expand([str(two / "good")])
    with ThreadPoolExecutor(1) as pool:
        run = runner.run_fleet(
            srcs, jobs=1, timeout=10, cache_dir=tmp_path, executor=pool, isolated=True, verify=True
        )
    (rep,) = run.repos
    assert rep.failed and rep.error == "timed out after 10 s"
    label = labels.read_text()
    asked = engine_log.read_text().splitlines()
    assert asked[0] == f"run --detach --label {label} app"
    assert f"ps -aq --filter label={label}" in asked
    assert "rm --force --volumes c0ffee" in asked
