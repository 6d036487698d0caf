"""DR311 healthcheck-tool-missing: a HEALTHCHECK runs a command the final image lacks."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.image import (
    builds,
    final_base,
    has_tool,
    installs_tool,
    shell_words,
)
from dockready.facts.docker import SHELLS
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Commands a HEALTHCHECK typically runs that an image may lack.
_PROBE_TOOLS = frozenset(
    {"curl", "wget", "sh", "bash", "ash", "nc", "netcat", "grpc_health_probe", "grpcurl"}
)
_SH_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;"})


def _command_heads(words: list[str]) -> list[str]:
    """The command word of each simple command in a split script."""
    heads: list[str] = []
    start = True
    for w in words:
        if w in _SH_OPERATORS:
            start = True
        elif start:
            if "=" in w and not w.startswith(("-", "/", "=")):
                continue  # VAR=x prefix
            heads.append(w)
            start = False
    return heads


@rule(
    id="DR311",
    name="healthcheck-tool-missing",
    severity=Severity.ERROR,
    reads=(Input.IMAGE,),
)
def healthcheck_tool_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a `HEALTHCHECK` of the final image that runs a command the image does not
    have: `curl`, `wget`, `nc`, `grpc_health_probe`, a shell (the seed's `HEALTHCHECK
    CMD curl ...` on `alpine`, which has only busybox `wget`). The shell form (`CMD
    curl ... || exit 1`) needs `/bin/sh` itself, so on `scratch` or distroless it
    always fails. The finding is on the `HEALTHCHECK` line.

    Decisions: what the image has comes from the base image table, `COPY`s of the
    tool, and `RUN`s in the final stage that install or fetch it (`apk add curl`,
    `wget -O /bin/grpc_health_probe`). An unknown base image is not reported. Other
    commands (the service binary's own `healthcheck` subcommand) are not judged.

    ## Why is this bad?
    The check fails on every run, so Docker, Compose and ECS mark the container
    unhealthy: Compose `depends_on: condition: service_healthy` never starts the
    dependants, and Swarm/ECS replace the container in a loop. Kubernetes ignores
    `HEALTHCHECK`; its probes are DR402.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1
    ```

    ## Use instead
    ```dockerfile
    HEALTHCHECK CMD wget -q -O /dev/null http://localhost:8080/healthz || exit 1
    ```
    or, on a shell-less image, a `healthcheck` subcommand of the binary:
    `HEALTHCHECK CMD ["/app", "healthcheck"]`.

    ## Fix safety
    Safe.

    ## References
    - [Docker: HEALTHCHECK](https://docs.docker.com/reference/dockerfile/#healthcheck)
    """
    ix = ctx.index
    for b in builds(ix):
        hc = b.final.healthcheck
        if hc is None or len(hc.value) < 2 or hc.value[0].upper() != "CMD":
            continue
        base = final_base(b)
        if not hc.json:
            if has_tool(b, "sh") is False:
                yield Hit(
                    hc.span,
                    f"HEALTHCHECK in shell form runs /bin/sh, which {base} does not have: the "
                    "check always fails; use the exec form with a command the image has",
                )
                continue
            heads = _command_heads(shell_words(hc.value[1]))
        else:
            words = list(hc.value[1:])
            heads = [words[0]]
            wrapped = len(words) >= 3 and posixpath.basename(words[0]) in SHELLS
            if wrapped and words[1].startswith("-") and "c" in words[1]:
                heads += _command_heads(shell_words(words[2]))
        for head in heads:
            tool = posixpath.basename(head)
            if tool not in _PROBE_TOOLS:
                continue
            # has_tool matches COPYs by bare name; keep a shell's path (/busybox/sh).
            query = head if tool in SHELLS and head not in ("sh", "/bin/sh") else tool
            if has_tool(b, query) is False and not installs_tool(b, tool):
                yield Hit(
                    hc.span,
                    f"HEALTHCHECK runs {tool}, which {base} does not have: the check always "
                    "fails and the container is marked unhealthy",
                )
                break
