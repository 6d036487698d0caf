"""``verify``'s translation of a workload container into ``docker run`` options."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockready.engine import load_project
from dockready.verify.pod import from_workload, memory_bytes, restricted

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: orders-config}
data:
  LOG_LEVEL: debug
  app.yaml: "port: 8080\\n"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      terminationGracePeriodSeconds: 40
      securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001}
      containers:
        - name: orders
          image: registry.example.com/orders:1.2.3
          command: ["/orders", "serve"]
          args: ["--port=8080"]
          ports:
            - {name: http, containerPort: 8080}
            - {name: grpc, containerPort: 9090}
          env:
            - {name: LOG_LEVEL, valueFrom: {configMapKeyRef: {name: orders-config, key: LOG_LEVEL}}}
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
            - {name: GOMEMLIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
            - {name: ADDR, value: ":$(PORT)"}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
          livenessProbe:
            grpc: {port: 9090}
            periodSeconds: 5
            failureThreshold: 6
          lifecycle:
            preStop:
              exec: {command: ["/orders", "drain"]}
          resources:
            limits: {memory: 256Mi, cpu: 500m}
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
            - {name: config, mountPath: /etc/orders}
            - {name: data, mountPath: /var/lib/orders}
      volumes:
        - {name: tmp, emptyDir: {}}
        - {name: config, configMap: {name: orders-config}}
        - {name: data, persistentVolumeClaim: {claimName: orders-data}}
"""


def _plan(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "deploy.yaml").write_text(MANIFEST)
    ix = load_project([str(tmp_path)], None, jobs=1, require_files=False).index
    w = next(iter(ix.workloads))
    return from_workload(ix, w, w.containers[0])


def test_security_limits_and_command(tmp_path: Path) -> None:
    p = _plan(tmp_path)
    args = p.run_args()
    assert args[:2] == ["--user", "10001:10001"]
    assert "--read-only" in args and args[
        args.index("--cap-drop") : args.index("--cap-drop") + 2
    ] == ["--cap-drop", "ALL"]
    assert ["--memory", str(256 * 2**20), "--memory-swap", str(256 * 2**20)] == args[
        args.index("--memory") : args.index("--memory") + 4
    ]
    assert "--cpus" in args and args[args.index("--cpus") + 1] == "0.5"
    assert args[args.index("--entrypoint") + 1] == "/orders"
    assert p.command() == ["serve", "--port=8080"]
    assert p.run_as_non_root and p.no_new_privileges


def test_env_from_configmaps_secrets_and_resources(tmp_path: Path) -> None:
    p = _plan(tmp_path)
    assert p.env["LOG_LEVEL"] == "debug"
    assert (
        p.env["DB_PASSWORD"].startswith("dockready-placeholder-") and "DB_PASSWORD" in p.secret_env
    )
    assert p.env["GOMEMLIMIT"] == str(256 * 2**20)
    assert p.env["ADDR"] == ":$(PORT)"  # an unknown $(VAR) stays as the kubelet leaves it


def test_volumes_probes_and_stop(tmp_path: Path) -> None:
    p = _plan(tmp_path)
    assert "/tmp" in p.tmpfs and "/var/lib/orders" in p.tmpfs
    assert p.files["/etc/orders"] == {"LOG_LEVEL": "debug", "app.yaml": "port: 8080\n"}
    assert any("persistentVolumeClaim" in u for u in p.unsupported)
    assert p.ports == [8080, 9090]
    assert p.readiness is not None and (p.readiness.kind, p.readiness.port, p.readiness.path) == (
        "http",
        8080,
        "/readyz",
    )
    assert p.liveness is not None and (p.liveness.kind, p.liveness.port) == ("grpc", 9090)
    assert p.prestop_exec == ("/orders", "drain") and p.grace == 40
    assert p.after_sigterm == 40


def test_restricted_default() -> None:
    p = restricted("orders", [8080], "/healthz")
    args = p.run_args()
    assert "--read-only" in args and str(128 * 2**20) in args and "--user" not in args
    assert p.run_as_non_root and p.readiness is not None and p.readiness.path == "/healthz"
    assert memory_bytes("64Mi") == 64 * 2**20 and memory_bytes("100m") is None


class _FakeDocker:
    """Records the build command; fails it like BuildKit's plain progress does."""

    client = "docker"
    buildx = False

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def build_args(self) -> list[str]:
        return ["build"]

    def run_raw(self, args, timeout=600):  # type: ignore[no-untyped-def]
        import subprocess

        self.calls.append(list(args))
        log = (
            "#7 [build 4/6] RUN go mod download\n"
            "#7 0.180 go: example.com/x@v1.0.0: module lookup disabled by GOPROXY=off\n"
            "#7 ERROR: executor failed running [/bin/sh -c go mod download]: exit code: 1\n"
        )
        return subprocess.CompletedProcess(args, 1, "", log)


def test_build_passes_build_args_and_reads_the_failing_step(tmp_path: Path) -> None:
    from dockready.verify.docker import Janitor
    from dockready.verify.rehearse import build

    fake = _FakeDocker()
    res = build(
        fake,  # type: ignore[arg-type]
        Janitor(fake, "t1"),  # type: ignore[arg-type]
        tmp_path / "Dockerfile",
        tmp_path,
        "img:t1",
        60,
        [("GO_VERSION", "1.22"), ("NPM_TOKEN", None)],
    )
    cmd = fake.calls[0]
    assert cmd[cmd.index("--label") + 1] == "dockready.run=t1"
    assert cmd[-5:-1] == ["--build-arg", "GO_VERSION=1.22", "--build-arg", "NPM_TOKEN"]
    assert not res.ok and res.step == "[build 4/6] RUN go mod download"
    assert "module lookup disabled" in res.log_tail


def test_grpc_probe_speaks_the_health_protocol() -> None:
    """Against grpcio's own health server: SERVING passes, NOT_SERVING and a closed
    port fail (a TCP check would pass the first two alike)."""
    grpc = pytest.importorskip("grpc")
    from concurrent import futures

    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    from dockready.verify.rehearse import grpc_serving

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        servicer.set("orders.v1.Orders", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert grpc_serving(("127.0.0.1", port)) is True
        assert grpc_serving(("127.0.0.1", port), "orders.v1.Orders") is False
    finally:
        server.stop(None)
    assert grpc_serving(("127.0.0.1", port), timeout=0.5) is False


def test_layer_scan_finds_secret_files_and_shapes_never_their_values() -> None:
    import io
    import tarfile

    from dockready.verify.image import _scan_layer

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (
            ("./.env", b"DB_PASSWORD=whatever\n"),
            ("./app/config.txt", b"token: ghp_" + b"b" * 36 + b"\n"),
            ("./etc/ssl/certs/ca.pem", b"-----BEGIN CERTIFICATE-----\n"),
            ("./app/readme.txt", b"nothing to see\n"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r|") as layer:
        found = {(s.where, s.kind) for s in _scan_layer(layer)}
    assert found == {("/.env", "secret file"), ("/app/config.txt", "GitHub token")}
