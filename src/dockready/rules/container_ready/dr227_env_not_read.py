"""DR227 env-not-read: an env var the deployment sets that the code never reads."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.derived.envreads import (
    Read,
    certain_join,
    incomplete,
    reads,
    runs_binary,
    runs_script,
    well_known,
)
from dockready.facts.derived.observability import main_func
from dockready.facts.derived.runtime import Runtime, runtimes
from dockready.facts.index import ProjectIndex, Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_SEGMENTS = re.compile(r"[/.\-_]")


def _library_prefixed(svc: Service, name: str) -> bool:
    """``NATS_URL`` in a service that requires ``github.com/nats-io/nats.go``: the
    variable's first word names a dependency, which may read it itself."""
    head = name.split("_", 1)[0].lower()
    if not head or svc.module is None:
        return False
    return any(head in _SEGMENTS.split(r.path.lower()) for r in svc.module.requires)


def _referenced(name: str, texts: list[str]) -> bool:
    pat = re.compile(r"\$\(?\{?" + re.escape(name) + r"\b")
    return any(pat.search(t) for t in texts)


def _settings(rt: Runtime) -> Iterator[tuple[str, Span, str, list[str]]]:
    """``(name, span, where, texts that may reference variables)`` set explicitly."""
    if rt.deployment is not None:
        c = rt.deployment.container
        texts = [*c.command, *c.args, *(e.value or "" for e in c.env)]
        for e in c.env:
            yield e.name, e.span, f"container {c.name} of {rt.label}", texts
    elif rt.compose is not None:
        cs = rt.compose
        texts = [*(cs.command or ()), *(cs.entrypoint or ())]
        for e in cs.environment:
            yield e.name, e.span, rt.label, texts
    elif rt.build is not None:
        df = rt.build.dockerfile
        texts = [i.original for st in df.stages for i in st.instructions if i.cmd != "ENV"]
        texts += [v for st in df.stages for i in st.instructions if i.cmd == "ENV" for v in i.value]
        for name, span in rt.build.final.env_spans:
            if span.path == df.path:
                yield name, span, f"the image ({df.path})", texts


@rule(
    id="DR227",
    name="env-not-read",
    severity=Severity.INFO,
    reads=(Input.IMAGE, Input.K8S, Input.COMPOSE),
    calls=("os.Expand", "syscall.Environ"),
)
def env_not_read(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds an environment variable that the service's Dockerfile `ENV`, workload
    `env` or compose `environment` sets by name and that its code never reads: a
    setting renamed in the code (`DB_URL` became `DATABASE_URL`) that silently stopped
    working, or a leftover that misleads whoever reads the deployment.

    Decisions, for certainty:
    - The code's reads must be complete: every `os.Getenv`/`os.LookupEnv` names its
      variable literally (a helper forwarding its parameter, `getEnv(key, def)`, is
      fine: its callers' literal names count), and nothing reads the environment in
      bulk or hands it on: no `os.Environ`/`os.ExpandEnv`, no environment-binding
      library (envconfig, caarlos0/env, cleanenv, koanf, kingpin, urfave/cli...), no
      viper `AutomaticEnv`/`BindEnv`, no `os/exec`. Otherwise the service is not
      judged.
    - The runtime must certainly run the service's binary: a container whose image
      repository is the service's name, a compose service that builds it or names
      that image, whose command starts the `go build -o` output (or a program named
      like the service) directly, not a launcher or a shell script that may read the
      variables itself. Only upper-case names are judged (lower-case ones are often
      hints to other tools, like classic Swarm's `reschedule`).
    - A variable counts as read when its name is any string literal (struct tags
      included) of any Go file of the tree, not only a `Getenv` argument.
    - Not reported: variables the Go runtime, the C library, proxies, TLS, the
      platform or common agents read (`GOMEMLIMIT`, `TZ`, `HTTP_PROXY`,
      `SSL_CERT_FILE`, `OTEL_*`, `AWS_*`, `DD_*`...); a variable whose first word
      names a required module (`NATS_URL` with `nats-io/nats.go`); a variable the
      Dockerfile, the container's `command`/`args`/other `env` values or the compose
      `command:` reference (`$PORT`, `$(PORT)`); variables from `envFrom` or
      `env_file:` (shared sources).

    ## Why is this bad?
    Kubernetes and compose accept any variable name: a typo or a rename on one side
    goes unnoticed, and the service runs with its default (a local database, a debug
    log level, a feature left off) while the deployment says otherwise.

    ## Example
    ```go
    dsn := os.Getenv("DATABASE_URL")
    ```
    ```yaml
    env:
      - name: DB_URL
        value: postgres://orders@db/orders
    ```

    ## Use instead
    ```yaml
    env:
      - name: DATABASE_URL
        value: postgres://orders@db/orders
    ```

    ## Fix safety
    Renaming the variable in the deployment changes what the service runs with:
    check the value is the one you want. Remove a leftover only when no other
    process of the image (a sidecar, a script) reads it.

    ## References
    - [The twelve-factor app: config](https://12factor.net/config)
    - [Kubernetes: define environment variables for a container](https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/)
    """
    ix: ProjectIndex = ctx.index
    words: frozenset[str] | None = None
    for svc in ix.services:
        if svc.main is None or incomplete(svc) is not None:
            continue
        rts = runtimes(ix, svc)
        if not rts or any(runs_script(rt) is not None for rt in rts):
            continue
        if words is None:
            words = frozenset().union(*(g.env_words for g in ix.go_files))
        read = sorted({r.name for r in reads(svc)})
        seen: set[tuple[Span, str]] = set()
        for rt in rts:
            if not certain_join(ix, svc, rt) or not runs_binary(svc, rt):
                continue
            for name, span, where, texts in _settings(rt):
                if (span, name) in seen:
                    continue
                seen.add((span, name))
                if (
                    not name
                    or name != name.upper()
                    or name.upper() in words
                    or well_known(name)
                    or _library_prefixed(svc, name)
                    or _referenced(name, texts)
                ):
                    continue
                shown = ", ".join(read[:6]) + (", ..." if len(read) > 6 else "")
                reads_what = f"os.Getenv reads {shown}" if read else "no variable is read by name"
                related = tuple(
                    Related(r.call.span, f"reads {r.name}") for r in _similar(svc, name)
                ) or _main_related(svc)
                yield Hit(
                    span,
                    f"{where} sets {name}, which the code of {svc.name} never names "
                    f"({reads_what}): a renamed setting that no longer applies, or a "
                    "leftover; rename or remove it",
                    related=related,
                    service=svc.name,
                )


def _similar(svc: Service, name: str) -> list[Read]:
    """Reads whose names share a word with ``name`` (the likely rename), first of each."""
    tokens = {t for t in name.upper().split("_") if len(t) > 2}
    out: dict[str, Read] = {}
    for r in reads(svc):
        if r.name not in out and tokens & set(r.name.upper().split("_")):
            out[r.name] = r
    return list(out.values())[:3]


def _main_related(svc: Service) -> tuple[Related, ...]:
    """The service's ``main`` function, where its configuration is read."""
    span = main_func(svc)
    return (Related(span, f"main of {svc.name}"),) if span is not None else ()
