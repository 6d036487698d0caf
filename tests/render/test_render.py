"""Helm charts and Kustomize overlays: rendered with the real engines (helm-python-sdk
or a helm binary, kubectl/kustomize), judged on their output, and every finding
traced back to the file a user edits."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_tree

from dockready import render
from dockready.cli import cli
from dockready.render import helm, kustomize, lines

# Skipped without the engines, except under CI (``CI`` set), where .ci/run installs
# them (helm-python-sdk with the test dependencies, kubectl) and a missing one fails.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
needs_helm = pytest.mark.skipif(
    helm.engine() is None and not IN_CI, reason="no Helm engine (pip install helm-python-sdk)"
)
needs_kustomize = pytest.mark.skipif(
    kustomize.tool() is None and not IN_CI, reason="neither kustomize nor kubectl on PATH"
)

CHART = "apiVersion: v2\nname: shop\nversion: 0.1.0\nappVersion: '1.2.3'\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
        - name: api
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""
VALUES = """\
replicaCount: 1
image:
  repository: registry.example.com/shop
  tag: latest
resources:
  limits:
    memory: 256Mi
"""


def run(*args: str) -> tuple[int, dict[str, Any], str]:
    r = CliRunner().invoke(cli, ["check", "--format", "json", *args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise AssertionError("dockready raised") from r.exception
    doc = json.loads(r.stdout) if r.exit_code in (0, 1) else {}
    return r.exit_code, doc, r.stderr


def found(doc: dict[str, Any], rule: str) -> list[tuple[str, int]]:
    return sorted((f["path"], f["line"]) for f in doc["findings"] if f["id"] == rule)


def notices(doc: dict[str, Any]) -> str:
    return "\n".join(f"{n['path']}: {n['message']}" for n in doc["notices"])


# ---------------------------------------------------------------------------- lines


def test_align_maps_rendered_lines_to_the_template_lines_that_wrote_them() -> None:
    template = "a: 1\n{{- if .Values.x }}\nb: {{ .Values.b }}\n{{- end }}\nc:\n  {{- toYaml .Values.c | nindent 2 }}\nd: 4\n"
    rendered = "a: 1\nb: 2\nc:\n  x: 1\n  y: 2\nd: 4\n"
    m = lines.align(template, rendered)
    assert m[1] == 1  # a
    assert m[2] == 3  # b, below an if that printed nothing
    assert m[3] == 5  # c
    assert m[4] == m[5] == 6  # the toYaml block
    assert m[6] == 7  # d


def test_key_paths_name_list_items_by_name() -> None:
    doc = lines.key_paths("spec:\n  containers:\n    - name: api\n      image: x\n")[0]
    assert doc.lines[4] == ("spec", "containers", "[api]", "image")
    assert doc.paths[("spec", "containers", "[api]")] == 3


# ----------------------------------------------------------------------------- Helm


@needs_helm
def test_chart_findings_point_at_templates_and_values(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES,
            "chart/templates/deployment.yaml": DEPLOYMENT,
        },
    )
    code, doc, _ = run(str(repo))
    assert code in (0, 1)
    # the container is where the template writes it
    assert ("chart/templates/deployment.yaml", 16) in found(doc, "DR410")
    # a value printed by the template is reported where it is set, the template related
    tag = [f for f in doc["findings"] if f["id"] == "DR414"]
    assert [(f["path"], f["line"]) for f in tag] == [("chart/values.yaml", 4)]
    assert tag[0]["related"][0]["path"] == "chart/templates/deployment.yaml"
    assert tag[0]["related"][0]["line"] == 17
    assert not found(doc, "DR000")


@needs_helm
def test_helm_values_files_apply_in_order(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES,
            "chart/values-prod.yaml": "image:\n  tag: 1.2.3\n",
            "chart/templates/deployment.yaml": DEPLOYMENT,
        },
    )
    _, doc, _ = run(str(repo), "--helm-values", str(repo / "chart/values-prod.yaml"))
    assert not found(doc, "DR414")
    config = '[tool]\nhelm-values = ["chart/values-prod.yaml"]\n'.replace("[tool]\n", "")
    (repo / ".dockready.toml").write_text(config, encoding="utf-8")
    _, doc, _ = run(str(repo))
    assert not found(doc, "DR414")
    (repo / ".dockready.toml").unlink()
    _, doc, _ = run(str(repo))
    assert found(doc, "DR414") == [("chart/values.yaml", 4)]


def test_helm_values_that_fit_no_chart_are_a_usage_error(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "v.yaml": "a: 1\n"})
    code, _, err = run(str(repo), "--helm-values", str(repo / "v.yaml"))
    assert code == 2
    assert "cannot tell which chart" in err


@needs_helm
def test_a_chart_that_cannot_render_is_a_notice(tmp_path: Path) -> None:
    bad = DEPLOYMENT.replace(
        "{{ .Values.replicaCount }}", '{{ required "replicaCount is required" .Values.nope }}'
    )
    repo = write_tree(
        tmp_path,
        {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES, "chart/templates/d.yaml": bad},
    )
    code, doc, _ = run(str(repo))
    assert code == 0
    assert "chart/Chart.yaml: Helm chart chart: cannot render" in notices(doc)
    assert "replicaCount is required" in notices(doc)
    assert not doc["findings"]


@needs_helm
def test_subcharts_render_with_their_parent_and_test_hooks_are_skipped(tmp_path: Path) -> None:
    hook = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n"
        '    "helm.sh/hook": test\nspec:\n  containers:\n    - name: t\n      image: busybox\n'
    )
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES,
            "chart/templates/deployment.yaml": DEPLOYMENT,
            "chart/templates/tests/t.yaml": hook,
            "chart/charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
            "chart/charts/cache/values.yaml": VALUES.replace("shop", "cache"),
            "chart/charts/cache/templates/deployment.yaml": DEPLOYMENT,
        },
    )
    _, doc, _ = run(str(repo))
    assert ("chart/charts/cache/values.yaml", 4) in found(doc, "DR414")
    assert not [f for f in doc["findings"] if "tests/t.yaml" in f["path"]]
    # rendered once, as part of its parent: one finding per template line
    paths = [p for p, _ in found(doc, "DR410")]
    assert paths.count("chart/charts/cache/templates/deployment.yaml") == 1


def test_without_an_engine_templates_are_skipped_with_a_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helm, "engine", lambda: None)
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES,
            "chart/templates/d.yaml": DEPLOYMENT,
        },
    )
    code, doc, _ = run(str(repo))
    assert code == 0
    assert "templates not checked (no Helm engine: install helm" in notices(doc)
    assert not doc["findings"]


def test_no_render_skips_charts_and_overlays(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES,
            "chart/templates/d.yaml": DEPLOYMENT,
            "k/kustomization.yaml": "resources: []\n",
        },
    )
    _, doc, _ = run(str(repo), "--no-render")
    text = notices(doc)
    assert "Helm chart chart: templates not checked (rendering is off (--no-render))" in text
    assert "Kustomize overlay k: not built (rendering is off" in text


# ------------------------------------------------------------------------ Kustomize

BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"""


def overlay(name: str, patch: str | None = None, extra: str = "") -> dict[str, str]:
    k = f"namespace: {name}\nresources:\n  - ../../base\n{extra}"
    files = {}
    if patch is not None:
        k += "patches:\n  - path: patch.yaml\n"
        files[f"k8s/overlays/{name}/patch.yaml"] = patch
    files[f"k8s/overlays/{name}/kustomization.yaml"] = k
    return files


@needs_kustomize
def test_overlays_are_judged_on_their_build_and_traced_to_base_and_patch(tmp_path: Path) -> None:
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n"
        "          securityContext:\n            allowPrivilegeEscalation: true\n"
    )
    repo = write_tree(
        tmp_path,
        {
            "k8s/base/deploy.yaml": BASE,
            "k8s/base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
            **overlay(
                "prod", patch, "images:\n  - name: registry.example.com/api\n    newTag: latest\n"
            ),
            **overlay("staging"),
        },
    )
    _, doc, _ = run(str(repo))
    # a defect both overlays share is reported once, at the base
    assert found(doc, "DR403") == [("k8s/base/deploy.yaml", 16)]
    # a value a patch sets is reported at the patch
    assert ("k8s/overlays/prod/patch.yaml", 11) in found(doc, "DR410")
    # the image tag an overlay's images: entry sets is reported there
    assert found(doc, "DR414") == [("k8s/overlays/prod/kustomization.yaml", 5)]
    # the patch is never judged as an object of its own
    assert not [
        f
        for f in doc["findings"]
        if f["path"].endswith("patch.yaml") and f["id"] == "DR401" and f["line"] == 1
    ]


@needs_kustomize
def test_an_overlay_that_cannot_build_leaves_its_files_to_be_checked_alone(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            "k8s/base/deploy.yaml": BASE,
            "k8s/base/kustomization.yaml": "resources:\n  - deploy.yaml\n  - missing.yaml\n",
        },
    )
    code, doc, _ = run(str(repo))
    assert code in (0, 1)
    assert "Kustomize overlay k8s/base: cannot build" in notices(doc)
    assert ("k8s/base/deploy.yaml", 16) in found(doc, "DR403")


def test_tops_are_the_kustomizations_nothing_includes(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            "k8s/base/deploy.yaml": BASE,
            "k8s/base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
            **overlay("prod"),
        },
    )
    ks = [
        k
        for r in ("k8s/base/kustomization.yaml", "k8s/overlays/prod/kustomization.yaml")
        if (k := kustomize.read(repo, r)) is not None
    ]
    assert [k.dir for k in kustomize.tops(ks)] == ["k8s/overlays/prod"]
    assert ks[0].files == ["k8s/base/deploy.yaml"]
    assert ks[1].dirs == ["k8s/base"]


def test_chart_dirs_leave_out_vendored_subcharts() -> None:
    rels = ["a/Chart.yaml", "a/charts/b/Chart.yaml", "c/Chart.yaml", "x.yaml"]
    assert render.chart_dirs(rels) == ["a", "c"]


def test_kustomize_tool_prefers_kustomize(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda n: f"/usr/bin/{n}")
    assert kustomize.tool() == ["kustomize", "build"]
    monkeypatch.setattr(shutil, "which", lambda n: "/usr/bin/kubectl" if n == "kubectl" else None)
    assert kustomize.tool() == ["kubectl", "kustomize"]
    monkeypatch.setattr(shutil, "which", lambda n: None)
    assert kustomize.tool() is None


def test_render_config_keys_are_validated(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path, {"Dockerfile": "FROM scratch\n", ".dockready.toml": 'render = "no"\n'}
    )
    code, _, err = run(str(repo))
    assert code == 2
    assert "render: expected true or false" in err
    (repo / ".dockready.toml").write_text('helm-values = ["/etc/values.yaml"]\n')
    code, _, err = run(str(repo))
    assert code == 2
    assert "helm-values" in err


@needs_helm
def test_copies_of_a_workload_are_reported_once(tmp_path: Path) -> None:
    """The same Deployment as a raw manifest and as a chart: one finding per defect,
    at the plain file, the chart's copy related; a different workload stays apart."""
    raw = DEPLOYMENT.replace("{{ .Release.Name }}", "shop").replace(
        "{{ .Values.replicaCount }}", "1"
    )
    raw = raw.replace('"{{ .Values.image.repository }}:{{ .Values.image.tag }}"', "x:1.0")
    raw = raw.split("          {{- with")[0]
    other = raw.replace("name: shop", "name: billing")
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES,
            "chart/templates/deployment.yaml": DEPLOYMENT,
            "k8s/shop.yaml": raw,
            "k8s/billing.yaml": other,
        },
    )
    _, doc, _ = run(str(repo))
    dr410 = [f for f in doc["findings"] if f["id"] == "DR410"]
    assert sorted((f["path"], f["line"]) for f in dr410) == [
        ("k8s/billing.yaml", 16),
        ("k8s/shop.yaml", 16),
    ]
    shop = next(f for f in dr410 if f["path"] == "k8s/shop.yaml")
    assert ("chart/templates/deployment.yaml", 16) in {
        (r["path"], r["line"]) for r in shop["related"]
    }


def test_components_are_never_built_alone(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            "k/base/kustomization.yaml": "resources: []\n",
            "k/components/tls/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches: []\n"
            ),
        },
    )
    ks = [
        k
        for r in ("k/base/kustomization.yaml", "k/components/tls/kustomization.yaml")
        if (k := kustomize.read(repo, r)) is not None
    ]
    assert [k.dir for k in kustomize.tops(ks)] == ["k/base"]


def test_kubectl_errors_lose_their_log_prefix() -> None:
    line = (
        'E1204 05:02:19.978953   26487 run.go:72] "command failed" '
        'err="no resource matches strategic merge patch \\"Deployment.v1.apps/x\\""'
    )
    assert (
        kustomize._message(line)
        == 'no resource matches strategic merge patch "Deployment.v1.apps/x"'
    )
    # the long form: the error on indented lines between ``err=<`` and `` >``
    long = (
        'E1204 15:39:07.163846   21328 run.go:72] "command failed" err=<\n'
        "\taccumulating resources: accumulation err='accumulating resources from "
        "'https://example.com/m.yaml': no such host'\n"
        "\t: exit status 128\n >\n"
    )
    assert kustomize._message(long) == (
        "accumulating resources: accumulation err='accumulating resources from "
        "'https://example.com/m.yaml': no such host': exit status 128"
    )
    assert kustomize._message("Error: no kustomization file\n") == "no kustomization file"
    assert kustomize._message("") == ""


@needs_helm
def test_a_chart_that_needs_values_renders_with_its_ci_values(tmp_path: Path) -> None:
    bad = DEPLOYMENT.replace(
        "{{ .Values.replicaCount }}", '{{ required "set replicaCount" .Values.replicaCount }}'
    )
    repo = write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": CHART,
            "chart/values.yaml": VALUES.replace("replicaCount: 1\n", ""),
            "chart/ci/a-values.yaml": "replicaCount: 2\n",
            "chart/templates/deployment.yaml": bad,
        },
    )
    _, doc, _ = run(str(repo))
    assert "rendered with chart/ci/a-values.yaml (its defaults do not render" in notices(doc)
    assert ("chart/templates/deployment.yaml", 16) in found(doc, "DR410")
