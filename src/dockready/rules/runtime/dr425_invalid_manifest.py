"""DR425 invalid-manifest: a manifest the target Kubernetes version rejects."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from dockready import kubeschema
from dockready.facts.k8s import ObjectDoc
from dockready.model import Severity, Span
from dockready.rules.registry import Context, Hit, Input, option, rule

#: Findings per object at most (a wholly wrong object is one problem, not fifty).
MAX_PER_OBJECT = 5
_KUSTOMIZATIONS = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


@dataclass(frozen=True, slots=True)
class KubeTarget:
    kube_version: str = option(
        "",
        kubeschema.KubeVersion(),
        'the Kubernetes version manifests must be valid for ("1.30"); the top-level '
        "`kube-version` key and `--kube-version` set it too; empty: the newest "
        "version the installed schemas cover",
    )


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


def _api_line(doc: ObjectDoc) -> Span:
    try:
        body = json.loads(doc.body)
    except (ValueError, RecursionError):
        return doc.span
    return kubeschema.line_map(body, doc.lines).get("/apiVersion", doc.span)


def _check(doc: ObjectDoc, version: str, partial: bool) -> Iterator[Hit]:
    what = f"{doc.kind} {doc.name}".rstrip()
    gone = kubeschema.removed(doc.api_version, doc.kind, version)
    if gone is not None:
        yield Hit(
            _api_line(doc),
            f"{what}: {doc.api_version} {doc.kind} was removed in Kubernetes "
            f"{gone.version}: use {gone.instead}",
        )
        return
    seen: set[tuple[int, str]] = set()
    for p in kubeschema.problems(doc, version):  # found while parsing, when it could be
        if partial and p.required:
            continue  # maybe a Kustomize patch, which names only what it changes
        if (p.span.line, p.message) in seen:
            continue
        seen.add((p.span.line, p.message))
        yield Hit(p.span, f"{what}: {p.message} (Kubernetes {version} schema)")
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
