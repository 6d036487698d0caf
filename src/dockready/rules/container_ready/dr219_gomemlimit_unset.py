"""DR219 gomemlimit-unset: a container memory limit the Go runtime does not know about."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import imports_under
from dockready.facts.derived.process import calls, where_in
from dockready.facts.derived.runtime import Runtime, runtimes
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_AUTOMEMLIMIT = "github.com/KimMachineGun/automemlimit"


def _code_sets_memlimit(svc: Service) -> bool:
    return imports_under(svc.files, (_AUTOMEMLIMIT,)) or any(
        c.callee == "runtime/debug.SetMemoryLimit" for c, _ in calls(svc)
    )


def _env_span(rt: Runtime, name: str) -> Span | None:
    """Where ``name`` is set for ``rt``: the container/compose env, else the Dockerfile."""
    if rt.deployment is not None:
        for e in rt.deployment.container.env:
            if e.name == name:
                return e.span
    if rt.compose is not None:
        for e in rt.compose.environment:
            if e.name == name:
                return e.span
    if rt.build is not None:
        for st in rt.build.dockerfile.lineage(rt.build.final):
            for k, s in st.env_spans:
                if k == name:
                    return s
    return None


def _memlimit_hits(rt: Runtime, code_sets: bool, service: str) -> Iterator[Hit]:
    dep, comp = rt.deployment, rt.compose
    limit: str | None = None
    where: Span | None = None
    if dep is not None:
        res = dep.container.resources
        limit, where = res.limit("memory"), res.span or dep.container.span
        for e in dep.container.env:
            if (
                e.name == "GOMEMLIMIT"
                and e.source == "resourceFieldRef"
                and e.ref == "limits.memory"
                and limit is None
            ):
                yield Hit(
                    e.span,
                    f"GOMEMLIMIT comes from limits.memory, which container {dep.container.name} "
                    "does not set: Kubernetes gives the node's allocatable memory, so the GC "
                    "has no useful limit",
                    service=service,
                )
                return
    elif comp is not None:
        limit, where = comp.mem_limit, comp.span
    gomem = rt.sets("GOMEMLIMIT")
    if code_sets or gomem is not False:
        return
    gogc = rt.env.get("GOGC", "").strip().lower()
    gogc_span = _env_span(rt, "GOGC")
    if gogc == "off" and gogc_span is not None:
        limit_text = f" (limit {limit})" if limit else ""
        yield Hit(
            gogc_span,
            f"GOGC=off with no GOMEMLIMIT{where_in(rt)}{limit_text}: the GC never runs and "
            "the heap grows until the process is OOM-killed",
            related=(Related(where, f"memory limit {limit}"),) if limit and where else (),
            service=service,
        )
        return
    if limit and where is not None:
        key = comp.mem_limit_key if dep is None and comp is not None else "limits.memory"
        yield Hit(
            where,
            f"{key} {limit} but no GOMEMLIMIT{where_in(rt)}, and the code sets none "
            "(automemlimit, debug.SetMemoryLimit): the GC does not see the limit and the "
            "container is OOM-killed instead of collecting",
            service=service,
        )


@rule(
    id="DR219",
    name="gomemlimit-unset",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
    calls=("runtime/debug.SetMemoryLimit",),
)
def gomemlimit_unset(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a Go service whose container has a memory limit the Go runtime does not
    know about: a workload container with `resources.limits.memory` (or a compose
    service with `mem_limit` / `deploy.resources.limits.memory`) and no `GOMEMLIMIT`
    (a literal, a ConfigMap value or a `resourceFieldRef`, in the manifest or the
    Dockerfile), while the code neither imports `automemlimit` nor calls
    `debug.SetMemoryLimit`. The finding names the limit by the key the file uses.
    Also finds `GOGC=off` with no `GOMEMLIMIT` (reported on the `GOGC` line,
    instead of the limit), and `GOMEMLIMIT` taken from a `resourceFieldRef` to
    `limits.memory` in a container that declares no memory limit.

    Decisions: only workloads and compose services joined to a Go service are
    judged (an image we cannot tie to Go code is not). A container with `envFrom` a
    Secret or a ConfigMap that is not in the tree may set `GOMEMLIMIT` there, so it
    is not reported. The Dockerfile alone is judged only for `GOGC=off`, when
    nothing deploys it.

    ## Why is this bad?
    The Go GC sizes the heap from `GOGC` alone: with the default of 100 the heap may
    grow to twice the live data before a collection. Under a 256 MiB limit that is
    enough to be OOM-killed under load, long before the runtime would have collected.
    With `GOMEMLIMIT` a little under the limit, the GC works harder as the heap nears
    it instead. `GOGC=off` without a limit never collects at all. A `resourceFieldRef`
    to an undeclared `limits.memory` gives the node's allocatable memory: no useful
    limit.

    ## Example
    ```yaml
    resources:
      limits:
        memory: 256Mi
    ```

    ## Use instead
    ```yaml
    env:
      - name: GOMEMLIMIT
        value: 230MiB  # about 90% of the limit
    resources:
      limits:
        memory: 256Mi
    ```
    or `import _ "github.com/KimMachineGun/automemlimit"`, which reads the cgroup
    limit at start-up.

    ## Fix safety
    Safe: `GOMEMLIMIT` is a soft limit. Leave headroom for non-heap memory (goroutine
    stacks, cgo, mapped files).

    ## References
    - [A Guide to the Go Garbage Collector: memory limit](https://go.dev/doc/gc-guide#Memory_limit)
    - [runtime/debug.SetMemoryLimit](https://pkg.go.dev/runtime/debug#SetMemoryLimit)
    - [KimMachineGun/automemlimit](https://github.com/KimMachineGun/automemlimit)
    - [Kubernetes: expose container resources as env vars](https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/)
    """
    ix = ctx.index
    for svc in ix.services:
        code_sets = _code_sets_memlimit(svc)
        seen: set[Span] = set()
        for rt in runtimes(ix, svc, deployed=True):
            for hit in _memlimit_hits(rt, code_sets, svc.name):
                if hit.span not in seen:
                    seen.add(hit.span)
                    yield hit
