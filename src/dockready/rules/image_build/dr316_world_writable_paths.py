"""DR316 world-writable-paths: the final image makes files or folders world-writable."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockready.facts.derived.image import builds, is_devcontainer
from dockready.facts.derived.runscript import (
    iter_runs,
    path_covers,
    program,
    run_commands,
)
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

#: Folders meant to be shared by every user (they carry the sticky bit anyway).
_SHARED = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
_OCTAL = re.compile(r"^[0-7]{1,4}$")
_CLAUSE = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")


def world_writable(mode: str) -> bool | None:
    """Does the ``chmod`` mode make the files writable by others? None for a sticky
    mode (``1777``, ``+t``: a shared scratch folder) or a mode we cannot read."""
    if _OCTAL.match(mode):
        digits = mode.zfill(4)
        if int(digits[0]) & 1:
            return None
        return bool(int(digits[-1]) & 2)
    writable = False
    for clause in mode.split(","):
        m = _CLAUSE.match(clause)
        if m is None:
            return None
        who, op, perms = m.groups()
        if "t" in perms and op in "+=":
            return None
        # an empty "who" is filtered by the umask (022 in a build): not for others
        if "o" not in who and "a" not in who:
            continue
        if op == "=":
            writable = "w" in perms
        elif "w" in perms:
            writable = op == "+"
    return writable


def _mode_and_paths(argv: list[str]) -> tuple[str, list[str]] | None:
    """``(mode, paths)`` of a ``chmod``, ``mkdir -m`` or ``install -m`` command."""
    tool = program(argv)
    if tool == "chmod":
        args = [a for a in argv[1:] if a not in ("-R", "-r", "--recursive", "-v", "-f", "-c")]
        args = [a for a in args if not a.startswith("--")]
        # a mode may start with "-" (a-w): the first remaining word is the mode
        if len(args) < 2:
            return None
        return args[0], args[1:]
    if tool in ("mkdir", "install"):
        mode = None
        rest: list[str] = []
        it = iter(argv[1:])
        for a in it:
            if a in ("-m", "--mode"):
                mode = next(it, None)
            elif a.startswith("--mode="):
                mode = a.split("=", 1)[1]
            elif a.startswith("-m") and len(a) > 2:
                mode = a[2:]
            elif not a.startswith("-"):
                rest.append(a)
        if mode is None or not rest:
            return None
        return mode, rest[-1:] if tool == "install" else rest
    return None


def _shared(path: str) -> bool:
    return any(path.startswith("/") and path_covers(d, path) for d in _SHARED)


@rule(
    id="DR316",
    name="world-writable-paths",
    severity=Severity.WARNING,
    reads=(Input.IMAGE,),
    tags=(Tag.SECURITY,),
)
def world_writable_paths(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds instructions of the final image (the final stage and the stages it is
    built `FROM`) that make files or folders writable by every user: `chmod` with a
    mode whose "others" digit has the write bit (`777`, `666`, `-R 0777`) or with
    `o+w`/`a+w`/`a=rwx`; `mkdir -m 777` and `install -m 777`; and `COPY --chmod=777`.
    The finding is on the instruction and names the paths.

    Decisions: sticky modes (`1777`, `+t`) are the normal mode of a shared scratch
    folder and are not reported, and neither are `/tmp`, `/var/tmp`, `/dev/shm` and
    the lock folders. `chmod +w` without `u`/`g`/`o`/`a` is filtered by the build's
    umask (022) and does not reach others. Build stages are not checked, nor are
    development images under `.devcontainer/`.

    ## Why is this bad?
    Any process in the container, whatever its uid, can then replace the binary, its
    configuration or its data: one compromised or misconfigured sidecar process is
    enough to change what the service runs. `777` is usually a shortcut for "the
    non-root user must write here", which ownership solves without opening the files
    to everybody.

    ## Example
    ```dockerfile
    RUN mkdir -p /app/data && chmod -R 777 /app
    ```

    ## Use instead
    ```dockerfile
    RUN mkdir -p /app/data && chown -R 65532:65532 /app/data
    USER 65532:65532
    ```
    For images run with an arbitrary uid (OpenShift), make the folder group-owned by
    root and group-writable: `chgrp -R 0 /app/data && chmod -R g=u /app/data`.

    ## Fix safety
    The process must run as the owner (or group) you give the folder; check the
    `USER` and the manifest's `runAsUser`/`fsGroup`.

    ## References
    - [Docker: best practices, USER](https://docs.docker.com/build/building/best-practices/#user)
    - [OpenShift: support arbitrary user ids](https://docs.openshift.com/container-platform/latest/openshift_images/create-images.html#use-uid_create-images)
    - [CIS Docker Benchmark 4.x: image hardening](https://www.cisecurity.org/benchmark/docker)
    """
    seen: set[Span] = set()
    for b in builds(ctx.index):
        df = b.dockerfile
        if is_devcontainer(df):
            continue
        for st in reversed(df.lineage(b.final)):
            for c in st.copies:
                if c.chmod and world_writable(c.chmod) and c.span not in seen:
                    seen.add(c.span)
                    yield Hit(
                        c.span,
                        f"--chmod={c.chmod} makes {c.dest} writable by every user in the "
                        "image: give the files to the user that needs them instead",
                    )
            for run in iter_runs(st.instructions):
                if run.span in seen:
                    continue
                for argv in run_commands(run):
                    parsed = _mode_and_paths(argv)
                    if parsed is None:
                        continue
                    mode, paths = parsed
                    hit = [p for p in paths if not _shared(p)]
                    if not hit or not world_writable(mode):
                        continue
                    seen.add(run.span)
                    shown = " ".join(hit[:3]) + (" ..." if len(hit) > 3 else "")
                    yield Hit(
                        run.span,
                        f"{program(argv)} {mode} makes {shown} writable by every user in the "
                        "image: chown them to the user that writes there instead",
                    )
                    break
