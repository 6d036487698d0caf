"""DR104 rpc-without-deadline: a gRPC call made with a context that never expires."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.go import Call, GoFile
from dockready.facts.index import GoPackage, ProjectIndex, Service
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_GRPC = "google.golang.org/grpc"
_CLIENTS = (f"{_GRPC}.NewClient", f"{_GRPC}.Dial", f"{_GRPC}.DialContext")
_NO_DEADLINE = frozenset({"context.Background()", "context.TODO()"})
# Client options that may add a deadline or retries to every call: interceptors and
# a service config (retryPolicy, timeout).
_MAY_BOUND = re.compile(r"Interceptor|ServiceConfig")
# A unary stub method's results: ``(*GetOrderResponse, error)``.
_UNARY = re.compile(r"^\(\s*\*[A-Za-z_][\w.]*\s*,\s*error\s*\)$")
_STUB_METHOD = re.compile(r"^\(\*[A-Za-z_]\w*Client\)\.([A-Z]\w*)$")


def _clients_unbounded(svc: Service) -> bool | None:
    """Are all of the service's gRPC clients free of interceptors and service
    configs? None when it creates none, or one whose options cannot be read (a
    ``opts...`` spread) or whose resolver may bring a config (``xds:``)."""
    seen = False
    for g in svc.files:
        for c in g.calls:
            if c.callee not in _CLIENTS:
                continue
            seen = True
            target = c.arg(1 if c.name == "DialContext" else 0)
            if target is not None and target.text.strip().strip('"`').startswith("xds:"):
                return None
            for a in c.args:
                t = a.text.strip()
                if t.endswith("...") or _MAY_BOUND.search(t):
                    return None
    return True if seen else None


def _package(ix: ProjectIndex, import_path: str) -> GoPackage | None:
    for m in ix.modules:
        if import_path == m.module or import_path.startswith(m.module + "/"):
            rel = import_path[len(m.module) :].lstrip("/")
            d = "/".join(p for p in (m.dir if m.dir != "." else "", rel) if p) or "."
            pkg = ix.packages.get(d)
            if pkg is not None:
                return pkg
    return None


def _unary_stubs(ix: ProjectIndex, pkg: GoPackage) -> frozenset[str]:
    """The unary methods of the gRPC client stubs a package declares
    (``func (c *inventoryClient) Reserve(...) (*ReserveResponse, error)`` in a file
    that imports grpc)."""
    out: set[str] = set()
    for g in pkg.files:
        if not _imports_grpc(g):
            continue
        for f in ix.funcs(g):
            m = _STUB_METHOD.match(f.name)
            if m and _UNARY.match(f.results.strip()):
                out.add(m.group(1))
    return frozenset(out)


def _imports_grpc(g: GoFile) -> bool:
    return g.import_of(_GRPC) is not None


@rule(
    id="DR104",
    name="rpc-without-deadline",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=_CLIENTS,
)
def rpc_without_deadline(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds unary gRPC calls made with `context.Background()` or `context.TODO()`
    (a context with no deadline) in a service whose gRPC clients have no interceptor
    and no service config, so nothing adds a deadline or a retry policy to the call.

    Decisions, to stay certain: the call must be a method of a client stub generated
    in the repository (`func (c *inventoryClient) Reserve(...) (*ReserveResponse,
    error)` in a package that imports `google.golang.org/grpc`), called with the
    background context written as its first argument; streaming methods are left
    alone (a watch stream may live as long as the process). Every
    `grpc.NewClient`/`grpc.Dial` of the service must be visible and have readable
    options: a `WithUnaryInterceptor`/`WithChainUnaryInterceptor`, a
    `WithDefaultServiceConfig`, an `opts...` spread or an `xds:` target silences the
    rule, as does a service that creates no client the rule can see. Stubs from
    other modules and HTTP calls are not checked (an HTTP client without a timeout
    is DR101).

    ## Why is this bad?
    gRPC has no default deadline. A call whose peer accepts the request and never
    answers (a pod killed mid-request, a deadlock, a network policy dropping
    packets) blocks the caller until the process restarts, and every request
    waiting on it piles up behind: one slow dependency takes the whole call chain
    down.

    ## Example
    ```go
    resp, err := s.inventory.Reserve(context.Background(), req)
    ```

    ## Use instead
    ```go
    ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
    defer cancel()
    resp, err := s.inventory.Reserve(ctx, req)
    ```
    pass the incoming request's context down, and give idempotent methods a
    `retryPolicy` in the client's service config.

    ## Fix safety
    A deadline turns a hang into a `DeadlineExceeded` error the caller must handle;
    choose it from the method's latency, not a global constant.

    ## References
    - [gRPC and deadlines](https://grpc.io/blog/deadlines/)
    - [gRPC retry design: retryPolicy](https://grpc.io/docs/guides/retry/)
    """
    ix = ctx.index
    stubs: dict[str, frozenset[str]] = {}
    reported: set[tuple[str, int, int]] = set()
    for svc in ix.services:
        if not _clients_unbounded(svc):
            continue
        for g in svc.files:
            if g.generated:
                continue
            for c in g.calls:
                if not _background_call(c):
                    continue
                if c.receiver_pkg not in stubs:
                    pkg = _package(ix, c.receiver_pkg)
                    stubs[c.receiver_pkg] = _unary_stubs(ix, pkg) if pkg else frozenset()
                key = (c.span.path, c.span.line, c.span.col)
                if c.name not in stubs[c.receiver_pkg] or key in reported:
                    continue
                reported.add(key)
                first = c.args[0].text.strip()
                yield Hit(
                    c.span,
                    f"gRPC call {c.receiver}.{c.name} with {first}: no deadline, and no "
                    "interceptor or service config on the client adds one; a peer that "
                    "never answers blocks this call forever",
                    service=svc.name,
                )


def _background_call(c: Call) -> bool:
    return (
        c.callee.startswith(".")
        and bool(c.receiver_pkg)
        and bool(c.args)
        and c.args[0].text.strip() in _NO_DEADLINE
    )
