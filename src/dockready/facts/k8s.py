"""Facts from Kubernetes manifests and compose files, with line numbers."""

from __future__ import annotations

from dataclasses import dataclass

from dockready.model import Compact, Span

#: apiVersion prefix of Knative Serving: its ``Service`` runs a pod (unlike a core v1
#: Service), whose container Knative gives ``PORT``, a readiness probe and a preStop hook.
KNATIVE_API = "serving.knative.dev/"
#: The port Knative sends traffic to when the container declares none.
KNATIVE_DEFAULT_PORT = 8080

WORKLOAD_KINDS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Pod",
        "ReplicaSet",
        "ReplicationController",
        "Rollout",  # Argo Rollouts (a workloadRef Rollout has no template of its own)
        "DeploymentConfig",  # OpenShift
    }
)


@dataclass(frozen=True, slots=True)
class EnvVar(Compact):
    """``env`` entry. ``source`` is None for a literal ``value``, else the kind of
    ``valueFrom`` (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef) and
    ``ref`` its target (``name/key``, ``fieldPath`` or ``resource``)."""

    name: str
    value: str | None
    span: Span
    source: str | None = None
    ref: str = ""


@dataclass(frozen=True, slots=True)
class EnvFrom(Compact):
    kind: str  # configMapRef | secretRef
    name: str
    span: Span
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class ContainerPort(Compact):
    port: int
    span: Span
    name: str = ""
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Handler(Compact):
    """A probe or lifecycle handler: ``kind`` is httpGet, tcpSocket, grpc, exec or sleep.
    ``port`` is an int or a named port."""

    kind: str
    span: Span
    path: str | None = None
    port: int | str | None = None
    command: tuple[str, ...] = ()
    seconds: int | None = None
    service: str | None = None
    path_span: Span | None = None  # the ``path:`` value, for findings about the route
    port_span: Span | None = None  # the ``port:`` value, for findings about the port


@dataclass(frozen=True, slots=True)
class Probe(Compact):
    """``which`` is readiness, liveness or startup."""

    which: str
    handler: Handler
    span: Span
    initial_delay: int = 0
    period: int = 10
    failure_threshold: int = 3
    timeout: int = 1


@dataclass(frozen=True, slots=True)
class VolumeMount(Compact):
    name: str
    mount_path: str
    span: Span
    read_only: bool = False
    sub_path: str = ""


@dataclass(frozen=True, slots=True)
class Volume(Compact):
    """``kind`` is the volume source key (emptyDir, hostPath, configMap, secret,
    persistentVolumeClaim, projected, ...); ``source`` its name or host path."""

    name: str
    kind: str
    span: Span
    source: str = ""


@dataclass(frozen=True, slots=True)
class Security(Compact):
    """Effective security settings of a container: container ``securityContext``
    merged over the pod's. Each value is None when nobody sets it; ``spans`` maps a
    field name to where it was set."""

    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    read_only_root: bool | None = None
    allow_privilege_escalation: bool | None = None
    privileged: bool | None = None
    caps_drop: tuple[str, ...] = ()
    caps_add: tuple[str, ...] = ()
    seccomp: str | None = None
    spans: tuple[tuple[str, Span], ...] = ()

    def span_of(self, field: str) -> Span | None:
        for k, s in self.spans:
            if k == field:
                return s
        return None


@dataclass(frozen=True, slots=True)
class Resources(Compact):
    """Quantities as written (``"256Mi"``, ``"500m"``)."""

    span: Span | None = None
    requests: tuple[tuple[str, str], ...] = ()
    limits: tuple[tuple[str, str], ...] = ()

    def request(self, name: str) -> str | None:
        return dict(self.requests).get(name)

    def limit(self, name: str) -> str | None:
        return dict(self.limits).get(name)


@dataclass(frozen=True, slots=True)
class Container(Compact):
    name: str
    image: str
    span: Span
    image_span: Span
    init: bool = False
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    ports: tuple[ContainerPort, ...] = ()
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFrom, ...] = ()
    resources: Resources = Resources()
    probes: tuple[Probe, ...] = ()
    pre_stop: Handler | None = None
    mounts: tuple[VolumeMount, ...] = ()
    security: Security = Security()
    command_span: Span | None = None  # the ``command:`` key
    args_span: Span | None = None  # the ``args:`` key

    def probe(self, which: str) -> Probe | None:
        for p in self.probes:
            if p.which == which:
                return p
        return None

    def port_number(self, port: int | str | None) -> int | None:
        """Resolve a named port against this container's ports."""
        if isinstance(port, int):
            return port
        if isinstance(port, str):
            if port.isdigit():
                return int(port)
            for p in self.ports:
                if p.name == port:
                    return p.port
        return None


@dataclass(frozen=True, slots=True)
class Workload(Compact):
    """A pod-bearing object. ``span`` points at its ``kind:`` line; ``grace`` is
    ``terminationGracePeriodSeconds`` (None = default 30)."""

    kind: str
    name: str
    namespace: str
    api_version: str
    path: str
    span: Span
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    volumes: tuple[Volume, ...] = ()
    grace: int | None = None
    grace_span: Span | None = None
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    host_span: Span | None = None
    replicas: int | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    enable_service_links: bool | None = None
    replicas_span: Span | None = None
    #: ``Kind/name`` of the workload whose pod template an Argo Rollout runs
    #: (``spec.workloadRef``); such a Rollout has no template of its own.
    workload_ref: str = ""
    #: A Deployment's ``spec.strategy``: its ``type`` as written ("" when unset),
    #: ``rollingUpdate.maxUnavailable`` as written (None when unset), and where
    #: ``strategy:`` is (None when unset).
    strategy_type: str = ""
    max_unavailable: str | None = None
    strategy_span: Span | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)

    @property
    def knative(self) -> bool:
        """A Knative Service: Knative sets ``PORT`` to the container's port, probes
        that port over TCP when no readiness probe is given, and adds a ``preStop``
        hook that waits for its queue-proxy to drain."""
        return self.kind == "Service" and self.api_version.startswith(KNATIVE_API)

    def platform_env(self, c: Container) -> dict[str, str]:
        """Variables the platform sets in container ``c`` whatever the manifest says:
        ``PORT`` in a Knative Service (its one port, else 8080)."""
        if not self.knative or c.init:
            return {}
        return {"PORT": str(c.ports[0].port if c.ports else KNATIVE_DEFAULT_PORT)}

    @property
    def grace_seconds(self) -> int:
        return 30 if self.grace is None else self.grace

    def volume(self, name: str) -> Volume | None:
        for v in self.volumes:
            if v.name == name:
                return v
        return None


@dataclass(frozen=True, slots=True)
class ServicePort(Compact):
    port: int
    span: Span
    target_port: int | str | None = None
    name: str = ""
    protocol: str = "TCP"
    node_port: int | None = None


@dataclass(frozen=True, slots=True)
class KService(Compact):
    """A Kubernetes ``Service``."""

    name: str
    namespace: str
    path: str
    span: Span
    type: str = "ClusterIP"
    selector: tuple[tuple[str, str], ...] = ()
    ports: tuple[ServicePort, ...] = ()
    #: ``metadata.labels`` and ``metadata.annotations`` (ServiceMonitors select
    #: Services by label; ``prometheus.io/*`` annotations may sit on the Service).
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()

    def selects(self, w: Workload) -> bool:
        if not self.selector or w.namespace != self.namespace:
            return False
        labels = dict(w.labels)
        return all(labels.get(k) == v for k, v in self.selector)


@dataclass(frozen=True, slots=True)
class DataEntry(Compact):
    key: str
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConfigMap(Compact):
    """A ConfigMap, or a Secret (``secret`` true; values as written, base64 for ``data``)."""

    name: str
    namespace: str
    path: str
    span: Span
    data: tuple[DataEntry, ...] = ()
    secret: bool = False


@dataclass(frozen=True, slots=True)
class OtherObject(Compact):
    """Any other manifest object we only need to know exists (PDB, HPA, Ingress, ...)."""

    kind: str
    name: str
    namespace: str
    api_version: str
    path: str
    span: Span
    target: str = ""
    selector: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SchemaProblem(Compact):
    """One way an object breaks its kind's schema (DR425), said without quoting a
    value of the manifest; ``required`` when it is a missing required field (which a
    Kustomize patch may leave out on purpose)."""

    span: Span
    message: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class ObjectDoc(Compact):
    """One Kubernetes object as the API server would receive it, for schema checks
    (DR425): ``body`` is the object as JSON (YAML 1.1 scalars typed as Kubernetes'
    YAML reader types them); ``lines`` is where each field and list item of the
    body is (a field's key; a list item's first token), in the order a depth-first
    walk of the body meets them (a mapping's keys in order, each followed by what
    is under it; a list's items in order). ``span`` is its ``kind:``.

    ``problems`` are its schema problems in Kubernetes ``checked_for``, found while
    parsing (so the cache keeps them); "" when it was not validated then."""

    kind: str
    api_version: str
    name: str
    path: str
    span: Span
    body: str
    lines: tuple[Span, ...] = ()
    checked_for: str = ""
    problems: tuple[SchemaProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class ComposePort(Compact):
    span: Span
    target: int | None
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"


@dataclass(frozen=True, slots=True)
class ComposeBind(Compact):
    """A ``volumes:`` entry that mounts a host path (``/var/run/docker.sock:/x``, or
    the long form with ``type: bind``); named volumes are not binds."""

    span: Span
    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class ComposeService(Compact):
    name: str
    path: str
    span: Span
    image: str | None = None
    image_span: Span | None = None
    build_context: str | None = None
    dockerfile: str | None = None
    ports: tuple[ComposePort, ...] = ()
    environment: tuple[EnvVar, ...] = ()
    network_mode: str | None = None
    pid: str | None = None
    mode_span: Span | None = None
    healthcheck: tuple[str, ...] | None = None
    depends_on: tuple[tuple[str, str | None], ...] = ()
    mem_limit: str | None = None
    #: The key that gave ``mem_limit``: ``mem_limit`` or ``deploy.resources.limits.memory``.
    mem_limit_key: str = "mem_limit"
    user: str | None = None
    read_only: bool = False
    privileged: bool = False
    privileged_span: Span | None = None
    cap_add: tuple[str, ...] = ()
    cap_add_span: Span | None = None
    binds: tuple[ComposeBind, ...] = ()
    # Container paths a read-only root still lets the service write: tmpfs mounts and
    # volumes (named, anonymous or bind) not marked read-only.
    writable: tuple[str, ...] = ()
    read_only_span: Span | None = None
    depends_span: Span | None = None
    #: ``command:``/``entrypoint:`` as words (None: not set, the image's apply).
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    command_span: Span | None = None  # the ``command:`` key
    entrypoint_span: Span | None = None  # the ``entrypoint:`` key
    #: ``env_file:`` or ``extends:`` may set variables this file does not show.
    env_open: bool = False


@dataclass(frozen=True, slots=True)
class Manifests(Compact):
    """Everything parsed out of one YAML file."""

    path: str
    workloads: tuple[Workload, ...] = ()
    services: tuple[KService, ...] = ()
    configmaps: tuple[ConfigMap, ...] = ()
    others: tuple[OtherObject, ...] = ()
    compose: tuple[ComposeService, ...] = ()
    is_compose: bool = False
    error: Span | None = None
    error_message: str = ""
    #: Lines inside multi-line scalars (block ``|``/``>`` bodies, continued quoted or
    #: plain values): content, never comments. Kept only for files that mention
    #: ``dockready:`` (inline suppressions read them).
    content_lines: frozenset[int] = frozenset()
    #: Every object of Kubernetes' own API groups in the file, whole (DR425 validates them).
    documents: tuple[ObjectDoc, ...] = ()
