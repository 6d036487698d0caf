"""Validation primitives for configuration: each ``Check`` validates one TOML value
and converts it, raising ``ConfigError`` with the value's dotted key path and what was
expected. The config file's schema (config.py) and every rule's options class
(``dockready.rules.registry``) are built from these."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn


class ConfigError(Exception):
    """A bad configuration file or selection flag: exit code 2."""


def show_value(value: object) -> str:
    """A TOML value as the user wrote it, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    name = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)
    return f"{where}.{name}" if where else name


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest candidate (the first in order on a tie),
    or nothing when none is close."""
    best, score = "", 0.599  # difflib's default cutoff is 0.6, inclusive
    for c in sorted(candidates):
        ratio = difflib.SequenceMatcher(None, word, c).ratio()
        if ratio > score:
            best, score = c, ratio
    return f" (did you mean {best}?)" if best else ""


class Check:
    """Validates one TOML value and converts it; ``where`` is its dotted key path."""

    expected = "a value"
    plural = "values"

    def __call__(self, value: object, where: str) -> Any:
        raise NotImplementedError

    def fail(self, value: object, where: str) -> NoReturn:
        raise ConfigError(f"{where}: expected {self.expected}, got {show_value(value)}")


class Boolean(Check):
    expected, plural = "true or false", "booleans"

    def __call__(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(value, where)
        return value


class Number(Check):
    expected, plural = "a number", "numbers"

    def __init__(self, minimum: float) -> None:
        self.minimum = minimum

    def __call__(self, value: object, where: str) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(value, where)
        if not math.isfinite(value) or value < self.minimum:
            raise ConfigError(
                f"{where}: expected a number >= {self.minimum:g}, got {show_value(value)}"
            )
        return value


class OneOf(Check):
    def __init__(self, *options: str) -> None:
        self.options = options
        shown = [json.dumps(o) for o in options]
        self.expected = f"one of {', '.join(shown[:-1])} or {shown[-1]}"

    def __call__(self, value: object, where: str) -> str:
        if not isinstance(value, str) or value not in self.options:
            self.fail(value, where)
        return value


class Text(Check):
    """A string matching ``pattern``."""

    def __init__(self, pattern: str, expected: str, plural: str) -> None:
        self.pattern = re.compile(pattern)
        self.expected, self.plural = expected, plural

    def __call__(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            self.fail(value, where)
        return value


class ArrayOf(Check):
    def __init__(self, item: Check, nonempty: bool = False) -> None:
        self.item, self.nonempty = item, nonempty
        self.expected = f"{'a non-empty' if nonempty else 'an'} array of {item.plural}"
        self.plural = f"arrays of {item.plural}"

    def __call__(self, value: object, where: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or (self.nonempty and not value):
            self.fail(value, where)
        return tuple(self.item(v, _at(where, i)) for i, v in enumerate(value))


REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a table: how it is checked, its default (``REQUIRED``: none), and
    what it means (for the schema's readers)."""

    check: Check
    default: Any
    doc: str = ""


class Table(Check):
    """A table with a fixed set of keys; returns a dict with every default filled in."""

    expected, plural = "a table", "tables"

    def __init__(self, keys: Mapping[str, Key], owner: str = "") -> None:
        self.keys, self.owner = keys, owner

    def __call__(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(value, where)
        for k in value:
            if k not in self.keys:
                known = ", ".join(self.keys) or "none"
                takes = f"{self.owner} takes" if self.owner else "known keys"
                raise ConfigError(
                    f"{_at(where, k)}: unknown key{did_you_mean(k, self.keys)}; {takes}: {known}"
                )
        out = {}
        for k, spec in self.keys.items():
            if k in value:
                out[k] = spec.check(value[k], _at(where, k))
            elif spec.default is REQUIRED:
                raise ConfigError(f"{where or 'the top level'}: missing key {show_value(k)}")
            else:
                out[k] = spec.default
        return out


class TableOf(Check):
    """A table whose keys are names (checked by ``key``) and whose values are checked
    by ``value`` (or by ``value(key)``, when what a value may hold depends on its key)."""

    def __init__(
        self, key: Check | None, value: Check | Callable[[str, str], Check], expected: str
    ) -> None:
        self.key, self.value, self.expected = key, value, expected

    def __call__(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(value, where)
        out = {}
        for k, v in value.items():
            at = _at(where, k)
            if self.key is not None:
                self.key(k, at)
            check = self.value if isinstance(self.value, Check) else self.value(k, at)
            out[k] = check(v, at)
        return out
