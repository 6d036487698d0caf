"""No secret leaves dockready through any format (issue 14, item 2).

Secrets are planted where a rule never reports them but the report still shows the
text around them: in parser messages (DR000), on continuation lines, on lines of a
file that does not parse, and on lines next to an unrelated finding (HTML snippets).
Every format is rendered and searched for every planted value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dockready import report
from dockready.cli import cli

SECRETS = {
    # a Dockerfile the parser rejects, quoting the value after the secret
    "Dockerfile.bad-env": (
        "FROM scratch\nENV DB_PASSWORD=hunter2abc q9Zr4PlantedA\n",
        "q9Zr4PlantedA",
    ),
    # the value on a continuation line of an instruction that does not parse
    "Dockerfile.continued": (
        "FROM scratch\nENV DB_PASSWORD=hunter2abc \\\n    q9Zr4PlantedB\n",
        "q9Zr4PlantedB",
    ),
    # a stray value where an instruction should be
    "Dockerfile.stray": ("FROM scratch\nq9Zr4plantedc\n", "q9Zr4plantedc"),
    # a YAML manifest that does not parse, with a secret on the failing line
    "k8s/broken.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
        '  password: "q9Zr4PlantedD\n  other: [\n',
        "q9Zr4PlantedD",
    ),
}
# Lines next to an unrelated finding (DR302 on the FROM line): the HTML snippet
# around it must hide each of them.
NEIGHBOURS = (
    "FROM alpine:latest\n"
    "LABEL secret_token=q9Zr4PlantedE\n"
    'RUN echo "password q9Zr4PlantedF" > /dev/null\n'
    "USER 65532\n"
    'CMD ["/app"]\n'
)
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example/web:latest
          args: ["--db-password=q9Zr4PlantedG"]
"""
ALL = [s for _, s in SECRETS.values()] + [f"q9Zr4Planted{c}" for c in "EFG"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaks")
    for rel, (content, _) in SECRETS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    (root / "Dockerfile").write_text(NEIGHBOURS)
    (root / "k8s" / "web.yaml").write_text(MANIFEST)
    return root


def test_the_secrets_are_really_planted(repo: Path) -> None:
    text = "".join(p.read_text() for p in repo.rglob("*") if p.is_file())
    for secret in ALL:
        assert secret in text


@pytest.mark.parametrize("fmt", report.available())
def test_no_format_shows_a_planted_secret(repo: Path, fmt: str) -> None:
    res = CliRunner().invoke(cli, ["check", str(repo), "--format", fmt])
    assert res.exit_code == 1, res.output
    out = res.stdout + res.stderr
    # the report is about these files: each broken file is a DR000, and the
    # neighbours' findings are there
    for rel in ("Dockerfile.bad-env", "Dockerfile.continued", "Dockerfile.stray", "broken.yaml"):
        assert rel in out, f"{rel} missing from the {fmt} report"
    assert "DR302" in out and "DR414" in out
    for secret in ALL:
        assert secret.lower() not in out.lower(), f"{secret} leaked into {fmt}"


def test_parser_messages_keep_position_and_reason(repo: Path) -> None:
    res = CliRunner().invoke(cli, ["check", str(repo), "--format", "json"])
    import json

    doc = json.loads(res.stdout)
    msgs = {f["path"]: f["message"] for f in doc["findings"] if f["id"] == "DR000"}
    assert "can't find = in" in msgs["Dockerfile.bad-env"]
    assert msgs["Dockerfile.stray"].endswith("unknown instruction")
    lines = {f["path"]: f["line"] for f in doc["findings"] if f["id"] == "DR000"}
    assert lines["Dockerfile.stray"] == 2


def test_a_mistyped_instruction_is_still_named(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCPOY a b\n")
    res = CliRunner().invoke(cli, ["check", str(tmp_path), "--format", "json"])
    assert "unknown instruction CPOY" in res.stdout
