"""What the observability rules (DR105 tracing, DR106 metrics, DR107 logs) share: which
services run long enough to be observed, and which imports mean a service already
has (or may have, through a library we do not model) traces, metrics or a structured
logger.

The import tests are deliberately wide: they decide when a rule stays *silent*, so a
library matched by mistake costs a missed finding, never a false one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dockready.facts.go import Call, GoFile
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Span

#: The standard library's printf-style loggers: ``log.Printf`` and the methods of a
#: ``*log.Logger``.
STD_LOG_FUNCS = frozenset(
    {"Print", "Printf", "Println", "Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln"}
)
#: ``fmt`` functions that print to stdout.
FMT_PRINT_FUNCS = frozenset({"Print", "Printf", "Println"})

#: The ``calls=`` entries the log rule needs.
LOG_CALLS = (
    *(f"log.{n}" for n in sorted(STD_LOG_FUNCS)),
    *(f".{n}" for n in sorted(STD_LOG_FUNCS)),
    *(f"fmt.{n}" for n in sorted(FMT_PRINT_FUNCS)),
    "log.SetFlags",
    "log.SetOutput",
)

# An import path with one of these words in it is (or may be) a logging library:
# slog, zap, zerolog, logrus, go-kit/log, logr, klog, glog, hclog, log15, apex/log,
# kratos/log, go-zero's logx, grpclog... (``log`` itself is the standard library).
_LOGGING = re.compile(r"(?i)log|zap")
# ... a metrics library or a framework that serves metrics itself.
_METRICS = re.compile(
    r"(?i)prometheus|metric|statsd|opentelemetry|opencensus|datadog|dd-trace|newrelic|"
    r"expvar|telemetry|instrument|tally|signalfx|influx|graphite|dynatrace|instana|"
    r"elastic\.co/apm|monitor|go-zero|go-micro|dapr"
)
# ... a tracing library or a framework that traces itself.
_TRACING = re.compile(
    r"(?i)opentelemetry|otel|opentracing|jaeger|zipkin|opencensus|trac(e|ing)|"
    r"dd-trace|datadog|newrelic|elastic\.co/apm|instana|honeycomb|lightstep|xray|"
    r"sentry|skywalking|apm|go-zero|go-micro|dapr"
)


def _imports_matching(files: Iterable[GoFile], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(imp.path) for g in files for imp in g.imports)


def _requires_matching(svc: Service, pattern: re.Pattern[str]) -> bool:
    """A direct requirement of the service's module: a library the service may use
    from a package the index did not reach (build tags, generated code)."""
    if svc.module is None:
        return False
    return any(pattern.search(r.path) for r in svc.module.requires if not r.indirect)


def has_logging_library(svc: Service) -> bool:
    """Does the service import anything but the standard ``log`` that may log?"""
    files = list(svc.files)
    for g in files:
        for imp in g.imports:
            if imp.path != "log" and _LOGGING.search(imp.path):
                return True
    return _requires_matching(svc, _LOGGING)


_MESH_INJECT = ("sidecar.istio.io/inject", "linkerd.io/inject")


def _ancestors(d: str) -> list[str]:
    out = [d]
    while d not in (".", ""):
        d = d.rsplit("/", 1)[0] if "/" in d else "."
        out.append(d)
    return out


def uses_sidecar(svc: Service, ix: ProjectIndex) -> bool:
    """Does a sidecar that traces and measures the service's traffic run beside it?
    Dapr (the code names a ``DAPR_*`` variable or serves Dapr's ``/dapr/...``
    callbacks, a workload has ``dapr.io/`` annotations, or a Dapr multi-app run file
    ``dapr.yaml`` sits in the service's folder or above) or an Istio/Linkerd proxy
    injected by a workload annotation."""
    for folder in _ancestors(svc.root):
        if (f"{folder}/dapr.yaml" if folder != "." else "dapr.yaml") in ix.all_paths:
            return True
    for g in svc.files:
        if any(w.startswith("DAPR_") for w in g.env_words):
            return True
        if any(r.path.lstrip("^").startswith("/dapr/") for r in g.routes):
            return True
    for dep in svc.deployments:
        for k, v in dep.workload.annotations:
            if k.startswith("dapr.io/"):
                return True
            if k in _MESH_INJECT and v.strip().lower() in ("true", "enabled"):
                return True
    return False


def has_metrics_library(svc: Service, ix: ProjectIndex) -> bool:
    return (
        _imports_matching(svc.files, _METRICS)
        or _requires_matching(svc, _METRICS)
        or uses_sidecar(svc, ix)
    )


def has_tracing_library(svc: Service, ix: ProjectIndex) -> bool:
    return (
        _imports_matching(svc.files, _TRACING)
        or _requires_matching(svc, _TRACING)
        or uses_sidecar(svc, ix)
    )


def std_log_calls(svc: Service) -> list[Call]:
    """Calls to the standard ``log`` package or a ``*log.Logger``, in file order."""
    out: list[Call] = []
    for g in svc.files:
        for c in g.calls:
            if c.name not in STD_LOG_FUNCS:
                continue
            if c.callee == f"log.{c.name}" or (
                c.callee.startswith(".") and c.receiver_pkg == "log"
            ):
                out.append(c)
    return out


def fmt_print_calls(svc: Service) -> list[Call]:
    return [
        c
        for g in svc.files
        for c in g.calls
        if c.name in FMT_PRINT_FUNCS and c.callee == f"fmt.{c.name}"
    ]


_COMPOSITE = re.compile(r"^&?[A-Za-z_][\w.]*(\[[^\]]*\])?\{")
_STD_STREAMS = frozenset({"os.Stdout", "os.Stderr"})


def hand_structured(svc: Service) -> Span | None:
    """Where the service may write structured lines through ``log``/``fmt`` by hand:
    a struct or a JSON encoding passed to a print call (``log.Println(Entry{...})``),
    ``log.SetFlags(0)`` (no prefix before a JSON line), or ``log.SetOutput`` to a
    writer other than stdout/stderr (which may encode)."""
    for c in (*std_log_calls(svc), *fmt_print_calls(svc)):
        for a in c.args:
            t = a.text.strip()
            if _COMPOSITE.match(t) or "json" in t.lower():
                return c.span
    for g in svc.files:
        for c in g.calls:
            std = c.callee.startswith("log.") or (
                c.callee.startswith(".") and c.receiver_pkg == "log"
            )
            if not std or c.name not in ("SetFlags", "SetOutput"):
                continue
            arg = c.arg(0)
            text = arg.text.strip() if arg is not None else ""
            if c.name == "SetFlags" and text == "0":
                return c.span
            if c.name == "SetOutput" and text not in _STD_STREAMS:
                return c.span
    return None


def main_func(svc: Service) -> Span | None:
    """Where the service's ``func main`` is declared."""
    if svc.main is None:
        return None
    for g in svc.main.files:
        for f in g.funcs:
            if f.name == "main":
                return f.span
    return None


def long_running(svc: Service) -> bool:
    """Is the program a service (it listens, or it is built into an image, deployed
    or run by compose) rather than a command-line tool?"""
    if svc.builds or svc.deployments or svc.compose:
        return True
    return any(g.listeners for g in svc.files)
