"""What the image-build rules (chapter 3) share: the builds to check, how a final base
and a ``FROM`` are shown, development images, shells and whole-context copies."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockready.facts.docker import Dockerfile, Instruction, Stage
from dockready.facts.effective import build_of
from dockready.facts.index import Build, ProjectIndex


def builds(ix: ProjectIndex) -> Iterator[Build]:
    """Every Dockerfile with stages, as a Build (joined to its service when it is)."""
    for df in ix.dockerfiles:
        b = build_of(ix, df)
        if b is not None:
            yield b


def final_base(build: Build) -> str:
    """The external image at the root of the final stage's lineage (``scratch`` included)."""
    return build.dockerfile.external_base(build.final)


def from_text(st: Stage) -> str:
    """``alpine:latest``, or ``${BASE} (alpine:latest)`` when an ARG was substituted."""
    if st.base != st.base_resolved:
        return f"{st.base} ({st.base_resolved})"
    return st.base


def is_devcontainer(df: Dockerfile) -> bool:
    """Is the Dockerfile a development image (under ``.devcontainer/``)?"""
    return ".devcontainer/" in f"/{df.path}"


#: The shells a CMD, ENTRYPOINT or HEALTHCHECK may run (by basename).
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


def shell_wrapper(inst: Instruction) -> tuple[str, str] | None:
    """``["sh", "-c", "script"]`` (exec form running a shell) -> ``(shell, script)``."""
    v = inst.value
    if not inst.json or len(v) < 3 or posixpath.basename(v[0]) not in SHELLS:
        return None
    flag = v[1]
    if flag.startswith("-") and not flag.startswith("--") and "c" in flag:
        return v[0], v[2]
    return None


#: ``COPY`` sources that mean the whole build context (``COPY . .``).
WHOLE_CONTEXT = frozenset({".", "./", "*", "./*", "/", "./."})
