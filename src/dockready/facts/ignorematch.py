"""Docker's ``.dockerignore`` matching, as a pure function over parsed patterns.

The rules (Docker's documentation and moby's ``patternmatcher``):

* Patterns use Go's ``filepath.Match`` syntax: ``*`` matches any run of characters
  except ``/``, ``?`` one character except ``/``, ``[...]`` a character class (``^``
  negates it; ``!`` is an ordinary member), and ``\\`` makes the next character literal.
* ``**`` matches any number of directories, including none: ``**/*.go`` matches
  ``main.go`` and ``a/b/main.go``; a trailing ``**`` matches everything below
  (``vendor/**``); a leading ``**`` with nothing special after it is a suffix test
  (``**/foo`` matches ``foo`` and ``x/foo``, and ``**foo`` matches ``barfoo``).
* A pattern matches a path when it matches the path itself or any of its parent
  directories, so ``vendor`` excludes ``vendor/modules.txt``.
* The last pattern that matches decides: a ``!`` pattern re-includes.

Patterns are compiled once (cached) to regular expressions run by RE2
(``dockready.linear``): matching is linear in the path, whatever the pattern
(``*a*a*a…`` or stacked ``**`` would backtrack exponentially in ``re``). A pattern Go would
reject (an unterminated ``[``, a backwards range ``[z-a]``) matches nothing here;
Docker fails the build instead.
Unlike moby, which hands some characters straight to its regexp engine, ``\\d`` means
a literal ``d`` and ``^`` outside a class a literal ``^`` (Go ``filepath.Match``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from dockready import linear
from dockready.facts.docker import IgnorePattern

_Matcher = Callable[[str], object]  # truthy when the path matches
_UNCLEAN = re.compile(r"^[./]|//|/\.|/$|\\")


def matches(patterns: Sequence[IgnorePattern], relpath: str) -> bool:
    """Whether ``relpath`` (relative to the build context, ``/``-separated) is excluded."""
    path = _normalize(relpath)
    if path in (".", ""):
        return False
    excluded = False
    for pattern in patterns:
        if pattern.negated != excluded:
            continue  # cannot change the outcome
        if _compile(pattern.pattern)(path):
            excluded = not pattern.negated
    return excluded


def _normalize(relpath: str) -> str:
    """A context-relative path cleaned like Go's ``filepath.Clean``, without ``./``/``/``."""
    if relpath and _UNCLEAN.search(relpath) is None:
        return relpath  # already clean: the common case
    path = posixpath.normpath(relpath.replace("\\", "/")) if relpath else "."
    while path.startswith(("./", "/")):
        path = path[1:] if path.startswith("/") else path[2:]
    return path


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> _Matcher:
    """A predicate for one cleaned pattern (cached): does it match the path or one of
    its parent directories? A plain name is a string test; any other pattern is one
    RE2 match, ``(?:pattern)(?:/.*)?``, since a parent of ``a/b/c`` is a prefix of it
    that ends before a ``/``."""
    if not _has_special(pattern):
        below = pattern + "/"
        return lambda path: path == pattern or path.startswith(below)
    regex = translate(pattern)
    if regex is None:
        return _never
    try:
        return linear.compile(f"(?:{regex})(?s:/.*)?").fullmatch
    except linear.error:  # a class range that runs backwards ("[z-a]"): Docker rejects it
        return _never


def _never(path: str) -> object:
    return None


def translate(pattern: str) -> str | None:
    """The regular expression (for ``fullmatch``) of a cleaned pattern, or None if the
    pattern is malformed (an unterminated character class)."""
    if pattern.startswith("**") and not _has_special(pattern[2:].removeprefix("/")):
        return _suffix(pattern[2:])
    if pattern.endswith("**") and not _has_special(pattern[:-2]):
        return re.escape(pattern[:-2]) + "(?s:.*)"
    return _glob(pattern)


def _has_special(text: str) -> bool:
    return any(c in text for c in "*?[]\\")


def _suffix(suffix: str) -> str:
    """A leading ``**`` followed by plain text: moby's suffix test."""
    if not suffix:
        return "(?s:.*)"
    if suffix.startswith("/"):
        return f"(?s:.*){re.escape(suffix)}|{re.escape(suffix[1:])}"
    return f"(?s:.*){re.escape(suffix)}"


def _glob(pattern: str) -> str | None:
    """Translate a general pattern, piece by piece."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            i = _stars(pattern, i, out)
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            out.append(re.escape(pattern[i + 1]) if i + 1 < n else re.escape("\\"))
            i += 1
        elif ch == "[":
            end = _class(pattern, i + 1, out)
            if end < 0:
                return None
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _stars(pattern: str, i: int, out: list[str]) -> int:
    """Translate ``*`` or ``**`` (eating a ``/`` after ``**``); return the next index."""
    if not pattern.startswith("**", i):
        out.append("[^/]*")
        return i + 1
    i += 2
    if pattern.startswith("/", i):
        i += 1
    out.append(".*" if i >= len(pattern) else "(?:.*/)?")
    return i


def _class(pattern: str, i: int, out: list[str]) -> int:
    """Translate a ``[...]`` class whose body starts at ``i``; return the index of the
    closing ``]``, or -1 when there is none."""
    members: list[str] = []
    if i < len(pattern) and pattern[i] == "^":
        members.append("^")
        i += 1
    first = True
    while i < len(pattern):
        ch = pattern[i]
        if ch == "]" and not first:
            out.append("[" + "".join(members) + "]")
            return i
        first = False
        if ch == "\\":
            i += 1
            if i >= len(pattern):
                return -1
            ch = pattern[i]
        if ch == "-" and _is_range(members, pattern, i):
            members.append("-")
        else:
            members.append(re.escape(ch))
        i += 1
    return -1


def _is_range(members: list[str], pattern: str, i: int) -> bool:
    """Whether the ``-`` at ``pattern[i]`` joins two class members into a range."""
    has_low = bool(members) and members[-1] not in ("^", "-")
    return has_low and i + 1 < len(pattern) and pattern[i + 1] != "]"
