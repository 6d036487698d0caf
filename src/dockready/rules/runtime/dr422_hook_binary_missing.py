"""DR422 hook-binary-missing: exec probes and preStop hooks that run a tool the image lacks."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.derived.image import has_tool, installs_tool, shell_words
from dockready.facts.docker import SHELLS
from dockready.facts.index import Build, Deployment
from dockready.facts.k8s import Handler
from dockready.model import Related, Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_HOOK_TOOLS = SHELLS | {"sleep", "curl", "wget", "grpc_health_probe", "cat", "nc"}


_SH_OPS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})


def _needed_tools(command: tuple[str, ...]) -> list[str]:
    """The binaries an exec handler needs: its program, and for ``sh -c`` the first
    word of the script."""
    if not command:
        return []
    prog = posixpath.basename(command[0])
    out = [prog]
    if prog in SHELLS and len(command) >= 3 and command[1] == "-c":
        words = [w for w in shell_words(command[2]) if w not in _SH_OPS]
        while words and "=" in words[0] and not words[0].startswith("="):
            words.pop(0)  # VAR=value prefix
        if words:
            out.append(posixpath.basename(words[0]))
    return [t for t in out if t in _HOOK_TOOLS]


def _missing(builds: tuple[Build, ...], tool: str) -> bool:
    """True when every build's final image surely lacks ``tool``."""
    return bool(builds) and all(
        has_tool(b, tool) is False and not installs_tool(b, tool) for b in builds
    )


def _handlers(dep: Deployment) -> Iterator[tuple[str, Handler]]:
    for p in dep.container.probes:
        yield f"{p.which} probe", p.handler
    if dep.container.pre_stop is not None:
        yield "preStop hook", dep.container.pre_stop


@rule(
    id="DR422",
    name="hook-binary-missing",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
)
def hook_binary_missing(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Joins the `exec` probes and `exec` `preStop` hooks of a container with the image
    it runs, and finds a command the final image does not have: `sh`, `bash`,
    `sleep`, `curl`, `wget`, `grpc_health_probe`, `cat` or `nc`, as the program or as
    the first word of an `sh -c` script. The finding is on the handler; the final
    `FROM` is related. A tool brought in by a `COPY` or installed by a `RUN` of the
    final image counts as present; an unknown base image is not reported; with
    several Dockerfiles every one must lack the tool.

    ## Why is this bad?
    On a `scratch` or distroless image the exec fails: a readiness probe never
    passes (the pod never gets traffic), a liveness probe restarts the container
    forever, and a `preStop` `sleep` fails at once, so the pod is removed from the
    endpoints while it still gets new connections.

    ## Example
    ```yaml
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "sleep 5"]
    ```
    on `FROM gcr.io/distroless/static-debian12:nonroot`.

    ## Use instead
    ```yaml
    lifecycle:
      preStop:
        sleep:
          seconds: 5
    readinessProbe:
      httpGet: {path: /readyz, port: http}   # or grpc: {port: 50051}
    ```

    ## Fix safety
    `preStop.sleep` needs Kubernetes 1.30 or later (1.29 behind a feature gate);
    `grpc` probes need 1.27 or later.

    ## References
    - [Kubernetes: container lifecycle hooks](https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/)
    - [Configure liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)
    """
    ix = ctx.index
    for svc in ix.services:
        if not svc.builds:
            continue
        first = svc.builds[0]
        final = first.final
        image = first.dockerfile.external_base(final)
        for dep in svc.deployments:
            for what, h in _handlers(dep):
                if h.kind != "exec":
                    continue
                for tool in _needed_tools(h.command):
                    if _missing(svc.builds, tool):
                        yield Hit(
                            h.span,
                            f"the {what} of container {dep.container.name} runs {tool}, which "
                            f"the final image ({image}) does not have: the exec fails",
                            related=(Related(final.span, f"final image {image}"),),
                        )
                        break
