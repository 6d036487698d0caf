"""Helm charts, rendered with Helm's own engine.

``helm template`` when a ``helm`` binary is on PATH; otherwise Helm's Go SDK in
process through PyPI's ``helm-python-sdk`` (the extra ``dockready[helm]``). The SDK
runs in a child Python process: it is a Go runtime, and so is the Dockerfile
parser, and two Go runtimes must not share one process. With neither, the chart's
templates are skipped with one notice.

Both give template path → rendered text. Helm names a template by the chart's
*name* (``api/templates/deployment.yaml``, ``api/charts/redis/templates/...``); the
chart's folder is what the repository has, so the first segment is replaced by it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TIMEOUT = 120
_SOURCE = "# Source: "


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart folder (POSIX, relative to the root) and its ``Chart.yaml`` name."""

    dir: str
    name: str
    library: bool = False


@dataclass(slots=True)
class Rendering:
    """One chart's output: repository path of each template → its rendered text, or
    ``error`` (Helm's message) when the chart could not be rendered."""

    chart: Chart
    templates: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    engine: str = ""


def read_chart(root: Path, chart_dir: str) -> Chart | None:
    """The chart at ``chart_dir``, or None when its Chart.yaml is not a chart."""
    try:
        data = yaml.safe_load((root / chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    return Chart(chart_dir, data["name"], data.get("type") == "library")


def engine() -> str | None:
    """``helm`` (the binary on PATH), ``sdk`` (helm-python-sdk importable), or None."""
    if shutil.which("helm"):
        return "helm"
    try:
        import importlib.util

        if importlib.util.find_spec("helm_python") is not None:
            return "sdk"
    except (ImportError, ValueError):
        pass
    return None


def render(
    root: Path, charts: list[Chart], values: dict[str, list[str]], how: str
) -> list[Rendering]:
    """Render every chart with its default values plus ``values[chart.dir]`` (value
    files, in order, relative to the root)."""
    if how == "helm":
        return [_render_binary(root, c, values.get(c.dir, [])) for c in charts]
    return _render_sdk(root, charts, values)


def _to_repo(chart: Chart, source: str) -> str:
    """``api/templates/x.yaml`` → ``deploy/chart/templates/x.yaml``."""
    rest = source.split("/", 1)[1] if "/" in source else source
    return rest if chart.dir == "." else f"{chart.dir}/{rest}"


def _render_binary(root: Path, chart: Chart, values: list[str]) -> Rendering:
    out = Rendering(chart, engine="helm")
    cmd = ["helm", "template", chart.name, str(root / chart.dir), "--namespace", "default"]
    for v in values:
        cmd += ["--values", str(root / v)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        out.error = f"helm template failed: {e}"
        return out
    if p.returncode != 0:
        out.error = _first_line(p.stderr) or f"helm template exited {p.returncode}"
        return out
    current: str | None = None
    parts: dict[str, list[str]] = {}
    for ln in p.stdout.splitlines(keepends=True):
        if ln.startswith(_SOURCE):
            current = _to_repo(chart, ln[len(_SOURCE) :].strip())
            parts.setdefault(current, []).append("---\n")
            continue
        if current is not None:
            parts[current].append(ln)
    out.templates = {k: "".join(v) for k, v in parts.items()}
    return out


def _render_sdk(root: Path, charts: list[Chart], values: dict[str, list[str]]) -> list[Rendering]:
    request = [
        {
            "dir": str(root / c.dir),
            "name": c.name,
            "values": [str(root / v) for v in values.get(c.dir, [])],
        }
        for c in charts
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        p = subprocess.run(
            [sys.executable, "-m", "dockready.render._helm_child"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env=env,
        )
        answers = json.loads(p.stdout) if p.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
        answers, p_err = None, str(e)
    else:
        p_err = _first_line(p.stderr)
    out = []
    for i, c in enumerate(charts):
        r = Rendering(c, engine="helm-python-sdk")
        a = answers[i] if isinstance(answers, list) and i < len(answers) else None
        if not isinstance(a, dict):
            r.error = p_err or "helm-python-sdk gave no answer"
        elif "error" in a:
            r.error = str(a["error"])
        else:
            r.templates = {
                _to_repo(c, k): v
                for k, v in a["templates"].items()
                if isinstance(v, str) and k.endswith((".yaml", ".yml", ".json"))
            }
        out.append(r)
    return out


def _first_line(text: str) -> str:
    for ln in text.splitlines():
        if ln.strip():
            return ln.strip()[:300]
    return ""
