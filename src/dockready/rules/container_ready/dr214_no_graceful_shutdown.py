"""DR214 no-graceful-shutdown: Finds servers that die mid-request when Kubernetes stops the pod."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import imports_under
from dockready.facts.derived.http import (
    HTTP_KINDS,
    SERVER_KINDS,
    describe,
    ops_only,
    service_go_files,
)
from dockready.facts.go import (
    GoFile,
    Listener,
    Shutdown,
    SignalHandler,
)
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _loc(span: Span) -> str:
    return f"{span.path}:{span.line}"


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
    "go.opentelemetry.io/collector/otelcol",
)


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
        if lst.func == func and lst.kind in SERVER_KINDS and lst.blocking and lst.order < order:
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


def _servers(files: list[GoFile]) -> list[tuple[GoFile, Listener]]:
    """The service's servers; HTTP ones that serve only ``/metrics`` or ``/debug/...``
    are an operations port, not its traffic, and do not count."""
    kinds = SERVER_KINDS - HTTP_KINDS if ops_only(files) else SERVER_KINDS
    return [(g, lst) for g in files for lst in g.listeners if lst.kind in kinds]


def _main_listener(svc: Service, files: list[GoFile]) -> tuple[GoFile, Listener] | None:
    main_paths = {g.path for g in svc.main.files} if svc.main is not None else set()
    cands = _servers(files)
    cands.sort(key=lambda x: (x[0].path not in main_paths, x[1].in_goroutine))
    return cands[0] if cands else None


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
                related=(Related(blocker.span, f"{describe(blocker)} blocks here"),),
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
        others = [o for _, o in _servers(files) if o.span != lst.span]
        more = f" (and {len(others)} more server(s) of this service)" if others else ""
        msg = (
            f"the {lst.kind} server started here{more} has no graceful shutdown: nothing "
            "catches SIGTERM (signal.Notify/NotifyContext) and nothing calls "
            "Shutdown/GracefulStop, so every rollout kills the requests in flight"
        )
        related = tuple(Related(o.span, f"{describe(o)} is started here too") for o in others)
    yield Hit(lst.span, msg, related=(*related, *_entry(svc, g)), service=svc.name)


def _entry(svc: Service, g: GoFile) -> tuple[Related, ...]:
    """The service's ``func main``, when the server is started elsewhere: where the
    signal handling it lacks would go."""
    if svc.main is None or any(g.path == f.path for f in svc.main.files):
        return ()
    for f in svc.main.files:
        for fn in f.funcs:
            if fn.name == "main":
                return (Related(fn.span, f"func main of {svc.name}, which reaches this server"),)
    return ()


_NO_HANDLE = ("net/http.ListenAndServe", "net/http.ListenAndServeTLS", "net/http.Serve")


def _undrainable(
    svc: Service, files: list[GoFile], live: list[tuple[GoFile, SignalHandler]]
) -> Iterator[Hit]:
    """SIGTERM is caught, nothing calls Shutdown, and every server was started in a
    way that leaves nothing to shut down (``http.ListenAndServe``, gin's ``Run``): the
    handler can only end the process, with the requests in flight."""
    servers = _servers(files)
    if not servers:
        return
    for g, lst in servers:
        bare = lst.kind == "gin" or any(
            c.span == lst.span and c.callee in _NO_HANDLE for c in g.calls
        )
        if not bare:
            return
    g, lst = servers[0]
    hg, h = live[0]
    started = "gin's Run" if lst.kind == "gin" else f"http.{_call_name(lst)}"
    yield Hit(
        lst.span,
        f"SIGTERM is caught ({_loc(h.span)}), but this server was started with {started}, "
        "which cannot be shut down: the process exits with its requests in flight; run "
        "an http.Server and call Shutdown when the signal arrives",
        related=(Related(h.span, f"{_notify_name(h, hg)} catches SIGTERM here"),),
        service=svc.name,
    )


@rule(
    id="DR214",
    name="no-graceful-shutdown",
    severity=Severity.ERROR,
    reads=(Input.CODE,),
    calls=(
        "net/http.ListenAndServe",
        "net/http.ListenAndServeTLS",
        "net/http.Serve",
        "os/signal.Notify",
        "os/signal.NotifyContext",
    ),
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
    handler may cancel a context a framework drains on), unless every server was
    started with `http.ListenAndServe`/`http.Serve` or gin's `Run`, which leave
    nothing to shut down: then the handler can only exit. `signal.Notify(c)` with no
    signals catches them all. A service importing a framework that handles signals
    itself (uber fx, oklog/run, controller-runtime, knative, kratos, go-zero, hertz,
    iris, the OpenTelemetry collector...) is skipped, and so is a service with no
    server (a batch job) or whose only HTTP routes are `/metrics` and `/debug/...` (an
    operations port). A server started in a `go` statement or inside a closure
    (`g.Go(func() error { return srv.ListenAndServe() })`, `wg.Go(...)`) is not taken
    as blocking what follows it. The service's code is its main package and the
    packages it imports, transitively (sibling modules and local `replace`s included).

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
        files = service_go_files(svc)
        main = _main_listener(svc, files)
        if main is None or imports_under(files, _LIFECYCLE_LIBS):
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
        if not shutdowns:
            yield from _undrainable(svc, files, live)
            continue
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
                related=(Related(blocker.span, f"{describe(blocker)} blocks here"),),
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
