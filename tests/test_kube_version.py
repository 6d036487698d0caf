"""DR425's target Kubernetes version: ``--kube-version``, the ``kube-version`` key,
``[rules.DR425]``, and what validation may and may not say."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockready import engine, kubeschema
from dockready.cli import cli
from dockready.config import Config, load_config
from dockready.discover import Kind, SourceFile
from dockready.engine import ParseOptions, check, parse_one
from dockready.facts.k8s import Manifests, ObjectDoc

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


FIXTURES = Path(__file__).parent / "fixtures" / "DR425"


def _parsed_docs(path: Path, version: str) -> list[ObjectDoc]:
    src = SourceFile("k8s/app.yaml", str(path), Kind.YAML, path.stat().st_size)
    facts = parse_one(src, ParseOptions(kube_version=version)).facts
    assert isinstance(facts, Manifests)
    return list(facts.documents)


def test_objects_are_validated_while_parsing(tmp_path: Path) -> None:
    """The parse keeps each object's schema problems for DR425's version (so the
    cache keeps them); a parse for no version validates nothing."""
    path = FIXTURES / "bad" / "k8s" / "deploy.yaml"
    version = kubeschema.latest()
    [doc] = _parsed_docs(path, version)
    assert doc.checked_for == version
    assert [(p.span.line, p.required) for p in doc.problems] == [(6, False), (19, False)]
    assert "`spec.replicas` must be an integer, not a string" in doc.problems[0].message
    [plain] = _parsed_docs(path, "")
    assert plain.checked_for == "" and plain.problems == ()
    # what the rule reads: the parsed result for its version, a fresh one for another
    assert kubeschema.problems(doc, version) == doc.problems
    stale = dataclasses.replace(doc, checked_for="1.25", problems=())
    assert kubeschema.problems(stale, version) == doc.problems


def test_a_required_field_is_marked_for_kustomize_patches(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: orders}\nspec:\n"
        "  ports:\n    - targetPort: 8080\n"
    )
    [doc] = _parsed_docs(tmp_path / "app.yaml", kubeschema.latest())
    assert [(p.span.line, p.required) for p in doc.problems] == [(6, True)]
    assert "required field `port` is missing" in doc.problems[0].message


@pytest.mark.parametrize("case", ["bad", "bad-helm", "bad-removed-api", "good-kustomize-patch"])
def test_findings_are_the_same_validated_while_parsing_or_by_the_rule(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validated while parsing (plain manifests) or by the rule (rendered charts, or
    a parse that did not validate), DR425 says the same."""
    parsed = _dr425(FIXTURES / case)
    monkeypatch.setattr(engine, "schema_version", lambda _config: "")
    assert _dr425(FIXTURES / case) == parsed
    assert parsed or case == "good-kustomize-patch"


def test_a_warm_run_does_not_validate_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))  # the HMAC key
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "bad", repo)
    config = Config().with_cache(tmp_path / "cache")
    cold = _dr425(repo, config)
    assert [c.split(" (Kubernetes")[0] for c in cold] == [
        "6: Deployment orders: `spec.replicas` must be an integer, not a string",
        "19: Deployment orders: unknown field `containerport` in "
        "spec.template.spec.containers[0].ports[0] (did you mean `containerPort`?)",
    ]

    asked: list[str] = []
    real = kubeschema.validator

    def counting(version: str, api_version: str, kind: str) -> object:
        asked.append(version)
        return real(version, api_version, kind)

    monkeypatch.setattr(kubeschema, "validator", counting)
    assert _dr425(repo, config) == cold
    assert asked == []
    # another version is another variant of the cache: parsed (and validated) again
    _dr425(repo, config.with_kube_version("1.30"))
    assert asked == ["1.30"]


def test_a_validator_crash_while_parsing_loses_only_the_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file's other facts stay; the rule validates it again (and a crash there is
    reported as the rule's)."""

    def crash(*_args: object) -> None:
        raise KeyError("a schema the validator could not follow")

    monkeypatch.setattr(kubeschema, "problems", crash)
    path = FIXTURES / "bad" / "k8s" / "deploy.yaml"
    src = SourceFile("k8s/deploy.yaml", str(path), Kind.YAML, path.stat().st_size)
    parsed = parse_one(src, ParseOptions(kube_version=kubeschema.latest()))
    assert not parsed.notices
    assert isinstance(parsed.facts, Manifests)
    assert [w.name for w in parsed.facts.workloads] == ["orders"]
    assert [d.checked_for for d in parsed.facts.documents] == [""]
