"""Kubernetes manifests and compose files → typed :class:`Manifests` facts, with line numbers.

One pass: the text is composed into YAML *nodes* (never constructed into Python objects),
using libyaml when present, so every value keeps its ``line``/``col``; then only the parts
the facts need are read. Conventions:

- Lines and columns are 1-based. A *field* span points at its key (``runAsUser:``); a
  *value* span (``image_span``, :class:`DataEntry`) points at the value. A Kubernetes
  object's span is its ``kind:`` key; a list item's span is the item's first key.
- ``Workload.labels`` are the pod template's labels (what Services select);
  ``Workload.annotations`` are the object's annotations with the pod template's merged
  over them (the template wins on a clash). For a ``Pod`` both come from the object.
- ``Security.spans`` is keyed by the :class:`Security` attribute name (``run_as_user``,
  ``caps_drop``...), and points at whichever ``securityContext`` supplied the value.
- Lenient on shapes: integers written as strings (``containerPort: "8080"``) are read as
  integers, a named port that is all digits becomes an int; a piece of the wrong shape
  (``containers`` not a list, a port that is a mapping) is skipped, the rest is kept.
- YAML 1.1 scalars as PyYAML resolves them: ``yes``/``on`` are true; ``<<`` merge keys
  are honoured. Scalars are kept as written (``cpu: 0.50`` stays ``"0.50"``).
- Safety: alias expansion is bounded (:data:`MAX_ALIAS_NODES`), recursive aliases are an
  error, and Go/Helm template syntax (``{{ ... }}``) is reported as an error, not
  half-parsed. libyaml itself bounds nesting depth.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TypedDict, TypeVar

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.scanner import Scanner

from dockready.facts.config import ConfigFile
from dockready.facts.k8s import (
    KNATIVE_API,
    WORKLOAD_KINDS,
    ComposeBind,
    ComposePort,
    ComposeService,
    ConfigMap,
    Container,
    ContainerPort,
    DataEntry,
    EnvFrom,
    EnvVar,
    Handler,
    KService,
    Manifests,
    ObjectDoc,
    OtherObject,
    Probe,
    Resources,
    Security,
    ServicePort,
    Volume,
    VolumeMount,
    Workload,
)
from dockready.model import Notice, Span
from dockready.parse import configfile
from dockready.secrets import scrub

__all__ = ["MAX_ALIAS_NODES", "parse_json", "parse_yaml"]

MAX_ALIAS_NODES = 100_000
"""How many nodes aliases may add when expanded before the file is refused."""

_PLAIN = "!dockready/plain"  # an unquoted scalar whose type is decided when it is read
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE = frozenset({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_MAX_MERGE_DEPTH = 8
_KUSTOMIZE_API = "kustomize.config.k8s.io/"

T = TypeVar("T")


# --------------------------------------------------------------------------- loading


class _LazyTagResolver:
    """Stands in for PyYAML's resolver: plain scalars get one marker tag and are typed
    only when read. Skipping regex resolution of every scalar halves compose time."""

    def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
        """No path resolvers: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers: nothing to track."""

    def resolve(self, kind: type[Node], value: str | None, implicit: object) -> str:
        """Tag a node that carries no explicit tag."""
        if kind is ScalarNode:
            plain = isinstance(implicit, tuple) and bool(implicit[0])
            return _PLAIN if plain else _STR
        return _SEQ if kind is SequenceNode else _MAP


class _PyLoader(Reader, Scanner, Parser, Composer, _LazyTagResolver):
    """The pure-Python parser and composer (as in ``yaml.SafeLoader``), lazy tags."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)


_Loader: type[_PyLoader] | type[_CLoader]
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CLoader(CParser, _LazyTagResolver):
        """libyaml's parser and composer (as in ``yaml.CSafeLoader``), lazy tags."""

    _Loader = _CLoader
else:  # pragma: no cover - only without libyaml
    _Loader = _PyLoader


def _compose(text: str) -> list[Node]:
    """Compose every document of ``text`` into a node tree (the only parse)."""
    loader = _Loader(text)
    docs: list[Node] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(node)
    finally:
        loader.dispose()
    return docs


def _span(path: str, node: Node) -> Span:
    mark = node.start_mark
    if mark is None:
        return Span(path)
    end = node.end_mark
    if end is None:
        return Span(path, mark.line + 1, mark.column + 1)
    return Span(path, mark.line + 1, mark.column + 1, end.line + 1, end.column + 1)


# --------------------------------------------------------------------------- scalars


def _is_null(node: Node) -> bool:
    return node.tag == _NULL_TAG or (node.tag == _PLAIN and node.value in _NULLS)


def _text(node: Node | None) -> str | None:
    """A scalar's text as written; None for null, a missing node or a collection."""
    if not isinstance(node, ScalarNode) or _is_null(node):
        return None
    return str(node.value)


def _to_int(text: str, plain: bool) -> int | None:
    """Parse a YAML 1.1 integer (``8080``, ``0x1F``, ``1_000``; ``0644`` octal if plain)."""
    t = text.strip()
    if _INT_RE.match(t):
        return int(t.replace("_", ""))
    try:
        if t[:2].lower() in ("0x", "0o", "0b"):
            return int(t, 0)
        if plain and len(t) > 1 and t.startswith("0") and t.isdigit():
            return int(t, 8)
    except ValueError:
        return None
    return None


def _int(node: Node | None) -> int | None:
    text = _text(node)
    if text is None or node is None or node.tag == _BOOL_TAG:
        return None
    return _to_int(text, node.tag == _PLAIN)


def _bool(node: Node | None) -> bool | None:
    text = _text(node)
    if text is None:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _port(node: Node | None) -> int | str | None:
    """An int-or-name port: an int when it reads as one, else the name."""
    number = _int(node)
    return number if number is not None else _text(node)


def _texts(node: Node | None) -> tuple[str, ...]:
    """A sequence of scalars as strings; anything else gives ``()``."""
    if not isinstance(node, SequenceNode):
        return ()
    return tuple(t for t in (_text(n) for n in node.value) if t is not None)


# --------------------------------------------------------------------------- mappings


class _Map:
    """A mapping node read by string key, with ``<<`` merges applied.

    Only scalar keys are kept; on a duplicate key the last one wins (as in PyYAML)."""

    __slots__ = ("_items", "node", "path")
    _items: dict[str, tuple[Node, Node]]

    def __init__(self, node: MappingNode, path: str, depth: int = 0) -> None:
        self.node = node
        self.path = path
        items: dict[str, tuple[Node, Node]] = {}
        merges: list[Node] = []
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                continue
            if key.value == "<<" and key.tag in (_PLAIN, _MERGE_TAG):
                merges.append(value)
            else:
                items[key.value] = (key, value)
        if merges and depth < _MAX_MERGE_DEPTH:
            for base in _merge_sources(merges):
                for k, kv in _Map(base, path, depth + 1)._items.items():
                    items.setdefault(k, kv)
        self._items = items

    @property
    def span(self) -> Span:
        return _span(self.path, self.node)

    def get(self, key: str) -> Node | None:
        pair = self._items.get(key)
        return pair[1] if pair else None

    def has(self, key: str) -> bool:
        return key in self._items

    def names(self) -> Iterable[str]:
        return self._items.keys()

    def entries(self) -> Iterator[tuple[str, Node, Node]]:
        for k, (key, value) in self._items.items():
            yield k, key, value

    def key_span(self, key: str) -> Span | None:
        pair = self._items.get(key)
        return _span(self.path, pair[0]) if pair else None

    def value_span(self, key: str) -> Span | None:
        pair = self._items.get(key)
        return _span(self.path, pair[1]) if pair else None

    def sub(self, key: str) -> _Map | None:
        node = self.get(key)
        return _Map(node, self.path) if isinstance(node, MappingNode) else None

    def dig(self, *keys: str) -> _Map | None:
        m: _Map | None = self
        for key in keys:
            if m is None:
                return None
            m = m.sub(key)
        return m

    def maps(self, key: str) -> Iterator[_Map]:
        """The mapping items of a sequence value (other items are skipped)."""
        node = self.get(key)
        if isinstance(node, SequenceNode):
            for item in node.value:
                if isinstance(item, MappingNode):
                    yield _Map(item, self.path)

    def text(self, key: str) -> str | None:
        return _text(self.get(key))

    def integer(self, key: str) -> int | None:
        return _int(self.get(key))

    def flag(self, key: str) -> bool | None:
        return _bool(self.get(key))

    def texts(self, key: str) -> tuple[str, ...]:
        return _texts(self.get(key))

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        """A string-to-scalar mapping value (labels, selectors) as pairs."""
        sub = self.sub(key)
        if sub is None:
            return ()
        return tuple((k, t) for k, _, v in sub.entries() if (t := _text(v)) is not None)


def _merge_sources(merges: list[Node]) -> Iterator[MappingNode]:
    """The mappings named by ``<<`` values, highest priority first."""
    for value in merges:
        if isinstance(value, MappingNode):
            yield value
        elif isinstance(value, SequenceNode):
            yield from (n for n in value.value if isinstance(n, MappingNode))


# --------------------------------------------------------------------------- safety


class _Unsafe(Exception):
    """A document we refuse to read: alias bomb, recursive alias or template syntax."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_template_keys(node: Node) -> None:
    """``{{ .Values.x }}`` composes as a mapping used as a key: refuse it."""
    if isinstance(node, MappingNode):
        for key, _ in node.value:
            if isinstance(key, MappingNode):
                raise _Unsafe(
                    key,
                    "Go/Helm template syntax ({{ ... }}) is not YAML; "
                    "render it first (helm template)",
                )


def _expanded_size(root: Node, templates: bool) -> tuple[int, int]:
    """(nodes once aliases are expanded, distinct nodes), without expanding anything.

    Iterative, memoised by node identity; raises :class:`_Unsafe` on a cycle, and on
    template syntax when ``templates`` is set."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        nid = id(node)
        if finished:
            open_.discard(nid)
            sizes[nid] = 1 + sum(sizes[id(c)] for c in _children(node))
            continue
        if nid in sizes:
            continue
        if templates:
            _check_template_keys(node)
        open_.add(nid)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_:
                raise _Unsafe(child, "recursive YAML alias")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)], len(sizes)


def _audit(docs: list[Node], text: str) -> None:
    """Refuse alias bombs, recursive aliases and template syntax.

    Aliases need an anchor (``&``) and templates need ``{{``, so files with neither
    (nearly all) skip this walk."""
    if "&" not in text and "{{" not in text:
        return
    extra = 0
    for doc in docs:
        expanded, distinct = _expanded_size(doc, templates="{{" in text)
        extra += expanded - distinct
        if extra > MAX_ALIAS_NODES:
            raise _Unsafe(
                doc, f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (alias bomb?)"
            )


def _error(path: str, line: int, col: int, message: str) -> Manifests:
    message = scrub(" ".join(message.split()))
    return Manifests(path, error=Span(path, line, col), error_message=message)


def _syntax_error(path: str, text: str, exc: yaml.YAMLError) -> Manifests:
    """A :class:`Manifests` carrying the error's position and a one-line message."""
    hint = "; looks like a Go/Helm template, render it first" if "{{" in text else ""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        where = f" ({exc.context})" if exc.context else ""
        return _error(path, line, col, f"YAML syntax error: {what}{where}{hint}")
    if isinstance(exc, ReaderError):
        pos = int(exc.position)
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return _error(path, line, col, f"unreadable YAML: {exc.reason}")
    return _error(path, 1, 1, f"YAML error: {exc}")


# --------------------------------------------------------------------------- entry point


def parse_yaml(path: str, text: str) -> Manifests | None:
    """Parse one YAML file into Kubernetes or compose facts.

    Returns None when the file is neither (CI config, Helm values, kustomization,
    any other YAML); a :class:`Manifests` with ``error`` set when it cannot be read
    safely. Never raises on bad input."""
    found = read_yaml(path, text)
    return found if isinstance(found, Manifests) else None


def read_yaml(path: str, text: str, config: str | None = None) -> Manifests | ConfigFile | None:
    """:func:`parse_yaml`, and for a file that is neither a manifest nor a compose
    file, its settings as a :class:`ConfigFile` of format ``config`` when that is
    given (``parse/configfile.py`` decides which files are configuration)."""
    try:
        docs = _compose(text)
        _audit(docs, text)
    except yaml.YAMLError as exc:
        return _syntax_error(path, text, exc)
    except _Unsafe as exc:
        span = _span(path, exc.node)
        return _error(path, span.line, span.col, exc.message)
    except RecursionError:  # pure-Python composer on absurd nesting
        return _error(path, 1, 1, "YAML nested too deeply")
    roots = [_Map(d, path) for d in docs if isinstance(d, MappingNode)]
    objects = list(_objects(roots))
    found: Manifests | None = None
    if objects:
        found = _k8s_manifests(path, objects)
    else:
        compose = _compose_root(path, roots)
        if compose is not None:
            found = _compose_manifests(path, compose)
    if found is not None and "dockready:" in text:
        found = replace(found, content_lines=_content_lines(docs))
    if found is None and config is not None:
        return configfile.from_yaml(path, config, docs)
    return found


# --------------------------------------------------------------------------- JSON

_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]]')
_JSON_COLON = re.compile(r"[ \t\r\n]*:")
#: What PyYAML's reader refuses raw, or reads as a line break (NEL, LS, PS).
_YAML_UNSAFE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def parse_json(
    path: str, text: str, config: bool = False
) -> tuple[Manifests | ConfigFile | None, Notice | None]:
    """Parse a ``.json`` file: a Kubernetes object (or ``List``) gives the facts
    :func:`parse_yaml` gives for the same object written as YAML, with real lines.

    Any other JSON (package.json, tsconfig.json, a JSON schema...) gives ``(None,
    None)``, valid or not. JSON that is not valid and has ``apiVersion`` and ``kind``
    keys at its top level gives a :class:`Manifests` with ``error`` at the JSON
    error's line. Valid JSON is read by the YAML loader (JSON is YAML flow syntax)
    once tabs (only whitespace in valid JSON) are spaces and strings YAML 1.1 reads
    otherwise (surrogate pairs, control characters, NEL/LS/PS) are re-escaped; that
    keeps every line where it is. A manifest the YAML loader still cannot read gives
    a notice, not a finding: the file is valid, dockready cannot place it."""
    if '"apiVersion"' not in text or '"kind"' not in text:
        return _json_config(path, text) if config else None, None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        if not {"apiVersion", "kind"} <= _json_top_keys(text):
            return None, None
        return _error(path, e.lineno, e.colno, e.msg), None
    except RecursionError:
        return None, Notice("skipped: JSON nested too deeply", Span(path))
    if not (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
    ):
        return None, None
    found = parse_yaml(path, _json_as_yaml(text))
    if found is not None and found.error is not None:
        why = found.error_message
        return None, Notice(
            f"skipped: a JSON manifest the YAML reader cannot read ({why})", found.error
        )
    return found, None


def _json_config(path: str, text: str) -> ConfigFile | None:
    """A JSON configuration file's settings (None when it is not valid JSON)."""
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    found = read_yaml(path, _json_as_yaml(text), "json")
    return found if isinstance(found, ConfigFile) else None


def _json_top_keys(text: str) -> set[str]:
    """The keys of the top-level object of (possibly broken) JSON, read by a
    tokenizer that only knows strings and brackets."""
    keys: set[str] = set()
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok in ("{", "["):
            depth += 1
        elif tok in ("}", "]"):
            depth -= 1
        elif depth == 1 and _JSON_COLON.match(text, m.end()):
            keys.add(tok[1:-1])
    return keys


def _json_as_yaml(text: str) -> str:
    """Valid JSON as YAML the loader reads to the same values on the same lines."""
    text = text.replace("\t", " ")  # a raw tab is never inside a valid JSON string
    if "\\" not in text and not _YAML_UNSAFE.search(text):
        return text
    return _JSON_TOKEN.sub(_yaml_string, text)


def _yaml_string(m: re.Match[str]) -> str:
    tok = m.group()
    if tok[0] != '"' or ("\\" not in tok and not _YAML_UNSAFE.search(tok)):
        return tok
    value = json.loads(tok)
    if not isinstance(value, str):  # pragma: no cover - a JSON string token
        return tok
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif "\ud800" <= ch <= "\udfff":  # a lone surrogate: YAML has no way to say it
            out.append("\\ufffd")
        elif ch in "\t\n\r" or _YAML_UNSAFE.match(ch):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def content_lines(text: str) -> frozenset[int]:
    """The 1-based lines of ``text`` inside multi-line scalars (empty when it does
    not parse): for inline suppressions in YAML files that hold no manifest."""
    try:
        return _content_lines(_compose(text))
    except (yaml.YAMLError, RecursionError):
        return frozenset()


def _content_lines(docs: list[Node]) -> frozenset[int]:
    out: set[int] = set()
    todo: list[Node] = list(docs)
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:  # an alias: the same node again
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            start, end = node.start_mark, node.end_mark
            if start is None or end is None or end.line <= start.line:
                continue
            last = end.line if end.column > 0 else end.line - 1  # 0-based, inclusive
            out.update(range(start.line + 2, last + 2))
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                todo += (k, v)
        elif isinstance(node, SequenceNode):
            todo.extend(node.value)
    return frozenset(out)


# --------------------------------------------------------------------------- kubernetes


_Object = tuple[_Map, str, str]  # the object, its kind and apiVersion


def _objects(roots: Iterable[_Map], within: tuple[str, str] | None = None) -> Iterator[_Object]:
    """Documents that are Kubernetes objects, with ``List`` kinds expanded one level.
    Items of a typed list (``DeploymentList``, as the API server returns it) may omit
    ``kind`` and ``apiVersion``: they are the list's kind less ``List``, and its
    apiVersion (``within``)."""
    for m in roots:
        api, kind = m.text("apiVersion"), m.text("kind")
        if within is not None:
            kind, api = kind or within[0], api or within[1]
        if not api or not kind or api.startswith(_KUSTOMIZE_API):
            continue
        if kind.endswith("List") and isinstance(m.get("items"), SequenceNode):
            if within is None:
                yield from _objects(m.maps("items"), (kind[: -len("List")], api))
            continue
        yield m, kind, api


def _k8s_manifests(path: str, objects: list[_Object]) -> Manifests:
    workloads: list[Workload] = []
    services: list[KService] = []
    configmaps: list[ConfigMap] = []
    others: list[OtherObject] = []
    documents: list[ObjectDoc] = []
    for m, kind, api in objects:
        doc = _object_doc(m, kind, api)
        if doc is not None:
            documents.append(doc)
        if kind in WORKLOAD_KINDS or (kind == "Service" and api.startswith(KNATIVE_API)):
            workloads.append(_workload(m, kind, api))
        elif kind == "Service" and api == "v1":
            services.append(_service(m))
        elif kind in ("ConfigMap", "Secret") and api == "v1":
            configmaps.append(_configmap(m, secret=kind == "Secret"))
        else:
            others.append(_other(m, kind, api))
    return Manifests(
        path,
        workloads=tuple(workloads),
        services=tuple(services),
        configmaps=tuple(configmaps),
        others=tuple(others),
        documents=tuple(documents),
    )


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_FLOAT_WORDS = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf")}


def _scalar_value(node: ScalarNode) -> object:
    """A scalar typed as Kubernetes' YAML reader (YAML 1.1) types it."""
    text = str(node.value)
    tag = node.tag
    if tag == _PLAIN:
        if text in _NULLS:
            return None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        number = _to_int(text, True)
        if number is not None:
            return number
        if _FLOAT_RE.match(text) and any(ch.isdigit() for ch in text):
            return float(text.replace("_", ""))
        return _FLOAT_WORDS.get(text.lower(), text)
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return _bool(node)
    if tag == _INT_TAG:
        number = _to_int(text, True)
        return text if number is None else number
    if tag == _FLOAT_TAG and _FLOAT_RE.match(text):
        return float(text.replace("_", ""))
    return text


def _plain_value(node: Node, path: str, lines: list[Span]) -> object:
    """``node`` as plain JSON data; where each field and item is goes to ``lines``
    in depth-first order (see :class:`ObjectDoc`)."""
    if isinstance(node, ScalarNode):
        return _scalar_value(node)
    if isinstance(node, SequenceNode):
        items = []
        for item in node.value:
            mark = item.start_mark
            lines.append(Span(path, mark.line + 1, mark.column + 1))
            items.append(_plain_value(item, path, lines))
        return items
    if isinstance(node, MappingNode):
        out: dict[str, object] = {}
        for k, key, value in _Map(node, path).entries():
            mark = key.start_mark
            lines.append(Span(path, mark.line + 1, mark.column + 1))
            out[k] = _plain_value(value, path, lines)
        return out
    return None


def _builtin_api(api: str) -> bool:
    """An apiVersion of Kubernetes' own API groups (``v1``, ``apps/v1``,
    ``networking.k8s.io/v1``): custom resources have a dotted group of their own."""
    group = api.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def _object_doc(m: _Map, kind: str, api: str) -> ObjectDoc | None:
    """The whole object as JSON with its line map (None if it cannot be written, or
    if it is a custom resource, which no Kubernetes schema describes)."""
    if not _builtin_api(api):
        return None
    lines: list[Span] = []
    try:
        value = _plain_value(m.node, m.path, lines)
        if isinstance(value, dict):
            # a List item may leave kind and apiVersion to its list
            value.setdefault("kind", kind)
            value.setdefault("apiVersion", api)
        body = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (RecursionError, ValueError):
        return None
    name, _ = _name_ns(m)
    return ObjectDoc(kind, api, name, m.path, _kind_span(m), body, tuple(lines))


def _name_ns(m: _Map) -> tuple[str, str]:
    meta = m.sub("metadata")
    if meta is None:
        return "", "default"
    return meta.text("name") or "", meta.text("namespace") or "default"


def _kind_span(m: _Map) -> Span:
    return m.key_span("kind") or m.span


def _pod_template(m: _Map, kind: str) -> _Map | None:
    """The mapping that holds the pod's ``metadata`` and ``spec``."""
    if kind == "Pod":
        return m
    if kind == "CronJob":
        return m.dig("spec", "jobTemplate", "spec", "template")
    return m.dig("spec", "template")


def _annotations(m: _Map, template: _Map | None) -> tuple[tuple[str, str], ...]:
    """The object's annotations with the pod template's merged over them."""
    merged = dict(_meta_pairs(m, "annotations"))
    if template is not None and template is not m:
        merged.update(_meta_pairs(template, "annotations"))
    return tuple(merged.items())


def _meta_pairs(m: _Map, key: str) -> tuple[tuple[str, str], ...]:
    meta = m.sub("metadata")
    return meta.pairs(key) if meta is not None else ()


def _workload(m: _Map, kind: str, api: str) -> Workload:
    name, namespace = _name_ns(m)
    template = _pod_template(m, kind)
    pod = template.sub("spec") if template is not None else None
    spec = m.sub("spec")
    fields = _pod_fields(pod)
    if api.startswith(KNATIVE_API) and "containers" in fields:
        # a Knative Service's container may go unnamed: Knative calls it so
        fields["containers"] = tuple(
            c if c.name else replace(c, name="user-container") for c in fields["containers"]
        )
    return Workload(
        kind=kind,
        name=name,
        namespace=namespace,
        api_version=api,
        path=m.path,
        span=_kind_span(m),
        replicas=spec.integer("replicas") if spec is not None and kind != "Pod" else None,
        replicas_span=spec.key_span("replicas") if spec is not None else None,
        labels=_meta_pairs(template, "labels") if template is not None else (),
        annotations=_annotations(m, template),
        workload_ref=_workload_ref(spec),
        **_strategy(spec if kind == "Deployment" else None),
        **fields,
    )


class _Strategy(TypedDict, total=False):
    strategy_type: str
    max_unavailable: str | None
    strategy_span: Span | None


def _strategy(spec: _Map | None) -> _Strategy:
    """A Deployment's ``spec.strategy``: type, ``rollingUpdate.maxUnavailable``."""
    st = spec.sub("strategy") if spec is not None else None
    if st is None or spec is None:
        return {}
    ru = st.sub("rollingUpdate")
    return {
        "strategy_type": st.text("type") or "",
        "max_unavailable": _text(ru.get("maxUnavailable")) if ru is not None else None,
        "strategy_span": spec.key_span("strategy"),
    }


def _workload_ref(spec: _Map | None) -> str:
    ref = spec.sub("workloadRef") if spec is not None else None
    if ref is None or not ref.text("kind") or not ref.text("name"):
        return ""
    return f"{ref.text('kind')}/{ref.text('name')}"


class _PodFields(TypedDict, total=False):
    """The :class:`Workload` fields that come from the pod spec."""

    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...]
    volumes: tuple[Volume, ...]
    grace: int | None
    grace_span: Span | None
    host_network: bool
    host_pid: bool
    host_ipc: bool
    host_span: Span | None
    enable_service_links: bool | None


def _pod_fields(pod: _Map | None) -> _PodFields:
    """Workload fields read from the pod spec (keyword arguments for :class:`Workload`)."""
    if pod is None:
        return {}
    psc = pod.sub("securityContext")
    host = [(pod.key_span(k), k) for k in ("hostNetwork", "hostPID", "hostIPC") if pod.flag(k)]
    return {
        "containers": tuple(_container(c, psc, init=False) for c in pod.maps("containers")),
        "init_containers": tuple(_container(c, psc, init=True) for c in pod.maps("initContainers")),
        "volumes": tuple(_volume(v) for v in pod.maps("volumes")),
        "grace": pod.integer("terminationGracePeriodSeconds"),
        "grace_span": pod.key_span("terminationGracePeriodSeconds"),
        "host_network": bool(pod.flag("hostNetwork")),
        "host_pid": bool(pod.flag("hostPID")),
        "host_ipc": bool(pod.flag("hostIPC")),
        "host_span": min((s for s, _ in host if s is not None), default=None),
        "enable_service_links": pod.flag("enableServiceLinks"),
    }


_VOLUME_SOURCE = {
    "secret": "secretName",
    "configMap": "name",
    "hostPath": "path",
    "persistentVolumeClaim": "claimName",
    "nfs": "path",
}


def _volume(v: _Map) -> Volume:
    kind = next((k for k in v.names() if k != "name"), "")
    src = v.sub(kind) if kind else None
    field = _VOLUME_SOURCE.get(kind)
    source = (src.text(field) if src is not None and field else None) or ""
    return Volume(name=v.text("name") or "", kind=kind, span=v.span, source=source)


# --------------------------------------------------------------------------- containers


def _container(c: _Map, pod_sc: _Map | None, init: bool) -> Container:
    image = c.text("image") or ""
    return Container(
        name=c.text("name") or "",
        image=image,
        span=c.span,
        image_span=c.value_span("image") or c.span,
        init=init,
        command=c.texts("command"),
        args=c.texts("args"),
        ports=tuple(p for p in (_container_port(p) for p in c.maps("ports")) if p),
        env=tuple(e for e in (_env_var(e) for e in c.maps("env")) if e),
        env_from=tuple(e for e in (_env_from(e) for e in c.maps("envFrom")) if e),
        resources=_resources(c),
        probes=_probes(c),
        pre_stop=_pre_stop(c),
        mounts=tuple(m for m in (_mount(m) for m in c.maps("volumeMounts")) if m),
        security=_security(c.sub("securityContext"), pod_sc),
        command_span=c.key_span("command"),
        args_span=c.key_span("args"),
    )


def _container_port(p: _Map) -> ContainerPort | None:
    port = p.integer("containerPort")
    if port is None:
        return None
    return ContainerPort(
        port, p.span, name=p.text("name") or "", protocol=p.text("protocol") or "TCP"
    )


_KEY_REFS = ("secretKeyRef", "configMapKeyRef")
_VALUE_FROM = {"fieldRef": "fieldPath", "resourceFieldRef": "resource"}


def _env_var(e: _Map) -> EnvVar | None:
    name = e.text("name")
    if not name:
        return None
    value_from = e.sub("valueFrom")
    if value_from is None:
        return EnvVar(name, e.text("value") or "", e.span)
    for source in _KEY_REFS:
        ref = value_from.sub(source)
        if ref is not None:
            return EnvVar(
                name,
                None,
                e.span,
                source=source,
                ref=f"{ref.text('name') or ''}/{ref.text('key') or ''}",
            )
    for source, field in _VALUE_FROM.items():
        ref = value_from.sub(source)
        if ref is not None:
            return EnvVar(name, None, e.span, source=source, ref=ref.text(field) or "")
    return EnvVar(name, None, e.span, source=next(iter(value_from.names()), "valueFrom"))


def _env_from(e: _Map) -> EnvFrom | None:
    for kind in ("configMapRef", "secretRef"):
        ref = e.sub(kind)
        if ref is not None:
            return EnvFrom(kind, ref.text("name") or "", e.span, prefix=e.text("prefix") or "")
    return None


def _resources(c: _Map) -> Resources:
    res = c.sub("resources")
    if res is None:
        return Resources()
    return Resources(
        span=c.key_span("resources"), requests=res.pairs("requests"), limits=res.pairs("limits")
    )


def _mount(m: _Map) -> VolumeMount | None:
    name, path = m.text("name"), m.text("mountPath")
    if name is None and path is None:
        return None
    return VolumeMount(
        name or "",
        path or "",
        m.span,
        read_only=bool(m.flag("readOnly")),
        sub_path=m.text("subPath") or "",
    )


# --------------------------------------------------------------------------- probes, hooks

_PROBES = (
    ("readinessProbe", "readiness"),
    ("livenessProbe", "liveness"),
    ("startupProbe", "startup"),
)
_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec", "sleep")


def _handler(m: _Map) -> Handler | None:
    """The first handler (httpGet, tcpSocket, grpc, exec, sleep) set in ``m``."""
    for kind in _HANDLERS:
        h = m.sub(kind)
        span = m.key_span(kind)
        if h is None or span is None:
            continue
        if kind == "exec":
            return Handler(kind, span, command=h.texts("command"))
        if kind == "sleep":
            return Handler(kind, span, seconds=h.integer("seconds"))
        port_span = h.value_span("port")
        if kind == "grpc":
            return Handler(
                kind,
                span,
                port=h.integer("port"),
                service=h.text("service"),
                port_span=port_span,
            )
        path = h.text("path") if kind == "httpGet" else None
        path_span = h.value_span("path") if kind == "httpGet" else None
        return Handler(
            kind,
            span,
            path=path,
            port=_port(h.get("port")),
            path_span=path_span,
            port_span=port_span,
        )
    return None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _probes(c: _Map) -> tuple[Probe, ...]:
    out: list[Probe] = []
    for key, which in _PROBES:
        p = c.sub(key)
        handler = _handler(p) if p is not None else None
        span = c.key_span(key)
        if p is None or handler is None or span is None:
            continue
        out.append(
            Probe(
                which,
                handler,
                span,
                initial_delay=_or(p.integer("initialDelaySeconds"), 0),
                period=_or(p.integer("periodSeconds"), 10),
                failure_threshold=_or(p.integer("failureThreshold"), 3),
                timeout=_or(p.integer("timeoutSeconds"), 1),
            )
        )
    return tuple(out)


def _pre_stop(c: _Map) -> Handler | None:
    hook = c.dig("lifecycle", "preStop")
    return _handler(hook) if hook is not None else None


# --------------------------------------------------------------------------- security


def _pick(
    contexts: list[_Map],
    key: str,
    field: str,
    read: Callable[[Node | None], T | None],
    spans: list[tuple[str, Span]],
) -> T | None:
    """The first context (container before pod) that sets ``key``; records its span."""
    for sc in contexts:
        value = read(sc.get(key))
        span = sc.key_span(key)
        if value is not None and span is not None:
            spans.append((field, span))
            return value
    return None


def _seccomp(contexts: list[_Map], spans: list[tuple[str, Span]]) -> str | None:
    profiles = [p for p in (sc.sub("seccompProfile") for sc in contexts) if p is not None]
    return _pick(profiles, "type", "seccomp", _text, spans)


def _caps(sc: _Map | None, key: str, spans: list[tuple[str, Span]]) -> tuple[str, ...]:
    caps = sc.sub("capabilities") if sc is not None else None
    values = caps.texts(key) if caps is not None else ()
    span = caps.key_span(key) if caps is not None else None
    if values and span is not None:
        spans.append((f"caps_{key}", span))
    return values


def _security(csc: _Map | None, psc: _Map | None) -> Security:
    """Container ``securityContext`` merged over the pod's, for the fields both have."""
    both = [sc for sc in (csc, psc) if sc is not None]
    own = [csc] if csc is not None else []
    spans: list[tuple[str, Span]] = []
    return Security(
        run_as_non_root=_pick(both, "runAsNonRoot", "run_as_non_root", _bool, spans),
        run_as_user=_pick(both, "runAsUser", "run_as_user", _int, spans),
        run_as_group=_pick(both, "runAsGroup", "run_as_group", _int, spans),
        read_only_root=_pick(own, "readOnlyRootFilesystem", "read_only_root", _bool, spans),
        allow_privilege_escalation=_pick(
            own, "allowPrivilegeEscalation", "allow_privilege_escalation", _bool, spans
        ),
        privileged=_pick(own, "privileged", "privileged", _bool, spans),
        caps_drop=_caps(csc, "drop", spans),
        caps_add=_caps(csc, "add", spans),
        seccomp=_seccomp(both, spans),
        spans=tuple(spans),
    )


# --------------------------------------------------------------------------- other kinds


def _service(m: _Map) -> KService:
    name, namespace = _name_ns(m)
    spec = m.sub("spec")
    if spec is None:
        return KService(name, namespace, m.path, _kind_span(m))
    return KService(
        name,
        namespace,
        m.path,
        _kind_span(m),
        type=spec.text("type") or "ClusterIP",
        selector=spec.pairs("selector"),
        ports=tuple(p for p in (_service_port(p) for p in spec.maps("ports")) if p),
        labels=_meta_pairs(m, "labels"),
        annotations=_meta_pairs(m, "annotations"),
    )


def _service_port(p: _Map) -> ServicePort | None:
    port = p.integer("port")
    if port is None:
        return None
    return ServicePort(
        port,
        p.span,
        target_port=_port(p.get("targetPort")),
        name=p.text("name") or "",
        protocol=p.text("protocol") or "TCP",
        node_port=p.integer("nodePort"),
    )


def _configmap(m: _Map, secret: bool) -> ConfigMap:
    name, namespace = _name_ns(m)
    keys = ("data", "stringData") if secret else ("data", "binaryData")
    entries = [
        DataEntry(k, t, _span(m.path, v))
        for key in keys
        if (sub := m.sub(key)) is not None
        for k, _, v in sub.entries()
        if (t := _text(v)) is not None
    ]
    return ConfigMap(name, namespace, m.path, _kind_span(m), data=tuple(entries), secret=secret)


def _other(m: _Map, kind: str, api: str) -> OtherObject:
    """PDB, HPA, Ingress, NetworkPolicy, CRDs...: identity plus selector and target."""
    name, namespace = _name_ns(m)
    spec = m.sub("spec")
    selector: tuple[tuple[str, str], ...] = ()
    target = ""
    if spec is not None:
        sel = spec.sub("selector") or spec.sub("podSelector")
        selector = sel.pairs("matchLabels") if sel is not None else ()
        ref = spec.sub("scaleTargetRef") or spec.sub("targetRef")
        target = f"{ref.text('kind') or ''}/{ref.text('name') or ''}" if ref is not None else ""
    return OtherObject(
        kind, name, namespace, api, m.path, _kind_span(m), target=target, selector=selector
    )


# --------------------------------------------------------------------------- compose

_COMPOSE_NAME = re.compile(r"(?:^|/)(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml\Z")
_COMPOSE_KEYS = frozenset(
    {
        "image",
        "build",
        "ports",
        "environment",
        "command",
        "entrypoint",
        "volumes",
        "depends_on",
        "networks",
        "healthcheck",
        "restart",
        "container_name",
        "env_file",
        "expose",
        "network_mode",
        "deploy",
        "extends",
        "profiles",
    }
)


def _compose_root(path: str, roots: list[_Map]) -> _Map | None:
    """The document that is a compose file: a ``services:`` mapping of service mappings."""
    named = bool(_COMPOSE_NAME.search(path))
    for root in roots:
        services = root.sub("services")
        if services is None:
            continue
        bodies = [_Map(v, path) for _, _, v in services.entries() if isinstance(v, MappingNode)]
        if named or any(k in _COMPOSE_KEYS for body in bodies for k in body.names()):
            return root
    return None


def _compose_manifests(path: str, root: _Map) -> Manifests:
    services = root.sub("services")
    out = [
        _compose_service(name, key, _Map(value, path))
        for name, key, value in (services.entries() if services is not None else ())
        if isinstance(value, MappingNode)
    ]
    return Manifests(path, compose=tuple(out), is_compose=True)


def _compose_service(name: str, key: Node, s: _Map) -> ComposeService:
    context, dockerfile = _build(s)
    network_mode, pid = s.text("network_mode"), s.text("pid")
    mem_limit, mem_key = s.text("mem_limit"), "mem_limit"
    if not mem_limit:
        mem_limit, mem_key = _deploy_memory(s), "deploy.resources.limits.memory"
    return ComposeService(
        name=name,
        path=s.path,
        span=_span(s.path, key),
        image=s.text("image"),
        image_span=s.value_span("image"),
        build_context=context,
        dockerfile=dockerfile,
        ports=_compose_ports(s),
        environment=_environment(s),
        network_mode=network_mode,
        pid=pid,
        mode_span=_mode_span(s, network_mode, pid),
        healthcheck=_healthcheck(s),
        depends_on=_depends_on(s),
        mem_limit=mem_limit,
        mem_limit_key=mem_key,
        user=s.text("user"),
        read_only=bool(s.flag("read_only")),
        privileged=bool(s.flag("privileged")),
        privileged_span=s.key_span("privileged"),
        cap_add=s.texts("cap_add"),
        cap_add_span=s.key_span("cap_add"),
        binds=_binds(s),
        writable=_writable(s),
        read_only_span=s.key_span("read_only"),
        depends_span=s.key_span("depends_on"),
        command=_compose_words(s, "command"),
        entrypoint=_compose_words(s, "entrypoint"),
        command_span=s.key_span("command"),
        entrypoint_span=s.key_span("entrypoint"),
        env_open=any(k in ("env_file", "extends") for k in s.names()),
    )


def _compose_words(s: _Map, key: str) -> tuple[str, ...] | None:
    """``command:``/``entrypoint:`` as words: a list as is, a string split like a
    shell would (compose does); None when not set or not readable."""
    v = s.get(key)
    if v is None:
        return None
    if isinstance(v, SequenceNode):
        return s.texts(key)
    text = _text(v)
    if text is None:
        return None
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return None


def _writable(s: _Map) -> tuple[str, ...]:
    """Targets of ``tmpfs:`` and of ``volumes:`` that are not read-only."""
    out: list[str] = []
    tmpfs = s.get("tmpfs")
    items = (
        [tmpfs] if isinstance(tmpfs, ScalarNode) else tmpfs.value
        if isinstance(tmpfs, SequenceNode) else []
    )  # fmt: skip
    out.extend(str(n.value).split(":", 1)[0] for n in items if isinstance(n, ScalarNode))
    node = s.get("volumes")
    for item in node.value if isinstance(node, SequenceNode) else []:
        if isinstance(item, ScalarNode):
            parts = str(item.value).split(":")
            if len(parts) == 1:
                out.append(parts[0])  # an anonymous volume
            elif "ro" not in (parts[2].split(",") if len(parts) > 2 else []):
                out.append(parts[1])
        elif isinstance(item, MappingNode):
            m = _Map(item, s.path)
            target = m.text("target")
            if target and not m.flag("read_only") and m.text("type") != "image":
                out.append(target)
    return tuple(t for t in out if t.startswith("/"))


def _is_host_path(source: str) -> bool:
    """Compose reads a short-syntax source as a host path when it starts with ``/``,
    ``.`` or ``~`` (anything else names a volume)."""
    return source.startswith(("/", ".", "~"))


def _binds(s: _Map) -> tuple[ComposeBind, ...]:
    """The host paths of ``volumes:``: ``src:dst[:ro]`` strings and ``type: bind``
    mappings."""
    node = s.get("volumes")
    if not isinstance(node, SequenceNode):
        return ()
    out: list[ComposeBind] = []
    for item in node.value:
        if isinstance(item, ScalarNode):
            parts = str(item.value).split(":")
            if len(parts) >= 2 and _is_host_path(parts[0]):
                mode = parts[2] if len(parts) > 2 else ""
                out.append(
                    ComposeBind(_span(s.path, item), parts[0], parts[1], "ro" in mode.split(","))
                )
        elif isinstance(item, MappingNode):
            m = _Map(item, s.path)
            source, target = m.text("source"), m.text("target")
            if m.text("type") == "bind" and source and target:
                out.append(
                    ComposeBind(_span(s.path, item), source, target, bool(m.flag("read_only")))
                )
    return tuple(out)


def _build(s: _Map) -> tuple[str | None, str | None]:
    """(context, dockerfile) from ``build: dir`` or ``build: {context, dockerfile}``."""
    build = s.sub("build")
    if build is None:
        return s.text("build"), None
    return build.text("context") or ".", build.text("dockerfile")


def _mode_span(s: _Map, network_mode: str | None, pid: str | None) -> Span | None:
    """Where ``network_mode``/``pid`` is set, preferring one that says ``host``."""
    if network_mode == "host" or (network_mode and pid != "host"):
        return s.key_span("network_mode")
    return s.key_span("pid") if pid else None


def _deploy_memory(s: _Map) -> str | None:
    limits = s.dig("deploy", "resources", "limits")
    return limits.text("memory") if limits is not None else None


def _compose_ports(s: _Map) -> tuple[ComposePort, ...]:
    node = s.get("ports")
    if not isinstance(node, SequenceNode):
        return ()
    out: list[ComposePort] = []
    for item in node.value:
        span = _span(s.path, item)
        if isinstance(item, MappingNode):
            out.append(_long_port(_Map(item, s.path)))
        elif (text := _text(item)) is not None:
            out.append(_short_port(text, span))
    return tuple(out)


def _long_port(p: _Map) -> ComposePort:
    return ComposePort(
        p.span,
        target=p.integer("target"),
        published=p.text("published"),
        host_ip=p.text("host_ip"),
        protocol=p.text("protocol") or "tcp",
    )


def _short_port(text: str, span: Span) -> ComposePort:
    """``[host_ip:][published:]target[/protocol]``; a range target gives ``target=None``."""
    spec, _, protocol = text.strip().partition("/")
    host_ip: str | None = None
    if spec.startswith("["):  # [::1]:80:8080
        end = spec.find("]")
        host_ip, spec = spec[1:end], spec[end + 2 :]
    parts = spec.rsplit(":", 2)
    if len(parts) == 3:
        host_ip, parts = parts[0], parts[1:]
    published = parts[0] if len(parts) == 2 else None
    target = parts[-1]
    return ComposePort(
        span,
        target=int(target) if target.isdigit() else None,
        published=published or None,
        host_ip=host_ip or None,
        protocol=protocol or "tcp",
    )


def _environment(s: _Map) -> tuple[EnvVar, ...]:
    """``environment`` as a mapping or a ``K=V`` list; an unset ``K`` has value None."""
    env = s.sub("environment")
    if env is not None:
        return tuple(EnvVar(k, _text(v), _span(s.path, key)) for k, key, v in env.entries())
    node = s.get("environment")
    if not isinstance(node, SequenceNode):
        return ()
    out: list[EnvVar] = []
    for item in node.value:
        text = _text(item)
        if text:
            name, eq, value = text.partition("=")
            out.append(EnvVar(name, value if eq else None, _span(s.path, item)))
    return tuple(out)


def _healthcheck(s: _Map) -> tuple[str, ...] | None:
    """The test command; ``()`` when disabled, None when the file sets no test."""
    hc = s.sub("healthcheck")
    if hc is None:
        return None
    if hc.flag("disable"):
        return ()
    test = hc.get("test")
    if isinstance(test, SequenceNode):
        argv = _texts(test)
        return () if argv[:1] == ("NONE",) else argv
    text = _text(test)
    return ("CMD-SHELL", text) if text else None


def _depends_on(s: _Map) -> tuple[tuple[str, str | None], ...]:
    deps = s.sub("depends_on")
    if deps is not None:
        return tuple(
            (name, _Map(v, s.path).text("condition") if isinstance(v, MappingNode) else None)
            for name, _, v in deps.entries()
        )
    return tuple((name, None) for name in s.texts("depends_on"))


def compose_documents(text: str) -> list[Node]:
    """The node tree of every document of ``text`` (the loader the facts use); raises
    ``yaml.YAMLError`` on bad YAML."""
    return _compose(text)


_OBJECT_KEYS = re.compile(r"^[ \t]*(?:-[ \t]+)?[\"']?(apiVersion|kind)[\"']?[ \t]*:", re.M)
_COMPOSE_NAME = re.compile(r"(?:docker-)?compose(?:\.[\w.-]+)?\.ya?ml\Z")
_MANIFEST_DIRS = frozenset({"k8s", "kubernetes", "kube", "manifests", "kustomize", "helm"})


def looks_like_manifest(path: str, text: str) -> bool:
    """Whether a YAML file that does not parse was meant as a Kubernetes manifest or a
    compose file (a DR000), rather than some other tool's YAML (a notice): it names
    ``apiVersion`` and ``kind``, it is a compose file by name, or it sits in a folder
    of manifests (``k8s/``, ``manifests/``, ...)."""
    keys = {m.group(1) for m in _OBJECT_KEYS.finditer(text)}
    parts = path.lower().split("/")
    return (
        {"apiVersion", "kind"} <= keys
        or bool(_COMPOSE_NAME.match(parts[-1]))
        or any(p in _MANIFEST_DIRS for p in parts[:-1])
    )
