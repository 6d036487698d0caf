"""Behaviour of the YAML parser: Kubernetes and compose facts, spans, and bad input."""

from __future__ import annotations

import time
from textwrap import dedent

import pytest

from dockready.facts.k8s import Manifests
from dockready.parse import yamlfiles
from dockready.parse.yamlfiles import parse_yaml


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def parsed(text: str, path: str = "k8s/app.yaml") -> Manifests:
    m = parse_yaml(path, text)
    assert m is not None
    assert m.error is None, m.error_message
    return m


APP = dedent("""\
    # the app
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: shop
      annotations:
        owner: team-a
        note: object
    spec:
      replicas: 2
      template:
        metadata:
          labels: {app: api, tier: web}
          annotations:
            note: template
        spec:
          terminationGracePeriodSeconds: 40
          enableServiceLinks: false
          containers:
            - name: api
              image: registry.example.com/api:1.2.3
              ports:
                - name: http
                  containerPort: 8080
                - containerPort: 9090
                  name: metrics
                  protocol: TCP
              env:
                - name: API_ADDR
                  value: ":8080"
                - name: API_DB_PASSWORD
                  valueFrom:
                    secretKeyRef: {name: db, key: password}
                - name: POD_IP
                  valueFrom:
                    fieldRef: {fieldPath: status.podIP}
                - name: EMPTY
              envFrom:
                - configMapRef: {name: api-config}
                  prefix: API_
              resources:
                requests: {cpu: 100m, memory: 128Mi}
                limits: {cpu: 1, memory: 256Mi}
              readinessProbe:
                httpGet: {path: /readyz, port: http}
                periodSeconds: 5
              livenessProbe:
                tcpSocket:
                  port: 8080
              startupProbe:
                grpc: {port: 9090, service: health}
              volumeMounts:
                - {name: config, mountPath: /etc/api, readOnly: true}
          volumes:
            - name: config
              configMap: {name: api-config}
            - name: data
              persistentVolumeClaim: {claimName: api-data}
            - name: sock
              hostPath: {path: /var/run/docker.sock}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: api, namespace: shop}
    spec:
      type: NodePort
      selector: {app: api}
      ports:
        - {name: web, port: 80, targetPort: http, nodePort: 30080}
        - {port: 9090, targetPort: 9090}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: api-config, namespace: shop}
    data:
      LOG_LEVEL: info
      config.yaml: |
        addr: ":8080"
    binaryData:
      blob: aGVsbG8=
    """)


def test_multi_document_file_gives_workload_service_and_configmap() -> None:
    m = parsed(APP)
    (w,) = m.workloads
    (svc,) = m.services
    (cm,) = m.configmaps
    assert (w.kind, w.name, w.namespace, w.api_version) == ("Deployment", "api", "shop", "apps/v1")
    assert w.span.line == line_of(APP, "kind: Deployment")
    assert w.replicas == 2
    assert w.grace == 40 and w.grace_span is not None
    assert w.grace_span.line == line_of(APP, "terminationGracePeriodSeconds")
    assert w.enable_service_links is False
    assert dict(w.labels) == {"app": "api", "tier": "web"}
    assert dict(w.annotations) == {"owner": "team-a", "note": "template"}
    assert svc.selects(w)
    assert svc.span.line == line_of(APP, "kind: Service")
    assert cm.span.line == line_of(APP, "kind: ConfigMap")


def test_container_facts_and_line_numbers() -> None:
    (c,) = parsed(APP).workloads[0].containers
    assert c.name == "api" and c.image == "registry.example.com/api:1.2.3"
    assert c.span.line == line_of(APP, "- name: api")
    assert (c.image_span.line, c.image_span.col) == (line_of(APP, "image:"), 18)
    assert [(p.port, p.name) for p in c.ports] == [(8080, "http"), (9090, "metrics")]
    assert c.ports[0].span.line == line_of(APP, "- name: http")


def test_env_sources_and_lines() -> None:
    c = parsed(APP).workloads[0].containers[0]
    env = {e.name: e for e in c.env}
    assert env["API_ADDR"].value == ":8080" and env["API_ADDR"].source is None
    assert env["API_ADDR"].span.line == line_of(APP, "- name: API_ADDR")
    pw = env["API_DB_PASSWORD"]
    assert (pw.value, pw.source, pw.ref) == (None, "secretKeyRef", "db/password")
    assert pw.span.line == line_of(APP, "- name: API_DB_PASSWORD")
    assert (env["POD_IP"].source, env["POD_IP"].ref) == ("fieldRef", "status.podIP")
    assert env["EMPTY"].value == ""
    (ef,) = c.env_from
    assert (ef.kind, ef.name, ef.prefix) == ("configMapRef", "api-config", "API_")


def test_probes_resources_mounts_and_volumes() -> None:
    w = parsed(APP).workloads[0]
    c = w.containers[0]
    ready, live, start = c.probe("readiness"), c.probe("liveness"), c.probe("startup")
    assert ready is not None and live is not None and start is not None
    assert ready.span.line == line_of(APP, "readinessProbe:")
    assert ready.handler.span.line == line_of(APP, "httpGet: {path: /readyz")
    assert (ready.handler.kind, ready.handler.path, ready.handler.port) == (
        "httpGet",
        "/readyz",
        "http",
    )
    assert (ready.period, ready.failure_threshold) == (5, 3)
    assert (live.handler.kind, live.handler.port) == ("tcpSocket", 8080)
    assert (start.handler.kind, start.handler.port, start.handler.service) == (
        "grpc",
        9090,
        "health",
    )
    assert c.resources.request("memory") == "128Mi" and c.resources.limit("cpu") == "1"
    (mount,) = c.mounts
    assert (mount.name, mount.mount_path, mount.read_only) == ("config", "/etc/api", True)
    assert [(v.name, v.kind, v.source) for v in w.volumes] == [
        ("config", "configMap", "api-config"),
        ("data", "persistentVolumeClaim", "api-data"),
        ("sock", "hostPath", "/var/run/docker.sock"),
    ]


def test_named_ports_resolve_against_the_container() -> None:
    m = parsed(APP)
    c = m.workloads[0].containers[0]
    probe = c.probe("readiness")
    assert probe is not None and c.port_number(probe.handler.port) == 8080
    web, metrics = m.services[0].ports
    assert (web.port, web.target_port, web.name, web.node_port) == (80, "http", "web", 30080)
    assert c.port_number(web.target_port) == 8080
    assert metrics.target_port == 9090
    assert m.services[0].type == "NodePort"


def test_configmap_entries_keep_value_lines() -> None:
    cm = parsed(APP).configmaps[0]
    data = {d.key: d for d in cm.data}
    assert set(data) == {"LOG_LEVEL", "config.yaml", "blob"}
    assert data["config.yaml"].value == 'addr: ":8080"\n'
    assert data["LOG_LEVEL"].span.line == line_of(APP, "LOG_LEVEL")
    assert not cm.secret


def test_secret_reads_data_and_string_data() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: Secret
        metadata: {name: db}
        data:
          password: !!binary cGFzcw==
        stringData:
          token: abc
        """)
    (s,) = parsed(text).configmaps
    assert s.secret and s.namespace == "default"
    assert {d.key: d.value for d in s.data} == {"password": "cGFzcw==", "token": "abc"}


def test_cronjob_uses_the_job_template() -> None:
    text = dedent("""\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                metadata:
                  labels: {app: nightly}
                spec:
                  restartPolicy: OnFailure
                  hostNetwork: true
                  containers:
                    - name: job
                      image: busybox:1.36
                      command: [sh, -c, "echo hi"]
        """)
    (w,) = parsed(text).workloads
    assert w.kind == "CronJob" and w.replicas is None
    assert dict(w.labels) == {"app": "nightly"}
    assert w.host_network and w.host_span is not None
    assert w.host_span.line == line_of(text, "hostNetwork")
    (c,) = w.containers
    assert c.image == "busybox:1.36" and c.command == ("sh", "-c", "echo hi")


def test_security_context_container_merged_over_pod() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          securityContext:
            runAsNonRoot: true
            runAsUser: 1000
            fsGroup: 2000
            seccompProfile: {type: RuntimeDefault}
          initContainers:
            - name: init
              image: busybox:1.36
          containers:
            - name: app
              image: app:1
              securityContext:
                runAsUser: 0
                readOnlyRootFilesystem: yes
                allowPrivilegeEscalation: false
                capabilities:
                  drop: [ALL]
                  add: [NET_BIND_SERVICE]
        """)
    w = parsed(text).workloads[0]
    app = w.containers[0].security
    assert (app.run_as_non_root, app.run_as_user, app.seccomp) == (True, 0, "RuntimeDefault")
    assert (app.read_only_root, app.allow_privilege_escalation, app.privileged) == (
        True,
        False,
        None,
    )
    assert (app.caps_drop, app.caps_add) == (("ALL",), ("NET_BIND_SERVICE",))
    user, non_root = app.span_of("run_as_user"), app.span_of("run_as_non_root")
    assert user is not None and user.line == line_of(text, "runAsUser: 0")
    assert non_root is not None and non_root.line == line_of(text, "runAsNonRoot")
    (init,) = w.init_containers
    assert init.init and init.security.run_as_user == 1000
    assert init.security.read_only_root is None and init.security.caps_drop == ()


def test_prestop_sleep_and_exec() -> None:
    text = dedent("""\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: s}
        spec:
          template:
            spec:
              containers:
                - name: a
                  image: a:1
                  lifecycle:
                    preStop:
                      sleep: {seconds: 10}
                - name: b
                  image: b:1
                  lifecycle:
                    preStop:
                      exec:
                        command: ["/bin/sh", "-c", "sleep 5"]
                - name: c
                  image: c:1
        """)
    a, b, c = parsed(text).workloads[0].containers
    assert a.pre_stop is not None and (a.pre_stop.kind, a.pre_stop.seconds) == ("sleep", 10)
    assert a.pre_stop.span.line == line_of(text, "sleep: {seconds")
    assert b.pre_stop is not None and b.pre_stop.kind == "exec"
    assert b.pre_stop.command == ("/bin/sh", "-c", "sleep 5")
    assert c.pre_stop is None


def test_kind_list_is_expanded() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: a}
            spec:
              template:
                spec:
                  containers: [{name: a, image: "a:1"}]
          - apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: a}
            spec:
              minAvailable: 1
              selector: {matchLabels: {app: a}}
        """)
    m = parsed(text)
    (w,) = m.workloads
    assert w.name == "a" and w.span.line == line_of(text, "kind: Deployment")
    (pdb,) = m.others
    assert (pdb.kind, pdb.api_version, pdb.selector) == (
        "PodDisruptionBudget",
        "policy/v1",
        (("app", "a"),),
    )


def test_other_kinds_keep_identity_and_hpa_target() -> None:
    text = dedent("""\
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api, namespace: shop}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
        ---
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w}
        """)
    hpa, widget = parsed(text).others
    assert (hpa.kind, hpa.namespace, hpa.target) == (
        "HorizontalPodAutoscaler",
        "shop",
        "Deployment/api",
    )
    assert (widget.kind, widget.name, widget.api_version) == ("Widget", "w", "example.com/v1")


def test_bad_shapes_are_skipped_not_raised() -> None:
    text = dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        spec:
          replicas: "3"
          template:
            spec:
              volumes: not-a-list
              containers:
                - image: nameless:1
                  ports:
                    - containerPort: {nested: 1}
                    - containerPort: "8080"
                    - 9090
                  env: {A: b}
                  command: "sh -c x"
                  readinessProbe: {periodSeconds: 3}
                  securityContext: [1, 2]
                - 5
        ---
        apiVersion: v1
        kind: Pod
        spec:
          containers: {a: b}
        """)
    deploy, pod = parsed(text).workloads
    assert deploy.replicas == 3 and deploy.volumes == () and deploy.name == ""
    (c,) = deploy.containers
    assert c.name == "" and c.image == "nameless:1"
    assert [p.port for p in c.ports] == [8080]
    assert c.env == () and c.command == () and c.probes == ()
    assert pod.containers == ()


def test_syntax_error_reports_the_line() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: y\n"
    m = parse_yaml("bad.yaml", text)
    assert m is not None and m.error is not None
    assert (m.error.path, m.error.line) == ("bad.yaml", 5)
    assert m.error_message and "\n" not in m.error_message


def test_alias_bomb_fails_fast_with_an_error() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + "\n".join(levels) + "\n"
    start = time.perf_counter()
    m = parse_yaml("bomb.yaml", text)
    assert time.perf_counter() - start < 1.0
    assert m is not None and m.error is not None and "alias" in m.error_message


def test_recursive_alias_is_an_error() -> None:
    m = parse_yaml("rec.yaml", "apiVersion: v1\nkind: Pod\nspec: &s\n  containers: [*s]\n")
    assert m is not None and m.error is not None and "recursive" in m.error_message


def test_modest_aliases_are_fine() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: p, labels: &l {app: p}}
        spec:
          containers:
            - &c {name: a, image: "a:1"}
            - *c
        """)
    (w,) = parsed(text).workloads
    assert [c.image for c in w.containers] == ["a:1", "a:1"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n", 4),
        (
            "apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n"
            '    {{- include "chart.labels" . | nindent 4 }}\n',
            5,
        ),
    ],
)
def test_helm_template_is_an_error(text: str, line: int) -> None:
    m = parse_yaml("templates/x.yaml", text)
    assert m is not None and m.error is not None
    assert m.error.line == line
    assert "template" in m.error_message


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (
            ".github/workflows/ci.yml",
            dedent("""\
            name: CI
            on: [push]
            jobs:
              test:
                runs-on: ubuntu-latest
                services:
                  db: {image: "postgres:16", ports: ["5432:5432"]}
                steps:
                  - uses: actions/checkout@v4
            """),
        ),
        (
            ".gitlab-ci.yml",
            "image: golang:1.22\nservices:\n  - postgres:15\ntest:\n  script: [go test]\n",
        ),
        (
            "kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            "kind: Kustomization\nresources: [deploy.yaml]\n",
        ),
        ("config.yaml", "server:\n  port: 8080\nservices:\n  billing: {url: http://b}\n"),
        ("values.yaml", "- just\n- a list\n"),
        ("scalar.yaml", "hello\n"),
        ("empty.yaml", ""),
    ],
)
def test_non_manifest_yaml_is_none(path: str, text: str) -> None:
    assert parse_yaml(path, text) is None


COMPOSE = dedent("""\
    x-env: &common-env
      LOG_LEVEL: info
    services:
      api:
        build:
          context: ./api
          dockerfile: Dockerfile.prod
        ports:
          - "8080"
          - "80:8080"
          - "127.0.0.1:9090:9090/udp"
          - "3000-3005:3000-3005"
          - target: 8443
            published: "443"
            host_ip: 0.0.0.0
            protocol: tcp
        environment:
          <<: *common-env
          DB_HOST: db
          EMPTY:
        depends_on:
          db: {condition: service_healthy}
        healthcheck:
          test: ["CMD", "/app", "health"]
        deploy:
          resources: {limits: {memory: 256M}}
        read_only: true
        user: "65532"
      db:
        image: postgres:16
        network_mode: host
        environment:
          - POSTGRES_PASSWORD=secret
          - PGDATA
        healthcheck:
          disable: true
      worker:
        build: ./worker
        pid: host
        depends_on: [db]
        mem_limit: 128m
        healthcheck:
          test: curl -f http://localhost/ || exit 1
    """)


def test_compose_services() -> None:
    m = parsed(COMPOSE, "compose.yaml")
    assert m.is_compose
    api, db, worker = m.compose
    assert api.span.line == line_of(COMPOSE, "  api:")
    assert (api.build_context, api.dockerfile, api.image) == ("./api", "Dockerfile.prod", None)
    assert (worker.build_context, worker.dockerfile) == ("./worker", None)
    assert db.image == "postgres:16" and db.image_span is not None
    assert db.image_span.line == line_of(COMPOSE, "image: postgres")
    assert api.depends_on == (("db", "service_healthy"),) and worker.depends_on == (("db", None),)
    assert api.healthcheck == ("CMD", "/app", "health") and db.healthcheck == ()
    assert worker.healthcheck == ("CMD-SHELL", "curl -f http://localhost/ || exit 1")
    assert (api.mem_limit, worker.mem_limit) == ("256M", "128m")
    assert api.read_only and api.user == "65532"


def test_compose_ports_short_and_long_syntax() -> None:
    ports = parsed(COMPOSE, "compose.yaml").compose[0].ports
    got = [(p.target, p.published, p.host_ip, p.protocol) for p in ports]
    assert got == [
        (8080, None, None, "tcp"),
        (8080, "80", None, "tcp"),
        (9090, "9090", "127.0.0.1", "udp"),
        (None, "3000-3005", None, "tcp"),
        (8443, "443", "0.0.0.0", "tcp"),
    ]
    assert ports[1].span.line == line_of(COMPOSE, '"80:8080"')


def test_compose_environment_mapping_list_and_merge() -> None:
    api, db, _ = parsed(COMPOSE, "compose.yaml").compose
    assert {e.name: e.value for e in api.environment} == {
        "DB_HOST": "db",
        "EMPTY": None,
        "LOG_LEVEL": "info",
    }
    assert {e.name: e.value for e in db.environment} == {
        "POSTGRES_PASSWORD": "secret",
        "PGDATA": None,
    }
    pw = db.environment[0]
    assert pw.span.line == line_of(COMPOSE, "POSTGRES_PASSWORD")


def test_compose_host_modes() -> None:
    _, db, worker = parsed(COMPOSE, "compose.yaml").compose
    assert db.network_mode == "host" and db.mode_span is not None
    assert db.mode_span.line == line_of(COMPOSE, "network_mode: host")
    assert worker.pid == "host" and worker.mode_span is not None
    assert worker.mode_span.line == line_of(COMPOSE, "pid: host")


def test_compose_detected_by_content_under_any_name() -> None:
    m = parse_yaml("deploy/stack.yml", "services:\n  web:\n    image: nginx:1.27\n")
    assert m is not None and m.is_compose and m.compose[0].image == "nginx:1.27"


def test_pure_python_loader_gives_the_same_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parsed(APP)
    monkeypatch.setattr(yamlfiles, "_Loader", yamlfiles._PyLoader)
    assert parsed(APP) == fast
    bad = parse_yaml("bad.yaml", "a: [1\n")
    assert bad is not None and bad.error is not None


# --------------------------------------------------------------------------- JSON

JSON_LIST = (
    "{\n"
    '\t"apiVersion": "v1",\n'
    '\t"kind": "List",\n'
    '\t"items": [\n'
    '\t\t{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},\n'
    '\t\t "spec": {"template": {"spec": {"containers": [\n'
    '\t\t\t{"name": "api", "image": "api:1.0",\n'
    '\t\t\t "env": [{"name": "NOTE", "value": "a\\/b \\ud83d\\ude00 \\t\\u0085 \\u007f"}],\n'
    '\t\t\t "ports": [{"containerPort": 8080}]}\n'
    "\t\t]}}}}\n"
    "\t]\n"
    "}\n"
)


def test_json_manifest_reads_like_yaml_with_real_lines() -> None:
    # tabs for indentation and escapes YAML 1.1 reads otherwise (surrogate pairs, NEL,
    # DEL, \/) are valid JSON: the List is expanded, values and lines kept
    m, notice = yamlfiles.parse_json("k8s/list.json", JSON_LIST)
    assert notice is None
    assert m is not None and m.error is None, m and m.error_message
    (w,) = m.workloads
    (c,) = w.containers
    assert (w.kind, w.name, w.span.line) == ("Deployment", "api", 5)
    assert c.env[0].value == "a/b \U0001f600 \t\x85 \x7f"
    assert c.env[0].span.line == 8
    assert (c.ports[0].port, c.ports[0].span.line) == (8080, 9)


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "web", "scripts": {"build": "tsc"}}',
        '{"compilerOptions": {"strict": true,}, // comment\n}',
        '{"definitions": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}}',
        '{"definitions": {"apiVersion": {}, "kind": {}}, "x": "\\q"}',  # invalid, not k8s
        '[{"apiVersion": "v1", "kind": "Pod"}]',
        "",
    ],
)
def test_other_json_is_none(text: str) -> None:
    assert yamlfiles.parse_json("package.json", text) == (None, None)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n  "apiVersion": "apps/v1",\n  "kind": "Deployment"\n  "metadata": {}\n}\n', 4),
        # a trailing comma is fine YAML but not JSON
        ('{\n  "apiVersion": "apps/v1",\n  "kind": "Deployment",\n  "spec": {},\n}\n', 5),
    ],
)
def test_invalid_json_manifest_is_an_error_at_its_line(text: str, line: int) -> None:
    m, notice = yamlfiles.parse_json("deploy.json", text)
    assert notice is None
    assert m is not None and m.error is not None
    assert m.error.line == line


def test_typed_list_items_take_the_list_kind() -> None:
    # as the API server returns a DeploymentList: items carry no kind or apiVersion
    text = (
        '{"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [\n'
        '  {"metadata": {"name": "a"}, "spec": {"template": {"spec": {"containers": [\n'
        '    {"name": "a", "image": "a:1"}]}}}},\n'
        '  {"kind": "StatefulSet", "metadata": {"name": "b"}}\n'
        "]}\n"
    )
    m, _ = yamlfiles.parse_json("deploy.json", text)
    assert m is not None
    assert [(w.kind, w.api_version, w.name, w.span.line) for w in m.workloads] == [
        ("Deployment", "apps/v1", "a", 2),
        ("StatefulSet", "apps/v1", "b", 4),
    ]
    assert m.workloads[0].containers[0].image == "a:1"


def test_every_workload_kind_has_its_pod_template() -> None:
    pod = "{containers: [{name: app, image: 'app:1'}]}"
    tpl = f"template: {{metadata: {{labels: {{app: x}}}}, spec: {pod}}}"
    docs = [
        f"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: rs}}\nspec: {{{tpl}}}",
        f"apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: rc}}\nspec: {{{tpl}}}",
        f"apiVersion: v1\nkind: DeploymentConfig\nmetadata: {{name: dc-legacy}}\nspec: {{{tpl}}}",
        f"apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {{name: dc}}\n"
        f"spec: {{{tpl}}}",
        f"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: ro}}\nspec: {{{tpl}}}",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: ro-ref}\n"
        "spec: {replicas: 3, workloadRef: {apiVersion: apps/v1, kind: Deployment, name: d}}",
        f"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {{name: kn}}\n"
        f"spec: {{template: {{spec: {pod}}}}}",
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: pod, labels: {{app: x}}}}\nspec: {pod}",
    ]
    m = parsed("\n---\n".join(docs))
    got = {w.name: (w.kind, [c.name for c in w.containers]) for w in m.workloads}
    assert got == {
        "rs": ("ReplicaSet", ["app"]),
        "rc": ("ReplicationController", ["app"]),
        "dc-legacy": ("DeploymentConfig", ["app"]),
        "dc": ("DeploymentConfig", ["app"]),
        "ro": ("Rollout", ["app"]),
        "ro-ref": ("Rollout", []),  # a workloadRef: the Deployment holds the pod
        "kn": ("Service", ["app"]),
        "pod": ("Pod", ["app"]),
    }
    assert not m.services  # a Knative Service is not a core Service
    kn = next(w for w in m.workloads if w.name == "kn")
    assert kn.knative and kn.platform_env(kn.containers[0]) == {"PORT": "8080"}
    assert not any(w.knative for w in m.workloads if w.name != "kn")
