"""What ``dockready init`` needs to know about each service, read from the project
index the way ``check`` reads it (the same facts, the same joins), so that the files
it generates pass ``check``.

Decisions:

- A service needs a ``go.mod``: without one there is no reproducible build to write.
- The port is the first non-loopback listener whose address is known without any
  environment (HTTP servers before gRPC and raw TCP), else the ``Addr`` of an
  ``http.Server`` literal, else 8080. An address read from the environment gives
  ``port_env`` (``":" + os.Getenv("PORT")``) or ``addr_env`` (``os.Getenv("ADDR")``).
- Health and readiness routes are GET routes with a literal path whose last segment
  is a health word, on a router no loopback-only server serves.
- GOPRIVATE: when the module's own host is not a public code host, the requires on
  that same host are private (one pattern: the host).
- Configuration files: the literal paths ``check`` (DR314) sees; relative ones that
  exist next to go.mod are shipped, the others must be mounted (the manifests mount
  them from a ConfigMap with placeholders).
- Warnings, for what no generated file can fix: a listener on loopback only (DR218),
  pprof on the service's listener (DR213), no go.sum (DR205), vendor/ out of sync
  with go.mod (DR204), config files to fill in (DR314). The dog-food test expects
  init to warn wherever ``check`` still finds fault with what it generated.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dockready.facts.config import named_literals
from dockready.facts.derived.build import (
    CLOUD_SDKS,
    TLS_SCHEMES,
    cgo_module,
    embeds_tzdata,
    imports_under,
    linked_files,
    vendor_diff,
    zoneinfo_loads,
)
from dockready.facts.derived.config import Setting, settings
from dockready.facts.derived.envreads import needs
from dockready.facts.derived.files import (
    FileWrite,
    config_opens,
    file_writes,
    spills_multipart,
    under_tmp,
)
from dockready.facts.derived.http import (
    HTTP_KINDS,
    host_of,
    is_loopback,
    ops_route,
    port_of,
    route_matches,
    serves_pprof,
)
from dockready.facts.derived.runtime import drain_timeout
from dockready.facts.go import (
    EnvRef,
    GoFile,
    GoMod,
    Opaque,
    Route,
    Value,
    server_handler,
    serves_router,
)
from dockready.facts.index import ProjectIndex, Service
from dockready.generate.model import InitFacts, PortSpec, dns_label
from dockready.rules.runtime.dr418_liveness_checks_dependencies import (
    dependency_checked as liveness_dependency,
)
from dockready.secrets import setting_secret

#: Module hosts that serve public modules (through the Go module proxy).
PUBLIC_HOSTS = frozenset(
    {
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "codeberg.org",
        "git.sr.ht",
        "golang.org",
        "google.golang.org",
        "cloud.google.com",
        "firebase.google.com",
        "gopkg.in",
        "go.uber.org",
        "k8s.io",
        "sigs.k8s.io",
        "go.opentelemetry.io",
        "go.opencensus.io",
        "go.etcd.io",
        "go.mongodb.org",
        "go.temporal.io",
        "go.elastic.co",
        "gorm.io",
        "entgo.io",
        "gocloud.dev",
        "gonum.org",
        "honnef.co",
        "mvdan.cc",
        "modernc.org",
        "filippo.io",
        "rsc.io",
        "dario.cat",
        "buf.build",
        "connectrpc.com",
        "nhooyr.io",
        "gotest.tools",
        "lukechampine.com",
        "golang.zx2c4.com",
        "cel.dev",
    }
)
#: Hosts reserved for examples and tests (RFC 2606): never private modules.
_EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")

#: Last path segments of liveness and readiness routes, best first.
_HEALTH_WORDS = ("healthz", "livez", "health", "live", "liveness", "healthcheck", "alive", "ping")
_READY_WORDS = ("readyz", "ready", "readiness")
_TLS_CALLS = frozenset(
    {
        "google.golang.org/grpc/credentials.NewTLS",
        "google.golang.org/grpc/credentials.NewClientTLSFromCert",
        "google.golang.org/grpc/credentials.NewClientTLSFromFile",
        "crypto/tls.Dial",
    }
)
_DEFAULT_PORT = 8080
#: Versions of requires that a ``replace`` points at a local directory (nothing to fetch).
_LOCAL_VERSIONS = frozenset({"v0.0.0", "v0.0.0-00010101000000-000000000000"})
#: Names that can only hold the HTTP listen port (not ``<SVC>_SERVICE_PORT``: Kubernetes
#: service links set those).
_PORT_VARIABLE = re.compile(r"PORT|(?:[A-Z0-9]+_)*(?:HTTP|SERVER|LISTEN|APP)_PORT")


def detect(ix: ProjectIndex, base: Path | None = None) -> list[InitFacts]:
    """One :class:`InitFacts` per service that has a ``go.mod``, in index order.

    ``base`` is the checked directory on disk: configuration files are looked up
    there (the index lists only the files ``check`` parses); without it, only those."""
    services = [
        s for s in ix.services if s.module is not None and s.module.module and s.main is not None
    ]
    per_module = Counter(s.root for s in services)
    return [_facts(ix, s, base, per_module[s.root] > 1) for s in services]


#: A service's name in every generated file (see ``model.dns_label``).
service_name = dns_label


def _facts(ix: ProjectIndex, svc: Service, base: Path | None, several: bool) -> InitFacts:
    mod = svc.module
    main = svc.main
    assert mod is not None and main is not None
    name = service_name(svc.name)
    linked = linked_files(ix, svc)
    files = tuple(svc.files)
    routes = _routes(files)
    known, disagree = _known_settings(svc, files)
    listen = _choose(files, routes, known)
    health, ready = _health_routes(files, routes, listen)
    if health is not None and liveness_dependency(ix, svc, health) is not None:
        # The route checks a database or broker: it tells whether the pod can serve
        # (readiness), but a restart does not bring a dependency back (DR418), so
        # liveness asks only that the process accepts connections.
        ready, health = ready or health, None
    configs, missing = _configs(ix, svc, base)
    configs = _with_read_configs(svc, files, configs, base)
    tags, tagged = _build_tags(svc, files, base)
    configs = tuple(dict.fromkeys((*configs, *tagged)))
    configs, secret, secret_warnings = _without_secrets(svc, configs)
    warnings = _warnings(ix, svc, name, listen, missing) + secret_warnings
    missing = tuple(dict.fromkeys((*missing, *secret)))
    writes = file_writes(svc, None, settings(svc).values())
    drain = drain_timeout(svc)
    slow = slow_start(linked)
    vendored = svc.root in ix.vendors
    context, local_modules, outside = build_context(ix, mod, vendored)
    required = _required_env(svc, listen)
    return InitFacts(
        name=name,
        root=svc.root,
        module=mod.module,
        main_pkg=_main_pkg(svc.root, main.dir),
        go_version=mod.go or "1.16",
        toolchain=mod.toolchain,
        cgo=_needs_cgo(linked),
        slow_start=slow is not None,
        slow_start_why=slow,
        context=context,
        local_modules=local_modules,
        vendor=vendored,
        has_go_sum=ix.has_go_sum(mod),
        private_modules=private_modules(mod),
        port=listen.port,
        protocol=_protocol(listen.server.kind) if listen.server is not None else "http",
        ports=_other_ports(svc, files, routes, listen, known),
        port_guess=listen.guess,
        build_tags=tags,
        listens=any(not _debug_only(files, routes, s) for s in _servers(files)),
        port_env=listen.port_env,
        addr_env=listen.addr_env,
        listen_env=listen.env,
        health_path=health,
        ready_path=ready,
        grpc_health=any(g.grpc_health for g in files),
        grpc=any(lst.kind == "grpc" for g in files for lst in g.listeners),
        shutdown_timeout=drain.timeout if drain is not None else None,
        writes_tmp=any(w.temp or under_tmp(w.path) for w in writes)
        or any(spills_multipart(c) for g in files for c in g.calls),
        needs_tls=_needs_tls(files),
        needs_tz=_needs_tz(linked),
        config_files=configs,
        missing_configs=missing,
        write_dirs=_write_dirs(writes),
        dockerfile=f"Dockerfile.{name}" if several else "Dockerfile",
        warnings=warnings + disagree + outside + _required_warning(name, required),
        required_env=required,
    )


def _required_env(svc: Service, listen: _Listen) -> tuple[str, ...]:
    """The variables the code cannot start without (``envreads.needs``: a listen
    port or a connection string read with no default), other than those the image
    sets for listening."""
    own = {listen.port_env, listen.addr_env, *(k for k, _ in listen.env)}
    return tuple(dict.fromkeys(n for _, _, names, _ in needs(svc) for n in names if n not in own))


def _required_warning(name: str, required: tuple[str, ...]) -> tuple[str, ...]:
    if not required:
        return ()
    return (
        f"the code needs {', '.join(required)} (no default): the manifests read "
        f"{'it' if len(required) == 1 else 'them'} from the Secret {name}-env, which you "
        "create, and compose from your environment (DR228)",
    )


def _warnings(
    ix: ProjectIndex, svc: Service, name: str, listen: _Listen, missing: tuple[str, ...]
) -> tuple[str, ...]:
    mod = svc.module
    assert mod is not None
    out: list[str] = []
    if listen.unresolved is not None:
        how = (
            f"assumed {listen.port_env} sets it (ENV {listen.port_env}={listen.port} in the image)"
            if listen.port_env
            else f"assumed :{listen.port}; check EXPOSE and the manifests"
        )
        out.append(f"the listen address {listen.unresolved} cannot be read from the code: {how}")
    if listen.loopback is not None:
        out.append(
            f"the code listens on {listen.loopback} only (loopback): nothing outside the "
            f"container can reach it; listen on :{listen.port} (DR218)"
        )
    server = listen.server
    if (
        listen.loopback is None
        and server is not None
        and server.kind in HTTP_KINDS
        and serves_pprof(svc, server.handler) is not None
    ):
        out.append(
            f"the listener on :{listen.port} serves net/http/pprof (heap dumps, CPU "
            "profiles): the Service and the published port expose it; serve pprof on a "
            "separate listener bound to 127.0.0.1 (DR213)"
        )
    fetched = [r for r in mod.requires if r.version not in _LOCAL_VERSIONS]
    if fetched and not ix.has_go_sum(mod) and mod.dir not in ix.vendors:
        n = len(fetched)
        out.append(
            f"go.mod requires {n} module{'s' if n > 1 else ''} but there is no go.sum: the "
            "build fails until you run go mod tidy and commit go.sum (DR205)"
        )
    vendor = ix.vendors.get(mod.dir)
    diff = vendor_diff(mod, vendor) if vendor is not None else []
    if diff:
        more = f" (+{len(diff) - 1} more)" if len(diff) > 1 else ""
        out.append(
            f"vendor/ is out of sync with go.mod ({diff[0]}{more}): the build fails with "
            "'inconsistent vendoring' until you run go mod vendor (DR204)"
        )
    out.extend(
        f"the code reads {p}, which is not in the tree: the Kubernetes manifests mount it "
        f"from the ConfigMap {name}-config (replace its placeholder with the real file), "
        "or ship it in the image (DR314)"
        for p in missing
    )
    return tuple(out)


def _main_pkg(root: str, main_dir: str) -> str:
    rel = posixpath.relpath(main_dir, root) if root != "." else main_dir
    rel = posixpath.normpath(rel)
    return "." if rel in ("", ".") else "./" + rel


# -- modules ---------------------------------------------------------------------


def build_context(
    ix: ProjectIndex, mod: GoMod, vendored: bool
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The build context the module needs, relative to its root (``"."`` or
    ``"../.."``), the local modules to copy (relative to that context), and warnings.

    ``replace example.com/shared => ../../libs/shared`` makes ``go mod download`` and
    ``go build`` read that directory: a build from the module root fails with
    "no such file or directory", the usual monorepo surprise. The context is then the
    nearest directory holding the module and every local replacement, followed
    transitively through the replacements' own go.mod files. Vendored modules need
    none of it (``go mod vendor`` copies the replaced packages into vendor/). A
    replacement outside the checked tree, or an absolute path, cannot be placed: a
    warning, and the module root stays the context."""
    if vendored or not mod.local_replaces:
        return ".", (), ()
    warnings: list[str] = []
    dirs: list[str] = []
    queue = [mod]
    seen = {mod.dir}
    while queue:
        m = queue.pop(0)
        for r in m.local_replaces:
            where = f"{m.path}:{r.span.line}"
            if r.new.startswith("/"):
                warnings.append(
                    f"{where} replaces {r.old} with {r.new}, an absolute path no build context "
                    "holds: the image build fails; use a relative path inside the repository, "
                    "or vendor the modules (go mod vendor)"
                )
                continue
            d = posixpath.normpath(posixpath.join(m.dir, r.new))
            if d == ".." or d.startswith("../"):
                warnings.append(
                    f"{where} replaces {r.old} with {r.new}, outside the checked directory: "
                    "build the image from a directory that holds it (and run init there), "
                    "or vendor the modules (go mod vendor)"
                )
                continue
            if d in seen:
                continue
            seen.add(d)
            dirs.append(d)
            replaced = next((g for g in ix.modules if g.dir == d), None)
            if replaced is not None:
                queue.append(replaced)
    if not dirs:
        return ".", (), tuple(warnings)
    top = posixpath.commonpath([mod.dir if mod.dir != "." else "", *dirs]) or "."
    if top == mod.dir:
        return ".", (), tuple(warnings)  # replacements inside the module: already there
    up = posixpath.relpath(top, mod.dir)
    local = tuple(sorted(posixpath.relpath(d, top) for d in dirs))
    return up, local, tuple(warnings)


def _host(path: str) -> str:
    return path.split("/", 1)[0]


def _public(host: str) -> bool:
    return (
        "." not in host
        or host in PUBLIC_HOSTS
        or any(host == h or host.endswith("." + h) for h in _EXAMPLE_HOSTS)
    )


def private_modules(mod: GoMod) -> tuple[str, ...]:
    """GOPRIVATE patterns: the module's own host when it is a private one and the
    module requires modules from it."""
    host = _host(mod.module)
    if _public(host):
        return ()
    if any(_host(r.path) == host for r in mod.requires):
        return (host,)
    return ()


#: Start-up work that can keep the listener down for long (a startupProbe then keeps
#: the liveness probe from killing the pod mid-way): schema migrations, and retrying a
#: dependency until it answers. Import prefixes, and what they mean.
SLOW_START_IMPORTS = (
    ("github.com/golang-migrate/migrate", "runs schema migrations (golang-migrate)"),
    ("github.com/pressly/goose", "runs schema migrations (goose)"),
    ("github.com/rubenv/sql-migrate", "runs schema migrations (sql-migrate)"),
    ("github.com/cenkalti/backoff", "retries its dependencies with backoff (cenkalti/backoff)"),
    ("github.com/avast/retry-go", "retries its dependencies (retry-go)"),
)


def slow_start(files: Iterable[GoFile]) -> str | None:
    """Why the service may take long to start, from the files linked into it: a
    migration or retry library it imports, or gorm's ``AutoMigrate``; None if
    nothing says so."""
    files = tuple(files)
    for prefix, why in SLOW_START_IMPORTS:
        if imports_under(files, (prefix,)):
            return why
    for g in files:
        for c in g.calls:
            if c.callee.endswith(".AutoMigrate"):
                return "runs schema migrations (gorm AutoMigrate)"
    return None


def _needs_cgo(files: Iterable[GoFile]) -> bool:
    return any(
        g.cgo is not None or any(cgo_module(imp.path) is not None for imp in g.imports)
        for g in files
    )


# -- the listener and its routes ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Server:
    """A server the code starts: a listener, or an ``http.Server`` literal (whose
    ``ListenAndServe`` may be called somewhere the facts cannot follow)."""

    addr: Value | None
    kind: str
    handler: str  # "default" (http.DefaultServeMux), a router expression, or "" unknown
    where: str = ""  # file:line

    def serves(self, route: Route) -> bool:
        return serves_router(self.handler, route.router)


@dataclass(frozen=True, slots=True)
class _Listen:
    """Where the service listens, and what the image sets so that it listens there."""

    port: int
    port_env: str | None = None
    addr_env: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    server: _Server | None = None
    loopback: str | None = None  # the loopback address when nothing can change it
    unresolved: str | None = None  # the address expression when it cannot be read
    guess: str | None = None  # the address and where, when the port is a pure guess


def _servers(files: tuple[GoFile, ...]) -> list[_Server]:
    out: list[_Server] = []
    for g in files:
        out.extend(
            _Server(lst.addr, lst.kind, lst.handler, f"{g.path}:{lst.span.line}")
            for lst in g.listeners
        )
    for g in files:
        for lit in g.literals:
            if lit.type != "net/http.Server":
                continue
            where = f"{g.path}:{lit.span.line}"
            out.append(
                _Server(lit.field("Addr"), "http", server_handler(lit.field("Handler")), where)
            )
    return out


#: Listener kinds by the protocol they serve (the rest: "tcp").
_HTTP_SERVERS = HTTP_KINDS | {"hertz", "kratos-http", "go-zero-http"}
_GRPC_SERVERS = frozenset({"grpc", "kratos-grpc", "go-zero-grpc"})


def _protocol(kind: str) -> str:
    if kind in _HTTP_SERVERS:
        return "http"
    return "grpc" if kind in _GRPC_SERVERS else "tcp"


def _known_settings(
    svc: Service, files: tuple[GoFile, ...]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Values the listen addresses take from the configuration files the service
    reads (``facts/derived/config.py``), and warnings where those files disagree
    (``conf/dev`` and ``conf/online``): the production-like one is used."""
    st = settings(svc)
    if not st.files:
        return {}, ()
    known: dict[str, str] = {}
    warnings: list[str] = []
    for s in _servers(files):
        if s.addr is None:
            continue
        for p in s.addr.parts:
            if not isinstance(p, Opaque) or p.text in known:
                continue
            found = st.lookup(p.text)
            if not found:
                continue
            agreed = st.value(p.text)
            chosen = agreed or min(found, key=_production_first)
            known[p.text] = chosen.entry.value
            if agreed is None:
                others = ", ".join(
                    f"{x.entry.value!r} in {x.file.path}" for x in found if x is not chosen
                )
                warnings.append(
                    f"the listen address {p.text} is {chosen.entry.value!r} in "
                    f"{chosen.file.path}:{chosen.entry.span.line} (used) but {others}: "
                    "check the port for each environment"
                )
    return known, tuple(warnings)


_PRODUCTION = ("prod", "online", "release", "live")


def _production_first(s: Setting) -> tuple[int, str]:
    path = s.file.path.lower()
    return (0 if any(w in path for w in _PRODUCTION) else 1, path)


def _health_word(path: str) -> tuple[str, int] | None:
    last = path.rstrip("/").rsplit("/", 1)[-1].lower()
    for kind, words in (("health", _HEALTH_WORDS), ("ready", _READY_WORDS)):
        if last in words:
            return kind, words.index(last)
    return None


def _listen(server: _Server, known: Mapping[str, str]) -> _Listen | None:
    """Where ``server`` listens with no environment (``known``: what configuration
    files give opaque parts), and the environment that makes it listen on every
    interface; None when its address is unknown."""
    v = server.addr
    if v is None:
        return None
    parts = v.parts
    env: list[tuple[str, str]] = []
    resolved = v.resolve({}, None, known)
    port = port_of(resolved)
    last = parts[-1] if parts else None
    port_env = addr_env = None
    if isinstance(last, EnvRef):
        whole = len(parts) == 1
        if port is None and last.default is None:
            port = _DEFAULT_PORT  # ":" + os.Getenv("PORT") with no fallback
        if port is not None and whole:
            addr_env = last.name
            env.append((last.name, f":{port}"))
        elif port is not None and isinstance(parts[-2], str) and parts[-2].endswith(":"):
            port_env = last.name
            env.append((last.name, str(port)))
    if port is None:
        return None
    loopback = None
    if is_loopback(host_of(resolved)) and addr_env is None:
        # (With ``addr_env`` the image sets the whole address, ``:<port>``: the
        # loopback default never applies.)
        first = parts[0]
        if isinstance(first, EnvRef) and len(parts) > 1:
            env.insert(0, (first.name, "0.0.0.0"))  # HOST defaults to 127.0.0.1
        else:
            loopback = resolved
    return _Listen(port, port_env, addr_env, tuple(env), server, loopback)


def _debug_only(files: tuple[GoFile, ...], routes: list[Route], server: _Server) -> bool:
    """A debug port: a server of the default mux when net/http/pprof or expvar
    registers on it and every route of the default mux is an operations route; a
    server of another router whose routes are all operations routes, ``/debug/...``
    among them (``/debug/vars`` alone). Not the service's port: never published."""
    if not server.handler or server.kind not in HTTP_KINDS:
        return False
    mine = [r for r in routes if r.router == server.handler]
    if server.handler != "default":
        return (
            bool(mine)
            and all(ops_route(r) for r in mine)
            and any(r.path.lstrip("^").startswith("/debug") for r in mine)
        )
    if not any(g.import_of(i) is not None for g in files for i in ("net/http/pprof", "expvar")):
        return False
    return all(ops_route(r) for r in mine)


def _choose(files: tuple[GoFile, ...], routes: list[Route], known: Mapping[str, str]) -> _Listen:
    """The service's public listener: one that serves a health route, an HTTP one,
    one that does not serve pprof, the first; loopback-only ones last."""
    pprof = any(g.import_of("net/http/pprof") is not None for g in files)
    best: tuple[tuple[int, ...], _Listen] | None = None
    unknown: tuple[tuple[int, ...], _Server] | None = None
    for i, server in enumerate(_servers(files)):
        if _debug_only(files, routes, server):
            continue
        health = any(server.serves(r) and _health_word(r.path) for r in routes)
        lst = _listen(server, known)
        if lst is None:
            urank: tuple[int, ...] = (
                health,
                bool(server.handler),
                _protocol(server.kind) == "http",
                -i,
            )
            if unknown is None or urank > unknown[0]:
                unknown = (urank, server)
            continue
        rank: tuple[int, ...] = (
            lst.loopback is None,
            health,
            _protocol(server.kind) == "http",
            not (pprof and server.handler == "default"),
            -i,
        )
        if best is None or rank > best[0]:
            best = (rank, lst)
    if best is not None and (best[1].loopback is None or unknown is None):
        return best[1]
    # A server whose address we cannot read (``":" + cfg.port``): the default port, set
    # through the one environment variable that names the HTTP port, if the code reads it.
    if unknown is None:
        servers = [s for s in _servers(files) if not _debug_only(files, routes, s)]
        if servers:  # only a debug listener besides servers with no address at all
            s = servers[0]
            return _Listen(_DEFAULT_PORT, server=s, unresolved="unknown", guess=s.where)
        return _Listen(_DEFAULT_PORT)
    fallback = unknown[1]
    text = fallback.addr.text if fallback.addr is not None else "unknown"
    env = _port_variable(files)
    if env is None:
        guess = f"{text} ({fallback.where})" if fallback.addr is not None else fallback.where
        return _Listen(_DEFAULT_PORT, server=fallback, unresolved=text, guess=guess)
    port = str(_DEFAULT_PORT)
    return _Listen(_DEFAULT_PORT, env, None, ((env, port),), fallback, unresolved=text)


def _other_ports(
    svc: Service,
    files: tuple[GoFile, ...],
    routes: list[Route],
    main: _Listen,
    known: Mapping[str, str],
) -> tuple[PortSpec, ...]:
    """Every other port the service serves, named by protocol (``metrics`` for a
    server whose routes are all operations routes); debug listeners and loopback
    ones are left out (DR415, DR218)."""
    if main.server is None:
        return ()
    taken = {main.port}
    names = {_protocol(main.server.kind)}
    out: list[PortSpec] = []
    servers = sorted(_servers(files), key=lambda s: s.kind == "tcp")  # Serve(lis) first
    for server in servers:
        lst = _listen(server, known)
        if lst is None or lst.loopback is not None or lst.port in taken:
            continue
        if _debug_only(files, routes, server) or (
            server.kind in HTTP_KINDS and serves_pprof(svc, server.handler) is not None
        ):
            continue
        protocol = _protocol(server.kind)
        served = [r for r in routes if server.handler and server.serves(r)]
        name = "metrics" if served and all(ops_route(r) for r in served) else protocol
        if name in names:
            name = f"{name}-{lst.port}"[:15]
        taken.add(lst.port)
        names.add(name)
        out.append(PortSpec(name, lst.port, protocol))
    return tuple(out)


def _port_variable(files: tuple[GoFile, ...]) -> str | None:
    """The environment variable the code reads that can only be the HTTP port
    (``PORT``, ``ORDERS_HTTP_PORT``, ``LISTEN_PORT``...), when there is exactly one."""
    names = {
        v.literal
        for g in files
        for c in g.calls_to("os.Getenv", "os.LookupEnv")
        if (v := c.arg(0)) is not None and v.literal
    }
    found = sorted(n for n in names if _PORT_VARIABLE.fullmatch(n))
    return found[0] if len(found) == 1 else None


def _routes(files: tuple[GoFile, ...]) -> list[Route]:
    return [r for g in files for r in g.routes]


def _probe_path(r: Route) -> str | None:
    """The path a GET probe can use for a route, or None (a wildcard, a host, a
    method other than GET)."""
    if r.method not in (None, "GET") or r.host:
        return None
    path = r.path.strip()
    if path.endswith("/{$}"):
        path = path[:-3]
    if not path.startswith("/") or any(ch in path for ch in "{}*:"):
        return None
    return path if route_matches(r, path) else None


def _health_routes(
    files: tuple[GoFile, ...], routes: list[Route], listen: _Listen
) -> tuple[str | None, str | None]:
    """The best liveness and readiness paths served on the chosen listener: by its
    router, or (its router unknown) on a router no other server serves."""
    servers = _servers(files)
    chosen = listen.server
    if chosen is not None and chosen.handler:
        served = [r for r in routes if chosen.serves(r)]
    else:
        served = [r for r in routes if not any(s.handler and s.serves(r) for s in servers)]
    best: dict[str, tuple[int, int, str]] = {}
    for r in served:
        path = _probe_path(r)
        word = _health_word(path) if path is not None else None
        if path is None or word is None:
            continue
        kind, rank = word
        key = (rank, len(path), path)
        if kind not in best or key < best[kind]:
            best[kind] = key
    health = best["health"][2] if "health" in best else None
    ready = best["ready"][2] if "ready" in best else None
    return health, ready


# -- what the process needs from the image -----------------------------------------


def _needs_tls(files: tuple[GoFile, ...]) -> bool:
    if imports_under(files, CLOUD_SDKS):
        return True
    for g in files:
        if any(s.value.lower().startswith(TLS_SCHEMES) for s in g.strings):
            return True
        if any(c.callee in _TLS_CALLS for c in g.calls):
            return True
    return False


def _needs_tz(files: tuple[GoFile, ...]) -> bool:
    """Does the binary load zones from the image (DR216's question, asked of code that
    has no image yet)?"""
    return not embeds_tzdata(files) and bool(zoneinfo_loads(files, lambda v: [v.literal]))


def _write_dirs(writes: list[FileWrite]) -> tuple[str, ...]:
    out: set[str] = set()
    for w in writes:
        if w.temp or w.path is None or under_tmp(w.path) or "$" in w.path:
            continue
        p = posixpath.normpath(posixpath.join("/", w.path))
        out.add(p if w.what.startswith("os.Mkdir") else posixpath.dirname(p))
    return tuple(sorted(out))


def _configs(
    ix: ProjectIndex, svc: Service, base: Path | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(shipped, missing)``: config files the code opens at relative paths that the
    tree holds (relative to the service root), and container paths to mount."""
    shipped: list[str] = []
    missing: list[str] = []
    for g in svc.files:
        for _call, paths, _shown in config_opens(g):
            found = next(
                (p for p in map(_relative, paths) if p and _exists(ix, svc, base, p)), None
            )
            if found is not None:
                shipped.append(found)
                continue
            first = paths[0]
            missing.append(posixpath.normpath(posixpath.join("/", first)))
    return tuple(dict.fromkeys(shipped)), tuple(dict.fromkeys(missing))


def _with_read_configs(
    svc: Service, files: tuple[GoFile, ...], configs: tuple[str, ...], base: Path | None
) -> tuple[str, ...]:
    """``configs`` plus what the code reads from the configuration files and
    directories it names (``facts/config.py``): each shipped where the name points
    from the process's working directory, ``/`` (``"conf"`` -> ``/conf``,
    ``"../../configs"`` -> ``/configs``), when that is where the tree holds it
    relative to the module root."""
    if not svc.configs or svc.module is None:
        return configs
    root = svc.module.dir
    rels = {c.path if root in (".", "") else posixpath.relpath(c.path, root) for c in svc.configs}
    out = list(configs)
    for lit in sorted(named_literals(files)):
        if lit.startswith("/"):
            continue
        at = posixpath.normpath(posixpath.join("/", lit)).lstrip("/")
        if at and any(r == at or r.startswith(at + "/") for r in rels):
            out.append(at)
    return _outermost(out)


def _without_secrets(
    svc: Service, configs: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``configs`` less the configuration files that hold credentials (DR308): those
    are mounted at run time (their container paths, second) instead of baked into
    the image, with a warning each (third). A directory that holds one is shipped as
    its other configuration files."""
    if not svc.configs or svc.module is None:
        return configs, (), ()
    root = svc.module.dir

    def rel(path: str) -> str:
        return path if root in (".", "") else posixpath.relpath(path, root)

    secrets: dict[str, list[str]] = {}
    for cf in svc.configs:
        keys = [".".join(e.key) for e in cf.entries if setting_secret(e.key, e.value)]
        if keys:
            secrets[rel(cf.path)] = keys
    if not secrets:
        return configs, (), ()
    shipped: list[str] = []
    mounted: list[str] = []
    for c in configs:
        inside = [p for p in secrets if p == c or p.startswith(c + "/")]
        if not inside:
            shipped.append(c)
            continue
        mounted.extend(posixpath.join("/", p) for p in inside)
        if c not in secrets:  # a directory: its other configuration files
            shipped.extend(
                r
                for cf in svc.configs
                if (r := rel(cf.path)).startswith(c + "/") and r not in secrets
            )
    warnings = tuple(
        f"{p} holds credentials ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''}): "
        "not copied into the image, where anyone who pulls it can read them; the manifests "
        "mount it at run time (put the real file in a Secret, or read the values from the "
        "environment) (DR308)"
        for p, keys in secrets.items()
        if posixpath.join("/", p) in mounted
    )
    return tuple(dict.fromkeys(shipped)), tuple(dict.fromkeys(mounted)), warnings


def _outermost(paths: Iterable[str]) -> tuple[str, ...]:
    """``paths`` less those inside another one (``conf`` covers ``conf/app.ini``)."""
    ps = list(dict.fromkeys(paths))
    return tuple(p for p in ps if not any(q != p and p.startswith(q + "/") for q in ps))


#: Build-constraint words that are platforms or toolchain facts, not feature tags.
_NOT_TAGS = re.compile(
    r"go1\.\d+|cgo|ignore|gc|gccgo|unix|linux|darwin|windows|freebsd|amd64|arm64|386|arm|wasm|js|wasip1"
)


def _build_tags(
    svc: Service, files: tuple[GoFile, ...], base: Path | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The build tags of the service's migration step, and the directories it reads
    migrations from: a file behind ``//go:build migrate`` that imports a migration
    library is compiled only with ``-tags migrate``; its ``file://migrations`` (or
    the directory it hands goose) must be in the image, at ``/migrations``."""
    tags: list[str] = []
    dirs: list[str] = []
    for g in files:
        if not imports_under((g,), tuple(p for p, _ in SLOW_START_IMPORTS[:3])):
            continue
        if g.build:
            for word in re.findall(r"!?\w+", g.build):
                if not word.startswith("!") and not _NOT_TAGS.fullmatch(word):
                    tags.append(word)
        for c in g.calls:
            for a in c.args:
                lit = a.literal
                if not lit:
                    continue
                path = lit.removeprefix("file://")
                rel = _relative(path)
                if rel and _is_dir(svc, base, rel):
                    dirs.append(rel)
    return tuple(dict.fromkeys(tags)), _outermost(dirs)


def _is_dir(svc: Service, base: Path | None, rel: str) -> bool:
    if base is None:
        return False
    return (base / posixpath.normpath(posixpath.join(svc.root, rel))).is_dir()


def _relative(path: str) -> str | None:
    if path.startswith("/"):
        return None
    p = posixpath.normpath(path)
    return None if p in (".", "..") or p.startswith("../") else p


def _exists(ix: ProjectIndex, svc: Service, base: Path | None, rel: str) -> bool:
    in_tree = posixpath.normpath(posixpath.join(svc.root, rel))
    if base is not None:
        return (base / in_tree).is_file()
    return in_tree in ix.all_paths
