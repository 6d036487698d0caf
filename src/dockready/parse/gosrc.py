"""Go source -> ``GoFile`` facts, with tree-sitter-go.

One parse and one query pass per file. Values are resolved the way a reader would:
string constants, concatenation, ``os.Getenv``/``LookupEnv`` with the usual fallback
idioms (``if port == "" { port = "8080" }`` and ``getEnv(key, fallback)`` helpers),
``flag`` defaults, ``fmt.Sprintf``/``strconv.Itoa``/``net.JoinHostPort`` and
``time.Duration`` constants. A file tree-sitter cannot fully parse still yields the
facts of the parts it could parse, with ``error`` set to the first bad spot.
"""

from __future__ import annotations

import contextlib
import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Point, Range

from dockready import linear
from dockready.facts.go import (
    DB_WRITE_CALLS,
    FACT_CALLS,
    ROUTE_VERBS,
    TX_CALLS,
    Call,
    Comment,
    CompositeLit,
    EnvRef,
    FlagRef,
    FuncDecl,
    GoFile,
    Import,
    Listener,
    Opaque,
    Part,
    Route,
    Shutdown,
    SignalHandler,
    StringLit,
    Value,
    server_handler,
)
from dockready.model import Span

GO = Language(tree_sitter_go.language())

# Calls whose method/function name is in the table ``parse_go`` is given are recorded
# as ``Call`` facts; others are not (a tree of 150k calls costs seconds in Python;
# these are ~5 %). The table is ``FACT_CALLS`` plus the names rules declare.
# Candidate sites are found with cheap byte searches and then confirmed on the tree
# (the node at that offset must have the right shape): a full query traversal of
# every file costs as much as parsing it, and these sites are rare.
_METHOD = re.compile(rb"\.([A-Z][A-Za-z0-9_]*)\s*\(")
_BG_CTX = (b"context.Background()", b"context.TODO()")
_LITERAL = re.compile(rb"\.(Server|Client|Transport|Config|Logger|Dialer|Options)\s*\{")
_IP = re.compile(rb"\.[0-9]{1,3}\.[0-9]{1,3}\.")
_STR_TOKENS = (
    b"://",
    b"PRIVATE KEY",
    b"AKIA",
    b"ASIA",
    b"ghp_",
    b"gho_",
    b"github_pat_",
    b"glpat-",
    b"xox",
    b"sk_live_",
    b"AIza",
    b"localhost",
    b"127.0.0.1",
    b'.log"',
    b".yaml",
    b".yml",
    b'.json"',
    b".toml",
    b'.ini"',
    b'.env"',
    b".conf",
    b".pem",
    b".crt",
    b"zoneinfo",
)
# A secret-sounding name bound to a string literal (``dbPassword = "``,
# ``Token: "``, ``"api_key": "``), searched in the lower-cased source.
# ``name = "``, ``name := "``, ``"name": "``, and typed ``name string = "``.
_SECRET_SITE = linear.compile(
    rb"(?:passw|pwd|secret|token|key|credential|dsn)[a-z0-9_]*\"?[ \t]*"
    rb"(?:[a-z_][a-z0-9_.]*[ \t]*)?(?::=|=|:)[ \t]*[`\"]"
)
_SECRET_NAME = linear.compile(
    r"(?i)(passw(or)?d|passwd|pwd|secret|token|api_?key|private_?key|access_?key|"
    r"credential|auth_?key|signing_?key|encryption_?key|dsn)"
)
# Quick string-literal pieces, only to decide whether a file has any string worth a
# closer look (the tree decides what a string really is).
# (``re``: no ambiguity to backtrack over, and its findall runs in C.)
_QUOTED = re.compile(rb'"[^"\n]*"|`[^`]*`')
_STRING_TYPES = ("interpreted_string_literal", "raw_string_literal")


def _find_all(haystack: bytes, needles: tuple[bytes, ...]) -> list[int]:
    out = []
    for needle in needles:
        i = haystack.find(needle)
        while i >= 0:
            out.append(i)
            i = haystack.find(needle, i + 1)
    return out


_DURATIONS = {
    "Nanosecond": 1e-9,
    "Microsecond": 1e-6,
    "Millisecond": 1e-3,
    "Second": 1.0,
    "Minute": 60.0,
    "Hour": 3600.0,
}
_ENV_HELPER = re.compile(
    r"(?i)^(must)?(get)?env(var)?(or|default|ordefault|withdefault|withfallback|fallback|str|string)?$"
    r"|^(get|lookup)?envor.*$|^getenv.*$|^envstring$"
)
_HTTP_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE"}
_MAX_DEPTH = 12
#: Steps one value may take to resolve, and assignments of one variable followed.
_MAX_STEPS = 2000
_MAX_ASSIGNS = 16
#: The largest value built by concatenation (``a1 := a0 + a0`` doubles per line).
_MAX_PARTS = 256
_MAX_VALUE_CHARS = 64 * 1024
_MAX_TEXT = 120

_GIN = ("github.com/gin-gonic/gin",)
_ECHO = ("github.com/labstack/echo", "github.com/labstack/echo/v4")
_FIBER = ("github.com/gofiber/fiber", "github.com/gofiber/fiber/v2", "github.com/gofiber/fiber/v3")
#: Frameworks whose servers take their address as an option: the option call is the
#: listener (kind, and the default address when the option has no argument we read).
_ADDRESS_OPTIONS = {
    "github.com/cloudwego/hertz/pkg/app/server.WithHostPorts": "hertz",
    "github.com/go-kratos/kratos/v2/transport/http.Address": "kratos-http",
    "github.com/go-kratos/kratos/v2/transport/grpc.Address": "kratos-grpc",
}
#: go-zero servers: built from a config struct whose fields carry the address.
_GO_ZERO = {
    "github.com/zeromicro/go-zero/rest.MustNewServer": ("go-zero-http", "Port"),
    "github.com/zeromicro/go-zero/rest.NewServer": ("go-zero-http", "Port"),
    "github.com/zeromicro/go-zero/zrpc.MustNewServer": ("go-zero-grpc", "ListenOn"),
    "github.com/zeromicro/go-zero/zrpc.NewServer": ("go-zero-grpc", "ListenOn"),
}


_PARSERS: dict[int, Parser] = {}


def _parser() -> Parser:
    """One parser per process: a parser used before a fork must not be reused after."""
    pid = os.getpid()
    parser = _PARSERS.get(pid)
    if parser is None:
        parser = _PARSERS[pid] = Parser(GO)
    return parser


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


_ESCAPES = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.S)
_SIMPLE = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unescape(m: re.Match[str]) -> str:
    s = m.group(1)
    if s in _SIMPLE:
        return _SIMPLE[s]
    try:
        if s[0] in "xuU":
            return chr(int(s[1:], 16))
        if s.isdigit():
            return chr(int(s, 8))
    except ValueError:
        pass
    return s


def string_value(node: Node) -> str:
    """The value of a Go string literal node."""
    t = _text(node)
    if node.type == "raw_string_literal":
        return t[1:-1] if len(t) >= 2 else t
    body = t[1:-1] if len(t) >= 2 else t
    return _ESCAPES.sub(_unescape, body) if "\\" in body else body


@dataclass(slots=True)
class _Assign:
    name: str
    start: int
    value: Node | None  # the right-hand expression, None when unknown
    index: int  # position in a multi-value right-hand side (for ``v, ok := ...``)
    multi: bool
    cond: Node | None  # the condition of the ``if`` directly enclosing the assignment
    env: EnvRef | FlagRef | None = None  # set for flag.StringVar(&x, ...)


@dataclass(slots=True)
class _Ctx:
    path: str
    imports: dict[str, str]  # local name -> import path
    source: bytes = b""
    root: Node | None = None
    func_starts: list[int] = field(default_factory=list)
    func_ends: list[int] = field(default_factory=list)
    func_names: list[str] = field(default_factory=list)
    func_nodes: list[Node] = field(default_factory=list)
    assigns: dict[str, dict[str, list[_Assign]]] = field(default_factory=dict)  # func -> name
    types: dict[str, str] = field(default_factory=dict)  # package-level field name -> path
    local: dict[tuple[str, str], tuple[list[_Assign], str]] = field(default_factory=dict)
    lits: dict[str, CompositeLit] = field(default_factory=dict)  # var name -> literal
    env_helpers: dict[str, bool] = field(default_factory=dict)
    #: Start bytes of the functions whose bodies were left out of the parse (hollow).
    hollow: frozenset[int] = frozenset()

    def span(self, node: Node) -> Span:
        return _span(self.path, self.source, node)

    def func_index(self, byte: int) -> int:
        i = bisect_right(self.func_starts, byte) - 1
        return i if i >= 0 and byte < self.func_ends[i] else -1

    def func_at(self, byte: int) -> str:
        i = self.func_index(byte)
        return self.func_names[i] if i >= 0 else ""

    def assigns_for(self, func: str, name: str) -> list[_Assign]:
        """Assignments to ``name`` inside ``func`` (closures included), in order."""
        return self._local(func, name)[0] if func else []

    def type_in(self, func: str, name: str) -> str:
        """The import path of the declared type of ``name`` (a parameter or a typed
        ``var`` in ``func``, else a struct field of this file)."""
        local = self._local(func, name)[1] if func else ""
        return local or self.types.get(name, "")

    def _local(self, func: str, name: str) -> tuple[list[_Assign], str]:
        # Found by searching the function's bytes for the name and confirming each
        # occurrence on the tree: far cheaper than walking every function.
        key = (func, name)
        got = self.local.get(key)
        if got is None:
            got = self.local[key] = _scan_name(self, func, name)
        return got


def _concurrency(node: Node) -> tuple[bool, bool]:
    """(inside a ``go`` statement, inside a function literal) for a node."""
    in_go = in_closure = False
    cur = node.parent
    while cur is not None:
        t = cur.type
        if t == "go_statement":
            in_go = True
        elif t == "func_literal":
            in_closure = True
        elif t in ("function_declaration", "method_declaration"):
            break
        cur = cur.parent
    return in_go, in_closure


_BRANCH_FIELDS = {"if_statement": ("consequence", "alternative"), "for_statement": ("body",)}
_CASES = frozenset({"expression_case", "default_case", "type_case", "communication_case"})


def _conditional(node: Node) -> bool:
    """Is ``node`` inside an ``if``/``else`` branch, a case or a loop body of its
    function (or of its closure)?"""
    child, cur = node, node.parent
    while cur is not None:
        t = cur.type
        if t in ("function_declaration", "method_declaration", "func_literal"):
            return False
        if t in _CASES:
            return True
        for f in _BRANCH_FIELDS.get(t, ()):
            branch = cur.child_by_field_name(f)
            if (
                branch is not None
                and branch.start_byte == child.start_byte
                and branch.end_byte == child.end_byte
            ):
                return True
        child, cur = cur, cur.parent
    return False


def _func_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    base = _text(name) if name is not None else "?"
    if node.type != "method_declaration":
        return base
    recv = node.child_by_field_name("receiver")
    rtype = ""
    if recv is not None:
        for p in recv.named_children:
            t = p.child_by_field_name("type")
            if t is not None:
                rtype = _text(t).replace(" ", "")
                break
    if rtype.startswith("*"):
        return f"(*{rtype[1:].split('[')[0]}).{base}"
    return f"{rtype.split('[')[0]}.{base}" if rtype else base


def _type_pkg(node: Node | None, ctx: _Ctx) -> str:
    """The import path of a (possibly pointer/slice) qualified type, else ""."""
    while node is not None and node.type in ("pointer_type", "slice_type", "array_type"):
        node = node.child_by_field_name("element") or (
            node.named_children[-1] if node.named_children else None
        )
    if node is None:
        return ""
    if node.type == "qualified_type":
        pkg = node.child_by_field_name("package")
        return ctx.imports.get(_text(pkg), "") if pkg is not None else ""
    if node.type == "generic_type":
        return _type_pkg(node.child_by_field_name("type"), ctx)
    return ""


def _qualified_type(node: Node | None, ctx: _Ctx) -> str:
    if node is None:
        return ""
    if node.type == "qualified_type":
        pkg = node.child_by_field_name("package")
        name = node.child_by_field_name("name")
        if pkg is not None and name is not None:
            path = ctx.imports.get(_text(pkg), _text(pkg))
            return f"{path}.{_text(name)}"
    if node.type == "generic_type":
        return _qualified_type(node.child_by_field_name("type"), ctx)
    return _text(node)


def _enclosing_if_cond(node: Node, stop: Node | None) -> Node | None:
    cur = node.parent
    while cur is not None and cur is not stop:
        if cur.type == "if_statement":
            return cur.child_by_field_name("condition")
        if cur.type in ("function_declaration", "method_declaration", "func_literal"):
            return None
        cur = cur.parent
    return None


class _Resolver:
    """Turns expression nodes into ``Value`` objects."""

    def __init__(self, ctx: _Ctx, consts: dict[str, Node]) -> None:
        self.ctx = ctx
        self.consts = consts
        # Resolution is memoized per expression node, and bounded: a value takes at
        # most _MAX_STEPS steps and _MAX_DEPTH levels; past either it is unknown
        # (Opaque), never wrong. Only results no bound cut short are remembered.
        self._memo: dict[tuple[int, int, int], tuple[tuple[Part, ...], float | None]] = {}
        self._steps = 0
        self._cuts = 0

    def value(self, node: Node) -> Value:
        self._steps = 0
        parts, secs = self._parts(node, 0)
        return Value(text=_short(_text(node)), parts=tuple(_merge(parts)), seconds=secs)

    # -- expression walking -------------------------------------------------------
    def _parts(self, node: Node, depth: int) -> tuple[list[Part], float | None]:
        key = (node.start_byte, node.end_byte, node.kind_id)
        got = self._memo.get(key)
        if got is not None:
            return list(got[0]), got[1]
        self._steps += 1
        if depth > _MAX_DEPTH or self._steps > _MAX_STEPS:
            self._cuts += 1
            return [Opaque(_short(_text(node)))], None
        cuts = self._cuts
        parts, secs = self._walk(node, depth)
        if self._cuts == cuts:
            self._memo[key] = (tuple(parts), secs)
        return parts, secs

    def _walk(self, node: Node, depth: int) -> tuple[list[Part], float | None]:
        t = node.type
        if t in ("interpreted_string_literal", "raw_string_literal"):
            return [string_value(node)], None
        if t in ("int_literal", "float_literal"):
            txt = _text(node).replace("_", "")
            return [txt], _num(txt)
        if t == "parenthesized_expression" and node.named_children:
            return self._parts(node.named_children[0], depth + 1)
        if t == "binary_expression":
            return self._binary(node, depth)
        if t == "identifier":
            return self._ident(node, depth)
        if t == "selector_expression":
            return self._selector(node)
        if t == "unary_expression":
            op = node.child_by_field_name("operand")
            if op is not None:
                return self._parts(op, depth + 1)
        if t == "call_expression":
            return self._call(node, depth)
        return [Opaque(_short(_text(node)))], None

    def _binary(self, node: Node, depth: int) -> tuple[list[Part], float | None]:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        if left is None or right is None or op is None:
            return [Opaque(_short(_text(node)))], None
        lp, ls = self._parts(left, depth + 1)
        rp, rs = self._parts(right, depth + 1)
        o = _text(op)
        if o == "+":
            secs = ls + rs if ls is not None and rs is not None else None
            joined = lp + rp
            if len(joined) > _MAX_PARTS or sum(len(p) for p in joined if isinstance(p, str)) > (
                _MAX_VALUE_CHARS
            ):
                return [Opaque(_short(_text(node)))], secs  # too large to be an address
            return joined, secs
        if o in ("*", "/") and ls is not None and rs is not None:
            secs = ls * rs if o == "*" else (ls / rs if rs else None)
            return [Opaque(_short(_text(node)))], secs
        return [Opaque(_short(_text(node)))], None

    def _selector(self, node: Node) -> tuple[list[Part], float | None]:
        operand = node.child_by_field_name("operand")
        fld = node.child_by_field_name("field")
        if (
            operand is not None
            and fld is not None
            and operand.type == "identifier"
            and self.ctx.imports.get(_text(operand)) == "time"
            and _text(fld) in _DURATIONS
        ):
            return [Opaque(_text(node))], _DURATIONS[_text(fld)]
        if (
            operand is not None
            and fld is not None
            and self.ctx.imports.get(_text(operand)) == "net/http"
            and _text(fld).startswith("Method")
        ):
            return [_text(fld)[6:].upper()], None
        return [Opaque(_short(_text(node)))], None

    def _ident(self, node: Node, depth: int) -> tuple[list[Part], float | None]:
        name = _text(node)
        if name in ("nil", "true", "false", "iota"):
            return [Opaque(name)], None
        func = self.ctx.func_at(node.start_byte)
        local = self.ctx.assigns_for(func, name) if func else None
        if local:
            before = [a for a in local if a.start < node.start_byte]
            if before:
                return self._from_assigns(before, name, depth)
        glob = self.ctx.assigns.get("", {}).get(name)
        if glob:
            return self._from_assigns(glob, name, depth)
        const = self.consts.get(name)
        if const is not None:
            return self._parts(const, depth + 1)
        return [Opaque(name)], None

    def _from_assigns(
        self, assigns: list[_Assign], name: str, depth: int
    ) -> tuple[list[Part], float | None]:
        first = assigns[0]
        if len(assigns) > _MAX_ASSIGNS:  # reassigned over and over: unknown
            return [Opaque(name)], None
        base, secs = self._assign_value(first, depth)
        if len(assigns) == 1:
            return base, secs
        # The fallback idioms: ``x := os.Getenv("X"); if x == "" { x = "d" }`` and
        # ``x := "d"; if v, ok := os.LookupEnv("X"); ok { x = v }``.
        for later in assigns[1:]:
            if later.value is None:
                continue
            lp, _ = self._assign_value(later, depth)
            if (
                len(base) == 1
                and isinstance(base[0], EnvRef)
                and base[0].default is None
                and later.cond is not None
                and _is_empty_check(later.cond, name)
                and all(isinstance(p, str) for p in lp)
            ):
                base = [EnvRef(base[0].name, "".join(p for p in lp if isinstance(p, str)))]
            elif (
                all(isinstance(p, str) for p in base) and len(lp) == 1 and isinstance(lp[0], EnvRef)
            ):
                base = [EnvRef(lp[0].name, "".join(p for p in base if isinstance(p, str)))]
            elif (
                len(base) == 1
                and isinstance(base[0], EnvRef)
                and base[0].default is None
                and later.cond is not None
                and _is_empty_check(later.cond, name)
            ):
                # ``if x == "" { x = cfg.Host }``: a fallback, but not a known one.
                base = [Opaque(name)]
        return base, secs

    def _assign_value(self, a: _Assign, depth: int) -> tuple[list[Part], float | None]:
        if a.env is not None:
            return [a.env], None
        if a.value is None:
            return [Opaque(a.name)], None
        v = a.value
        if a.multi and v.type == "call_expression":
            callee = self._callee(v)
            if callee == "os.LookupEnv" and a.index == 0:
                return self._call(v, depth + 1)
            if a.index > 0:
                return [Opaque(a.name)], None
        return self._parts(v, depth + 1)

    def _callee(self, call: Node) -> str:
        fn = call.child_by_field_name("function")
        if fn is None:
            return ""
        if fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            fld = fn.child_by_field_name("field")
            if operand is not None and fld is not None and operand.type == "identifier":
                path = self.ctx.imports.get(_text(operand))
                if path is not None:
                    return f"{path}.{_text(fld)}"
            return "." + (_text(fld) if fld is not None else "")
        if fn.type == "identifier":
            return _text(fn)
        return ""

    def _args(self, call: Node) -> list[Node]:
        args = call.child_by_field_name("arguments")
        if args is None:
            return []
        return [a for a in args.named_children if a.type != "comment"]

    def _call(self, node: Node, depth: int) -> tuple[list[Part], float | None]:
        callee = self._callee(node)
        args = self._args(node)
        first = self._lit(args[0], depth) if args else None
        if callee in ("os.Getenv", "os.LookupEnv", "syscall.Getenv") and first:
            return [EnvRef(first)], None
        if callee.startswith("flag.") and len(args) >= 2 and first:
            dp, _ = self._parts(args[1], depth + 1)
            default = "".join(p for p in dp if isinstance(p, str)) if _all_str(dp) else None
            return [FlagRef(first, default)], None
        if (
            len(args) == 2
            and first
            and (_is_env_helper(self.ctx, callee) or _ENV_HELPER.match(callee.rsplit(".", 1)[-1]))
        ):
            dp, _ = self._parts(args[1], depth + 1)
            default = "".join(p for p in dp if isinstance(p, str)) if _all_str(dp) else None
            return [EnvRef(first, default)], None
        if callee in ("path/filepath.Join", "path.Join") and args:
            joined: list[Part] = []
            for i, a in enumerate(args):
                if i:
                    joined.append("/")
                joined.extend(self._parts(a, depth + 1)[0])
            return joined, None
        if not args and "." not in callee and callee in self.ctx.func_names:
            fnode = self.ctx.func_nodes[self.ctx.func_names.index(callee)]
            if fnode.start_byte in self.ctx.hollow:
                raise _Hollowed(callee)
            ret = _single_return(fnode)
            if ret is not None:
                return self._parts(ret, depth + 1)
        if callee in ("strconv.Itoa", "fmt.Sprint", "string", "time.Duration") and len(args) == 1:
            return self._parts(args[0], depth + 1)
        if callee == "net.JoinHostPort" and len(args) == 2:
            hp, _ = self._parts(args[0], depth + 1)
            pp, _ = self._parts(args[1], depth + 1)
            return [*hp, ":", *pp], None
        if callee == "fmt.Sprintf" and args and first is not None:
            return self._sprintf(first, args[1:], depth), None
        return [Opaque(_short(_text(node)))], None

    def _lit(self, node: Node, depth: int) -> str | None:
        parts, _ = self._parts(node, depth + 1)
        return "".join(p for p in parts if isinstance(p, str)) if _all_str(parts) else None

    def _sprintf(self, fmt: str, args: list[Node], depth: int) -> list[Part]:
        out: list[Part] = []
        pieces = re.split(r"(%[-+# 0-9.]*[a-zA-Z%])", fmt)
        ai = 0
        for piece in pieces:
            if piece.startswith("%") and len(piece) > 1:
                if piece == "%%":
                    out.append("%")
                elif ai < len(args):
                    p, _ = self._parts(args[ai], depth + 1)
                    out.extend(p)
                    ai += 1
                else:
                    out.append(Opaque(piece))
            elif piece:
                out.append(piece)
        return out


def _single_return(fnode: Node) -> Node | None:
    """The expression of a function whose body is one ``return expr`` away (possibly
    after simple statements): ``func listenAddr() string { return ":" + port }``."""
    body = fnode.child_by_field_name("body")
    if body is None:
        return None
    stmts = body.named_children
    if stmts and stmts[0].type == "statement_list":
        stmts = stmts[0].named_children
    returns = [s for s in stmts if s.type == "return_statement"]
    if (
        len(returns) != 1
        or returns[0] is not stmts[-1]
        or b"return" in (b"".join((s.text or b"") for s in stmts[:-1]))
    ):
        return None
    exprs = [c for c in returns[0].named_children if c.type != "comment"]
    if exprs and exprs[0].type == "expression_list":
        exprs = exprs[0].named_children
    return exprs[0] if len(exprs) == 1 else None


def _all_str(parts: list[Part]) -> bool:
    return bool(parts) and all(isinstance(p, str) for p in parts)


def _merge(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + p
        else:
            out.append(p)
    return out


def _num(txt: str) -> float | None:
    try:
        return float(int(txt, 0)) if txt.isdigit() or txt.startswith("0x") else float(txt)
    except ValueError:
        return None


def _is_empty_check(cond: Node, name: str) -> bool:
    t = "".join(_text(cond).split())
    return t in (f'{name}==""', f'""=={name}', f"len({name})==0")


@dataclass(slots=True)
class _Out:
    calls: list[Call] = field(default_factory=list)
    call_nodes: list[Node] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    signals: list[SignalHandler] = field(default_factory=list)
    shutdowns: list[Shutdown] = field(default_factory=list)
    grpc_health: list[Span] = field(default_factory=list)


_GENERATED = re.compile(rb"^// Code generated .* DO NOT EDIT\.\r?$", re.M)
_PACKAGE = re.compile(rb"^package\s", re.M)


def is_generated(source: bytes) -> bool:
    """Go's convention (``go help generate``): a line ``// Code generated ... DO NOT
    EDIT.`` before the package clause marks a generated file."""
    pkg = _PACKAGE.search(source)
    head = source[: pkg.start()] if pkg else source[:4096]
    return _GENERATED.search(head) is not None


_BUILD_LINE = re.compile(rb"^//go:build[ \t]+([^\r\n]+)", re.MULTILINE)


def build_constraint(source: bytes) -> str:
    """The ``//go:build`` expression before the package clause ("" when none)."""
    pkg = _PACKAGE.search(source)
    head = source[: pkg.start()] if pkg else source[:4096]
    m = _BUILD_LINE.search(head)
    return m.group(1).decode("utf-8", "replace").strip() if m else ""


def parse_go(path: str, source: bytes, calls: frozenset[str] = FACT_CALLS) -> GoFile:
    """Parse one Go file into facts; never raises on bad Go."""
    return _parse(path, source, calls, _byte_sites(source, calls))


def read_go(
    path: str, source: bytes, calls: frozenset[str] = FACT_CALLS, prefilter: bool = True
) -> GoFile:
    """One Go file's facts: *skimmed* when the prefilter allows it (no byte test
    fires, and the header scanner reads it exactly: ``GoFile.skimmed``), else parsed
    (``parse_go``); the byte tests are made once for both."""
    sites = _byte_sites(source, calls)
    if prefilter and not sites:
        skimmed = _skim(path, source)
        if skimmed is not None:
            return skimmed
    if prefilter:
        bodies = _hollow_bodies(source, sites)
        if bodies:
            with contextlib.suppress(_Hollowed):
                return _parse(path, source, calls, sites, bodies)
    return _parse(path, source, calls, sites)


def _parse(
    path: str,
    source: bytes,
    calls: frozenset[str],
    sites: _Sites,
    bodies: list[tuple[int, int]] | None = None,
) -> GoFile:
    """The facts of a file parsed whole, or with ``bodies`` left out (``_Hollowed``
    when that tree does not have the shape the hollowing assumed, or a value is read
    through a body left out)."""
    parser = _parser()
    hollow: frozenset[int] = frozenset()
    if bodies:
        parser.included_ranges = _outside(source, bodies)
        try:
            tree = parser.parse(source)
        finally:
            parser.included_ranges = _WHOLE
        hollow = _hollowed(tree.root_node, bodies)
        if not hollow:
            raise _Hollowed("the tree")
    else:
        tree = parser.parse(source)
    root = tree.root_node
    top = _top_level(root, path, source)
    ctx = _Ctx(
        path=path,
        imports={i.name: i.path for i in top.imports if i.alias not in ("_", ".")},
        source=source,
        root=root,
        hollow=hollow,
    )
    funcs = _funcs(top.funcs, ctx)
    consts = _consts(top.consts)
    _package_vars(top.vars, ctx)
    _struct_types(top.types, ctx)
    call_nodes = _call_sites(root, sites)
    _flag_vars(call_nodes, ctx)
    res = _Resolver(ctx, consts)
    lits = _literals(_literal_sites(root, sites), ctx, res)
    for lit in lits:
        if lit.var:
            ctx.lits.setdefault(lit.var, lit)
    out = _Out()
    for node in call_nodes:
        _call(node, ctx, res, out)
    _derive(ctx, res, out)
    strings = _strings(_string_sites(root, sites), ctx)
    cgo = next((i.span for i in top.imports if i.path == "C"), None)
    error = _first_error(root, path, source) if root.has_error else None
    return GoFile(
        generated=is_generated(source),
        build=build_constraint(source),
        path=path,
        package=top.package,
        imports=tuple(top.imports),
        calls=tuple(out.calls),
        literals=tuple(lits),
        funcs=tuple(funcs),
        strings=tuple(strings),
        listeners=tuple(out.listeners),
        routes=tuple(out.routes),
        signals=tuple(out.signals),
        shutdowns=tuple(out.shutdowns),
        grpc_health=tuple(out.grpc_health),
        cgo=cgo,
        error=error,
        directives=_directives(root, path, source, sites.directives),
        timeouts=_timeouts_set(root, sites.timeouts),
        env_words=frozenset(w.decode("ascii").upper() for w in _WORDS.findall(source)),
        guard_lines=_guard_lines(source),
    )


_WORDS = re.compile(rb'["`]([A-Za-z_][A-Za-z0-9_]{1,63})["`]')

# -- the prefilter ----------------------------------------------------------------
# Most Go files hold nothing a rule reads but their package, imports and words:
# no call the call table names, no composite literal of interest, no string worth a
# look, no directive. Such a file is *skimmed*: its header is read by the scanner
# below and no syntax tree is built (tree-sitter's parse is most of a file's cost).
# The decision uses the very byte tests that pick candidate sites in ``parse_go``, so
# a skimmed file's facts are what ``parse_go`` would give, less its functions (read
# on demand, ``ProjectIndex.funcs``) and its syntax errors. Package ``main`` is always
# parsed: rules read its ``func main``. Anything the scanner does not recognise
# exactly (a ``;``, an escape in an import path, a non-ASCII name) is parsed too.

_GAP = re.compile(rb"(?:[ \t\r\n]+|//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)*")
_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_IMPORT_PATH = re.compile(rb'"[^"\\\n]*"|`[^`\n]*`')

_DECLS = frozenset({b"func", b"type", b"var", b"const"})
#: Go's keywords: never a package name or an import's alias.
_KEYWORDS = frozenset(
    b"break case chan const continue default defer else fallthrough for func go goto if "
    b"import interface map package range return select struct switch type var".split()
)


def _gap(source: bytes, i: int) -> int:
    m = _GAP.match(source, i)
    return m.end() if m else i


def _late_keyword(source: bytes, start: int, word: bytes) -> bool:
    """Is ``word`` at the start of a line, or after ``;``, ``}``, ``)`` or ``]``,
    somewhere from ``start`` on (a clause the parser may take as one, wherever it
    is: in a comment or a string too, to be safe)?"""
    i = source.find(word, start)
    while i >= 0:
        j = i + len(word)
        after = source[j : j + 1]
        if not (after.isalnum() or after == b"_"):
            k = i
            while k > 0 and source[k - 1] in b" \t":
                k -= 1
            if k == 0 or source[k - 1 : k] in (b"\n", b"\r", b";", b"}", b")", b"]"):
                return True
        i = source.find(word, j)
    return False


def _ends_line(source: bytes, i: int) -> bool:
    """Does the clause that ended at ``i`` end its line (Go's implicit semicolon)?"""
    j = _gap(source, i)
    return j == len(source) or b"\n" in source[i:j]


def _skim_imports(path: str, source: bytes, i: int) -> tuple[list[Import], int] | None:
    """The import declarations from ``i`` (after the package clause), and where the
    first other declaration starts; None for anything not read exactly."""
    out: list[Import] = []
    while True:
        i = _gap(source, i)
        m = _IDENT.match(source, i)
        if m is None or m.group() != b"import":
            return out, i
        i = _gap(source, m.end())
        if source.startswith(b"(", i):
            i += 1
            while True:
                j = _gap(source, i)
                if source.startswith(b")", j):
                    i = j + 1
                    if not _ends_line(source, i):
                        return None
                    break
                if out and i < len(source) and b"\n" not in source[i:j]:
                    return None  # two specs on one line
                spec = _skim_spec(path, source, j)
                if spec is None:
                    return None
                imp, i = spec
                out.append(imp)
        else:
            spec = _skim_spec(path, source, i)
            if spec is None or not _ends_line(source, spec[1]):
                return None
            imp, i = spec
            out.append(imp)


def _skim_spec(path: str, source: bytes, i: int) -> tuple[Import, int] | None:
    start = i
    alias: str | None = None
    if source.startswith((b".", b"_"), i) and not _IDENT.match(source, i + 1):
        alias = chr(source[i])
        i += 1
    else:
        m = _IDENT.match(source, i)
        if m is not None:
            if m.group() in _KEYWORDS:
                return None
            alias = m.group().decode()
            i = m.end()
    if alias is not None:
        j = _gap(source, i)
        if (j == i and source[i : i + 1] not in (b'"', b"`")) or b"\n" in source[i:j]:
            return None
        i = j
    m = _IMPORT_PATH.match(source, i)
    if m is None or not m.group().isascii():
        return None
    end = m.end()
    line = source.count(b"\n", 0, start) + 1
    end_line = line + source.count(b"\n", start, end)
    col = start - (source.rfind(b"\n", 0, start) + 1)
    end_col = end - (source.rfind(b"\n", 0, end) + 1)
    span = Span(
        path, line, _chars(source, start, col) + 1, end_line, _chars(source, end, end_col) + 1
    )
    return Import(path=m.group()[1:-1].decode(), alias=alias, span=span), end


def _skim(path: str, source: bytes) -> GoFile | None:
    i = _gap(source, 0)
    m = _IDENT.match(source, i)
    if m is None or m.group() != b"package":
        return None
    i = _gap(source, m.end())
    if i == m.end() or b"/" in source[m.end() : i]:
        return None  # a comment before the name: the parser takes it for the name
    name = _IDENT.match(source, i)
    if name is None or name.group() in (b"main", b"_") or name.group() in _KEYWORDS:
        return None
    end = name.end()
    if end < len(source) and (source[end : end + 1].isalnum() or source[end] >= 0x80):
        return None
    if not _ends_line(source, end) or _late_keyword(source, end, b"package"):
        return None
    got = _skim_imports(path, source, end)
    if got is None:
        return None
    imports, rest = got
    decl = _IDENT.match(source, rest)
    if rest < len(source) and (decl is None or decl.group() not in _DECLS):
        return None  # not a declaration after the imports: left to the parser
    if _late_keyword(source, rest, b"import"):
        return None
    return GoFile(
        generated=is_generated(source),
        build=build_constraint(source),
        path=path,
        package=name.group().decode(),
        imports=tuple(imports),
        cgo=next((i.span for i in imports if i.path == "C"), None),
        env_words=frozenset(w.decode("ascii").upper() for w in _WORDS.findall(source)),
        guard_lines=_guard_lines(source),
        skimmed=True,
    )


# -- hollow parsing ------------------------------------------------------------------
# A parsed file's facts come from the places the byte tests found (calls, literals,
# strings, directives) and from its top-level declarations. The body of a top-level
# function holding none of those places is left out of the parse (tree-sitter's
# included ranges): the tree keeps the function, its signature and an empty body at
# the same bytes, and the file costs what its other bytes cost. A body is left out
# only when its text is plain: it opens at the end of a line of the ``func`` clause
# and closes with ``}`` alone at the start of a line (gofmt's layout), before the next
# top-level ``func``, with no raw string and no block comment in it (every token
# inside is then on one line). The hollow tree is used only when it has no syntax
# error and every body left out is the body of a top-level function at exactly those
# bytes; otherwise, or when a value is resolved through a body left out (a helper's
# ``return``), the file is parsed whole. For Go that parses, the facts are those of
# the whole parse (``tests/test_prefilter.py``); a syntax error inside a body left
# out is not looked for (``go build`` reports it).


class _Hollowed(Exception):
    """The hollow tree cannot serve: it is not the shape the hollowing assumed, or a
    value was resolved through a function body that was left out of the parse."""


_WHOLE: list[Range] = []  # the parser's default: the whole file
_TOP_FUNC = re.compile(rb"\nfunc[ (]")  # (a file opens with its package clause)
_BODY_OPEN = re.compile(rb" \{\r?\n")
#: Bodies shorter than this are parsed: a range costs more than their bytes.
_MIN_HOLLOW = 64


def _hollow_bodies(source: bytes, sites: _Sites) -> list[tuple[int, int]]:
    """The ``{``/``}`` byte offsets of the top-level function bodies that hold no
    byte-test site and can be left out of the parse, in order."""
    starts = [m.start() + 1 for m in _TOP_FUNC.finditer(source)]
    if not starts:
        return []
    marks = sorted(_site_offsets(source, sites))
    out: list[tuple[int, int]] = []
    n = len(source)
    for k, start in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else n
        close = source.find(b"\n}", start, nxt) + 1
        if close <= 0 or (close + 1 < n and source[close + 1] not in b"\r\n"):
            continue
        m = _BODY_OPEN.search(source, start, close)
        if m is None:
            continue
        open_ = m.start() + 1
        if close - open_ < _MIN_HOLLOW:
            continue
        i = bisect_right(marks, open_)
        if i < len(marks) and marks[i] < close:
            continue
        if source.find(b"`", open_, close) >= 0 or source.find(b"/*", open_, close) >= 0:
            continue
        out.append((open_, close))
    return out


def _site_offsets(source: bytes, sites: _Sites) -> list[int]:
    out = [a for a, _ in sites.methods]
    out += [a for a, _ in sites.literals]
    out += sites.strings
    out += sites.secrets
    out += sites.directives
    out += [a for a, _ in sites.timeouts]
    return out


def _outside(source: bytes, bodies: list[tuple[int, int]]) -> list[Range]:
    """The ranges to parse: everything but the inside of ``bodies``."""
    out: list[Range] = []
    at, row, line_start = 0, 0, 0

    def point(i: int) -> Point:
        nonlocal at, row, line_start
        newlines = source.count(b"\n", at, i)
        if newlines:
            row += newlines
            line_start = source.rfind(b"\n", at, i) + 1
        at = i
        return Point(row, i - line_start)

    prev, prev_point = 0, Point(0, 0)
    for open_, close in bodies:
        end = open_ + 1
        out.append(Range(prev_point, point(end), prev, end))
        prev, prev_point = close, point(close)
    out.append(Range(prev_point, point(len(source)), prev, len(source)))
    return out


def _hollowed(root: Node, bodies: list[tuple[int, int]]) -> frozenset[int]:
    """The start bytes of the functions whose bodies were left out, if the hollow
    tree is what the hollowing assumed (no error, each body a function's); else
    empty (the file is parsed whole)."""
    if root.has_error:
        return frozenset()
    wanted = {(open_, close + 1) for open_, close in bodies}
    found: set[int] = set()
    for child in root.named_children:
        if child.type in ("function_declaration", "method_declaration"):
            body = child.child_by_field_name("body")
            if body is not None and (body.start_byte, body.end_byte) in wanted:
                found.add(child.start_byte)
    return frozenset(found) if len(found) == len(wanted) else frozenset()


_GUARD = linear.compile(  # RE2: 50 times faster than re on this alternation
    rb"(?i)dedup|idempot|processed|duplicate|already|inbox|seen|msg_?id|message_?id|"
    rb"event_?id|nats-msg-id|setnx|on\s+conflict|on\s+duplicate|insert\s+ignore|upsert|"
    rb"redeliver|numdelivered|metadata\(\)"
)


def _guard_lines(source: bytes) -> tuple[int, ...]:
    """Lines holding a word of a deduplication guard (``GoFile.guard_lines``)."""
    out: list[int] = []
    line, at = 1, 0
    for m in _GUARD.finditer(source):
        line += source.count(b"\n", at, m.start())
        at = m.start()
        if not out or out[-1] != line:
            out.append(line)
    return tuple(out)


_READ_TIMEOUTS = (b"ReadHeaderTimeout", b"ReadTimeout")
_DIRECTIVE = b"dockready:"


def _timeouts_set(root: Node, words: list[tuple[int, int]]) -> tuple[str, ...]:
    """The operands whose read timeout is assigned after construction:
    ``srv.ReadHeaderTimeout = 5 * time.Second`` gives ``"srv"``, echo's
    ``e.Server.ReadTimeout = ...`` gives ``"e.Server"`` (``words``: where the byte
    tests found a read timeout's name)."""
    out: list[str] = []
    for start, end in words:
        node = root.descendant_for_byte_range(start, end)
        sel = node.parent if node is not None else None
        lst = sel.parent if sel is not None else None
        stmt = lst.parent if lst is not None else None
        if (
            node is not None
            and node.type == "field_identifier"
            and sel is not None
            and sel.type == "selector_expression"
            and lst is not None
            and lst.type == "expression_list"
            and stmt is not None
            and stmt.type == "assignment_statement"
            and stmt.child_by_field_name("left") == lst
        ):
            operand = sel.child_by_field_name("operand")
            if operand is not None:
                out.append(_text(operand))
    return tuple(sorted(set(out)))


def _directives(root: Node, path: str, source: bytes, at: list[int]) -> tuple[Comment, ...]:
    """The ``//`` comments that hold ``dockready:`` (``at``: where the byte tests
    found it), as the tree has them: the text in a string or a ``/* */`` block is
    not one."""
    out: list[Comment] = []
    seen: set[int] = set()
    for i in at:
        node = root.descendant_for_byte_range(i, i + len(_DIRECTIVE))
        if (
            node is not None
            and node.type == "comment"
            and node.start_byte not in seen
            and source.startswith(b"//", node.start_byte)
        ):
            seen.add(node.start_byte)
            text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
            out.append(Comment(_span(path, source, node), text))
    return tuple(out)


@dataclass(slots=True)
class _Top:
    package: str = ""
    imports: list[Import] = field(default_factory=list)
    funcs: list[Node] = field(default_factory=list)
    consts: list[Node] = field(default_factory=list)
    vars: list[Node] = field(default_factory=list)
    types: list[Node] = field(default_factory=list)


def _top_level(root: Node, path: str, source: bytes) -> _Top:
    """Package clause, imports and declarations: all top-level, so no query needed."""
    top = _Top()
    for child in root.named_children:
        t = child.type
        if t in ("function_declaration", "method_declaration"):
            top.funcs.append(child)
        elif t == "import_declaration":
            specs = [c for c in child.named_children if c.type == "import_spec"]
            for lst in child.named_children:
                if lst.type == "import_spec_list":
                    specs.extend(c for c in lst.named_children if c.type == "import_spec")
            top.imports.extend(_imports(specs, path, source))
        elif t == "const_declaration":
            top.consts.extend(_specs(child, "const_spec"))
        elif t == "var_declaration":
            top.vars.extend(_specs(child, "var_spec"))
        elif t == "type_declaration":
            top.types.extend(c for c in child.named_children if c.type == "type_spec")
        elif t == "package_clause" and child.named_children:
            top.package = _text(child.named_children[0])
    return top


def _specs(decl: Node, kind: str) -> list[Node]:
    out = []
    for c in decl.named_children:
        if c.type == kind:
            out.append(c)
        elif c.type.endswith("_spec_list"):
            out.extend(x for x in c.named_children if x.type == kind)
    return out


def _span(path: str, source: bytes, node: Node) -> Span:
    """Where ``node`` starts and ends: lines, and columns in code points (tree-sitter
    counts bytes; SARIF, editors and the text report count characters)."""
    r, c = node.start_point
    er, ec = node.end_point
    return Span(
        path,
        r + 1,
        _chars(source, node.start_byte, c) + 1,
        er + 1,
        _chars(source, node.end_byte, ec) + 1,
    )


def _chars(source: bytes, at: int, col: int) -> int:
    """Column ``col`` (bytes since the line start, ending at byte ``at``) in code points."""
    if col:
        before = source[at - col : at]
        if not before.isascii():
            return len(before.decode("utf-8", "replace"))
    return col


def _first_error(root: Node, path: str, source: bytes) -> Span:
    """The first bad spot in the file: the earliest ``ERROR`` node or missing token,
    found in document order (a query's captures come in no stable order)."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            return _span(path, source, n)
        if n.has_error:
            stack.extend(reversed(n.children))
    return Span(path, 1, 1)


def _imports(nodes: list[Node], path: str, source: bytes) -> list[Import]:
    out = []
    for n in nodes:
        p = n.child_by_field_name("path")
        if p is None:
            continue
        name = n.child_by_field_name("name")
        out.append(
            Import(
                path=string_value(p),
                alias=_text(name) if name is not None else None,
                span=_span(path, source, n),
            )
        )
    return out


def _funcs(nodes: list[Node], ctx: _Ctx) -> list[FuncDecl]:
    out = []
    for n in sorted(nodes, key=lambda n: n.start_byte):
        name = _func_name(n)
        ctx.func_starts.append(n.start_byte)
        ctx.func_ends.append(n.end_byte)
        ctx.func_names.append(name)
        ctx.func_nodes.append(n)
        result = n.child_by_field_name("result")
        results = _short(_text(result)) if result is not None else ""
        params = n.child_by_field_name("parameters")
        out.append(
            FuncDecl(
                name=name,
                span=ctx.span(n),
                end_line=n.end_point[0] + 1,
                results=results,
                params=_short(_text(params)) if params is not None else "",
            )
        )
    return out


def _consts(nodes: list[Node]) -> dict[str, Node]:
    out: dict[str, Node] = {}
    for n in nodes:
        names = [c for c in n.children if c.type == "identifier"]
        val = n.child_by_field_name("value")
        if val is None:
            continue
        vals = [v for v in val.named_children if v.type != "comment"]
        for i, ident in enumerate(names):
            if i < len(vals):
                out[_text(ident)] = vals[i]
    return out


def _scan_name(ctx: _Ctx, func: str, name: str) -> tuple[list[_Assign], str]:
    if ctx.root is None or func not in ctx.func_names or not name.isidentifier():
        return [], ""
    fnode = ctx.func_nodes[ctx.func_names.index(func)]
    if fnode.start_byte in ctx.hollow:
        raise _Hollowed(func)
    src, needle = ctx.source, name.encode()
    end = fnode.end_byte
    assigns: list[_Assign] = []
    seen: set[int] = set()
    tpkg = ""
    i = src.find(needle, fnode.start_byte, end)
    while i >= 0:
        j = i + len(needle)
        before = src[i - 1 : i]
        after = src[j : j + 1]
        if not (before.isalnum() or before in (b"_", b".")) and not (
            after.isalnum() or after == b"_"
        ):
            node = ctx.root.descendant_for_byte_range(i, j)
            parent = node.parent if node is not None else None
            if node is not None and node.type == "identifier" and parent is not None:
                stmt = parent.parent if parent.type == "expression_list" else parent
                if stmt is not None and stmt.start_byte not in seen:
                    kind = _ASSIGN_KINDS.get(stmt.type)
                    if kind is not None and (kind == "var" or parent.type == "expression_list"):
                        seen.add(stmt.start_byte)
                        table: dict[str, list[_Assign]] = {}
                        _add_assign(stmt, kind, table)
                        assigns.extend(table.get(name, []))
                    if not tpkg and stmt.type in ("parameter_declaration", "var_spec"):
                        tpkg = _type_pkg(stmt.child_by_field_name("type"), ctx)
        i = src.find(needle, i + 1, end)
    return assigns, tpkg


_ASSIGN_KINDS = {
    "short_var_declaration": "short",
    "assignment_statement": "assign",
    "var_spec": "var",
}


def _package_vars(nodes: list[Node], ctx: _Ctx) -> None:
    table = ctx.assigns.setdefault("", {})
    for n in nodes:
        _add_assign(n, "var", table)
        _note_type(n, ctx, ctx.types)


def _note_type(n: Node, ctx: _Ctx, types: dict[str, str]) -> None:
    pkg = _type_pkg(n.child_by_field_name("type"), ctx)
    if pkg:
        for c in n.children:
            if c.type in ("field_identifier", "identifier"):
                types.setdefault(_text(c), pkg)


def _struct_types(nodes: list[Node], ctx: _Ctx) -> None:
    for spec in nodes:
        st = spec.child_by_field_name("type")
        if st is None or st.type != "struct_type":
            continue
        for fl in st.named_children:
            if fl.type != "field_declaration_list":
                continue
            for fd in fl.named_children:
                if fd.type == "field_declaration":
                    _note_type(fd, ctx, ctx.types)


def _add_assign(n: Node, kind: str, table: dict[str, list[_Assign]]) -> None:
    if kind == "var":
        left = [c for c in n.children if c.type == "identifier"]
        rnode = n.child_by_field_name("value")
    else:
        lnode = n.child_by_field_name("left")
        rnode = n.child_by_field_name("right")
        left = list(lnode.named_children) if lnode is not None else []
        if kind == "assign":
            op = n.child_by_field_name("operator")
            if op is not None and _text(op) != "=":
                return
    right = [r for r in rnode.named_children if r.type != "comment"] if rnode else []
    multi = len(right) == 1 and len(left) > 1
    cond = _enclosing_if_cond(n, None) if kind == "assign" else None
    for i, target in enumerate(left):
        if target.type != "identifier":
            continue
        name = _text(target)
        if name == "_":
            continue
        value = right[0] if multi else (right[i] if i < len(right) else None)
        table.setdefault(name, []).append(_Assign(name, n.start_byte, value, i, multi, cond))


def _flag_vars(calls: list[Node], ctx: _Ctx) -> None:
    """``flag.StringVar(&addr, "addr", ":8080", "...")`` binds ``addr`` to a flag."""
    for n in calls:
        fn = n.child_by_field_name("function")
        if fn is None or fn.type != "selector_expression":
            continue
        operand, fld = fn.child_by_field_name("operand"), fn.child_by_field_name("field")
        if operand is None or fld is None or ctx.imports.get(_text(operand)) != "flag":
            continue
        if not _text(fld).endswith("Var"):
            continue
        argl = n.child_by_field_name("arguments")
        args = [a for a in argl.named_children if a.type != "comment"] if argl else []
        if (
            len(args) < 3
            or args[0].type != "unary_expression"
            or args[1].type
            not in (
                "interpreted_string_literal",
                "raw_string_literal",
            )
        ):
            continue
        target = args[0].child_by_field_name("operand")
        if target is None or target.type != "identifier":
            continue
        d = args[2]
        default = (
            string_value(d)
            if d.type in ("interpreted_string_literal", "raw_string_literal")
            else _text(d)
        )
        a = _Assign(
            _text(target),
            n.start_byte,
            None,
            0,
            False,
            None,
            FlagRef(string_value(args[1]), default),
        )
        ctx.assigns.setdefault("", {}).setdefault(_text(target), []).insert(0, a)


def _is_env_helper(ctx: _Ctx, name: str) -> bool:
    """Is ``name`` a function of this file that returns ``os.Getenv(param0)`` or
    ``param1`` (the ``getEnv(key, fallback)`` idiom)?"""
    if "." in name or name not in ctx.func_names:
        return False
    got = ctx.env_helpers.get(name)
    if got is not None:
        return got
    node = ctx.func_nodes[ctx.func_names.index(name)]
    body = node.child_by_field_name("body")
    params = node.child_by_field_name("parameters")
    ok = False
    if body is not None and params is not None:
        btxt = _text(body)
        if ("os.Getenv" in btxt or "os.LookupEnv" in btxt) and btxt.count("return") >= 2:
            idents = [
                c for p in params.named_children for c in p.children if c.type == "identifier"
            ]
            ok = len(idents) == 2
    ctx.env_helpers[name] = ok
    return ok


def _literals(nodes: list[Node], ctx: _Ctx, res: _Resolver) -> list[CompositeLit]:
    out = []
    for n in nodes:
        tnode = n.child_by_field_name("type")
        if tnode is None or tnode.type not in ("qualified_type", "type_identifier", "generic_type"):
            continue
        body = n.child_by_field_name("body")
        fields: list[tuple[str, Value]] = []
        if body is not None:
            for el in body.named_children:
                if el.type != "keyed_element" or len(el.named_children) < 2:
                    continue
                key, val = el.named_children[0], el.named_children[1]
                kn = key.named_children[0] if key.named_children else key
                vn = val.named_children[0] if val.named_children else val
                if kn.type in ("identifier", "field_identifier"):
                    fields.append((_text(kn), res.value(vn)))
        out.append(
            CompositeLit(
                type=_qualified_type(tnode, ctx),
                fields=tuple(fields),
                span=ctx.span(n),
                func=ctx.func_at(n.start_byte),
                var=_bound_name(n),
            )
        )
    return out


def _bound_name(node: Node) -> str:
    """The variable (or struct key) an expression is assigned to, if any."""
    cur = node
    parent = cur.parent
    while parent is not None and parent.type in ("unary_expression", "parenthesized_expression"):
        cur, parent = parent, parent.parent
    if parent is None:
        return ""
    if parent.type == "expression_list":
        stmt = parent.parent
        if stmt is None:
            return ""
        idx = [c for c in parent.named_children].index(cur) if cur in parent.named_children else 0
        if stmt.type in ("short_var_declaration", "assignment_statement"):
            left = stmt.child_by_field_name("left")
            names = list(left.named_children) if left is not None else []
        elif stmt.type in ("var_spec", "const_spec"):
            names = [c for c in stmt.children if c.type == "identifier"]
        else:
            return ""
        if idx < len(names):
            return _text(names[idx]).rsplit(".", 1)[-1]
        return ""
    if parent.type == "literal_element":
        kv = parent.parent
        if kv is not None and kv.type == "keyed_element" and kv.named_children:
            k = kv.named_children[0]
            if k is not parent:
                return _text(k).strip('"')
    return ""


def _discarded(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("expression_statement", "go_statement", "defer_statement"):
        return True
    if parent.type == "expression_list":
        stmt = parent.parent
        if stmt is not None and stmt.type in ("assignment_statement", "short_var_declaration"):
            left = stmt.child_by_field_name("left")
            if left is not None:
                return all(_text(c) == "_" for c in left.named_children)
    return False


def _origin(ctx: _Ctx, res: _Resolver, name: str, func: str) -> str:
    """The callee that produced variable ``name`` (``r := gin.Default()`` -> the
    qualified ``gin.Default``), from the function's assignments or the package's."""
    for found in (ctx.assigns_for(func, name), ctx.assigns.get("", {}).get(name, [])):
        for a in reversed(found):
            v = a.value
            while v is not None and v.type in ("unary_expression", "parenthesized_expression"):
                v = v.child_by_field_name("operand") or (
                    v.named_children[0] if v.named_children else None
                )
            if v is not None and v.type == "call_expression":
                return res._callee(v)
            if v is not None and v.type == "composite_literal":
                return _qualified_type(v.child_by_field_name("type"), ctx)
    return ""


def _receiver_pkg(receiver: str, func: str, ctx: _Ctx, res: _Resolver) -> str:
    last = receiver.rsplit(".", 1)[-1].rstrip("()")
    if "." in receiver:  # ``s.nats``: a struct field, never a local
        return ctx.types.get(last, "")
    origin = _origin(ctx, res, last, func)
    if origin and not origin.startswith(".") and "." in origin:
        return origin.rsplit(".", 1)[0]
    return ctx.type_in(func, last)


def _call(node: Node, ctx: _Ctx, res: _Resolver, out: _Out) -> None:
    fn = node.child_by_field_name("function")
    if fn is None:
        return
    callee = res._callee(node)
    if not callee:
        return
    receiver = ""
    if callee.startswith("."):
        operand = fn.child_by_field_name("operand")
        receiver = _short(_text(operand)) if operand is not None else ""
    arg_nodes = res._args(node)
    keep = _RESOLVED_ARGS.get(callee.rsplit(".", 1)[-1], len(arg_nodes))
    args = tuple(
        res.value(a)
        if i < keep
        else Value(text=_short(_text(a)), parts=(Opaque(_short(_text(a))),))
        for i, a in enumerate(arg_nodes)
    )
    func = ctx.func_at(node.start_byte)
    in_go, in_closure = _concurrency(node)
    call = Call(
        conditional=_conditional(node),
        callee=callee,
        receiver=receiver,
        receiver_pkg=_receiver_pkg(receiver, func, ctx, res) if receiver else "",
        args=args,
        span=ctx.span(node),
        func=func,
        discarded=_discarded(node),
        order=node.start_byte,
        in_goroutine=in_go,
        in_closure=in_closure,
    )
    out.calls.append(call)
    out.call_nodes.append(node)


def _derive(ctx: _Ctx, res: _Resolver, out: _Out) -> None:
    for call, node in zip(out.calls, out.call_nodes, strict=True):
        _listener(call, ctx, res, out)
        _route(call, node, ctx, res, out)
        _lifecycle(call, node, ctx, res, out)


def _origin_pkg(call: Call, ctx: _Ctx, res: _Resolver) -> str:
    if call.receiver_pkg:
        return call.receiver_pkg
    return _var_pkg(call.receiver.rsplit(".", 1)[-1], call.func, ctx, res, 0)


def _var_pkg(name: str, func: str, ctx: _Ctx, res: _Resolver, depth: int) -> str:
    """The package a variable's value comes from, through method chains:
    ``e := gin.Default(); api := e.Group("/v1")`` -> gin for ``api``."""
    origin = _origin(ctx, res, name, func)
    if origin and not origin.startswith("."):
        return origin.rsplit(".", 1)[0] if "." in origin else ""
    if origin.startswith(".") and depth < 4:
        for found in (ctx.assigns_for(func, name), ctx.assigns.get("", {}).get(name, [])):
            for a in reversed(found):
                v = a.value
                fn = v.child_by_field_name("function") if v is not None else None
                operand = fn.child_by_field_name("operand") if fn is not None else None
                if operand is not None and operand.type == "identifier":
                    return _var_pkg(_text(operand), func, ctx, res, depth + 1)
    return ctx.type_in(func, name) if func else ctx.types.get(name, "")


def _listener(call: Call, ctx: _Ctx, res: _Resolver, out: _Out) -> None:
    def add(kind: str, addr: Value | None, handler: str) -> None:
        out.listeners.append(
            Listener(
                kind,
                addr,
                handler,
                call.span,
                call.func,
                call.order,
                call.in_goroutine,
                call.in_closure,
            )
        )

    c = call.callee
    if c in ("net/http.ListenAndServe", "net/http.ListenAndServeTLS"):
        handler = call.arg(1 if c.endswith("ListenAndServe") else 3)
        add("https" if c.endswith("TLS") else "http", call.arg(0), server_handler(handler))
        return
    if c in ("net/http.Serve", "net/http.ServeTLS") and call.args:
        addr = _listen_addr(call.args[0], call.func, ctx, res)
        add("https" if c.endswith("TLS") else "http", addr, server_handler(call.arg(1)))
        return
    if c in ("net.Listen", "net.ListenTCP", "crypto/tls.Listen"):
        add("tcp", call.arg(1), "")
        return
    if c in _ADDRESS_OPTIONS:
        add(_ADDRESS_OPTIONS[c], call.arg(0), "")
        return
    if c == "github.com/cloudwego/kitex/server.WithServiceAddr" and call.args:
        add("kitex", _listen_addr(call.args[0], call.func, ctx, res, _RESOLVE_ADDR), "")
        return
    if c in _GO_ZERO and call.args:
        kind, fld = _GO_ZERO[c]
        conf = call.args[0].text.strip()
        whole = Opaque(f"{conf}.{fld}")
        # rest: Host (default all interfaces) and Port; zrpc: ListenOn ("0.0.0.0:8080")
        parts: tuple[str | Opaque, ...] = (":", whole) if fld == "Port" else (whole,)
        add(kind, Value(text=f"{conf}.{fld}", parts=parts), "")
        return
    if not c.startswith("."):
        return
    name = call.name
    recv_var = call.receiver.rsplit(".", 1)[-1]
    lit = ctx.lits.get(recv_var)
    opkg = _origin_pkg(call, ctx, res)
    is_http_server = (lit is not None and lit.type == "net/http.Server") or (
        call.receiver_pkg == "net/http" and lit is None
    )
    if name in ("ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS") and is_http_server:
        addr = lit.field("Addr") if lit is not None else None
        if name.startswith("Serve") and call.args:
            addr = _listen_addr(call.args[0], call.func, ctx, res) or addr
        hname = server_handler(lit.field("Handler")) if lit is not None else ""
        add("https" if name.endswith("TLS") else "http", addr, hname)
    elif name == "Serve" and opkg == "google.golang.org/grpc":
        gaddr = _listen_addr(call.args[0], call.func, ctx, res) if call.args else None
        add("grpc", gaddr, call.receiver)
    elif name in ("Run", "RunTLS") and (opkg in _GIN or call.receiver_pkg in _GIN):
        addr = call.arg(0) or Value(text="", parts=(":", EnvRef("PORT", "8080")))
        add("gin", addr, recv_var)
    elif name in ("Start", "StartTLS") and (opkg in _ECHO or call.receiver_pkg in _ECHO):
        add("echo", call.arg(0), recv_var)
    elif name in ("Listen", "ListenTLS") and (opkg in _FIBER or call.receiver_pkg in _FIBER):
        add("fiber", call.arg(0), recv_var)


_LISTENS = ("net.Listen", "crypto/tls.Listen")
_RESOLVE_ADDR = ("net.ResolveTCPAddr",)


def _listen_addr(
    arg: Value, func: str, ctx: _Ctx, res: _Resolver, makers: tuple[str, ...] = _LISTENS
) -> Value | None:
    """For ``srv.Serve(lis)``, the address of the ``net.Listen`` that made ``lis``
    (``makers``: the calls that make it, address second)."""
    name = arg.text.strip()
    for found in (ctx.assigns_for(func, name), ctx.assigns.get("", {}).get(name, [])):
        for a in found:
            v = a.value
            if v is not None and v.type == "call_expression":
                callee = res._callee(v)
                if callee in makers:
                    args = res._args(v)
                    if len(args) >= 2:
                        return res.value(args[1])
    return None


_CHAIN_HANDLERS = frozenset({"Handler", "HandlerFunc"})


def _chain_route(call: Call, node: Node, ctx: _Ctx, res: _Resolver, out: _Out) -> None:
    """gorilla/mux (and go-kit on it): ``r.Methods("GET").Path("/health").Handler(h)``,
    ``r.Path("/x").HandlerFunc(f)``, ``r.PathPrefix("/static/").Handler(fs)``: a route
    once the chain ends in ``Handler``/``HandlerFunc``; ``PathPrefix(...).Subrouter()``
    is a group (``_group_prefix``), not a route."""
    pattern = call.args[0].literal if call.args else None
    if pattern is None or not pattern.startswith("/"):
        return
    method: str | None = None
    handled = False
    up: Node | None = node
    for _ in range(6):  # walk up the chain: call -> selector -> call ...
        sel = up.parent if up is not None else None
        if sel is None or sel.type != "selector_expression":
            break
        fld = sel.child_by_field_name("field")
        up = sel.parent
        if fld is None or up is None or up.type != "call_expression":
            break
        name = _text(fld)
        if name in _CHAIN_HANDLERS:
            handled = True
            break
        if name == "Methods":
            method = method or _first_method(up)
    if not handled:
        return
    # Down the operand chain to the router: r.Methods("GET").Path(...) -> r.
    fn = node.child_by_field_name("function")
    down = fn.child_by_field_name("operand") if fn is not None else None
    while down is not None and down.type == "call_expression":
        inner = down.child_by_field_name("function")
        if inner is None or inner.type != "selector_expression":
            return
        fld = inner.child_by_field_name("field")
        if fld is not None and _text(fld) == "Methods":
            method = method or _first_method(down)
        down = inner.child_by_field_name("operand")
    if down is None or down.type not in ("identifier", "selector_expression"):
        return  # a router we cannot name (newRouter().Path(...))
    root = _text(down)
    prefix = _group_prefix(root, call.func, ctx)
    path = prefix + pattern if prefix else pattern
    out.routes.append(Route(path, method, root, call.span, _framework(call, ctx, res), ""))


def _first_method(call_node: Node) -> str | None:
    """The method of ``.Methods("GET")`` / ``.Methods(http.MethodGet)``."""
    args = call_node.child_by_field_name("arguments")
    if args is None or not args.named_children:
        return None
    first = args.named_children[0]
    if first.type == "interpreted_string_literal":
        return string_value(first).upper()
    t = _text(first)
    return t[len("http.Method") :].upper() if t.startswith("http.Method") else None


def _route(call: Call, node: Node, ctx: _Ctx, res: _Resolver, out: _Out) -> None:
    name = call.name
    if name in ("Path", "PathPrefix") and call.callee.startswith("."):
        _chain_route(call, node, ctx, res, out)
        return
    if call.callee in ("net/http.HandleFunc", "net/http.Handle"):
        router = "default"
    elif call.callee.startswith(".") and (
        name in ROUTE_VERBS or (name in ("Method", "MethodFunc") and len(call.args) >= 2)
    ):
        router = call.receiver
    else:
        return
    args = call.args
    method = ROUTE_VERBS.get(name)
    pidx = 0
    if name in ("Method", "MethodFunc"):
        method = (args[0].literal or "").upper() or None
        pidx = 1
    if len(args) <= pidx:
        return
    pattern = args[pidx].literal
    if pattern is None:
        return
    host = ""
    if name in ("HandleFunc", "Handle") and " " in pattern.strip():
        verb, _, rest = pattern.strip().partition(" ")
        if verb.upper() in _HTTP_METHODS:
            method, pattern = verb.upper(), rest.strip()
    if not pattern.startswith("/"):
        if "/" in pattern and name in ("HandleFunc", "Handle"):
            host, _, p = pattern.partition("/")
            pattern = "/" + p
        else:
            return
    if method is None:
        method = _chained_methods(node)
    prefix = _group_prefix(call.receiver, call.func, ctx)
    framework = _framework(call, ctx, res)
    out.routes.append(
        Route(prefix + pattern if prefix else pattern, method, router, call.span, framework, host)
    )


def _chained_methods(node: Node) -> str | None:
    """gorilla/mux: ``r.HandleFunc("/x", h).Methods("GET")``."""
    parent = node.parent
    if parent is not None and parent.type == "selector_expression":
        fld = parent.child_by_field_name("field")
        call = parent.parent
        if fld is not None and _text(fld) == "Methods" and call is not None:
            return _first_method(call)
    return None


def _group_prefix(receiver: str, func: str, ctx: _Ctx, depth: int = 0) -> str:
    """gin/echo ``api := r.Group("/api")``, gorilla ``PathPrefix("/api").Subrouter()``."""
    if depth > 4 or not func or "." in receiver:
        return ""
    for a in ctx.assigns_for(func, receiver):
        v = a.value
        if v is None or v.type != "call_expression":
            continue
        fn = v.child_by_field_name("function")
        if fn is None or fn.type != "selector_expression":
            continue
        fld = fn.child_by_field_name("field")
        inner = fn.child_by_field_name("operand")
        if (
            fld is not None
            and _text(fld) == "Subrouter"
            and inner is not None
            and inner.type == "call_expression"
        ):
            # gorilla: api := r.PathPrefix("/api").Subrouter()
            v = inner
            fn = v.child_by_field_name("function")
            if fn is None or fn.type != "selector_expression":
                continue
            fld = fn.child_by_field_name("field")
        if fld is not None and _text(fld) in ("Group", "PathPrefix"):
            args = v.child_by_field_name("arguments")
            if args is not None and args.named_children:
                first = args.named_children[0]
                if first.type in ("interpreted_string_literal", "raw_string_literal"):
                    operand = fn.child_by_field_name("operand")
                    parent = (
                        _group_prefix(_text(operand), func, ctx, depth + 1)
                        if operand is not None
                        else ""
                    )
                    return parent + string_value(first).rstrip("/")
    return ""


def _framework(call: Call, ctx: _Ctx, res: _Resolver) -> str:
    if call.callee.startswith("net/http."):
        return "net/http"
    pkg = _origin_pkg(call, ctx, res)
    for name, pkgs in (("gin", _GIN), ("echo", _ECHO), ("fiber", _FIBER)):
        if pkg in pkgs:
            return name
    if "go-chi/chi" in pkg:
        return "chi"
    if "gorilla/mux" in pkg:
        return "gorilla"
    return pkg or "net/http"


def _lifecycle(call: Call, node: Node, ctx: _Ctx, res: _Resolver, out: _Out) -> None:
    c = call.callee
    if c in ("os/signal.Notify", "os/signal.NotifyContext"):
        sigs = tuple(a.text.rsplit(".", 1)[-1] for a in call.args[1:])
        out.signals.append(SignalHandler(sigs, call.span, call.func, call.order))
        return
    if c.endswith(".RegisterHealthServer") and "health" in c:
        out.grpc_health.append(call.span)
        return
    if not c.startswith("."):
        return
    name = call.name
    if name == "GracefulStop":
        out.shutdowns.append(Shutdown("grpc", call.span, call.func, call.order))
    elif name in ("Shutdown", "ShutdownWithContext") and (
        call.args or _framework(call, ctx, res) == "fiber"
    ):
        timeout, cancellable = _ctx_deadline(node, ctx, res)
        kind = _framework(call, ctx, res)
        out.shutdowns.append(
            Shutdown(
                "http" if kind in ("net/http", "") else kind,
                call.span,
                call.func,
                call.order,
                timeout,
                cancellable,
            )
        )
    elif name == "ShutdownWithTimeout" and call.args:
        out.shutdowns.append(
            Shutdown("fiber", call.span, call.func, call.order, call.args[0].seconds)
        )


def _ctx_deadline(node: Node, ctx: _Ctx, res: _Resolver) -> tuple[float | None, bool]:
    """The drain timeout of the context passed to ``Shutdown(ctx)``."""
    args = res._args(node)
    if not args:
        return None, True
    arg = args[0]
    if arg.type == "call_expression":
        callee = res._callee(arg)
        if callee in ("context.Background", "context.TODO"):
            return None, False
        if callee in ("context.WithTimeout", "context.WithDeadline"):
            inner = res._args(arg)
            return (res.value(inner[1]).seconds if len(inner) > 1 else None), True
        return None, True
    if arg.type != "identifier":
        return None, True
    func = ctx.func_at(node.start_byte)
    for a in reversed(ctx.assigns_for(func, _text(arg))):
        if a.start > node.start_byte or a.value is None:
            continue
        v = a.value
        if v.type == "call_expression":
            callee = res._callee(v)
            if callee in ("context.WithTimeout", "context.WithDeadline"):
                inner = res._args(v)
                return (res.value(inner[1]).seconds if len(inner) > 1 else None), True
            if callee in ("context.Background", "context.TODO"):
                return None, False
        break
    return None, True


# How many leading arguments of a call are resolved (constants, env, flags); the
# others keep their source text only. Handlers, requests and contexts are never
# values a rule reads, and resolving them is most of the cost of a large tree.
_RESOLVED_ARGS = {
    **dict.fromkeys(
        (*ROUTE_VERBS, "Group", "Route", "Mount", "Path", "PathPrefix", "NotFound", "NoRoute"),
        1,
    ),
    "Method": 2,
    "MethodFunc": 2,
    # ``Create``/``Delete`` stay resolved: ``os.Create(path)``, route ``Delete(pattern)``.
    **dict.fromkeys((DB_WRITE_CALLS | TX_CALLS) - {"Create", "Delete"}, 0),
    **dict.fromkeys(
        (
            "Do",
            "Stop",
            "Go",
            "Use",
            "Register",
            "Subscribe",
            "QueueSubscribe",
            "Consume",
            "SendMessage",
            "SendMessages",
            "WriteMessages",
            "Produce",
            "Shutdown",
            "GracefulStop",
            "Notify",
            "NotifyContext",
            "Fprint",
            "Fprintf",
            "Fprintln",
            "Profiler",
            "AddSync",
            "Client",
            "Methods",
        ),
        0,
    ),
    "NewRequestWithContext": 3,
    "NewRequest": 2,
    "Publish": 1,
    "PublishMsg": 0,
    "PublishAsync": 1,
    "PublishWithContext": 2,
}

# Names too common to record everywhere: only on these operands (as written).
_GUARDED = {
    "New": frozenset(
        {
            "log",
            "slog",
            "zerolog",
            "logrus",
            "zap",
            "gin",
            "echo",
            "fiber",
            "chi",
            "health",
            "migrate",
        }
    ),
    # goose.Up(db, "migrations"): where a migration step reads its files
    "Up": frozenset({"goose"}),
    "UpContext": frozenset({"goose"}),
}


@dataclass(slots=True)
class _Sites:
    """Where the byte tests found a candidate: what ``parse_go`` confirms on the tree,
    and what the prefilter asks about (none at all: nothing to confirm)."""

    #: ``.Name(`` calls: the name's byte range.
    methods: list[tuple[int, int]]
    #: ``pkg.Type{`` composite literals: the type name's byte range.
    literals: list[tuple[int, int]]
    #: Offsets of string pieces worth a look, and of secret-like names bound to one.
    strings: list[int]
    secrets: list[int]
    #: Offsets of ``dockready:`` (a directive, if the tree says it is a comment).
    directives: list[int]
    #: ``ReadTimeout``/``ReadHeaderTimeout`` words: their byte ranges.
    timeouts: list[tuple[int, int]]

    def __bool__(self) -> bool:
        return bool(
            self.methods
            or self.literals
            or self.strings
            or self.secrets
            or self.directives
            or self.timeouts
        )


def _byte_sites(source: bytes, calls: frozenset[str]) -> _Sites:
    methods = []
    for m in _METHOD.finditer(source):
        name = m.group(1).decode()
        if name not in calls and not source.startswith(_BG_CTX, m.end()):
            continue
        guard = _GUARDED.get(name)
        if guard is not None:
            start = m.start()
            k = start
            while k > 0 and (source[k - 1 : k].isalnum() or source[k - 1 : k] == b"_"):
                k -= 1
            if source[k:start].decode() not in guard:
                continue
        methods.append((m.start(1), m.end(1)))
    blob = b"\x00".join(_QUOTED.findall(source))
    tokens = tuple(t for t in _STR_TOKENS if t in blob)
    strings = _find_all(source, tokens) if tokens else []
    if _IP.search(blob):
        strings.extend(m.start() for m in _IP.finditer(source))
    return _Sites(
        methods=methods,
        literals=[(m.start(1), m.end(1)) for m in _LITERAL.finditer(source)],
        strings=strings,
        secrets=[m.start() for m in _SECRET_SITE.finditer(source.lower())],
        directives=_find_all(source, (_DIRECTIVE,)),
        timeouts=[(i, i + len(t)) for t in _READ_TIMEOUTS for i in _find_all(source, (t,))],
    )


def _call_sites(root: Node, sites: _Sites) -> list[Node]:
    """``x.Name(...)`` calls whose ``Name`` is in the call table, and calls whose first
    argument is ``context.Background()``/``context.TODO()`` (DR104: an RPC stub's
    method names are the service's own, so they cannot be asked for by name)."""
    out = []
    for start, end in sites.methods:
        node = root.descendant_for_byte_range(start, end)
        if node is None or node.type != "field_identifier":
            continue
        sel = node.parent
        call = sel.parent if sel is not None else None
        if (
            sel is not None
            and call is not None
            and sel.type == "selector_expression"
            and call.type == "call_expression"
            and call.child_by_field_name("function") == sel
        ):
            out.append(call)
    return out


def _literal_sites(root: Node, sites: _Sites) -> list[Node]:
    out = []
    for start, end in sites.literals:
        node = root.descendant_for_byte_range(start, end)
        q = node.parent if node is not None else None
        lit = q.parent if q is not None else None
        if (
            q is not None
            and lit is not None
            and q.type == "qualified_type"
            and (lit.type == "composite_literal")
        ):
            out.append(lit)
    return out


def _string_at(root: Node, pos: int) -> Node | None:
    node = root.descendant_for_byte_range(pos, pos + 1)
    for _ in range(3):
        if node is None:
            return None
        if node.type in _STRING_TYPES:
            return node
        node = node.parent
    return None


def _string_sites(root: Node, sites: _Sites) -> list[Node]:
    """String literals that look like URLs, addresses, paths or keys, and string
    literals bound to a secret-sounding name (a const, variable, field or map key)."""
    found: dict[int, Node] = {}
    for pos in sites.strings:
        n = _string_at(root, pos)
        if n is not None:
            found.setdefault(n.start_byte, n)
    for pos in sites.secrets:
        n = _secret_binding(root.descendant_for_byte_range(pos, pos + 1))
        if n is not None:
            found.setdefault(n.start_byte, n)
    return [found[k] for k in sorted(found)]


def _secret_binding(node: Node | None) -> Node | None:
    """The string literal a secret-sounding name is bound to, if any."""
    if node is None:
        return None
    if node.type == "interpreted_string_literal_content":
        node = node.parent
    if node is None or node.type not in ("identifier", "field_identifier", *_STRING_TYPES):
        return None
    if not _SECRET_NAME.search(_text(node)):
        return None
    target = node
    parent = node.parent
    if parent is not None and parent.type == "selector_expression":
        target, parent = parent, parent.parent
    if parent is None:
        return None
    if parent.type in ("const_spec", "var_spec"):
        names = [c for c in parent.children if c.type == "identifier"]
        val = parent.child_by_field_name("value")
        return _nth_string(val, names.index(target) if target in names else -1)
    if parent.type == "expression_list":
        stmt = parent.parent
        if stmt is not None and stmt.type in ("short_var_declaration", "assignment_statement"):
            left, right = stmt.child_by_field_name("left"), stmt.child_by_field_name("right")
            if left == parent and right is not None:
                items = list(parent.named_children)
                return _nth_string(right, items.index(target) if target in items else -1)
        return None
    if parent.type == "literal_element":
        kv = parent.parent
        if kv is not None and kv.type == "keyed_element" and len(kv.named_children) == 2:
            key, val = kv.named_children
            if (
                key == parent
                and val.named_children
                and val.named_children[0].type in (_STRING_TYPES)
            ):
                return val.named_children[0]
    return None


def _nth_string(exprs: Node | None, i: int) -> Node | None:
    if exprs is None or i < 0:
        return None
    items = [c for c in exprs.named_children if c.type != "comment"]
    if i < len(items) and items[i].type in _STRING_TYPES:
        return items[i]
    return None


def _strings(nodes: list[Node], ctx: _Ctx) -> list[StringLit]:
    out = []
    for n in nodes:
        parent = n.parent
        if parent is not None and parent.type == "import_spec":
            continue
        value = string_value(n)
        if not value or len(value) > 4096:
            continue
        out.append(StringLit(value, ctx.span(n), ctx.func_at(n.start_byte), _bound_name(n)))
    return out
