"""Configuration files a Go service reads at run time → :class:`ConfigFile` facts.

Which files: YAML, JSON, TOML and ini files that look like a program's
configuration by where they are (``conf/``, ``config/``, ``configs/``, ``etc/``...)
or by name (``config.yaml``, ``app.ini``, ``settings.toml``...), and that are not
some tool's own file (compose, Kubernetes, CI, linters). YAML and JSON come from the
YAML parse that already read the file (``parse/yamlfiles.py``); TOML and ini are read
here, line by line, so that each value keeps its line. TOML values are decoded by
``tomllib``; anything this reader does not follow (multi-line arrays and strings,
inline tables) is skipped, never guessed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode

from dockready import linear
from dockready.facts.config import ConfigEntry, ConfigFile
from dockready.model import Span

#: Directories whose files are a program's configuration.
CONFIG_DIRS = frozenset(
    {"conf", "config", "configs", "configuration", "etc", "cfg", "settings", "setting"}
)
#: File stems that are a program's configuration wherever they are.
_CONFIG_STEM = re.compile(
    r"(?:conf|config|configs|configuration|app|application|settings?|server)(?:[._-][\w.-]+)?",
    re.IGNORECASE,
)
#: Names that belong to a tool, never to the program.
_TOOL_NAME = re.compile(
    r"(?:docker-)?compose[\w.-]*|skaffold|kustomization|chart|values[\w.-]*|\.?golangci[\w.-]*"
    r"|\.?goreleaser[\w.-]*|buf(?:\.gen|\.work)?|codecov|mkdocs|renovate|package(?:-lock)?"
    r"|tsconfig[\w.-]*|pyproject|cargo|_?typos|netlify|\.?air|gopkg|app\.?engine|openapi[\w.-]*"
    r"|swagger[\w.-]*",
    re.IGNORECASE,
)
#: Directories whose files belong to tools (CI, manifests, charts).
_TOOL_DIRS = frozenset({".github", ".gitlab", ".circleci", "charts", "templates", "node_modules"})
_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml", ".ini": "ini"}
#: At most this many settings are kept per file (a generated data file is not config).
MAX_ENTRIES = 5000


def config_format(rel: str) -> str | None:
    """The format of ``rel`` when it looks like a program's configuration file."""
    parts = rel.split("/")
    name = parts[-1]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    fmt = _EXTENSIONS.get(name[dot:].lower())
    if fmt is None:
        return None
    stem = name[:dot]
    if _TOOL_NAME.fullmatch(stem) or any(p in _TOOL_DIRS for p in parts[:-1]):
        return None
    dirs = {p.lower() for p in parts[:-1]}
    if dirs & CONFIG_DIRS or _CONFIG_STEM.fullmatch(stem):
        return fmt
    return None


def from_yaml(path: str, fmt: str, docs: list[Node]) -> ConfigFile:
    """The settings of YAML (or JSON) documents composed into nodes."""
    entries: list[ConfigEntry] = []
    for doc in docs:
        if isinstance(doc, MappingNode):
            entries.extend(_walk(path, doc, (), 0))
        if len(entries) > MAX_ENTRIES:
            break
    return ConfigFile(path, fmt, tuple(entries[:MAX_ENTRIES]))


def _walk(
    path: str, node: MappingNode, prefix: tuple[str, ...], depth: int
) -> Iterator[ConfigEntry]:
    if depth > 12:
        return
    for k, v in node.value:
        if not isinstance(k, ScalarNode):
            continue
        key = (*prefix, str(k.value))
        if isinstance(v, MappingNode):
            yield from _walk(path, v, key, depth + 1)
        elif isinstance(v, ScalarNode):
            m = v.start_mark
            span = Span(path, m.line + 1, m.column + 1) if m is not None else Span(path)
            yield ConfigEntry(key, str(v.value), span)


_INI_SECTION = linear.compile(r"\s*\[([^\]]+)\]\s*(?:[;#].*)?$")
_INI_KEY = linear.compile(r"\s*([^=:;#\s][^=:]*?)\s*[=:]\s*(.*?)\s*$")


def parse_ini(path: str, text: str) -> ConfigFile:
    """An ini file as go-ini and Python's configparser read it: ``[section]``, then
    ``key = value`` (or ``key: value``); ``;`` and ``#`` start comment lines."""
    entries: list[ConfigEntry] = []
    section: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        m = _INI_SECTION.match(line)
        if m:
            section = (m.group(1).strip(),)
            continue
        m = _INI_KEY.match(line)
        if m is None:
            continue
        value = _unquote(m.group(2))
        col = line.find(m.group(2)) + 1 if m.group(2) else len(line) + 1
        entries.append(ConfigEntry((*section, m.group(1).strip()), value, Span(path, n, col)))
        if len(entries) >= MAX_ENTRIES:
            break
    return ConfigFile(path, "ini", tuple(entries))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1]
    return value


_TOML_TABLE = linear.compile(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_TOML_KEY = linear.compile(
    r"\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=\s*(.*)$"
)


def _toml_key(text: str) -> tuple[str, ...]:
    return tuple(_unquote(p.strip()) for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", text))


def parse_toml(path: str, text: str) -> ConfigFile | None:
    """A TOML file's ``key = value`` lines under their ``[table]``; None when the
    file is not valid TOML (``tomllib`` decides). A line of more than 1,000 dots is
    not read (``tomllib`` reads a dotted key in time quadratic in its parts)."""
    if any(line.count(".") > 1000 for line in text.splitlines()):
        return None
    try:
        tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None
    entries: list[ConfigEntry] = []
    table: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("[["):
            table = ("[[]]",)  # arrays of tables: not a single setting per key
            continue
        m = _TOML_TABLE.match(line)
        if m:
            table = _toml_key(m.group(1))
            continue
        m = _TOML_KEY.match(line)
        if m is None or table == ("[[]]",):
            continue
        try:
            value = tomllib.loads(f"v = {m.group(2)}")["v"]
        except (tomllib.TOMLDecodeError, RecursionError):
            continue  # a multi-line value: not followed
        if isinstance(value, dict | list):
            continue
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        col = line.find(m.group(2)) + 1
        entries.append(ConfigEntry((*table, *_toml_key(m.group(1))), shown, Span(path, n, col)))
        if len(entries) >= MAX_ENTRIES:
            break
    return ConfigFile(path, "toml", tuple(entries))


def parse_config(path: str, text: str) -> ConfigFile | None:
    """A TOML or ini configuration file (YAML and JSON ones come with their YAML
    parse); None when it cannot be read."""
    fmt = config_format(path)
    if fmt == "ini":
        return parse_ini(path, text)
    if fmt == "toml":
        return parse_toml(path, text)
    return None
