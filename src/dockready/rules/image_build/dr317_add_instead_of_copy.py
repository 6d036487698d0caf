"""DR317 add-instead-of-copy: `ADD` of local files where `COPY` does the same."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.docker import Copy, Stage
from dockready.model import Severity
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

#: Local files ``ADD`` unpacks into the destination (Docker's documented formats).
_ARCHIVES = (
    *(".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz"),
    *(".tar.zst", ".tzst", ".gz", ".bz2", ".xz", ".zst"),
)
#: Flags only ``ADD`` has: using one is a reason to use ``ADD``.
_ADD_ONLY_FLAGS = ("checksum", "keep-git-dir", "unpack")


def _remote(src: str) -> bool:
    return "://" in src or src.startswith("git@")


def _plain_local(stage: Stage, add: Copy) -> bool:
    """An ``ADD`` that only copies local files: no URL, git source or archive, no
    ``ADD``-only flag, and no source we could not read (an unresolved variable)."""
    inst = next((i for i in stage.instructions if i.span == add.span), None)
    if inst is None or any(inst.flag(f) is not None for f in _ADD_ONLY_FLAGS):
        return False
    for src in add.sources:
        if not src or "$" in src or _remote(src):
            return False
        if posixpath.basename(src.rstrip("/")).lower().endswith(_ARCHIVES):
            return False
    return bool(add.sources)


@rule(
    id="DR317",
    name="add-instead-of-copy",
    severity=Severity.INFO,
    reads=(Input.IMAGE,),
)
def add_instead_of_copy(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Finds `ADD` instructions that copy local files or directories, where `COPY` does
    the same. An `ADD` of a URL or git repository, of a local archive meant to be
    unpacked (`.tar`, `.tar.gz`, `.tgz`...), with an `ADD`-only flag (`--checksum`,
    `--keep-git-dir`, `--unpack`) or with a source we cannot resolve (an unset
    variable) is not reported. Every Dockerfile is checked, whether or not it builds
    a service.

    ## Why is this bad?
    `ADD` does more than copy: it unpacks a local tar archive into the destination and
    downloads URLs. A build context file that happens to be an archive (a vendored
    tarball, test data) is silently unpacked instead of copied, and a reader cannot
    tell from the instruction which behaviour was meant. `COPY` says exactly what
    happens.

    ## Example
    ```dockerfile
    ADD . /src
    ADD configs/app.yaml /etc/app/
    ```

    ## Use instead
    ```dockerfile
    COPY . /src
    COPY configs/app.yaml /etc/app/
    ```
    Keep `ADD` where its features are meant: `ADD --checksum=sha256:... https://...`,
    or `ADD rootfs.tar.gz /`.

    ## Fix safety
    Safe for files and directories that are not archives: `COPY` copies them the same
    way, with the same `--chown`/`--chmod` flags.

    ## References
    - [Dockerfile reference: ADD](https://docs.docker.com/reference/dockerfile/#add)
    - [Docker: best practices, ADD or COPY](https://docs.docker.com/build/building/best-practices/#add-or-copy)
    - [Hadolint DL3020](https://github.com/hadolint/hadolint/wiki/DL3020)
    """
    for df in ctx.index.dockerfiles:
        for st in df.stages:
            for c in st.copies:
                if c.is_add and c.from_stage is None and _plain_local(st, c):
                    shown = " ".join(c.sources)
                    yield Hit(
                        c.span,
                        f"ADD {shown} copies local files: use COPY, which does not unpack "
                        "archives or fetch URLs behind your back",
                    )
