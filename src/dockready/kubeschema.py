"""The Kubernetes OpenAPI schemas of a target version, as JSON Schema validators.

The schemas are those the ``kubernetes-validate`` package bundles (generated from
each release's OpenAPI document, "strict" flavour: unknown fields are errors, as
``kubectl apply``'s server-side field validation makes them). A validator is built
once per (version, kind, apiVersion) and kept for the run; the shared definitions
file of a version is read once.

Only objects of Kubernetes' own API groups are validated: an object whose
``apiVersion`` is not the one the schema of its kind declares (a CRD's kind that
happens to share a name, ``apps.example.com/v1 Deployment``) has no validator.
:data:`REMOVED` lists the API versions Kubernetes has removed, with their
replacements (https://kubernetes.io/docs/reference/using-api/deprecation-guide/).

:func:`problems` validates one object and says what is wrong in words that never
quote a value of the manifest, on the line of the offending field. The engine calls
it while parsing, for the version DR425 checks, so the cache keeps the result.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from dockready import linear
from dockready.facts.k8s import ObjectDoc, SchemaProblem
from dockready.model import Span
from dockready.schema import Check, ConfigError, show_value
from dockready.secrets import scrub

__all__ = [
    "REMOVED",
    "KubeVersion",
    "Removal",
    "latest",
    "problems",
    "removed",
    "supported",
    "validator",
]

_VERSION = re.compile(r"v?(1)\.([0-9]{1,3})(?:\.[0-9]+)?")
#: What an apiVersion and a kind look like (anything else has no schema file).
_API = linear.compile(r"[A-Za-z0-9.\-]+/[A-Za-z0-9]+|[A-Za-z0-9]+")
_KIND = linear.compile(r"[A-Za-z0-9]+")


@cache
def _schemas() -> Path | None:
    """The ``kubernetes-validate`` package's schema folder, found without importing
    the package (its ``__init__`` imports jsonschema: a warm run, whose objects were
    validated when they were parsed, need not)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


@cache
def _schema_dirs() -> dict[str, str]:
    """Minor version (``"1.30"``) → the package's strict schema folder name."""
    root = _schemas()
    try:
        names = [p.name for p in root.iterdir()] if root is not None else []
    except OSError:
        return {}
    out = {}
    for name in names:
        m = re.fullmatch(r"v([0-9]+)\.([0-9]+)\.[0-9]+-local-strict", name)
        if m:
            out[f"{m[1]}.{m[2]}"] = name
    return out


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def supported() -> list[str]:
    """The minor versions there are schemas for, oldest first."""
    return sorted(_schema_dirs(), key=_key)


def latest() -> str:
    """The newest version there are schemas for ("" when the package is missing)."""
    versions = supported()
    return versions[-1] if versions else ""


def minor(version: str) -> str | None:
    """``"v1.30.2"`` → ``"1.30"``; None when it is not a Kubernetes version."""
    m = _VERSION.fullmatch(version.strip())
    return f"{m[1]}.{int(m[2])}" if m else None


class KubeVersion(Check):
    """A Kubernetes version there are schemas for: ``"1.30"`` (``"v1.30.2"`` reads
    as 1.30). The empty string means the newest there are schemas for."""

    expected, plural = 'a Kubernetes version such as "1.30"', "Kubernetes versions"

    def __call__(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(value, where)
        if not value:
            return ""
        got = minor(value)
        versions = supported()
        if got is None:
            self.fail(value, where)
        if got not in versions:
            span = f"from {versions[0]} to {versions[-1]}" if versions else "(none installed)"
            raise ConfigError(
                f"{where}: no Kubernetes schemas for {show_value(value)}: "
                f"the installed kubernetes-validate has {span}"
            )
        return got


# --------------------------------------------------------------------------- removed APIs


class Removal(tuple[str, str]):
    """(the version that removed it, what to use instead)."""

    __slots__ = ()

    @property
    def version(self) -> str:
        return self[0]

    @property
    def instead(self) -> str:
        return self[1]


def _removals() -> dict[tuple[str, str], Removal]:
    table: dict[tuple[str, str], Removal] = {}

    def add(version: str, apis: tuple[str, ...], kinds: tuple[str, ...], instead: str) -> None:
        for api in apis:
            for kind in kinds:
                table[(api, kind)] = Removal((version, instead))

    workloads = ("Deployment", "DaemonSet", "ReplicaSet")
    add("1.16", ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"), workloads, "apps/v1")
    add("1.16", ("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), "apps/v1")
    add("1.16", ("extensions/v1beta1",), ("NetworkPolicy",), "networking.k8s.io/v1")
    add("1.16", ("extensions/v1beta1",), ("PodSecurityPolicy",), "Pod Security Admission")
    add(
        "1.22",
        ("extensions/v1beta1", "networking.k8s.io/v1beta1"),
        ("Ingress",),
        "networking.k8s.io/v1",
    )
    add("1.22", ("networking.k8s.io/v1beta1",), ("IngressClass",), "networking.k8s.io/v1")
    add(
        "1.22",
        ("apiextensions.k8s.io/v1beta1",),
        ("CustomResourceDefinition",),
        "apiextensions.k8s.io/v1",
    )
    add(
        "1.22",
        ("admissionregistration.k8s.io/v1beta1",),
        ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"),
        "admissionregistration.k8s.io/v1",
    )
    add("1.22", ("apiregistration.k8s.io/v1beta1",), ("APIService",), "apiregistration.k8s.io/v1")
    add(
        "1.22",
        ("certificates.k8s.io/v1beta1",),
        ("CertificateSigningRequest",),
        "certificates.k8s.io/v1",
    )
    add("1.22", ("coordination.k8s.io/v1beta1",), ("Lease",), "coordination.k8s.io/v1")
    add(
        "1.22",
        ("rbac.authorization.k8s.io/v1beta1",),
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        "rbac.authorization.k8s.io/v1",
    )
    add("1.22", ("scheduling.k8s.io/v1beta1",), ("PriorityClass",), "scheduling.k8s.io/v1")
    add(
        "1.22",
        ("storage.k8s.io/v1beta1",),
        ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
        "storage.k8s.io/v1",
    )
    add("1.25", ("batch/v1beta1",), ("CronJob",), "batch/v1")
    add("1.25", ("discovery.k8s.io/v1beta1",), ("EndpointSlice",), "discovery.k8s.io/v1")
    add("1.25", ("events.k8s.io/v1beta1",), ("Event",), "events.k8s.io/v1")
    add("1.25", ("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), "autoscaling/v2")
    add("1.25", ("policy/v1beta1",), ("PodDisruptionBudget",), "policy/v1")
    add("1.25", ("policy/v1beta1",), ("PodSecurityPolicy",), "Pod Security Admission")
    add("1.25", ("node.k8s.io/v1beta1",), ("RuntimeClass",), "node.k8s.io/v1")
    flow = ("FlowSchema", "PriorityLevelConfiguration")
    add(
        "1.26",
        ("flowcontrol.apiserver.k8s.io/v1beta1",),
        flow,
        "flowcontrol.apiserver.k8s.io/v1",
    )
    add("1.26", ("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), "autoscaling/v2")
    add("1.27", ("storage.k8s.io/v1beta1",), ("CSIStorageCapacity",), "storage.k8s.io/v1")
    add(
        "1.29",
        ("flowcontrol.apiserver.k8s.io/v1beta2",),
        flow,
        "flowcontrol.apiserver.k8s.io/v1",
    )
    add(
        "1.32",
        ("flowcontrol.apiserver.k8s.io/v1beta3",),
        flow,
        "flowcontrol.apiserver.k8s.io/v1",
    )
    return table


#: (apiVersion, kind) → when Kubernetes removed it and what replaces it.
REMOVED = _removals()


def removed(api_version: str, kind: str, version: str) -> Removal | None:
    """The removal of ``api_version`` ``kind`` if Kubernetes ``version`` no longer
    serves it."""
    r = REMOVED.get((api_version, kind))
    if r is None or _key(r.version) > _key(version):
        return None
    return r


# --------------------------------------------------------------------------- validators


def _read(version: str, name: str) -> Any:
    root = _schemas()
    assert root is not None  # a version is known only when the folder is there
    with (root / _schema_dirs()[version] / name).open("r", encoding="utf-8") as f:
        return json.load(f)


@cache
def _definitions(version: str) -> Any:
    from referencing import Resource

    return Resource.from_contents(_read(version, "_definitions.json"))


def _file_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's naming: ``rbac.authorization.k8s.io/v1`` Role →
    ``role-rbac-v1.json``; core ``v1`` Service → ``service-v1.json``."""
    group, _, ver = api_version.rpartition("/")
    group = group.split(".", 1)[0]
    return f"{kind.lower()}-{group}-{ver}.json" if group else f"{kind.lower()}-{ver}.json"


@cache
def validator(version: str, api_version: str, kind: str) -> Any:
    """A JSON Schema validator for ``kind`` of ``api_version`` in Kubernetes
    ``version``, or None when that version has no schema for exactly that kind and
    apiVersion (CRDs, unknown kinds, removed APIs)."""
    if version not in _schema_dirs() or not _API.fullmatch(api_version):
        return None
    if not _KIND.fullmatch(kind):
        return None
    try:
        schema = _read(version, _file_name(api_version, kind))
    except (OSError, ValueError):
        return None
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if api_version not in props.get("apiVersion", {}).get("enum", ()):
        return None
    if kind not in props.get("kind", {}).get("enum", ()):
        return None
    import jsonschema
    from referencing import Registry, Resource

    registry: Any = Resource.from_contents(schema) @ Registry()
    registry = _definitions(version) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


# --------------------------------------------------------------------------- problems

#: Keys only a strategic-merge patch holds: such an object is a patch, not a manifest.
_PATCH_KEYS = ('"$patch"', '"$setElementOrder', '"$retainKeys"', '"$deleteFromPrimitiveList')
#: A value a script substitutes before applying (``${PORT}``, ``{{port}}``, ``PORT``,
#: ``<port>``, ``__PORT__``, ``@PORT@``): in a field of the wrong type, not a mistake.
_PLACEHOLDER = linear.compile(
    r"(?s)[A-Z][A-Z0-9_]*|.*(?:\$\{|\$\(|\{\{|<[^>]*>|__[A-Za-z]|@[A-Za-z_]+@|%\().*"
)
#: JSON Schema's type names in words, and the Python type a JSON value of each has
#: (``bool`` before ``int``: a boolean is an int to Python).
_TYPES = {"integer": "an integer", "string": "a string", "boolean": "a boolean",
          "object": "a mapping", "array": "a list", "number": "a number"}  # fmt: skip
_PY_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
             (list, "array"), (dict, "object"))  # fmt: skip


def problems(doc: ObjectDoc, version: str) -> tuple[SchemaProblem, ...]:
    """What is wrong with ``doc`` against its kind's schema in Kubernetes
    ``version``, in the order of the fields' paths: nothing for an object that
    version has no schema for (a CRD's, a removed API's: see :func:`removed`), for a
    strategic-merge patch, and for a body that is not JSON or too deep."""
    if doc.checked_for == version:
        return doc.problems
    try:
        body = json.loads(doc.body)
    except (ValueError, RecursionError):
        return ()
    check = validator(version, doc.api_version, doc.kind)
    if check is None or any(k in doc.body for k in _PATCH_KEYS):
        return ()
    try:
        errors = sorted(check.iter_errors(body), key=lambda e: [str(p) for p in e.path])
    except RecursionError:
        return ()
    lines = line_map(body, doc.lines)
    out = []
    for e in errors:
        found = _problem(e)
        if found is not None:
            path, message = found
            out.append(SchemaProblem(_line(doc, lines, path), message, e.validator == "required"))
    return tuple(out)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "the object"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _pointer(path: tuple[Any, ...]) -> str:
    return "".join("/" + _escape(str(p)) for p in path)


def _children(pointer: str, value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{pointer}/{_escape(str(k))}", v
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield f"{pointer}/{i}", v


def line_map(body: object, spans: tuple[Span, ...]) -> dict[str, Span]:
    """JSON pointer → span, walking ``body`` depth-first in the order
    ``ObjectDoc.lines`` was written in (fields a List item inherits come last and
    have none)."""
    out: dict[str, Span] = {}
    it = iter(spans)
    stack = [_children("", body)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        span = next(it, None)
        if span is None:
            break
        out[child[0]] = span
        stack.append(_children(*child))
    return out


def _json_type(value: object) -> str:
    """What a JSON value is, in the words of ``_TYPES``."""
    return next((_TYPES[name] for t, name in _PY_TYPES if isinstance(value, t)), "null")


def _problem(e: Any) -> tuple[tuple[Any, ...], str] | None:
    """Where the error is (a path into the object) and what it is, in words that
    never quote a value of the manifest (a Secret's data may be what is wrong)."""
    path = tuple(e.absolute_path)
    kind = e.validator
    if kind == "additionalProperties" and isinstance(e.instance, dict):
        known = set(e.schema.get("properties", {}))
        extra = sorted(k for k in e.instance if k not in known)
        if extra:
            at = _dotted(path) if path else "the object's top level"
            near = {k.lower(): k for k in known}.get(extra[0].lower())
            hint = f" (did you mean `{near}`?)" if near else ""
            return (*path, extra[0]), f"unknown field `{extra[0]}` in {at}{hint}"
    if kind == "required":
        missing = next((str(r) for r in e.validator_value if r not in e.instance), "?")
        if any(str(k).lower() == missing.lower() for k in e.instance):
            return None  # misspelt, not missing: the unknown field says so
        where = f" in `{_dotted(path)}`" if path else ""
        return path, f"required field `{missing}` is missing{where}"
    if kind == "type" and isinstance(e.instance, str) and _PLACEHOLDER.fullmatch(e.instance):
        return None  # a template's placeholder, filled in before the manifest is applied
    if kind == "type":
        wanted = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        names = [_TYPES.get(str(t), str(t)) for t in wanted if t != "null"]
        return path, (
            f"`{_dotted(path)}` must be {' or '.join(names)}, not {_json_type(e.instance)}"
        )
    if kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in e.validator_value[:8] if v is not None)
        return path, f"`{_dotted(path)}` must be one of {allowed}"
    if kind in ("oneOf", "anyOf") and e.context:
        import jsonschema

        return _problem(jsonschema.exceptions.best_match(e.context))
    message = scrub(str(e.message))
    if len(message) > 160:
        message = message[:157] + "..."
    return path, f"`{_dotted(path)}`: {message}"


def _line(doc: ObjectDoc, lines: dict[str, Span], path: tuple[Any, ...]) -> Span:
    """The span of the deepest field of ``path`` the line map has."""
    for n in range(len(path), 0, -1):
        span = lines.get(_pointer(path[:n]))
        if span is not None:
            return span
    return doc.span
