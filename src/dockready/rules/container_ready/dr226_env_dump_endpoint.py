"""DR226 env-dump-endpoint: an HTTP handler writes the whole environment to its response."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.go import Call, FuncDecl, GoFile, Opaque
from dockready.facts.index import ProjectIndex
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_WEB = {
    "net/http": frozenset({"Write", "WriteString"}),
    "github.com/gin-gonic/gin": frozenset(
        {"JSON", "IndentedJSON", "PureJSON", "SecureJSON", "YAML", "XML"}
    ),
    "github.com/labstack/echo": frozenset({"JSON", "JSONPretty", "XML", "Blob"}),
    "github.com/labstack/echo/v4": frozenset({"JSON", "JSONPretty", "XML", "Blob"}),
    "github.com/gofiber/fiber/v2": frozenset({"JSON", "Send", "SendString", "Write"}),
    "github.com/gofiber/fiber/v3": frozenset({"JSON", "Send", "SendString", "Write"}),
}
_WRITE_NAMES = frozenset(n for names in _WEB.values() for n in names)
_FPRINT = frozenset({"fmt.Fprint", "fmt.Fprintf", "fmt.Fprintln", "io.WriteString"})
_RW_PARAM = re.compile(r"([A-Za-z_]\w*)\s+http\.ResponseWriter\b")
_ENCODER = re.compile(r"^(?:json|yaml|xml|gob)\.NewEncoder\(\s*([A-Za-z_]\w*)\s*\)$")
_ENVIRON = "os.Environ()"
#: A loop over ``os.Environ()`` writing each entry: the write within this many lines.
_LOOP_LINES = 3


def _writer(fn: FuncDecl | None) -> str | None:
    """The name of the ``http.ResponseWriter`` parameter of a handler function."""
    if fn is None:
        return None
    m = _RW_PARAM.search(fn.params)
    return m.group(1) if m else None


def _writes_response(c: Call, rw: str | None) -> bool:
    """Is ``c`` a write to an HTTP response?"""
    if c.callee.startswith("."):
        if c.name in _WEB.get(c.receiver_pkg, ()):
            return True
        if c.name == "Encode":
            m = _ENCODER.match(c.receiver)
            return m is not None and rw is not None and m.group(1) == rw
        return c.name in ("Write", "WriteString") and rw is not None and c.receiver == rw
    first = c.arg(0)
    return c.callee in _FPRINT and first is not None and rw is not None and first.text == rw


def _carries_environ(c: Call) -> bool:
    return any(
        _ENVIRON in a.text or any(isinstance(p, Opaque) and _ENVIRON in p.text for p in a.parts)
        for a in c.args
    )


def _each_entry(c: Call, environ: list[Call]) -> Call | None:
    """``for _, e := range os.Environ() { fmt.Fprintln(w, e) }``: the write is in a
    loop body just below an ``os.Environ()`` call of the same function, and writes a
    plain variable."""
    if not c.conditional:
        return None
    if not any(
        len(a.parts) == 1 and isinstance(a.parts[0], Opaque) and a.text.isidentifier()
        for a in c.args[1 if c.callee in _FPRINT else 0 :]
    ):
        return None
    for e in environ:
        if (
            e.func == c.func
            and e.in_closure == c.in_closure
            and 0 < c.span.line - e.span.line <= _LOOP_LINES
        ):
            return e
    return None


_CLOSURE_RW = re.compile(r"^func\(\s*([A-Za-z_]\w*)\s+http\.ResponseWriter\b")


def _closure_writer(g: GoFile, c: Call) -> str | None:
    """The ``http.ResponseWriter`` parameter of the handler literal ``c`` is in: the
    nearest call above it, in the same function, given a
    ``func(w http.ResponseWriter, ...)`` literal (``mux.HandleFunc("/env", func...``)."""
    best: tuple[int, str] | None = None
    for r in g.calls:
        if r.func != c.func or r.span.line > c.span.line or r is c:
            continue
        for a in r.args:
            m = _CLOSURE_RW.match(a.text)
            if m and (best is None or r.span.line >= best[0]):
                best = (r.span.line, m.group(1))
    return best[1] if best else None


def _funcs(ix: ProjectIndex, g: GoFile) -> dict[str, FuncDecl]:
    return {f.name: f for f in ix.funcs(g)}


@rule(
    id="DR226",
    name="env-dump-endpoint",
    severity=Severity.ERROR,
    reads=(Input.CODE,),
    tags=(Tag.SECURITY,),
    calls=(
        "os.Environ",
        "io.WriteString",
        ".Encode",
        *(f".{n}" for n in sorted(_WRITE_NAMES)),
    ),
)
def env_dump_endpoint(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds an HTTP handler that writes `os.Environ()` to its response: directly
    (`c.JSON(200, os.Environ())`, `json.NewEncoder(w).Encode(os.Environ())`,
    `w.Write([]byte(strings.Join(os.Environ(), "\\n")))`, through a variable
    assigned from it), or entry by entry
    (`for _, e := range os.Environ() { fmt.Fprintln(w, e) }`).

    Decisions, for certainty: a write counts as a response write when it is a method
    of the `http.ResponseWriter` (`w.Write`), of a gin/echo/fiber context
    (`c.JSON`, `c.SendString`...; not `c.String`, whose name is too common for the
    parser to record every call), or a `fmt.Fprint*`/`io.WriteString`/
    `json.NewEncoder(w).Encode` whose writer is the handler's `http.ResponseWriter`
    parameter. The entry-by-entry form is recognised when the write sits in a loop
    body at most three lines below the `os.Environ()` call, in the same function, and
    writes a plain variable. Test files are skipped.

    ## Why is this bad?
    In a container every secret reaches the process as an environment variable
    (database passwords, API tokens, cloud credentials from a Secret's `envFrom`).
    A debug endpoint that prints the environment hands them all to anyone who can
    reach the port, and probes, ingress controllers and port-forwards make more
    ports reachable than one expects.

    ## Example
    ```go
    mux.HandleFunc("/debug/env", func(w http.ResponseWriter, r *http.Request) {
        for _, e := range os.Environ() {
            fmt.Fprintln(w, e)
        }
    })
    ```

    ## Use instead
    Expose the effective, non-secret settings the service parsed (with secrets
    masked), or nothing:
    ```go
    mux.HandleFunc("/debug/config", func(w http.ResponseWriter, r *http.Request) {
        json.NewEncoder(w).Encode(cfg.Public())
    })
    ```

    ## Fix safety
    Removing the endpoint may break a tool that scrapes it; rotate any secret that
    was reachable through it.

    ## References
    - [OWASP: information exposure through debug information (CWE-215)](https://cwe.mitre.org/data/definitions/215.html)
    - [Kubernetes: Secrets as environment variables](https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables)
    """
    for g in ctx.index.go_files:
        if g.path.endswith("_test.go") or g.generated:
            continue
        environ = list(g.calls_to("os.Environ"))
        if not environ:
            continue
        funcs = _funcs(ctx.index, g)
        for c in g.calls:
            rw = _closure_writer(g, c) if c.in_closure else _writer(funcs.get(c.func))
            if not _writes_response(c, rw):
                continue
            if _carries_environ(c):
                yield Hit(
                    c.span,
                    "this handler writes os.Environ() to the HTTP response: every secret "
                    "passed to the container as an environment variable leaks to whoever "
                    "calls it; remove it or write only named, non-secret settings",
                )
                continue
            loop = _each_entry(c, environ)
            if loop is not None:
                yield Hit(
                    c.span,
                    "this handler writes each entry of os.Environ() to the HTTP response: "
                    "every secret passed to the container as an environment variable "
                    "leaks to whoever calls it; remove it or write only named, non-secret "
                    "settings",
                    related=(Related(loop.span, "os.Environ()"),),
                )
