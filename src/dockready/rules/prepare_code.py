"""Chapter 2 · Getting the code container-ready: the code side (seed ch.2, 4.2).

Logs, health endpoints, pprof, graceful shutdown, and what the code needs from the
final image (CA certificates, zoneinfo).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts import effective as eff
from dockready.facts.go import (
    Call,
    CompositeLit,
    EnvRef,
    FlagRef,
    GoFile,
    Listener,
    Route,
    Shutdown,
    SignalHandler,
    Value,
)
from dockready.facts.index import Build, ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

# --------------------------------------------------------------------------- shared


def _code(svc: Service) -> list[GoFile]:
    """The service's Go files (discovery already leaves ``_test.go`` files out)."""
    return list(svc.files)


def _runtimes(ix: ProjectIndex, svc: Service) -> list[eff.Runtime]:
    """Where the service runs: its workloads and compose services, else its images,
    else the code alone (every variable unset: the code's fallbacks apply)."""
    return eff.runtimes(ix, svc, deployed=True) or [eff.Runtime("code", "the code", {})]


def _origin(v: Value) -> str:
    """The expression a value comes from: ``f`` assigned from ``os.OpenFile(...)``
    gives that call's text."""
    if len(v.parts) == 1 and not isinstance(v.parts[0], str):
        p = v.parts[0]
        if not isinstance(p, (EnvRef, FlagRef)):
            return p.text.lstrip("&").strip()
    return v.text.lstrip("&").strip()


def _prefix(v: Value, rt: eff.Runtime) -> str:
    """The leading part of a value that is known where it runs (``"https://api" +
    path`` -> the URL base): environment lookups resolved in ``rt`` (their fallback
    when ``rt`` surely does not set them), flags by their default."""
    out: list[str] = []
    for p in v.parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, EnvRef):
            x = rt.env.get(p.name)
            if x is None and rt.sets(p.name) is False:
                x = p.default
            if x is None:
                break
            out.append(x)
        elif isinstance(p, FlagRef):
            if p.default is None:
                break
            out.append(p.default)
        else:
            break
    return "".join(out)


def _quoted(text: str) -> str:
    return f'"{text}"'


def _loc(span: Span) -> str:
    return f"{span.path}:{span.line}"


# --------------------------------------------------------------------------- DR211

_OPENERS = frozenset({"os.OpenFile", "os.Create"})
# Functions and methods whose first argument is where logs go.
_LOG_SINKS = frozenset(
    {
        "log.SetOutput",
        "log/slog.NewJSONHandler",
        "log/slog.NewTextHandler",
        "github.com/sirupsen/logrus.SetOutput",
    }
)
_LOG_SINK_PKGS = frozenset({"log", "github.com/sirupsen/logrus"})
_STD_STREAMS = frozenset({"os.Stdout", "os.Stderr"})
_LUMBERJACK = frozenset(
    {"gopkg.in/natefinch/lumberjack.v2.Logger", "github.com/natefinch/lumberjack.Logger"}
)
_ZAP_CONFIG = "go.uber.org/zap.Config"
_ZAP_PATHS = ("OutputPaths", "ErrorOutputPaths")
_READ_ONLY_FLAGS = ("O_WRONLY", "O_RDWR", "O_APPEND", "O_CREATE", "O_TRUNC")


def _is_sink(c: Call) -> bool:
    if c.callee in _LOG_SINKS:
        return True
    return c.callee == ".SetOutput" and (
        c.receiver_pkg in _LOG_SINK_PKGS
        or c.receiver in ("log.Default()", "logrus.StandardLogger()")
    )


def _opened_path(c: Call) -> str:
    """The file ``os.OpenFile``/``os.Create`` opens, as readable as the facts allow."""
    v = c.arg(0)
    if v is None:
        return "?"
    known = v.resolve()
    return known if known is not None else v.text


def _writes(c: Call) -> bool:
    """False for an ``os.OpenFile`` that only reads."""
    if c.callee != "os.OpenFile":
        return True
    flags = c.arg(1)
    return flags is None or any(f in flags.text for f in _READ_ONLY_FLAGS)


def _is_log_path(path: str) -> bool:
    return path.lower().endswith(".log")


def _opener_for(g: GoFile, sink: Call, origin: str) -> Call | None:
    """The ``os.OpenFile``/``os.Create`` call whose result the sink writes to."""
    os_imp = g.import_of("os")
    os_name = os_imp.name if os_imp is not None else "os"
    for c in g.calls:
        if c.callee in _OPENERS and c.func == sink.func and c.args:
            head = f"{os_name}.{c.name}({c.args[0].text}"
            if origin.startswith(head):
                return c
    return None


def _slice_strings(v: Value) -> list[str]:
    """The string items of a ``[]string{"a", "b"}`` value (the facts give its text)."""
    text = _origin(v)
    if "{" not in text or not text.endswith("}"):
        return [v.literal] if v.literal is not None else []
    body = text[text.index("{") + 1 : -1]
    out = []
    for item in body.split(","):
        s = item.strip()
        if len(s) >= 2 and s[0] == s[-1] and s[0] in '"`':
            out.append(s[1:-1])
    return out


def _zap_file(path: str) -> bool:
    if path in ("stdout", "stderr", ""):
        return False
    return "://" not in path or path.startswith("file://")


@rule(
    id="DR211",
    name="log-to-file",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def log_to_file(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds logs written to files inside the container instead of stdout/stderr:
    `os.OpenFile`/`os.Create` of a path ending in `.log`; a file opened with
    `os.OpenFile`/`os.Create` (any name) handed to `log.SetOutput`,
    `slog.NewJSONHandler`/`NewTextHandler` or logrus `SetOutput`; lumberjack
    `Logger{}` literals; and `zap.Config` literals whose `OutputPaths` or
    `ErrorOutputPaths` name a file.

    Decisions: a `.log` file and the `SetOutput` that uses it are one finding, on the
    open. A writer that cannot be traced to a file (a parameter, an
    `io.MultiWriter(os.Stdout, f)`) is not reported: logs may well reach stdout.
    `os.OpenFile` with read-only flags is not reported. Test files are skipped.

    ## Why is this bad?
    Kubernetes collects what containers write to stdout and stderr: `kubectl logs`,
    the node's log rotation and the cluster's log shipper all read from there. A file
    in the container is invisible to all of them, is lost when the pod is replaced,
    and grows on the node's disk (or fails outright on a read-only root filesystem)
    until the pod is evicted.

    ## Example
    ```go
    f, err := os.OpenFile("/var/log/orders.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
    if err != nil {
        log.Fatal(err)
    }
    log.SetOutput(f)
    ```

    ## Use instead
    ```go
    slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
    ```

    ## Fix safety
    Safe: only where logs go changes. Remove the log volume or sidecar that tailed the
    file, and any rotation (lumberjack) configuration.

    ## References
    - [The Twelve-Factor App: Logs](https://12factor.net/logs)
    - [Kubernetes: Logging architecture](https://kubernetes.io/docs/concepts/cluster-administration/logging/)
    """
    ix = ctx.index
    for g in ix.go_files:
        if g.path.endswith("_test.go"):
            continue
        reported: set[Span] = set()
        sinks_of: dict[Span, list[Call]] = {}
        sink_hits: list[Hit] = []
        for c in g.calls:
            if not _is_sink(c) or not c.args:
                continue
            origin = _origin(c.args[0])
            if origin in _STD_STREAMS:
                continue
            opener = _opener_for(g, c, origin)
            if opener is None:
                continue
            path = _opened_path(opener)
            if _is_log_path(path):
                sinks_of.setdefault(opener.span, []).append(c)
                continue
            what = (
                c.callee.rsplit("/", 1)[-1]
                if not c.callee.startswith(".")
                else (f"{c.receiver}{c.callee}")
            )
            sink_hits.append(
                Hit(
                    c.span,
                    f"{what} sends logs to the file {_quoted(path)} (opened at line "
                    f"{opener.span.line}), not to stdout: kubectl logs and the cluster's "
                    "log collector never see them",
                    related=(Related(opener.span, f"{_quoted(path)} opened here"),),
                )
            )
        for c in g.calls:
            if c.callee not in _OPENERS or not _writes(c):
                continue
            path = _opened_path(c)
            if not _is_log_path(path) or c.span in reported:
                continue
            reported.add(c.span)
            users = sinks_of.get(c.span, [])
            related = tuple(
                Related(s.span, f"{s.callee.rsplit('/', 1)[-1].lstrip('.')} writes logs to it")
                for s in users
            )
            yield Hit(
                c.span,
                f"{c.callee}({_quoted(path)}) writes logs to a file inside the container: "
                "kubectl logs and the cluster's log collector never see them, and the file "
                "fills the container's disk; log to stdout",
                related=related,
            )
        yield from sink_hits
        for lit in g.literals:
            yield from _log_literal(lit)


def _log_literal(lit: CompositeLit) -> Iterator[Hit]:
    if lit.type in _LUMBERJACK:
        fn = lit.field("Filename")
        where = (
            _quoted(fn.resolve() or fn.text)
            if fn is not None
            else "<process>-lumberjack.log in the temp directory"
        )
        yield Hit(
            lit.span,
            f"lumberjack.Logger writes and rotates logs in the file {where} inside the "
            "container: kubectl logs and the cluster's log collector never see them; "
            "log to stdout and let the node rotate",
        )
    elif lit.type == _ZAP_CONFIG:
        files = [
            (key, p)
            for key in _ZAP_PATHS
            if (v := lit.field(key)) is not None
            for p in _slice_strings(v)
            if _zap_file(p)
        ]
        if files:
            key, path = files[0]
            yield Hit(
                lit.span,
                f"zap.Config {key} writes logs to the file {_quoted(path)} inside the "
                'container: use "stdout"/"stderr" so kubectl logs and the log collector '
                "see them",
            )


# --------------------------------------------------------------------------- DR212

_HEALTH_SEGMENTS = frozenset(
    {
        "health",
        "healthz",
        "healthy",
        "healthcheck",
        "healthchecks",
        "health-check",
        "health_check",
        "ready",
        "readyz",
        "readiness",
        "live",
        "livez",
        "liveness",
        "alive",
        "ping",
        "status",
        "heartbeat",
        "hc",
    }
)
# Libraries that serve health endpoints their own way (handlers mounted without a
# visible route, or routes registered inside the library).
_HEALTH_LIBS = (
    "google.golang.org/grpc/health",
    "github.com/heptiolabs/healthcheck",
    "github.com/alexliesenfeld/health",
    "github.com/hellofresh/health-go",
    "github.com/InVisionApp/go-health",
    "github.com/etherlabsio/healthcheck",
    "github.com/dimiro1/health",
    "github.com/AppsFlyer/go-sundheit",
    "github.com/tavsec/gin-healthcheck",
    "github.com/gofiber/fiber/v2/middleware/healthcheck",
    "github.com/gofiber/fiber/v3/middleware/healthcheck",
    "sigs.k8s.io/controller-runtime/pkg/healthz",
    "k8s.io/apiserver/pkg/server/healthz",
)
_HTTP_KINDS = frozenset({"http", "https", "gin", "echo", "fiber"})
_SERVER_KINDS = _HTTP_KINDS | {"grpc"}


def is_health_path(path: str) -> bool:
    """Does an HTTP route path look like a health or readiness check?"""
    p = path.strip().lower().rstrip("/")
    if p.startswith("/-/"):
        p = p[2:]
    last = p.rsplit("/", 1)[-1].lstrip("_")
    return last in _HEALTH_SEGMENTS


def _catch_all(r: Route) -> bool:
    """A route that hands every path to another handler: we cannot see its routes."""
    p = r.path.rstrip()
    if r.framework == "net/http" and p == "/" and r.method in (None, "GET"):
        return True
    return p.endswith("/*") or p.endswith("...}") or p.endswith("*path}")


def _main_func(svc: Service) -> Span | None:
    if svc.main is None:
        return None
    for g in svc.main.files:
        for f in g.funcs:
            if f.name == "main":
                return f.span
    return None


def _describe(lst: Listener, addr: str | None = None) -> str:
    """``http server on :8080`` (the resolved address when given, else the code's)."""
    if addr is None:
        addr = lst.addr.literal or lst.addr.text if lst.addr is not None else "an unknown address"
    return f"{lst.kind} server on {addr}"


@rule(
    id="DR212",
    name="no-health-endpoint",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def no_health_endpoint(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that serves HTTP or gRPC but has no health endpoint: no route
    whose last path segment is `health`, `healthz`, `ready`, `readyz`, `live`,
    `livez`, `ping`, `status`, `heartbeat`... (`/-/healthy` included) on any router,
    and no gRPC health service registered (`healthpb.RegisterHealthServer`). The
    finding is on the main package's `func main`; the servers are related.

    Decisions: a service with no listener (a worker, a CLI) is not reported: it needs
    an exec probe, which is DR402's business. An HTTP server whose routes are not
    visible (no route found at all, or a catch-all such as net/http's `"/"` or
    `/*` handing requests to another handler, e.g. grpc-gateway) is not reported, nor
    is a service that imports a health library (`grpc/health`, `heptiolabs/healthcheck`,
    `alexliesenfeld/health`, `hellofresh/health-go`, controller-runtime `healthz`...).

    ## Why is this bad?
    Without an endpoint that says "I can serve", Kubernetes can only probe the TCP
    port: a pod whose database connection is gone, or that is still warming up,
    receives traffic; a deadlocked one is never restarted. Rollouts also cannot wait
    for the new pods to be really ready.

    ## Example
    ```go
    mux := http.NewServeMux()
    mux.HandleFunc("POST /orders", createOrder)
    log.Fatal(http.ListenAndServe(":8080", mux))
    ```

    ## Use instead
    ```go
    mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
        w.WriteHeader(http.StatusOK) // liveness: the process answers
    })
    mux.HandleFunc("GET /readyz", readyz) // readiness: dependencies reachable
    ```
    For gRPC, register `health.NewServer()` with `healthpb.RegisterHealthServer` and
    use a `grpc` probe.

    ## Fix safety
    Adding a route is safe; point the manifest's probes at it (DR402/DR404).

    ## References
    - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    - [gRPC health checking protocol](https://github.com/grpc/grpc/blob/master/doc/health-checking.md)
    """
    ix = ctx.index
    for svc in ix.services:
        at = _main_func(svc)
        if at is None:
            continue
        files = _code(svc)
        servers = [lst for g in files for lst in g.listeners if lst.kind in _SERVER_KINDS]
        if not servers:
            continue
        if any(g.grpc_health for g in files) or eff.imports_under(files, _HEALTH_LIBS):
            continue
        routes = [r for g in files for r in g.routes]
        if any(is_health_path(r.path) for r in routes):
            continue
        http_servers = [s for s in servers if s.kind in _HTTP_KINDS]
        if http_servers and (not routes or any(_catch_all(r) for r in routes)):
            continue  # the routing is not visible: do not guess
        kinds = "gRPC" if not http_servers else "HTTP"
        if http_servers and len(http_servers) != len(servers):
            kinds = "HTTP and gRPC"
        yield Hit(
            at,
            f"{svc.name} serves {kinds} but has no health endpoint (no /healthz, /readyz, "
            "/livez... route and no gRPC health service): probes can only check that the "
            "port is open",
            related=tuple(Related(s.span, _describe(s)) for s in servers[:3]),
            service=svc.name,
        )


# --------------------------------------------------------------------------- DR213

_PPROF = "net/http/pprof"


@dataclass(frozen=True, slots=True)
class _Exposure:
    span: Span
    addr: str
    what: str


def _ident_tokens(text: str) -> set[str]:
    for ch in "()[]{},&*":
        text = text.replace(ch, " ")
    return set(text.split())


def _serves(handler: str, router: str) -> bool:
    """Does a listener's handler expression serve ``router`` (possibly wrapped in
    middleware: ``otelhttp.NewHandler(mux, "x")``)?"""
    if router == "default":
        return handler == "default" or "DefaultServeMux" in handler
    return handler == router or router in _ident_tokens(handler)


def _public_addr(addr: str | None) -> bool:
    host = eff.host_of(addr)
    return host is not None and not eff.is_loopback(host)


def _exposed(ix: ProjectIndex, svc: Service, router: str, file: GoFile) -> _Exposure | None:
    """A server serving ``router`` on a non-loopback address, wherever the service
    runs. Servers in the router's own file are preferred (router names are only
    unique within a file)."""
    files = _code(svc)
    # A server built as an http.Server literal and started through a helper
    # (``go listen(srv)``): the listener's handler is unknown, the literal's is not.
    helper_started = any(
        lst.handler == "" and lst.kind in _HTTP_KINDS for g in files for lst in g.listeners
    )
    lits = [
        (g, lit)
        for g in files
        for lit in g.literals
        if helper_started and lit.type == "net/http.Server" and _serves(_handler_of(lit), router)
    ]
    same_lits = [x for x in lits if x[0].path == file.path]
    for rt in _runtimes(ix, svc):
        bound = [b for b in eff.bound_listeners(svc, rt) if _serves(b.listener.handler, router)]
        same = [b for b in bound if b.file.path == file.path]
        for b in same or bound:
            if _public_addr(b.addr):
                return _Exposure(b.listener.span, b.addr or "", _describe(b.listener, b.addr))
        for _, lit in same_lits or lits:
            a = lit.field("Addr")
            addr = rt.resolve(a) if a is not None else None
            if _public_addr(addr):
                return _Exposure(lit.span, addr or "", f"http.Server on {addr}")
    return None


def _handler_of(lit: CompositeLit) -> str:
    """The handler an ``http.Server`` literal serves (``"default"`` when unset/nil)."""
    h = lit.field("Handler")
    if h is None or h.text.strip() in ("nil", "http.DefaultServeMux"):
        return "default"
    return h.text.strip()


def _pprof_routes(g: GoFile) -> list[Route]:
    """Routes on an explicit router that serve pprof: a ``/debug/pprof`` path, a
    ``pprof.*`` handler, or the default mux (where the import put pprof) mounted
    under a path that covers ``/debug/pprof/``."""
    imp = g.import_of(_PPROF)
    pname = imp.name if imp is not None and imp.alias not in ("_", ".") else None
    calls = {c.span: c for c in g.calls}
    out = []
    for r in g.routes:
        if r.router == "default":
            continue
        if r.path.startswith("/debug/pprof"):
            out.append(r)
            continue
        c = calls.get(r.span)
        if c is None:
            continue
        texts = [a.text for a in c.args]
        named = pname is not None and any(t.startswith(pname + ".") for t in texts)
        mounted = (
            imp is not None
            and any("DefaultServeMux" in t for t in texts)
            and eff.route_matches(r, "/debug/pprof/")
        )
        if named or mounted:
            out.append(r)
    return out


@rule(
    id="DR213",
    name="pprof-exposed",
    severity=Severity.ERROR,
    reads=(Input.CODE,),
    tags=(Tag.SECURITY,),
)
def pprof_exposed(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds pprof served on a non-loopback address: `net/http/pprof` imported (blank or
    named: its `init` registers `/debug/pprof/` on `http.DefaultServeMux` either way)
    while a server serves the default mux (`http.ListenAndServe(addr, nil)`, an
    `http.Server` without `Handler`) on an address that is not loopback; or pprof
    handlers registered explicitly (a `/debug/pprof...` route, a `pprof.Index`-style
    handler) on a router that a non-loopback server serves. The finding is on the
    import (or the first pprof route of the router); the server is related.

    Decisions: addresses are resolved with each environment the service runs in
    (every deployment's env, else the Dockerfile's `ENV`); `:6060` or `0.0.0.0:6060`
    is public, `127.0.0.1:6060`/`localhost:6060` is not. The import alone is fine
    when the default mux is never served or only on loopback; an address that cannot
    be resolved is not judged.

    ## Why is this bad?
    `/debug/pprof/` exposes heap dumps (which contain secrets and request data),
    goroutine stacks and the command line, and lets anyone who can reach the port run
    30-second CPU profiles and execution traces: a cheap denial of service. Behind a
    Kubernetes Service or Ingress the service port is reachable by the whole cluster,
    or the internet.

    ## Example
    ```go
    import _ "net/http/pprof"

    log.Fatal(http.ListenAndServe(":8080", nil))
    ```

    ## Use instead
    ```go
    mux := http.NewServeMux() // the public API: no pprof here
    go func() {
        admin := http.NewServeMux()
        admin.HandleFunc("/debug/pprof/", pprof.Index)
        admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
        _ = http.ListenAndServe("127.0.0.1:6060", admin) // kubectl port-forward
    }()
    ```

    ## Fix safety
    Safe for clients of the API; whoever used the public pprof endpoint must switch to
    `kubectl port-forward`.

    ## References
    - [net/http/pprof](https://pkg.go.dev/net/http/pprof)
    - [Your pprof is showing](https://mmcloughlin.com/posts/your-pprof-is-showing)
    """
    ix = ctx.index
    for svc in ix.services:
        files = _code(svc)
        imports = [(g, imp) for g in files if (imp := g.import_of(_PPROF)) is not None]
        if imports:
            exp = _exposed(ix, svc, "default", imports[0][0])
            if exp is not None:
                for _, imp in imports:
                    yield Hit(
                        imp.span,
                        "net/http/pprof registers /debug/pprof/ on http.DefaultServeMux, "
                        f"which is served on {exp.addr} (not loopback): anyone who reaches "
                        "the port can dump the heap and run CPU profiles",
                        related=(Related(exp.span, f"{exp.what} serves http.DefaultServeMux"),),
                        service=svc.name,
                    )
        for g in files:
            seen: set[str] = set()
            for r in _pprof_routes(g):
                if r.router in seen:
                    continue
                seen.add(r.router)
                exp = _exposed(ix, svc, r.router, g)
                if exp is None:
                    continue
                yield Hit(
                    r.span,
                    f"pprof handlers ({r.path}) are registered on {r.router}, which is served on "
                    f"{exp.addr} (not loopback): serve them on a separate 127.0.0.1 admin "
                    "listener",
                    related=(Related(exp.span, f"{exp.what} serves {r.router}"),),
                    service=svc.name,
                )


# --------------------------------------------------------------------------- DR214

# Frameworks that catch SIGTERM and drain servers themselves.
_LIFECYCLE_LIBS = (
    "go.uber.org/fx",
    "github.com/oklog/run",
    "sigs.k8s.io/controller-runtime",
    "k8s.io/apiserver/pkg/server",
    "k8s.io/sample-controller/pkg/signals",
    "knative.dev/pkg/signals",
    "knative.dev/pkg/injection/sharedmain",
    "github.com/go-kratos/kratos",
    "go-micro.dev",
    "github.com/micro/go-micro",
    "github.com/zeromicro/go-zero",
    "github.com/cloudwego/hertz",
    "github.com/cloudwego/kitex",
    "github.com/kataras/iris",
    "github.com/facebookgo/grace",
    "github.com/fvbock/endless",
    "github.com/cloudflare/tableflip",
    "github.com/ory/graceful",
    "github.com/sethvargo/go-signalcontext",
    "gopkg.in/tylerb/graceful.v1",
    "github.com/tylerb/graceful",
)
_BLOCKING = frozenset({"http", "https", "grpc", "gin", "echo", "fiber"})
_SIGNAL_NAMES = {
    "SIGTERM": "SIGTERM",
    "SIGINT": "SIGINT",
    "Interrupt": "os.Interrupt (SIGINT, Ctrl-C)",
    "SIGKILL": "SIGKILL (cannot be caught)",
    "Kill": "os.Kill (SIGKILL, cannot be caught)",
    "SIGHUP": "SIGHUP",
    "SIGQUIT": "SIGQUIT",
    "SIGUSR1": "SIGUSR1",
    "SIGUSR2": "SIGUSR2",
    "SIGPIPE": "SIGPIPE",
    "SIGCHLD": "SIGCHLD",
    "SIGWINCH": "SIGWINCH",
    "SIGALRM": "SIGALRM",
    "SIGTSTP": "SIGTSTP",
    "SIGCONT": "SIGCONT",
    "SIGURG": "SIGURG",
    "SIGSTOP": "SIGSTOP (cannot be caught)",
}
_UNCATCHABLE = frozenset({"SIGKILL", "Kill", "SIGSTOP"})


def catches_sigterm(h: SignalHandler) -> bool:
    """Does a ``signal.Notify``/``NotifyContext`` catch SIGTERM? With no signals named
    it catches every signal; a signal list we cannot read (``sigs...``) counts."""
    if not h.signals or "SIGTERM" in h.signals:
        return True
    return not all(s in _SIGNAL_NAMES for s in h.signals)


def blocking_before(g: GoFile, func: str, order: int) -> Listener | None:
    """A server started inline (not in a goroutine, not in a closure such as
    ``g.Go(func() error { return srv.ListenAndServe() })``) earlier in the same
    function: whatever comes after it there runs only once the server has stopped."""
    for lst in g.listeners:
        if lst.func == func and lst.kind in _BLOCKING and lst.blocking and lst.order < order:
            return lst
    return None


def _call_name(lst: Listener) -> str:
    return {"grpc": "Serve", "gin": "Run", "echo": "Start", "fiber": "Listen"}.get(
        lst.kind, "ListenAndServe"
    )


def _notify_name(h: SignalHandler, g: GoFile) -> str:
    for c in g.calls:
        if c.span == h.span:
            return f"signal.{c.name}"
    return "signal.Notify"


def _main_listener(svc: Service, files: list[GoFile]) -> tuple[GoFile, Listener] | None:
    main_paths = {g.path for g in svc.main.files} if svc.main is not None else set()
    cands = [(g, lst) for g in files for lst in g.listeners if lst.kind in _BLOCKING]
    cands.sort(key=lambda x: (x[0].path not in main_paths, x[1].in_goroutine))
    return cands[0] if cands else None


@rule(
    id="DR214",
    name="no-graceful-shutdown",
    severity=Severity.ERROR,
    reads=(Input.CODE,),
)
def no_graceful_shutdown(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds servers that die mid-request when Kubernetes stops the pod. For each
    service that starts a server (HTTP, gRPC, gin, echo, fiber), in its main package
    and the packages it starts servers in:

    - nothing catches SIGTERM (no `signal.Notify`/`signal.NotifyContext` for it): the
      finding is on the server (or on the handler that catches only other signals,
      such as `os.Interrupt`, which is SIGINT: Kubernetes sends SIGTERM);
    - the handler listens only for SIGKILL/`os.Kill`, which cannot be caught;
    - the handler, or every `Shutdown`/`GracefulStop`, is set up after a blocking
      `ListenAndServe`/`Serve`/`Run` in the same function, so it never runs;
    - SIGTERM is caught but `Shutdown` waits on `context.Background()`/`TODO()`: it
      drains, but nothing bounds the wait and the kubelet's SIGKILL ends it at the
      grace period. This case is reported as a **warning**: the requests in flight do
      get the grace period.

    Decisions: catching SIGTERM without any `Shutdown`/`GracefulStop` is accepted (the
    handler may cancel a context a framework drains on). `signal.Notify(c)` with no
    signals catches them all. A service importing a framework that handles signals
    itself (uber fx, oklog/run, controller-runtime, knative, kratos, go-zero, hertz,
    iris...) is skipped, and so is a service with no server (a batch job). A server
    started in a `go` statement or inside a closure (`g.Go(func() error { return
    srv.ListenAndServe() })`, `wg.Go(...)`) is not taken as blocking what follows it.

    ## Why is this bad?
    On every rollout, scale-down and node drain, Kubernetes sends SIGTERM and, after
    `terminationGracePeriodSeconds`, SIGKILL. Go's default for SIGTERM is to exit at
    once: every request in flight fails, transactions are cut and buffers are not
    flushed. Clients see errors on every deploy.

    ## Example
    ```go
    log.Fatal(http.ListenAndServe(":8080", mux))
    ```

    ## Use instead
    ```go
    ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
    defer stop()
    srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
    go func() {
        if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
            log.Fatal(err)
        }
    }()
    <-ctx.Done()
    shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
    defer cancel()
    _ = srv.Shutdown(shutdownCtx)
    ```
    and keep `terminationGracePeriodSeconds` above the drain timeout (DR406).

    ## Fix safety
    Safe; choose the drain timeout below the pod's grace period.

    ## References
    - [net/http: Server.Shutdown](https://pkg.go.dev/net/http#Server.Shutdown)
    - [os/signal: NotifyContext](https://pkg.go.dev/os/signal#NotifyContext)
    - [Kubernetes: Termination of Pods](https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination)
    """
    ix = ctx.index
    for svc in ix.services:
        if svc.main is None:
            continue
        files = _code(svc)
        main = _main_listener(svc, files)
        if main is None or eff.imports_under(files, _LIFECYCLE_LIBS):
            continue
        handlers = [(g, h) for g in files for h in g.signals]
        live = [
            (g, h)
            for g, h in handlers
            if catches_sigterm(h) and blocking_before(g, h.func, h.order) is None
        ]
        if not live:
            yield from _no_sigterm(svc, files, main, handlers)
            continue
        shutdowns = [(g, s) for g in files for s in g.shutdowns]
        running = [(g, s) for g, s in shutdowns if blocking_before(g, s.func, s.order) is None]
        if shutdowns and not running:
            g, s = shutdowns[0]
            blocker = blocking_before(g, s.func, s.order)
            assert blocker is not None
            yield Hit(
                s.span,
                f"{_shutdown_name(s)} comes after the blocking {_call_name(blocker)} at line "
                f"{blocker.span.line} and never runs: SIGTERM is caught, so the server keeps "
                "serving until the kubelet's SIGKILL",
                related=(Related(blocker.span, f"{_describe(blocker)} blocks here"),),
                service=svc.name,
            )
            continue
        for _, s in running:
            if not s.cancellable:
                yield Hit(
                    s.span,
                    f"{_shutdown_name(s)} waits on context.Background(), which nothing "
                    "cancels: a request that never ends holds the drain until SIGKILL; "
                    "use context.WithTimeout below terminationGracePeriodSeconds",
                    severity=Severity.WARNING,
                    service=svc.name,
                )


def _shutdown_name(s: Shutdown) -> str:
    return "GracefulStop" if s.kind == "grpc" else "Shutdown"


def _no_sigterm(
    svc: Service,
    files: list[GoFile],
    main: tuple[GoFile, Listener],
    handlers: list[tuple[GoFile, SignalHandler]],
) -> Iterator[Hit]:
    for g, h in handlers:
        name = _notify_name(h, g)
        blocker = blocking_before(g, h.func, h.order)
        if blocker is not None:
            yield Hit(
                h.span,
                f"{name} is set up after the blocking {_call_name(blocker)} at line "
                f"{blocker.span.line} and never runs: SIGTERM kills the server with its "
                "requests in flight; start the server in a goroutine",
                related=(Related(blocker.span, f"{_describe(blocker)} blocks here"),),
                service=svc.name,
            )
        elif all(s in _UNCATCHABLE for s in h.signals):
            yield Hit(
                h.span,
                f"{name} listens only for SIGKILL, which cannot be caught: nothing handles "
                "the SIGTERM Kubernetes sends, so the server dies with its requests in flight",
                service=svc.name,
            )
        else:
            names = ", ".join(_SIGNAL_NAMES.get(s, s) for s in h.signals)
            yield Hit(
                h.span,
                f"{name} catches only {names}, not SIGTERM, which is what Kubernetes sends: "
                "the server dies with its requests in flight; add syscall.SIGTERM",
                service=svc.name,
            )
    if handlers:
        return
    g, lst = main
    shutdowns = [s for f in files for s in f.shutdowns]
    if shutdowns:
        s = shutdowns[0]
        msg = (
            f"nothing catches SIGTERM (no signal.Notify/NotifyContext), so the "
            f"{_shutdown_name(s)} at {_loc(s.span)} never runs on a rollout: the "
            f"{lst.kind} server dies with its requests in flight"
        )
        related: tuple[Related, ...] = (Related(s.span, f"{_shutdown_name(s)} is here"),)
    else:
        msg = (
            f"the {lst.kind} server started here has no graceful shutdown: nothing catches "
            "SIGTERM (signal.Notify/NotifyContext) and nothing calls Shutdown/GracefulStop, "
            "so every rollout kills the requests in flight"
        )
        related = ()
    yield Hit(lst.span, msg, related=related, service=svc.name)


# --------------------------------------------------------------------------- DR215

_HTTP_URL_ARG = {
    "net/http.Get": 0,
    "net/http.Head": 0,
    "net/http.Post": 0,
    "net/http.PostForm": 0,
    "net/http.NewRequest": 1,
    "net/http.NewRequestWithContext": 2,
}
_HTTP_CLIENT_METHODS = frozenset({"Get", "Head", "Post", "PostForm"})
_TLS_SCHEMES = eff.TLS_SCHEMES
_TLS_DSN = ("sslmode=verify-full", "sslmode=verify-ca", "tls=true")
_CLOUD_SDKS = eff.CLOUD_SDKS
# Packages that carry their own root certificates.
_OWN_ROOTS = ("golang.org/x/crypto/x509roots/fallback",)
_CERT_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass(frozen=True, slots=True)
class _Evidence:
    span: Span
    what: str


def _https_arg(c: Call) -> Value | None:
    idx = _HTTP_URL_ARG.get(c.callee)
    if (
        idx is None
        and c.callee.startswith(".")
        and c.name in _HTTP_CLIENT_METHODS
        and (c.receiver_pkg == "net/http" or c.receiver == "http.DefaultClient")
    ):
        idx = 0
    return c.arg(idx) if idx is not None else None


def _tls_value(text: str) -> bool:
    low = text.lower()
    if low.startswith(_TLS_SCHEMES):
        return True
    return any(d in low for d in _TLS_DSN) and "sslrootcert=" not in low


def _custom_roots(g: GoFile) -> bool:
    """A ``tls.Config`` in the file brings its own roots or skips verification."""
    return any(
        lit.type == "crypto/tls.Config" and (lit.has("RootCAs") or lit.has("InsecureSkipVerify"))
        for lit in g.literals
    )


def tls_evidence(svc: Service, rts: list[eff.Runtime]) -> list[_Evidence]:
    """Where the service makes TLS connections that verify with the system roots."""
    out: list[_Evidence] = []
    for g in _code(svc):
        own = _custom_roots(g)
        for imp in g.imports:
            if any(imp.path == p or imp.path.startswith(p + "/") for p in _CLOUD_SDKS):
                out.append(_Evidence(imp.span, f"cloud SDK {imp.path} (HTTPS)"))
                break
        for c in g.calls:
            url = _https_arg(c)
            if url is not None:
                for rt in rts:
                    u = _prefix(url, rt)
                    if u.lower().startswith(("https://", "wss://")):
                        out.append(_Evidence(c.span, f"HTTPS request {c.name}({_quoted(u)})"))
                        break
                continue
            if own:
                continue
            if c.callee == "google.golang.org/grpc/credentials.NewClientTLSFromCert":
                pool = c.arg(0)
                if pool is not None and pool.text.strip() == "nil":
                    out.append(_Evidence(c.span, "credentials.NewClientTLSFromCert(nil, ...)"))
            elif c.callee == "google.golang.org/grpc/credentials.NewTLS":
                out.append(_Evidence(c.span, "gRPC TLS credentials (credentials.NewTLS)"))
            elif c.callee == "crypto/tls.Dial":
                out.append(_Evidence(c.span, "tls.Dial"))
            else:
                dsn = _tls_arg(c, rts)
                if dsn is not None:
                    out.append(_Evidence(c.span, f"connection string {_quoted(_redact(dsn))}"))
        if own:
            continue
        for s in g.strings:
            if _tls_value(s.value) and not s.value.lower().startswith(("https://", "wss://")):
                out.append(_Evidence(s.span, f"connection string {_quoted(_redact(s.value))}"))
    seen: set[Span | str] = set()
    uniq = []
    for e in out:
        if e.span not in seen and e.what not in seen:
            seen.update((e.span, e.what))
            uniq.append(e)
    return uniq


def _tls_arg(c: Call, rts: list[eff.Runtime]) -> str | None:
    """A connection string argument that asks for verified TLS (``rediss://``,
    ``sslmode=verify-full``...), resolved where the service runs."""
    if c.callee.startswith("net/http"):
        return None
    for a in c.args:
        for rt in rts:
            text = _prefix(a, rt)
            if text and _tls_value(text) and not text.lower().startswith(("https://", "wss://")):
                return text
    return None


def _redact(text: str) -> str:
    """Drop credentials from a URL or DSN before it goes into a message."""
    if "://" in text and "@" in text.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = text.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    words = []
    for w in text.split():
        key = w.split("=", 1)[0].lower()
        words.append(f"{key}=…" if key in ("password", "pwd", "pass") else w)
    return " ".join(words)


def _image_of(build: Build) -> str:
    return build.dockerfile.external_base(build.final)


def _sets_any(rts: list[eff.Runtime], names: tuple[str, ...]) -> bool:
    """Is one of ``names`` set (or possibly set, by a source we cannot read) anywhere
    the service runs?"""
    return any(rt.sets(n) is not False for rt in rts for n in names)


def _installs(build: Build, package: str) -> bool:
    """Does a RUN of the final image install the OS package ``package``?"""
    return any(package in eff.installed_packages(r) for r in eff.final_runs(build))


@rule(
    id="DR215",
    name="missing-ca-certificates",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def missing_ca_certificates(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a final image with no CA bundle for code that makes TLS connections. The
    TLS evidence: an `https://`/`wss://` URL passed to `http.Get`/`Post`/`Head`/
    `NewRequest[WithContext]` or a client's `Get`/`Post` (constants and env
    fallbacks resolved); gRPC `credentials.NewTLS` or `NewClientTLSFromCert(nil, …)`;
    `tls.Dial`; a cloud SDK import (`cloud.google.com/go`, `google.golang.org/api`,
    `aws-sdk-go(-v2)`, `azure-sdk-for-go`); a connection string whose scheme or
    options require a verified TLS connection (`rediss://`, `amqps://`,
    `mongodb+srv://`, `mqtts://`, `sslmode=verify-full`/`verify-ca`, MySQL `tls=true`).
    The finding is on the final `FROM`; the TLS evidence is related.

    Decisions: the image has a bundle when its base is known to ship one (alpine,
    distroless, golang...), when a `COPY` puts `/etc/ssl/certs` (or a `.crt` bundle)
    into it, or when its `RUN` installs `ca-certificates`; an unknown base image is not
    judged. `sslmode=require` is not evidence (lib/pq and pgx do not verify it), nor
    is a file whose `tls.Config` sets `RootCAs` or `InsecureSkipVerify`. A service
    that imports `golang.org/x/crypto/x509roots/fallback` or sets `SSL_CERT_FILE`/
    `SSL_CERT_DIR` is skipped.

    ## Why is this bad?
    Go verifies server certificates against the system roots, which a `scratch` (or
    slim Debian) image does not have. Every TLS handshake then fails at runtime with
    `x509: certificate signed by unknown authority`, usually far from the deploy that
    caused it.

    ## Example
    ```dockerfile
    FROM scratch
    COPY --from=build /out/app /app
    ENTRYPOINT ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    ```
    or, staying on scratch:
    ```dockerfile
    COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
    ```

    ## Fix safety
    Safe: only adds files to the image.

    ## References
    - [crypto/x509: SystemCertPool](https://pkg.go.dev/crypto/x509#SystemCertPool)
    - [golang.org/x/crypto/x509roots/fallback](https://pkg.go.dev/golang.org/x/crypto/x509roots/fallback)
    - [distroless static](https://github.com/GoogleContainerTools/distroless/blob/main/base/README.md)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        files = _code(svc)
        rts = _runtimes(ix, svc)
        if eff.imports_under(files, _OWN_ROOTS) or _sets_any(rts, _CERT_ENV):
            continue
        evidence: list[_Evidence] | None = None
        for build in svc.builds:
            if eff.has_capability(build, "ca_certs") is not False:
                continue
            if _installs(build, "ca-certificates"):
                continue
            if evidence is None:
                evidence = tls_evidence(svc, rts)
            if not evidence:
                break
            first = evidence[0]
            more = f" and {len(evidence) - 1} more" if len(evidence) > 1 else ""
            yield Hit(
                build.final.span,
                f"the final image {_image_of(build)} has no CA certificates, but "
                f"{svc.name} makes TLS connections ({first.what}{more}): every handshake "
                "fails with 'x509: certificate signed by unknown authority'",
                related=tuple(Related(e.span, f"TLS here: {e.what}") for e in evidence[:3]),
                service=svc.name,
            )


# --------------------------------------------------------------------------- DR216

_NO_ZONEINFO_NEEDED = frozenset({"", "UTC", "Local"})


def _tz_tags(build: Build) -> bool:
    """Does the ``go build`` embed zoneinfo with ``-tags timetzdata``?"""
    gb = build.go_build
    if gb is None:
        return False
    texts = [gb.tags or "", gb.getenv("GOFLAGS") or ""]
    return any("timetzdata" in t.replace(",", " ").replace("=", " ").split() for t in texts)


def _load_calls(svc: Service, rts: list[eff.Runtime]) -> list[tuple[Call, str]]:
    """``time.LoadLocation`` calls that need zoneinfo, with the zone they load."""
    out = []
    for g in _code(svc):
        for c in g.calls_to("time.LoadLocation"):
            v = c.arg(0)
            if v is None:
                continue
            names = {rt.resolve(v) for rt in rts}
            if all(n is not None and n in _NO_ZONEINFO_NEEDED for n in names):
                continue
            shown = next((n for n in names if n is not None and n not in _NO_ZONEINFO_NEEDED), None)
            out.append((c, _quoted(shown) if shown else v.text))
    return out


def _tz_settings(svc: Service) -> list[tuple[Span, str]]:
    """``TZ=Area/City`` set by the image or a deployment: Go loads it from zoneinfo at
    start-up and silently falls back to UTC when it is missing."""
    out: list[tuple[Span, str]] = []
    for b in svc.builds:
        tz = b.final.getenv("TZ")
        span = dict(b.final.env_spans).get("TZ")
        if tz and span is not None and _zone_name(tz):
            out.append((span, tz))
    for d in svc.deployments:
        for e in d.container.env:
            if e.name == "TZ" and e.value and _zone_name(e.value):
                out.append((e.span, e.value))
    return out


def _zone_name(tz: str) -> bool:
    tz = tz.lstrip(":")
    return "/" in tz and not tz.startswith("/")


@rule(
    id="DR216",
    name="missing-tzdata",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def missing_tzdata(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service that needs the time zone database when its final image has none:
    it calls `time.LoadLocation` with a zone other than `"UTC"`/`"Local"`/`""` (or sets
    `TZ=Area/City` in the Dockerfile or the manifest), the binary does not import
    `time/tzdata` (in any package) nor is built with `-tags timetzdata`, and the final
    image has no `/usr/share/zoneinfo`. The finding is on the final `FROM`; the
    `LoadLocation` calls and `TZ` settings are related.

    Decisions: zoneinfo is present when the base is known to ship it (distroless,
    golang images through `$GOROOT/lib/time/zoneinfo.zip`, Debian before trixie...),
    when a `COPY` brings `/usr/share/zoneinfo`, or when a `RUN` installs `tzdata`; an
    unknown base is not judged. A `ZONEINFO` environment variable (pointing Go at a
    copied `zoneinfo.zip`) counts as providing it. `time.LoadLocationFromTZData` needs
    no files and is fine.

    ## Why is this bad?
    `time.LoadLocation("Asia/Shanghai")` reads `/usr/share/zoneinfo`. On `scratch` or
    `alpine` it returns `unknown time zone Asia/Shanghai` at runtime, often only on the
    code path that formats invoices or schedules jobs. With `TZ` it is worse: Go
    silently falls back to UTC.

    ## Example
    ```go
    loc, err := time.LoadLocation("Asia/Shanghai") // on FROM alpine: unknown time zone
    ```

    ## Use instead
    ```go
    import _ "time/tzdata" // embeds the database (~450 KB)
    ```
    or build with `-tags timetzdata`, or use a base image that ships zoneinfo.

    ## Fix safety
    Safe: the binary grows by about 450 KB.

    ## References
    - [time/tzdata](https://pkg.go.dev/time/tzdata)
    - [time.LoadLocation](https://pkg.go.dev/time#LoadLocation)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds or svc.imports("time/tzdata"):
            continue
        rts = _runtimes(ix, svc)
        if _sets_any(rts, ("ZONEINFO",)):
            continue
        loads = _load_calls(svc, rts)
        tzs = _tz_settings(svc)
        if not loads and not tzs:
            continue
        for build in svc.builds:
            if eff.has_capability(build, "tzdata") is not False or _tz_tags(build):
                continue
            if _installs(build, "tzdata"):
                continue
            related = [Related(c.span, f"time.LoadLocation({name})") for c, name in loads]
            related += [Related(span, f"TZ={tz}") for span, tz in tzs]
            if loads:
                name = loads[0][1]
                which = "" if name.startswith('"') else " for every zone but UTC"
                what = f"time.LoadLocation({name}) fails with 'unknown time zone'{which}"
            else:
                what = f"TZ={tzs[0][1]} silently falls back to UTC"
            yield Hit(
                build.final.span,
                f"the final image {_image_of(build)} has no zoneinfo and the binary does not "
                f"import time/tzdata: {what}",
                related=tuple(related[:4]),
                service=svc.name,
            )
