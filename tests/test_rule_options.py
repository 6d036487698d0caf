"""Rule options from ``.dockready.toml`` reach the rules: ``[rules.DR406] margin`` and
``[rules.DR302] allowed-registries``."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES

from dockready.config import resolve_config
from dockready.engine import check


def _run(repo: Path, toml: str) -> set[tuple[str, str, int]]:
    (repo / ".dockready.toml").write_text(toml, encoding="utf-8")
    config = resolve_config([str(repo)])
    result = check([str(repo)], jobs=1, config=config).result
    return {(f.rule_id, f.span.path, f.span.line) for f in result.findings}


def test_dr406_margin(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "DR406" / "good", repo)  # 40 s grace > 5 s + 20 s
    assert not {f for f in _run(repo, "") if f[0] == "DR406"}
    found = {f for f in _run(repo, "[rules.DR406]\nmargin = 15\n") if f[0] == "DR406"}
    assert found and all(path == "k8s/deploy.yaml" for _, path, _ in found)


def test_dr302_allowed_registries(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "DR302" / "bad", repo)
    before = {f for f in _run(repo, "") if f[0] == "DR302"}
    assert ("DR302", "Dockerfile", 9) in before  # registry.example.com/platform/migrate
    after = {
        f
        for f in _run(repo, '[rules.DR302]\nallowed-registries = ["registry.example.com"]\n')
        if f[0] == "DR302"
    }
    assert ("DR302", "Dockerfile", 9) not in after
    assert ("DR302", "Dockerfile", 2) in after  # docker.io/golang: still reported


def test_declared_service_joins_what_names_cannot(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES.parent.parent / "examples" / "orderservice", repo)
    deploy = repo / "k8s" / "deployment.yaml"
    deploy.write_text(
        deploy.read_text()
        .replace(
            "registry.example.com/orderservice:latest", "registry.example.com/team/checkout:1.0"
        )
        .replace("name: orderservice", "name: checkout"),
        encoding="utf-8",
    )
    worker = repo / "cmd" / "worker"
    worker.mkdir()
    (worker / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    # Two services, and no name ties the Deployment to either: no joined finding.
    assert not {f for f in _run(repo, "") if f[0] == "DR404"}
    toml = '[services.orderservice]\nimages = ["registry.example.com/team/checkout"]\n'
    found = {f for f in _run(repo, toml) if f[0] == "DR404"}
    assert {(rid, path) for rid, path, _ in found} == {("DR404", "k8s/deployment.yaml")}
    toml = '[services.orderservice]\nworkloads = ["k8s/deployment.yaml#Deployment/checkout"]\n'
    assert {f[0] for f in _run(repo, toml)} >= {"DR404"}
