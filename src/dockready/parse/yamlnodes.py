"""Reading composed YAML nodes (``yaml.compose``): the helpers the CI and build-file
readers share. Merge keys (``<<: *defaults``) are followed, and a mapping's own keys
win over merged ones; of a key written twice, the last one counts (as YAML loaders
do)."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: How deep merge keys are followed (``<<`` of a ``<<``...).
_MAX_MERGES = 20


def pairs(node: Node | None, depth: int = 0) -> list[tuple[str, Node, Node]]:
    """A mapping's (key, key node, value node), merge keys resolved: merged entries
    first, the mapping's own ones over them; nothing for any other node."""
    if not isinstance(node, MappingNode) or depth > _MAX_MERGES:
        return []
    merged: dict[str, tuple[str, Node, Node]] = {}
    own: dict[str, tuple[str, Node, Node]] = {}
    for k, v in node.value:
        if not isinstance(k, ScalarNode):
            continue
        if k.value == "<<":
            sources = v.value if isinstance(v, SequenceNode) else [v]
            for src in sources:
                for p in pairs(src, depth + 1):
                    merged[p[0]] = p
        else:
            own[str(k.value)] = (str(k.value), k, v)
    merged.update(own)
    return list(merged.values())


def get(node: Node | None, *keys: str) -> Node | None:
    """The value at ``keys`` (one mapping inside the next), or None."""
    for key in keys:
        node = next((v for k, _, v in pairs(node) if k == key), None)
    return node


def text(node: Node | None) -> str | None:
    """A scalar's text; None for a null (``~``, ``null``, nothing) or a non-scalar.
    A quoted ``""`` is the empty text."""
    if not isinstance(node, ScalarNode) or (node.value in ("", "~", "null") and not node.style):
        return None
    return str(node.value)


def line(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1 if node.start_mark is not None else 1
