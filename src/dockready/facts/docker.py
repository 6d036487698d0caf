"""Facts from Dockerfiles (parsed with the ``dockerfile`` package, BuildKit's own parser)
and from .dockerignore files."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dockready.model import Compact, Span

#: The shells a container runs scripts with (``CMD``/``RUN``/hook ``sh -c ...``), by basename.
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
#: Script interpreters, by basename with any version (``python3.12``, ``ruby3.3``).
_INTERPRETER = re.compile(r"(?:python|pypy|ruby|perl|php)[0-9.]*")
#: JavaScript runtimes: names a Go binary may have too (a blockchain ``node``), so
#: only with a script after them.
_JS_RUNTIMES = frozenset({"node", "nodejs", "deno", "bun"})
SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl")


def script_command(command: Sequence[str]) -> bool:
    """Does a container ``command`` run a script, not a Go binary: a shell or an
    interpreter first (``sh -c``, ``python3 job.py``, ``node job.js``), or a script
    file (``/backup.sh``)?"""
    if not command:
        return False
    head = posixpath.basename(command[0])
    if head in SHELLS or head.endswith(SCRIPT_SUFFIXES) or _INTERPRETER.fullmatch(head):
        return True
    return head in _JS_RUNTIMES and len(command) > 1 and command[1].endswith(SCRIPT_SUFFIXES)


def lookup(pairs: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The value of ``name`` in ``(name, value)`` pairs (an environment), or None."""
    for k, v in pairs:
        if k == name:
            return v
    return None


@dataclass(frozen=True, slots=True)
class Instruction(Compact):
    """One instruction. ``cmd`` is upper-case; ``value`` are the parser's arguments
    (for exec form, the JSON array items); ``json`` is true for exec form."""

    cmd: str
    value: tuple[str, ...]
    flags: tuple[str, ...]
    original: str
    span: Span
    json: bool = False
    heredocs: tuple[str, ...] = ()

    def flag(self, name: str) -> str | None:
        """Value of ``--name=value`` (or "" for a bare ``--name``), else None."""
        for f in self.flags:
            key, sep, val = f.partition("=")
            if key == f"--{name}":
                return val if sep else ""
        return None


@dataclass(frozen=True, slots=True)
class GoBuild(Compact):
    """A ``go build``/``go install`` invocation found in a RUN command.

    ``env`` is what the command sees: stage ``ENV``/``ARG`` defaults overlaid by an
    inline ``VAR=x go build`` prefix or an ``export``. ``cgo`` is the effective
    ``CGO_ENABLED`` ("0", "1", or None when unset). ``targets`` are the package
    arguments (``./cmd/app``, ``.``); ``output`` is ``-o``.
    """

    span: Span
    command: str
    env: tuple[tuple[str, str], ...] = ()
    targets: tuple[str, ...] = ()
    output: str | None = None
    mod: str | None = None
    tags: str | None = None
    ldflags: str | None = None
    trimpath: bool = False
    buildmode: str | None = None
    buildvcs: str | None = None
    workdir: str = "/"
    install: bool = False

    def getenv(self, name: str) -> str | None:
        return lookup(self.env, name)

    @property
    def cgo(self) -> str | None:
        return self.getenv("CGO_ENABLED")


@dataclass(frozen=True, slots=True)
class Copy(Compact):
    """``COPY``/``ADD``: ``from_stage`` is the ``--from`` value (a stage name, index or
    image), sources are as written, ``dest`` is resolved against WORKDIR."""

    span: Span
    sources: tuple[str, ...]
    dest: str
    from_stage: str | None = None
    chown: str | None = None
    chmod: str | None = None
    is_add: bool = False


@dataclass(frozen=True, slots=True)
class Expose(Compact):
    span: Span
    text: str
    port: int | None
    protocol: str = "tcp"


@dataclass(frozen=True, slots=True)
class GoCommand(Compact):
    """A ``go get``, ``go mod init`` or ``go mod tidy`` in a RUN: a command that
    decides dependency versions at build time. ``args`` follow ``go`` (``("get",
    "-u", "x")``); ``gopath`` is true when the command runs with ``GO111MODULE=off``.
    ``span`` is the RUN instruction's."""

    span: Span
    args: tuple[str, ...]
    gopath: bool = False


@dataclass(frozen=True, slots=True)
class MakeCall(Compact):
    """A ``make`` in a RUN: its targets (none: the default goal), the directory it runs
    in (``-C`` resolved against the WORKDIR), and the environment it sees. ``span``
    is the RUN instruction's."""

    span: Span
    targets: tuple[str, ...]
    workdir: str
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MakeTarget(Compact):
    """One rule of a Makefile: its prerequisites and recipe lines (continuations
    joined, ``@``/``-``/``+`` prefixes dropped)."""

    name: str
    line: int
    prerequisites: tuple[str, ...] = ()
    recipe: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Makefile(Compact):
    """A Makefile's rules and its plain variable assignments (``NAME = value``,
    ``:=``, ``?=``); ``default`` is the first rule (make's default goal)."""

    path: str
    targets: tuple[MakeTarget, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()

    @property
    def dir(self) -> str:
        return posixpath.dirname(self.path) or "."

    def target(self, name: str) -> MakeTarget | None:
        for t in self.targets:
            if t.name == name:
                return t
        return None

    @property
    def default(self) -> MakeTarget | None:
        return next((t for t in self.targets if not t.name.startswith(".")), None)


@dataclass(frozen=True, slots=True)
class BuildRef(Compact):
    """A ``docker build`` that a file other than the Dockerfile states: a compose
    ``build:``, a skaffold artifact, a CI workflow step, a Makefile recipe or a shell
    script. ``dockerfile`` and ``context`` are POSIX paths relative to the checked
    root, or None where the source leaves them unknown (a variable, an expression,
    a folder the command may run in but that is not known): never guessed. ``args``
    are the ``--build-arg`` pairs as written (value None: taken from the environment
    or unknown). ``span`` is where the command is stated."""

    dockerfile: str | None
    context: str | None
    args: tuple[tuple[str, str | None], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class BuildRefs(Compact):
    """The ``docker build`` commands one file states. Each entry holds the readings of
    one command: one when the folder it runs in is known, one per possible folder
    otherwise (a script run from the repository top or from its own folder); the
    reading whose Dockerfile exists is taken (``parse.buildrefs.resolve``)."""

    path: str
    commands: tuple[tuple[BuildRef, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Stage(Compact):
    """One build stage. ``base`` is the ``FROM`` image as written, ``base_resolved``
    after substituting global ``ARG`` defaults; ``parent`` is the index of an earlier
    stage when ``FROM`` names one. ``env`` is the final ``ENV`` map of this stage
    (inherited stage envs included), ``user`` the last ``USER`` (None if never set in
    this stage or a parent stage)."""

    index: int
    name: str | None
    base: str
    base_resolved: str
    span: Span
    platform: str | None = None
    parent: int | None = None
    instructions: tuple[Instruction, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    env_spans: tuple[tuple[str, Span], ...] = ()
    args: tuple[tuple[str, str | None], ...] = ()
    user: str | None = None
    user_span: Span | None = None
    workdir: str = "/"
    copies: tuple[Copy, ...] = ()
    go_builds: tuple[GoBuild, ...] = ()
    mod_downloads: tuple[Span, ...] = ()
    go_commands: tuple[GoCommand, ...] = ()
    make_calls: tuple[MakeCall, ...] = ()
    exposes: tuple[Expose, ...] = ()
    cmd: Instruction | None = None
    entrypoint: Instruction | None = None
    healthcheck: Instruction | None = None

    def getenv(self, name: str) -> str | None:
        return lookup(self.env, name)

    @property
    def label(self) -> str:
        return self.name or str(self.index)


@dataclass(frozen=True, slots=True)
class Dockerfile(Compact):
    path: str
    stages: tuple[Stage, ...] = ()
    global_args: tuple[tuple[str, str | None], ...] = ()
    #: Every instruction's lines as the parser read them: ``(first, last, heredoc)``,
    #: continuation lines and heredoc bodies included (inline suppressions use them).
    extents: tuple[tuple[int, int, bool], ...] = ()
    error: Span | None = None
    error_message: str = ""
    #: Lines of instructions where a variable's value grew past
    #: ``parse.dockerfile.MAX_EXPANDED``: the word is taken as written (unknown).
    too_large: tuple[int, ...] = ()

    @property
    def dir(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else "."

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage(self, ref: str | None) -> Stage | None:
        """The stage a ``--from``/``FROM`` reference names (name or index), if any."""
        if ref is None:
            return None
        for s in self.stages:
            if s.name is not None and s.name.lower() == ref.lower():
                return s
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def lineage(self, stage: Stage) -> tuple[Stage, ...]:
        """The stage and the stages it is built ``FROM``, nearest first."""
        out = [stage]
        seen = {stage.index}
        cur = stage
        while cur.parent is not None and cur.parent not in seen:
            cur = self.stages[cur.parent]
            seen.add(cur.index)
            out.append(cur)
        return tuple(out)

    def copies_before(self, stage: Stage, line: int) -> tuple[Copy, ...]:
        """The ``COPY``/``ADD`` instructions of the stage's lineage above ``line``,
        oldest first (what the builder holds when that line runs)."""
        return tuple(
            c for st in reversed(self.lineage(stage)) for c in st.copies if c.span.line < line
        )

    def external_base(self, stage: Stage) -> str:
        """The external image at the root of the stage's lineage (``scratch`` included)."""
        return self.lineage(stage)[-1].base_resolved


@dataclass(frozen=True, slots=True)
class IgnorePattern(Compact):
    pattern: str
    negated: bool
    span: Span


@dataclass(frozen=True, slots=True)
class DockerIgnore(Compact):
    """A .dockerignore; ``excludes(path)`` applies Docker's rules (last match wins)."""

    path: str
    patterns: tuple[IgnorePattern, ...] = ()

    @property
    def dir(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else "."

    def excludes(self, relpath: str) -> bool:
        from dockready.facts.ignorematch import matches

        return matches(self.patterns, relpath)
