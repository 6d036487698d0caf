"""DR213 pprof-exposed: Finds pprof served on a non-loopback address: `net/http/pprof` imported (blank or named: its `init`..."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockready.facts.derived.http import (
    HTTP_KINDS,
    describe,
    host_of,
    is_loopback,
    route_matches,
    service_go_files,
)
from dockready.facts.derived.runtime import bound_listeners, places_run
from dockready.facts.go import (
    GoFile,
    Route,
    server_handler,
    serves_router,
)
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_PPROF = "net/http/pprof"


@dataclass(frozen=True, slots=True)
class _Exposure:
    span: Span
    addr: str
    what: str


def _public_addr(addr: str | None) -> bool:
    host = host_of(addr)
    return host is not None and not is_loopback(host)


def _exposed(ix: ProjectIndex, svc: Service, router: str, file: GoFile) -> _Exposure | None:
    """A server serving ``router`` on a non-loopback address, wherever the service
    runs. Servers in the router's own file are preferred (router names are only
    unique within a file)."""
    files = service_go_files(svc)
    # A server built as an http.Server literal and started through a helper
    # (``go listen(srv)``): the listener's handler is unknown, the literal's is not.
    helper_started = any(
        lst.handler == "" and lst.kind in HTTP_KINDS for g in files for lst in g.listeners
    )
    lits = [
        (g, lit)
        for g in files
        for lit in g.literals
        if helper_started
        and lit.type == "net/http.Server"
        and serves_router(server_handler(lit.field("Handler")), router)
    ]
    same_lits = [x for x in lits if x[0].path == file.path]
    for rt in places_run(ix, svc):
        bound = [b for b in bound_listeners(svc, rt) if serves_router(b.listener.handler, router)]
        same = [b for b in bound if b.file.path == file.path]
        for b in same or bound:
            if _public_addr(b.addr):
                return _Exposure(b.listener.span, b.addr or "", describe(b.listener, b.addr))
        for _, lit in same_lits or lits:
            a = lit.field("Addr")
            addr = rt.resolve(a) if a is not None else None
            if _public_addr(addr):
                return _Exposure(lit.span, addr or "", f"http.Server on {addr}")
    return None


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
            and route_matches(r, "/debug/pprof/")
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
    calls=(
        "net/http.HandleFunc",
        "net/http.Handle",
        ".Handle",
        ".HandleFunc",
        ".HandlerFunc",
        ".Method",
        ".MethodFunc",
        ".Any",
        ".All",
        ".Get",
        ".Post",
        ".Put",
        ".Delete",
        ".Patch",
        ".Head",
        ".Options",
        ".GET",
        ".POST",
        ".PUT",
        ".DELETE",
        ".PATCH",
        ".HEAD",
        ".OPTIONS",
    ),
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
        files = service_go_files(svc)
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
