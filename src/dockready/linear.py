"""Regular expressions that run over repository content, in linear time.

Python's ``re`` backtracks: a pattern such as ``key[a-z_]*(?:[a-z_.]*)?=`` is cubic on
``"keykeykey…"`` and a glob like ``*a*a*a…c`` is exponential. A pattern that runs
over what a repository holds (source text, YAML values, paths, globs a user wrote)
and could backtrack is compiled here instead, with RE2 (``google-re2``), whose
matching time is linear in the input whatever the pattern. (An unambiguous pattern
such as ``"[^"\n]*"`` may stay on ``re``, whose ``findall`` runs in C; the hostile
inputs of ``tests/hostile.py`` and ``tests/test_properties.py`` keep both honest.)
Use ``finditer`` rather than ``sub`` with a replacement string: RE2's wrapper
encodes a non-ASCII replacement wrongly.

RE2 has no backreferences and no lookaround; :func:`compile` refuses such a pattern
(``re2.error``), so a new one cannot slip back into backtracking. The match objects
offer what the callers use of ``re``'s: ``group``, ``groups``, ``start``, ``end``,
``span``. Two differences from ``re`` matter and are handled by the patterns
themselves: ``\\w``, ``\\s``, ``\\d`` and ``\\b`` are ASCII, and ``$`` (without
``(?m)``) matches only at the very end, never before a final newline.
"""

from __future__ import annotations

from typing import Any, AnyStr, Protocol

import re2

error = re2.error


class Match(Protocol):
    def group(self, *groups: int | str) -> Any: ...
    def groups(self, default: Any = None) -> tuple[Any, ...]: ...
    def start(self, group: int | str = 0) -> int: ...
    def end(self, group: int | str = 0) -> int: ...
    def span(self, group: int | str = 0) -> tuple[int, int]: ...


class Pattern(Protocol[AnyStr]):
    pattern: AnyStr

    def search(self, text: AnyStr, pos: int = ..., endpos: int = ...) -> Match | None: ...
    def match(self, text: AnyStr, pos: int = ..., endpos: int = ...) -> Match | None: ...
    def fullmatch(self, text: AnyStr, pos: int = ..., endpos: int = ...) -> Match | None: ...
    def finditer(self, text: AnyStr, pos: int = ..., endpos: int = ...) -> Any: ...
    def findall(self, text: AnyStr, pos: int = ..., endpos: int = ...) -> list[Any]: ...
    def sub(self, repl: Any, text: AnyStr, count: int = ...) -> AnyStr: ...


_OPTIONS = re2.Options()
_OPTIONS.max_mem = 64 << 20  # a huge alternation fails to compile instead of eating memory
_OPTIONS.log_errors = False  # a bad pattern is an exception, not a line on stderr


def compile(pattern: AnyStr) -> Pattern[AnyStr]:
    """A linear-time pattern. Flags go inline (``(?i)``, ``(?s)``, ``(?m)``)."""
    compiled: Pattern[AnyStr] = _Linear(re2.compile(pattern, _OPTIONS))
    return compiled


def _valid(text: Any) -> Any:
    """``text`` as RE2 can take it: a file name read with surrogate escapes (a byte
    that is not UTF-8) has each lone surrogate replaced by U+FFFD, one code point for
    one, so every offset stays the same."""
    if isinstance(text, str):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


class _Linear:
    """An RE2 pattern that also takes strings holding lone surrogates."""

    __slots__ = ("_rx", "pattern")

    def __init__(self, rx: Any) -> None:
        self._rx = rx
        self.pattern = rx.pattern

    def search(self, text: Any, *args: int) -> Any:
        try:
            return self._rx.search(text, *args)
        except UnicodeEncodeError:
            return self._rx.search(_valid(text), *args)

    def match(self, text: Any, *args: int) -> Any:
        try:
            return self._rx.match(text, *args)
        except UnicodeEncodeError:
            return self._rx.match(_valid(text), *args)

    def fullmatch(self, text: Any, *args: int) -> Any:
        try:
            return self._rx.fullmatch(text, *args)
        except UnicodeEncodeError:
            return self._rx.fullmatch(_valid(text), *args)

    def finditer(self, text: Any, *args: int) -> Any:
        return self._rx.finditer(_valid(text), *args)

    def findall(self, text: Any, *args: int) -> Any:
        return self._rx.findall(_valid(text), *args)

    def sub(self, repl: Any, text: Any, count: int = 0) -> Any:
        return self._rx.sub(repl, _valid(text), count)
