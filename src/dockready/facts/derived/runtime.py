"""Where a service's process runs (image, workload, compose): its argv, env and bound listeners; the pod's lifecycle (preStop sleeps, drain timeouts).

Three-valued where it matters: ``True``/``False`` when the facts say so,
``None`` when they do not; rules do not report on ``None``."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from dockready.facts.derived.config import Setting, runtime_settings
from dockready.facts.derived.http import BoundListener, listeners
from dockready.facts.derived.image import shell_words
from dockready.facts.docker import SHELLS, Instruction, script_command
from dockready.facts.go import (
    Shutdown,
    Value,
)
from dockready.facts.index import Build, Deployment, ProjectIndex, Service, deployment_key
from dockready.facts.k8s import ComposeService, Container, Handler, Workload
from dockready.model import Span


def env_for(ix: ProjectIndex, svc: Service, dep: Deployment | None = None) -> dict[str, str]:
    return ix.env_for(svc, dep)


@dataclass(frozen=True, slots=True)
class Runtime:
    """One way a service's process is run: the image alone (``kind`` "image"), a
    workload container ("workload") or a compose service ("compose").

    ``env`` holds the variables whose values the tree shows; ``unknown`` the names set
    to values it does not show (a Secret, a ``fieldRef``, a ConfigMap that is not here,
    ``$(VAR)``/``${VAR}`` expansions, a compose pass-through); ``open`` is true when a
    source we cannot read may set any name (``envFrom`` of a Secret or of a ConfigMap
    that is not in the tree). ``flags`` are the command-line flags given (name ->
    value, None when the value is not literal), or None when the command line is
    unknown; ``flag_from`` says where each was given."""

    kind: str
    label: str
    env: Mapping[str, str]
    unknown: frozenset[str] = frozenset()
    open: bool = False
    flags: Mapping[str, str | None] | None = None
    build: Build | None = None
    #: The part of the command line each flag comes from (see :func:`flag_origins`).
    flag_from: Mapping[str, ArgvPart] | None = None
    deployment: Deployment | None = None
    compose: ComposeService | None = None
    #: Opaque listen-address expressions a configuration file in the image gives a
    #: value here (``derived/config.py``), by expression text.
    settings: Mapping[str, Setting] = field(default_factory=dict)

    def sets(self, name: str) -> bool | None:
        """Is ``name`` set here? None when an unreadable source may set it."""
        if name in self.env or name in self.unknown:
            return True
        return None if self.open else False

    def resolve(self, value: Value) -> str | None:
        """The runtime value of a Go expression here; None when it depends on
        something unknown (an unreadable variable, a flag given a non-literal value,
        a flag when the command line is unknown)."""
        from dockready.facts.go import EnvRef, FlagRef

        for p in value.parts:
            if isinstance(p, EnvRef) and p.name not in self.env and self.sets(p.name) is not False:
                return None
            if isinstance(p, FlagRef) and (
                self.flags is None or (p.name in self.flags and self.flags[p.name] is None)
            ):
                return None
        flags = {k: v for k, v in (self.flags or {}).items() if v is not None}
        known = {k: s.entry.value for k, s in self.settings.items()}
        return value.resolve(self.env, flags, known)


def argv_flags(argv: Sequence[str]) -> dict[str, str | None]:
    """Flags in a command line as Go's ``flag`` package reads them: ``-name=v``,
    ``--name=v``, ``-name v``. Words holding spaces (``sh -c "/app -addr :80"``) are
    split as shell words. A value with ``$`` (shell or ``$(VAR)`` expansion) or a
    flag with no value is None."""
    words: list[str] = []
    for a in argv:
        words.extend(shell_words(a) if any(ch.isspace() for ch in a) else [a])
    out: dict[str, str | None] = {}
    for i, w in enumerate(words):
        if not w.startswith("-") or w in ("-", "--"):
            continue
        name, eq, val = w.lstrip("-").partition("=")
        if not name:
            continue
        value: str | None = val if eq else None
        if not eq and i + 1 < len(words) and not words[i + 1].startswith("-"):
            value = words[i + 1]
        out[name] = None if value is None or "$" in value else value
    return out


def _inst_words(inst: Instruction | None) -> tuple[str, ...]:
    if inst is None:
        return ()
    return inst.value if inst.json else tuple(shell_words(" ".join(inst.value)))


@dataclass(frozen=True, slots=True)
class ArgvPart:
    """Words of a command line and what gave them: ``where`` names it in messages
    (``the Dockerfile CMD``, ``compose command:``), ``span`` points at it."""

    words: tuple[str, ...]
    where: str
    span: Span | None = None


def _inst_part(inst: Instruction | None, where: str) -> list[ArgvPart]:
    return [ArgvPart(_inst_words(inst), where, inst.span)] if inst is not None else []


def image_argv_parts(build: Build) -> list[ArgvPart] | None:
    """ENTRYPOINT + CMD of the final image; None when the Dockerfile sets neither
    (the base image's command, unknown)."""
    st = build.final
    if st.entrypoint is None and st.cmd is None:
        return None
    entry = _inst_part(st.entrypoint, "the Dockerfile ENTRYPOINT")
    if st.entrypoint is not None and not st.entrypoint.json:
        return entry  # shell-form ENTRYPOINT ignores CMD
    return entry + _inst_part(st.cmd, "the Dockerfile CMD")


def container_argv_parts(container: Container, build: Build | None) -> list[ArgvPart] | None:
    """The command line of a workload container: ``command`` replaces the image's
    ENTRYPOINT (and drops its CMD), ``args`` replaces CMD."""
    args = [
        ArgvPart(container.args, f"the args of container {container.name}", container.args_span)
    ]
    if container.command:
        where = f"the command of container {container.name}"
        return [ArgvPart(container.command, where, container.command_span), *args]
    if build is None:
        return args if container.args else None
    if container.args:
        return _inst_part(build.final.entrypoint, "the Dockerfile ENTRYPOINT") + args
    return image_argv_parts(build)


def compose_argv_parts(c: ComposeService, build: Build | None) -> list[ArgvPart] | None:
    """A compose service's command line: ``entrypoint:`` replaces the image's
    ENTRYPOINT (and drops its CMD), ``command:`` replaces CMD."""
    command = (
        [ArgvPart(c.command, "the compose command:", c.command_span)]
        if c.command is not None
        else []
    )
    if c.entrypoint is not None:
        return [ArgvPart(c.entrypoint, "the compose entrypoint:", c.entrypoint_span), *command]
    if build is None:
        return command or None
    if c.command is not None:
        return _inst_part(build.final.entrypoint, "the Dockerfile ENTRYPOINT") + command
    return image_argv_parts(build)


def _joined(parts: list[ArgvPart] | None) -> tuple[str, ...] | None:
    return None if parts is None else tuple(w for p in parts for w in p.words)


def flag_origins(parts: list[ArgvPart] | None) -> dict[str, ArgvPart]:
    """Which part of a command line gives each flag (the last one, as Go's ``flag``
    keeps the last value)."""
    out: dict[str, ArgvPart] = {}
    for p in parts or ():
        for name in argv_flags(p.words):
            out[name] = p
    return out


def image_argv(build: Build) -> tuple[str, ...] | None:
    """ENTRYPOINT + CMD of the final image as words (:func:`image_argv_parts`)."""
    return _joined(image_argv_parts(build))


def container_argv(container: Container, build: Build | None) -> tuple[str, ...] | None:
    """The command line of a workload container as words (:func:`container_argv_parts`)."""
    return _joined(container_argv_parts(container, build))


def compose_argv(c: ComposeService, build: Build | None) -> tuple[str, ...] | None:
    """A compose service's command line as words (:func:`compose_argv_parts`)."""
    return _joined(compose_argv_parts(c, build))


def image_runtime(build: Build) -> Runtime:
    """The image run as is (``docker run``): Dockerfile ENV and ENTRYPOINT/CMD."""
    parts = image_argv_parts(build)
    argv = _joined(parts)
    return Runtime(
        "image",
        f"the image ({build.dockerfile.path})",
        build.env(),
        flags=argv_flags(argv) if argv is not None else None,
        build=build,
        flag_from=flag_origins(parts),
    )


def workload_runtime(ix: ProjectIndex, svc: Service, dep: Deployment) -> Runtime:
    """A workload container: ``ix.env_for`` minus what cannot be read, and its
    command line."""
    env = ix.env_for(svc, dep)
    ns = dep.workload.namespace
    c = dep.container
    is_open = any(
        ef.kind != "configMapRef" or ix.configmap(ns, ef.name) is None for ef in c.env_from
    )
    unknown: set[str] = set()
    for e in c.env:
        readable = e.source is None and e.value is not None and "$(" not in e.value
        if e.source == "configMapKeyRef":
            name, _, key = e.ref.partition("/")
            cm = ix.configmap(ns, name)
            readable = cm is not None and any(d.key == key for d in cm.data)
        if readable:
            unknown.discard(e.name)
        else:
            unknown.add(e.name)
            env.pop(e.name, None)
    build = svc.builds[0] if svc.builds else None
    parts = container_argv_parts(c, build)
    argv = _joined(parts)
    rt = Runtime(
        "workload",
        f"{dep.workload.kind}/{dep.workload.name}",
        env,
        frozenset(unknown),
        is_open,
        argv_flags(argv) if argv is not None else None,
        build=build,
        deployment=dep,
        flag_from=flag_origins(parts),
    )
    return _with_settings(svc, rt)


def compose_runtime(svc: Service, c: ComposeService) -> Runtime:
    """A compose service: Dockerfile ENV overlaid by ``environment``, and its command
    line (the image's, unless ``command:``/``entrypoint:`` replace it)."""
    build = svc.builds[0] if svc.builds else None
    env = build.env() if build is not None else {}
    unknown: set[str] = set()
    for e in c.environment:
        if e.value is None or "$" in e.value:
            unknown.add(e.name)
            env.pop(e.name, None)
        else:
            unknown.discard(e.name)
            env[e.name] = e.value
    parts = compose_argv_parts(c, build)
    argv = _joined(parts)
    rt = Runtime(
        "compose",
        f"compose service {c.name}",
        env,
        frozenset(unknown),
        flags=argv_flags(argv) if argv is not None else None,
        build=build,
        compose=c,
        flag_from=flag_origins(parts),
    )
    return _with_settings(svc, rt)


def is_sidecar(svc: Service, dep: Deployment) -> bool:
    """A container joined to the service only through its workload's name, while a
    sibling container names the service (image repository or container name): an
    ``envoy`` or log shipper next to the app, not the app."""
    from dockready.facts.index import _image_repo

    def names(c: Container) -> bool:
        return svc.name in (_image_repo(c.image), c.name)

    return not names(dep.container) and any(
        names(o) for o in dep.workload.containers if o is not dep.container and not o.init
    )


def _runs_a_script(command: Sequence[str] | None) -> bool:
    """A ``command`` that runs a shell, an interpreter or a script (a backup job
    started from the service's image): what runs there is not known to be the
    service's Go process."""
    return script_command(command or ())


def _with_settings(svc: Service, rt: Runtime) -> Runtime:
    found = runtime_settings(svc, rt)
    return replace(rt, settings=found) if found else rt


def runtimes(ix: ProjectIndex, svc: Service, deployed: bool = False) -> list[Runtime]:
    """Every runtime of a service: its images, workload containers (sidecars left
    out, see :func:`is_sidecar`) and compose services. ``deployed``: only workloads
    and compose services, or the images when there are none."""
    placed = [
        workload_runtime(ix, svc, d)
        for d in svc.deployments
        if not is_sidecar(svc, d) and not _runs_a_script(d.container.command)
    ]
    placed += [compose_runtime(svc, c) for c in svc.compose if not _runs_a_script(c.entrypoint)]
    images = [_with_settings(svc, image_runtime(b)) for b in svc.builds]
    if deployed:
        return placed or images
    return images + placed


def bound_listeners(svc: Service, rt: Runtime) -> list[BoundListener]:
    """Every listener of the service with its address resolved in ``rt`` (``addr``
    None when it cannot be)."""
    return [
        BoundListener(b.listener, b.file, rt.resolve(b.listener.addr) if b.listener.addr else None)
        for b in listeners(svc)
    ]


_SLEEP_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _sleep_duration(word: str) -> float | None:
    """``"5"``, ``"5s"``, ``"0.5"``, ``"1m"`` as ``sleep`` reads them; None otherwise."""
    unit = 1.0
    if word and word[-1] in _SLEEP_UNITS:
        unit, word = _SLEEP_UNITS[word[-1]], word[:-1]
    try:
        value = float(word)
    except ValueError:
        return None
    return value * unit if value >= 0 else None


def sleep_seconds(hook: Handler | None) -> float | None:
    """How long a ``preStop`` hook sleeps: ``sleep.seconds``, or the ``sleep N`` of an
    ``exec`` hook (``["sleep", "5"]``, ``["/bin/sh", "-c", "sleep 5 && nginx -s quit"]``,
    several sleeps added up). None when there is no hook or no sleep we can read."""
    if hook is None:
        return None
    if hook.kind == "sleep":
        return float(hook.seconds) if hook.seconds is not None else None
    cmd = hook.command
    if hook.kind != "exec" or not cmd:
        return None
    prog = posixpath.basename(cmd[0])
    if prog in SHELLS and "-c" in cmd[1:-1]:
        words = shell_words(cmd[cmd.index("-c", 1) + 1])
    elif prog == "busybox" and len(cmd) > 1:
        words = list(cmd[1:])
    else:
        words = list(cmd)
    total: float | None = None
    for i, w in enumerate(words[:-1]):
        if posixpath.basename(w) == "sleep":
            d = _sleep_duration(words[i + 1])
            if d is not None:
                total = (total or 0.0) + d
    return total


def drain_timeout(svc: Service) -> Shutdown | None:
    """The graceful stop with the longest known drain timeout in the service's code
    (``Shutdown(ctx)`` under a ``context.WithTimeout``, fiber's
    ``ShutdownWithTimeout``); None when no timeout is known."""
    best: Shutdown | None = None
    for g in svc.files:
        for s in g.shutdowns:
            if s.timeout is not None and (best is None or (best.timeout or 0.0) < s.timeout):
                best = s
    return best


def services_of(ix: ProjectIndex, w: Workload, c: Container) -> list[Service]:
    """The services whose image this workload container runs (the index's joins)."""
    dep = Deployment(w, c)
    return [s for d, s in ix.svc_by_deployment.get(deployment_key(dep), ()) if d == dep]


def is_served(ix: ProjectIndex, w: Workload, c: Container) -> bool:
    """Does Service traffic reach this container? It declares ``ports``, or a
    Kubernetes Service selects its pod and it is the pod's only container."""
    if c.ports:
        return True
    if sum(1 for x in w.containers if not x.init) != 1:
        return False
    return bool(ix.selecting(w))


def places_run(ix: ProjectIndex, svc: Service) -> list[Runtime]:
    """Where the service runs: its workloads and compose services, else its images,
    else the code alone (every variable unset: the code's fallbacks apply)."""
    return runtimes(ix, svc, deployed=True) or [Runtime("code", "the code", {})]


def sets_any(rts: list[Runtime], names: tuple[str, ...]) -> bool:
    """Is one of ``names`` set (or possibly set, by a source we cannot read) anywhere
    the service runs?"""
    return any(rt.sets(n) is not False for rt in rts for n in names)
