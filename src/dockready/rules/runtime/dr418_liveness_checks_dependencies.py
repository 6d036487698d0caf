"""DR418 liveness-checks-dependencies: the liveness probe's handler pings a database or broker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready import linear
from dockready.facts.go import ROUTE_VERBS, Call, FuncDecl, GoFile, Route
from dockready.facts.index import Deployment, ProjectIndex, Service
from dockready.facts.k8s import Probe
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Calls that check a dependency is up, by method name.
_PINGS = frozenset({"Ping", "PingContext"})
#: A query run on a SQL handle (``SELECT 1``) checks the database just the same.
_QUERIES = frozenset(
    {"Query", "QueryContext", "QueryRow", "QueryRowContext", "Exec", "ExecContext"}
)
#: Packages whose ``Ping`` reaches a database, cache or broker over the network, and
#: what it reaches (a table in a string: its words are not Go calls).
_DEPENDENCY_TABLE = """
database/sql                          the database
github.com/jmoiron/sqlx               the database
github.com/jackc/pgx                  PostgreSQL
github.com/uptrace/bun                the database
github.com/ClickHouse/clickhouse-go   ClickHouse
github.com/redis/go-redis             Redis
github.com/go-redis/redis             Redis
github.com/redis/rueidis              Redis
go.mongodb.org/mongo-driver           MongoDB
github.com/elastic/go-elasticsearch   Elasticsearch
github.com/olivere/elastic            Elasticsearch
github.com/bradfitz/gomemcache        memcached
"""
_DEPENDENCY_PKGS = dict(
    (line.split(None, 1)[0], line.split(None, 1)[1].strip())
    for line in _DEPENDENCY_TABLE.strip().splitlines()
)
_SQL_PKGS = ("database/sql", "github.com/jmoiron/sqlx", "github.com/jackc/pgx")
#: A receiver whose type the parser could not tell, named as a database handle is.
_DB_NAME = linear.compile(r"(?i)(?:^|[._])(?:[a-z0-9]*db|database|redis|mongo|dbpool|pgpool)$")
#: ``http.HandlerFunc(h)``, ``gin.WrapF(h)``...: the handler inside.
_WRAPPED = linear.compile(
    r"^(?:http\.HandlerFunc|gin\.WrapF|gin\.WrapH|echo\.WrapHandler)\((.*)\)$"
)
_IDENT = linear.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SELECTOR = linear.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
_FACTORY = linear.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\(")


@dataclass(frozen=True, slots=True)
class _Body:
    """Where a handler's code is: calls of function ``func`` in ``file`` (of its
    closures only, for a handler a factory returns; between ``lines``, for a
    function literal)."""

    file: GoFile
    func: str
    label: str
    span: Span
    closures_only: bool = False
    lines: tuple[int, int] | None = None

    def calls(self) -> Iterator[Call]:
        for c in self.file.calls:
            if c.func != self.func or c.in_goroutine:
                continue
            if self.closures_only and not c.in_closure:
                continue
            if self.lines is not None and not (
                c.in_closure and self.lines[0] <= c.span.line <= self.lines[1]
            ):
                continue
            if self.lines is None and not self.closures_only and c.in_closure:
                continue
            yield c


def _dependency(c: Call) -> str | None:
    """What ``c`` checks (\"the database\", \"Redis\"), when it is a dependency check."""
    pkg = c.receiver_pkg
    if c.name in _PINGS:
        for prefix, what in _DEPENDENCY_PKGS.items():
            if pkg == prefix or pkg.startswith(prefix + "/"):
                return what
        if not pkg and _DB_NAME.search(c.receiver):
            return "the database" if "redis" not in c.receiver.lower() else "Redis"
        return None
    if c.name in _QUERIES and any(pkg == p or pkg.startswith(p + "/") for p in _SQL_PKGS):
        return "the database"
    return None


def _registration(g: GoFile, route: Route) -> Call | None:
    """The call that registered ``route`` (its pattern is the first argument)."""
    found = [
        c
        for c in g.calls
        if c.span.line == route.span.line
        and c.name in ROUTE_VERBS
        and c.args
        and (c.args[0].literal or "").split(" ")[-1] == route.path
    ]
    return found[0] if len(found) == 1 else None


def _funcs_named(ix: ProjectIndex, svc: Service, name: str) -> list[tuple[FuncDecl, GoFile]]:
    """Functions and methods called ``name`` in the service's code."""
    return [
        (f, g)
        for g in svc.files
        for f in ix.funcs(g)
        if f.name == name or f.name.endswith((f").{name}", f".{name}"))
    ]


def _one_func(
    ix: ProjectIndex, svc: Service, g: GoFile, expr: str
) -> tuple[FuncDecl, GoFile] | None:
    """The one function ``expr`` (``healthz``, ``s.livez``, ``handlers.Live``) names;
    None when none or several could be meant."""
    name = expr.rsplit(".", 1)[-1]
    cands = _funcs_named(ix, svc, name)
    if _IDENT.match(expr):  # a plain name: a function of the same package
        cands = [(f, h) for f, h in cands if h.dir == g.dir and f.name == name]
    return cands[0] if len(cands) == 1 else None


def _handler_body(ix: ProjectIndex, svc: Service, g: GoFile, reg: Call) -> _Body | None:
    expr = reg.args[-1].text.strip()
    wrapped = _WRAPPED.match(expr)
    if wrapped:
        expr = wrapped.group(1).strip()
    if expr.startswith("func("):
        end = reg.span.end_line or reg.span.line
        label = "the function literal registered for it"
        return _Body(g, reg.func, label, reg.span, lines=(reg.span.line, end))
    if _IDENT.match(expr) or _SELECTOR.match(expr):
        hit = _one_func(ix, svc, g, expr)
        if hit is None:
            return None
        f, h = hit
        return _Body(h, f.name, f.name, f.span)
    factory = _FACTORY.match(expr)
    if factory:  # handler(db): the handler is the closure it returns
        hit = _one_func(ix, svc, g, factory.group(1))
        if hit is None:
            return None
        f, h = hit
        return _Body(h, f.name, f.name, f.span, closures_only=True)
    return None


def _liveness_route(svc: Service, path: str) -> tuple[Route, GoFile] | None:
    """The one route of the service's code that answers ``path`` exactly."""
    found = [
        (r, g)
        for g in svc.files
        for r in g.routes
        if r.path == path and r.method in (None, "GET") and not r.host
    ]
    return found[0] if len(found) == 1 else None


def dependency_checked(ix: ProjectIndex, svc: Service, path: str) -> str | None:
    """What dependency the handler of the service's route ``path`` checks (``"the
    database"``), or None: what DR418 reports of a liveness probe on that path.
    ``dockready init`` asks it before making ``path`` the liveness probe."""
    joined = _liveness_route(svc, path.split("?", 1)[0])
    if joined is None:
        return None
    route, g = joined
    reg = _registration(g, route)
    body = _handler_body(ix, svc, g, reg) if reg is not None else None
    if body is None:
        return None
    return next((w for c in body.calls() if (w := _dependency(c)) is not None), None)


def _hits(ix: ProjectIndex, svc: Service, dep: Deployment, probe: Probe) -> Iterator[Hit]:
    h = probe.handler
    if h.kind != "httpGet" or not h.path:
        return
    path = h.path.split("?", 1)[0]
    joined = _liveness_route(svc, path)
    if joined is None:
        return
    route, g = joined
    reg = _registration(g, route)
    if reg is None:
        return
    body = _handler_body(ix, svc, g, reg)
    if body is None:
        return
    for c in body.calls():
        what = _dependency(c)
        if what is None:
            continue
        call = f"{c.receiver}.{c.name}" if c.receiver else c.name
        yield Hit(
            c.span,
            f"the liveness probe of {dep.workload.kind} {dep.workload.name} (GET {path}) runs "
            f"{body.label}, which checks {what} ({call}): when {what} is down or slow, the "
            "kubelet restarts every pod, and the restarts do not bring it back",
            related=(
                Related(h.path_span or probe.span, f"livenessProbe GET {path}"),
                Related(route.span, f"route {path}"),
            ),
            service=svc.name,
        )
        return  # one finding per handler: the first dependency it checks


@rule(
    id="DR418",
    name="liveness-checks-dependencies",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
    calls=tuple(f".{n}" for n in sorted(_PINGS | _QUERIES)),
)
def liveness_checks_dependencies(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Follows each container's HTTP liveness probe to the route of the service's code
    that answers it, and that route to its handler (a function, a method, a function
    literal, or the closure a handler factory returns), and reports the handler when
    its body checks a database, cache or broker: `db.PingContext`, a Redis or
    MongoDB client's `Ping`, a `SELECT 1` on a `database/sql` handle. The finding is
    on the call, with the probe and the route as related locations.

    Only a certain join is reported: one route with exactly the probe's path, and one
    function the handler expression can name. Checks made in helpers the handler
    calls are not followed.

    ## Why is this bad?
    A liveness probe answers one question: is this process wedged, so that a restart
    would help? A database outage is not fixed by restarting its clients. When the
    liveness handler pings the database, a database failover or a slow query makes
    every replica fail its liveness probe at once; the kubelet kills them all, the
    service goes from degraded to down, and the restarts pile reconnection storms on
    the recovering database. Dependency checks belong in the readiness probe, which
    takes a pod out of the Service without killing it.

    ## Example
    ```go
    mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) {
        if err := db.PingContext(r.Context()); err != nil {
            http.Error(w, "db down", http.StatusServiceUnavailable)
        }
    })
    ```

    ## Use instead
    ```go
    mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) {
        w.WriteHeader(http.StatusOK) // the process is alive and serving
    })
    mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
        if err := db.PingContext(r.Context()); err != nil {
            http.Error(w, "db down", http.StatusServiceUnavailable)
        }
    })
    ```

    ## Fix safety
    Moving the check to the readiness probe changes what an outage looks like: pods
    stay up and unready instead of restarting. Make sure a readiness probe exists.

    ## References
    - [Kubernetes: Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    - [Google Cloud: Kubernetes best practices, health checks](https://cloud.google.com/blog/products/containers-kubernetes/kubernetes-best-practices-setting-up-health-checks-with-readiness-and-liveness-probes)
    - [Colin Breck: Kubernetes liveness and readiness probes, how to avoid shooting yourself in the foot](https://blog.colinbreck.com/kubernetes-liveness-and-readiness-probes-how-to-avoid-shooting-yourself-in-the-foot/)
    """
    seen: set[tuple[Span, str]] = set()
    for svc in ctx.index.services:
        for dep in svc.deployments:
            probe = dep.container.probe("liveness")
            if probe is None:
                continue
            for hit in _hits(ctx.index, svc, dep, probe):
                key = (hit.span, probe.handler.path or "")
                if key not in seen:
                    seen.add(key)
                    yield hit
