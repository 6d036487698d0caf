"""DR220 gomaxprocs-unaware: a CPU limit that GOMAXPROCS ignores (go line below 1.25)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.build import imports_under
from dockready.facts.derived.process import calls
from dockready.facts.derived.runtime import runtimes
from dockready.facts.go import version_tuple
from dockready.facts.index import Service
from dockready.model import Related, Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_AUTOMAXPROCS = "go.uber.org/automaxprocs"
_CGROUP_AWARE_GO = (1, 25)


def _code_sets_maxprocs(svc: Service) -> bool:
    if imports_under(svc.files, (_AUTOMAXPROCS,)):
        return True
    for c, _ in calls(svc):
        if c.callee == "runtime.GOMAXPROCS":
            arg = c.arg(0)
            if arg is not None and arg.literal != "0":
                return True
    return False


@rule(
    id="DR220",
    name="gomaxprocs-unaware",
    severity=Severity.WARNING,
    reads=(Input.K8S,),
    calls=("runtime.GOMAXPROCS",),
)
def gomaxprocs_unaware(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a workload container with `resources.limits.cpu` running a Go service
    whose go.mod `go` line is below 1.25 (or missing, which means 1.16), when
    nothing sizes `GOMAXPROCS` to the limit: no `GOMAXPROCS` variable (a literal or
    a `resourceFieldRef` to `limits.cpu`, in the manifest or the Dockerfile), no
    `go.uber.org/automaxprocs` import, no `runtime.GOMAXPROCS(n)` call with a
    non-zero argument. The finding is on the container's `resources`; the go.mod
    `go` line is related.

    Decisions: the `go` line decides, not the toolchain that builds: Go 1.25 turned
    the cgroup-aware default on through a GODEBUG setting keyed to the main module's
    `go` version. A container with `envFrom` a Secret or a ConfigMap not in the tree
    may set `GOMAXPROCS` there and is not reported. Compose CPU limits are not read.

    ## Why is this bad?
    Before Go 1.25, `GOMAXPROCS` defaults to the number of CPUs of the node, not the
    container's CPU limit. On a 32-core node with `cpu: "1"`, 32 threads run Go code
    and the CFS quota is spent in the first few milliseconds of each 100 ms period:
    the container is throttled and latency spikes.

    ## Example
    ```yaml
    resources:
      limits:
        cpu: "1"
    ```
    with `go 1.22` in go.mod and nothing setting `GOMAXPROCS`.

    ## Use instead
    ```yaml
    env:
      - name: GOMAXPROCS
        valueFrom:
          resourceFieldRef:
            resource: limits.cpu
    ```
    or `import _ "go.uber.org/automaxprocs"`, or go.mod `go 1.25`.

    ## Fix safety
    Safe. `resourceFieldRef` rounds a fractional limit up to a whole CPU.

    ## References
    - [Go 1.25 release notes: container-aware GOMAXPROCS](https://go.dev/doc/go1.25#container-aware-gomaxprocs)
    - [uber-go/automaxprocs](https://github.com/uber-go/automaxprocs)
    """
    ix = ctx.index
    for svc in ix.services:
        mod = svc.module
        if mod is None or not svc.deployments:
            continue
        version = version_tuple(mod.go) if mod.go else (1, 16)
        if version is None or version >= _CGROUP_AWARE_GO or _code_sets_maxprocs(svc):
            continue
        go_line = mod.go_span or Span(mod.path)
        go_text = f"go {mod.go}" if mod.go else "no go line (go 1.16)"
        seen: set[Span] = set()
        for rt in runtimes(ix, svc, deployed=True):
            dep = rt.deployment
            if dep is None:
                continue
            cpu = dep.container.resources.limit("cpu")
            if not cpu or rt.sets("GOMAXPROCS") is not False:
                continue
            span = dep.container.resources.span or dep.container.span
            if span in seen:
                continue
            seen.add(span)
            yield Hit(
                span,
                f"limits.cpu {cpu} in {rt.label}, but go.mod says {go_text} (below 1.25 the "
                "runtime ignores the cgroup CPU limit) and neither GOMAXPROCS nor automaxprocs "
                "is set: GOMAXPROCS is the node's core count and the container is throttled",
                related=(Related(go_line, go_text),),
                service=svc.name,
            )
