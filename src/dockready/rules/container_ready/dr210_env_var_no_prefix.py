"""DR210 env-var-no-prefix: some env vars lack the service prefix the others use."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from dockready.facts.derived.envreads import Read, reads, well_known
from dockready.facts.index import Service
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Variables a platform sets under a fixed name: never prefixed.
_PLATFORM = frozenset({"PORT", "HOST", "HOSTNAME", "POD_NAME", "POD_NAMESPACE", "POD_IP"})
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def _service_tokens(svc: Service) -> set[str]:
    """The words of the service's names (``order-service`` -> ORDER, SERVICE,
    ORDERSERVICE), upper-case."""
    out: set[str] = set()
    names = {svc.name}
    if svc.module is not None and svc.module.module:
        names.add(svc.module.module.rsplit("/", 1)[-1])
    if svc.main is not None and svc.main.dir not in (".", ""):
        names.add(svc.main.dir.rsplit("/", 1)[-1])
    for n in names:
        words = [w.upper() for w in _SPLIT.split(n) if len(w) >= 3]
        out.update(words)
        if len(words) > 1:
            out.add("".join(words))
    return out - {"SERVICE", "SERVER", "APP", "API", "CMD", "MAIN", "SVC"}


@rule(
    id="DR210",
    name="env-var-no-prefix",
    severity=Severity.INFO,
    reads=(Input.CODE,),
)
def env_var_no_prefix(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds environment variables the service reads without the service prefix that
    most of its other variables carry: `ORDERS_DB_URL` and `ORDERS_LOG_LEVEL`, but
    `REDIS_ADDR`. One finding per service, on the first read of the first unprefixed
    variable, naming them all.

    Decisions, for certainty: the prefix must be a word of the service's name (its
    folder, module or main package: `ORDERS_` for `orders`), carried by at least two
    of the variables and at least half of them; only literal `os.Getenv`/
    `os.LookupEnv` reads count. Variables that are not the service's own settings
    are left out: those of the Go runtime, proxies, TLS, cloud SDKs and agents
    (`GOMEMLIMIT`, `HTTP_PROXY`, `AWS_*`, `OTEL_*`...), and those a platform sets
    under a fixed name (`PORT`, `HOSTNAME`, `POD_NAME`...). A service with no
    prefix at all is not reported: choosing one is a convention, not a defect.

    ## Why is this bad?
    In a pod or compose file shared by several containers, or a ConfigMap loaded
    with `envFrom`, unprefixed names collide: `REDIS_ADDR` meant for one service is
    read by another. Mixed naming also hides which variables belong to the service
    when someone audits its deployment.

    ## Example
    ```go
    dsn := os.Getenv("ORDERS_DB_URL")
    level := os.Getenv("ORDERS_LOG_LEVEL")
    cache := os.Getenv("REDIS_ADDR")
    ```

    ## Use instead
    ```go
    cache := os.Getenv("ORDERS_REDIS_ADDR")
    ```

    ## Fix safety
    Renaming a variable needs the deployment renamed at the same time; read both
    names for one release if several environments deploy independently.

    ## References
    - [The twelve-factor app: config](https://12factor.net/config)
    - [Kubernetes: envFrom and name collisions](https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#configure-all-key-value-pairs-in-a-configmap-as-container-environment-variables)
    """
    for svc in ctx.index.services:
        first: dict[str, Read] = {}
        for r in reads(svc):
            n = r.name
            if n != n.upper() or well_known(n) or n in _PLATFORM:
                continue
            cur = first.get(n)
            if cur is None or (r.call.span.path, r.call.span.line) < (
                cur.call.span.path,
                cur.call.span.line,
            ):
                first[n] = r
        if len(first) < 3:
            continue
        # ``_MINIO_DEBUG``: a leading underscore marks a hidden setting, same prefix
        heads = Counter(n.lstrip("_").split("_", 1)[0] for n in first if "_" in n.lstrip("_"))
        tokens = _service_tokens(svc)
        best = [(c, h) for h, c in heads.items() if h in tokens and c >= 2 and 2 * c >= len(first)]
        if not best:
            continue
        count, prefix = max(best)
        missing = sorted(
            (r for n, r in first.items() if not n.lstrip("_").startswith(prefix + "_")),
            key=lambda r: (r.call.span.path, r.call.span.line),
        )
        if not missing:
            continue
        names = ", ".join(r.name for r in missing)
        yield Hit(
            missing[0].call.span,
            f"{names} {'lacks' if len(missing) == 1 else 'lack'} the {prefix}_ prefix that "
            f"{count} of the {len(first)} variables {svc.name} reads carry: unprefixed names "
            f"collide in shared pods, compose files and envFrom ConfigMaps; use "
            f"{prefix}_{missing[0].name}",
            related=tuple(Related(r.call.span, f"reads {r.name}") for r in missing[1:4]),
            service=svc.name,
        )
