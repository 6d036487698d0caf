"""Derived views over the index that several rules share: what the final image
contains, who it runs as, which ports and routes a service really serves.

Every answer is three-valued where it matters: ``True``/``False`` when the facts say
so, ``None`` when they do not (an unknown base image). Rules must not report on
``None``: precision beats recall for a tool people gate CI on.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from dockready.facts.docker import Copy, Dockerfile, GoBuild, Instruction, Stage
from dockready.facts.go import (
    Call,
    GoFile,
    GoMod,
    Listener,
    Opaque,
    Route,
    Shutdown,
    Value,
    VendorModules,
    version_tuple,
)
from dockready.facts.images import BaseImage, ImageInfo, lookup
from dockready.facts.index import Build, Deployment, ProjectIndex, Service
from dockready.facts.k8s import ComposeService, Container, Handler, Workload
from dockready.model import Span

# What a final image needs for a capability, as paths a COPY may bring in.
CA_PATHS = (
    "/etc/ssl/certs",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs",
    "/etc/ssl/cert.pem",
    "/etc/ssl",
)
TZ_PATHS = ("/usr/share/zoneinfo", "/usr/share/zoneinfo/")
PASSWD_PATHS = ("/etc/passwd",)
TMP_PATHS = ("/tmp", "/tmp/")


def base_image(build: Build) -> BaseImage | None:
    """Knowledge about the external base of the final stage (None if unknown)."""
    info = lookup(build.dockerfile.external_base(build.final))
    return info.image if info is not None else None


def final_copies(build: Build) -> Iterator[Copy]:
    """COPY/ADD instructions that write into the final image (its whole lineage)."""
    for st in build.dockerfile.lineage(build.final):
        yield from st.copies


def _dest_covers(copy: Copy, path: str) -> bool:
    dest = copy.dest.rstrip("/") or "/"
    target = path.rstrip("/") or "/"
    if dest == target or target.startswith(dest + "/") or dest.startswith(target + "/"):
        return True
    # ``COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/``
    return any(
        posixpath.join(dest, posixpath.basename(s.rstrip("/"))) == target or s.rstrip("/") == target
        for s in copy.sources
    )


def copies_path(build: Build, *paths: str) -> Copy | None:
    """The COPY that puts one of ``paths`` into the final image, if any."""
    for c in final_copies(build):
        if any(_dest_covers(c, p) for p in paths):
            return c
    return None


def has_capability(build: Build, capability: str) -> bool | None:
    """``ca_certs``, ``tzdata``, ``passwd`` or ``tmp`` in the final image?"""
    paths = {
        "ca_certs": CA_PATHS,
        "tzdata": TZ_PATHS,
        "passwd": PASSWD_PATHS,
        "tmp": TMP_PATHS,
    }[capability]
    if copies_path(build, *paths) is not None:
        return True
    if capability == "tmp" and any(
        i.cmd == "WORKDIR" and i.value and i.value[0].rstrip("/") == "/tmp"
        for st in build.dockerfile.lineage(build.final)
        for i in st.instructions
    ):
        return True
    img = base_image(build)
    if img is None:
        return None
    return bool(getattr(img, capability))


def has_tool(build: Build, tool: str) -> bool | None:
    """Is ``tool`` (sh, curl, wget, sleep...) on the final image?"""
    for c in final_copies(build):
        if any(posixpath.basename(s.rstrip("/")) == tool for s in c.sources) or (
            posixpath.basename(c.dest.rstrip("/")) == tool
        ):
            return True
    img = base_image(build)
    if img is None:
        return None
    if tool in ("sh", "/bin/sh"):
        return img.bin_sh
    return img.has_tool(tool)


@dataclass(frozen=True, slots=True)
class User:
    """The effective user of the final image: ``name`` as written (``"65532"``,
    ``"app"``, ``"root"``); ``span`` is the USER instruction (None: the base's default)."""

    name: str
    span: Span | None
    from_base: bool

    @property
    def uid(self) -> int | None:
        head = self.name.split(":", 1)[0]
        if head == "root":
            return 0
        return int(head) if head.isdigit() else None

    @property
    def is_root(self) -> bool | None:
        uid = self.uid
        if uid is not None:
            return uid == 0
        return None if self.from_base else False

    @property
    def numeric(self) -> bool:
        return self.uid is not None


def effective_user(build: Build) -> User | None:
    """Who the container runs as, or None when nobody sets it and the base is unknown."""
    final: Stage = build.final
    if final.user is not None:
        return User(final.user, final.user_span, False)
    img = base_image(build)
    if img is None:
        return None
    return User(img.user, None, True)


def port_of(addr: str | None) -> int | None:
    """``":8080"`` / ``"0.0.0.0:8080"`` / ``"8080"`` / ``"[::]:80"`` -> the port."""
    if addr is None:
        return None
    a = addr.strip()
    if a.startswith("["):
        a = a.rsplit("]", 1)[-1]
    tail = a.rsplit(":", 1)[-1]
    if tail.isdigit():
        p = int(tail)
        return p if 0 < p < 65536 else None
    return None


def host_of(addr: str | None) -> str | None:
    if addr is None or ":" not in addr:
        return None
    a = addr.strip()
    if a.startswith("["):
        return a[1:].split("]", 1)[0]
    return a.rsplit(":", 1)[0]


def is_loopback(host: str | None) -> bool:
    return host is not None and (
        host in ("localhost", "::1", "ip6-localhost") or host.startswith("127.")
    )


@dataclass(frozen=True, slots=True)
class BoundListener:
    """A listener with its address resolved in a given environment."""

    listener: Listener
    file: GoFile
    addr: str | None

    @property
    def port(self) -> int | None:
        return port_of(self.addr)

    @property
    def host(self) -> str | None:
        return host_of(self.addr)


def main_files(svc: Service) -> tuple[GoFile, ...]:
    return svc.main.files if svc.main is not None else ()


def listeners(svc: Service, env: Mapping[str, str] | None = None) -> list[BoundListener]:
    """Every listener of the service, its address resolved with ``env``.

    Listeners in non-main packages are included (servers are often started from an
    ``internal/server`` package)."""
    out = []
    for g in svc.files:
        for lst in g.listeners:
            addr = lst.addr.resolve(env) if lst.addr is not None else None
            out.append(BoundListener(lst, g, addr))
    return out


def env_for(ix: ProjectIndex, svc: Service, dep: Deployment | None = None) -> dict[str, str]:
    return ix.env_for(svc, dep)


def routes(svc: Service) -> list[tuple[Route, GoFile]]:
    return [(r, g) for g in svc.files for r in g.routes]


def route_matches(route: Route, path: str, method: str = "GET") -> bool:
    """Would ``method path`` be served by ``route``? Go 1.22 / ServeMux semantics:
    a pattern ending in ``/`` matches the subtree; ``{x}`` wildcards match a segment;
    ``{x...}`` the rest; a method of GET also serves HEAD."""
    if (
        route.method is not None
        and route.method != method
        and not (route.method == "GET" and method == "HEAD")
    ):
        return False
    pat = route.path
    if pat.endswith("/{$}"):
        return path == pat[:-3]
    if pat == path:
        return True
    if "{" in pat or ":" in pat:
        ps, xs = pat.strip("/").split("/"), path.strip("/").split("/")
        for i, seg in enumerate(ps):
            if (seg.startswith("{") and seg.endswith("...}")) or seg.startswith("*"):
                return True
            if i >= len(xs):
                return False
            if not (seg.startswith("{") or seg.startswith(":")) and seg != xs[i]:
                return False
        return len(ps) == len(xs)
    return route.framework == "net/http" and pat.endswith("/") and path.startswith(pat)


def build_of(ix: ProjectIndex, df: Dockerfile) -> Build | None:
    """The :class:`Build` of any Dockerfile: the one joined to a service when there is
    one, else one made the way the index makes it (build context, ``.dockerignore``)
    but with no ``go build`` edge. None for a Dockerfile without stages. Lets
    per-Dockerfile rules use ``has_tool``/``effective_user`` on unjoined Dockerfiles."""
    for svc in ix.services:
        for b in svc.builds:
            if b.dockerfile.path == df.path:
                return b
    made = ix.builds.get(df.path)
    if made is None:
        return None
    return replace(made, go_build=None, build_stage=None)


def final_runs(build: Build) -> Iterator[Instruction]:
    """RUN instructions that write into the final image (its whole lineage)."""
    for st in build.dockerfile.lineage(build.final):
        for i in st.instructions:
            if i.cmd == "RUN":
                yield i


def shell_words(script: str) -> list[str]:
    """``script`` split into shell words, operators (``&&``, ``|``, ``;``) as their
    own words (a newline becomes ``;``); unbalanced quotes fall back to a whitespace
    split."""
    lexer = shlex.shlex(
        script.replace("\\\n", " ").replace("\n", " ; "), posix=True, punctuation_chars=True
    )
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return script.split()


_PKG_INSTALL = {
    "apk": ("add",),
    "apt-get": ("install",),
    "apt": ("install",),
    "dnf": ("install",),
    "yum": ("install",),
    "microdnf": ("install",),
}
_SH_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;"})


def installed_packages(run: Instruction) -> tuple[str, ...]:
    """Packages a RUN installs with apk/apt-get/apt/dnf/yum/microdnf (versions and
    flags dropped): ``apk add --no-cache curl=8.5.0-r0`` -> ``("curl",)``."""
    out: list[str] = []
    for script in (*run.value[:1], *run.heredocs) if not run.json else (" ".join(run.value),):
        words = shell_words(script)
        i = 0
        while i < len(words):
            w = posixpath.basename(words[i])
            verbs = _PKG_INSTALL.get(w)
            if verbs is None:
                i += 1
                continue
            j = i + 1
            while j < len(words) and words[j].startswith("-"):
                j += 1
            if j < len(words) and words[j] in verbs:
                j += 1
                while j < len(words) and words[j] not in _SH_OPERATORS:
                    if not words[j].startswith("-"):
                        out.append(words[j].split("=", 1)[0])
                    j += 1
            i = j
    return tuple(out)


def installs_tool(build: Build, tool: str) -> bool:
    """Does a RUN of the final image install or fetch ``tool``: a package of that name
    (``apk add curl``) or a word naming it (``wget -O /bin/grpc_health_probe ...``)?
    ``has_tool`` only knows the base image and COPYs; use both."""
    name = posixpath.basename(tool)
    for run in final_runs(build):
        if name in installed_packages(run):
            return True
        text = " ".join((*run.value, *run.heredocs))
        if any(posixpath.basename(w) == name for w in shell_words(text)):
            return True
    return False


# -- pprof and file writes (chapter 4: DR409, DR415) --------------------------

PPROF_IMPORT = "net/http/pprof"
_PPROF_REGISTER = frozenset(
    {
        "github.com/gin-contrib/pprof.Register",
        "github.com/gin-contrib/pprof.RouteRegister",
        "github.com/labstack/echo-contrib/pprof.Register",
        "github.com/gofiber/fiber/v2/middleware/pprof.New",
    }
)


def serves_pprof(svc: Service, handler: str) -> Span | None:
    """Where the router ``handler`` (a listener's handler: ``"default"`` for
    ``http.DefaultServeMux``, else the mux/engine variable) gets pprof, or None.

    ``net/http/pprof`` registers ``/debug/pprof/`` on the default mux in its ``init``,
    so the default mux serves pprof as soon as any file of the service imports it (the
    import is the evidence). Other routers serve it through a ``/debug/pprof`` route
    or a ``pprof.Register(router)`` call (gin-contrib, echo-contrib)."""
    if not handler:
        return None
    for g in svc.files:
        for r in g.routes:
            if r.router == handler and r.path.lstrip("^").startswith("/debug/pprof"):
                return r.span
        for c in g.calls:
            if c.callee in _PPROF_REGISTER and c.args and c.args[0].text.strip() == handler:
                return c.span
    if handler == "default":
        for g in svc.files:
            imp = g.import_of(PPROF_IMPORT)
            if imp is not None:
                return imp.span
    return None


@dataclass(frozen=True, slots=True)
class FileWrite:
    """A place the code writes on the filesystem. ``what`` names the call
    (``os.CreateTemp``, ``lumberjack.Logger``); ``path`` is the file or directory it
    creates or writes into, resolved with the environment (relative as written; None
    when unknown). ``temp`` is true when the path is the temp directory
    (``os.TempDir()``: ``$TMPDIR`` or ``/tmp``)."""

    what: str
    span: Span
    path: str | None
    temp: bool = False


_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREATE", "O_APPEND", "O_TRUNC")
# callee -> (index of the path argument, the path is a temp *directory* when empty)
_FILE_WRITES = {
    "os.Create": (0, False),
    "os.WriteFile": (0, False),
    "os.Mkdir": (0, False),
    "os.MkdirAll": (0, False),
    "os.OpenFile": (0, False),
    "os.CreateTemp": (0, True),
    "os.MkdirTemp": (0, True),
    "io/ioutil.WriteFile": (0, False),
    "io/ioutil.TempFile": (0, True),
    "io/ioutil.TempDir": (0, True),
}
_LUMBERJACK = ("gopkg.in/natefinch/lumberjack.v2.Logger", "github.com/natefinch/lumberjack.Logger")


def temp_dir(env: Mapping[str, str] | None = None) -> str:
    """``os.TempDir()`` in a container: ``$TMPDIR``, else ``/tmp``."""
    return (env or {}).get("TMPDIR") or "/tmp"


def _write_path(
    v: Value | None, env: Mapping[str, str] | None, temp: bool
) -> tuple[str | None, bool]:
    if v is None:
        return None, False
    if temp and v.literal == "":
        return temp_dir(env), True
    parts = v.parts
    if parts and isinstance(parts[0], Opaque) and parts[0].text.strip() == "os.TempDir()":
        rest = Value(v.text, parts[1:]).resolve(env) if len(parts) > 1 else ""
        return (temp_dir(env) + rest if rest is not None else None), True
    return v.resolve(env), False


def file_writes(svc: Service, env: Mapping[str, str] | None = None) -> list[FileWrite]:
    """Every file or directory the service's code creates or writes: ``os.Create``,
    ``os.WriteFile``, ``os.OpenFile`` with a write flag, ``os.Mkdir(All)``,
    ``os.CreateTemp``/``os.MkdirTemp`` (``""`` is the temp directory), the
    ``io/ioutil`` equivalents and ``lumberjack.Logger`` (no ``Filename``: a file in
    the temp directory)."""
    out: list[FileWrite] = []
    for g in svc.files:
        for c in g.calls:
            spec = _FILE_WRITES.get(c.callee)
            if spec is None:
                continue
            if c.callee == "os.OpenFile":
                flags = c.arg(1)
                if flags is None or not any(f in flags.text for f in _WRITE_FLAGS):
                    continue
            idx, temp = spec
            path, is_temp = _write_path(c.arg(idx), env, temp)
            what = c.callee.replace("io/ioutil.", "ioutil.")
            out.append(FileWrite(what, c.span, path, is_temp))
        for lit in g.literals:
            if lit.type not in _LUMBERJACK:
                continue
            fn = lit.field("Filename")
            if fn is None:
                out.append(FileWrite("lumberjack.Logger", lit.span, temp_dir(env), True))
            else:
                path, is_temp = _write_path(fn, env, False)
                out.append(FileWrite("lumberjack.Logger", lit.span, path, is_temp))
    return out


# -- runtime environments: what a service's process sees where it runs -------


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
    unknown (compose ``command:`` is not parsed)."""

    kind: str
    label: str
    env: Mapping[str, str]
    unknown: frozenset[str] = frozenset()
    open: bool = False
    flags: Mapping[str, str | None] | None = None
    build: Build | None = None
    deployment: Deployment | None = None
    compose: ComposeService | None = None

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
        return value.resolve(self.env, flags)


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


def image_argv(build: Build) -> tuple[str, ...] | None:
    """ENTRYPOINT + CMD of the final image as words; None when the Dockerfile sets
    neither (the base image's command, unknown)."""
    st = build.final
    if st.entrypoint is None and st.cmd is None:
        return None
    if st.entrypoint is not None and not st.entrypoint.json:
        return _inst_words(st.entrypoint)  # shell-form ENTRYPOINT ignores CMD
    return (*_inst_words(st.entrypoint), *_inst_words(st.cmd))


def container_argv(container: Container, build: Build | None) -> tuple[str, ...] | None:
    """The command line of a workload container: ``command`` replaces the image's
    ENTRYPOINT (and drops its CMD), ``args`` replaces CMD."""
    if container.command:
        return (*container.command, *container.args)
    if build is None:
        return container.args or None
    if container.args:
        return (*_inst_words(build.final.entrypoint), *container.args)
    return image_argv(build)


def image_runtime(build: Build) -> Runtime:
    """The image run as is (``docker run``): Dockerfile ENV and ENTRYPOINT/CMD."""
    argv = image_argv(build)
    return Runtime(
        "image",
        f"the image ({build.dockerfile.path})",
        build.env(),
        flags=argv_flags(argv) if argv is not None else None,
        build=build,
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
    argv = container_argv(c, build)
    return Runtime(
        "workload",
        f"{dep.workload.kind}/{dep.workload.name}",
        env,
        frozenset(unknown),
        is_open,
        argv_flags(argv) if argv is not None else None,
        build=build,
        deployment=dep,
    )


def compose_runtime(svc: Service, c: ComposeService) -> Runtime:
    """A compose service: Dockerfile ENV overlaid by ``environment``; the command
    line is unknown (compose ``command:`` is not parsed)."""
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
    return Runtime(
        "compose", f"compose service {c.name}", env, frozenset(unknown), build=build, compose=c
    )


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


def runtimes(ix: ProjectIndex, svc: Service, deployed: bool = False) -> list[Runtime]:
    """Every runtime of a service: its images, workload containers (sidecars left
    out, see :func:`is_sidecar`) and compose services. ``deployed``: only workloads
    and compose services, or the images when there are none."""
    placed = [workload_runtime(ix, svc, d) for d in svc.deployments if not is_sidecar(svc, d)]
    placed += [compose_runtime(svc, c) for c in svc.compose]
    images = [image_runtime(b) for b in svc.builds]
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


# -- builder stages: what a go build runs with (chapter 2: DR201-DR204, DR223) --

#: Packages that put a C compiler on a builder (``apk add gcc``, ``build-base``...).
C_COMPILER_PACKAGES = frozenset(
    {"gcc", "clang", "build-base", "build-essential", "g++", "gcc-c++", "musl-gcc"}
)


def stage_image(df: Dockerfile, stage: Stage) -> ImageInfo | None:
    """What we know about the external image a stage is built ``FROM`` (None if
    unknown); for a builder, ``go_version`` is the Go of its ``golang`` tag."""
    return lookup(df.external_base(stage))


def stage_installs(df: Dockerfile, stage: Stage) -> frozenset[str]:
    """Packages the RUNs of a stage and of the stages it is built FROM install."""
    return frozenset(
        pkg
        for st in df.lineage(stage)
        for i in st.instructions
        if i.cmd == "RUN"
        for pkg in installed_packages(i)
    )


def has_c_compiler(df: Dockerfile, stage: Stage) -> bool | None:
    """Is there a C compiler in the stage: the base image's (Debian ``golang`` images
    have gcc) or one a RUN installs (``apk add gcc musl-dev``)? None if unknown."""
    if stage_installs(df, stage) & C_COMPILER_PACKAGES:
        return True
    info = stage_image(df, stage)
    return None if info is None else info.image.gcc


def has_git(df: Dockerfile, stage: Stage) -> bool | None:
    """Is ``git`` in the stage (the base image's, or installed by a RUN)?"""
    if "git" in stage_installs(df, stage):
        return True
    info = stage_image(df, stage)
    return None if info is None else info.image.git


def cgo_enabled(df: Dockerfile, stage: Stage, build: GoBuild) -> bool | None:
    """The effective ``CGO_ENABLED`` of a ``go build``: the value the command sees
    (``ENV``, inline, ``export``), else Go's default: on when a C compiler is present,
    off without one (Go >= 1.20; ``golang:*-alpine`` has no gcc). None when unknown
    (an unknown builder image, a Go older than 1.20 without a compiler, a value that
    is neither 0 nor 1)."""
    if build.cgo is not None:
        value = build.cgo.strip()
        return True if value == "1" else False if value == "0" else None
    cc = has_c_compiler(df, stage)
    if cc is None or cc:
        return cc
    info = stage_image(df, stage)
    version = version_tuple(info.go_version) if info is not None else None
    if version is not None and version < (1, 20):
        return None  # before Go 1.20 cgo defaulted on, compiler or not
    return False


# -- the pod's lifecycle (chapter 4: DR402, DR405, DR406) ---------------------------

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
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
    if prog in _SHELLS and "-c" in cmd[1:-1]:
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
    return [s for s in ix.services if dep in s.deployments]


def is_served(ix: ProjectIndex, w: Workload, c: Container) -> bool:
    """Does Service traffic reach this container? It declares ``ports``, or a
    Kubernetes Service selects its pod and it is the pod's only container."""
    if c.ports:
        return True
    if sum(1 for x in w.containers if not x.init) != 1:
        return False
    return any(k.selects(w) for k in ix.kservices)


def linked_files(ix: ProjectIndex, svc: Service) -> tuple[GoFile, ...]:
    """The Go files that end up in the service's binary, as far as the tree shows: the
    main package and the packages of the service's own module that it imports,
    transitively (imports of other modules are not followed). All of the service's
    files when its main package or module path is unknown. Unlike ``svc.files`` this
    leaves out packages of the module that only other services (or tests) use."""
    mod = svc.module
    if svc.main is None or mod is None or not mod.module:
        return tuple(svc.files)
    seen = {svc.main.dir}
    queue = [svc.main]
    out: list[GoFile] = []
    while queue:
        pkg = queue.pop()
        out.extend(pkg.files)
        for g in pkg.files:
            for imp in g.imports:
                if imp.path != mod.module and not imp.path.startswith(mod.module + "/"):
                    continue
                rel = imp.path[len(mod.module) :].lstrip("/")
                d = posixpath.normpath(posixpath.join(mod.dir, rel))
                d = "." if d in ("", ".") else d
                dep = ix.packages.get(d)
                if dep is not None and d not in seen:
                    seen.add(d)
                    queue.append(dep)
    return tuple(out)


def imports_under(files: Iterable[GoFile], prefixes: Iterable[str]) -> bool:
    """Does any file import one of ``prefixes`` or a package below it
    (``go.uber.org/fx`` covers ``go.uber.org/fx/fxevent``)?"""
    wanted = {p.rstrip("/") for p in prefixes}
    for g in files:
        for imp in g.imports:
            path = imp.path
            if path in wanted:
                return True
            i = path.find("/")
            while i > 0:
                if path[:i] in wanted:
                    return True
                i = path.find("/", i + 1)
    return False


# -- knowledge shared by the rules and by ``dockready init`` (generate/) ----------
# Kept here, not in a rule module: generate/ must not import rules.

#: Modules that only work with cgo (they wrap a C library), with what they wrap.
#: A module matches itself and its sub-paths (``.../confluent-kafka-go/v2/kafka``).
CGO_MODULES: dict[str, str] = {
    "github.com/mattn/go-sqlite3": "SQLite, a C library",
    "gorm.io/driver/sqlite": "mattn/go-sqlite3 (SQLite in C)",
    "github.com/confluentinc/confluent-kafka-go": "librdkafka, a C library",
    "gopkg.in/confluentinc/confluent-kafka-go.v1": "librdkafka, a C library",
    "github.com/miekg/pkcs11": "PKCS#11 modules through C",
    "github.com/godror/godror": "Oracle's ODPI-C",
    "github.com/mattn/go-oci8": "Oracle's OCI client",
    "github.com/ibmdb/go_ibm_db": "the IBM Db2 CLI driver",
    "github.com/linxGnu/grocksdb": "RocksDB, a C++ library",
    "github.com/tecbot/gorocksdb": "RocksDB, a C++ library",
    "github.com/h2non/bimg": "libvips",
    "github.com/davidbyttow/govips": "libvips",
    "gopkg.in/gographics/imagick.v2": "ImageMagick",
    "gopkg.in/gographics/imagick.v3": "ImageMagick",
    "github.com/libgit2/git2go": "libgit2",
    "github.com/ceph/go-ceph": "Ceph's librados",
    "github.com/DataDog/zstd": "zstd in C",
    "github.com/valyala/gozstd": "zstd in C",
}


def vendor_diff(mod: GoMod, vendor: VendorModules) -> list[str]:
    """How ``vendor/modules.txt`` disagrees with go.mod (a required module missing, or
    at another version): ``go build`` in vendor mode then stops with "inconsistent
    vendoring". Empty when they agree."""
    vendored = dict(vendor.modules)
    out: list[str] = []
    for r in mod.requires:
        v = vendored.get(r.path)
        if v is None:
            out.append(f"{r.path} {r.version} is not in vendor/modules.txt")
        elif v != r.version and v != "=>":
            out.append(f"{r.path} is {r.version} in go.mod but {v} in vendor/")
    return out


def cgo_module(path: str) -> str | None:
    """The cgo-only module (a key of :data:`CGO_MODULES`) an import path belongs to."""
    for mod in CGO_MODULES:
        if path == mod or path.startswith(mod + "/"):
            return mod
    return None


#: URL schemes that connect with TLS (verified against the system roots).
TLS_SCHEMES = ("https://", "wss://", "rediss://", "amqps://", "mongodb+srv://", "mqtts://")
#: Cloud SDKs: every call is HTTPS to the provider's API.
CLOUD_SDKS = (
    "cloud.google.com/go",
    "google.golang.org/api",
    "firebase.google.com/go",
    "github.com/aws/aws-sdk-go",
    "github.com/aws/aws-sdk-go-v2",
    "github.com/Azure/azure-sdk-for-go",
)


# -- configuration files the code opens (DR314, dockready init) ---------------

#: Go calls whose first argument is the path of a file they read.
_FILE_READERS = frozenset(
    {
        "os.Open",
        "os.ReadFile",
        "io/ioutil.ReadFile",
        "github.com/BurntSushi/toml.DecodeFile",
        "github.com/ilyakaznacheev/cleanenv.ReadConfig",
        "gopkg.in/ini.v1.Load",
        "github.com/go-ini/ini.Load",
        "github.com/knadh/koanf/providers/file.Provider",
        "github.com/knadh/koanf/v2/providers/file.Provider",
    }
)
_VIPER = "github.com/spf13/viper"
_VIPER_ENV = frozenset({"AutomaticEnv", "BindEnv", "SetEnvPrefix"})
_CONFIG_EXTS = frozenset(
    {".yaml", ".yml", ".json", ".toml", ".ini", ".conf", ".cfg", ".properties", ".hcl"}
)
_VIPER_EXTS = (".yaml", ".yml", ".json", ".toml", ".ini", ".hcl", ".properties", ".env")
_SYSTEM_DIRS = ("/proc/", "/sys/", "/dev/", "/run/", "/var/run/", "/usr/", "/etc/ssl/")


def _viper_call(c: Call, name: str) -> bool:
    if c.callee == f"{_VIPER}.{name}":
        return True
    return c.callee == f".{name}" and c.receiver_pkg == _VIPER


def _literal_arg(c: Call, i: int) -> str | None:
    v = c.arg(i)
    return v.literal if v is not None else None


def _is_app_config(path: str) -> bool:
    ext = posixpath.splitext(path)[1].lower()
    if ext not in _CONFIG_EXTS:
        return False
    # /etc/resolv.conf, /etc/nsswitch.conf and friends are the system's.
    return not (path.startswith(_SYSTEM_DIRS) or posixpath.dirname(path) == "/etc")


def config_opens(g: GoFile) -> Iterator[tuple[Call, tuple[str, ...], str]]:
    """``(call, candidate paths, shown)``: the files a config load needs (any one)."""
    viper_ok = not any(_viper_call(c, n) for c in g.calls for n in _VIPER_ENV)
    for c in g.calls:
        if c.callee not in _FILE_READERS and not (viper_ok and _viper_call(c, "SetConfigFile")):
            continue
        path = _literal_arg(c, 0)
        if path and "$" not in path and _is_app_config(path):
            yield c, (path,), path
    if not viper_ok:
        return
    names = [c for c in g.calls if _viper_call(c, "SetConfigName")]
    dirs = [c for c in g.calls if _viper_call(c, "AddConfigPath")]
    reads = [c for c in g.calls if _viper_call(c, "ReadInConfig")]
    if len(names) != 1 or not dirs or not reads:
        return
    name = _literal_arg(names[0], 0)
    lits = [_literal_arg(d, 0) for d in dirs]
    if not name or any(d is None or "$" in d for d in lits):
        return
    cands = tuple(posixpath.join(d or ".", name + ext) for d in lits for ext in _VIPER_EXTS)
    yield reads[0], cands, f"{name}.* from " + ", ".join(str(d) for d in lits)
