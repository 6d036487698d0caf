"""``dockready verify`` on a real Docker engine: small Go services written for these
tests (``verify_services/``), each showing one chapter 6 condition, and a good one
that passes. Base images are the local stand-ins (``docker_engine.StandIns``).

Each test runs ``verify`` end to end: it builds the service's Dockerfile, runs the
container as its manifest says, and the findings are read from the JSON report. The
hostile ones must end in bounded time with their finding; the interrupted run must
leave nothing behind; ``check`` and ``verify`` must agree where a static rule has a
runtime twin.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockready.cli import cli
from dockready.engine import check
from dockready.verify.docker import RUN_LABEL

from .docker_engine import Docker, StandIns

HERE = Path(__file__).parent
BASES = ("golang:1.22-bookworm", "gcr.io/distroless/static-debian12:nonroot")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``verify_services``, with the .env that the leaky image copies (a
    secret written here, never committed)."""
    root = tmp_path_factory.mktemp("rehearsal") / "services"
    shutil.copytree(HERE / "verify_services", root)
    (root / ".env").write_text(
        "DATABASE_PASSWORD=Sup3r-S3cret-Pass\nAPI_TOKEN=ghp_" + "a" * 36 + "\n"
    )
    return root


@pytest.fixture(scope="module")
def verify(docker: Docker, standins: StandIns, project: Path) -> Callable[..., dict[str, Any]]:
    for ref in BASES:
        standins.ensure(ref)
    done: dict[tuple[str, ...], dict[str, Any]] = {}

    def run(service: str, *extra: str) -> dict[str, Any]:
        key = (service, *extra)
        if key not in done:
            t0 = time.monotonic()
            result = CliRunner().invoke(
                cli,
                [
                    "verify",
                    str(project),
                    "--service",
                    service,
                    "--format",
                    "json",
                    "--timeout",
                    "60",
                    *extra,
                ],
                catch_exceptions=False,
            )
            assert result.exit_code in (0, 1), result.output
            report = json.loads(result.stdout)
            report["seconds"] = time.monotonic() - t0
            report["stderr"] = result.stderr
            done[key] = report
        return done[key]

    return run


def ids(report: dict[str, Any], at_least: str = "info") -> dict[str, list[str]]:
    order = ["info", "warning", "error"]
    out: dict[str, list[str]] = {}
    for f in report["findings"]:
        if order.index(f["severity"]) >= order.index(at_least):
            out.setdefault(f["id"], []).append(f["message"])
    return out


def test_good_service_passes(verify: Callable[..., dict[str, Any]]) -> None:
    report = verify("good", "--drain-request", "/slow?ms=1500")
    assert ids(report) == {}, report["findings"]
    said = " ".join(n["message"] for n in report["notices"])
    assert "exited 0" in said and "the request in flight was answered" in said, said
    assert {r["id"] for r in report["rules"]} >= {f"DR6{n:02d}" for n in range(1, 13)}


def test_sigterm_ignored_is_killed_at_the_grace_period(
    verify: Callable[..., dict[str, Any]],
) -> None:
    report = verify("ignoresterm")
    found = ids(report)
    assert "DR606" in found and "did not exit within 3 s of SIGTERM" in found["DR606"][0]
    assert report["seconds"] < 60


def test_exit_at_start_is_not_ready(verify: Callable[..., dict[str, Any]]) -> None:
    found = ids(verify("exitsatonce"))
    assert "DR605" in found and "exited with code 1 before it was ready" in found["DR605"][0]
    assert "/etc/rehearsal/config.yaml" in found["DR605"][0]  # the log excerpt says why


def test_pprof_on_the_service_port(verify: Callable[..., dict[str, Any]]) -> None:
    found = ids(verify("pprofpublic"))
    assert "DR609" in found and "port 8080" in found["DR609"][0]


def test_read_only_root_names_the_path_written(verify: Callable[..., dict[str, Any]]) -> None:
    found = ids(verify("writesroot"))
    assert "DR608" in found and "/home/nonroot/cache" in found["DR608"][0]


def test_loopback_listener_is_never_ready(verify: Callable[..., dict[str, Any]]) -> None:
    report = verify("loopback")
    assert "DR605" in ids(report)
    assert report["seconds"] < 60


def test_log_flood_ends_in_bounded_time(verify: Callable[..., dict[str, Any]]) -> None:
    report = verify("floods")
    assert report["seconds"] < 60
    found = ids(report)
    assert "DR605" not in found  # a worker: nothing to be ready
    assert "DR606" in found  # but it must stop on SIGTERM, and it dies of it


def test_a_port_nothing_binds(verify: Callable[..., dict[str, Any]]) -> None:
    report = verify("floods", "--workload", "k8s/noport.yaml#Deployment/noport")
    found = ids(report)
    assert "DR605" in found and "not ready within 5 s (tcp check on port 8080" in found["DR605"][0]
    assert report["seconds"] < 60


def test_children_that_ignore_sigterm(verify: Callable[..., dict[str, Any]]) -> None:
    report = verify("forks")
    assert "DR606" in ids(report)
    assert report["seconds"] < 60


def test_leaky_image(verify: Callable[..., dict[str, Any]]) -> None:
    found = ids(verify("leaky", "--workload", "k8s/leaky.yaml#Deployment/leaky"))
    assert any("/src/.env" in m for m in found.get("DR610", [])), found
    assert "Sup3r" not in json.dumps(found)  # never printed
    assert "DR612" in found and "/bin/sh" in found["DR612"][0]
    assert "DR603" in found
    assert "DR604" in found and "refuses to start it" in found["DR604"][0]


def test_a_process_seen_running_as_root(verify: Callable[..., dict[str, Any]]) -> None:
    report = verify("leaky", "--workload", "k8s/leaky-root.yaml#Deployment/leaky-root")
    found = ids(report)
    assert "DR604" in found and "runs as uid 0" in found["DR604"][0], found
    good = verify("good", "--drain-request", "/slow?ms=1500")
    assert "uids 65532" in " ".join(n["message"] for n in good["notices"])


def test_static_finding_the_run_contradicts(verify: Callable[..., dict[str, Any]]) -> None:
    # DR201 reads "golang:1.22-bookworm has gcc, CGO_ENABLED unset": dynamic. The
    # stand-in builder has no C compiler, so Go builds it static: verify says the
    # static finding is not seen at run time (and DR602 stays silent).
    report = verify("cgodefault")
    assert "DR602" not in ids(report)
    notes = [n["message"] for n in report["notices"]]
    assert any(
        "DR201 dynamic-binary-on-static-base is not seen at run time: the entrypoint is a "
        "static binary" in n
        for n in notes
    ), notes


def test_dynamic_binary_without_its_loader(
    docker: Docker, verify: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """A dynamically linked program (this machine's env, linked to glibc) on scratch:
    the entrypoint's ELF interpreter is missing (DR602, the twin of DR201)."""
    host = Path("/usr/bin/env")
    if b"ld-linux" not in host.read_bytes()[:4096]:
        pytest.skip("/usr/bin/env is not dynamically linked here")
    ctx = tmp_path / "dyn"
    ctx.mkdir()
    shutil.copy(host, ctx / "env")
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY env /env\nENTRYPOINT ["/env"]\n')
    ref = "dockready-test/dynamic:1"
    docker("build", "-t", ref, str(ctx), timeout=300)
    try:
        found = ids(verify("good", "--image", ref))
    finally:
        docker.run_raw(["rmi", "--force", ref], timeout=60)
    assert "DR602" in found and "needs the ELF interpreter /lib" in found["DR602"][0], found


@pytest.mark.parametrize(
    ("service", "static", "observed"),
    [
        ("pprofpublic", "DR213", "DR609"),
        ("ignoresterm", "DR214", "DR606"),
        ("writesroot", "DR409", "DR608"),
        ("leaky", "DR304", "DR604"),
        ("leaky", "DR308", "DR610"),
    ],
)
def test_check_and_verify_agree(
    verify: Callable[..., dict[str, Any]], project: Path, service: str, static: str, observed: str
) -> None:
    findings = check([str(project)], jobs=1).result.findings
    static_on = {f.service for f in findings if f.rule_id == static}
    assert service in static_on and "good" not in static_on
    found = ids(verify(service))
    assert observed in found
    assert any(f"(confirms {static} " in m for m in found[observed]), found[observed]
    assert observed not in ids(verify("good", "--drain-request", "/slow?ms=1500"))


def test_interrupted_run_leaves_nothing_behind(
    docker: Docker, verify: Callable[..., dict[str, Any]], project: Path
) -> None:
    verify("good", "--drain-request", "/slow?ms=1500")  # built once: the run starts fast
    run_id = "interrupt-test"
    mine = f"label={RUN_LABEL}={run_id}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dockready",
            "verify",
            str(project),
            "--service",
            "good",
            "--timeout",
            "60",
            "--run-id",
            run_id,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        for _ in range(200):  # until the run's container is up
            if docker("ps", "-q", "--filter", mine).strip():
                break
            time.sleep(0.1)
        else:
            pytest.fail("verify started no container")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, proc.stderr.read() if proc.stderr else ""
    left = [
        docker(*cmd, "--filter", mine).split()
        for cmd in (
            ("ps", "-aq"),
            ("images", "-q"),
            ("volume", "ls", "-q"),
            ("network", "ls", "-q"),
        )
    ]
    assert left == [[], [], [], []], left


def test_every_report_format(
    verify: Callable[..., dict[str, Any]], project: Path, tmp_path: Path
) -> None:
    """A verify result renders in every format: chapter 6 in the checklist views,
    SARIF valid against the official schema."""
    from dockready import report

    verify("pprofpublic")  # built once
    outputs = [f"{fmt}={tmp_path / ('out.' + fmt)}" for fmt in report.available() if fmt != "text"]
    args = ["verify", str(project), "--service", "pprofpublic", "--timeout", "60"]
    for o in outputs:
        args += ["-o", o]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "6 · Observed at runtime" in result.stdout and "DR609" in result.stdout
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert any(r["ruleId"] == "DR609" for r in sarif["runs"][0]["results"])
    html = (tmp_path / "out.html").read_text()
    assert 'data-rule="DR609"' in html and "Observed at runtime" in html
    junit = (tmp_path / "out.junit").read_text()
    assert "DR609" in junit and "DR601" in junit  # every chapter 6 item, passed or failed
    schema_path = (
        Path(__file__).resolve().parents[3] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
    )
    if not schema_path.is_file():
        schema_path = Path("/work/shared/schemas/sarif-schema-2.1.0.json")
    jsonschema = pytest.importorskip("jsonschema")
    if schema_path.is_file():
        jsonschema.validate(sarif, json.loads(schema_path.read_text()))
