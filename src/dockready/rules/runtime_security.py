"""Chapter 4 · Running it: security context, mounts, configuration and exposure (seed 4.3, 4.4)."""

from __future__ import annotations

import ipaddress
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from dockready.facts.effective import (
    PPROF_IMPORT,
    compose_runtime,
    effective_user,
    file_writes,
    final_copies,
    has_tool,
    host_of,
    installs_tool,
    is_loopback,
    port_of,
    serves_pprof,
    shell_words,
)
from dockready.facts.go import EnvRef, FlagRef, GoFile, Value
from dockready.facts.images import parse_ref
from dockready.facts.index import Build, Deployment, ProjectIndex, Service
from dockready.facts.k8s import Container, EnvVar, Handler, Workload
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule
from dockready.secrets import mask, secret_kind

# --------------------------------------------------------------------------- shared helpers


def _containers(w: Workload) -> Iterator[Container]:
    yield from w.init_containers
    yield from w.containers


def _under(path: str, root: str) -> bool:
    root = root.rstrip("/") or "/"
    return root == "/" or path == root or path.startswith(root + "/")


# --------------------------------------------------------------------------- DR408


@rule(
    id="DR408",
    name="writable-root-filesystem",
    severity=Severity.INFO,
    reads=(Input.K8S,),
)
def writable_root_filesystem(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes containers (not init containers) whose `securityContext` does
    not set `readOnlyRootFilesystem: true`. The finding is on the container's
    `readOnlyRootFilesystem` when it is set to `false`, else on the container.

    Writes the code makes under a read-only root are DR409's; this rule only asks
    for the setting.

    ## Why is this bad?
    A writable root filesystem lets an attacker who gets code execution drop tools
    and binaries into the image's directories and keep them until the pod goes, and
    lets a bug fill the node's ephemeral storage with files nobody knows about. A Go
    service needs no writable root: its binary and files are read-only inputs, and
    its temp files belong on an `emptyDir`.

    ## Example
    ```yaml
    securityContext:
      allowPrivilegeEscalation: false
    ```

    ## Use instead
    ```yaml
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
    volumeMounts:
      - name: tmp
        mountPath: /tmp
    ```
    with an `emptyDir` volume for `/tmp` (and for any directory the code writes:
    DR409 names them).

    ## Fix safety
    Needs review: a service that writes under the root fails with 'read-only file
    system' until each directory it writes gets a volume.

    ## References
    - [Kubernetes: Configure a Security Context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    - [CIS Kubernetes Benchmark 5.7.x: immutable container filesystems](https://www.cisecurity.org/benchmark/kubernetes)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in w.containers:
            sec = c.security
            if sec.read_only_root is True:
                continue
            said = "is false" if sec.read_only_root is False else "is not set"
            yield Hit(
                sec.span_of("read_only_root") or c.span,
                f"container {c.name}: readOnlyRootFilesystem {said}: the image's files can "
                "be changed at run time; set it to true and mount an emptyDir where the "
                "code writes",
            )


# --------------------------------------------------------------------------- DR409

# Writable in every container whatever the root filesystem (tmpfs / pseudo files).
_ALWAYS_WRITABLE = ("/dev", "/proc", "/sys")


def _absolute(path: str | None, workdir: str | None) -> str | None:
    if path is None or path == "" or "$" in path:
        return None
    if not path.startswith("/"):
        if workdir is None:
            return None
        path = posixpath.join(workdir, path)
    return posixpath.normpath(path)


_MKDIRS = frozenset({"os.Mkdir", "os.MkdirAll"})
# Directories every image with a filesystem has (scratch's missing /tmp is DR221's).
_STANDARD_DIRS = frozenset({"/", "/tmp", "/var", "/var/tmp", "/etc", "/usr", "/home", "/run"})


def _in_image(path: str, builds: tuple[Build, ...]) -> bool:
    """Is ``path`` a directory every final image already has (so ``MkdirAll`` of it
    writes nothing): a standard directory, the WORKDIR or one of its parents, or a
    parent of something COPY put there?"""
    if path in _STANDARD_DIRS:
        return True
    if not builds:
        return False
    for b in builds:
        dirs = [b.final.workdir, *(c.dest for c in final_copies(b))]
        if not any(_under(d.rstrip("/") or "/", path) for d in dirs):
            return False
    return True


def _workdir(svc: Service) -> str | None:
    dirs = {b.final.workdir for b in svc.builds}
    return dirs.pop() if len(dirs) == 1 else None


@rule(
    id="DR409",
    name="readonly-root-but-writes",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
)
def readonly_root_but_writes(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins a container that sets `readOnlyRootFilesystem: true` with the code of the
    service it runs, and finds files the code writes outside every writable volume
    mount of that container: `os.Create`, `os.WriteFile`, `os.OpenFile` with a write
    flag, `os.Mkdir(All)`, `os.CreateTemp`/`os.MkdirTemp` (`""` and `os.TempDir()`
    are `$TMPDIR`, else `/tmp`), their `io/ioutil` forms and `lumberjack.Logger` log
    files. The finding is on `readOnlyRootFilesystem`; each write is a related
    location.

    Paths are resolved with the container's environment (Dockerfile `ENV`, literal
    `env`, ConfigMap values); relative paths against the image `WORKDIR`. A path that
    cannot be resolved statically (a flag, `filepath.Join(...)`, an unset variable)
    is not reported. Mounts with `readOnly: true` do not count as writable;
    `/dev`, `/proc` and `/sys` are always writable. `os.MkdirAll` of a directory the
    image already has (`/tmp`, the `WORKDIR` or a parent of a `COPY` destination)
    writes nothing and is not reported.

    Compose services with `read_only: true` are checked the same way: `tmpfs:`
    entries and volumes not marked `:ro` (named, anonymous or bind) are writable;
    the finding is on `read_only`.

    ## Why is this bad?
    Every such write fails at runtime with `read-only file system`: the upload that
    spools to a temp file, the log file opened at start-up (which usually kills the
    process in a crash loop), the cache directory. Nothing shows it before the
    cluster runs the code path.

    ## Example
    ```go
    tmp, err := os.CreateTemp("", "upload-*") // /tmp
    ```
    ```yaml
    securityContext:
      readOnlyRootFilesystem: true
    # no volume at /tmp
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: tmp
        mountPath: /tmp
    volumes:
      - name: tmp
        emptyDir:
          sizeLimit: 64Mi
    ```
    and write logs to stdout instead of files.

    ## Fix safety
    Adding an `emptyDir` is safe; size it, since it counts against the node's
    ephemeral storage.

    ## References
    - [Kubernetes: emptyDir](https://kubernetes.io/docs/concepts/storage/volumes/#emptydir)
    - [os.TempDir](https://pkg.go.dev/os#TempDir)
    """
    ix = ctx.index
    for svc in ix.services:
        workdir = _workdir(svc)
        for dep in svc.deployments:
            c = dep.container
            sec = c.security
            if sec.read_only_root is not True:
                continue
            writable = [m.mount_path for m in c.mounts if not m.read_only]
            seen = _blocked_writes(svc, ix.env_for(svc, dep), workdir, writable)
            if not seen:
                continue
            paths = list(seen)
            yield Hit(
                sec.span_of("read_only_root") or c.span,
                f"readOnlyRootFilesystem is true but the code writes {_listed(paths)}, not "
                f"on a writable volume of container {c.name}: "
                f"{'the write fails' if len(paths) == 1 else 'these writes fail'} with "
                "'read-only file system'; mount an emptyDir there",
                related=tuple(seen.values()),
            )
        for cs in svc.compose:
            if not cs.read_only:
                continue
            env = compose_runtime(svc, cs).env
            seen = _blocked_writes(svc, env, workdir, list(cs.writable))
            if not seen:
                continue
            paths = list(seen)
            yield Hit(
                cs.read_only_span or cs.span,
                f"compose service {cs.name} has read_only: true but the code writes "
                f"{_listed(paths)}, not on a tmpfs or volume: "
                f"{'the write fails' if len(paths) == 1 else 'these writes fail'} with "
                "'read-only file system'; add tmpfs: [/tmp] (or a volume) there",
                related=tuple(seen.values()),
            )


def _listed(paths: list[str]) -> str:
    return paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + " and " + paths[-1]


def _blocked_writes(
    svc: Service, env: Mapping[str, str], workdir: str | None, writable: list[str]
) -> dict[str, Related]:
    """The places the code writes that a read-only root with ``writable`` mounts
    refuses, by path, with where the code writes them."""
    seen: dict[str, Related] = {}
    for w in file_writes(svc, env):
        path = _absolute(w.path, workdir)
        if path is None or path in seen:
            continue
        if any(_under(path, root) for root in (*_ALWAYS_WRITABLE, *writable)):
            continue
        if w.what in _MKDIRS and _in_image(path, svc.builds):
            continue
        where = "the temp directory " + path if w.temp else path
        seen[path] = Related(w.span, f"{w.what} writes {where}")
    return seen


# --------------------------------------------------------------------------- DR410

_DANGEROUS_CAPS = frozenset(
    {
        "ALL",
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_PTRACE",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_BOOT",
        "SYS_TIME",
        "SYSLOG",
        "DAC_READ_SEARCH",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "BPF",
        "PERFMON",
    }
)


def _cap(name: str) -> str:
    n = name.strip().upper()
    return n[4:] if n.startswith("CAP_") else n


@rule(
    id="DR410",
    name="privilege-escalation",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def privilege_escalation(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes containers (init containers included) that can gain privileges:
    `privileged: true`; `allowPrivilegeEscalation` not set to `false` (unset counts:
    the default is `true`); capabilities not dropped (no `ALL` in
    `capabilities.drop`); or dangerous capabilities added (`SYS_ADMIN`, `NET_ADMIN`,
    `SYS_PTRACE`, `SYS_MODULE`, `BPF`, `ALL`...). One finding per container lists
    everything that is wrong; it is on the offending `securityContext` field when
    there is one, else on the container.

    In compose files: `privileged: true`, and the same dangerous capabilities in
    `cap_add:` (local runs are not held to the pod's `drop: [ALL]`).

    ## Why is this bad?
    A privileged container is root on the node. Without `allowPrivilegeEscalation:
    false` a setuid binary or a file capability in the image raises the process's
    privileges, and the default capability set (`NET_RAW`, `CHOWN`, `SETUID`...) is
    more than a Go service ever needs: each is one step of a container escape. The
    Pod Security Standard *restricted* requires all three settings.

    ## Example
    ```yaml
    containers:
      - name: orderservice
        image: registry.example.com/orderservice:1.4.2
        # no securityContext
    ```

    ## Use instead
    ```yaml
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
    ```
    (add back `NET_BIND_SERVICE` only to bind a port below 1024).

    ## Fix safety
    Safe for a Go service that binds a high port and runs no setuid helper.

    ## References
    - [Pod Security Standards: restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    - [Configure a security context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in _containers(w):
            sec = c.security
            issues: list[str] = []
            span: Span | None = None
            if sec.privileged is True:
                issues.append("privileged: true (root on the node)")
                span = sec.span_of("privileged")
            if sec.allow_privilege_escalation is True:
                issues.append("allowPrivilegeEscalation: true")
                span = span or sec.span_of("allow_privilege_escalation")
            elif sec.allow_privilege_escalation is None:
                issues.append("allowPrivilegeEscalation is not false (the default is true)")
            if "ALL" not in {_cap(x) for x in sec.caps_drop}:
                issues.append("capabilities are not dropped (no drop: [ALL])")
            added = sorted({_cap(x) for x in sec.caps_add} & _DANGEROUS_CAPS)
            if added:
                issues.append("adds capabilities " + ", ".join(added))
                span = span or sec.span_of("caps_add")
            if issues:
                yield Hit(span or c.span, f"container {c.name}: " + "; ".join(issues))
    for cs in ix.compose_services:
        # Local runs are not held to the pod's drop-ALL: only what compose adds.
        if cs.privileged:
            yield Hit(
                cs.privileged_span or cs.span,
                f"compose service {cs.name}: privileged: true (every capability and device "
                "of the host)",
            )
        added = sorted({_cap(x) for x in cs.cap_add} & _DANGEROUS_CAPS)
        if added:
            yield Hit(
                cs.cap_add_span or cs.span,
                f"compose service {cs.name}: adds capabilities " + ", ".join(added),
            )


# --------------------------------------------------------------------------- DR411

_SENSITIVE_EXACT = frozenset(
    {
        "/",
        "/etc",
        "/proc",
        "/sys",
        "/dev",
        "/boot",
        "/root",
        "/home",
        "/var/run",
        "/run",
        "/var/lib",
        "/var/lib/docker",
        "/var/lib/containerd",
        "/var/lib/kubelet",
        "/var/lib/etcd",
        "/etc/kubernetes",
        "/run/containerd",
        "/var/run/containerd",
        "/run/crio",
        "/var/run/crio",
    }
)
# Anything below these is sensitive too.
_SENSITIVE_TREES = (
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/etc/kubernetes",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/run/containerd",
    "/var/run/containerd",
    "/run/crio",
    "/var/run/crio",
    "/root",
    "/proc",
)
_RUNTIME_SOCKETS = frozenset(
    {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock"}
)


def _sensitive(host_path: str) -> str | None:
    p = posixpath.normpath(host_path) if host_path else ""
    if p.startswith("//"):
        p = p[1:]
    if not p.startswith("/"):
        return None
    base = posixpath.basename(p)
    if base in _RUNTIME_SOCKETS:
        return "the container runtime socket: full control of every container on the node"
    if p in _SENSITIVE_EXACT:
        return "a host system directory"
    if any(_under(p, t) for t in _SENSITIVE_TREES):
        return "node or cluster credentials and state"
    if base.endswith(".sock") and (_under(p, "/var/run") or _under(p, "/run")):
        return "a host daemon's socket"
    return None


@rule(
    id="DR411",
    name="sensitive-host-mount",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def sensitive_host_mount(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `hostPath` volumes of sensitive host paths: the Docker, containerd or CRI-O
    socket (any `docker.sock`, `containerd.sock`, `crio.sock`...), `/`, `/etc`,
    `/proc`, `/sys`, `/dev`, `/boot`, `/root`, `/home`, `/var/run` and `/run` (and
    any `*.sock` below them), `/var/lib/kubelet`, `/var/lib/docker`,
    `/var/lib/containerd`, `/var/lib/etcd` and `/etc/kubernetes` (and below). The
    finding is on the volume; the mounts that use it are related locations. Compose
    bind mounts of the same paths (`/var/run/docker.sock:/var/run/docker.sock`, or
    `type: bind`) are reported on the `volumes:` entry.
    `readOnly: true` does not make these safe (a socket is still usable, keys still
    readable), so it does not silence the finding. Node agents that really need one
    of these should suppress the finding where they do.

    ## Why is this bad?
    The container runtime socket is root on the node: whoever reaches it starts a
    privileged container. `/etc`, `/root` and the kubelet directory hold node and
    cluster credentials; `/proc` and `/sys` expose the host's processes and kernel
    settings. A compromised service becomes a compromised node.

    ## Example
    ```yaml
    volumes:
      - name: docker
        hostPath:
          path: /var/run/docker.sock
    ```

    ## Use instead
    Do not build or run containers from a pod through the node's daemon; use a
    rootless builder (BuildKit rootless, kaniko) or the Kubernetes API, and mount
    only the files the service needs through a ConfigMap, a Secret or a CSI driver.

    ## Fix safety
    Removing the mount breaks whatever used it; replace that function first.

    ## References
    - [Kubernetes: hostPath](https://kubernetes.io/docs/concepts/storage/volumes/#hostpath)
    - [Pod Security Standards: baseline (HostPath Volumes)](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    """
    ix = ctx.index
    for w in ix.workloads:
        for v in w.volumes:
            if v.kind != "hostPath":
                continue
            why = _sensitive(v.source)
            if why is None:
                continue
            related = tuple(
                Related(m.span, f"mounted at {m.mount_path} in container {c.name}")
                for c in _containers(w)
                for m in c.mounts
                if m.name == v.name
            )
            yield Hit(
                v.span,
                f"hostPath volume {v.name} mounts {v.source} from the node: {why}",
                related=related,
            )
    for cs in ix.compose_services:
        for b in cs.binds:
            why = _sensitive(b.source)
            if why is not None:
                yield Hit(
                    b.span,
                    f"compose service {cs.name} mounts {b.source} from the host at "
                    f"{b.target}{' (read-only)' if b.read_only else ''}: {why}",
                )


# --------------------------------------------------------------------------- DR412

_CONFIG_VOLUMES = frozenset({"configMap", "secret", "projected"})


@rule(
    id="DR412",
    name="writable-config-mount",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def writable_config_mount(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `volumeMounts` of a `configMap`, `secret` or `projected` volume without
    `readOnly: true`. The finding is on the mount; the volume is related.

    Kubernetes has served these volumes read-only since 1.9-era releases whatever
    the mount says, so this is not a writable-config hole on a current cluster; it
    stays a warning because the seed's checklist asks for the explicit flag: it
    documents the intent, keeps policy engines (Pod Security admission add-ons,
    Kyverno, Gatekeeper) quiet and is the same on runtimes that differ.

    ## Why is this bad?
    Configuration and credentials should be immutable inside the container: code that
    tries to rewrite them gets a surprise at runtime, and manifests that do not say
    `readOnly` are flagged by every hardening review.

    ## Example
    ```yaml
    volumeMounts:
      - name: config
        mountPath: /etc/orderservice
    ```

    ## Use instead
    ```yaml
    volumeMounts:
      - name: config
        mountPath: /etc/orderservice
        readOnly: true
    ```

    ## Fix safety
    Safe: the kubelet mounts these volumes read-only anyway.

    ## References
    - [Kubernetes: ConfigMap volumes](https://kubernetes.io/docs/concepts/configuration/configmap/#using-configmaps-as-files-from-a-pod)
    - [Kubernetes: Secret volumes](https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in _containers(w):
            for m in c.mounts:
                v = w.volume(m.name)
                if v is None or v.kind not in _CONFIG_VOLUMES or m.read_only:
                    continue
                yield Hit(
                    m.span,
                    f"{v.kind} volume {v.name} is mounted at {m.mount_path} in container "
                    f"{c.name} without readOnly: true",
                    related=(Related(v.span, f"{v.kind} volume {v.name}"),),
                )


# --------------------------------------------------------------------------- DR413


_COMMENT_PREFIXES = ("#", "//", ";", "--")


def _embedded_secret(text: str) -> tuple[str, str, str] | None:
    """In a config file held by a ConfigMap entry (``app.yaml: |``, ``.properties``,
    ``.env``), the first ``key: value`` / ``key=value`` line whose value is
    secret-like: ``(key, kind, value)``."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(_COMMENT_PREFIXES):
            continue
        cuts = [(i, len(sep)) for sep in (": ", "=") if (i := line.find(sep)) > 0]
        if not cuts:
            continue
        cut, width = min(cuts)
        key = line[:cut].strip().strip("\"'").removeprefix("export ").strip()
        value = line[cut + width :].strip().strip("\"'")
        if " " in key or not value:
            continue
        kind = secret_kind(key, value)
        if kind is not None:
            return key, kind, value
    return None


def _env_secret(e: EnvVar) -> str | None:
    if e.source is not None or not e.value:
        return None
    return secret_kind(e.name, e.value)


@rule(
    id="DR413",
    name="secret-in-plain-config",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY, Tag.SECRET),
)
def secret_in_plain_config(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds secret-like values in configuration that is not a Secret: ConfigMap
    `data` entries (and, in an entry that holds a config file, its `key: value` /
    `key=value` lines), literal `env` values of Kubernetes containers (init
    containers included) and compose `environment:` values. A value is secret-like
    when its name says so (`DB_PASSWORD`, `apiKey`, `client_secret`...) and it is not
    a placeholder or a reference (`${VAR}`, `changeme`, `<token>`), or when its shape
    is a key or token whatever its name (private keys, AWS/GitHub/Slack/Stripe keys,
    passwords in URLs). Values are never printed: the message shows a masked prefix.
    Kubernetes Secrets themselves are fine here.

    ## Why is this bad?
    ConfigMaps and pod specs are readable by anyone who can read the namespace's
    configuration (and are printed by `kubectl describe`), live unencrypted in etcd,
    and are committed to Git as plain YAML. Secrets get separate RBAC, encryption at
    rest and integrations with external stores (seed 4.4).

    ## Example
    ```yaml
    kind: ConfigMap
    data:
      DB_PASSWORD: hunter2
    ```

    ## Use instead
    ```yaml
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef:
            name: orderservice-db
            key: password
    ```
    with the Secret created by an external secret manager, not committed.

    ## Fix safety
    Rotate the leaked value: it is in the Git history.

    ## References
    - [Kubernetes: Secrets](https://kubernetes.io/docs/concepts/configuration/secret/)
    - [Good practices for Kubernetes Secrets](https://kubernetes.io/docs/concepts/security/secrets-good-practices/)
    """
    ix = ctx.index
    for cm in ix.configmaps:
        if cm.secret:
            continue
        for d in cm.data:
            kind = secret_kind(d.key, d.value)
            if kind is not None:
                yield Hit(
                    d.span,
                    f"ConfigMap {cm.name}: {d.key} holds a {kind} ({mask(d.value)}); "
                    "put it in a Secret",
                )
            elif "\n" in d.value.strip():
                found = _embedded_secret(d.value)
                if found is not None:
                    key, kind, value = found
                    yield Hit(
                        d.span,
                        f"ConfigMap {cm.name}: the file {d.key} sets {key} to a {kind} "
                        f"({mask(value)}); put it in a Secret",
                    )
    for w in ix.workloads:
        for c in _containers(w):
            for e in c.env:
                kind = _env_secret(e)
                if kind is not None:
                    yield Hit(
                        e.span,
                        f"env {e.name} of container {c.name} is a literal {kind} "
                        f"({mask(e.value or '')}); use valueFrom.secretKeyRef",
                    )
    for s in ix.compose_services:
        for e in s.environment:
            kind = _env_secret(e)
            if kind is not None:
                yield Hit(
                    e.span,
                    f"compose service {s.name}: environment {e.name} is a literal {kind} "
                    f"({mask(e.value or '')}); use compose secrets or an untracked env file",
                )


# --------------------------------------------------------------------------- DR414


def _unpinned(image: str) -> str | None:
    ref = image.strip()
    if not ref or "$" in ref or "{{" in ref:
        return None
    _, _, tag, digest = parse_ref(ref)
    if digest is not None:
        return None
    if tag is None:
        return "has no tag (it pulls :latest)"
    if tag == "latest":
        return "uses the mutable tag :latest"
    return None


@rule(
    id="DR414",
    name="unpinned-image-in-manifest",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
)
def unpinned_image_in_manifest(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes workload containers (init containers included) whose `image`
    has the tag `latest` or no tag, and no `@sha256:` digest. Templated images
    (`$VAR`, `{{ }}`) are skipped. Compose `image:` lines are not checked (compose is
    the local set-up; the Dockerfile `FROM` lines are DR302's).

    ## Why is this bad?
    `latest` moves: two pods of one Deployment can run different code, a node that
    re-pulls gets a new version nobody deployed, and a rollback to "the previous
    manifest" changes nothing. The kubelet also defaults `imagePullPolicy` to
    `Always` for `latest`, so every start depends on the registry being up.

    ## Example
    ```yaml
    image: registry.example.com/orderservice:latest
    ```

    ## Use instead
    ```yaml
    image: registry.example.com/orderservice:1.4.2
    # or, immutable:
    image: registry.example.com/orderservice@sha256:<digest>
    ```

    ## Fix safety
    Safe; the release pipeline must then write the version into the manifest.

    ## References
    - [Kubernetes: images (image names, pull policy)](https://kubernetes.io/docs/concepts/containers/images/)
    - [Kubernetes configuration best practices](https://kubernetes.io/docs/concepts/configuration/overview/#container-images)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in _containers(w):
            why = _unpinned(c.image)
            if why is not None:
                yield Hit(c.image_span, f"image {c.image} of container {c.name} {why}")


# --------------------------------------------------------------------------- DR415

_DEBUG_PORT_NAMES = frozenset({"debug", "pprof", "profiling", "profiler", "admin", "diag"})
_PPROF_PORT = 6060
# Paths of an admin/debug listener; any other route makes a listener the application's.
_ADMIN_PATHS = (
    "/debug",
    "/metrics",
    "/healthz",
    "/readyz",
    "/livez",
    "/health",
    "/ready",
    "/live",
    "/ping",
    "/version",
)
_HTTP_KINDS = frozenset({"http", "https", "gin", "echo", "fiber"})
_SERVER_TYPES = frozenset({"net/http.Server"})


@dataclass(frozen=True, slots=True)
class _Listen:
    """A listen address of the service: a Listener fact, or an ``http.Server{Addr:}``
    literal (servers started through a helper are not always Listener facts)."""

    addr: Value | None
    handler: str
    span: Span
    kind: str


def _listens(svc: Service) -> list[_Listen]:
    out = [
        _Listen(lst.addr, lst.handler, lst.span, lst.kind) for g in svc.files for lst in g.listeners
    ]
    for g in svc.files:
        for lit in g.literals:
            if lit.type in _SERVER_TYPES:
                h = lit.field("Handler")
                handler = (
                    "default"
                    if h is None or h.text.strip() in ("nil", "http.DefaultServeMux")
                    else h.text.strip()
                )
                out.append(_Listen(lit.field("Addr"), handler, lit.span, "http"))
    return out


def _is_app_router(svc: Service, handler: str) -> bool:
    for g in svc.files:
        for r in g.routes:
            if r.router == handler and not any(
                r.path == p or r.path.startswith(p + "/") for p in _ADMIN_PATHS
            ):
                return True
    return False


def _pprof_import(svc: Service) -> Span | None:
    for g in svc.files:
        imp = g.import_of(PPROF_IMPORT)
        if imp is not None:
            return imp.span
    return None


def _exposed_debug(
    svc: Service, port: int, names: tuple[str, ...], env: Mapping[str, str]
) -> tuple[str, tuple[Related, ...]] | None:
    """Why a port of the pod reaching ``port`` exposes pprof, or None."""
    on_port: list[_Listen] = []
    public_ports: set[int | None] = set()
    for lst in _listens(svc):
        addr = lst.addr.resolve(env) if lst.addr is not None else None
        if addr is None or not is_loopback(host_of(addr)):
            public_ports.add(port_of(addr) if addr is not None else None)
        if addr is not None and port_of(addr) == port:
            if is_loopback(host_of(addr)):
                return None  # pprof (if any) only on loopback: nothing is exposed
            on_port.append(lst)
    # The service's only reachable listener is the application's, whatever its routes.
    only_listener = public_ports == {port}
    for lst in on_port:
        if lst.kind not in _HTTP_KINDS:
            continue
        where = serves_pprof(svc, lst.handler)
        if where is None:
            continue
        if only_listener or _is_app_router(svc, lst.handler):
            return None  # pprof on the application listener: DR213, fixed in the code
        mux = "http.DefaultServeMux" if lst.handler == "default" else lst.handler
        return (
            f"the listener on {port} serves net/http/pprof",
            (
                Related(lst.span, f"listener on {port} serving {mux}"),
                Related(where, f"pprof registered on {mux}"),
            ),
        )
    if on_port:
        return None
    imp = _pprof_import(svc)
    debug_named = any(n.lower() in _DEBUG_PORT_NAMES for n in names if n) or port == _PPROF_PORT
    if imp is not None and debug_named:
        return (
            f"port {port} is the debug port and the service imports net/http/pprof",
            (Related(imp, "net/http/pprof imported here"),),
        )
    return None


@rule(
    id="DR415",
    name="debug-port-exposed",
    severity=Severity.ERROR,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def debug_port_exposed(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins a Kubernetes Service (or a compose `ports:` entry) with the code of the
    service it reaches, and finds a port that exposes pprof. A Service port whose
    target port (resolved through named container ports) is:

    - a listener (resolved in the container's environment) that serves
      `net/http/pprof`: the default mux in a service that imports it, a
      `/debug/pprof` route on its router, or `pprof.Register(router)`, when that
      listener is a dedicated debug/admin listener; or
    - a port named `debug`, `pprof`, `profiling`, `admin`... or the conventional
      pprof port 6060, in a service that imports `net/http/pprof`, when no listener of
      the service is known on that port.

    Decisions: pprof served on the application's own listener (one with application
    routes, or the service's only listener that is not on loopback) is DR213's
    finding (the fix is in the code), not repeated here. A debug listener bound to loopback
    (`127.0.0.1:6060`, reached with `kubectl port-forward`) is not reachable through
    the Service, so nothing is exposed and nothing is reported. Compose ports
    published on `127.0.0.1` only are not exposed either.

    ## Why is this bad?
    pprof serves heap dumps (with whatever secrets are in memory), goroutine stacks,
    the command line, and lets any caller run CPU profiles and traces: information
    disclosure and an easy denial of service. A Service makes it reachable from every
    pod in the cluster, or from outside with a LoadBalancer or NodePort.

    ## Example
    ```yaml
    ports:
      - name: http
        port: 80
        targetPort: 8080
      - name: debug
        port: 6060
        targetPort: 6060
    ```

    ## Use instead
    Keep pprof on a separate listener bound to `127.0.0.1:6060`, leave it out of the
    Service, and reach it with `kubectl port-forward pod/<name> 6060`.

    ## Fix safety
    Safe: removing the Service port only removes remote access to the profiler.

    ## References
    - [net/http/pprof](https://pkg.go.dev/net/http/pprof)
    - [kubectl port-forward](https://kubernetes.io/docs/tasks/access-application-cluster/port-forward-access-application-cluster/)
    """
    ix = ctx.index
    for svc in ix.services:
        for dep in svc.deployments:
            env = ix.env_for(svc, dep)
            for ks in ix.kservices:
                if not ks.selects(dep.workload):
                    continue
                for sp in ks.ports:
                    target = sp.port if sp.target_port is None else sp.target_port
                    num = dep.container.port_number(target)
                    if num is None:
                        continue
                    names = (sp.name, target if isinstance(target, str) else "")
                    why = _exposed_debug(svc, num, names, env)
                    if why is None:
                        continue
                    label = f"{sp.name} " if sp.name else ""
                    yield Hit(
                        sp.span,
                        f"Service {ks.name} port {label}({sp.port}->{num}) exposes pprof: {why[0]}",
                        related=why[1],
                    )
        for cs in svc.compose:
            env = {**ix.env_for(svc), **{e.name: e.value for e in cs.environment if e.value}}
            for cp in cs.ports:
                if cp.target is None or is_loopback(cp.host_ip):
                    continue
                why = _exposed_debug(svc, cp.target, (), env)
                if why is not None:
                    yield Hit(
                        cp.span,
                        f"compose service {cs.name} publishes port {cp.target}, which exposes "
                        f"pprof: {why[0]}",
                        related=why[1],
                    )


# --------------------------------------------------------------------------- DR416


@rule(
    id="DR416",
    name="host-namespaces",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def host_namespaces(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds pods that share the node's namespaces: `hostNetwork: true`, `hostPID:
    true` or `hostIPC: true`, and compose services with `network_mode: host` or
    `pid: host`. One finding per workload or compose service names all of them.

    ## Why is this bad?
    With the host network a pod binds the node's ports (two replicas on one node
    collide), bypasses NetworkPolicies and reaches every local service of the node;
    with the host PID or IPC namespace it sees and signals the node's processes and
    reads their shared memory. Service discovery also breaks: `localhost` is now the
    node (seed 4.3). Node agents (CNI, monitoring DaemonSets) that need it should
    suppress the finding where they do.

    ## Example
    ```yaml
    spec:
      hostNetwork: true
    ```

    ## Use instead
    Use the pod network and a Service (`hostPort` or a NodePort Service when a node
    port is really needed).

    ## Fix safety
    Clients that reached the pod through the node's IP must switch to the Service.

    ## References
    - [Pod Security Standards: baseline (Host Namespaces)](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    - [Compose: network_mode](https://docs.docker.com/reference/compose-file/services/#network_mode)
    """
    ix = ctx.index
    for w in ix.workloads:
        shared = [
            name
            for name, on in (
                ("hostNetwork", w.host_network),
                ("hostPID", w.host_pid),
                ("hostIPC", w.host_ipc),
            )
            if on
        ]
        if shared:
            yield Hit(
                w.host_span or w.span,
                f"{w.kind} {w.name} shares the node's namespaces: {', '.join(shared)}",
            )
    for s in ix.compose_services:
        modes = [
            f"{key}: host"
            for key, val in (("network_mode", s.network_mode), ("pid", s.pid))
            if val == "host"
        ]
        if modes:
            yield Hit(
                s.mode_span or s.span,
                f"compose service {s.name} shares the host's namespaces: {', '.join(modes)}",
            )


# --------------------------------------------------------------------------- DR417

_REPLICATED = frozenset({"Deployment", "StatefulSet"})


@rule(
    id="DR417",
    name="single-replica-no-pdb",
    severity=Severity.INFO,
    reads=(Input.K8S,),
)
def single_replica_no_pdb(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Deployments and StatefulSets that a Service routes to (a served workload)
    and that run one replica (`replicas: 1`, or unset, which is 1, with no
    HorizontalPodAutoscaler targeting the workload), or that no
    PodDisruptionBudget in their namespace selects. One finding per workload, on its
    `replicas:` line (else its `kind:` line), says which.

    ## Why is this bad?
    With one replica every rollout, node drain, eviction and crash is an outage of
    the service. Without a PodDisruptionBudget a node drain (cluster upgrades,
    autoscaler scale-down) may evict every replica at once, however many there are.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 1
    ```

    ## Use instead
    ```yaml
    kind: Deployment
    spec:
      replicas: 2
    ---
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    spec:
      minAvailable: 1
      selector:
        matchLabels:
          app.kubernetes.io/name: orderservice
    ```

    ## Fix safety
    Safe for a stateless service; a service that assumes it is alone (in-memory
    state, a scheduler, a leader without election) needs that fixed first.

    ## References
    - [Kubernetes: Specifying a Disruption Budget](https://kubernetes.io/docs/tasks/run-application/configure-pdb/)
    - [Kubernetes: Disruptions](https://kubernetes.io/docs/concepts/workloads/pods/disruptions/)
    """
    ix = ctx.index
    others = list(ix.others)
    for w in ix.workloads:
        if w.kind not in _REPLICATED or not any(ks.selects(w) for ks in ix.kservices):
            continue
        labels = dict(w.labels)
        scaled = any(
            o.kind == "HorizontalPodAutoscaler"
            and o.namespace == w.namespace
            and o.target == f"{w.kind}/{w.name}"
            for o in others
        )
        budget = any(
            o.kind == "PodDisruptionBudget"
            and o.namespace == w.namespace
            and o.selector
            and all(labels.get(k) == v for k, v in o.selector)
            for o in others
        )
        problems = []
        if not scaled and (w.replicas is None or w.replicas <= 1):
            unset = " (replicas is unset)" if w.replicas is None else ""
            problems.append(f"runs one replica{unset}: every rollout, drain or crash is an outage")
        if not budget:
            problems.append(
                "no PodDisruptionBudget selects its pods: a node drain may evict them all at once"
            )
        if problems:
            yield Hit(w.replicas_span or w.span, f"{w.kind} {w.name}: " + "; ".join(problems))


# --------------------------------------------------------------------------- DR419


@rule(
    id="DR419",
    name="compose-no-healthcheck",
    severity=Severity.INFO,
    reads=(Input.COMPOSE,),
)
def compose_no_healthcheck(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    In compose files, finds:

    - a `depends_on` entry for a service of the same file without
      `condition: service_healthy` (or `service_completed_successfully`), on the
      service's `depends_on`;
    - a compose service that runs a Go service of this repository that listens for
      requests, with no `healthcheck:` and no `HEALTHCHECK` in the Dockerfile that
      builds its image (or one that is disabled), on the service's name.

    Services that only pull an image from elsewhere are not judged for their own
    healthcheck: their image may have one.

    ## Why is this bad?
    Without a health condition, compose starts a dependent as soon as the
    dependency's container has started, long before a database accepts connections
    or a service has loaded its configuration: the dependent crashes or retries on
    every `docker compose up`, and CI runs built on compose are flaky. Without a
    healthcheck, `docker compose ps` shows a service as up while it cannot serve,
    and nothing can wait for it.

    ## Example
    ```yaml
    services:
      orders:
        build: .
        depends_on: [db]
      db:
        image: postgres:16
    ```

    ## Use instead
    ```yaml
    services:
      orders:
        build: .
        depends_on:
          db:
            condition: service_healthy
      db:
        image: postgres:16
        healthcheck:
          test: ["CMD", "pg_isready", "-U", "postgres"]
          interval: 2s
          retries: 30
    ```
    On a distroless image, without a shell or curl, give the binary a
    `healthcheck` subcommand and use `test: ["CMD", "/app", "healthcheck"]`.

    ## Fix safety
    Safe: it only changes when compose considers a service ready.

    ## References
    - [Compose: depends_on](https://docs.docker.com/reference/compose-file/services/#depends_on)
    - [Compose: healthcheck](https://docs.docker.com/reference/compose-file/services/#healthcheck)
    """
    ix = ctx.index
    by_file: dict[str, set[str]] = {}
    for cs in ix.compose_services:
        by_file.setdefault(cs.path, set()).add(cs.name)
    for cs in ix.compose_services:
        loose = [
            dep
            for dep, condition in cs.depends_on
            if dep in by_file[cs.path]
            and condition not in ("service_healthy", "service_completed_successfully")
        ]
        if loose:
            names = ", ".join(loose)
            them = (
                ("its container starts", "it")
                if len(loose) == 1
                else ("their containers start", "they")
            )
            yield Hit(
                cs.depends_span or cs.span,
                f"compose service {cs.name} depends on {names} without condition: "
                f"service_healthy: it starts as soon as {them[0]}, before {them[1]} can "
                f"serve; give {'it' if len(loose) == 1 else 'them'} a healthcheck and wait "
                "for service_healthy",
            )
    for svc in ix.services:
        if not any(lst for g in svc.files for lst in g.listeners):
            continue
        image_checks = any(
            b.final.healthcheck is not None and b.final.healthcheck.value[:1] != ("NONE",)
            for b in svc.builds
        )
        for cs in svc.compose:
            if cs.healthcheck:  # a test of its own
                continue
            if cs.healthcheck is None and (
                image_checks or (not svc.builds and cs.build_context is None)
            ):
                continue  # the image's HEALTHCHECK applies, or the image is not known
            yield Hit(
                cs.span,
                f"compose service {cs.name} has no healthcheck (nor does its Dockerfile): "
                "compose shows it up while it cannot serve, and nothing can wait for it "
                "with condition: service_healthy",
            )


# --------------------------------------------------------------------------- DR420

# Public resolvers and similar fixed-by-design addresses.
_WELL_KNOWN_IPS = frozenset(
    {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222"}
)
_DSN_HOST_KEYS = frozenset({"host", "hostaddr", "server", "addr", "address"})
_TOKEN_STRIP = "\"'`()[]{}<>;,"
# Calls (package functions or methods) whose address argument is a client target:
# http.Get, client.Post, http.NewRequest, net.Dial, grpc.NewClient, nats.Connect,
# sql.Open, redis.ParseURL...
_DIAL_NAMES = frozenset(
    {
        "Get",
        "Post",
        "Head",
        "PostForm",
        "NewRequest",
        "NewRequestWithContext",
        "Dial",
        "DialContext",
        "DialTimeout",
        "NewClient",
        "Connect",
        "Open",
        "ParseURL",
    }
)
_OUTBOUND_FIELDS = frozenset(
    {
        "Addr",
        "Addrs",
        "Address",
        "Addresses",
        "Endpoint",
        "Endpoints",
        "Host",
        "Hosts",
        "URL",
        "BaseURL",
        "Brokers",
        "Servers",
        "DSN",
    }
)
_LISTEN_WORDS = ("LISTEN", "BIND")
# Sidecars that serve on the pod's loopback: a proxy or runtime the app is meant to
# reach on localhost (Istio/Envoy, Linkerd, Dapr, Consul Connect, Vault agent).
_SIDECAR_ANNOTATIONS = (
    "sidecar.istio.io/",
    "linkerd.io/inject",
    "dapr.io/",
    "consul.hashicorp.com/connect-inject",
    "vault.hashicorp.com/agent-inject",
)
_SIDECAR_PORTS = frozenset({3500, 50001, 15000, 15001, 15006, 15020, 15021, 4140, 4191, 9901})
_SCHEME_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True, slots=True)
class _Addr:
    host: str
    port: int | None
    url: bool
    loopback: bool

    @property
    def text(self) -> str:
        return f"{self.host}:{self.port}" if self.port is not None else self.host


def _host_kind(host: str) -> str | None:
    """``"fixed"`` for an IP of another machine, ``"loopback"``, or None (a name, or an
    address that is fixed by design: unspecified, link-local metadata, multicast...)."""
    h = host.strip("[]").lower()
    if h in ("localhost", "ip6-localhost"):
        return "loopback"
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return None
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified or ip.is_link_local or ip.is_multicast or ip.is_reserved:
        return None
    if h in _WELL_KNOWN_IPS:
        return None
    return "fixed"


def _tokens(value: str) -> Iterator[str]:
    for word in value.split():
        for piece in word.split(","):
            tok = piece.strip(_TOKEN_STRIP)
            if tok:
                yield tok


def _address(tok: str) -> _Addr | None:
    if "://" in tok:
        try:
            u = urlsplit(tok)
            uhost, uport = u.hostname, u.port
        except ValueError:
            return None
        ukind = _host_kind(uhost) if uhost else None
        if uhost is None or ukind is None:
            return None
        if uport is None:
            uport = _SCHEME_PORTS.get(u.scheme)
        return _Addr(uhost, uport, True, ukind == "loopback")
    if "tcp(" in tok:  # MySQL DSN: user:pass@tcp(10.0.0.5:3306)/db
        tok = tok.split("tcp(", 1)[1].split(")", 1)[0]
    key, eq, val = tok.partition("=")
    no_port_ok = False
    if eq:
        if key.lower() not in _DSN_HOST_KEYS:
            return None
        tok, no_port_ok = val, True
    host, colon, port_text = tok.rpartition(":")
    if not colon:
        host, port_text = tok, ""
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    elif not no_port_ok:
        return None
    kind = _host_kind(host)
    if kind is None or (kind == "loopback" and port is None):
        return None
    return _Addr(host, port, False, kind == "loopback")


def _addresses(value: str) -> list[_Addr]:
    return [a for a in (_address(t) for t in _tokens(value)) if a is not None]


def _code_addresses(value: str) -> list[_Addr]:
    """Addresses in a Go string: the whole literal is one address (a URL, a
    ``host:port``), or a DSN with ``host=`` keys. Prose (a log message, a flag's usage
    text "e.g. 10.0.0.1:8080") is not an address in use."""
    tokens = list(_tokens(value))
    if len(tokens) > 1:
        tokens = [t for t in tokens if "=" in t]
    return [a for a in (_address(t) for t in tokens) if a is not None]


def _config_addresses(value: str) -> list[_Addr]:
    """Addresses in a configuration value; a whole value that is a bare IP counts too
    (``DB_HOST: 10.20.0.5``)."""
    v = value.strip()
    if _host_kind(v) == "fixed":
        return [_Addr(v, None, False, False)]
    return _addresses(value)


def _fixed_msg(a: _Addr) -> str:
    return (
        f"{a.text} is a fixed IP address: reach other services by DNS name (a Kubernetes "
        "Service) or discovery, and make the address configurable"
    )


def _loopback_msg(a: _Addr) -> str:
    return (
        f"{a.text} addresses another service on localhost, which inside a container is the "
        "container itself: use the service's DNS name"
    )


@dataclass(slots=True)
class _GoContext:
    """What is known about listen addresses and fallbacks in a service's code."""

    listen_values: set[str]
    listen_idents: set[str]
    listen_envs: set[str]
    own_ports: set[int]
    fallbacks: set[str]
    fallback_keys: set[str]


def _values(g: GoFile) -> Iterator[Value]:
    for c in g.calls:
        yield from c.args
    for lit in g.literals:
        for _, v in lit.fields:
            yield v
    for lst in g.listeners:
        if lst.addr is not None:
            yield lst.addr


def _go_context(files: tuple[GoFile, ...]) -> _GoContext:
    ctx = _GoContext(set(), set(), set(), set(), set(), set())
    listen: list[Value] = []
    for g in files:
        listen.extend(lst.addr for lst in g.listeners if lst.addr is not None)
        for lit in g.literals:
            addr = lit.field("Addr")
            if lit.type in _SERVER_TYPES and addr is not None:
                listen.append(addr)
        for v in _values(g):
            for p in v.parts:
                if isinstance(p, EnvRef | FlagRef) and p.default:
                    ctx.fallbacks.add(p.default)
        for lit in g.literals:
            for k, v in lit.fields:
                if v.env_names:
                    ctx.fallback_keys.add(k)
    for v in listen:
        ctx.listen_idents.add(v.text.strip().lstrip("*&"))
        ctx.listen_envs.update(v.env_names)
        for resolved in (v.resolve({}), v.literal):
            if resolved:
                ctx.listen_values.add(resolved)
                own = port_of(resolved)
                if own is not None:
                    ctx.own_ports.add(own)
        for part in v.parts:
            if isinstance(part, str) and part:
                ctx.listen_values.add(part)
            elif isinstance(part, EnvRef | FlagRef) and part.default:
                ctx.listen_values.add(part.default)
    return ctx


def _dialed(value: str, g: GoFile) -> bool:
    for c in g.calls:
        if c.name in _DIAL_NAMES and any(value in a.parts for a in c.args):
            return True
    for lit in g.literals:
        if lit.type in _SERVER_TYPES:
            continue
        if any(k in _OUTBOUND_FIELDS and value in v.parts for k, v in lit.fields):
            return True
    return False


def _has_sidecars(w: Workload) -> bool:
    """Does the pod share its loopback with another container (a sidecar, declared or
    injected by a mesh/runtime annotation)?"""
    if len(w.containers) + len(w.init_containers) > 1:
        return True
    return any(k.startswith(_SIDECAR_ANNOTATIONS) for k, _ in w.annotations)


def _go_hits(ix: ProjectIndex) -> Iterator[Hit]:
    contexts: dict[str, _GoContext] = {}
    for g in ix.go_files:
        svc = ix.service_of(g.path)
        sidecars = svc is not None and any(_has_sidecars(d.workload) for d in svc.deployments)
        files = tuple(svc.files) if svc is not None else (g,)
        key = svc.name if svc is not None else g.path
        if key not in contexts:
            contexts[key] = _go_context(files)
        ctx = contexts[key]
        for s in g.strings:
            if s.value in ctx.listen_values or (s.key and s.key in ctx.listen_idents):
                continue
            for a in _code_addresses(s.value):
                if not a.loopback:
                    yield Hit(s.span, _fixed_msg(a))
                    break
                if sidecars or a.port in ctx.own_ports or a.port in _SIDECAR_PORTS:
                    continue
                if s.value in ctx.fallbacks or (s.key and s.key in ctx.fallback_keys):
                    continue
                if _dialed(s.value, g):
                    yield Hit(s.span, _loopback_msg(a))
                    break


def _listen_env(name: str, ctx: _GoContext | None) -> bool:
    upper = name.upper()
    if any(w in upper for w in _LISTEN_WORDS):
        return True
    return ctx is not None and name in ctx.listen_envs


def _env_hits(
    env: tuple[EnvVar, ...],
    own_ports: set[int],
    shared_net: bool,
    svc: Service | None,
) -> Iterator[Hit]:
    ctx = _go_context(tuple(svc.files)) if svc is not None else None
    ports = own_ports | (ctx.own_ports if ctx is not None else set())
    for e in env:
        if e.source is not None or not e.value:
            continue
        for a in _config_addresses(e.value):
            if not a.loopback:
                yield Hit(e.span, f"env {e.name}: {_fixed_msg(a)}")
                break
            if shared_net or a.port in ports or a.port in _SIDECAR_PORTS:
                continue
            if _listen_env(e.name, ctx):
                continue
            yield Hit(e.span, f"env {e.name}: {_loopback_msg(a)}")
            break


def _service_of_container(ix: ProjectIndex, w: Workload, c: Container) -> Service | None:
    for svc in ix.services:
        for dep in svc.deployments:
            if dep.workload is w and dep.container is c:
                return svc
    return None


@rule(
    id="DR420",
    name="service-discovery-hardcoded",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def service_discovery_hardcoded(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds other services addressed by fixed IPs, or by `localhost:port`, in Go string
    literals, literal `env` values of Kubernetes containers, compose `environment:`
    values, and (fixed IPs only) ConfigMap values and the final image's `ENV`. An
    address is a URL (`http://10.0.3.17:8081/v1`), a `host:port`, a MySQL
    `tcp(host:port)` or a `host=` DSN key; only the host and port are shown.

    Decisions, for precision:
    - Not reported: listen addresses (of a listener or an `http.Server{Addr:}`, a
      flag or env default feeding one, an env var whose name says LISTEN/BIND),
      `0.0.0.0`, link-local (cloud metadata), multicast and public DNS resolvers, and
      Go test files.
    - A loopback address is the container itself, so it is reported only when it
      reaches a port the service does not serve itself (a health self-check of
      `http://localhost:8080/health` is fine). In Go, only when it is passed to a
      client call (`http.Get`, `client.Post`, `http.NewRequest`, `net.Dial`,
      `grpc.NewClient`, `nats.Connect`, `sql.Open`...) or set in an
      `Addr`/`Endpoint`/`URL`-like field of a client's options, and not when it is an
      env/flag fallback (a local-development default).
    - Never for a pod that shares its loopback with a sidecar (more than one
      container, or an Istio, Linkerd, Dapr, Consul or Vault injection annotation),
      a compose service sharing another network namespace, or a well-known sidecar
      port (Dapr 3500/50001, Envoy/Istio 15000-15021, Linkerd 4140/4191).
    - Dockerfile `HEALTHCHECK` commands are not looked at.

    ## Why is this bad?
    Pod IPs change on every restart and reschedule, and a ClusterIP changes when the
    Service is recreated; in a container, `localhost` is the container, not the
    machine the service used to share with its peers. The call fails after the next
    rollout, in a way no test on a developer machine shows (seed 4.3).

    ## Example
    ```go
    resp, err := client.Post("http://10.0.3.17:8081/v1/orders", "application/json", body)
    ```

    ## Use instead
    ```go
    crmURL := os.Getenv("ORDERS_CRM_URL") // http://crm.crm.svc.cluster.local:8081
    ```

    ## Fix safety
    The DNS name must resolve where the service runs: a Kubernetes Service, or an
    ExternalName / Endpoints object for a machine outside the cluster.

    ## References
    - [Kubernetes: DNS for Services and Pods](https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/)
    - [The twelve-factor app: backing services](https://12factor.net/backing-services)
    """
    ix = ctx.index
    yield from _go_hits(ix)
    for w in ix.workloads:
        shared = _has_sidecars(w) or w.host_network
        pod_ports = {p.port for c in _containers(w) for p in c.ports}
        for c in _containers(w):
            svc = _service_of_container(ix, w, c)
            yield from _env_hits(c.env, pod_ports, shared, svc)
    for cs in ix.compose_services:
        svc = next((s for s in ix.services if cs in s.compose), None)
        shared = cs.network_mode not in (None, "bridge", "default")
        ports = {p.target for p in cs.ports if p.target is not None}
        yield from _env_hits(cs.environment, ports, shared, svc)
    for cm in ix.configmaps:
        if cm.secret:
            continue
        for d in cm.data:
            for a in _config_addresses(d.value):
                if not a.loopback:
                    yield Hit(d.span, f"ConfigMap {cm.name} {d.key}: {_fixed_msg(a)}")
                    break
    for df in ix.dockerfiles:
        final = df.final
        if final is None:
            continue
        spans = dict(final.env_spans)
        for name, value in final.env:
            span = spans.get(name)
            if span is None or span.path != df.path:
                continue
            for a in _config_addresses(value):
                if not a.loopback:
                    yield Hit(span, f"ENV {name}: {_fixed_msg(a)}")
                    break


# --------------------------------------------------------------------------- DR421


@rule(
    id="DR421",
    name="named-user-with-runasnonroot",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
    tags=(Tag.SECURITY,),
)
def named_user_with_runasnonroot(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins a container that sets `runAsNonRoot: true` without `runAsUser` with the
    image it runs, and finds an image whose effective user is a name (`USER
    appuser`, `USER nonroot:nonroot`), from the final stage's `USER` or the base
    image's default. The finding is on `runAsNonRoot`; the `USER` line (or the final
    `FROM`, for a base default) is related. Numeric users (`USER 65532`, the
    distroless and Chainguard `nonroot` defaults) are fine; an unknown base image with
    no `USER` is not reported. When a service has several Dockerfiles, every one must
    have a named user.

    ## Why is this bad?
    The kubelet cannot map a user name to a UID (it does not read the image's
    `/etc/passwd`), so it cannot verify `runAsNonRoot` and refuses to start the
    container: `CreateContainerConfigError: container has runAsNonRoot and image has
    non-numeric user (appuser), cannot verify user is non-root`. The pod never runs.

    ## Example
    ```dockerfile
    RUN adduser -D -u 10001 appuser
    USER appuser
    ```
    ```yaml
    securityContext:
      runAsNonRoot: true
    ```

    ## Use instead
    ```dockerfile
    USER 10001:10001
    ```
    or set `runAsUser: 10001` next to `runAsNonRoot: true`.

    ## Fix safety
    Safe when the UID is the one the name maps to (file ownership stays right).

    ## References
    - [Kubernetes: SecurityContext runAsNonRoot](https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context-1)
    - [kubernetes/kubernetes#56503](https://github.com/kubernetes/kubernetes/issues/56503)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        users = [(b, effective_user(b)) for b in svc.builds]
        if any(u is None or u.numeric or u.name.startswith("$") for _, u in users):
            continue
        build, user = users[0]
        assert user is not None
        if user.span is not None:
            rel = Related(user.span, f"USER {user.name}")
        else:
            rel = Related(build.final.span, f"the base image runs as user {user.name}")
        for dep in svc.deployments:
            sec = dep.container.security
            if sec.run_as_non_root is not True or sec.run_as_user is not None:
                continue
            yield Hit(
                sec.span_of("run_as_non_root") or dep.container.span,
                f"runAsNonRoot: true without runAsUser, and the image runs as the named user "
                f"{user.name!r}: the kubelet cannot verify it and the container fails with "
                "CreateContainerConfigError",
                related=(rel,),
            )


# --------------------------------------------------------------------------- DR422

_HOOK_TOOLS = frozenset(
    {"sh", "bash", "ash", "dash", "sleep", "curl", "wget", "grpc_health_probe", "cat", "nc"}
)
_SHELLS = frozenset({"sh", "bash", "ash", "dash"})
_SH_OPS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})


def _needed_tools(command: tuple[str, ...]) -> list[str]:
    """The binaries an exec handler needs: its program, and for ``sh -c`` the first
    word of the script."""
    if not command:
        return []
    prog = posixpath.basename(command[0])
    out = [prog]
    if prog in _SHELLS and len(command) >= 3 and command[1] == "-c":
        words = [w for w in shell_words(command[2]) if w not in _SH_OPS]
        while words and "=" in words[0] and not words[0].startswith("="):
            words.pop(0)  # VAR=value prefix
        if words:
            out.append(posixpath.basename(words[0]))
    return [t for t in out if t in _HOOK_TOOLS]


def _missing(builds: tuple[Build, ...], tool: str) -> bool:
    """True when every build's final image surely lacks ``tool``."""
    return bool(builds) and all(
        has_tool(b, tool) is False and not installs_tool(b, tool) for b in builds
    )


def _handlers(dep: Deployment) -> Iterator[tuple[str, Handler]]:
    for p in dep.container.probes:
        yield f"{p.which} probe", p.handler
    if dep.container.pre_stop is not None:
        yield "preStop hook", dep.container.pre_stop


@rule(
    id="DR422",
    name="hook-binary-missing",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
)
def hook_binary_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins the `exec` probes and `exec` `preStop` hooks of a container with the image
    it runs, and finds a command the final image does not have: `sh`, `bash`,
    `sleep`, `curl`, `wget`, `grpc_health_probe`, `cat` or `nc`, as the program or as
    the first word of an `sh -c` script. The finding is on the handler; the final
    `FROM` is related. A tool brought in by a `COPY` or installed by a `RUN` of the
    final image counts as present; an unknown base image is not reported; with
    several Dockerfiles every one must lack the tool.

    ## Why is this bad?
    On a `scratch` or distroless image the exec fails: a readiness probe never
    passes (the pod never gets traffic), a liveness probe restarts the container
    forever, and a `preStop` `sleep` fails at once, so the pod is removed from the
    endpoints while it still gets new connections.

    ## Example
    ```yaml
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "sleep 5"]
    ```
    on `FROM gcr.io/distroless/static-debian12:nonroot`.

    ## Use instead
    ```yaml
    lifecycle:
      preStop:
        sleep:
          seconds: 5
    readinessProbe:
      httpGet: {path: /readyz, port: http}   # or grpc: {port: 50051}
    ```

    ## Fix safety
    `preStop.sleep` needs Kubernetes 1.30 or later (1.29 behind a feature gate);
    `grpc` probes need 1.27 or later.

    ## References
    - [Kubernetes: container lifecycle hooks](https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/)
    - [Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        first = svc.builds[0]
        final = first.final
        image = first.dockerfile.external_base(final)
        for dep in svc.deployments:
            for what, h in _handlers(dep):
                if h.kind != "exec":
                    continue
                for tool in _needed_tools(h.command):
                    if _missing(svc.builds, tool):
                        yield Hit(
                            h.span,
                            f"the {what} of container {dep.container.name} runs {tool}, which "
                            f"the final image ({image}) does not have: the exec fails",
                            related=(Related(final.span, f"final image {image}"),),
                        )
                        break
