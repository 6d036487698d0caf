"""Facts from CI configuration (GitHub workflows, ``.gitlab-ci.yml``): the jobs, the
commands their steps run, the actions they use and the caches they keep.

Made by ``parse/cifiles.py``; read by the chapter 5 rules (``rules/delivery``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockready.facts.docker import BuildRef
from dockready.model import Compact, Span


@dataclass(frozen=True, slots=True)
class CICommand(Compact):
    """One simple shell command of a step, as words (wrappers such as ``sudo`` and
    ``VAR=x`` prefixes left out; variables not expanded)."""

    words: tuple[str, ...]
    span: Span

    @property
    def program(self) -> str:
        return posixpath.basename(self.words[0]) if self.words else ""

    def sub(self, *names: str) -> bool:
        """Is the command ``<program> <names...>`` (``go build``, ``helm upgrade``)?"""
        return len(self.words) > len(names) and self.words[1 : 1 + len(names)] == names


@dataclass(frozen=True, slots=True)
class CIStep(Compact):
    """A GitHub step (``uses`` an action with ``inputs``, or ``run``s commands), or the
    scripts of a GitLab job (``before_script``, ``script``, ``after_script``) as one
    step. ``builds`` are the image builds it runs (``docker build``,
    ``docker/build-push-action``) with their Dockerfile and context when known;
    ``cache_from`` is true when they read a layer cache (``--cache-from``,
    ``cache-from:``)."""

    span: Span
    end_line: int
    uses: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    commands: tuple[CICommand, ...] = ()
    builds: tuple[BuildRef, ...] = ()
    cache_from: bool = False
    #: The folder its commands start in (root-relative), None when not known.
    cwd: str | None = "."

    def input(self, key: str) -> str | None:
        for k, v in self.inputs:
            if k == key:
                return v
        return None

    @property
    def action(self) -> str:
        """``actions/setup-go`` of ``actions/setup-go@v5``."""
        return self.uses.split("@", 1)[0]

    @property
    def ref(self) -> str:
        """``v5`` of ``actions/setup-go@v5`` ("" when not given)."""
        return self.uses.split("@", 1)[1] if "@" in self.uses else ""


@dataclass(frozen=True, slots=True)
class CIJob(Compact):
    """A job. ``fresh``: each run starts with nothing from earlier runs on disk (a
    GitHub-hosted runner: ``runs-on`` ``ubuntu-*``/``windows-*``/``macos-*``; a GitLab
    job that runs in a container ``image`` and asks for no runner ``tags`` beyond
    GitLab's ``saas-*`` ones), so only an explicit cache keeps Go's caches. ``opaque``:
    part of the job is defined where it cannot be read (a reusable workflow, an
    ``include``d GitLab file, an ``extends`` of an unknown template, ``inherit``).
    ``caches``: GitLab ``cache:`` paths in effect (the job's, else the default's);
    ``"?"`` stands for a cache whose paths are not known; () is no cache."""

    name: str
    span: Span
    steps: tuple[CIStep, ...] = ()
    fresh: bool = False
    opaque: bool = False
    caches: tuple[str, ...] = ()
    #: GitLab ``variables`` in effect (global and the job's); GitHub ``env``.
    variables: tuple[tuple[str, str], ...] = ()

    def variable(self, name: str) -> str | None:
        for k, v in self.variables:
            if k == name:
                return v
        return None

    @property
    def commands(self) -> tuple[CICommand, ...]:
        return tuple(c for s in self.steps for c in s.commands)


@dataclass(frozen=True, slots=True)
class CIFile(Compact):
    """One CI configuration file: ``system`` is ``github`` or ``gitlab``."""

    path: str
    system: str
    jobs: tuple[CIJob, ...] = ()
