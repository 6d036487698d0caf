"""DR107 unstructured-logging: a service that logs only through the standard `log` package."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.observability import (
    LOG_CALLS,
    fmt_print_calls,
    hand_structured,
    has_logging_library,
    long_running,
    main_func,
    std_log_calls,
)
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR107",
    name="unstructured-logging",
    severity=Severity.INFO,
    reads=(Input.CODE,),
    calls=LOG_CALLS,
)
def unstructured_logging(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a service whose logs are all printf-style lines: it calls the standard
    `log` package (`log.Printf`, `log.Println`, a `*log.Logger`...) and its packages
    import no structured logger (`log/slog`, zap, zerolog, logrus, go-kit/log, logr,
    hclog...). The finding is on `func main`, with the first log calls related.

    Decisions: only programs that run as a service are checked (they listen, or an
    image, a workload or a compose service runs them); command-line tools are not.
    A program with no `log` call (only `fmt.Print*`, or no output at all) is not
    reported: `fmt` output may be the program's output, not its logs. Any import, or
    direct requirement in `go.mod`, whose path mentions `log` or `zap` (other than
    `log` itself) counts as a logger the rule cannot see through, and silences it.
    So does a service that may write JSON by hand: a struct or a JSON encoding passed
    to `log`/`fmt` print calls, `log.SetFlags(0)`, or `log.SetOutput` to a writer
    other than stdout/stderr.

    ## Why is this bad?
    In a cluster, logs are collected from stdout and searched by a log pipeline
    (Loki, Elasticsearch, Cloud Logging). Free-text lines have no level, no request
    or trace id and no fields to filter on: finding the one failing order among
    thousands of replicas' lines means grepping prose.

    ## Example
    ```go
    log.Printf("order %s created for %s", id, customer)
    ```

    ## Use instead
    ```go
    logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
    slog.SetDefault(logger) // the standard log package now goes through it too
    logger.Info("order created", "order_id", id, "customer", customer)
    ```

    ## Fix safety
    Log consumers that parse today's text lines (alerts, dashboards) must be moved to
    the new fields.

    ## References
    - [log/slog](https://pkg.go.dev/log/slog)
    - [The Twelve-Factor App: XI. Logs](https://12factor.net/logs)
    """
    for svc in ctx.index.services:
        at = main_func(svc)
        if at is None or not long_running(svc):
            continue
        logs = std_log_calls(svc)
        if not logs or has_logging_library(svc) or hand_structured(svc) is not None:
            continue
        prints = fmt_print_calls(svc)
        also = f" and {len(prints)} fmt.Print* call(s)" if prints else ""
        yield Hit(
            at,
            f"{svc.name} logs only through the standard log package ({len(logs)} call(s)"
            f"{also}) and imports no structured logger: its lines have no level and no "
            "fields to search on",
            related=tuple(Related(c.span, f"{c.receiver or 'log'}.{c.name}") for c in logs[:3]),
            service=svc.name,
        )
