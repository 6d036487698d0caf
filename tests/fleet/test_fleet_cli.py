"""``dockready fleet`` end to end (in-process CLI, real process pool)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dockready.cli import cli
from dockready.fleet import runner, sources, worker
from dockready.fleet.sources import Source


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["fleet", *args], catch_exceptions=False)


def _json(tmp_path: Path, *args: str) -> tuple[Result, dict]:
    out = tmp_path / "fleet.json"
    res = run_cli(*args, "--db", str(tmp_path / "f.db"), "--output", f"json={out}", "--jobs", "2")
    return res, json.loads(out.read_text())


def _stable(doc: dict) -> dict:
    doc = dict(doc, run=None)
    doc["repositories"] = [dict(r, seconds=0) for r in doc["repositories"]]
    return doc


def _services(doc: dict) -> dict[str, dict]:
    return {Path(r["source"]).name: s for r in doc["repositories"] for s in r["services"]}


def test_fleet_reports_chapters_blockers_and_an_error_row(fleet: Path, tmp_path: Path) -> None:
    missing = fleet / "does-not-exist"
    res, doc = _json(
        tmp_path, str(fleet / "broken"), str(fleet / "fixed"), str(fleet / "probe"), str(missing)
    )
    assert res.exit_code == 1, res.output
    assert doc["schema"] == "dockready-fleet" and doc["schema_version"] == "1.2"
    by = _services(doc)
    assert by["fixed"]["blockers"] == [] and by["fixed"]["ready"]
    assert set(by["fixed"]["chapters"].values()) == {"pass"}
    assert {"DR201", "DR404", "DR415"} <= set(by["broken"]["blockers"])
    assert by["broken"]["chapters"]["2"] == "fail" and by["broken"]["chapters"]["4"] == "fail"
    assert "DR404" in by["probe"]["blockers"]
    (err,) = [r for r in doc["repositories"] if r["status"] == "error"]
    assert err["source"] == str(missing) and err["error"] == "no such file or directory"
    top = {t["id"]: t["services"] for t in doc["top_blockers"]}
    assert top["DR404"] == 2  # broken and probe
    assert doc["summary"]["errors"] == 1 and doc["summary"]["ready"] == 1
    # the text summary on stdout, the progress lines on stderr
    assert "does-not-exist: no such file or directory" in res.stdout
    assert "DR404" in res.stdout and "blocks 2 services" in res.stdout
    assert "[4/4]" in res.stderr and "1 service, " in res.stderr


def test_a_ready_fleet_exits_0_and_json_goes_to_stdout(fleet: Path, tmp_path: Path) -> None:
    res = run_cli(str(fleet / "fixed"), "--no-db", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema"] == "dockready-fleet" and doc["run"]["id"] is None


def test_list_file_source(fleet: Path, tmp_path: Path) -> None:
    listing = fleet / "services.txt"
    listing.write_text("# our services\nfixed\nprobe   # the one with a probe\n")
    res, doc = _json(tmp_path, str(listing))
    assert sorted(_services(doc)) == ["fixed", "probe"]
    assert res.exit_code == 1


def test_git_source_and_a_failed_clone(fleet: Path, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = fleet / "fixed"
    g = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "-c",
        "init.defaultBranch=main",
    ]
    subprocess.run([*g, "init", "-q", str(work)], check=True)
    subprocess.run([*g, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*g, "-C", str(work), "commit", "-qm", "one"], check=True)
    bare = tmp_path / "fixed.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    good, bad = f"file://{bare}", f"file://{tmp_path}/absent.git"
    res, doc = _json(tmp_path, good, bad, "--cache-dir", str(tmp_path / "cache"))
    rows = {r["source"]: r for r in doc["repositories"]}
    assert rows[good]["status"] == "ok"
    assert [s["name"] for s in rows[good]["services"]] == ["orderservice"]
    assert rows[bad]["status"] == "error" and rows[bad]["error"].startswith("git clone failed")
    assert res.exit_code == 1


def test_a_repository_with_nothing_to_check_is_an_error_row(fleet: Path, tmp_path: Path) -> None:
    empty = fleet / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing here")
    res, doc = _json(tmp_path, str(empty), str(fleet / "fixed"))
    rows = {Path(r["source"]).name: r for r in doc["repositories"]}
    assert rows["empty"]["status"] == "error" and "nothing to check" in rows["empty"]["error"]
    assert rows["fixed"]["status"] == "ok"
    assert "Traceback" not in res.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a directory of mode 000")
def test_an_unreadable_repository_is_an_error_row(fleet: Path, tmp_path: Path) -> None:
    locked = fleet / "broken"
    locked.chmod(0)
    try:
        _, doc = _json(tmp_path, str(locked), str(fleet / "fixed"))
    finally:
        locked.chmod(0o755)
    rows = {Path(r["source"]).name: r for r in doc["repositories"]}
    assert rows["broken"]["status"] == "error"
    assert rows["fixed"]["status"] == "ok"


def test_a_check_that_raises_is_an_error_row(monkeypatch: pytest.MonkeyPatch, fleet: Path) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(worker, "check", boom)
    src = Source(sources.DIR, str(fleet / "fixed"), str(fleet / "fixed"))
    rep = worker.audit_task(worker.Task(src, 30, "", isolated=False))
    assert rep.status == "error"
    assert rep.error == "internal error: RuntimeError: the engine broke"


def test_a_hung_repository_times_out_and_the_others_go_on(
    monkeypatch: pytest.MonkeyPatch, fleet: Path, tmp_path: Path
) -> None:
    real = worker.check

    def slow(paths: list[str], *args: object, **kwargs: object) -> object:
        if paths[0].endswith("broken"):
            time.sleep(120)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(worker, "check", slow)  # the pool's workers are forked: they see it
    srcs = sources.expand([str(fleet / "broken"), str(fleet / "fixed")])
    start = time.monotonic()
    run = runner.run_fleet(srcs, jobs=2, timeout=3, cache_dir=tmp_path)
    assert time.monotonic() - start < 60
    hung, ok = run.repos
    assert hung.status == "error" and hung.error == "timed out after 3 s"
    assert ok.status == "ok" and ok.services[0].ready


def test_usage_errors_exit_2(fleet: Path, tmp_path: Path) -> None:
    assert run_cli().exit_code == 2 or "Usage" in run_cli().output
    assert run_cli("scan").exit_code == 2
    assert run_cli(str(fleet / "fixed"), "--output", "gitlab=x.json").exit_code == 2
    assert run_cli(str(fleet / "fixed"), "--db", str(tmp_path / "no" / "f.db")).exit_code == 2
    assert run_cli(str(fleet / "fixed"), "--jobs", "0").exit_code == 2
    assert run_cli("runs", "--db", str(tmp_path / "none.db")).exit_code == 2


def test_internal_failure_exits_3(monkeypatch: pytest.MonkeyPatch, fleet: Path) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(runner, "run_fleet", broken)
    res = run_cli(str(fleet / "fixed"), "--no-db")
    assert res.exit_code == 3
    assert "internal error: RuntimeError: bug" in res.stderr


def test_diff_after_fixing_a_finding(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default database: .dockready/fleet.db
    svc = fleet / "fixed"
    deployment = svc / "k8s" / "deployment.yaml"
    good = deployment.read_text()
    deployment.write_text(good.replace("path: /readyz", "path: /not-served", 1))
    first = run_cli(str(svc), str(fleet / "probe"))
    assert first.exit_code == 1
    assert (tmp_path / ".dockready" / "fleet.db").is_file()
    deployment.write_text(good)
    assert run_cli(str(svc), str(fleet / "probe")).exit_code == 1  # probe is still blocked

    runs = run_cli("runs")
    assert runs.exit_code == 0
    assert [ln.split()[0] for ln in runs.stdout.splitlines()[1:]] == ["1", "2"]

    res = run_cli("diff")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("run 1 -> run 2")
    fixed_lines = [ln for ln in res.stdout.splitlines() if ln.strip().startswith("fixed ")]
    assert [ln.split()[1] for ln in fixed_lines] == ["DR404"]
    assert not [ln for ln in res.stdout.splitlines() if ln.strip().startswith("new ")]

    doc = json.loads(run_cli("diff", "1", "2", "--format", "json").stdout)
    by = {Path(d["source"]).name: d for d in doc["services"]}
    assert [f["id"] for f in by["fixed"]["fixed"]] == ["DR404"]
    assert by["probe"]["fixed"] == [] and by["probe"]["new"] == []
    # the status per rule: DR404 flipped for the fixed service, nothing for probe
    assert [(x["id"], x["from"], x["to"]) for x in by["fixed"]["flipped"]] == [
        ("DR404", "failed", "passed")
    ]
    assert by["probe"]["flipped"] == []
    assert "rule  DR404 failed -> passed" in res.stdout
    assert {f["id"] for f in by["probe"]["open"]} >= {"DR404"}
    # reversed: the finding is new
    back = json.loads(run_cli("diff", "2", "1", "--format", "json").stdout)
    assert [
        f["id"] for f in {Path(d["source"]).name: d for d in back["services"]}["fixed"]["new"]
    ] == ["DR404"]
    assert run_cli("diff", "7").exit_code == 2


def test_a_token_in_a_git_url_is_never_shown_or_stored(fleet: Path, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    url = "https://builder:tok3n-s3cret@127.0.0.1:9/org/orders.git"  # nothing listens
    res, doc = _json(tmp_path, url, "--cache-dir", str(tmp_path / "cache"), "--timeout", "20")
    (row,) = doc["repositories"]
    assert row["source"] == "https://***@127.0.0.1:9/org/orders.git"
    assert row["status"] == "error" and row["error"].startswith("git clone failed")
    db_bytes = (tmp_path / "f.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("f.db-*")
    )
    for text in (res.output, json.dumps(doc), db_bytes.decode("latin-1")):
        assert "tok3n-s3cret" not in text


def test_a_database_that_cannot_be_written_exits_3_after_the_report(
    monkeypatch: pytest.MonkeyPatch, fleet: Path, tmp_path: Path
) -> None:
    from dockready.fleet import db

    args = [str(fleet / "broken"), str(fleet / "probe"), "--format", "json", "--jobs", "1"]
    expected = _stable(json.loads(run_cli(*args, "--no-db").stdout))
    stored = db._insert_repository
    calls = []

    def locked(*args: object) -> object:
        calls.append(args)
        if len(calls) > 1:
            raise db.DbError("database is locked")
        return stored(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "_insert_repository", locked)
    path = tmp_path / "f.db"
    res = run_cli(*args, "--db", str(path))
    assert res.exit_code == 3
    # the report is whole: the repository stored before the failure is read back,
    # the one that could not be stored kept its findings
    assert _stable(json.loads(res.stdout)) == expected
    assert expected["summary"]["findings"] > 10
    assert "cannot record the run" in res.stderr
    # the incomplete run is not listed
    assert run_cli("runs", "--db", str(path)).stdout == "no runs yet\n"


def test_findings_read_back_from_the_database_are_the_kept_ones(
    fleet: Path, tmp_path: Path
) -> None:
    args = [str(fleet / "broken"), str(fleet / "probe"), str(fleet / "fixed"), "--jobs", "2"]
    slim = run_cli(*args, "--db", str(tmp_path / "a.db"), "--format", "json")
    scratch = run_cli(*args, "--no-db", "--format", "json")
    # junit needs every finding in the run: nothing is dropped
    whole = run_cli(*args, "--no-db", "--format", "json", "--output", f"junit={tmp_path / 'j.xml'}")
    docs = [_stable(json.loads(r.stdout)) for r in (slim, scratch, whole)]
    assert docs[0]["summary"]["findings"] > 10
    assert docs[0] == docs[1] == docs[2]
    assert json.loads(slim.stdout)["run"]["id"] == 1


def test_runner_keeps_what_on_report_returns(fleet: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from dockready.fleet.readiness import without_findings

    seen = []

    def keep(rep: worker.RepoReport) -> worker.RepoReport:
        seen.append(sum(len(s.findings) for s in rep.services))
        return replace(rep, services=tuple(without_findings(s) for s in rep.services))

    srcs = sources.expand([str(fleet / "broken"), str(fleet / "probe")])
    run = runner.run_fleet(srcs, jobs=2, cache_dir=tmp_path, on_report=keep)
    assert [r.source for r in run.repos] == [s.key for s in srcs]
    kept = [s for r in run.repos for s in r.services]
    assert sorted(s.finding_count for s in kept) == sorted(seen)
    # of each service only the first finding of each blocking rule stays
    for s in kept:
        assert sorted(f.rule_id for f in s.findings) == sorted(set(s.blockers))
        assert s.rules == ()


def test_each_repository_is_checked_with_its_own_config(fleet: Path, tmp_path: Path) -> None:
    (fleet / "probe" / ".dockready.toml").write_text('ignore = ["DR404"]\n')
    (fleet / "fixed" / ".dockready.toml").write_text("select = 5\n")
    res, doc = _json(tmp_path, str(fleet / "probe"), str(fleet / "fixed"), str(fleet / "broken"))
    rows = {Path(r["source"]).name: r for r in doc["repositories"]}
    probe = {f["id"] for s in rows["probe"]["services"] for f in s["findings"]}
    assert "DR404" not in probe
    assert rows["fixed"]["status"] == "error" and "select" in rows["fixed"]["error"]
    assert "DR404" in _services(doc)["broken"]["blockers"]
    assert "Traceback" not in res.output
