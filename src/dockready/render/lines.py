"""Where a line of rendered YAML came from.

Helm and Kustomize give dockready a manifest stream that exists in no file. Rules
read it like any manifest; their findings must point at the file a user edits. Two
readings serve that:

- :func:`key_paths` names each line of a YAML document by its key path
  (``spec.template.spec.containers[api].image``: list items by their ``name``), so a
  built object's line can be found again in the file that defines or patches it;
- :func:`align` maps each line of a rendered template to the template line that
  wrote it, by aligning the keys of both texts.

:func:`remap` then rebuilds a tree of facts with every :class:`Span` moved.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockready.facts.k8s import (
    ComposeService,
    ConfigMap,
    KService,
    ObjectDoc,
    OtherObject,
    Workload,
)
from dockready.model import Span
from dockready.parse.yamlfiles import compose_documents

Path = tuple[str, ...]
T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Doc:
    """One YAML document: its object's ``kind`` and ``metadata.name`` (\"\" when it has
    none) and, per 1-based line, the key path of the key (or list item) that starts
    there (the first one on a line)."""

    kind: str
    name: str
    lines: dict[int, Path]
    #: line → (column, key path) of every item, key and same-line value on it.
    cols: dict[int, list[tuple[int, Path]]] = dataclasses.field(default_factory=dict)

    @property
    def paths(self) -> dict[Path, int]:
        return inverse(self.lines)

    def at(self, line: int, col: int) -> Path | None:
        """The key path of what starts at or before ``col`` on ``line``: a value, its
        key, or (at a list item's first key) the item."""
        best: tuple[int, Path] | None = None
        for c, p in self.cols.get(line, ()):
            if c <= col and (best is None or c > best[0]):
                best = (c, p)
        return best[1] if best is not None else None


def key_paths(text: str) -> list[Doc]:
    """Every YAML document of ``text``, read by :class:`Doc`. Unparseable text gives []."""
    try:
        docs = compose_documents(text)
    except (yaml.YAMLError, RecursionError):
        return []
    out = []
    for doc in docs:
        lines: dict[int, Path] = {}
        cols: dict[int, list[tuple[int, Path]]] = {}
        _walk(doc, (), lines, cols)
        kind = _scalar(doc, "kind")
        meta = _child(doc, "metadata")
        out.append(Doc(kind, _scalar(meta, "name") if meta is not None else "", lines, cols))
    return out


def _child(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return v  # type: ignore[no-any-return]
    return None


def _scalar(node: Node, key: str) -> str:
    v = _child(node, key)
    return str(v.value) if isinstance(v, ScalarNode) else ""


def _walk(
    node: Node, path: Path, lines: dict[int, Path], cols: dict[int, list[tuple[int, Path]]]
) -> None:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                continue
            p = (*path, str(k.value))
            line = k.start_mark.line + 1
            lines.setdefault(line, p)
            cols.setdefault(line, []).append((k.start_mark.column + 1, p))
            if v.start_mark.line == k.start_mark.line:
                cols[line].append((v.start_mark.column + 1, p))
            _walk(v, p, lines, cols)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            p = (*path, f"[{_item_name(item, i)}]")
            line = item.start_mark.line + 1
            lines.setdefault(line, p)
            cols.setdefault(line, []).append((item.start_mark.column + 1, p))
            _walk(item, p, lines, cols)


def _item_name(item: Node, index: int) -> str:
    """A list item's name: its ``name`` (containers, env, ports, volumes are merged by
    name), else its position."""
    if isinstance(item, MappingNode):
        for k, v in item.value:
            if isinstance(k, ScalarNode) and k.value == "name" and isinstance(v, ScalarNode):
                return str(v.value)
    return str(index)


def inverse(lines: dict[int, Path]) -> dict[Path, int]:
    """Key path → its first line."""
    out: dict[Path, int] = {}
    for line, p in sorted(lines.items()):
        out.setdefault(p, line)
    return out


def deepest(paths: dict[Path, int], p: Path) -> tuple[int, int] | None:
    """(depth, line) of the longest prefix of ``p`` that ``paths`` has."""
    for depth in range(len(p), 0, -1):
        line = paths.get(p[:depth])
        if line is not None:
            return depth, line
    return None


_KEY = re.compile(r"""^\s*(?:-\s+)*(["']?)([^\s"':{}]+)\1\s*:(?:\s|$)""")
_ACTION_ONLY = re.compile(r"^\s*(?:\{\{-?.*?-?\}\}\s*)+$")


def _token(line: str) -> str:
    m = _KEY.match(line)
    if m:
        return "k:" + m.group(2)
    return "t:" + line.strip()


def align(template: str, rendered: str) -> dict[int, int]:
    """Rendered line → template line (both 1-based). Lines a template action wrote
    (an ``include``, a ``toYaml`` block) map to that action's line; a rendered line
    with no counterpart maps to the nearest template line above it."""
    t_lines = template.splitlines()
    keep = [
        i
        for i, ln in enumerate(t_lines)
        if (ln.strip() and not _ACTION_ONLY.match(ln)) or "toYaml" in ln or "include" in ln
    ]
    t_tokens = [_token(t_lines[i]) for i in keep]
    r_lines = rendered.splitlines()
    r_tokens = [_token(ln) for ln in r_lines]
    out: dict[int, int] = {}
    sm = difflib.SequenceMatcher(None, r_tokens, t_tokens, autojunk=False)
    last = 1
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k + 1] = keep[j1 + k] + 1
            last = keep[j2 - 1] + 1
            continue
        target = keep[j1] + 1 if j2 > j1 else last
        for k in range(i1, i2):
            out[k + 1] = target
        if j2 > j1:
            last = keep[j2 - 1] + 1
    return out


def remap(obj: T, move: Callable[[Span], Span]) -> T:
    """``obj`` (a tree of frozen dataclasses and tuples) with every Span moved. A
    manifest object (``OBJECTS``) takes its span's new path as its file."""
    return _remap(obj, move)  # type: ignore[no-any-return]


#: The fact classes whose ``path`` is the file they are in (a probe's is a URL path).
OBJECTS = (Workload, KService, ConfigMap, OtherObject, ComposeService, ObjectDoc)


def _remap(obj: Any, move: Callable[[Span], Span]) -> Any:
    if isinstance(obj, Span):
        return move(obj)
    if isinstance(obj, tuple):
        return tuple(_remap(x, move) for x in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if isinstance(v, (Span, tuple)) or (
                dataclasses.is_dataclass(v) and not isinstance(v, type)
            ):
                nv = _remap(v, move)
                if nv is not v:
                    changes[f.name] = nv
        span = changes.get("span")
        if isinstance(span, Span) and isinstance(obj, OBJECTS):
            changes["path"] = span.path
        return dataclasses.replace(obj, **changes) if changes else obj
    return obj


def documents(text: str) -> Iterable[tuple[int, str]]:
    """(first line, text) of each ``---``-separated document of a YAML stream."""
    start, buf = 1, list[str]()
    for n, ln in enumerate(text.splitlines(keepends=True), 1):
        if ln.rstrip() == "---" or ln.startswith("--- "):
            if any(x.strip() for x in buf):
                yield start, "".join(buf)
            start, buf = n + 1, []
            continue
        buf.append(ln)
    if any(x.strip() for x in buf):
        yield start, "".join(buf)
