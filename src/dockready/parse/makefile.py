"""Makefiles, read as far as a Dockerfile's ``RUN make <target>`` needs: which
commands a target runs (its prerequisites' first), with plain variables expanded.

Not a make implementation: pattern rules, functions (``$(shell ...)``), conditionals
and includes are not evaluated. A recipe that uses what is not understood keeps the
reference as it is, and the ``go build`` read from it says less (an unknown target,
an unknown output), never something false.
"""

from __future__ import annotations

import re

from dockready import linear
from dockready.facts.docker import Makefile, MakeTarget

# Linear-time patterns (RE2): a Makefile is repository content.
_ASSIGN = linear.compile(
    r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:::=|:=|\?=|=)\s*(.*)$"
)
# ``targets: prerequisites ; recipe # comment``; not ``x := y`` (``:`` then ``=``).
_RULE = linear.compile(r"^([^\s:=#][^:=#]*?)\s*::?((?:[^=].*)?)$")
_REF = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")
_DIRECTIVES = (
    "include",
    "-include",
    "sinclude",
    "ifeq",
    "ifneq",
    "ifdef",
    "ifndef",
    "else",
    "endif",
    "define",
    "endef",
    "vpath",
    "unexport",
)


def parse_makefile(path: str, text: str) -> Makefile:
    """The rules and plain variables of a Makefile; never raises."""
    lines = _logical_lines(text)
    targets: list[MakeTarget] = []
    variables: dict[str, str] = {}
    current: list[tuple[str, int, tuple[str, ...], list[str]]] = []
    for number, line in lines:
        if line.startswith("\t"):
            if current:
                body = line.strip().lstrip("@-+").strip()
                if body and not body.startswith("#"):
                    for entry in current:
                        entry[3].append(body)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        targets.extend(MakeTarget(n, ln, deps, tuple(r)) for n, ln, deps, r in current)
        current = []
        if stripped.split(None, 1)[0] in _DIRECTIVES:
            continue
        m = _ASSIGN.match(stripped)
        if m is not None:
            variables.setdefault(m.group(1), m.group(2).strip())
            continue
        r = _RULE.match(stripped)
        if r is not None and (deps_text := _prerequisites(r.group(2))) is not None:
            deps = tuple(deps_text.split())
            for name in r.group(1).split():
                if "%" not in name:
                    current.append((name, number, deps, []))
    targets.extend(MakeTarget(n, ln, deps, tuple(r)) for n, ln, deps, r in current)
    return Makefile(path, tuple(targets), tuple(variables.items()))


def _prerequisites(rest: str) -> str | None:
    """The prerequisites after a rule's colon: up to a ``;`` recipe or a ``#``
    comment; None for a target-specific variable (``a: X = 1``)."""
    cuts = [i for i in (rest.find(";"), rest.find("#")) if i >= 0]
    pre = rest[: min(cuts)] if cuts else rest
    return None if "=" in pre else pre


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = n
            buf = raw
        else:
            buf += " " + raw.strip()
        if buf.endswith("\\"):
            buf = buf[:-1].rstrip()
            continue
        out.append((start, buf))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def recipe(mf: Makefile, goal: str | None, env: dict[str, str], depth: int = 0) -> list[str]:
    """The shell lines ``make goal`` runs (prerequisites first), variables expanded from
    the command line/environment (``env``) and the Makefile."""
    t = mf.default if goal is None else mf.target(goal)
    if t is None or depth > 4:
        return []
    out: list[str] = []
    for dep in t.prerequisites:
        if mf.target(dep) is not None:
            out.extend(recipe(mf, dep, env, depth + 1))
    values = {**dict(mf.variables), **env}
    out.extend(opaque(_expand(line, values)) for line in t.recipe)
    return out


UNKNOWN = "__make__"


def opaque(text: str) -> str:
    """Make references left after expansion (``$(shell ...)``, ``$(if ...)``, unknown
    variables) become one inert word, so the shell reading of the line is not thrown
    off by their parentheses and quotes."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$(", i) or text.startswith("${", i):
            close = ")" if text[i + 1] == "(" else "}"
            depth, j = 0, i + 1
            while j < len(text):
                if text[j] in "({":
                    depth += 1
                elif text[j] in ")}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(text) or text[j] != close:
                return text  # unbalanced: leave the line as it is
            out.append(UNKNOWN)
            i = j + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _expand(text: str, values: dict[str, str], depth: int = 0) -> str:
    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        if v is None or depth > 4:
            return m.group(0)
        return _expand(v, values, depth + 1)

    return _REF.sub(sub, text).replace("$$", "$")


def expand_line(line: str, variables: dict[str, str]) -> str:
    """A recipe line with the Makefile's plain ``variables`` expanded and what is left
    of make syntax made one inert word (``UNKNOWN``)."""
    return opaque(_expand(line, variables))
