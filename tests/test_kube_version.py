"""DR425's target Kubernetes version: ``--kube-version``, the ``kube-version`` key,
``[rules.DR425]``, and what validation may and may not say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockready import kubeschema
from dockready.cli import cli
from dockready.config import Config, load_config
from dockready.engine import check

HPA_V2BETA2 = """\
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata:
  name: orders
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: orders}
  minReplicas: 2
  maxReplicas: 4
"""


def _repo(tmp_path: Path, text: str, config: str | None = None) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "app.yaml").write_text(text)
    if config is not None:
        (tmp_path / ".dockready.toml").write_text(config)
    return tmp_path


def _dr425(tmp_path: Path, config: Config | None = None) -> list[str]:
    result = check([str(tmp_path)], config, jobs=1).result
    return [f"{f.span.line}: {f.message}" for f in result.findings if f.rule_id == "DR425"]


def _cli(*args: str) -> tuple[int, list[dict[str, object]], str]:
    r = CliRunner().invoke(cli, ["check", "--select", "DR425", "--format", "json", *args])
    found = json.loads(r.stdout)["findings"] if r.exit_code in (0, 1) else []
    return r.exit_code, found, r.stderr


def test_removed_in_126_is_valid_in_125(tmp_path: Path) -> None:
    repo = _repo(tmp_path, HPA_V2BETA2)
    code, found, _ = _cli(str(repo), "--kube-version", "1.25", "--no-config")
    assert code == 0 and found == []
    code, found, _ = _cli(str(repo), "--kube-version", "v1.26.4", "--no-config")
    assert code == 1
    assert [f["line"] for f in found] == [1]
    assert "removed in Kubernetes 1.26: use autoscaling/v2" in str(found[0]["message"])


def test_config_key_and_flag_precedence(tmp_path: Path) -> None:
    repo = _repo(tmp_path, HPA_V2BETA2, 'kube-version = "1.25"\n')
    assert load_config(repo / ".dockready.toml").kube_version == "1.25"
    code, found, _ = _cli(str(repo))
    assert code == 0 and found == []
    code, found, _ = _cli(str(repo), "--kube-version", "1.30")
    assert code == 1 and len(found) == 1


def test_rule_table_option(tmp_path: Path) -> None:
    repo = _repo(tmp_path, HPA_V2BETA2, '[rules.DR425]\nkube-version = "1.25"\n')
    code, found, _ = _cli(str(repo))
    assert code == 0 and found == []


@pytest.mark.parametrize("value", ["1.20", "2.1", "latest", "1.999"])
def test_unsupported_version_is_a_usage_error(tmp_path: Path, value: str) -> None:
    repo = _repo(tmp_path, HPA_V2BETA2)
    code, _, err = _cli(str(repo), "--kube-version", value, "--no-config")
    assert code == 2
    assert "--kube-version" in err


def test_bad_config_value_names_the_key(tmp_path: Path) -> None:
    repo = _repo(tmp_path, HPA_V2BETA2, "kube-version = 1.3\n")
    code, _, err = _cli(str(repo))
    assert code == 2 and "kube-version" in err


def test_findings_never_quote_values(tmp_path: Path) -> None:
    secret = "s3cr3t-Passw0rd!"
    repo = _repo(
        tmp_path,
        f"""\
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password:
    nested: "{secret}"
type: Opaque
""",
    )
    found = _dr425(repo)
    assert [f.split(":")[0] for f in found] == ["6"]
    assert "stringData.password" in found[0]
    assert secret not in "".join(found)


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: apps/v1\nkind: Deployment\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec: [1, 2]\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec: &a {template: {spec: *a}}\n",
        "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Service, spec: 3}\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: .inf, paused: yes}\n",
        'apiVersion: "v1/../../etc"\nkind: "../passwd"\n',
    ],
)
def test_malformed_objects_do_not_crash(tmp_path: Path, text: str) -> None:
    repo = _repo(tmp_path, text)
    outcome = check([str(repo)], jobs=1)
    assert not outcome.internal_errors


def test_yaml_scalars_typed_as_kubernetes_reads_them(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  replicas: 0x2
  paused: no
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - name: orders
          image: registry.example.com/orders:1.0
          resources: {limits: {cpu: 0.5, memory: 1e9}}
""",
    )
    assert _dr425(repo) == []


def test_validators_are_cached() -> None:
    version = kubeschema.latest()
    a = kubeschema.validator(version, "apps/v1", "Deployment")
    assert a is not None
    assert kubeschema.validator(version, "apps/v1", "Deployment") is a
    assert kubeschema.validator(version, "apps.example.com/v1", "Deployment") is None


def test_template_placeholders_are_not_type_errors(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        """\
apiVersion: v1
kind: Service
metadata:
  name: orders
spec:
  ports:
    - port: PORT
      targetPort: ${TARGET_PORT:-8080}
    - port: "two"
""",
    )
    found = _dr425(repo)
    assert len(found) == 1 and found[0].startswith("9:")
    assert "`spec.ports[1].port` must be an integer" in found[0]
