"""Parse a ``.dockerignore`` file into :class:`~dockready.facts.docker.DockerIgnore`.

The preprocessing follows Docker's reader: a UTF-8 BOM is dropped; a line whose first
character is ``#`` is a comment; surrounding whitespace is trimmed and blank lines are
skipped; a leading ``!`` marks an exception; the rest is cleaned like Go's
``filepath.Clean`` (so ``./vendor/`` is ``vendor``) and a leading ``/`` is dropped.
A bare ``!`` (which Docker rejects) is skipped. Matching lives in
:mod:`dockready.facts.ignorematch`.
"""

from __future__ import annotations

import posixpath

from dockready.facts.docker import DockerIgnore, IgnorePattern
from dockready.model import Span


def parse_dockerignore(path: str, text: str) -> DockerIgnore:
    """The patterns of the ``.dockerignore`` at ``path``, each with its line."""
    patterns: list[IgnorePattern] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        pattern = _pattern(raw)
        if pattern is not None:
            negated, body = pattern
            patterns.append(
                IgnorePattern(pattern=body, negated=negated, span=Span(path, number, 1))
            )
    return DockerIgnore(path=path, patterns=tuple(patterns))


def _pattern(raw: str) -> tuple[bool, str] | None:
    """``(negated, cleaned pattern)`` for one line, or None for a comment or blank."""
    if raw.startswith("#"):
        return None
    text = raw.strip()
    if not text:
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:].strip()
        if not text:
            return None
    text = clean(text)
    if len(text) > 1 and text.startswith("/"):
        text = text[1:]
    return negated, text


def clean(path: str) -> str:
    """Go's ``filepath.Clean`` on a slash-separated path."""
    cleaned = posixpath.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned
