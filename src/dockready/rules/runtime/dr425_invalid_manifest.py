"""DR425 invalid-manifest: a manifest the target Kubernetes version rejects."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dockready import kubeschema, linear
from dockready.facts.k8s import ObjectDoc
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, option, rule
from dockready.secrets import scrub

#: Findings per object at most (a wholly wrong object is one problem, not fifty).
MAX_PER_OBJECT = 5
#: Keys only a strategic-merge patch holds: such an object is a patch, not a manifest.
_PATCH_KEYS = ('"$patch"', '"$setElementOrder', '"$retainKeys"', '"$deleteFromPrimitiveList')
#: A value a script substitutes before applying (``${PORT}``, ``{{port}}``, ``PORT``,
#: ``<port>``, ``__PORT__``, ``@PORT@``): in a field of the wrong type, not a mistake.
_PLACEHOLDER = linear.compile(
    r"(?s)[A-Z][A-Z0-9_]*|.*(?:\$\{|\$\(|\{\{|<[^>]*>|__[A-Za-z]|@[A-Za-z_]+@|%\().*"
)
_KUSTOMIZATIONS = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_TYPES = {"integer": "an integer", "string": "a string", "boolean": "a boolean",
          "object": "a mapping", "array": "a list", "number": "a number"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class KubeTarget:
    kube_version: str = option(
        "",
        kubeschema.KubeVersion(),
        'the Kubernetes version manifests must be valid for ("1.30"); the top-level '
        "`kube-version` key and `--kube-version` set it too; empty: the newest "
        "version the installed schemas cover",
    )


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


def _line_map(body: object, spans: tuple[Span, ...]) -> dict[str, Span]:
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
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


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


def _patch_dirs(paths: frozenset[str]) -> frozenset[str]:
    """The folders that hold a kustomization (its patches are partial objects)."""
    return frozenset(
        posixpath.dirname(p) for p in paths if posixpath.basename(p) in _KUSTOMIZATIONS
    )


def _under(path: str, dirs: frozenset[str]) -> bool:
    d = posixpath.dirname(path)
    while True:
        if d in dirs:
            return True
        if not d:
            return False
        d = posixpath.dirname(d)


def _check(doc: ObjectDoc, version: str, partial: bool) -> Iterator[Hit]:
    what = f"{doc.kind} {doc.name}".rstrip()
    try:
        body = json.loads(doc.body)
    except (ValueError, RecursionError):
        return
    lines = _line_map(body, doc.lines)
    gone = kubeschema.removed(doc.api_version, doc.kind, version)
    if gone is not None:
        yield Hit(
            lines.get("/apiVersion", doc.span),
            f"{what}: {doc.api_version} {doc.kind} was removed in Kubernetes "
            f"{gone.version}: use {gone.instead}",
        )
        return
    validator = kubeschema.validator(version, doc.api_version, doc.kind)
    if validator is None:
        return  # a CRD, an unknown kind or apiVersion: not ours to judge
    if any(k in doc.body for k in _PATCH_KEYS):
        return  # a strategic-merge patch
    try:
        errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.path])
    except RecursionError:
        return
    seen: set[tuple[int, str]] = set()
    for e in errors:
        if partial and e.validator == "required":
            continue  # maybe a Kustomize patch, which names only what it changes
        problem = _problem(e)
        if problem is None:
            continue
        path, message = problem
        span = _line(doc, lines, path)
        if (span.line, message) in seen:
            continue
        seen.add((span.line, message))
        yield Hit(span, f"{what}: {message} (Kubernetes {version} schema)")
        if len(seen) >= MAX_PER_OBJECT:
            return


@rule(
    id="DR425",
    name="invalid-manifest",
    severity=Severity.ERROR,
    reads=(Input.K8S,),
    options=KubeTarget,
)
def invalid_manifest(ctx: Context[KubeTarget]) -> Iterator[Hit]:
    """
    ## What it does
    Validates every Kubernetes object against the OpenAPI schema of its kind in the
    target Kubernetes version, and reports objects whose `apiVersion` that version
    no longer serves, naming the replacement (`autoscaling/v2beta2` →
    `autoscaling/v2` from 1.26, `policy/v1beta1` PodDisruptionBudget → `policy/v1`
    from 1.25, `extensions/v1beta1` Deployment → `apps/v1`...). Schema errors are
    reported on the line of the offending field: an unknown (misspelt or misplaced)
    field, a value of the wrong type (`replicas: "2"`), a value outside its enum, a
    missing required field. At most five per object. In a folder under a
    kustomization, where a file may be a patch that names only what it changes,
    missing fields are not reported; strategic-merge patches (`$patch: delete`) are
    skipped.

    The target version is the `kube-version` setting (top-level in
    `.dockready.toml`, `[rules.DR425]`, or `--kube-version` on `check`); unset, the
    newest version the installed schemas (the `kubernetes-validate` package) cover.
    Objects of kinds Kubernetes does not define (custom resources, CRD instances)
    and apiVersions it never had are skipped. Helm charts and Kustomize overlays are
    validated as rendered, and reported in the file that sets the field.

    ## Why is this bad?
    The API server refuses the object: `kubectl apply` fails with `no matches for
    kind "Deployment" in version "extensions/v1beta1"` or `strict decoding error:
    unknown field`, a Helm release fails half-way, and a GitOps controller reports
    the application out of sync. Removed APIs break on the cluster upgrade, long
    after the manifest was last touched.

    ## Example
    ```yaml
    apiVersion: autoscaling/v2beta2
    kind: HorizontalPodAutoscaler
    ---
    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: "2"
      template:
        spec:
          containers:
            - name: orders
              ports:
                - containerport: 8080
    ```

    ## Use instead
    ```yaml
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    ---
    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: 2
      template:
        spec:
          containers:
            - name: orders
              ports:
                - containerPort: 8080
    ```

    ## Fix safety
    Moving to a replacement API can need more than the `apiVersion` line: fields
    were renamed (`autoscaling/v2` metrics, `networking.k8s.io/v1` Ingress
    backends); `kubectl convert` rewrites an object.

    ## References
    - [Kubernetes: Deprecated API Migration Guide](https://kubernetes.io/docs/reference/using-api/deprecation-guide/)
    - [kubernetes-validate](https://github.com/willthames/kubernetes-validate)
    - [Kubernetes: Field validation](https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation)
    """
    version = ctx.options.kube_version or kubeschema.latest()
    if not version:
        return
    kustomized = _patch_dirs(ctx.index.all_paths)
    for m in ctx.index.manifests:
        for doc in m.documents:
            yield from _check(doc, version, _under(doc.path, kustomized))
