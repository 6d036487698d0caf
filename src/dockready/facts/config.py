"""Configuration files a service may read at run time (``conf/app.ini``,
``configs/config.yaml``, ``etc/api.yaml``...), flattened into keys with lines.

They feed value resolution: a listen address written ``cfg.Server.Port`` or
``viper.GetString("server.port")`` is the value the file gives that key
(``facts/derived/config.py`` does the matching)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dockready.facts.go import FlagRef, GoFile
from dockready.model import Compact, Span


@dataclass(frozen=True, slots=True)
class ConfigEntry(Compact):
    """One scalar setting: ``key`` is its path from the top (``("server", "http",
    "addr")``; an ini section is the first part), ``value`` as written, unquoted;
    ``span`` points at the value."""

    key: tuple[str, ...]
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConfigFile(Compact):
    """A configuration file: its ``format`` is ``yaml``, ``json``, ``toml`` or ``ini``."""

    path: str
    format: str
    entries: tuple[ConfigEntry, ...] = ()


def named_literals(files: Iterable[GoFile]) -> set[str]:
    """String literals the code passes to calls or gives as flag defaults."""
    out: set[str] = set()
    for g in files:
        for c in g.calls:
            for a in c.args:
                lit = a.literal
                if lit:
                    out.add(lit)
                for p in a.parts:
                    if isinstance(p, FlagRef) and p.default:
                        out.add(p.default)
                    elif isinstance(p, str) and p:
                        out.add(p)
    return {n for n in out if 0 < len(n) < 200 and n.strip("./") and "\n" not in n}


def configs_read(
    configs: Sequence[ConfigFile], root: str, main_dir: str, files: Iterable[GoFile]
) -> tuple[ConfigFile, ...]:
    """The configuration files a service whose module is at ``root`` and main package
    at ``main_dir`` reads: those under ``root`` that its code names (a string literal
    in a call or a flag default that is the file, its name without extension, or a
    directory holding it, relative to the module root or to the main package). A
    file nothing names is not read."""
    under = [c for c in configs if root in (".", "") or c.path.startswith(root + "/")]
    if not under:
        return ()
    paths: set[str] = set()
    names: set[str] = set()
    for lit in named_literals(files):
        if "/" not in lit.strip("/"):
            names.add(lit)
        if lit.startswith("/"):
            continue
        for base in (root, main_dir):
            p = posixpath.normpath(posixpath.join(base, lit))
            if p not in (".", root, main_dir) and not p.startswith("../"):
                paths.add(p)
    read = [
        c
        for c in under
        if c.path in paths
        or any(c.path.startswith(p + "/") for p in paths)
        or c.path.rsplit("/", 1)[-1].rsplit(".", 1)[0] in names
    ]
    return tuple(read)
