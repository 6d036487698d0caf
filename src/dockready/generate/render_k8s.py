"""Kubernetes manifests, a compose file and CI pipelines for ``dockready init``.

Everything here is a pure function of :class:`~dockready.generate.model.InitFacts`:
the numbers are computed in Python (so they can be tested and explained), the
templates under ``templates/k8s``, ``templates/compose.yaml.j2`` and
``templates/ci`` only lay them out. What the output must satisfy is dockready's
own chapter 4 (probes that the code serves, preStop and grace period, resources
and ``GOMEMLIMIT``, a restricted security context, a pinned image).

Decisions, for the reader of the generated files:

* **No CPU limit.** A CPU limit throttles the whole process once the CFS quota of a
  period is spent, which for a Go service (GC workers, many goroutines) shows up
  as latency spikes; the CPU *request* gives the scheduler what it needs.
* **GOMAXPROCS** from ``resourceFieldRef: limits.cpu`` when go.mod's ``go`` line is
  below 1.25 (the runtime reads the cgroup CPU limit only from 1.25 on, DR220): it
  follows a CPU limit someone adds later, and is the node's CPU count (Go's own
  default) while there is none.
* **Memory:** request 128Mi, limit 256Mi, ``GOMEMLIMIT`` at 90% of the limit
  (DR219), floored to whole MiB.
* **Always an ``emptyDir`` at /tmp**, whether or not the code was seen writing
  there: the root filesystem is read-only, and libraries (multipart uploads,
  ``os.CreateTemp("")``) write to ``$TMPDIR`` without the service's code saying
  so. It costs nothing and is size-limited.
* **Probes:** HTTP on the named port when the code serves a health route; gRPC
  probes when it registers the gRPC health service and has no HTTP health
  route; ``tcpSocket`` only as the last resort, with a note (:func:`notes`).
* **Grace period** = preStop sleep + drain timeout (25 s when unknown) + 5 s
  margin, rounded up (DR406 asks for strictly more than preStop + drain).
* **Config files the tree does not hold** (``InitFacts.missing_configs``) come from
  one ConfigMap, ``<name>-config``, in a file of its own, ``k8s/<name>.configmap.yaml``
  (the data the user fills in stays apart from the generated workload; note that
  ``init --force`` replaces it too). One key per file (its name; its path when two
  share a name), holding a placeholder comment that names the file, so the service
  fails loudly at start-up until the real contents are there. Read-only mounts:

  - the **directory** when it is the service's own (``/etc/orders``): one mount for
    all its files, and the kubelet updates the files when the ConfigMap changes;
  - a **single file** (``subPath``) when the directory is shared with the image
    (``/``, ``/etc``, ``/usr/local/etc``...), or another mount, a file the image ships
    or the binary lies inside it: mounting the directory would hide them, or need a
    mount point inside a read-only volume. ``subPath`` mounts do not receive
    ConfigMap updates: restart the pods (``kubectl rollout restart``) after a change.

  Compose mounts each file read-only from ``./config/<key>``, with
  ``create_host_path: false`` so that a missing file stops ``docker compose up``
  instead of mounting an empty directory in its place.

Output paths: :func:`render_k8s` and :func:`render_compose` return paths relative
to ``f.root`` (the module root). :func:`render_ci` returns paths relative to the
checked directory (the repository top: GitHub and GitLab read their CI files
only there), and the paths inside the pipelines point at ``f.root``.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from dockready.generate.jinja import render
from dockready.generate.model import InitFacts, dns_label
from dockready.generate.render_docker import module_dir

IMAGE_TAG = "0.1.0"
REPLICAS = 2
PRESTOP_SLEEP = 5  # seconds: lets endpoints, kube-proxy and ingresses catch up
DEFAULT_DRAIN = 25.0  # seconds, when the code's Shutdown timeout is unknown
GRACE_MARGIN = 5  # seconds on top of preStop + drain (log flushing, slow SIGKILL)
CPU_REQUEST = "100m"
MEMORY_REQUEST_MIB = 128
MEMORY_LIMIT_MIB = 256
GOMEMLIMIT_RATIO = 0.9
TMP_SIZE = "64Mi"
NONROOT_UID = 65532  # distroless/Chainguard "nonroot"
HPA_MAX_REPLICAS = 10
HPA_CPU_UTILIZATION = 70  # percent of the CPU request
STARTUP_PERIOD = 5
STARTUP_FAILURES = 30  # 150 s to start before liveness takes over

CI_KINDS = ("github", "gitlab")
CONFIG_SUFFIX = "-config"  # the ConfigMap of the config files: <name>-config
COMPOSE_CONFIG_DIR = "./config"  # where compose reads them from, next to compose.yaml
#: Directories that hold more than the service's own files (in the image or by
#: convention): a config file there is mounted alone (``subPath``), never the directory.
SHARED_DIRS = frozenset(
    {
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/etc/ssl",
        "/etc/ssl/certs",
        "/home",
        "/lib",
        "/lib64",
        "/media",
        "/mnt",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/usr/local/bin",
        "/usr/local/etc",
        "/usr/local/lib",
        "/usr/share",
        "/var",
        "/var/cache",
        "/var/lib",
        "/var/log",
        "/var/run",
        "/var/tmp",
    }
)

ProbeKind = Literal["http", "grpc", "tcp"]


@dataclass(frozen=True, slots=True)
class Probe:
    """One probe handler: ``path`` for HTTP only."""

    kind: ProbeKind
    path: str | None = None


@dataclass(frozen=True, slots=True)
class ProbePlan:
    liveness: Probe
    readiness: Probe


@dataclass(frozen=True, slots=True)
class ConfigMount:
    """A ConfigMap volume in the container: a directory, whose ``items`` map each
    key to its file name, or one file, the key ``sub_path`` (see the module notes)."""

    volume: str
    mount_path: str
    sub_path: str | None = None
    items: tuple[tuple[str, str], ...] = ()


# -- helpers --------------------------------------------------------------------------


def grace_period(f: InitFacts) -> int:
    """``terminationGracePeriodSeconds``: preStop + drain + margin, rounded up."""
    drain = f.shutdown_timeout if f.shutdown_timeout is not None else DEFAULT_DRAIN
    return math.ceil(PRESTOP_SLEEP + drain + GRACE_MARGIN)


def stop_grace_period(f: InitFacts) -> int:
    """Compose's ``stop_grace_period``: drain + margin (compose has no preStop)."""
    drain = f.shutdown_timeout if f.shutdown_timeout is not None else DEFAULT_DRAIN
    return math.ceil(drain + GRACE_MARGIN)


def gomemlimit(limit_mib: int = MEMORY_LIMIT_MIB) -> str:
    """``GOMEMLIMIT`` for a memory limit: 90%, floored to whole MiB."""
    return f"{math.floor(limit_mib * GOMEMLIMIT_RATIO)}MiB"


def probe_plan(f: InitFacts) -> ProbePlan:
    """Which handler each probe uses (see the module notes)."""
    if f.health_path:
        return ProbePlan(
            liveness=Probe("http", f.health_path),
            readiness=Probe("http", f.ready_path or f.health_path),
        )
    if f.grpc_health and f.grpc_port is not None:
        return ProbePlan(liveness=Probe("grpc"), readiness=Probe("grpc"))
    if f.ready_path:
        # A readiness route may check dependencies: never restart the pod on it.
        return ProbePlan(liveness=Probe("tcp"), readiness=Probe("http", f.ready_path))
    return ProbePlan(liveness=Probe("tcp"), readiness=Probe("tcp"))


def port_name(f: InitFacts) -> str:
    """The main port's name: the protocol its listener serves (``http``, ``grpc``,
    ``tcp``; meshes read the protocol from the port name)."""
    return f.protocol


def notes(f: InitFacts) -> list[str]:
    """What the user should know about the generated manifests, in plain words."""
    out: list[str] = []
    plan = probe_plan(f)
    if not f.listens:
        return [
            f"{f.name}: the code listens on no port (a worker): no Service and no probes "
            "generated; Kubernetes restarts the pod only when the process exits"
        ]
    if plan.liveness.kind == "tcp" and plan.readiness.kind == "tcp":
        what = (
            "register the gRPC health service (google.golang.org/grpc/health)"
            if f.grpc
            else "add GET /healthz (liveness: the process is alive) and GET /readyz "
            "(readiness: it can serve)"
        )
        out.append(
            f"{f.name}: no health route found: TCP probes generated (they only show the "
            f"port is open, not that the service works); {what} and regenerate"
        )
    elif plan.liveness.kind == "tcp":
        out.append(
            f"{f.name}: no liveness route found: the liveness probe is a TCP check "
            f"(readiness uses {plan.readiness.path}); add GET /healthz that checks "
            "only the process itself"
        )
    if f.health_path and not f.ready_path:
        out.append(
            f"{f.name}: no readiness route found: readiness uses {f.health_path} too; "
            "add GET /readyz that fails while the service cannot serve (and during "
            "shutdown)"
        )
    if f.grpc and not f.grpc_health and f.health_path:
        out.append(
            f"{f.name}: the gRPC server has no health service; the probes use "
            f"{f.health_path} over HTTP"
        )
    if f.slow_start and f.listens:
        why = f"the code {f.slow_start_why}" if f.slow_start_why else "start-up may be slow"
        out.append(
            f"{f.name}: {why}: a startupProbe gives it "
            f"{STARTUP_PERIOD * STARTUP_FAILURES} s to start before the liveness probe counts"
        )
    if f.shutdown_timeout is None:
        out.append(
            f"{f.name}: no drain timeout found in the code (Server.Shutdown with a "
            f"context deadline, or a GracefulStop timer): the grace period assumes {DEFAULT_DRAIN:g} s "
            f"({grace_period(f)} s in all)"
        )
    return out


# -- templates ------------------------------------------------------------------------


def _root_path(f: InitFacts, rel: str = "") -> str:
    """``rel`` under ``f.root``, relative to the checked directory; ``.`` for the root."""
    root = f.root.strip("/")
    if root in ("", "."):
        return rel or "."
    return f"{root}/{rel}" if rel else root


def _needs_gomaxprocs(f: InitFacts) -> bool:
    """go.mod's ``go`` line is below 1.25: the runtime ignores the cgroup CPU limit
    (DR220), so the manifest sets GOMAXPROCS from ``limits.cpu``."""
    m = re.match(r"(\d+)\.(\d+)", f.go_version)
    return m is None or (int(m.group(1)), int(m.group(2))) < (1, 25)


def _go_minor(f: InitFacts) -> str:
    """The Go release (``1.22``) the CI image needs: the go line or the toolchain."""
    best: tuple[int, int] = (1, 16)
    for v in (f.go_version, f.toolchain or ""):
        m = re.match(r"(?:go)?(\d+)\.(\d+)", v)
        if m:
            best = max(best, (int(m[1]), int(m[2])))
    return f"{best[0]}.{best[1]}"


def _write_volumes(f: InitFacts) -> list[tuple[str, str]]:
    """``(volume name, mount path)`` for each directory the code writes to other than
    the temp dir: the root filesystem is read-only, so each gets an ``emptyDir``."""
    out: list[tuple[str, str]] = []
    used = {"tmp"}
    for d in sorted({d.rstrip("/") for d in f.write_dirs if d.startswith("/")}):
        if d in ("", "/tmp") or d.startswith("/tmp/"):
            continue
        out.append((_volume_name("w", d, used, "data"), d))
    return out


def _volume_name(prefix: str, path: str, used: set[str], fallback: str) -> str:
    """A volume name for ``path`` (``w-var-cache``, ``config-etc-orders``): a DNS-1123
    label not in ``used``, which it joins."""
    base = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[: 54 - len(prefix)] or fallback
    name, n = f"{prefix}-{base}", 2
    while name in used:
        name, n = f"{prefix}-{base}-{n}", n + 1
    used.add(name)
    return name


def config_map_name(f: InitFacts) -> str:
    """The ConfigMap of the config files the tree does not hold: ``<name>-config``."""
    return dns_label(f.name)[: 63 - len(CONFIG_SUFFIX)].rstrip("-") + CONFIG_SUFFIX


def _key_of(path: str) -> str:
    """``path`` as a ConfigMap key (``[-._a-zA-Z0-9]+``)."""
    key = re.sub(r"[^-._a-zA-Z0-9]+", "_", path.strip("/")).strip("_")
    return key if key.strip(".") else "config"


def config_keys(f: InitFacts) -> dict[str, str]:
    """``{container path: ConfigMap key}`` for each config file the tree does not hold:
    the file name (``config.json``), or the whole path (``etc_a_config.json``) when two
    files share a name."""
    paths = list(dict.fromkeys(posixpath.normpath(p) for p in f.missing_configs if p))
    names = Counter(_key_of(posixpath.basename(p)) for p in paths)
    out: dict[str, str] = {}
    for p in paths:
        key = _key_of(posixpath.basename(p))
        if names[key] > 1:
            key = _key_of(p)
        while key in out.values():
            key = "_" + key
        out[p] = key
    return out


def _under(path: str, d: str) -> bool:
    return path == d or d == "/" or path.startswith(d + "/")


def config_mounts(f: InitFacts) -> list[ConfigMount]:
    """How the container mounts the ConfigMap: one directory mount per directory that
    is the service's own, one ``subPath`` mount per file elsewhere (module notes)."""
    keys = config_keys(f)
    by_dir: dict[str, list[str]] = {}
    for p in keys:
        by_dir.setdefault(posixpath.dirname(p) or "/", []).append(p)
    # What a directory mount would hide, or would need a mount point inside.
    busy = ["/tmp", "/" + f.name, *(p for _, p in _write_volumes(f))]
    busy += [posixpath.normpath("/" + c) for c in f.config_files]
    used = {"tmp", "config", *(n for n, _ in _write_volumes(f))}
    out: list[ConfigMount] = []
    for d, files in sorted(by_dir.items()):
        others = busy + [p for p in keys if p not in files]
        if d in SHARED_DIRS or any(_under(p, d) for p in others):
            out.extend(ConfigMount("config", p, sub_path=keys[p]) for p in sorted(files))
            continue
        name = _volume_name("config", d, used, "dir")
        items = tuple((keys[p], posixpath.basename(p)) for p in sorted(files))
        out.append(ConfigMount(name, d, items=items))
    return out


def _config_volumes(mounts: list[ConfigMount]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """``(volume name, items)`` of each ConfigMap volume: one per directory mount, and
    one (every key, no items) that the single-file mounts share."""
    out = [(m.volume, m.items) for m in mounts if m.sub_path is None]
    if any(m.sub_path is not None for m in mounts):
        out.append(("config", ()))
    return out


def _k8s_context(f: InitFacts, hpa: bool) -> dict[str, Any]:
    name = dns_label(f.name)
    return {
        "f": f,
        "name": name,
        "image": f"{name}:{IMAGE_TAG}",
        "replicas": None if hpa else REPLICAS,
        "gomaxprocs_env": _needs_gomaxprocs(f),
        "port": f.port,
        "port_name": port_name(f),
        "grpc_port": f.grpc_port,
        "service_port": 80 if port_name(f) == "http" else f.port,
        "plan": probe_plan(f),
        "startup": f.slow_start,
        "startup_period": STARTUP_PERIOD,
        "startup_failures": STARTUP_FAILURES,
        "prestop": PRESTOP_SLEEP,
        "grace": grace_period(f),
        "drain": f"{f.shutdown_timeout if f.shutdown_timeout is not None else DEFAULT_DRAIN:g}",
        "drain_known": f.shutdown_timeout is not None,
        "margin": GRACE_MARGIN,
        "cpu_request": CPU_REQUEST,
        "memory_request": f"{MEMORY_REQUEST_MIB}Mi",
        "memory_limit": f"{MEMORY_LIMIT_MIB}Mi",
        "gomemlimit": gomemlimit(),
        "uid": NONROOT_UID,
        "tmp_size": TMP_SIZE,
        "write_dirs": _write_volumes(f),
        "config_map": config_map_name(f),
        "configs": list(config_keys(f).items()),
        "config_mounts": config_mounts(f),
        "config_volumes": _config_volumes(config_mounts(f)),
        "hpa_min": REPLICAS,
        "hpa_max": HPA_MAX_REPLICAS,
        "hpa_cpu": HPA_CPU_UTILIZATION,
    }


def render_k8s(f: InitFacts, *, hpa: bool = False) -> dict[str, str]:
    """``{"k8s/<name>.yaml": ...}``: Deployment, Service, PodDisruptionBudget and,
    with ``hpa``, a HorizontalPodAutoscaler (the Deployment then leaves ``replicas``
    to it), in one multi-document file; and ``k8s/<name>.configmap.yaml``, the
    ConfigMap of the config files the tree does not hold, when there are any."""
    ctx = _k8s_context(f, hpa)
    docs = [render("k8s/deployment.yaml.j2", **ctx)]
    if f.listens:  # a worker serves nothing: no Service, no ports, no probes
        docs.append(render("k8s/service.yaml.j2", **ctx))
    docs.append(render("k8s/pdb.yaml.j2", **ctx))
    if hpa:
        docs.append(render("k8s/hpa.yaml.j2", **ctx))
    header = render("k8s/header.yaml.j2", **ctx)
    out = {f"k8s/{ctx['name']}.yaml": header + "---\n".join(docs)}
    if ctx["configs"]:
        out[f"k8s/{ctx['name']}.configmap.yaml"] = render("k8s/configmap.yaml.j2", **ctx)
    return out


def _one_of_several(f: InitFacts) -> bool:
    """Is the service one of several in its module (detect names its Dockerfile
    ``Dockerfile.<name>``)? Its compose file and GitLab fragment then get its name too,
    or the second service's would overwrite the first's."""
    return posixpath.basename(f.dockerfile) != "Dockerfile"


def render_compose(f: InitFacts) -> dict[str, str]:
    """``{"compose.yaml": ...}`` (``compose.<name>.yaml`` for one of several services
    of a module): the service built from its Dockerfile and run the way the cluster
    runs it (non-root, read-only, /tmp writable, the config files the tree does not
    hold mounted read-only from ``./config/``)."""
    name = dns_label(f.name)
    path = f"compose.{name}.yaml" if _one_of_several(f) else "compose.yaml"
    text = render(
        "compose.yaml.j2",
        f=f,
        name=name,
        path=path,
        port=f.port,
        uid=NONROOT_UID,
        stop_grace=stop_grace_period(f),
        configs=[(p, f"{COMPOSE_CONFIG_DIR}/{k}") for p, k in config_keys(f).items()],
        # relative to the build context (the module root, or an enclosing directory)
        dockerfile=posixpath.normpath(posixpath.join(module_dir(f), f.dockerfile)),
        write_dirs=_write_volumes(f),
    )
    return {path: text}


def render_ci(f: InitFacts, kind: str) -> dict[str, str]:
    """A CI pipeline that tests the module and builds its image with a build cache.

    ``kind`` is ``github`` (``.github/workflows/<name>-image.yml``) or ``gitlab``
    (a ``.gitlab-ci.yml`` fragment to merge; ``.gitlab/<name>.gitlab-ci.yml`` to
    include, for one of several services of a module). Paths are relative to the
    checked directory, not ``f.root`` (see the module notes).
    """
    if kind not in CI_KINDS:
        raise ValueError(f"unknown CI kind {kind!r}: expected one of {', '.join(CI_KINDS)}")
    name = dns_label(f.name)
    ctx: dict[str, Any] = {
        "f": f,
        "name": name,
        "root": _root_path(f),
        "at_root": _root_path(f) == ".",
        "context": posixpath.normpath(posixpath.join(_root_path(f), f.context)),
        # what the pipeline runs for: the module and the local modules it replaces
        "watch": [
            _root_path(f),
            *(
                posixpath.normpath(posixpath.join(_root_path(f), f.context, d))
                for d in f.local_modules
            ),
        ],
        "go_mod": _root_path(f, "go.mod"),
        "go_sum": _root_path(f, "go.sum"),
        "go_minor": _go_minor(f),
        "private": ",".join(f.private_modules),
        "gitlab_path": f".gitlab/{name}.gitlab-ci.yml" if _one_of_several(f) else None,
    }
    if kind == "github":
        return {f".github/workflows/{name}-image.yml": render("ci/github.yml.j2", **ctx)}
    return {ctx["gitlab_path"] or ".gitlab-ci.yml": render("ci/gitlab-ci.yml.j2", **ctx)}
