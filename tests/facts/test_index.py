"""The project index's attribution of files to services."""

from __future__ import annotations

from pathlib import Path

from dockready.engine import check

GO_MOD = "module example.com/shop\n\ngo 1.22\n"
MAIN = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("%s")\n}\n'
WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
"""


def test_findings_on_joined_manifests_name_the_joined_service(tmp_path: Path) -> None:
    # Two services share a module root: the directory cannot tell them apart, the
    # join of each manifest to its image can.
    files = {
        "go.mod": GO_MOD,
        "cmd/api/main.go": MAIN % "api",
        "cmd/worker/main.go": MAIN % "worker",
        "k8s/api.yaml": WORKLOAD.format(name="api"),
        "k8s/worker.yaml": WORKLOAD.format(name="worker"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    result = check([str(tmp_path)], jobs=1).result
    by_path: dict[str, set[str | None]] = {}
    for f in result.findings:
        by_path.setdefault(f.span.path, set()).add(f.service)
    assert by_path["k8s/api.yaml"] == {"api"}
    assert by_path["k8s/worker.yaml"] == {"worker"}


def test_monorepo_dockerfile_is_built_from_the_top(tmp_path: Path) -> None:
    # services/api/Dockerfile copies services/api/... and libs/shared: its context is
    # the repository top, and its go build (WORKDIR /src/services/api, ./cmd/api)
    # builds services/api/cmd/api.
    src = Path(__file__).parents[1] / "fixtures" / "DR206" / "good-monorepo"
    outcome = check([str(src)], jobs=1)
    (svc,) = outcome.result.services
    assert svc.dockerfiles == ("services/api/Dockerfile",)
    assert not [f for f in outcome.result.findings if f.rule_id == "DR206"]
