"""DR228 required-env-not-set: the code needs an env var that nothing sets."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.envreads import (
    Read,
    certain_join,
    code_sets,
    hidden_source,
    needs,
    reads,
)
from dockready.facts.derived.runtime import Runtime, runtimes
from dockready.facts.go import GoFile
from dockready.facts.index import ProjectIndex
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _where(rt: Runtime) -> Related | None:
    if rt.deployment is not None:
        c = rt.deployment.container
        return Related(c.span, f"container {c.name} of {rt.label} does not set it")
    if rt.compose is not None:
        return Related(rt.compose.span, f"{rt.label} does not set it")
    return None


def _first_read(found: dict[str, list[Read]], name: str) -> tuple[Span, GoFile | None] | None:
    rs = found.get(name)
    if not rs:
        return None
    r = min(rs, key=lambda r: (r.file.path, r.call.span.line))
    return r.call.span, r.file


@rule(
    id="DR228",
    name="required-env-not-set",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
)
def required_env_not_set(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds an environment variable the service cannot start correctly without, read
    with no default, that no Dockerfile `ENV`, workload `env` or compose
    `environment` running the service sets: `":" + os.Getenv("PORT")` becomes `":"`
    (a random port), a DSN built from `os.Getenv("DATABASE_HOST")` points at nothing.

    Decisions, for certainty:
    - The variable must reach something the service needs: the whole listen
      address of a listener or its port (`":" + os.Getenv("PORT")`; an empty host
      means all interfaces and is fine), or an argument of a package-level
      `Open`/`Connect`/`Dial` (`sql.Open`, `gorm`'s `mysql.Open`, `pgx.Connect`,
      `nats.Connect`, `grpc.Dial`...) that is the variable itself or holds one named
      like an address (`*HOST*`, `*ADDR*`, `*URL*`, `*DSN*`, `*PORT*`...). That call
      must run whenever the service starts: in
      `main`/`init` of the main package, outside any `if`/`switch` branch, loop or
      closure (a `go func() {...}()` counts as running). A value read with a
      fallback (`if port == "" { port = "8080" }`, `getEnv("PORT", "8080")`) is not
      required; one whose fallback is not a literal is not judged.
    - The service must be deployed by a workload or a compose service of the tree
      that is certainly it (a container whose image repository is the service's
      name, a compose service that builds it or names that image; an image alone may
      run anywhere: Cloud Run sets `PORT`), and no runtime of the service may set
      the variable:
      nothing is reported when one of them takes variables from a source the tree
      does not show (`envFrom` a Secret or a missing ConfigMap, compose
      `env_file:`/`extends:`, a shell script as the command, a dotenv file the code
      loads and the image or a mount provides), or when the code sets it itself
      (`os.Setenv`).
    - One finding per need, on the first read of the variables it lacks, with the
      need and the runtimes as related locations.

    ## Why is this bad?
    `os.Getenv` returns `""` for an unset variable. The service starts, then
    listens on a random port, or fails its first database connection with a
    confusing error (`dial tcp :0: connection refused`); in Kubernetes the pod
    crash-loops or never becomes ready. The variable was set on the developer's
    machine (a `.env` file, the shell) and never made it into the deployment files.

    ## Example
    ```go
    dsn := fmt.Sprintf("%s:%s@tcp(%s)/shop", os.Getenv("DB_USER"),
        os.Getenv("DB_PASS"), os.Getenv("DB_HOST"))
    db, err := sql.Open("mysql", dsn)
    ```
    ```yaml
    services:
      shop:
        build: .
        ports: ["8080:8080"]
    ```

    ## Use instead
    Set it where the service runs, and fail fast with a clear message when it is
    missing:
    ```yaml
    services:
      shop:
        build: .
        environment:
          DB_HOST: mysql:3306
          DB_USER: shop
          DB_PASS: ${DB_PASS:?set DB_PASS}
    ```

    ## Fix safety
    Adding the variable to the deployment changes nothing else; take secrets from a
    Secret or compose secrets rather than a literal.

    ## References
    - [The twelve-factor app: config](https://12factor.net/config)
    - [Kubernetes: define environment variables for a container](https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/)
    - [Compose file: environment](https://docs.docker.com/reference/compose-file/services/#environment)
    """
    ix: ProjectIndex = ctx.index
    for svc in ix.services:
        sinks = list(needs(svc))
        if not sinks:
            continue
        placed = [rt for rt in runtimes(ix, svc, deployed=True) if rt.kind != "image"]
        if (
            not placed
            or not all(certain_join(ix, svc, rt) for rt in placed)
            or any(hidden_source(svc, rt) is not None for rt in placed)
        ):
            continue
        own = code_sets(svc)
        if own is None:
            continue
        found: dict[str, list[Read]] = {}
        for r in reads(svc):
            found.setdefault(r.name, []).append(r)
        done: set[str] = set()
        for span, what, needed, _value in sinks:
            names = list(dict.fromkeys(n for n in needed if n not in own and n not in done))
            unset = [n for n in names if all(rt.sets(n) is False for rt in placed)]
            if not unset:
                continue
            done.update(unset)
            firsts = [(n, _first_read(found, n)) for n in unset]
            at = min((f[0] for _, f in firsts if f is not None), default=span, key=_key)
            related = [
                Related(f[0], f"reads {n} with no default")
                for n, f in sorted(firsts, key=lambda x: _key(x[1][0]) if x[1] else ("", 0))
                if f is not None and f[0] != at
            ]
            if span != at:
                related.append(Related(span, f"{what} needs {_names(unset)}"))
            for rt in placed:
                w = _where(rt)
                if w is not None:
                    related.append(w)
            places = ", ".join(rt.label for rt in placed)
            env = "Dockerfile ENV, " if svc.builds else ""
            yield Hit(
                at,
                f"{what} needs {_names(unset)}, read with no default, and nothing that runs "
                f"the service sets {'it' if len(unset) == 1 else 'them'} ({env}{places}): the service starts with an empty value; set "
                f"{'it' if len(unset) == 1 else 'them'} there, or give a default",
                related=tuple(related),
                service=svc.name,
            )


def _key(s: Span) -> tuple[str, int]:
    return (s.path, s.line)


def _names(names: list[str]) -> str:
    return ", ".join(names)
