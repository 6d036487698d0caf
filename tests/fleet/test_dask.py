"""``--executor dask://``: the same fleet through a Dask cluster as through the local
pool, and the per-repository child process inside a daemonic worker."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockready.cli import cli
from dockready.fleet import runner
from dockready.fleet.isolate import run_isolated

from .test_isolate import _die, _sleep


def _isolated_in_this_process(_: int) -> tuple[bool, str, str, bool, bool]:
    proc = multiprocessing.current_process()
    ok = run_isolated(_sleep, (0,), timeout=30)
    hung = run_isolated(_sleep, (60,), timeout=0.5)
    killed = run_isolated(_die, (), timeout=30)
    return proc.daemon, ok.value, hung.error, hung.timed_out, "SIGKILL" in killed.error


def test_isolation_works_in_a_daemonic_process() -> None:
    # pool workers are daemonic, like Dask's workers under their nanny: they may not
    # start multiprocessing children
    with multiprocessing.get_context("fork").Pool(1) as pool:
        daemon, value, error, timed_out, killed = pool.map(_isolated_in_this_process, [0])[0]
    assert daemon
    assert value == "woke"
    assert error == "timed out after 0.5 s" and timed_out
    assert killed


def test_executor_urls() -> None:
    for bad in ("http://host:8786", "dask://", "dask://host:1/x", "host:8786"):
        with pytest.raises(runner.ExecutorError, match="expected dask://HOST:PORT"):
            runner.remote_executor(bad)
    res = CliRunner().invoke(cli, ["fleet", ".", "--no-db", "--executor", "http://host:8786"])
    assert res.exit_code == 2 and "expected dask://HOST:PORT" in res.output
    pytest.importorskip("distributed")
    with pytest.raises(runner.ExecutorError, match="cannot reach the Dask scheduler"):
        runner.remote_executor("dask://127.0.0.1:9", timeout=1)


def _by_service(doc: dict) -> dict[tuple[str, str], list[tuple[str, str, int]]]:
    return {
        (r["source"], s["name"]): sorted((f["id"], f["path"], f["line"]) for f in s["findings"])
        for r in doc["repositories"]
        for s in r["services"]
    }


def test_dask_gives_the_local_pools_result(fleet: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    srcs = [str(fleet / n) for n in ("broken", "fixed", "probe")]
    local = tmp_path / "local.json"
    res = CliRunner().invoke(
        cli,
        ["fleet", *srcs, "--no-db", "--jobs", "2", "--no-progress", "--output", f"json={local}"],
        catch_exceptions=False,
    )
    assert res.exit_code == 1, res.output
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        remote = tmp_path / "dask.json"
        res = CliRunner().invoke(
            cli,
            ["fleet", *srcs, "--no-db", "--executor", f"dask://{address}", "--no-progress",
             "--output", f"json={remote}"],
            catch_exceptions=False,
        )  # fmt: skip
        assert res.exit_code == 1, res.output
    a, b = json.loads(local.read_text()), json.loads(remote.read_text())
    # every repository was checked in its own child of a (daemonic) Dask worker
    assert all(r["status"] == "ok" for r in b["repositories"]), b["repositories"]
    assert _by_service(a) == _by_service(b) and len(_by_service(a)) >= 3
    assert sum(len(v) for v in _by_service(a).values()) > 10
    assert a["waves"] == b["waves"] and a["edges"] == b["edges"]
