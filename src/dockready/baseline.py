"""Baselines: accept today's findings of a legacy fleet, report only new ones.

A baseline is a JSON file of finding *fingerprints* (:mod:`dockready.fingerprint`:
rule id, path and message with the numbers taken out, never the line), so it survives
line moves and unrelated edits. It is a multiset: a fingerprint seen twice is stored
once with ``"count": 2``, and a third identical finding is new. The format, one
finding per line so that diffs in review stay readable::

    {
      "tool": "dockready",
      "baseline_version": 1,
      "findings": [
        {"fingerprint": "3f2a…", "id": "DR101", "path": "cmd/api/main.go", "count": 1, "message": "…"},
        …
      ]
    }

Only ``fingerprint`` and ``count`` (default 1) are read back; ``id``, ``path`` and
``message`` are for people. Entries are sorted by path, id, message and fingerprint.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dockready.fingerprint import fingerprint
from dockready.limits import MAX_BASELINE_BYTES, read_capped
from dockready.model import Finding

TOOL = "dockready"
VERSION = 1


class BaselineError(Exception):
    """A baseline cannot be read or written (the CLI exits with 2)."""


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    rule_id: str
    path: str
    message: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Baseline:
    """A loaded baseline: ``counts`` maps a fingerprint to how many findings it accepts."""

    entries: tuple[Entry, ...] = ()

    @property
    def counts(self) -> Mapping[str, int]:
        c: Counter[str] = Counter()
        for e in self.entries:
            c[e.fingerprint] += e.count
        return MappingProxyType(dict(c))

    @property
    def total(self) -> int:
        """How many findings the baseline accepts."""
        return sum(e.count for e in self.entries)


def entries(findings: Sequence[Finding]) -> tuple[Entry, ...]:
    """The baseline entries for ``findings`` (one per fingerprint, counted, sorted)."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(fingerprint(f), []).append(f)
    out = []
    for fp, fs in groups.items():
        first = min(fs, key=lambda f: (f.span.line, f.span.col, f.message))
        out.append(Entry(fp, first.rule_id, first.span.path, first.message, len(fs)))
    return tuple(sorted(out, key=lambda e: (e.path, e.rule_id, e.message, e.fingerprint)))


def dumps(findings: Sequence[Finding]) -> str:
    """The baseline file's text for ``findings``."""
    rows = [
        json.dumps(
            {
                "fingerprint": e.fingerprint,
                "id": e.rule_id,
                "path": e.path,
                "count": e.count,
                "message": e.message,
            },
            ensure_ascii=False,
        )
        for e in entries(findings)
    ]
    body = ",\n".join(f"    {r}" for r in rows)
    return (
        "{\n"
        f'  "tool": "{TOOL}",\n'
        f'  "baseline_version": {VERSION},\n'
        + ('  "findings": [\n' + body + "\n  ]\n" if rows else '  "findings": []\n')
        + "}\n"
    )


def write(path: Path, findings: Sequence[Finding]) -> None:
    """Write the baseline of ``findings`` to ``path`` (atomically: a temporary file in
    the same directory, then a rename). Raises :class:`BaselineError`."""
    text = dumps(findings)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise BaselineError(f"cannot write baseline {path}: {e.strerror or e}") from None


def load(path: Path) -> Baseline:
    """Read a baseline. Raises :class:`BaselineError` with a message that names the
    file and what is wrong (missing, unreadable, not JSON, not a dockready baseline,
    an unsupported version, a malformed entry)."""
    try:
        raw = read_capped(path, MAX_BASELINE_BYTES)
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist") from None
    except IsADirectoryError:
        raise BaselineError(f"baseline {path} is a directory, not a file") from None
    except OSError as e:
        raise BaselineError(f"cannot read baseline {path}: {e.strerror or e}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BaselineError(f"baseline {path} is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise BaselineError(
            f"baseline {path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    except RecursionError:
        raise BaselineError(f"baseline {path} is not valid JSON (nested too deeply)") from None
    return parse(data, str(path))


def parse(data: Any, where: str = "baseline") -> Baseline:
    """A baseline from decoded JSON (see :func:`load`)."""
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise BaselineError(f'{where} is not a dockready baseline (no "tool": "{TOOL}")')
    version = data.get("baseline_version")
    if type(version) is not int:
        raise BaselineError(f"{where} has no integer baseline_version")
    if version != VERSION:
        newer = " (written by a newer dockready?)" if version > VERSION else ""
        raise BaselineError(
            f"{where} has baseline_version {version}{newer}; this dockready reads version "
            f"{VERSION}: write the baseline again"
        )
    items = data.get("findings")
    if not isinstance(items, list):
        raise BaselineError(f'{where}: "findings" must be a list')
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise BaselineError(f"{where}: finding #{n} is not an object")
        fp = item.get("fingerprint")
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f'{where}: finding #{n} has no "fingerprint" string')
        count = item.get("count", 1)
        if type(count) is not int or count < 1:
            raise BaselineError(f'{where}: finding #{n} has a bad "count" ({count!r})')
        out.append(
            Entry(
                fp,
                str(item.get("id", "")),
                str(item.get("path", "")),
                str(item.get("message", "")),
                count,
            )
        )
    return Baseline(tuple(out))


def new_only(findings: Sequence[Finding], baseline: Baseline) -> tuple[list[Finding], int]:
    """The findings the baseline does not account for, in input order, and how many
    it matched. Multiset semantics: a fingerprint with count n absorbs the first n
    findings (in input order) that have it; later ones are new."""
    left = dict(baseline.counts)
    new: list[Finding] = []
    matched = 0
    for f in findings:
        fp = fingerprint(f)
        if left.get(fp, 0) > 0:
            left[fp] -= 1
            matched += 1
        else:
            new.append(f)
    return new, matched
