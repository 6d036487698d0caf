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
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from dockready import linear
from dockready.schema import Check, ConfigError, show_value

__all__ = [
    "REMOVED",
    "KubeVersion",
    "Removal",
    "latest",
    "removed",
    "supported",
    "validator",
]

_VERSION = re.compile(r"v?(1)\.([0-9]{1,3})(?:\.[0-9]+)?")
#: What an apiVersion and a kind look like (anything else has no schema file).
_API = linear.compile(r"[A-Za-z0-9.\-]+/[A-Za-z0-9]+|[A-Za-z0-9]+")
_KIND = linear.compile(r"[A-Za-z0-9]+")


@cache
def _schema_dirs() -> dict[str, str]:
    """Minor version (``"1.30"``) → the package's strict schema folder name."""
    try:
        root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
        names = [p.name for p in root.iterdir()]
    except (ModuleNotFoundError, OSError):
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
    folder = _schema_dirs()[version]
    ref = resources.files("kubernetes_validate") / "kubernetes-json-schema" / folder / name
    with ref.open("r", encoding="utf-8") as f:
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
