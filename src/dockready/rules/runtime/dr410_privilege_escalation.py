"""DR410 privilege-escalation: containers that can gain privileges on the node."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.pod import containers
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_DANGEROUS_CAPS = frozenset(
    {
        "ALL",
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_PTRACE",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_BOOT",
        "SYS_TIME",
        "SYSLOG",
        "DAC_READ_SEARCH",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "BPF",
        "PERFMON",
    }
)


def _cap(name: str) -> str:
    n = name.strip().upper()
    return n[4:] if n.startswith("CAP_") else n


@rule(
    id="DR410",
    name="privilege-escalation",
    severity=Severity.WARNING,
    reads=(Input.K8S, Input.COMPOSE),
    tags=(Tag.SECURITY,),
)
def privilege_escalation(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds Kubernetes containers (init containers included) that can gain privileges:
    `privileged: true`; `allowPrivilegeEscalation` not set to `false` (unset counts:
    the default is `true`); capabilities not dropped (no `ALL` in
    `capabilities.drop`); or dangerous capabilities added (`SYS_ADMIN`, `NET_ADMIN`,
    `SYS_PTRACE`, `SYS_MODULE`, `BPF`, `ALL`...). One finding per container lists
    everything that is wrong; it is on the offending `securityContext` field when
    there is one, else on the container.

    In compose files: `privileged: true`, and the same dangerous capabilities in
    `cap_add:` (local runs are not held to the pod's `drop: [ALL]`).

    ## Why is this bad?
    A privileged container is root on the node. Without `allowPrivilegeEscalation:
    false` a setuid binary or a file capability in the image raises the process's
    privileges, and the default capability set (`NET_RAW`, `CHOWN`, `SETUID`...) is
    more than a Go service ever needs: each is one step of a container escape. The
    Pod Security Standard *restricted* requires all three settings.

    ## Example
    ```yaml
    containers:
      - name: orderservice
        image: registry.example.com/orderservice:1.4.2
        # no securityContext
    ```

    ## Use instead
    ```yaml
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
    ```
    (add back `NET_BIND_SERVICE` only to bind a port below 1024).

    ## Fix safety
    Safe for a Go service that binds a high port and runs no setuid helper.

    ## References
    - [Pod Security Standards: restricted](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    - [Configure a security context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    """
    ix = ctx.index
    for w in ix.workloads:
        for c in containers(w):
            sec = c.security
            issues: list[str] = []
            span: Span | None = None
            if sec.privileged is True:
                issues.append("privileged: true (root on the node)")
                span = sec.span_of("privileged")
            if sec.allow_privilege_escalation is True:
                issues.append("allowPrivilegeEscalation: true")
                span = span or sec.span_of("allow_privilege_escalation")
            elif sec.allow_privilege_escalation is None:
                issues.append("allowPrivilegeEscalation is not false (the default is true)")
            if "ALL" not in {_cap(x) for x in sec.caps_drop}:
                issues.append("capabilities are not dropped (no drop: [ALL])")
            added = sorted({_cap(x) for x in sec.caps_add} & _DANGEROUS_CAPS)
            if added:
                issues.append("adds capabilities " + ", ".join(added))
                span = span or sec.span_of("caps_add")
            if issues:
                yield Hit(span or c.span, f"container {c.name}: " + "; ".join(issues))
    for cs in ix.compose_services:
        # Local runs are not held to the pod's drop-ALL: only what compose adds.
        if cs.privileged:
            yield Hit(
                cs.privileged_span or cs.span,
                f"compose service {cs.name}: privileged: true (every capability and device "
                "of the host)",
            )
        added = sorted({_cap(x) for x in cs.cap_add} & _DANGEROUS_CAPS)
        if added:
            yield Hit(
                cs.cap_add_span or cs.span,
                f"compose service {cs.name}: adds capabilities " + ", ".join(added),
            )
