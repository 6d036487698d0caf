"""The project index: every fact of the checked tree, and the edges between them.

Joins (which Dockerfile builds which main package, which workload runs which image)
are made here once, with a confidence rule: an edge exists only when the evidence
names it (a ``go build`` target, an image repository matching the service name, a
compose ``build:``), or when the repository holds exactly one service. Rules that
join files use these edges and never guess on their own.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dockready.facts.config import ConfigFile, configs_read
from dockready.facts.delivery import CIFile
from dockready.facts.docker import BuildRef, Dockerfile, DockerIgnore, GoBuild, Makefile, Stage
from dockready.facts.go import FuncDecl, GoFile, GoMod, VendorModules
from dockready.facts.images import ImageInfo, lookup
from dockready.facts.k8s import (
    ComposeService,
    ConfigMap,
    Container,
    KService,
    Manifests,
    OtherObject,
    Workload,
)
from dockready.model import Span


@dataclass(frozen=True, slots=True)
class GoPackage:
    dir: str
    name: str
    files: tuple[GoFile, ...]

    @property
    def is_main(self) -> bool:
        # ``g.funcs`` is whole here: a file of package main is never skimmed.
        return self.name == "main" and any(f.name == "main" for g in self.files for f in g.funcs)

    def imports(self, path: str) -> bool:
        return any(g.import_of(path) is not None for g in self.files)


@dataclass(frozen=True, slots=True)
class Build:
    """A Dockerfile that builds a service: the ``go build`` (if any) and the stage it
    runs in, the final stage, the build context and its .dockerignore."""

    dockerfile: Dockerfile
    final: Stage
    context: str
    go_build: GoBuild | None = None
    build_stage: Stage | None = None
    dockerignore: DockerIgnore | None = None

    @property
    def base(self) -> ImageInfo | None:
        return lookup(self.dockerfile.external_base(self.final))

    def env(self) -> dict[str, str]:
        return dict(self.final.env)


@dataclass(frozen=True, slots=True)
class Deployment:
    """A workload container that runs a service's image."""

    workload: Workload
    container: Container


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    root: str
    module: GoMod | None
    main: GoPackage | None
    packages: tuple[GoPackage, ...] = ()
    builds: tuple[Build, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    compose: tuple[ComposeService, ...] = ()
    #: The configuration files its code reads (``facts/config.py``).
    configs: tuple[ConfigFile, ...] = ()

    @property
    def files(self) -> Iterator[GoFile]:
        for p in self.packages:
            yield from p.files

    def imports(self, path: str) -> bool:
        return any(p.imports(path) for p in self.packages)


@dataclass(frozen=True, slots=True)
class Declared:
    """What the configuration says belongs to a service (``[services.<name>]``),
    paths relative to the checked root: certain joins, taken before any inference."""

    name: str
    dockerfiles: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    workloads: tuple[str, ...] = ()  # "path#Kind/name"


@dataclass(frozen=True, slots=True)
class ParseError:
    span: Span
    message: str
    kind: str


@dataclass(frozen=True, slots=True)
class ProjectIndex:
    """Every fact of the checked tree and the joins between them; frozen once
    ``build_index`` has made it (its lookup tables included), so rules running in
    parallel, or in a forked child, see one and the same thing."""

    root: str
    go_files: tuple[GoFile, ...] = ()
    modules: tuple[GoMod, ...] = ()
    go_sums: frozenset[str] = frozenset()
    vendors: Mapping[str, VendorModules] = field(default_factory=dict)
    dockerfiles: tuple[Dockerfile, ...] = ()
    dockerignores: tuple[DockerIgnore, ...] = ()
    manifests: tuple[Manifests, ...] = ()
    makefiles: tuple[Makefile, ...] = ()
    #: ``docker build`` commands stated outside the Dockerfiles (compose, skaffold,
    #: workflows, Makefiles, scripts), resolved against the tree.
    build_refs: tuple[BuildRef, ...] = ()
    #: Configuration files the services may read at run time (``facts/config.py``).
    configs: tuple[ConfigFile, ...] = ()
    #: CI files (GitHub workflows, .gitlab-ci.yml): their jobs (``facts/delivery.py``).
    ci_files: tuple[CIFile, ...] = ()
    parse_errors: tuple[ParseError, ...] = ()
    all_paths: frozenset[str] = frozenset()
    packages: Mapping[str, GoPackage] = field(default_factory=dict)
    services: tuple[Service, ...] = ()
    declared: tuple[Declared, ...] = ()
    #: Every Dockerfile with stages as a Build (context, .dockerignore, go build), by path.
    builds: Mapping[str, Build] = field(default_factory=dict)
    #: Lookup tables, made by the builder: go.mod by directory; every discovered file
    #: and directory above one; the service of a joined file and of a directory.
    mod_by_dir: Mapping[str, GoMod] = field(default_factory=dict, repr=False)
    tree: frozenset[str] = field(default=frozenset(), repr=False)
    svc_by_file: Mapping[str, Service | None] = field(default_factory=dict, repr=False)
    svc_by_dir: Mapping[str, Service | None] = field(default_factory=dict, repr=False)
    #: Compose files: each service block's first line and the Go service it runs.
    svc_by_block: Mapping[str, tuple[tuple[int, Service | None], ...]] = field(
        default_factory=dict, repr=False
    )
    #: The services each workload container runs, by ``deployment_key``.
    svc_by_deployment: Mapping[
        tuple[str, str, str, str], tuple[tuple[Deployment, Service], ...]
    ] = field(default_factory=dict, repr=False)
    #: Kubernetes Services by (namespace, label, value) of each selector pair, with
    #: their position; ConfigMaps and Secrets by (namespace, name, secret).
    ksvc_by_label: Mapping[tuple[str, str, str], tuple[tuple[int, KService], ...]] = field(
        default_factory=dict, repr=False
    )
    configmap_by_name: Mapping[tuple[str, str, bool], ConfigMap] = field(
        default_factory=dict, repr=False
    )
    #: Paths discovery was told not to read (``exclude``): what is there is unknown.
    excluded: Callable[[str], bool] = field(default=lambda _p: False, repr=False, compare=False)
    #: The functions of a skimmed Go file (``GoFile.skimmed``), or of one whose
    #: functions were pickled apart (``GoFile.funcs_apart``), read on demand (given by
    #: the engine, which knows where the file and the pickles are).
    func_reader: Callable[[str], tuple[FuncDecl, ...]] = field(
        default=lambda _p: (), repr=False, compare=False
    )

    def funcs(self, g: GoFile) -> tuple[FuncDecl, ...]:
        """The functions and methods ``g`` declares. A skimmed file (the prefilter
        found nothing else in it a rule reads) is parsed for them now, once; those
        pickled apart are unpickled now, once."""
        return self.func_reader(g.path) if g.skimmed or g.funcs_apart else g.funcs

    # -- manifests -----------------------------------------------------------
    @property
    def workloads(self) -> Iterator[Workload]:
        for m in self.manifests:
            yield from m.workloads

    @property
    def kservices(self) -> Iterator[KService]:
        for m in self.manifests:
            yield from m.services

    @property
    def configmaps(self) -> Iterator[ConfigMap]:
        for m in self.manifests:
            yield from m.configmaps

    @property
    def others(self) -> Iterator[OtherObject]:
        for m in self.manifests:
            yield from m.others

    @property
    def compose_services(self) -> Iterator[ComposeService]:
        for m in self.manifests:
            yield from m.compose

    def configmap(self, namespace: str, name: str, secret: bool = False) -> ConfigMap | None:
        return self.configmap_by_name.get((namespace, name, secret))

    def selecting(self, w: Workload) -> list[KService]:
        """The Kubernetes Services that select this workload's pods, in file order
        (the same as ``[k for k in kservices if k.selects(w)]``, through a table)."""
        found: dict[int, KService] = {}
        for k, v in w.labels:
            for i, ks in self.ksvc_by_label.get((w.namespace, k, v), ()):
                if i not in found and ks.selects(w):
                    found[i] = ks
        return [found[i] for i in sorted(found)]

    # -- go ------------------------------------------------------------------
    def module_of(self, path: str) -> GoMod | None:
        """The go.mod that owns a file (the nearest one above it)."""
        d = _dir(path)
        while True:
            m = self.mod_by_dir.get(d)
            if m is not None:
                return m
            if d == ".":
                return None
            d = _dir(d)

    def has_go_sum(self, mod: GoMod) -> bool:
        return posixpath.join(mod.dir, "go.sum") in self.go_sums or (
            mod.dir == "." and "go.sum" in self.go_sums
        )

    def tree_paths(self) -> frozenset[str]:
        """Every discovered file and every directory above one (POSIX, relative)."""
        return self.tree

    def service_of(self, path: str, line: int = 0) -> Service | None:
        """The service a file certainly belongs to, or None: the one a Dockerfile,
        manifest or compose file is joined to, else the nearest folder above it that
        one service's main package, code or root holds. A file or folder two services
        share (a Dockerfile building both, a package both import, a module root with
        two commands) belongs to neither: the nearest claim decides, and an ambiguous
        claim is not passed up to a parent folder. In a compose file, a ``line``
        belongs to the compose service block it is in, and so to the Go service that
        block runs, or to none (a database next to the service is not the service)."""
        blocks = self.svc_by_block.get(path) if line else None
        if blocks:
            owner: tuple[int, Service | None] | None = None
            for b in blocks:
                if b[0] <= line:
                    owner = b
            if owner is not None:
                return owner[1]
        if path in self.svc_by_file:
            return self.svc_by_file[path]
        d = _dir(path)
        while True:
            if d in self.svc_by_dir:
                return self.svc_by_dir[d]
            if d == ".":
                return None
            d = _dir(d)

    def service_named(self, name: str | None) -> Service | None:
        for s in self.services:
            if s.name == name:
                return s
        return None

    def env_for(self, svc: Service, dep: Deployment | None = None) -> dict[str, str]:
        """Environment a service's process sees: Dockerfile ENV, then the workload's
        literal ``env`` and ConfigMap ``envFrom``/``configMapKeyRef`` values, and what
        the platform sets (``PORT`` in a Knative Service)."""
        env: dict[str, str] = {}
        for b in svc.builds[:1]:
            env.update(b.env())
        if dep is not None:
            ns = dep.workload.namespace
            for ef in dep.container.env_from:
                if ef.kind == "configMapRef":
                    cm = self.configmap(ns, ef.name)
                    if cm is not None:
                        env.update({ef.prefix + d.key: d.value for d in cm.data})
            for e in dep.container.env:
                if e.value is not None and e.source is None:
                    env[e.name] = e.value
                elif e.source == "configMapKeyRef":
                    name, _, key = e.ref.partition("/")
                    cm = self.configmap(ns, name)
                    if cm is not None:
                        for d in cm.data:
                            if d.key == key:
                                env[e.name] = d.value
            env.update(dep.workload.platform_env(dep.container))
        return env


def _dir(path: str) -> str:
    return posixpath.dirname(path) or "."


def _within(path: str, d: str) -> bool:
    return d == "." or path == d or path.startswith(d.rstrip("/") + "/")


def _norm(p: str) -> str:
    n = posixpath.normpath(p)
    return "." if n in ("", ".") else n


def _image_repo(image: str) -> str:
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def build_index(
    root: str,
    go_files: list[GoFile],
    modules: list[GoMod],
    go_sums: list[str],
    vendors: list[VendorModules],
    dockerfiles: list[Dockerfile],
    dockerignores: list[DockerIgnore],
    manifests: list[Manifests],
    parse_errors: list[ParseError],
    all_paths: list[str],
    declared: tuple[Declared, ...] = (),
    makefiles: Sequence[Makefile] = (),
    excluded: Callable[[str], bool] | None = None,
    build_refs: Sequence[BuildRef] = (),
    configs: Sequence[ConfigFile] = (),
    ci_files: Sequence[CIFile] = (),
    func_reader: Callable[[str], tuple[FuncDecl, ...]] | None = None,
) -> ProjectIndex:
    """The index of these facts: packages, then the joins (builds, services), then
    the lookup tables, each stage on the frozen index of the one before."""
    by_dir: dict[str, list[GoFile]] = {}
    for g in go_files:
        by_dir.setdefault(g.dir, []).append(g)
    packages = {}
    for d, files in by_dir.items():
        names = [f.package for f in files if f.package]
        name = max(set(names), key=names.count) if names else ""
        packages[d] = GoPackage(d, name, tuple(files))
    facts = ProjectIndex(
        declared=declared,
        root=root,
        go_files=tuple(go_files),
        modules=tuple(modules),
        go_sums=frozenset(go_sums),
        vendors={posixpath.dirname(posixpath.dirname(v.path)) or ".": v for v in vendors},
        dockerfiles=tuple(dockerfiles),
        dockerignores=tuple(dockerignores),
        manifests=tuple(manifests),
        makefiles=tuple(makefiles),
        build_refs=tuple(build_refs),
        configs=tuple(configs),
        ci_files=tuple(ci_files),
        parse_errors=tuple(parse_errors),
        excluded=excluded or (lambda _p: False),
        func_reader=func_reader or (lambda _p: ()),
        all_paths=frozenset(all_paths),
        packages=packages,
        mod_by_dir={m.dir: m for m in modules},
        tree=_tree(all_paths),
    )
    builds = _builds(facts)
    services = _services(facts, builds)
    svc_by_file, svc_by_dir = _service_tables(services)
    return replace(
        facts,
        services=tuple(services),
        builds={b.dockerfile.path: b for b, _ in builds},
        svc_by_file=svc_by_file,
        svc_by_dir=svc_by_dir,
        svc_by_block=_compose_blocks(facts, services),
        svc_by_deployment=_deployment_table(services),
        ksvc_by_label=_kservice_table(facts),
        configmap_by_name=_configmap_table(facts),
    )


def _kservice_table(
    ix: ProjectIndex,
) -> dict[tuple[str, str, str], tuple[tuple[int, KService], ...]]:
    table: dict[tuple[str, str, str], list[tuple[int, KService]]] = {}
    for i, ks in enumerate(ix.kservices):
        for k, v in ks.selector:
            table.setdefault((ks.namespace, k, v), []).append((i, ks))
    return {key: tuple(v) for key, v in table.items()}


def _configmap_table(ix: ProjectIndex) -> dict[tuple[str, str, bool], ConfigMap]:
    table: dict[tuple[str, str, bool], ConfigMap] = {}
    for c in ix.configmaps:
        table.setdefault((c.namespace, c.name, c.secret), c)
    return table


def deployment_key(d: Deployment) -> tuple[str, str, str, str]:
    """A workload container's key in ``svc_by_deployment`` (equal deployments share
    it; two that share it are told apart by equality)."""
    return (d.workload.path, d.workload.kind, d.workload.name, d.container.name)


def _deployment_table(
    services: list[Service],
) -> dict[tuple[str, str, str, str], tuple[tuple[Deployment, Service], ...]]:
    table: dict[tuple[str, str, str, str], list[tuple[Deployment, Service]]] = {}
    for s in services:
        for d in s.deployments:
            table.setdefault(deployment_key(d), []).append((d, s))
    return {k: tuple(v) for k, v in table.items()}


def _compose_blocks(
    ix: ProjectIndex, services: list[Service]
) -> dict[str, tuple[tuple[int, Service | None], ...]]:
    """Per compose file, each compose service's first line and the one Go service
    that runs it (None when no service, or more than one, does)."""
    runs: dict[int, list[Service]] = {}
    for s in services:
        for c in s.compose:
            runs.setdefault(id(c), []).append(s)
    out: dict[str, list[tuple[int, Service | None]]] = {}
    for c in ix.compose_services:
        owners = runs.get(id(c), [])
        out.setdefault(c.path, []).append((c.span.line, owners[0] if len(owners) == 1 else None))
    return {p: tuple(sorted(b, key=lambda x: x[0])) for p, b in out.items()}


def _tree(all_paths: list[str]) -> frozenset[str]:
    out: set[str] = {"."}
    for p in all_paths:
        out.add(p)
        d = posixpath.dirname(p)
        while d and d not in out:
            out.add(d)
            d = posixpath.dirname(d)
    return frozenset(out)


def _service_tables(
    services: list[Service],
) -> tuple[dict[str, Service | None], dict[str, Service | None]]:
    """Which service a file certainly belongs to. A Dockerfile, manifest or compose
    file joined to services maps to the one it is joined to; a folder to the service
    whose main package it is, else to the one service whose code (the packages its
    main imports) it holds, else to the one service rooted there. A file or folder
    that two services claim maps to None: the finding names no service rather than
    a guessed one."""
    joined: dict[str, set[str]] = {}
    for svc in services:
        paths = [b.dockerfile.path for b in svc.builds]
        paths += [d.workload.path for d in svc.deployments]
        paths += [c.path for c in svc.compose]
        for jp in paths:
            joined.setdefault(jp, set()).add(svc.name)
    by_name = {s.name: s for s in services}
    by_file: dict[str, Service | None] = {
        jp: by_name[next(iter(n))] if len(n) == 1 else None for jp, n in joined.items()
    }
    by_dir: dict[str, Service | None] = {}
    claims: dict[str, set[str]] = {}
    for svc in services:
        for p in svc.packages:
            claims.setdefault(p.dir, set()).add(svc.name)
    roots: dict[str, set[str]] = {}
    for svc in services:
        roots.setdefault(svc.root, set()).add(svc.name)
    for d, names in roots.items():
        by_dir[d] = by_name[next(iter(names))] if len(names) == 1 else None
    for d, names in claims.items():
        by_dir[d] = by_name[next(iter(names))] if len(names) == 1 else None
    for svc in services:
        if svc.main is not None:
            by_dir[svc.main.dir] = svc
    return by_file, by_dir


def _stated_contexts(
    ix: ProjectIndex, compose: list[ComposeService]
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Build contexts stated outside the Dockerfiles, by Dockerfile path: by compose
    (the first service that builds it) and by ``docker build`` commands."""
    by_compose: dict[str, str] = {}
    for c in compose:
        if c.build_context is None:
            continue
        ctx = _norm(posixpath.join(_dir(c.path), c.build_context))
        by_compose.setdefault(_norm(posixpath.join(ctx, c.dockerfile or "Dockerfile")), ctx)
    by_refs: dict[str, set[str]] = {}
    for r in ix.build_refs:
        if r.context and r.dockerfile is not None:
            by_refs.setdefault(r.dockerfile, set()).add(r.context)
    return by_compose, by_refs


def _context_for(
    ix: ProjectIndex, df: Dockerfile, stated: tuple[dict[str, str], dict[str, set[str]]]
) -> str:
    by_compose, by_refs = stated
    if df.path in by_compose:
        return by_compose[df.path]
    made = set(by_refs.get(df.path, ()))
    if len(made) == 1:
        return made.pop()
    d = df.dir
    if d in ix.mod_by_dir:
        default = d
    else:
        mod = ix.module_of(df.path)
        default = mod.dir if mod is not None else d
    return _context_from_copies(ix, df, default)


def _context_from_copies(ix: ProjectIndex, df: Dockerfile, default: str) -> str:
    """The build context that holds what the Dockerfile copies: ``default`` (its own
    directory, or its module's), unless an enclosing directory holds more of its
    ``COPY``/``ADD`` sources. ``docker build -f services/api/Dockerfile .`` from the
    repository top is the usual monorepo build: its ``COPY services/api/go.mod``
    exists only from there. Sources are judged on the files discovery lists and
    their directories; globs, variables, URLs and ``.`` say nothing."""
    sources = [
        src.strip("/")
        for st in df.stages
        for c in st.copies
        if c.from_stage is None
        for src in c.sources
        if src.strip("/") not in ("", ".", "./")
        and not any(ch in src for ch in "*?[$")
        and "://" not in src
        and not src.startswith("..")
    ]
    if not sources:
        return default
    present = ix.tree_paths()

    def found(ctx: str) -> int:
        return sum(_norm(posixpath.join(ctx, s)) in present for s in sources)

    best, best_n = default, found(default)
    if best_n == len(sources):
        return default
    ctx = default
    while ctx != ".":
        ctx = _dir(ctx)
        n = found(ctx)
        if n > best_n:
            best, best_n = ctx, n
    return best


def _copied_from(
    ix: ProjectIndex, df: Dockerfile, build: GoBuild, context: str, stage: Stage, t: str
) -> str | None:
    """The package directory of the tree that the builder path of target ``t`` (from
    the go build's WORKDIR) was copied from: the latest single-source ``COPY`` from
    the context whose destination holds it (``COPY services/api services/api`` then
    ``WORKDIR /src/services/api``); None unless that is a package directory."""
    cp = posixpath.normpath(posixpath.join(build.workdir or stage.workdir or "/", t))
    copies = [
        c
        for c in df.copies_before(stage, build.span.line)
        if c.from_stage is None and len(c.sources) == 1
    ]
    for c in reversed(copies):
        dest = c.dest.rstrip("/") or "/"
        if not (cp == dest or cp.startswith(dest.rstrip("/") + "/")):
            continue
        src = c.sources[0].strip("/")
        if any(ch in src for ch in "*?[$") or src.startswith(".."):
            return None
        cand = _norm(posixpath.join(context, src or ".", posixpath.relpath(cp, dest)))
        return cand if cand in ix.packages else None
    return None


def _target_dir(
    ix: ProjectIndex, build: GoBuild, context: str, stage: Stage, df: Dockerfile | None = None
) -> str | None:
    targets = build.targets or (".",)
    t = targets[0]
    mod = ix.module_of(posixpath.join(context, "x"))
    if mod is not None and mod.module and (t == mod.module or t.startswith(mod.module + "/")):
        return _norm(posixpath.join(mod.dir, t[len(mod.module) :].lstrip("/")))
    if t.endswith((".go", "/*")):  # files, or a shell glob of them (cmd/app/*)
        t = posixpath.dirname(t) or "."
    if t.endswith("/..."):
        t = t[:-4]
    gopath = _gopath_target(t, context, stage)
    if gopath is not None:
        return gopath
    if df is not None and not t.startswith("/"):
        copied = _copied_from(ix, df, build, context, stage, t)
        if copied is not None:
            return copied
    if t.startswith("/"):
        # An absolute path inside the builder: strip the directory the context was
        # copied to (the stage WORKDIR, or a COPY destination).
        for base in {stage.workdir, *(c.dest for c in stage.copies if c.from_stage is None)}:
            b = base.rstrip("/")
            if b and (t == b or t.startswith(b + "/")):
                return _norm(posixpath.join(context, t[len(b) :].lstrip("/")))
        return None
    wd_rel = ""
    for c in stage.copies:
        if c.from_stage is None and c.sources in ((".",), ("./",)):
            dest = c.dest.rstrip("/") or "/"
            if dest != stage.workdir.rstrip("/") and stage.workdir.startswith(dest + "/"):
                wd_rel = stage.workdir[len(dest) + 1 :]
    return _norm(posixpath.join(context, wd_rel, t))


def _gopath_target(t: str, context: str, stage: Stage) -> str | None:
    """GOPATH mode: ``COPY . /go/src/github.com/acme/shop`` then ``go build
    github.com/acme/shop/cmd/api`` builds the context's ``cmd/api``."""
    first = t.split("/", 1)[0]
    if t.startswith((".", "/")) or "." not in first:
        return None
    for c in stage.copies:
        if c.from_stage is not None or c.sources not in ((".",), ("./",)):
            continue
        dest = c.dest if c.dest.startswith("/") else posixpath.join(stage.workdir, c.dest)
        at = dest.find("/src/")
        if at < 0:
            continue
        q = dest[at + 5 :].strip("/")
        if q and (t == q or t.startswith(q + "/")):
            return _norm(posixpath.join(context, t[len(q) :].lstrip("/")))
    return None


def _dockerignore_for(ix: ProjectIndex, df: Dockerfile, context: str) -> DockerIgnore | None:
    specific = df.path + ".dockerignore"
    for di in ix.dockerignores:
        if di.path == specific:
            return di
    for di in ix.dockerignores:
        if di.path == posixpath.join(context, ".dockerignore") or (
            context == "." and di.path == ".dockerignore"
        ):
            return di
    return None


def _builds(ix: ProjectIndex) -> list[tuple[Build, str | None]]:
    """Every Dockerfile as a Build, with the main-package dir it builds (if known)."""
    out: list[tuple[Build, str | None]] = []
    stated = _stated_contexts(ix, list(ix.compose_services))
    for df in ix.dockerfiles:
        final = df.final
        if final is None:
            continue
        context = _context_for(ix, df, stated)
        di = _dockerignore_for(ix, df, context)
        lineage = {s.index for s in df.lineage(final)}
        chosen: tuple[GoBuild, Stage] | None = None
        runs = _runs(final)
        for st in df.stages:
            for gb in st.go_builds:
                feeds_final = st.index in lineage or any(
                    df.stage(c.from_stage) is st for c in final.copies
                )
                if chosen is not None and _is_run(chosen[0], runs):
                    continue  # the binary the image runs is found: keep it
                if chosen is None or feeds_final:
                    chosen = (gb, st)
        if chosen is None:
            chosen = _made(ix, df, context, lineage)
        target: str | None = None
        if chosen is not None:
            target = _target_dir(ix, chosen[0], context, chosen[1], df)
        build = Build(
            dockerfile=df,
            final=final,
            context=context,
            go_build=chosen[0] if chosen else None,
            build_stage=chosen[1] if chosen else None,
            dockerignore=di,
        )
        out.append((build, target))
    return out


def _runs(final: Stage) -> str | None:
    """The basename of the program the final stage runs (ENTRYPOINT, else CMD)."""
    inst = (
        final.entrypoint if final.entrypoint is not None and final.entrypoint.value else final.cmd
    )
    if inst is None or not inst.value:
        return None
    words = inst.value if inst.json else inst.value[0].split()
    return posixpath.basename(words[0]) if words else None


def _is_run(gb: GoBuild, runs: str | None) -> bool:
    return runs is not None and gb.output is not None and posixpath.basename(gb.output) == runs


def _made(
    ix: ProjectIndex, df: Dockerfile, context: str, lineage: set[int]
) -> tuple[GoBuild, Stage] | None:
    """The ``go build`` a stage's ``RUN make <target>`` runs: the Makefile is the one
    the stage copied with the build context (``COPY . <dir>``, make run in ``<dir>`` or
    below it), and the build is read from that target's recipe."""
    if not ix.makefiles:
        return None
    from dockready.parse.dockerfile import go_builds_in
    from dockready.parse.makefile import recipe

    by_path = {m.path: m for m in ix.makefiles}
    stages = sorted(df.stages, key=lambda s: s.index not in lineage)
    for st in stages:
        for mc in st.make_calls:
            where = _context_dir(df, st, mc.workdir, context)
            mf = _makefile_in(by_path, where) if where is not None else None
            if mf is None:
                continue
            env = dict(mc.env)
            goals = mc.targets or (None,)
            for goal in goals:
                script = "\n".join(recipe(mf, goal, env))
                gbs = go_builds_in(script, env, mc.workdir, mc.span) if script else []
                if gbs:
                    return gbs[-1], st
    return None


def _makefile_in(by_path: Mapping[str, Makefile], d: str) -> Makefile | None:
    """The Makefile ``make`` reads in ``d``: GNUmakefile, makefile, then Makefile."""
    for name in ("GNUmakefile", "makefile", "Makefile"):
        mf = by_path.get(name if d in (".", "") else f"{d}/{name}")
        if mf is not None:
            return mf
    return None


def _context_dir(df: Dockerfile, st: Stage, workdir: str, context: str) -> str | None:
    """The build-context directory that ``workdir`` holds in this stage, when a
    ``COPY . <dir>`` of the context put it there."""
    for s in df.lineage(st):
        for c in s.copies:
            if c.from_stage is not None or [x.strip("/") for x in c.sources] not in ([""], ["."]):
                continue
            dest = c.dest.rstrip("/") or "/"
            if workdir == dest or workdir.startswith(dest.rstrip("/") + "/"):
                rel = workdir[len(dest) :].strip("/")
                return _norm(posixpath.join(context, rel)) if rel else context
    return None


#: Folder names that say where a main package is, not what it is (``bookinfo/cmd``).
_GENERIC_DIRS = frozenset({"cmd", "app", "main", "src"})


def _service_name(pkg: GoPackage, mod: GoMod | None, root_name: str) -> str:
    if mod is not None and pkg.dir == mod.dir:
        if mod.module:
            return mod.module.rstrip("/").rsplit("/", 1)[-1]
        return posixpath.basename(mod.dir) if mod.dir != "." else root_name
    if pkg.dir != "." and posixpath.basename(pkg.dir) in _GENERIC_DIRS:
        parent = posixpath.dirname(pkg.dir) or "."
        if mod is not None and parent == mod.dir and mod.module:
            return mod.module.rstrip("/").rsplit("/", 1)[-1]
        if parent != "." and posixpath.basename(parent) not in _GENERIC_DIRS:
            return posixpath.basename(parent)
    return posixpath.basename(pkg.dir) if pkg.dir != "." else root_name


def _services(ix: ProjectIndex, builds: list[tuple[Build, str | None]]) -> list[Service]:
    root_name = posixpath.basename(ix.root.rstrip("/")) or "service"
    mains = sorted((p for p in ix.packages.values() if p.is_main), key=lambda p: p.dir)
    compose = list(ix.compose_services)
    workload_pairs = [Deployment(w, c) for w in ix.workloads for c in w.containers if not c.init]
    used_names: set[str] = set()
    services: list[Service] = []
    by_module: dict[str | None, list[GoPackage]] = {}
    for p in ix.packages.values():
        m = ix.module_of(posixpath.join(p.dir, "x.go"))
        by_module.setdefault(m.dir if m is not None else None, []).append(p)
    mods_by_path: dict[str, list[GoMod]] = {}
    for m in ix.modules:
        if m.module:
            mods_by_path.setdefault(m.module, []).append(m)
    for pkg in mains:
        mod = ix.module_of(posixpath.join(pkg.dir, "main.go"))
        name = _service_name(pkg, mod, root_name)
        if name in used_names:
            name = pkg.dir
        used_names.add(name)
        mod_dir = mod.dir if mod is not None else pkg.dir
        if mod is not None:
            packages = _reachable(ix, pkg, mods_by_path)
        else:  # GOPATH mode: import paths cannot be mapped to folders
            packages = tuple(
                p for p in by_module.get(None, [pkg]) if not p.is_main or p.dir == pkg.dir
            )
        services.append(Service(name, mod_dir, mod, pkg, packages))
    # Dockerfiles: by go build target, else by a single service in the same module.
    by_main = {s.main.dir: i for i, s in enumerate(services) if s.main is not None}
    attached: dict[int, list[Build]] = {}
    by_name = {s.name: i for i, s in enumerate(services)}
    # Lookup tables, so that every join below is linear in the number of services.
    roots = Counter(s.root for s in services)
    by_root: dict[str, list[int]] = {}
    by_names: dict[str, list[int]] = {}
    for i, s in enumerate(services):
        by_root.setdefault(s.root, []).append(i)
        for n in _names(s):
            by_names.setdefault(n, []).append(i)
    for build, target in builds:
        idx = next(
            (by_name[d.name] for d in ix.declared
             if d.name in by_name and build.dockerfile.path in d.dockerfiles),
            None,
        )  # fmt: skip
        if idx is None:
            idx = by_main.get(target) if target is not None else None
        if idx is None and target is None and not _runs_other_program(build):
            candidates = [
                i
                for i in _at_or_above(build.dockerfile.path, by_root)
                if (main := services[i].main) is not None
                and (_within(build.dockerfile.path, main.dir) or roots[services[i].root] == 1)
            ]
            idx = candidates[0] if len(candidates) == 1 else None
        if idx is not None:
            attached.setdefault(idx, []).append(build)
    built = set(attached)
    owners: dict[int, int | None] = {}
    for d in workload_pairs:
        owner = _declared_owner(d, ix.declared, by_name)
        owners[id(d)] = owner if owner is not None else _owner(d, services, built, by_names)
    deps_of: dict[int, list[Deployment]] = {}
    for d in workload_pairs:
        o = owners.get(id(d))
        if o is not None:
            deps_of.setdefault(o, []).append(d)
    comp_of = _compose_candidates(compose, services, attached)
    out: list[Service] = []
    for i, s in enumerate(services):
        svc_builds = tuple(attached.get(i, ()))
        deps = tuple(deps_of.get(i, ()))
        comp = tuple(c for c in comp_of.get(i, ()) if _compose_runs(c, s, svc_builds, ix))
        read: tuple[ConfigFile, ...] = ()
        if ix.configs and s.module is not None:
            main_dir = s.main.dir if s.main is not None else s.module.dir
            read = configs_read(ix.configs, s.module.dir, main_dir, s.files)
        out.append(
            Service(s.name, s.root, s.module, s.main, s.packages, svc_builds, deps, comp, read)
        )
    return out


#: Programs that are not a Go service's binary: a Dockerfile that runs one of them
#: (a database, a proxy, another language's runtime) is not joined to a service by
#: where it lies.
_OTHER_PROGRAMS = frozenset(
    {
        "mongod", "mongo", "postgres", "mysqld", "mariadbd", "redis-server", "nginx",
        "httpd", "haproxy", "envoy", "java", "python", "python3", "node", "npm", "yarn",
        "ruby", "php", "php-fpm", "dotnet", "rabbitmq-server", "memcached", "caddy",
    }
)  # fmt: skip


def _runs_other_program(build: Build) -> bool:
    """The final stage's ENTRYPOINT (else CMD) starts a program that is not Go."""
    return _runs(build.final) in _OTHER_PROGRAMS


def _reachable(
    ix: ProjectIndex, main: GoPackage, mods_by_path: Mapping[str, list[GoMod]]
) -> tuple[GoPackage, ...]:
    """The packages of the tree that ``main`` imports, transitively: in its own module,
    in a module a local ``replace`` points at, or in the one module of the tree with
    that path (a sibling module). Packages nobody imports are not the service's code."""
    seen = {main.dir}
    queue = [main]
    while queue:
        pkg = queue.pop()
        mod = ix.module_of(posixpath.join(pkg.dir, "x.go"))
        for g in pkg.files:
            for imp in g.imports:
                d = _import_dir(imp.path, mod, mods_by_path)
                if d is None or d in seen:
                    continue
                dep = ix.packages.get(d)
                if dep is not None and not dep.is_main:
                    seen.add(d)
                    queue.append(dep)
    return tuple(ix.packages[d] for d in sorted(seen))


def _import_dir(
    path: str, mod: GoMod | None, mods_by_path: Mapping[str, list[GoMod]]
) -> str | None:
    """The folder of the tree that holds the package imported as ``path``, when that
    is certain; None for the standard library, dependencies and ambiguous paths."""
    if "." not in path.split("/", 1)[0] and mod is not None and not _under(path, mod.module):
        return None  # the standard library (no dot in the first element)
    if mod is not None:
        if mod.module and _under(path, mod.module):
            return _norm(posixpath.join(mod.dir, path[len(mod.module) :].lstrip("/")))
        for r in mod.local_replaces:
            old = r.old.split("@", 1)[0]
            if _under(path, old):
                base = posixpath.join(mod.dir, r.new)
                return _norm(posixpath.join(base, path[len(old) :].lstrip("/")))
    best = max((m for m in mods_by_path if _under(path, m)), key=len, default=None)
    if best is None or len(mods_by_path[best]) != 1:
        return None
    other = mods_by_path[best][0]
    return _norm(posixpath.join(other.dir, path[len(best) :].lstrip("/")))


def _under(path: str, prefix: str) -> bool:
    return bool(prefix) and (path == prefix or path.startswith(prefix + "/"))


def _names(svc: Service) -> set[str]:
    names = {svc.name}
    if svc.module is not None and svc.module.module:
        names.add(svc.module.module.rsplit("/", 1)[-1])
    if svc.main is not None and svc.main.dir != ".":
        names.add(posixpath.basename(svc.main.dir))
    return names


def _declared_owner(
    dep: Deployment, declared: tuple[Declared, ...], by_name: dict[str, int]
) -> int | None:
    key = f"{dep.workload.path}#{dep.workload.kind}/{dep.workload.name}"
    repo = dep.container.image.split("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    for d in declared:
        if d.name in by_name and (key in d.workloads or repo in d.images):
            return by_name[d.name]
    return None


def _at_or_above(path: str, by_root: dict[str, list[int]]) -> list[int]:
    """The services whose root holds ``path`` (a file), in service order."""
    found: list[int] = []
    d = posixpath.dirname(path) or "."
    while True:
        found.extend(by_root.get(d, ()))
        if d == ".":
            break
        d = posixpath.dirname(d) or "."
    return sorted(found)


def _compose_candidates(
    compose: list[ComposeService], services: list[Service], attached: dict[int, list[Build]]
) -> dict[int, list[ComposeService]]:
    """Per service, the compose services that may run it (``_compose_runs`` decides):
    by the Dockerfile they build, or by their image's name."""
    by_dockerfile: dict[str, list[int]] = {}
    for i, bs in attached.items():
        for b in bs:
            by_dockerfile.setdefault(b.dockerfile.path, []).append(i)
    by_name: dict[str, list[int]] = {}
    for i, s in enumerate(services):
        by_name.setdefault(s.name, []).append(i)
    out: dict[int, list[ComposeService]] = {}
    for c in compose:
        if c.build_context is not None:
            ctx = _norm(posixpath.join(_dir(c.path), c.build_context))
            hits = by_dockerfile.get(_norm(posixpath.join(ctx, c.dockerfile or "Dockerfile")), [])
        elif c.image:
            hits = by_name.get(_image_repo(c.image), [])
        else:
            hits = []
        for i in dict.fromkeys(hits):
            out.setdefault(i, []).append(c)
    return out


def _owner(
    dep: Deployment, services: list[Service], built: set[int], by_names: dict[str, list[int]]
) -> int | None:
    """The one service a workload container runs, or None when that is not certain.

    By name (image repository, workload or container name); among several services
    of that name (two repositories checked together), the one whose tree holds the
    manifest; with no name match, the only service of a repository that holds it."""
    repo = _image_repo(dep.container.image)
    keys = {repo, dep.workload.name, dep.container.name}
    matching = sorted({i for k in keys for i in by_names.get(k, ())})
    if len(matching) > 1:
        inside = [i for i in matching if _within(dep.workload.path, services[i].root)]
        if inside:
            deepest = max(len(services[i].root) for i in inside)
            best = [i for i in inside if len(services[i].root) == deepest]
        else:
            best = matching
        if len(best) > 1:  # services of one tree: the one the image is named after
            best = [i for i in best if services[i].name == repo]
        return best[0] if len(best) == 1 else None
    if matching:
        return matching[0]
    if len(services) == 1 and 0 in built and _within(dep.workload.path, services[0].root):
        return 0
    return None


def _compose_runs(
    c: ComposeService, svc: Service, builds: tuple[Build, ...], ix: ProjectIndex
) -> bool:
    if c.build_context is not None:
        ctx = _norm(posixpath.join(_dir(c.path), c.build_context))
        dfname = c.dockerfile or "Dockerfile"
        dfpath = _norm(posixpath.join(ctx, dfname))
        return any(b.dockerfile.path == dfpath for b in builds)
    if c.image:
        return _image_repo(c.image) == svc.name
    return False
