"""DR313 package-cache-left: a package manager leaves its cache in the final image."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.derived.image import builds, is_devcontainer
from dockready.facts.derived.runscript import (
    iter_runs,
    mounted,
    operands,
    program,
    removes,
    run_commands,
)
from dockready.facts.docker import Instruction
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, Tag, rule

_APT = frozenset({"apt-get", "apt"})
_APK_FETCH = frozenset({"add", "update", "upgrade"})
_RPM = frozenset({"yum", "dnf", "microdnf"})
_RPM_FETCH = frozenset({"install", "update", "upgrade", "reinstall", "groupinstall"})
_APT_LISTS = "/var/lib/apt/lists"
_APK_CACHE = "/var/cache/apk"
_APT_DEBS = "/var/cache/apt/archives"


def _verb(argv: list[str]) -> str | None:
    ops = operands(argv)
    return ops[0] if ops else None


def _apt_left(run: Instruction, cmds: list[list[str]]) -> str | None:
    """``apt-get update`` with the lists neither removed nor on a cache mount."""
    if not any(program(c) in _APT and _verb(c) == "update" for c in cmds):
        return None
    cleaned = removes(cmds, _APT_LISTS) or any(
        program(c) in _APT and _verb(c) in ("distclean", "dist-clean") for c in cmds
    )
    if cleaned or mounted(run, _APT_LISTS):
        return None
    return (
        "apt-get update leaves the package lists (/var/lib/apt/lists, tens of MB) in this "
        "layer: end the same RUN with && rm -rf /var/lib/apt/lists/*"
    )


def _keeps_debs(cmds: list[list[str]]) -> bool:
    """Does the RUN turn off the Debian/Ubuntu images' ``docker-clean`` hook (remove
    it, or set ``Keep-Downloaded-Packages``), so ``apt-get install`` keeps its .debs?"""
    for c in cmds:
        if program(c) == "rm" and any(a.endswith("apt.conf.d/docker-clean") for a in c[1:]):
            return True
        if any("Keep-Downloaded-Packages" in a and "true" in a for a in c):
            return True
    return False


def _debs_left(run: Instruction, cmds: list[list[str]], since: int) -> str | None:
    """``apt-get install`` that keeps the downloaded .debs (``docker-clean`` is off)."""
    if not any(
        program(c) in _APT and _verb(c) in ("install", "upgrade", "dist-upgrade") for c in cmds
    ):
        return None
    cleaned = any(program(c) in _APT and _verb(c) in ("clean", "autoclean") for c in cmds)
    if cleaned or removes(cmds, _APT_DEBS) or mounted(run, _APT_DEBS):
        return None
    return (
        f"apt-get install keeps the downloaded .deb files in {_APT_DEBS} in this layer "
        f"(line {since} turns off the image's docker-clean hook): add a cache mount on "
        "/var/cache/apt or end the RUN with && apt-get clean"
    )


def _apk_left(run: Instruction, cmds: list[list[str]]) -> str | None:
    """``apk add``/``update``/``upgrade`` without ``--no-cache`` that keeps the index."""
    for c in cmds:
        if program(c) != "apk" or _verb(c) not in _APK_FETCH or "--no-cache" in c:
            continue
        if removes(cmds, _APK_CACHE) or mounted(run, _APK_CACHE) or mounted(run, "/etc/apk/cache"):
            return None
        if _verb(c) == "update":
            return (
                "apk update leaves the package index in /var/cache/apk in this layer: drop it "
                "and use apk add --no-cache, which fetches the index without keeping it"
            )
        return (
            f"apk {_verb(c)} without --no-cache leaves the package index in /var/cache/apk "
            f"in this layer: use apk {_verb(c)} --no-cache"
        )
    return None


def _rpm_left(run: Instruction, cmds: list[list[str]]) -> str | None:
    """``yum``/``dnf``/``microdnf install`` with no ``clean all`` in the same RUN."""
    for c in cmds:
        tool = program(c)
        if tool not in _RPM or _verb(c) not in _RPM_FETCH:
            continue
        cache = f"/var/cache/{'dnf' if tool == 'dnf' else 'yum'}"
        cleaned = any(
            program(k) in _RPM and _verb(k) == "clean" and "all" in operands(k) for k in cmds
        )
        if cleaned or removes(cmds, cache) or mounted(run, cache):
            return None
        return (
            f"{tool} {_verb(c)} without {tool} clean all leaves the package metadata in "
            f"{cache} in this layer: end the same RUN with && {tool} clean all"
        )
    return None


@rule(
    id="DR313",
    name="package-cache-left",
    severity=Severity.INFO,
    reads=(Input.IMAGE,),
    tags=(Tag.PERFORMANCE,),
)
def package_cache_left(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `RUN` instructions of the final image (the final stage and the stages it is
    built `FROM`) that leave a package manager's cache in their layer:

    - `apt-get update` (or `apt update`) without `rm -rf /var/lib/apt/lists/*` (or
      `apt-get distclean`) in the same `RUN`;
    - `apk add`, `apk update` or `apk upgrade` without `--no-cache` (and no
      `rm -rf /var/cache/apk/*` in the same `RUN`);
    - `yum`, `dnf` or `microdnf` `install`/`update`/`upgrade` without `clean all`
      (or removing `/var/cache/yum`, `/var/cache/dnf`) in the same `RUN`.

    A `RUN --mount=type=cache` on the cache folder (`/var/lib/apt/lists` or a folder
    holding it, `/var/cache/apk`, `/etc/apk/cache`, `/var/cache/dnf`...) is not
    reported: the cache then never reaches the layer. Scripts are read through `&&`
    chains, `\\` continuations, `set -e;` prefixes, `sh -c '...'` and heredoc
    `RUN <<EOF` bodies. Build stages are not checked (their layers are not shipped),
    nor are development images under `.devcontainer/`. `npm`, `yarn` and `pip`
    caches are not checked.

    For apt the finding is on the `RUN` that runs `apt-get update`: that is the
    command that downloads the lists (the `.deb` archives `apt-get install`
    downloads are removed by the Debian and Ubuntu images' own `docker-clean`
    hook). When a `RUN` turns that hook off (removes
    `/etc/apt/apt.conf.d/docker-clean`, or sets `Keep-Downloaded-Packages`), a
    later `apt-get install` without `apt-get clean` or a cache mount on
    `/var/cache/apt` is reported too: the `.deb` files stay. A cleanup in a later `RUN` does not help: the files stay in the earlier
    layer. Once a layer keeps a manager's cache, later `RUN`s that use the same
    manager are not reported again (they reuse the files already there).

    ## Why is this bad?
    The package lists and indexes are tens of megabytes that the running service
    never reads. They are pulled on every node that starts the pod, stored in every
    registry tag, and scanned by every image scanner.

    ## Example
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends ca-certificates \\
     && rm -rf /var/lib/apt/lists/*
    ```
    or `apk add --no-cache ca-certificates` on Alpine, or a BuildKit cache mount:
    `RUN --mount=type=cache,target=/var/lib/apt/lists ...`.

    ## Fix safety
    Safe: a later `apt-get install` needs its own `apt-get update`, which it would
    need anyway to get current lists.

    ## References
    - [Docker: best practices, apt-get](https://docs.docker.com/build/building/best-practices/#apt-get)
    - [Alpine: apk --no-cache](https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper)
    - [Hadolint DL3009](https://github.com/hadolint/hadolint/wiki/DL3009), [DL3019](https://github.com/hadolint/hadolint/wiki/DL3019), [DL3032](https://github.com/hadolint/hadolint/wiki/DL3032)
    """
    for b in builds(ctx.index):
        df = b.dockerfile
        if is_devcontainer(df):
            continue
        left: set[str] = set()  # managers whose cache an earlier layer already holds
        debs_kept: int | None = None  # the line that turned docker-clean off
        for st in reversed(df.lineage(b.final)):
            for run in iter_runs(st.instructions):
                cmds = run_commands(run)
                if debs_kept is None and _keeps_debs(cmds):
                    debs_kept = run.span.line
                if debs_kept is not None and "debs" not in left:
                    msg = _debs_left(run, cmds, debs_kept)
                    if msg is not None:
                        left.add("debs")
                        yield Hit(run.span, msg)
                for manager, check in (("apt", _apt_left), ("apk", _apk_left), ("rpm", _rpm_left)):
                    msg = None if manager in left else check(run, cmds)
                    if msg is not None:
                        left.add(manager)
                        yield Hit(run.span, msg)
