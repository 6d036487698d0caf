"""One rehearsal: build the image, read it, run it the way the plan says, probe it,
load it briefly, stop it the way the kubelet would, and record what happened.

Every wait is bounded by the run's deadline (``--timeout``): an image that ignores
SIGTERM, exits at once, floods its logs, binds no port or listens on loopback only
ends in an :class:`Observation` that says so, never in a hang.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockready.model import Span
from dockready.verify.docker import Docker, EngineError, Janitor
from dockready.verify.image import ImageFacts, inspect
from dockready.verify.pod import Check, Plan

#: Lines of the container's log kept as evidence.
LOG_TAIL = 40
#: How long the load burst lasts, and how many clients it runs.
BURST_SECONDS = 2.0
BURST_CLIENTS = 8
#: The readiness budget when no probe says (seconds).
DEFAULT_STARTUP = 30.0
_STEP = re.compile(r"^\s*(\d+)\s*\|\s*>>>")


@dataclass
class BuildResult:
    ok: bool
    seconds: float
    line: int | None = None  # the Dockerfile line of the failing step
    step: str = ""  # "[build 5/7] RUN go build ..."
    log_tail: str = ""


@dataclass
class Drain:
    """The stop: SIGTERM sent after the preStop, with a request in flight."""

    seconds: float | None  # SIGTERM to exit; None: killed at the end of the grace period
    exit_code: int | None
    in_flight: str  # "answered", "dropped", "none" (no HTTP port to send one to)
    allowed: float  # grace period less preStop


@dataclass
class Observation:
    """What one rehearsal saw."""

    service: str
    plan: Plan
    #: Where findings about the run go: the workload container, else the Dockerfile's
    #: final FROM, else the main package.
    anchor: Span = field(default_factory=lambda: Span("."))
    dockerfile: str | None = None
    build: BuildResult | None = None
    image: ImageFacts | None = None
    started: bool = False
    refused: str = ""  # the kubelet would refuse to start it (runAsNonRoot and uid 0)
    uids: tuple[int, ...] = ()
    ready: bool | None = None  # None: no readiness check could be made
    ready_seconds: float | None = None
    budget: float = DEFAULT_STARTUP
    exited: int | None = None  # exit code when the container ended on its own
    oom: bool = False
    oom_when: str = ""  # "start" or "load"
    logs: list[str] = field(default_factory=list)
    log_lines: int = 0
    pprof_ports: tuple[int, ...] = ()
    readonly_write: str | None = None  # the path written when run writable (DR608)
    readonly_failed: bool = False
    drain: Drain | None = None
    timed_out: bool = False
    notes: list[str] = field(default_factory=list)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, cap: float | None = None) -> float:
        rest = max(self.end - time.monotonic(), 0.0)
        return rest if cap is None else min(rest, cap)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end


def build(
    docker: Docker,
    janitor: Janitor,
    dockerfile: Path,
    context: Path,
    tag: str,
    timeout: float,
    build_args: Sequence[tuple[str, str | None]] = (),
) -> BuildResult:
    """``docker build`` with BuildKit (``build_args`` as compose, a workflow or a
    script give them; a value of None is taken from the environment, as ``docker
    build --build-arg NAME`` does); on failure, the failing step, its Dockerfile line
    and the tail of the log."""
    t0 = time.monotonic()
    extra: list[str] = []
    for name, value in build_args:
        extra += ["--build-arg", name if value is None else f"{name}={value}"]
    args = [
        *docker.build_args(),
        "-f",
        str(dockerfile),
        "-t",
        tag,
        *janitor.labels(),
        *extra,
        str(context),
    ]
    try:
        proc = docker.run_raw(args, timeout=timeout)
    except EngineError as e:
        return BuildResult(False, time.monotonic() - t0, log_tail=str(e))
    seconds = time.monotonic() - t0
    if proc.returncode == 0:
        return BuildResult(True, seconds)
    log = (proc.stdout + proc.stderr).replace("\r", "")
    line = None
    for raw in log.splitlines():
        m = _STEP.match(raw)
        if m:
            line = int(m.group(1))
    step, output = _failing_step(log)
    tail = "\n".join(output[-6:] or log.strip().splitlines()[-15:])
    return BuildResult(False, seconds, line, step, tail)


_STEP_HEAD = re.compile(r"^#(\d+) \[([^\]]+)\] (.+)$")
_STEP_OUT = re.compile(r"^#(\d+) (?:\d+\.\d+ )?(.*)$")


def _failing_step(log: str) -> tuple[str, list[str]]:
    """The step that failed (``[build 4/6] RUN go mod download``) and what it printed,
    from BuildKit's plain progress."""
    heads: dict[str, str] = {}
    failed: str | None = None
    for raw in log.splitlines():
        m = _STEP_HEAD.match(raw)
        if m:
            heads[m.group(1)] = f"[{m.group(2)}] {m.group(3).strip()}"
            continue
        m = _STEP_OUT.match(raw)
        if m and m.group(2).startswith("ERROR"):
            failed = m.group(1)
    if failed is None:
        return "", []
    out = []
    for raw in log.splitlines():
        m = _STEP_OUT.match(raw)
        if (
            m
            and m.group(1) == failed
            and not _STEP_HEAD.match(raw)
            and not m.group(2).startswith(("sha256:", "ERROR", "DONE", "CACHED"))
        ):
            out.append(m.group(2))
    err = next(
        (
            m.group(2)
            for raw in log.splitlines()
            if (m := _STEP_OUT.match(raw))
            and m.group(1) == failed
            and m.group(2).startswith("ERROR")
        ),
        "",
    )
    return heads.get(failed, ""), [*out, err] if err else out


def _inspect_state(docker: Docker, cid: str) -> dict[str, object]:
    proc = docker.run_raw(["inspect", "--format", "{{json .State}}", cid], timeout=30)
    try:
        state = json.loads(proc.stdout) if proc.returncode == 0 else {}
    except json.JSONDecodeError:
        state = {}
    return state if isinstance(state, dict) else {}


def _addresses(docker: Docker, cid: str, ports: list[int]) -> dict[int, Addr]:
    """How to reach each container port from here (see :data:`Addr`)."""
    proc = docker.run_raw(
        ["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", cid],
        timeout=30,
    )
    ip = next(iter(proc.stdout.split()), "") if proc.returncode == 0 else ""
    out: dict[int, Addr] = {}
    for p in ports:
        if ip:
            out[p] = (ip, p)
        elif (hp := _host_port(docker, cid, p)) is not None:
            out[p] = ("127.0.0.1", hp)
    return out


def _host_port(docker: Docker, cid: str, port: int) -> int | None:
    proc = docker.run_raw(["port", cid, f"{port}/tcp"], timeout=30)
    for line in proc.stdout.splitlines():
        tail = line.rsplit(":", 1)[-1].strip()
        if tail.isdigit():
            return int(tail)
    return None


#: Where a container port is reached: the container's own address (as the kubelet
#: probes the pod IP; a published port is accepted by Docker's proxy even when
#: nothing listens behind it), else the published port on 127.0.0.1.
Addr = tuple[str, int]


def _http_get(addr: Addr, path: str, timeout: float = 2.0) -> int | None:
    try:
        conn = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
        conn.request("GET", path, headers={"User-Agent": "kube-probe/1.31"})
        status = conn.getresponse().status
        conn.close()
        return status
    except (OSError, http.client.HTTPException):
        return None


def _serves_pprof(addr: Addr) -> bool:
    """Does ``GET /debug/pprof/`` answer with pprof's index (not a catch-all route's
    200)? The index lists the profiles: goroutine, heap, ..."""
    try:
        conn = http.client.HTTPConnection(addr[0], addr[1], timeout=2.0)
        conn.request("GET", "/debug/pprof/")
        resp = conn.getresponse()
        body = resp.read(64 * 1024)
        conn.close()
    except (OSError, http.client.HTTPException):
        return False
    return resp.status == 200 and b"goroutine" in body and b"heap" in body


def _tcp_open(addr: Addr, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(addr, timeout=timeout):
            return True
    except OSError:
        return False


def _passes(docker: Docker, cid: str, chk: Check, ports: dict[int, Addr]) -> bool:
    if chk.kind == "exec":
        proc = docker.run_raw(["exec", cid, *chk.command], timeout=max(chk.period, 2))
        return proc.returncode == 0
    host = ports.get(chk.port) if chk.port is not None else None
    if host is None:
        return False
    if chk.kind == "http":
        status = _http_get(host, chk.path)
        return status is not None and 200 <= status < 400
    if chk.kind == "grpc":
        serving = grpc_serving(host, chk.path)
        if serving is not None:
            return serving
    return _tcp_open(host)


def grpc_serving(addr: Addr, service: str = "", timeout: float = 2.0) -> bool | None:
    """The gRPC health protocol's answer, as the kubelet's grpc probe asks it: True
    for SERVING; None when ``grpcio`` is not installed (the caller checks TCP)."""
    try:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
    except ImportError:
        return None
    try:
        with grpc.insecure_channel(f"{addr[0]}:{addr[1]}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.RpcError:
        return False
    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)


def _logs(docker: Docker, cid: str) -> tuple[list[str], int]:
    proc = docker.run_raw(["logs", "--tail", "2000", cid], timeout=60)
    lines = (proc.stdout + proc.stderr).splitlines()
    return lines[-LOG_TAIL:], len(lines)


def _run(
    docker: Docker,
    janitor: Janitor,
    image: str,
    plan: Plan,
    name: str,
    read_only: bool,
    files_dir: Path,
) -> str:
    args = ["run", "--detach", "--name", name, *janitor.labels(), *plan.run_args()]
    if not read_only and "--read-only" in args:
        args.remove("--read-only")
    for i, (mount, files) in enumerate(plan.files.items()):
        d = files_dir / f"v{i}"
        d.mkdir(parents=True, exist_ok=True)
        for key, text in files.items():
            (d / key).write_text(text)
        args += ["--mount", f"type=bind,source={d},target={mount},readonly"]
    args += [image, *plan.command()]
    return docker(*args, timeout=120).strip()


def rehearse(
    docker: Docker,
    janitor: Janitor,
    service: str,
    image: str,
    plan: Plan,
    timeout: float,
    facts: ImageFacts | None = None,
) -> Observation:
    """Run ``image`` as ``plan`` says and observe it (the image is built already)."""
    deadline = _Deadline(timeout)
    obs = Observation(service, plan)
    obs.image = facts if facts is not None else inspect(docker, janitor, image)
    if plan.run_as_non_root and plan.user is None and obs.image.runs_as_root:
        obs.refused = obs.image.user or "root (no USER)"
        plan.user = "65532:65532"  # go on as the kubelet cannot, to observe the rest
    obs.budget = _budget(plan)
    with tempfile.TemporaryDirectory(prefix="dockready-verify-") as tmp:
        cid = _run(
            docker,
            janitor,
            image,
            plan,
            f"dockready-{janitor.run_id}-{service}"[:60],
            plan.read_only,
            Path(tmp),
        )
        obs.started = True
        ports = _addresses(docker, cid, plan.ports)
        _wait_ready(docker, cid, plan, ports, obs, deadline)
        obs.uids = _uids(docker, cid)
        if obs.ready:
            obs.pprof_ports = tuple(p for p, hp in ports.items() if _serves_pprof(hp))
            _burst(plan, ports, deadline)
            state = _inspect_state(docker, cid)
            if state.get("OOMKilled") or not state.get("Running"):
                obs.oom = bool(state.get("OOMKilled"))
                obs.oom_when = "load"
                obs.exited = _int(state.get("ExitCode"))
            else:
                obs.drain = _stop(docker, cid, plan, ports, deadline)
        elif obs.ready is None and obs.exited is None:
            # a worker (nothing to probe) still running: it must stop cleanly too
            obs.drain = _stop(docker, cid, plan, ports, deadline)
        obs.logs, obs.log_lines = _logs(docker, cid)
        if plan.read_only and not obs.ready and obs.exited is not None and not deadline.passed:
            _readonly_probe(docker, janitor, image, plan, obs, Path(tmp), deadline)
        docker.run_raw(["rm", "--force", cid], timeout=60)
    obs.timed_out = deadline.passed
    return obs


def _int(v: object) -> int | None:
    return v if isinstance(v, int) else None


def _budget(plan: Plan) -> float:
    """How long the pod may take to become ready before the kubelet restarts it."""
    if plan.startup is not None:
        return plan.startup.initial_delay + plan.startup.period * plan.startup.failures
    if plan.liveness is not None:
        return plan.liveness.initial_delay + plan.liveness.period * plan.liveness.failures
    return DEFAULT_STARTUP


def _wait_ready(
    docker: Docker,
    cid: str,
    plan: Plan,
    ports: dict[int, Addr],
    obs: Observation,
    deadline: _Deadline,
) -> None:
    chk = plan.readiness or plan.startup or plan.liveness
    t0 = time.monotonic()
    end = t0 + min(obs.budget, deadline.left())
    while True:
        state = _inspect_state(docker, cid)
        if not state.get("Running"):
            obs.exited = _int(state.get("ExitCode"))
            obs.oom = bool(state.get("OOMKilled"))
            obs.oom_when = "start" if obs.oom else ""
            # a server that stopped is not ready; a worker that failed at start neither
            # (one that ends with exit code 0 is a job done)
            served = chk is not None or bool(plan.ports)
            obs.ready = False if served or obs.exited not in (0, None) else None
            return
        if chk is None:
            # nothing to probe: alive after a short while is all there is to see
            if time.monotonic() - t0 >= min(2.0, obs.budget):
                obs.ready = None
                return
        elif _passes(docker, cid, chk, ports):
            obs.ready = True
            obs.ready_seconds = time.monotonic() - t0
            return
        if time.monotonic() >= end:
            obs.ready = False
            return
        time.sleep(0.25)


def _uids(docker: Docker, cid: str) -> tuple[int, ...]:
    """The uids of the container's processes (``docker top`` runs ps on the host; it
    needs the pid column to tell the container's processes apart)."""
    proc = docker.run_raw(["top", cid, "-o", "pid,uid"], timeout=30)
    out = []
    for line in proc.stdout.splitlines()[1:]:
        words = line.split()
        if len(words) == 2 and words[1].isdigit():
            out.append(int(words[1]))
    return tuple(sorted(set(out)))


def _burst(plan: Plan, ports: dict[int, Addr], deadline: _Deadline) -> None:
    """A short, bounded load: clients hitting the readiness route (or connecting)."""
    chk = plan.readiness or plan.liveness
    if chk is None or chk.port is None or chk.port not in ports:
        return
    host = ports[chk.port]
    stop = time.monotonic() + deadline.left(BURST_SECONDS)

    def client() -> None:
        while time.monotonic() < stop:
            if chk.kind == "http":
                _http_get(host, chk.path, timeout=1.0)
            else:
                _tcp_open(host, timeout=0.5)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(BURST_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=BURST_SECONDS + 2)


def _stop(
    docker: Docker, cid: str, plan: Plan, ports: dict[int, Addr], deadline: _Deadline
) -> Drain:
    """preStop, then SIGTERM, then SIGKILL at the end of the grace period. With a
    slow route to ask (``plan.drain_path``, ``--drain-request``), one request to it
    is in flight when SIGTERM arrives: a server that drains answers it, one that
    exits drops it. (A request whose headers arrive after SIGTERM is not in flight:
    Go's server drops it by design, so a half-sent request proves nothing.)"""
    http_port = next(
        (
            c.port
            for c in (plan.readiness, plan.liveness)
            if c is not None and c.kind == "http" and c.port in ports
        ),
        plan.ports[0] if plan.ports and plan.ports[0] in ports else None,
    )
    answer: dict[str, int | None] = {}
    worker: threading.Thread | None = None
    if plan.drain_path and http_port is not None:
        host = ports[http_port]
        path = plan.drain_path

        def ask() -> None:
            answer["status"] = _http_get(host, path, timeout=max(plan.after_sigterm, 1.0) + 5)

        worker = threading.Thread(target=ask, daemon=True)
    if plan.prestop_exec:
        docker.run_raw(["exec", cid, *plan.prestop_exec], timeout=deadline.left(plan.grace) or 1)
    elif plan.prestop_sleep:
        time.sleep(deadline.left(plan.prestop_sleep))
    if worker is not None:
        worker.start()
        time.sleep(0.3)  # the request is being served
    docker.run_raw(["kill", "--signal", "TERM", cid], timeout=30)
    t0 = time.monotonic()
    allowed = plan.after_sigterm
    end = t0 + deadline.left(allowed)
    seconds: float | None = None
    code: int | None = None
    while time.monotonic() < end:
        state = _inspect_state(docker, cid)
        if not state.get("Running"):
            seconds, code = time.monotonic() - t0, _int(state.get("ExitCode"))
            break
        time.sleep(0.1)
    else:
        docker.run_raw(["kill", cid], timeout=30)
    in_flight = "none"
    if worker is not None:
        worker.join(timeout=2)
        in_flight = "answered" if answer.get("status") is not None else "dropped"
    return Drain(seconds, code, in_flight, allowed)


def _readonly_probe(
    docker: Docker,
    janitor: Janitor,
    image: str,
    plan: Plan,
    obs: Observation,
    tmp: Path,
    deadline: _Deadline,
) -> None:
    """Run it writable for a moment: if it then stays up, the read-only root broke it;
    ``docker diff`` names what it wrote."""
    name = f"dockready-{janitor.run_id}-{obs.service}-rw"[:60]
    try:
        cid = _run(docker, janitor, image, plan, name, False, tmp / "rw")
    except EngineError:
        return
    time.sleep(deadline.left(2.0))
    state = _inspect_state(docker, cid)
    proc = docker.run_raw(["diff", cid], timeout=30)
    written = [
        line[2:].strip()
        for line in proc.stdout.splitlines()
        if line[:1] in ("A", "C") and not any(line[2:].strip().startswith(t) for t in plan.tmpfs)
    ]
    if state.get("Running"):
        obs.readonly_failed = True
        leaves = [w for w in written if not any(o != w and o.startswith(w + "/") for o in written)]
        obs.readonly_write = leaves[0] if leaves else None
    docker.run_raw(["rm", "--force", cid], timeout=60)
