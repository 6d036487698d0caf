"""``dockready verify``: build the service's image, run it the way its workload says
in a real Docker engine, and report what it did (chapter 6)."""

from __future__ import annotations

import posixpath
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dockready import report
from dockready.commands.check import _parse_outputs
from dockready.commands.options import REPORT_BUG, config_options
from dockready.config import Config, ConfigError, resolve_config
from dockready.engine import UsageError, finding_order, load_project, service_summary
from dockready.facts.docker import Dockerfile
from dockready.facts.index import Deployment, ProjectIndex, Service
from dockready.generate.model import dns_label
from dockready.model import Finding, Notice, Related, Result, Severity, Span
from dockready.rules.registry import Context, observed_rules

if TYPE_CHECKING:
    from dockready.verify.rehearse import Observation


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"dockready: error: {message}", err=True)
    sys.exit(code)


def _say(message: str) -> None:
    click.echo(f"dockready: {message}", err=True)


@click.command("verify")
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("--service", metavar="NAME", help="The service to verify (name or directory).")
@click.option("--image", "image_ref", metavar="REF", help="Run this image instead of building one.")
@click.option(
    "--workload",
    metavar="FILE#Kind/name",
    help="Run the container the way this workload says (default: the service's only "
    "workload, else the restricted default).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=5),
    default=300,
    show_default=True,
    help="Seconds the run may take after the build; every wait is bounded by it.",
)
@click.option("--keep", is_flag=True, help="Leave the containers and image for a closer look.")
@click.option(
    "--run-id",
    metavar="ID",
    default=None,
    help="Label this run's objects dockready.run=ID (default: a random id), for outside cleanup.",
)
@click.option(
    "--drain-request",
    metavar="PATH",
    default=None,
    help="A slow route (/slow?ms=1500) asked just before SIGTERM: it must be answered "
    "before the process exits.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(report.available()),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "-o", "--output", "outputs", multiple=True, metavar="FORMAT=FILE", help="Also write a report."
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Exit 1 when a finding is at or above this severity [default: error].",
)
@config_options
def verify_cmd(
    path: str,
    service: str | None,
    image_ref: str | None,
    workload: str | None,
    timeout: float,
    keep: bool,
    run_id: str | None,
    drain_request: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    fail_on: str | None,
    config_file: str | None,
    no_config: bool,
) -> None:
    """Build the image of the Go service under PATH and run it in a Docker engine as
    its Kubernetes workload says (user, read-only root, limits, env, volumes, probes,
    preStop, grace period); report what it did as chapter 6 findings.

    Exit codes: 0 passed, 1 findings at or above --fail-on, 2 usage error or no
    engine, 3 internal error. Every container and image it makes is removed at the
    end, on failure and on Ctrl-C too (exit 130), unless --keep.
    """
    try:
        _verify_cmd(
            path,
            service,
            image_ref,
            workload,
            timeout,
            keep,
            run_id,
            drain_request,
            fmt,
            outputs,
            fail_on,
            config_file,
            no_config,
        )
    except KeyboardInterrupt:
        _say("interrupted")
        sys.exit(130)


def _verify_cmd(
    path: str,
    service: str | None,
    image_ref: str | None,
    workload: str | None,
    timeout: float,
    keep: bool,
    run_id: str | None,
    drain_request: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    fail_on: str | None,
    config_file: str | None,
    no_config: bool,
) -> None:
    from dockready.verify.docker import Docker, EngineError, Janitor

    destinations = _parse_outputs(outputs)
    try:
        config = resolve_config(
            [path], config_file=config_file, no_config=no_config, fail_on=fail_on
        )
        project = load_project([path], config, jobs=1)
    except (UsageError, ConfigError) as e:
        _fail(str(e))
        return
    ix, root = project.index, project.root
    svc = _choose(ix, service, path)
    try:
        docker = Docker.find()
    except EngineError as e:
        _fail(str(e))
        return
    janitor = Janitor(docker, keep=keep) if run_id is None else Janitor(docker, run_id, keep)
    try:
        with janitor.guard():
            findings, notices = _verify(
                ix, root, svc, docker, janitor, image_ref, workload, timeout, config, drain_request
            )
    except KeyboardInterrupt:
        left = janitor.leftovers()
        _say(f"interrupted; removed this run's containers and images ({janitor.label})")
        if left and not keep:
            _say(f"could not remove: {left}")
        sys.exit(130)
    except EngineError as e:
        _fail(str(e), 2)
        return
    except Exception as e:  # pragma: no cover - last resort
        _fail(f"internal error: {type(e).__name__}: {e}; {REPORT_BUG}", 3)
        return
    if keep:
        _say(f"kept this run's objects: docker ps -a --filter label={janitor.label}")
    infos = tuple(r.info for r in observed_rules() if config.rule_enabled(r.id))
    summary = service_summary(svc, infos, observed=True)
    result = Result(
        root=str(root),
        findings=tuple(sorted(findings, key=finding_order)),
        services=(summary,),
        notices=tuple(notices),
        files_checked=len(project.files),
        rules=infos,
    )
    for out_fmt, dest in destinations:
        if not dest.parent.is_dir():
            _fail(f"cannot write {dest}: no such directory {dest.parent}")
        dest.write_text(report.render(out_fmt, result), encoding="utf-8")
    if fmt == "text":
        from dockready.report import text

        text.render(result, sys.stdout)
    else:
        sys.stdout.write(report.render(fmt, result))
    threshold = config.fail_on or "error"
    if threshold != "never" and result.at_or_above(Severity.parse(threshold)):
        sys.exit(1)
    sys.exit(0)


def _choose(ix: ProjectIndex, service: str | None, path: str) -> Service:
    services = [s for s in ix.services if s.main is not None]
    if not services:
        _fail(f"no Go service under {path}")
    if service is not None:
        found = [
            s
            for s in services
            if service in (s.name, dns_label(s.name), s.root, s.main.dir if s.main else "")
        ]
        if not found:
            _fail(
                f"no service {service!r} under {path}; services: {', '.join(s.name for s in services)}"
            )
        return found[0]
    if len(services) > 1:
        _fail(
            f"{len(services)} services under {path}: {', '.join(s.name for s in services)}; choose one with --service NAME"
        )
    return services[0]


def _workload(ix: ProjectIndex, svc: Service, wanted: str | None) -> Deployment | None:
    if wanted is None:
        deps = sorted(
            (d for d in svc.deployments if not d.container.init),
            key=lambda d: (d.workload.path, d.workload.kind, d.workload.name, d.container.name),
        )
        if len(deps) > 1:
            w = deps[0].workload
            _say(
                f"{svc.name} runs in {len(deps)} workloads: using {w.path}#{w.kind}/{w.name} "
                "(choose another with --workload FILE#Kind/name)"
            )
        return deps[0] if deps else None
    file, _, ref = wanted.partition("#")
    kind, _, name = ref.partition("/")
    for w in ix.workloads:
        if (
            w.path == posixpath.normpath(file)
            and (not kind or w.kind == kind)
            and (not name or w.name == name)
        ):
            for c in w.containers:
                if not c.init:
                    return Deployment(w, c)
    _fail(f"--workload {wanted}: no such workload in the tree")
    return None


def _verify(
    ix: ProjectIndex,
    root: Path,
    svc: Service,
    docker: object,
    janitor: object,
    image_ref: str | None,
    wanted: str | None,
    timeout: float,
    config: Config,
    drain_request: str | None = None,
) -> tuple[list[Finding], list[Notice]]:
    from dockready.generate.detect import detect
    from dockready.verify import pod
    from dockready.verify.docker import Docker, Janitor
    from dockready.verify.image import inspect
    from dockready.verify.rehearse import BuildResult, Observation, build, rehearse

    assert isinstance(docker, Docker) and isinstance(janitor, Janitor)
    notices: list[Notice] = []
    dep = _workload(ix, svc, wanted)
    b = svc.builds[0] if svc.builds else None
    anchor = (
        dep.container.span
        if dep is not None
        else (b.final.span if b is not None else Span(svc.root))
    )
    if dep is not None:
        plan = pod.from_workload(ix, dep.workload, dep.container)
        _say(f"running {svc.name} as {plan.workload} says")
    else:
        facts = next((f for f in detect(ix, root) if f.root == svc.root), None)
        ports = (
            [facts.port, *(p.port for p in facts.ports)]
            if facts is not None and facts.listens
            else []
        )
        health = facts.ready_path or facts.health_path if facts is not None else None
        plan = pod.restricted(svc.name, ports, health)
        if facts is not None and facts.listen_env:
            plan.env.update(dict(facts.listen_env))
        _say(
            f"no workload for {svc.name}: the restricted default (non-root, read-only root, 128Mi)"
        )
    plan.drain_path = drain_request
    for u in plan.unsupported:
        notices.append(Notice(f"verify: {u}", plan.span))
    obs: Observation
    if image_ref is None:
        if b is None:
            _fail(f"{svc.name} has no Dockerfile joined to it: give --image REF")
            raise AssertionError
        tag = f"dockready-verify/{svc.name.lower()}:{janitor.run_id}"
        context = root / b.context
        _say(f"building {b.dockerfile.path} (context {b.context})")
        build_args = dict.fromkeys(
            (k, v) for r in ix.build_refs if r.dockerfile == b.dockerfile.path for k, v in r.args
        )
        res = build(
            docker,
            janitor,
            root / b.dockerfile.path,
            context,
            tag,
            timeout=max(timeout, 600),
            build_args=list(build_args),
        )
        if not res.ok:
            if res.line is None and res.step:
                res.line = _step_line(b.dockerfile, res.step)
            obs = Observation(
                svc.name, plan, anchor=anchor, dockerfile=b.dockerfile.path, build=res
            )
            return _findings(ix, obs, config), notices
        _say(f"built in {res.seconds:.1f} s; running it")
        image = tag
    else:
        res = BuildResult(True, 0.0)
        image = image_ref
    t0 = time.monotonic()
    facts_img = inspect(docker, janitor, image)
    obs = rehearse(docker, janitor, svc.name, image, plan, timeout, facts_img)
    obs.anchor = anchor
    obs.dockerfile = b.dockerfile.path if b is not None else None
    obs.build = res
    _say(f"ran in {time.monotonic() - t0:.1f} s")
    if obs.timed_out:
        notices.append(Notice(f"verify: the run reached --timeout ({timeout:g} s)", anchor))
    notices.append(Notice(f"verify: {_what_happened(obs)}", anchor))
    findings = _findings(ix, obs, config)
    return _with_twins(ix, svc, obs, findings, config, notices), notices


#: Static rules and the chapter 6 rule that sees the same problem at run time.
TWINS = {
    "DR201": "DR602",
    "DR213": "DR609",
    "DR214": "DR606",
    "DR304": "DR604",
    "DR407": "DR604",
    "DR308": "DR610",
    "DR409": "DR608",
}


def _contradicted(rule_id: str, obs: Observation) -> str | None:
    """Why the run contradicts a static finding of ``rule_id`` (None when it does not
    or the run could not tell)."""
    if rule_id == "DR213" and obs.ready:
        return "GET /debug/pprof/ did not answer on any published port"
    if rule_id == "DR214" and obs.drain is not None:
        d = obs.drain
        if d.seconds is not None and d.exit_code == 0 and d.in_flight != "dropped":
            return f"it stopped cleanly on SIGTERM in {d.seconds:.2f} s"
    if rule_id in ("DR304", "DR407") and obs.uids and not obs.refused and 0 not in obs.uids:
        return f"its processes ran as uid {', '.join(map(str, obs.uids))}"
    if rule_id == "DR409" and obs.plan.read_only and obs.ready:
        return "it was ready under the read-only root"
    elf = obs.image.elf if obs.image is not None else None
    if rule_id == "DR201" and elf is not None and elf.interp is None:
        return "the entrypoint is a static binary"
    return None


def _with_twins(
    ix: ProjectIndex,
    svc: Service,
    obs: Observation,
    findings: list[Finding],
    config: Config,
    notices: list[Notice],
) -> list[Finding]:
    """Say where the run confirms a static finding (on the chapter 6 finding, with the
    static one as related) and where it contradicts one (a notice)."""
    from dockready.engine import run_rules
    from dockready.rules.registry import RULES

    rules = [RULES[i] for i in TWINS if i in RULES and config.rule_enabled(i)]
    static, _ = run_rules(ix, rules, config)
    static = [f for f in static if f.service == svc.name]
    seen = {f.rule_id for f in findings}
    out = []
    for f in findings:
        twins = [s for s in static if TWINS.get(s.rule_id) == f.rule_id]
        if twins:
            s = twins[0]
            f = replace(
                f,
                message=f"{f.message} (confirms {s.rule_id} {s.name} at run time)",
                related=(*f.related, Related(s.span, f"{s.rule_id}: {s.message[:120]}")),
            )
        out.append(f)
    for s in static:
        if TWINS[s.rule_id] in seen:
            continue
        why = _contradicted(s.rule_id, obs)
        if why is not None:
            notices.append(
                Notice(
                    f"verify: {s.rule_id} {s.name} is not seen at run time: {why} "
                    f"({TWINS[s.rule_id]} passed)",
                    s.span,
                )
            )
    return out


def _what_happened(obs: Observation) -> str:
    """The run in one line: what was measured, pass or fail (the evidence behind the
    chapter 6 items, also where they passed)."""
    bits = []
    if obs.image is not None:
        bits.append(f"image {obs.image.size / 1e6:.1f} MB")
    if obs.ready:
        bits.append(f"ready in {obs.ready_seconds or 0:.1f} s")
    elif obs.ready is False:
        bits.append("not ready")
    if obs.uids:
        bits.append(f"uids {', '.join(map(str, obs.uids))}")
    d = obs.drain
    if d is not None:
        stop = (
            f"exited {d.exit_code} {d.seconds:.2f} s after SIGTERM"
            if d.seconds is not None
            else f"killed after {d.allowed:g} s"
        )
        flight = {
            "answered": "; the request in flight was answered",
            "dropped": "; the request in flight was dropped",
        }.get(d.in_flight, "")
        bits.append(stop + flight)
    bits.append(f"{obs.log_lines} log line(s)")
    return ", ".join(bits)


def _step_line(dockerfile: Dockerfile, step: str) -> int | None:
    """The line of the instruction a BuildKit step names (``[build 4/6] RUN go mod
    download``): the one whose text is the step's, whitespace aside."""
    text = " ".join(step.split("] ", 1)[-1].split())
    for st in dockerfile.stages:
        for i in st.instructions:
            if " ".join(i.original.split()) == text:
                return i.span.line
    return None


def _findings(ix: ProjectIndex, obs: object, config: Config) -> list[Finding]:
    out: list[Finding] = []
    for r in observed_rules():
        if not config.rule_enabled(r.id):
            continue
        ctx = Context(ix, config.options_for(r), obs)
        for hit in r.check(ctx):
            out.append(replace(r.finding(hit, ix), service=hit.service))
    return out
