"""The Kubernetes, compose and CI generators of ``dockready init``.

Golden files live in ``tests/generate/golden/k8s/``. After an intended change run
``DOCKREADY_UPDATE_GOLDEN=1 pytest tests/generate/test_k8s.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from golden_file import assert_golden

from dockready.engine import check
from dockready.generate.jinja import yaml_scalar
from dockready.generate.model import InitFacts, PortSpec, dns_label
from dockready.generate.render_k8s import (
    GRACE_MARGIN,
    MEMORY_LIMIT_MIB,
    PRESTOP_SLEEP,
    config_keys,
    config_mounts,
    grace_period,
    notes,
    render_ci,
    render_compose,
    render_k8s,
)
from dockready.model import Severity

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "k8s"
K8S_VERSION = "1.31"  # preStop.sleep is GA-on-by-default since 1.30

ORDERS = InitFacts(
    name="orderservice",
    root=".",
    module="example.com/orderservice",
    main_pkg="./cmd/orderservice",
    go_version="1.22",
    port=8080,
    port_env="ORDERS_HTTP_PORT",
    health_path="/healthz",
    ready_path="/readyz",
    shutdown_timeout=20.0,
    writes_tmp=True,
    needs_tz=True,
)

# The service of tests/fixtures/DR404/good-grpc: gRPC on :9090 with the health
# service registered, GracefulStop without a deadline.
GRPC = InitFacts(
    name="orders",
    root=".",
    module="example.com/x",
    main_pkg=".",
    go_version="1.22",
    port=9090,
    grpc=True,
    protocol="grpc",
    grpc_health=True,
)

BARE = InitFacts(name="worker", root=".", module="example.com/w", main_pkg=".", go_version="1.22")

# Config files the tree does not hold: two in the service's own directory, one in /
# (a relative path: the process runs in /) and one in /etc, a shared directory.
CONFIGS = dataclasses.replace(
    ORDERS,
    missing_configs=(
        "/etc/orderservice/config.yaml",
        "/etc/orderservice/features.json",
        "/settings.toml",
        "/etc/orderservice.yaml",
    ),
)


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def only(files: dict[str, str]) -> str:
    assert len(files) == 1, files.keys()
    return next(iter(files.values()))


def by_kind(text: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in docs(text)}


def container(text: str) -> dict[str, Any]:
    c: dict[str, Any] = by_kind(text)["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    return c


def mib(quantity: str) -> float:
    m = re.fullmatch(r"(\d+)(Mi|MiB)", quantity)
    assert m, quantity
    return float(m[1])


# -- golden files ---------------------------------------------------------------------

GOLDENS = {
    "orderservice.yaml": lambda: only(render_k8s(ORDERS)),
    "orderservice-hpa.yaml": lambda: only(render_k8s(ORDERS, hpa=True)),
    "orders-grpc.yaml": lambda: only(render_k8s(dataclasses.replace(GRPC, slow_start=True))),
    "orderservice.compose.yaml": lambda: only(render_compose(ORDERS)),
    "orderservice.github.yml": lambda: only(render_ci(ORDERS, "github")),
    "orderservice.gitlab-ci.yml": lambda: only(render_ci(ORDERS, "gitlab")),
    "orderservice-configs.yaml": lambda: render_k8s(CONFIGS)["k8s/orderservice.yaml"],
    "orderservice-configs.configmap.yaml": lambda: render_k8s(CONFIGS)[
        "k8s/orderservice.configmap.yaml"
    ],
    "orderservice-configs.compose.yaml": lambda: only(render_compose(CONFIGS)),
}


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_golden(name: str) -> None:
    assert_golden(GOLDEN / name, GOLDENS[name]())


def test_file_names() -> None:
    assert list(render_k8s(ORDERS)) == ["k8s/orderservice.yaml"]
    assert list(render_compose(ORDERS)) == ["compose.yaml"]
    assert list(render_ci(ORDERS, "github")) == [".github/workflows/orderservice-image.yml"]
    assert list(render_ci(ORDERS, "gitlab")) == [".gitlab-ci.yml"]
    assert list(render_k8s(CONFIGS)) == ["k8s/orderservice.yaml", "k8s/orderservice.configmap.yaml"]


# -- the Kubernetes schema ------------------------------------------------------------

VARIANTS = {
    "http": ORDERS,
    "http-slow": dataclasses.replace(ORDERS, slow_start=True, port_env=None, ready_path=None),
    "grpc": GRPC,
    "grpc-slow": dataclasses.replace(GRPC, slow_start=True, shutdown_timeout=7.5),
    "tcp": BARE,
    "ready-only": dataclasses.replace(BARE, ready_path="/ready", slow_start=True),
    "writes": dataclasses.replace(ORDERS, write_dirs=("/var/log", "/var/cache/app", "/tmp/x")),
    "worker": dataclasses.replace(BARE, listens=False),
    "configs": CONFIGS,
    "configs-worker": dataclasses.replace(
        BARE, listens=False, missing_configs=("/app.yaml",), write_dirs=("/var/lib/w",)
    ),
}


def test_worker_gets_no_service_ports_or_probes() -> None:
    text = only(render_k8s(VARIANTS["worker"]))
    kinds = [d["kind"] for d in docs(text)]
    assert kinds == ["Deployment", "PodDisruptionBudget"]
    container = docs(text)[0]["spec"]["template"]["spec"]["containers"][0]
    assert not {"ports", "readinessProbe", "livenessProbe"} & set(container)
    assert any("listens on no port" in n for n in notes(VARIANTS["worker"]))


def test_written_directories_get_writable_volumes() -> None:
    text = only(render_k8s(VARIANTS["writes"]))
    deploy = next(d for d in docs(text) if d["kind"] == "Deployment")
    pod = deploy["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    assert set(mounts) == {"/tmp", "/var/log", "/var/cache/app"}  # /tmp/x is under /tmp
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert all("emptyDir" in volumes[name] for name in mounts.values())
    # compose runs it read-only too: the same directories are tmpfs mounts there
    (svc,) = yaml.safe_load(only(render_compose(VARIANTS["writes"])))["services"].values()
    assert svc["read_only"] is True
    assert set(svc["tmpfs"]) == {"/tmp", "/var/log", "/var/cache/app"}


@pytest.mark.parametrize("hpa", [False, True])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_validates_against_kubernetes_schema(variant: str, hpa: bool) -> None:
    kinds = []
    for text in render_k8s(VARIANTS[variant], hpa=hpa).values():
        for doc in docs(text):
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            kinds.append(doc["kind"])
    expected = ["Deployment", "Service", "PodDisruptionBudget"]
    if not VARIANTS[variant].listens:
        expected.remove("Service")
    if hpa:
        expected.append("HorizontalPodAutoscaler")
    if VARIANTS[variant].missing_configs:
        expected.append("ConfigMap")
    assert kinds == expected


# -- config files the tree does not hold ------------------------------------------------


def _pod(f: InitFacts) -> dict[str, Any]:
    pod: dict[str, Any] = by_kind(render_k8s(f)["k8s/orderservice.yaml"])["Deployment"]["spec"][
        "template"
    ]["spec"]
    return pod


def test_missing_configs_come_from_a_configmap() -> None:
    files = render_k8s(CONFIGS)
    (cm,) = docs(files["k8s/orderservice.configmap.yaml"])
    assert (cm["apiVersion"], cm["kind"]) == ("v1", "ConfigMap")
    assert cm["metadata"]["name"] == "orderservice-config"
    assert cm["metadata"]["labels"] == {"app.kubernetes.io/name": "orderservice"}
    assert set(cm["data"]) == {"config.yaml", "features.json", "settings.toml", "orderservice.yaml"}
    # A placeholder that says what goes there, and is no valid config of any kind.
    assert cm["data"]["config.yaml"] == "# TODO: the contents of /etc/orderservice/config.yaml\n"
    assert (
        "kubectl create configmap orderservice-config" in files["k8s/orderservice.configmap.yaml"]
    )
    assert "k8s/orderservice.configmap.yaml" in files["k8s/orderservice.yaml"]  # the header says


def test_a_directory_of_its_own_is_mounted_whole() -> None:
    pod = _pod(CONFIGS)
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    d = mounts["/etc/orderservice"]
    assert d["readOnly"] is True and "subPath" not in d  # updates reach the files
    volume = {v["name"]: v for v in pod["volumes"]}[d["name"]]
    assert volume["configMap"] == {
        "name": "orderservice-config",
        "items": [
            {"key": "config.yaml", "path": "config.yaml"},
            {"key": "features.json", "path": "features.json"},
        ],
    }


@pytest.mark.parametrize(
    ("path", "key"),
    [("/settings.toml", "settings.toml"), ("/etc/orderservice.yaml", "orderservice.yaml")],
)
def test_a_file_in_a_shared_directory_is_mounted_alone(path: str, key: str) -> None:
    pod = _pod(CONFIGS)
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == path)
    assert mount == {"name": "config", "mountPath": path, "subPath": key, "readOnly": True}
    volume = {v["name"]: v for v in pod["volumes"]}["config"]
    assert volume["configMap"] == {"name": "orderservice-config"}  # every key


def test_a_directory_with_other_mounts_inside_is_not_mounted_whole() -> None:
    # The code writes below the directory of its config (an emptyDir there): its mount
    # point would have to be made inside a read-only ConfigMap volume.
    f = dataclasses.replace(
        ORDERS, missing_configs=("/srv/app/conf/app.yaml",), write_dirs=("/srv/app/conf/cache",)
    )
    (m,) = config_mounts(f)
    assert (m.mount_path, m.sub_path) == ("/srv/app/conf/app.yaml", "app.yaml")
    # A file the image ships in that directory stays visible too.
    g = dataclasses.replace(
        ORDERS, missing_configs=("/conf/b.yaml",), config_files=("conf/a.yaml",)
    )
    assert [m.sub_path for m in config_mounts(g)] == ["b.yaml"]
    # Nested directories: the inner one is mounted whole, the outer file alone.
    h = dataclasses.replace(ORDERS, missing_configs=("/opt/app/a.yaml", "/opt/app/x/b.yaml"))
    assert [(m.mount_path, m.sub_path) for m in config_mounts(h)] == [
        ("/opt/app/a.yaml", "a.yaml"),
        ("/opt/app/x", None),
    ]


def test_config_keys_are_unique() -> None:
    f = dataclasses.replace(
        ORDERS, missing_configs=("/etc/a/config.yaml", "/etc/b/config.yaml", "/x/my conf.yaml")
    )
    assert config_keys(f) == {
        "/etc/a/config.yaml": "etc_a_config.yaml",
        "/etc/b/config.yaml": "etc_b_config.yaml",
        "/x/my conf.yaml": "my_conf.yaml",
    }
    pod = _pod(f)
    for doc in docs(render_k8s(f)["k8s/orderservice.configmap.yaml"]):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    items = {v["name"]: v["configMap"].get("items") for v in pod["volumes"] if "configMap" in v}
    assert items["config-etc-a"] == [{"key": "etc_a_config.yaml", "path": "config.yaml"}]
    assert items["config-x"] == [{"key": "my_conf.yaml", "path": "my conf.yaml"}]


def test_no_missing_configs_no_configmap() -> None:
    assert list(render_k8s(ORDERS)) == ["k8s/orderservice.yaml"]
    assert "configMap" not in only(render_k8s(ORDERS))
    assert "volumes:" not in only(render_compose(ORDERS))


def test_compose_mounts_missing_configs_read_only() -> None:
    svc = yaml.safe_load(only(render_compose(CONFIGS)))["services"]["orderservice"]
    by_target = {v["target"]: v for v in svc["volumes"]}
    assert set(by_target) == set(CONFIGS.missing_configs)
    assert by_target["/etc/orderservice/config.yaml"] == {
        "type": "bind",
        "source": "./config/config.yaml",
        "target": "/etc/orderservice/config.yaml",
        "read_only": True,
        "bind": {"create_host_path": False},  # a missing file stops `up`
    }


def test_dockready_passes_with_a_configmap(tmp_path: Path) -> None:
    # tests/fixtures/DR314/bad-absolute reads /etc/orders/config.json: with our
    # manifests (and no k8s of its own), DR314 is satisfied by the ConfigMap mount.
    src = REPO / "tests" / "fixtures" / "DR314" / "bad-absolute"
    project = tmp_path / "svc"
    shutil.copytree(src, project)
    shutil.rmtree(project / "k8s")
    f = InitFacts(
        name="x",
        root=".",
        module="example.com/x",
        main_pkg=".",
        go_version="1.22",
        listens=False,
        missing_configs=("/etc/orders/config.json",),
    )
    assert "DR314" in {rule for rule, _, _ in _serious(project)}
    for rel, text in render_k8s(f).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text, encoding="utf-8")
    assert "DR314" not in {rule for rule, _, _ in _serious(project)}


# -- dockready's own rules ------------------------------------------------------------


def _serious(project: Path) -> set[tuple[str, str, str]]:
    outcome = check([str(project)], jobs=1)
    assert not outcome.internal_errors, outcome.internal_errors
    return {
        (x.rule_id, x.span.path, f"{x.span.path}:{x.span.line} {x.message}")
        for x in outcome.result.findings
        if x.severity in (Severity.ERROR, Severity.WARNING) and x.suppressed is None
    }


def _audit(tmp_path: Path, example: Path, old_manifest: str, f: InitFacts) -> None:
    """Replace the project's manifest with ours, add our compose file, and check:
    nothing on the generated files, and nothing the project did not have before."""
    project = tmp_path / example.name
    shutil.copytree(example, project)
    (project / old_manifest).unlink()
    before = {(rule, path) for rule, path, _ in _serious(project)}
    generated = {**render_k8s(f), **render_compose(f)}
    for rel, text in generated.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text, encoding="utf-8")
    outcome = check([str(project)], jobs=1)
    # The generated manifest must be joined to the code, or the rules prove nothing.
    assert [s.workloads for s in outcome.result.services] == [
        (f"k8s/{f.name}.yaml#Deployment/{f.name}",)
    ], outcome.result.services
    assert [s.compose_services for s in outcome.result.services] == [(f"compose.yaml#{f.name}",)], (
        outcome.result.services
    )
    bad = sorted(
        text
        for rule, path, text in _serious(project)
        if path in generated or (rule, path) not in before
    )
    assert not bad, "dockready finds fault with the generated files:\n" + "\n".join(bad)


def test_dockready_passes_on_orderservice(tmp_path: Path) -> None:
    _audit(tmp_path, REPO / "examples" / "orderservice-fixed", "k8s/deployment.yaml", ORDERS)


def test_dockready_passes_on_grpc_service(tmp_path: Path) -> None:
    _audit(tmp_path, REPO / "tests" / "fixtures" / "DR404" / "good-grpc", "k8s/deploy.yaml", GRPC)


# -- the numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("drain", [None, 0.0, 7.5, 20.0, 30.0, 61.2])
def test_grace_period_covers_prestop_drain_and_margin(drain: float | None) -> None:
    f = dataclasses.replace(ORDERS, shutdown_timeout=drain)
    spec = by_kind(only(render_k8s(f)))["Deployment"]["spec"]["template"]["spec"]
    c = spec["containers"][0]
    prestop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = spec["terminationGracePeriodSeconds"]
    assert prestop == PRESTOP_SLEEP
    expected_drain = 25.0 if drain is None else drain
    assert grace == grace_period(f) == math.ceil(prestop + expected_drain + GRACE_MARGIN)
    assert grace > prestop + expected_drain  # DR406: equality is a SIGKILL at the deadline


def test_orderservice_grace_is_30() -> None:
    assert grace_period(ORDERS) == 30


def test_gomemlimit_below_memory_limit() -> None:
    c = container(only(render_k8s(ORDERS)))
    env = {e["name"]: e.get("value") for e in c["env"]}
    limit = mib(c["resources"]["limits"]["memory"])
    soft = mib(env["GOMEMLIMIT"])
    assert limit == MEMORY_LIMIT_MIB
    assert 0.85 * limit <= soft < limit
    assert env["GOMEMLIMIT"] == "230MiB"


def test_resources_and_no_cpu_limit() -> None:
    c = container(only(render_k8s(ORDERS)))
    assert c["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": "256Mi"},
    }


@pytest.mark.parametrize(
    ("go", "expected"), [("1.22", True), ("1.24.5", True), ("1.25", False), ("1.26.1", False)]
)
def test_gomaxprocs_follows_the_cpu_limit_below_go_125(go: str, expected: bool) -> None:
    env = {
        e["name"]: e
        for e in container(only(render_k8s(dataclasses.replace(ORDERS, go_version=go))))["env"]
    }
    if expected:
        assert env["GOMAXPROCS"]["valueFrom"] == {
            "resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}
        }
    else:
        assert "GOMAXPROCS" not in env  # the runtime reads the cgroup limit itself


def test_port_env_is_the_port_as_a_string() -> None:
    c = container(only(render_k8s(ORDERS)))
    assert {"name": "ORDERS_HTTP_PORT", "value": "8080"} in c["env"]
    assert c["ports"] == [{"name": "http", "containerPort": 8080}]
    assert "ORDERS_HTTP_PORT" not in {e["name"] for e in container(only(render_k8s(GRPC)))["env"]}


def test_security_settings() -> None:
    d = by_kind(only(render_k8s(ORDERS)))["Deployment"]
    pod = d["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["enableServiceLinks"] is False
    assert pod["automountServiceAccountToken"] is False
    c = pod["containers"][0]
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]


def test_tmp_is_mounted_even_when_the_code_writes_nothing() -> None:
    c = container(only(render_k8s(dataclasses.replace(ORDERS, writes_tmp=False))))
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]


def test_rollout_image_labels_and_pdb() -> None:
    kinds = by_kind(only(render_k8s(ORDERS)))
    d = kinds["Deployment"]
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "orderservice:0.1.0"
    labels = {"app.kubernetes.io/name": "orderservice"}
    assert d["spec"]["selector"]["matchLabels"] == labels
    assert d["spec"]["template"]["metadata"]["labels"] == labels
    assert kinds["Service"]["spec"]["selector"] == labels
    assert kinds["Service"]["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]
    assert kinds["PodDisruptionBudget"]["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": labels},
    }
    assert "Kubernetes >= 1.30" in only(render_k8s(ORDERS))


def test_hpa_owns_the_replica_count() -> None:
    kinds = by_kind(only(render_k8s(ORDERS, hpa=True)))
    assert "replicas" not in kinds["Deployment"]["spec"]
    hpa = kinds["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "orderservice",
    }
    assert hpa["spec"]["minReplicas"] == 2


# -- probes ---------------------------------------------------------------------------


def test_http_probes_on_the_named_port() -> None:
    c = container(only(render_k8s(ORDERS)))
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert "startupProbe" not in c
    assert notes(ORDERS) == []


def test_readiness_falls_back_to_the_health_route() -> None:
    f = dataclasses.replace(ORDERS, ready_path=None)
    c = container(only(render_k8s(f)))
    assert c["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert any("no readiness route" in n for n in notes(f))


def test_grpc_probes() -> None:
    c = container(only(render_k8s(GRPC)))
    assert c["ports"] == [{"name": "grpc", "containerPort": 9090}]
    for kind in ("livenessProbe", "readinessProbe"):
        assert c[kind]["grpc"] == {"port": 9090}
        assert "httpGet" not in c[kind] and "tcpSocket" not in c[kind]
    svc = by_kind(only(render_k8s(GRPC)))["Service"]
    assert svc["spec"]["ports"] == [{"name": "grpc", "port": 9090, "targetPort": "grpc"}]
    assert not any("TCP" in n for n in notes(GRPC))


def test_grpc_service_with_an_http_health_route_uses_http() -> None:
    # HTTP on 8080 serves /healthz; gRPC on 9090 has no health service
    f = dataclasses.replace(
        GRPC,
        port=8080,
        protocol="http",
        grpc_health=False,
        health_path="/healthz",
        ports=(PortSpec("grpc", 9090, "grpc"),),
    )
    docs = by_kind(only(render_k8s(f)))
    c = container(only(render_k8s(f)))
    assert c["ports"] == [
        {"name": "http", "containerPort": 8080},
        {"name": "grpc", "containerPort": 9090},
    ]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert docs["Service"]["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http"},
        {"name": "grpc", "port": 9090, "targetPort": "grpc"},
    ]


def test_grpc_health_on_the_second_port_is_probed_there() -> None:
    f = dataclasses.replace(
        GRPC, port=8080, protocol="http", ports=(PortSpec("grpc", 9090, "grpc"),)
    )
    c = container(only(render_k8s(f)))
    assert c["readinessProbe"]["grpc"] == {"port": 9090}


@pytest.mark.parametrize(
    "f",
    [BARE, dataclasses.replace(GRPC, grpc_health=False)],
    ids=["http", "grpc-without-health"],
)
def test_tcp_fallback_produces_a_note(f: InitFacts) -> None:
    c = container(only(render_k8s(f)))
    for kind in ("livenessProbe", "readinessProbe"):
        assert set(c[kind]) & {"httpGet", "grpc", "tcpSocket"} == {"tcpSocket"}
    got = notes(f)
    assert any("no health route found: TCP probes generated" in n for n in got), got
    hint = "grpc/health" if f.grpc else "/healthz"
    assert any(hint in n for n in got), got


def test_ready_route_without_health_route_keeps_liveness_off_it() -> None:
    f = dataclasses.replace(BARE, ready_path="/ready")
    c = container(only(render_k8s(f)))
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert "tcpSocket" in c["livenessProbe"]
    assert any("no liveness route" in n for n in notes(f))


def test_startup_probe_when_slow_to_start() -> None:
    c = container(only(render_k8s(dataclasses.replace(ORDERS, slow_start=True))))
    startup = c["startupProbe"]
    assert startup["httpGet"] == c["livenessProbe"]["httpGet"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60
    assert "startupProbe" not in container(only(render_k8s(ORDERS)))


def test_slow_start_reason_in_the_manifest_and_the_notes() -> None:
    f = dataclasses.replace(
        ORDERS, slow_start=True, slow_start_why="runs schema migrations (goose)"
    )
    text = render_k8s(f)[next(iter(render_k8s(f)))]
    assert "startupProbe:  # the code runs schema migrations (goose): liveness waits" in text
    (note,) = [n for n in notes(f) if "startupProbe" in n]
    assert "the code runs schema migrations (goose)" in note and "150 s" in note
    assert not any("startupProbe" in n for n in notes(ORDERS))


def test_unknown_drain_timeout_produces_a_note() -> None:
    assert any("no drain timeout" in n for n in notes(GRPC))
    assert not any("no drain timeout" in n for n in notes(ORDERS))


# -- names and quoting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("orderservice", "orderservice"),
        ("Order_Service", "order-service"),
        ("9lives", "svc-9lives"),
    ],
)
def test_dns_label(raw: str, label: str) -> None:
    assert dns_label(raw) == label


@pytest.mark.parametrize("value", ["/healthz", "8080", "true", "null", "-x", "a: b", "x # y", "~"])
def test_yaml_scalar_round_trips(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}") == {"k": value}


def test_odd_health_path_stays_a_string() -> None:
    f = dataclasses.replace(ORDERS, health_path="/health check", ready_path="/ready#z")
    c = container(only(render_k8s(f)))
    assert c["livenessProbe"]["httpGet"]["path"] == "/health check"
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready#z"


# -- compose --------------------------------------------------------------------------


def test_compose() -> None:
    data = yaml.safe_load(only(render_compose(ORDERS)))
    svc = data["services"]["orderservice"]
    assert svc["build"] == {"context": "."}
    assert svc["ports"] == ["8080:8080"]
    assert svc["environment"] == {"ORDERS_HTTP_PORT": "8080"}
    assert svc["read_only"] is True
    assert svc["tmpfs"] == ["/tmp"]
    assert svc["user"] == "65532:65532"
    assert "healthcheck" not in svc  # distroless has no shell or curl to run one
    assert svc["stop_grace_period"] == "25s"


def test_compose_without_port_env() -> None:
    svc = yaml.safe_load(only(render_compose(GRPC)))["services"]["orders"]
    assert "environment" not in svc
    assert svc["ports"] == ["9090:9090"]


# -- CI -------------------------------------------------------------------------------


def _steps(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}


def test_github_workflow() -> None:
    wf = yaml.safe_load(only(render_ci(ORDERS, "github")))
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(on)
    test = _steps(wf["jobs"]["test"])
    assert test["actions/checkout"]["uses"] == "actions/checkout@v4"
    go = test["actions/setup-go"]
    assert go["uses"] == "actions/setup-go@v5"
    assert go["with"]["go-version-file"] == "go.mod"
    assert go["with"]["cache"] is True
    assert {"run": "go test ./..."} in wf["jobs"]["test"]["steps"]
    assert "dockready/dockready" in _steps(wf["jobs"]["dockready"])
    image = wf["jobs"]["image"]
    steps = _steps(image)
    assert steps["docker/setup-buildx-action"]["uses"].endswith("@v3")
    build = steps["docker/build-push-action"]
    assert build["uses"].endswith("@v6")
    assert build["with"]["cache-from"].startswith("type=gha")
    assert build["with"]["cache-to"].startswith("type=gha,mode=max")
    assert build["with"]["push"] == "${{ env.PUSH == 'true' }}"
    assert "github.event.repository.default_branch" in image["env"]["PUSH"]
    assert set(image["needs"]) == {"test", "dockready"}


def test_github_workflow_in_a_subdirectory() -> None:
    f = dataclasses.replace(
        ORDERS, root="services/orders", has_go_sum=False, private_modules=("example.com/*",)
    )
    wf = yaml.safe_load(only(render_ci(f, "github")))
    test = wf["jobs"]["test"]
    assert test["defaults"]["run"]["working-directory"] == "services/orders"
    go = _steps(test)["actions/setup-go"]["with"]
    assert go["go-version-file"] == "services/orders/go.mod"
    assert go["cache"] is False
    assert _steps(wf["jobs"]["image"])["docker/build-push-action"]["with"]["context"] == (
        "services/orders"
    )
    assert wf["env"]["GOPRIVATE"] == "example.com/*"


def test_gitlab_fragment() -> None:
    ci = yaml.safe_load(only(render_ci(ORDERS, "gitlab")))
    test = ci["orderservice-test"]
    assert test["image"] == "golang:1.22"
    assert test["variables"]["GOMODCACHE"].startswith("$CI_PROJECT_DIR/")
    assert test["variables"]["GOCACHE"].startswith("$CI_PROJECT_DIR/")
    assert "go test ./..." in test["script"]
    assert set(test["cache"]["paths"]) == {".cache/go/mod", ".cache/go/build"}
    image = ci["orderservice-image"]
    script = " ".join(image["script"])
    assert "docker buildx build" in script
    assert image["variables"]["CACHE"] == "$CI_REGISTRY_IMAGE/cache:orderservice"
    assert '--cache-from "type=registry,ref=$CACHE"' in script
    assert '--cache-to "type=registry,ref=$CACHE,mode=max' in script
    assert "$CI_DEFAULT_BRANCH" in script


def test_gitlab_fragment_in_a_subdirectory_uses_the_toolchain() -> None:
    f = dataclasses.replace(ORDERS, root="svc/orders", go_version="1.22.3", toolchain="go1.24.1")
    ci = yaml.safe_load(only(render_ci(f, "gitlab")))
    assert ci["orderservice-test"]["image"] == "golang:1.24"
    assert ci["orderservice-test"]["script"][0] == "cd svc/orders"
    assert ci["orderservice-test"]["cache"]["key"]["files"] == ["svc/orders/go.sum"]
    assert ci["orderservice-image"]["script"][-1].endswith(" svc/orders")


def test_unknown_ci_kind() -> None:
    with pytest.raises(ValueError, match="unknown CI kind 'jenkins'"):
        render_ci(ORDERS, "jenkins")


def test_named_dockerfile_reaches_compose_and_ci() -> None:
    f = dataclasses.replace(ORDERS, dockerfile="Dockerfile.orderservice")
    # One of several services of a module: its compose file and GitLab fragment are
    # named after it, as its Dockerfile is (the next service's must not replace them).
    assert list(render_compose(f)) == ["compose.orderservice.yaml"]
    assert "docker compose -f compose.orderservice.yaml up" in only(render_compose(f))
    assert list(render_ci(f, "gitlab")) == [".gitlab/orderservice.gitlab-ci.yml"]
    assert "local: .gitlab/orderservice.gitlab-ci.yml" in only(render_ci(f, "gitlab"))
    compose = yaml.safe_load(only(render_compose(f)))
    assert compose["services"]["orderservice"]["build"]["dockerfile"] == "Dockerfile.orderservice"
    assert "Dockerfile.orderservice" in only(render_ci(f, "github"))
    assert "--file" in only(render_ci(f, "gitlab"))
    plain = yaml.safe_load(only(render_compose(ORDERS)))
    assert "dockerfile" not in plain["services"]["orderservice"]["build"]


# -- built from an enclosing directory (go.mod replaces with local directories) --------

WIDE = dataclasses.replace(
    ORDERS, root="services/api", context="../..", local_modules=("libs/shared",)
)


def test_wide_context_compose_builds_from_the_enclosing_directory() -> None:
    build = yaml.safe_load(only(render_compose(WIDE)))["services"]["orderservice"]["build"]
    assert build == {"context": "../..", "dockerfile": "services/api/Dockerfile"}
    assert yaml.safe_load(only(render_compose(ORDERS)))["services"]["orderservice"]["build"] == {
        "context": "."
    }


def test_wide_context_ci() -> None:
    gh = yaml.safe_load(only(render_ci(WIDE, "github")))
    push = _steps(gh["jobs"]["image"])["docker/build-push-action"]
    assert (push["with"]["context"], push["with"]["file"]) == (".", "services/api/Dockerfile")
    # on: (PyYAML reads the key as True)
    paths = gh[True]["push"]["paths"]
    assert paths[:2] == ["services/api/**", "libs/shared/**"]
    gitlab = only(render_ci(WIDE, "gitlab"))
    assert "--file services/api/Dockerfile\n      .\n" in gitlab
