"""Facts extracted from Go source (tree-sitter-go), go.mod, go.sum and vendor/modules.txt."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dockready.model import Compact, Span

#: Router methods that register a route, and the HTTP method they imply (None: any,
#: or given by the pattern/``.Methods``): net/http, gorilla/mux, chi, gin, echo, fiber.
ROUTE_VERBS: dict[str, str | None] = {
    **{v: v.upper() for v in ("Get", "Post", "Put", "Delete", "Patch", "Head", "Options")},
    **{v: v for v in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")},
    **dict.fromkeys(("Any", "All", "HandleFunc", "Handle", "HandlerFunc"), None),
}


_MAJOR = re.compile(r"v[0-9]+")


def methods(names: Iterable[str]) -> tuple[str, ...]:
    """Method names as a rule's ``calls=`` entries: ``{"Publish"}`` -> ``(".Publish",)``."""
    return tuple(sorted("." + n for n in names))


#: Method names of writes through a database handle (database/sql, gorm, sqlx, mongo...).
DB_WRITE_CALLS = frozenset(
    {
        "CopyFrom",
        "Create",
        "CreateInBatches",
        "Delete",
        "DeleteMany",
        "DeleteOne",
        "Exec",
        "ExecContext",
        "Insert",
        "InsertMany",
        "InsertOne",
        "NamedExec",
        "NamedExecContext",
        "ReplaceOne",
        "Save",
        "Update",
        "UpdateMany",
        "UpdateOne",
        "Updates",
        "Upsert",
    }
)
#: Method names that open a database transaction or session.
TX_CALLS = frozenset(
    {
        "Begin",
        "BeginTx",
        "BeginTxx",
        "Beginx",
        "InTx",
        "RunInTx",
        "StartSession",
        "Transaction",
        "WithTransaction",
        "WithTx",
    }
)
#: Method names that send a message to a broker (NATS, Kafka, RabbitMQ, Pub/Sub...).
PUBLISH_CALLS = frozenset(
    {
        "Produce",
        "Publish",
        "PublishAsync",
        "PublishMsg",
        "PublishRequest",
        "PublishWithContext",
        "Send",
        "SendMessage",
        "SendMessages",
        "WriteMessages",
    }
)


@dataclass(frozen=True, slots=True)
class EnvRef(Compact):
    """A value read from the environment: ``os.Getenv("PORT")`` or a fallback helper."""

    name: str
    default: str | None = None


@dataclass(frozen=True, slots=True)
class FlagRef(Compact):
    """A value from a command-line flag: ``flag.String("addr", ":8080", ...)``."""

    name: str
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Opaque(Compact):
    """A part of an expression that could not be resolved statically."""

    text: str


Part = str | EnvRef | FlagRef | Opaque


@dataclass(frozen=True, slots=True)
class Value(Compact):
    """A Go expression resolved the way a reader would.

    ``parts`` concatenate to the runtime value: literals, env lookups (with their
    fallback), flags (with their default) and opaque pieces. ``seconds`` is set when
    the expression is a constant ``time.Duration``.
    """

    text: str
    parts: tuple[Part, ...] = ()
    seconds: float | None = None

    @property
    def literal(self) -> str | None:
        """The value when it is fully known without any environment, else None."""
        if not self.parts or not all(isinstance(p, str) for p in self.parts):
            return None
        return "".join(p for p in self.parts if isinstance(p, str))

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, EnvRef))

    def resolve(
        self,
        env: Mapping[str, str] | None = None,
        flags: Mapping[str, str] | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> str | None:
        """The runtime value given an environment, flag values and the values of
        opaque parts a configuration file gives (``settings``); None if unknown."""
        if not self.parts:
            return None
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
            elif isinstance(p, EnvRef):
                v = (env or {}).get(p.name)
                if v is None or v == "":
                    v = p.default
                if v is None:
                    return None
                out.append(v)
            elif isinstance(p, FlagRef):
                v = (flags or {}).get(p.name, p.default)
                if v is None:
                    return None
                out.append(v)
            elif settings is not None and p.text in settings:
                out.append(settings[p.text])
            else:
                return None
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Comment(Compact):
    """A ``//`` comment the parser found (strings and block comments are not
    comments): only those that hold ``dockready:`` are kept, for inline
    suppressions. ``text`` starts with ``//``."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Import(Compact):
    path: str
    alias: str | None
    span: Span

    @property
    def name(self) -> str:
        """The identifier the file uses for the package (alias, or last path element)."""
        if self.alias:
            return self.alias
        parts = self.path.rsplit("/", 2)
        last = parts[-1]
        if len(parts) > 1 and _MAJOR.fullmatch(last):
            last = parts[-2]  # github.com/labstack/echo/v4 is package echo
        if last.startswith("go-"):
            last = last[3:]
        for suffix in (".go", ".v2", ".v3"):
            if last.endswith(suffix):
                last = last[: -len(suffix)]
        return last


@dataclass(frozen=True, slots=True)
class Call(Compact):
    """One call expression.

    ``callee`` is ``"<import path>.<Func>"`` for package-level functions
    (``"net/http.ListenAndServe"``) and ``".<Method>"`` for method calls, whose
    operand source text is ``receiver`` (``"s.nats"``). ``receiver_pkg`` is the import
    path of the receiver's type when known (a struct field or variable declared as
    ``*nats.Conn`` gives ``"github.com/nats-io/nats.go"``), else "".
    ``discarded`` is true when the results are dropped (an expression statement, or
    every result assigned to ``_``). ``order`` is the position in the file.
    ``in_goroutine`` is true inside a ``go`` statement; ``in_closure`` inside a function
    literal (``g.Go(func() error { ... })``), which may run concurrently too.
    """

    callee: str
    receiver: str
    receiver_pkg: str
    args: tuple[Value, ...]
    span: Span
    func: str
    discarded: bool
    order: int
    in_goroutine: bool = False
    in_closure: bool = False
    #: Inside a branch of its function: an ``if``/``else`` body, a ``switch``/``select``
    #: case or a loop body (the call may not run); a closure's body counts from the
    #: closure.
    conditional: bool = False

    @property
    def name(self) -> str:
        return self.callee.rsplit(".", 1)[-1]

    @property
    def package(self) -> str:
        """Import path for a package-level call, "" for a method or local call."""
        if self.callee.startswith(".") or "." not in self.callee:
            return ""
        return self.callee.rsplit(".", 1)[0]

    def arg(self, i: int) -> Value | None:
        return self.args[i] if i < len(self.args) else None


@dataclass(frozen=True, slots=True)
class CompositeLit(Compact):
    """A composite literal of a named type: ``http.Server{Addr: ":8080"}``.

    ``type`` is qualified by import path (``"net/http.Server"``); ``var`` is the
    variable it is assigned to, if any.
    """

    type: str
    fields: tuple[tuple[str, Value], ...]
    span: Span
    func: str
    var: str = ""

    def field(self, name: str) -> Value | None:
        for k, v in self.fields:
            if k == name:
                return v
        return None

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.fields)


@dataclass(frozen=True, slots=True)
class FuncDecl(Compact):
    """A function or method: ``name`` is ``"main"`` or ``"(*OrderService).CreateOrder"``."""

    name: str
    span: Span
    end_line: int
    #: The result list as written (``"(*os.File, error)"``), "" when none.
    results: str = ""
    #: The parameter list as written (``"(w http.ResponseWriter, r *http.Request)"``).
    params: str = ""


@dataclass(frozen=True, slots=True)
class StringLit(Compact):
    """A string literal with what it is bound to (a const/var name or a struct key)."""

    value: str
    span: Span
    func: str
    key: str = ""


#: Handler expressions that mean ``http.DefaultServeMux``.
DEFAULT_MUX = frozenset({"nil", "http.DefaultServeMux"})
_IDENT_CHAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def server_handler(v: Value | None) -> str:
    """What a server serves, from its handler expression (a ``ListenAndServe``
    argument or an ``http.Server`` literal's ``Handler``): ``"default"`` for the
    default mux (unset, ``nil`` or ``http.DefaultServeMux``), else the expression."""
    if v is None:
        return "default"
    t = v.text.strip()
    return "default" if t in DEFAULT_MUX else t


def handler_routers(handler: str) -> frozenset[str]:
    """The routers a handler expression may serve: its identifier chains, so that a
    router wrapped in middleware counts (``otelhttp.NewHandler(s.mux, "x")`` ->
    ``otelhttp.NewHandler``, ``s.mux``), with ``"default"`` for the default mux."""
    if handler == "default":
        return frozenset({"default"})
    out = set(_IDENT_CHAIN.findall(handler))
    if "http.DefaultServeMux" in out:
        out.add("default")
    return frozenset(out)


def serves_router(handler: str, router: str) -> bool:
    """Does a server whose handler is ``handler`` serve the routes of ``router``?"""
    return router in handler_routers(handler)


@dataclass(frozen=True, slots=True)
class Listener(Compact):
    """A server that listens: ``kind`` is http, https, grpc, tcp, gin, echo or fiber.

    ``handler`` is ``"default"`` when it serves ``http.DefaultServeMux`` (a nil
    handler), the variable name of the mux/router/engine otherwise, or "" if unknown.
    """

    kind: str
    addr: Value | None
    handler: str
    span: Span
    func: str
    order: int
    in_goroutine: bool = False
    in_closure: bool = False

    @property
    def blocking(self) -> bool:
        """Runs inline in its function (not in a goroutine or a closure)."""
        return not (self.in_goroutine or self.in_closure)


@dataclass(frozen=True, slots=True)
class Route(Compact):
    """An HTTP route; ``method`` is set by Go 1.22 patterns or router verbs."""

    path: str
    method: str | None
    router: str
    span: Span
    framework: str = "net/http"
    host: str = ""


@dataclass(frozen=True, slots=True)
class SignalHandler(Compact):
    """``signal.Notify`` / ``signal.NotifyContext`` with the signals it names."""

    signals: tuple[str, ...]
    span: Span
    func: str
    order: int


@dataclass(frozen=True, slots=True)
class Shutdown(Compact):
    """A graceful stop: ``Server.Shutdown`` (``kind`` "http") or ``GracefulStop`` ("grpc").

    ``timeout`` is the drain timeout in seconds when the context passed comes from a
    ``context.WithTimeout`` visible in the same function; ``cancellable`` is false when
    the context is ``context.Background()``/``TODO()`` with no deadline.
    """

    kind: str
    span: Span
    func: str
    order: int
    timeout: float | None = None
    cancellable: bool = True


@dataclass(frozen=True, slots=True)
class GoFile(Compact):
    path: str
    package: str
    imports: tuple[Import, ...] = ()
    calls: tuple[Call, ...] = ()
    literals: tuple[CompositeLit, ...] = ()
    funcs: tuple[FuncDecl, ...] = ()
    strings: tuple[StringLit, ...] = ()
    listeners: tuple[Listener, ...] = ()
    routes: tuple[Route, ...] = ()
    signals: tuple[SignalHandler, ...] = ()
    shutdowns: tuple[Shutdown, ...] = ()
    grpc_health: tuple[Span, ...] = ()
    cgo: Span | None = None
    error: Span | None = None
    #: ``//`` comments holding ``dockready:`` (inline suppressions).
    directives: tuple[Comment, ...] = ()
    #: Operands whose ReadTimeout/ReadHeaderTimeout is assigned (``srv``, ``e.Server``).
    timeouts: tuple[str, ...] = ()
    #: ``// Code generated ... DO NOT EDIT.`` before the package clause: its facts
    #: count, but nothing is reported on it (the fix goes in the generator).
    generated: bool = False
    #: The ``//go:build`` expression (``"migrate"``, ``"linux && amd64"``), "" if none.
    build: str = ""
    #: Every identifier-like string literal of the file (``"DB_HOST"``, struct tags'
    #: ``env:"DB_HOST"`` too), upper-cased: the environment variable names the code
    #: may read through helpers the parser does not follow (DR227).
    env_words: frozenset[str] = frozenset()
    #: Read without a syntax tree (``parse.gosrc.read_go``): the prefilter found
    #: nothing in it that a rule reads but its package, imports and words, so no
    #: tree was built. Its functions are read on demand (``ProjectIndex.funcs``), and
    #: a syntax error in it is not looked for (``go build`` reports it).
    skimmed: bool = False
    #: Its functions were kept apart when its facts were pickled (``engine.Parsed``:
    #: few rules read them, and they are a fifth of a Go file's facts): they are read
    #: on demand too (``ProjectIndex.funcs``). Never so when ``funcs_read_directly``.
    funcs_apart: bool = False
    #: Lines where a word of a deduplication guard appears (``processed``, ``dedup``,
    #: ``idempotent``, ``Nats-Msg-Id``, ``ON CONFLICT``, ``SetNX``...), comments
    #: included: where a message handler may skip a redelivery (DR110).
    guard_lines: tuple[int, ...] = ()

    @property
    def dir(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else "."

    @property
    def funcs_read_directly(self) -> bool:
        """Do rules read ``funcs`` itself here, not through ``ProjectIndex.funcs()``?
        Those of package ``main`` and of a file with routes (never skimmed, never
        pickled apart; ``tests/test_prefilter.py`` lists where)."""
        return self.package == "main" or bool(self.routes)

    def import_of(self, path: str) -> Import | None:
        for imp in self.imports:
            if imp.path == path:
                return imp
        return None

    def calls_to(self, *callees: str) -> tuple[Call, ...]:
        return tuple(c for c in self.calls if c.callee in callees)


@dataclass(frozen=True, slots=True)
class Require(Compact):
    path: str
    version: str
    indirect: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Replace(Compact):
    """A ``replace`` directive: ``old`` (a module path, optionally ``@version``)
    replaced by ``new``, a module path with ``new_version`` or a directory."""

    old: str
    new: str
    new_version: str | None
    span: Span

    @property
    def local(self) -> bool:
        """Is the replacement a directory (``./x``, ``../x`` or absolute)?"""
        return self.new_version is None and (
            self.new.startswith(("./", "../", "/")) or self.new in (".", "..")
        )


@dataclass(frozen=True, slots=True)
class GoMod(Compact):
    path: str
    module: str
    go: str | None = None
    go_span: Span | None = None
    toolchain: str | None = None
    toolchain_span: Span | None = None
    requires: tuple[Require, ...] = ()
    error: Span | None = None
    replaces: tuple[Replace, ...] = ()

    @property
    def local_replaces(self) -> tuple[Replace, ...]:
        return tuple(r for r in self.replaces if r.local)

    @property
    def dir(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else "."


@dataclass(frozen=True, slots=True)
class VendorModules(Compact):
    """vendor/modules.txt: ``# path version`` lines, and ``## explicit`` markers."""

    path: str
    modules: tuple[tuple[str, str], ...] = ()


def version_tuple(v: str | None) -> tuple[int, ...] | None:
    """``"1.22.3"`` -> ``(1, 22, 3)``; ``"go1.22"`` -> ``(1, 22)``; junk -> None."""
    if not v:
        return None
    v = v.strip()
    if v.startswith("go"):
        v = v[2:]
    out: list[int] = []
    for piece in v.split("."):
        digits = ""
        for ch in piece:
            if ch.isdigit():
                digits += ch
            else:
                break
        if not digits:
            break
        out.append(int(digits))
        if digits != piece:
            break
    return tuple(out) or None


#: The Go calls the parser records for the facts themselves (listeners, routes,
#: signals, env reads, file writes...), by method or function name: a call is
#: recorded only when its name is asked for, here or by a rule (``@rule(calls=...)``);
#: the engine hands the parser the union (``engine.call_table``).
FACT_CALLS = (
    frozenset(
        {
            "Go",
            "Load",
            "ReadConfig",
            "Provider",
            "DecodeFile",
            "Use",
            "Register",
            "RouteRegister",
            "Profiler",
            "AddSync",
            "DialWithDialer",
            "Client",
            "LoadLocationFromTZData",
            "NotFound",
            "NoRoute",
            "Static",
            "StaticFS",
            "New",
            # servers and listeners
            "ListenAndServe",
            "ListenAndServeTLS",
            "Serve",
            "ServeTLS",
            "Listen",
            "ListenTCP",
            "ListenTLS",
            "Run",
            "RunTLS",
            "Start",
            "StartTLS",
            "NewServer",
            "MustNewServer",
            # migration steps (init ships their directory)
            "Up",
            "UpContext",
            "WithHostPorts",
            "WithServiceAddr",
            "Address",
            "NewServeMux",
            "NewRouter",
            "Group",
            "Route",
            "Mount",
            "Path",
            "PathPrefix",
            # routes
            "Method",
            "MethodFunc",
            "Methods",
            "PostForm",
            "Do",
            # lifecycle
            "Notify",
            "NotifyContext",
            "Shutdown",
            "ShutdownWithContext",
            "ShutdownWithTimeout",
            "GracefulStop",
            "Stop",
            "RegisterHealthServer",
            "WithTimeout",
            "WithDeadline",
            # clients
            "Dial",
            "DialContext",
            "DialTimeout",
            "NewClient",
            "WithInsecure",
            "WithBlock",
            "WithTransportCredentials",
            "NewTLS",
            "NewClientTLSFromCert",
            "NewClientTLSFromFile",
            "NewRequest",
            "NewRequestWithContext",
            "Connect",
            "LoadDefaultConfig",
            "NewSession",
            # brokers and databases
            "Subscribe",
            "QueueSubscribe",
            "Consume",
            "Open",
            "AutoMigrate",  # gorm: schema migrations at start-up (init's startupProbe)
            # files, logs, environment
            "OpenFile",
            "WriteFile",
            "ReadFile",
            "ReadDir",
            "Mkdir",
            "MkdirAll",
            "CreateTemp",
            "MkdirTemp",
            "TempFile",
            "TempDir",
            "Chdir",
            "Remove",
            "RemoveAll",
            "Rename",
            "SetOutput",
            "NewJSONHandler",
            "NewTextHandler",
            "SetDefault",
            "NewProduction",
            "NewDevelopment",
            "Build",
            "ParseMultipartForm",
            "FormFile",
            "MultipartReader",
            "Getenv",
            "LookupEnv",
            "Environ",
            "Setenv",
            "ExpandEnv",
            "LoadLocation",
            # what ends the process (a fatal error path)
            "Fatal",
            "Fatalf",
            "Fatalln",
            "Fatalw",
            "Exit",
            "Panic",
            "Panicf",
            "Panicln",
            "Panicw",
            "Overload",
            "UserHomeDir",
            "Current",
            "Lookup",
            "LookupId",
            "SetConfigFile",
            "SetConfigName",
            "AddConfigPath",
            "ReadInConfig",
            "AutomaticEnv",  # viper reading the environment: a config file is optional
            "BindEnv",
            "SetEnvPrefix",
            "SetMemoryLimit",
            "SetGCPercent",
            "GOMAXPROCS",
            "StringVar",
            "IntVar",
            "BoolVar",
            "DurationVar",
            "Fprint",
            "Fprintf",
            "Fprintln",
        }
    )
    | frozenset(ROUTE_VERBS)
    | DB_WRITE_CALLS
    | TX_CALLS
    | PUBLISH_CALLS
)
