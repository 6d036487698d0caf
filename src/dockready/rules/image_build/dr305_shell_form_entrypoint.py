"""DR305 shell-form-entrypoint: the final CMD or ENTRYPOINT runs through a shell."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator

from dockready.facts.derived.image import builds, final_base, has_tool, shell_words, shell_wrapper
from dockready.facts.docker import Instruction
from dockready.facts.index import Build
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule


def _execs(script: str) -> bool:
    """Does the shell replace itself with the command (``exec /app``)?"""
    words = shell_words(script)
    return bool(words) and words[0] == "exec"


_SHELL_META = frozenset("$|&;<>()`*?~\\\"'")


def _exec_form(script: str) -> str | None:
    """The exec form of a simple shell command (``/app -v`` -> ``["/app", "-v"]``)."""
    if any(ch in _SHELL_META for ch in script):
        return None
    words = script.split()
    if words[:1] == ["exec"]:
        words = words[1:]
    return json.dumps(words) if words else None


def _shell_hits(b: Build) -> Iterator[tuple[Instruction, str, bool]]:
    """``(instruction, script, needs_sh_only)`` for each shell-run CMD/ENTRYPOINT
    of the final image; ``needs_sh_only`` is set when the shell execs the command."""
    f = b.final
    ep, cmd = f.entrypoint, f.cmd
    for inst in (ep, cmd):
        if inst is None or not inst.value:
            continue
        if inst is cmd and ep is not None and not ep.json:
            continue  # a shell-form ENTRYPOINT ignores CMD
        if not inst.json:
            yield inst, inst.value[0], _execs(inst.value[0])
            continue
        wrapped = shell_wrapper(inst)
        if wrapped is not None:
            yield inst, wrapped[1], _execs(wrapped[1])


@rule(
    id="DR305",
    name="shell-form-entrypoint",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
)
def shell_form_entrypoint(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds a final image whose `CMD` or `ENTRYPOINT` runs through a shell: the shell
    form (`CMD /app`), or an exec form that only wraps one (`CMD ["sh", "-c", "/app"]`).
    Error when the final image has no such shell (`scratch`, distroless): the
    container cannot start. Warning elsewhere: `/bin/sh` is PID 1 and does not pass
    SIGTERM on to the Go process.

    Decisions: a script that starts with `exec` (`CMD exec /app`) makes the shell
    replace itself, so it is only reported (as an error) on an image without the
    shell. A shell-form `CMD` after a shell-form `ENTRYPOINT` is ignored by Docker and
    not reported; after an exec-form `ENTRYPOINT` it is reported as a warning on any
    image, because Docker then passes `/bin/sh -c ...` to the entrypoint as
    arguments. An image whose base is unknown gets the warning. A shell script run
    in exec form (`ENTRYPOINT ["/entrypoint.sh"]`) is not judged: its content is not
    known here.

    ## Why is this bad?
    On `docker stop` or a pod deletion the runtime sends SIGTERM to PID 1. `sh` does
    not forward it, so the service never shuts down gracefully: in-flight requests
    are cut when SIGKILL comes at the end of the grace period (30 s of a stuck
    rollout per pod). On an image without `/bin/sh` the container fails at once with
    `exec: "/bin/sh": stat /bin/sh: no such file or directory`.

    ## Example
    ```dockerfile
    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
    CMD /app --port 8080
    ```

    ## Use instead
    ```dockerfile
    ENTRYPOINT ["/app", "--port", "8080"]
    ```

    ## Fix safety
    Exec form does no variable expansion: `$PORT` in the command must be read by the
    program instead (`os.Getenv`).

    ## References
    - [Docker: CMD, shell and exec form](https://docs.docker.com/reference/dockerfile/#shell-and-exec-form)
    - [Docker: ENTRYPOINT](https://docs.docker.com/reference/dockerfile/#entrypoint)
    """
    ix = ctx.index
    for b in builds(ix):
        after_exec_ep = b.final.entrypoint is not None and b.final.entrypoint.json
        for inst, script, execs in _shell_hits(b):
            wrapped = shell_wrapper(inst)
            shell = wrapped[0] if wrapped is not None else "/bin/sh"
            present = has_tool(b, shell)
            shown = script if len(script) <= 60 else script[:57] + "..."
            exec_form = _exec_form(script)
            fix = (
                f"use {inst.cmd} {exec_form}"
                if exec_form
                else "use exec form, or start the script with exec"
            )
            if inst.cmd == "CMD" and after_exec_ep and not inst.json:
                # Not run by a shell at all: handed to the entrypoint as arguments.
                yield Hit(
                    inst.span,
                    f"CMD in shell form after an exec-form ENTRYPOINT: Docker passes "
                    f"'/bin/sh -c {shown}' to the entrypoint as arguments; {fix}",
                )
            elif present is False:
                yield Hit(
                    inst.span,
                    f"{inst.cmd} runs {shown!r} through {shell}, which {final_base(b)} does not "
                    f"have: the container cannot start; {fix}",
                    severity=Severity.ERROR,
                )
            elif not execs:
                form = "in shell form" if not inst.json else f"wraps {shell} -c"
                words = shell_words(script)
                prog = posixpath.basename(words[0]) if words else "the program"
                yield Hit(
                    inst.span,
                    f"{inst.cmd} {form} ({shown!r}): the shell is PID 1 and SIGTERM never "
                    f"reaches {prog}; {fix}",
                )
