"""DR211 log-to-file: Finds logs written to files inside the container instead of stdout/stderr:..."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from dockready.facts.derived.http import quoted
from dockready.facts.go import (
    Call,
    CompositeLit,
    EnvRef,
    FlagRef,
    FuncDecl,
    GoFile,
    Value,
)
from dockready.facts.index import ProjectIndex
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _origin(v: Value) -> str:
    """The expression a value comes from: ``f`` assigned from ``os.OpenFile(...)``
    gives that call's text."""
    if len(v.parts) == 1 and not isinstance(v.parts[0], str):
        p = v.parts[0]
        if not isinstance(p, (EnvRef, FlagRef)):
            return p.text.lstrip("&").strip()
    return v.text.lstrip("&").strip()


_OPENERS = frozenset({"os.OpenFile", "os.Create"})


# Functions and methods whose first argument is where logs go.
_LOG_SINKS = frozenset(
    {
        "log.New",
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


def _may_write(c: Call) -> bool:
    """An open that writes, or whose flags are a parameter (a helper's ``flag int``)."""
    flags = c.arg(1) if c.callee == "os.OpenFile" else None
    return _writes(c) or (flags is not None and "O_" not in flags.text)


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


_CALLED = re.compile(r"^(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\(")


def _file_func(ix: ProjectIndex, g: GoFile, origin: str) -> tuple[FuncDecl, Call] | None:
    """For a writer that is the result of a call to a function of the checked tree
    (``file.MustOpen(name, dir)``) declared to return ``*os.File``, in a package that
    opens files for writing: that function, and the write open (the evidence)."""
    m = _CALLED.match(origin)
    if m is None:
        return None
    alias, name = m.groups()
    pkg_dir: str | None
    if alias is None:
        pkg_dir = g.dir
    else:
        imp = next((i for i in g.imports if i.name == alias), None)
        if imp is None:
            return None
        pkg_dir = next(
            (
                posixpath.normpath(posixpath.join(mod.dir, imp.path[len(mod.module) :].lstrip("/")))
                for mod in ix.modules
                if mod.module and (imp.path == mod.module or imp.path.startswith(mod.module + "/"))
            ),
            None,
        )
    pkg = ix.packages.get(pkg_dir) if pkg_dir is not None else None
    if pkg is None:
        return None
    decl = next(
        (f for p in pkg.files for f in ix.funcs(p) if f.name == name and "*os.File" in f.results),
        None,
    )
    if decl is None:
        return None
    opener = next(
        (c for p in pkg.files for c in p.calls if c.callee in _OPENERS and _may_write(c)), None
    )
    return (decl, opener) if opener is not None else None


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


def _log_literal(lit: CompositeLit) -> Iterator[Hit]:
    if lit.type in _LUMBERJACK:
        fn = lit.field("Filename")
        where = (
            quoted(fn.resolve() or fn.text)
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
                f"zap.Config {key} writes logs to the file {quoted(path)} inside the "
                'container: use "stdout"/"stderr" so kubectl logs and the log collector '
                "see them",
            )


def _sink_via_func(sink: Call, origin: str, decl: FuncDecl, opened: Call) -> Hit:
    what = sink.callee.rsplit("/", 1)[-1] if not sink.callee.startswith(".") else sink.callee
    called = origin.split("(", 1)[0]
    return Hit(
        sink.span,
        f"{what} sends logs to the file {called} opens ({decl.span.path}:{decl.span.line}), "
        "not to stdout: kubectl logs and the cluster's log collector never see them",
        related=(
            Related(decl.span, f"{called} returns the *os.File"),
            Related(opened.span, "the file is opened for writing here"),
        ),
    )


@rule(
    id="DR211",
    name="log-to-file",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
    calls=(
        "os.OpenFile",
        "os.Create",
        "log.New",
        "log.SetOutput",
        "log/slog.NewJSONHandler",
        "log/slog.NewTextHandler",
        "github.com/sirupsen/logrus.SetOutput",
        ".SetOutput",
    ),
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

    A writer returned by a function of the repository declared to return `*os.File`
    (`file.MustOpen(name, dir)`), in a package that opens files for writing, is a
    file too: its path usually comes from configuration (`conf/app.ini`), and the
    finding is on the `log.New`/`SetOutput` call with the function and the open as
    related locations. `log.New(w, ...)` is a sink like `SetOutput`.

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
                found = _file_func(ix, g, origin)
                if found is not None:
                    decl, opened = found
                    sink_hits.append(_sink_via_func(c, origin, decl, opened))
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
                    f"{what} sends logs to the file {quoted(path)} (opened at line "
                    f"{opener.span.line}), not to stdout: kubectl logs and the cluster's "
                    "log collector never see them",
                    related=(Related(opener.span, f"{quoted(path)} opened here"),),
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
                f"{c.callee}({quoted(path)}) writes logs to a file inside the container: "
                "kubectl logs and the cluster's log collector never see them, and the file "
                "fills the container's disk; log to stdout",
                related=related,
            )
        yield from sink_hits
        for lit in g.literals:
            yield from _log_literal(lit)
