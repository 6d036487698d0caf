"""DR209 config-missing-no-error: a required env var is used with no default and no check."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.envreads import needs, reads
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


@rule(
    id="DR209",
    name="config-missing-no-error",
    severity=Severity.WARNING,
    reads=(Input.CODE,),
)
def config_missing_no_error(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `os.Getenv("X")` written straight into a listen address or a connection
    string (`http.ListenAndServe(":"+os.Getenv("PORT"), mux)`,
    `sql.Open("postgres", os.Getenv("DATABASE_URL"))`), with no default and no
    check that it is set: when the variable is missing the service starts anyway, on
    a random port or with an empty DSN, and fails later and far from the cause.

    Decisions, for certainty: the `os.Getenv` call must be inside the argument itself
    (a variable read earlier may be checked on a line we do not follow), the code
    must read that variable nowhere else (a separate `if os.Getenv("X") == ""` check
    counts as a check), and the call must run whenever the service starts (in
    `main`/`init` of the main package, outside any branch, loop or closure other than
    `go func() {...}()`). What counts as needed is what DR228 (required-env-not-set)
    uses: the whole listen address or its port, and a connection argument that is
    the variable or holds one named like an address.

    ## Why is this bad?
    `os.Getenv` returns `""` for an unset variable. `":" + ""` listens on a random
    port that no probe or Service targets; an empty DSN connects to a default host or
    fails at the first query with an error that does not name the variable. A
    deployment that forgot the variable should fail at start with a message saying
    so.

    ## Example
    ```go
    db, err := sql.Open("postgres", os.Getenv("DATABASE_URL"))
    ```

    ## Use instead
    ```go
    dsn, ok := os.LookupEnv("DATABASE_URL")
    if !ok || dsn == "" {
        log.Fatal("DATABASE_URL is required")
    }
    db, err := sql.Open("postgres", dsn)
    ```

    ## Fix safety
    Safe: the service stops at start where it would have misbehaved later.

    ## References
    - [The twelve-factor app: config](https://12factor.net/config)
    - [Go: os.LookupEnv](https://pkg.go.dev/os#LookupEnv)
    """
    for svc in ctx.index.services:
        sinks = list(needs(svc))
        if not sinks:
            continue
        counts: dict[str, int] = {}
        for r in reads(svc):
            counts[r.name] = counts.get(r.name, 0) + 1
        done: set[str] = set()
        for span, what, names, value in sinks:
            inline = [
                n
                for n in dict.fromkeys(names)
                if n not in done
                and counts.get(n) == 1
                and f'os.Getenv("{n}")' in value.text.replace(" ", "")
            ]
            if not inline:
                continue
            done.update(inline)
            shown = ", ".join(inline)
            yield Hit(
                span,
                f"{what} uses os.Getenv of {shown} directly, with no default and no check "
                "that it is set: when it is missing the service starts anyway with an empty "
                "value; fail at start with a clear message (os.LookupEnv), or give a default",
                service=svc.name,
            )
