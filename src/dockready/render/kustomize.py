"""Kustomize overlays, built with ``kustomize build`` or ``kubectl kustomize``.

An overlay is judged on what it builds; a base that an overlay includes is not
judged alone. Each built object is traced back to the file a user edits: Kustomize
itself says which resource file an object came from (the ``originAnnotations``
build option, asked for through a throwaway kustomization that includes the
overlay), and a line of the built object is found again, by its key path, in the
patches the overlays apply or else in that resource file.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dockready.render import lines

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TIMEOUT = 120
_ORIGIN = "config.kubernetes.io/origin"


@dataclass(slots=True)
class Kustomization:
    """One ``kustomization.yaml``: what it includes (POSIX, relative to the root)."""

    path: str
    dir: str
    component: bool = False  # kind: Component: only ever built inside an overlay
    dirs: list[str] = field(default_factory=list)  # bases and components it includes
    files: list[str] = field(default_factory=list)  # resource files it includes
    patches: list[str] = field(default_factory=list)  # patch files it applies
    images: dict[str, int] = field(default_factory=dict)  # images: name → line
    remote: bool = False  # includes something that is not in the repository


@dataclass(slots=True)
class Built:
    """One overlay's output: each document's text and the resource file it came from."""

    top: Kustomization
    docs: list[tuple[str, str | None]] = field(default_factory=list)
    error: str | None = None


def tool() -> list[str] | None:
    """The command that builds a kustomization folder, or None."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def read(root: Path, path: str) -> Kustomization | None:
    try:
        text = (root / path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    here = posixpath.dirname(path) or "."
    k = Kustomization(path, here, component=data.get("kind") == "Component")
    for key in ("resources", "bases", "components"):
        for item in _strings(data.get(key)):
            if "://" in item or item.startswith(("github.com/", "git@")):
                k.remote = True
                continue
            rel = posixpath.normpath(posixpath.join(here, item))
            if (root / rel).is_dir():
                k.dirs.append(rel)
            else:
                k.files.append(rel)
    for item in _strings(data.get("patchesStrategicMerge")):
        k.patches.append(posixpath.normpath(posixpath.join(here, item)))
    for key in ("patches", "patchesJson6902"):
        for p in data.get(key) or []:
            if isinstance(p, dict) and isinstance(p.get("path"), str):
                k.patches.append(posixpath.normpath(posixpath.join(here, p["path"])))
    paths = lines.inverse({ln: p for d in lines.key_paths(text) for ln, p in d.lines.items()})
    for img in data.get("images") or []:
        if isinstance(img, dict) and isinstance(img.get("name"), str):
            line = paths.get(("images", f"[{img['name']}]"))
            if line is not None:
                k.images[img["name"]] = line
    return k


def _strings(v: object) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def tops(all_k: list[Kustomization]) -> list[Kustomization]:
    """The kustomizations no other one includes: the overlays a user deploys."""
    included = {d for k in all_k for d in k.dirs}
    return [k for k in all_k if k.dir not in included and not k.component]


def chain(k: Kustomization, by_dir: dict[str, Kustomization]) -> list[Kustomization]:
    """``k`` and every kustomization it includes, innermost first."""
    out: list[Kustomization] = []
    seen: set[str] = set()

    def visit(x: Kustomization) -> None:
        if x.dir in seen:
            return
        seen.add(x.dir)
        for d in x.dirs:
            sub = by_dir.get(d)
            if sub is not None:
                visit(sub)
        out.append(x)

    visit(k)
    return out


def build(root: Path, k: Kustomization, cmd: list[str]) -> Built:
    out = Built(k)
    target = root / k.dir
    plain = _run([*cmd, str(target)])
    if isinstance(plain, Exception):
        out.error = str(plain)
        return out
    origins: list[str | None] = []
    with tempfile.TemporaryDirectory(prefix="dockready-kustomize-") as tmp:
        rel = Path(_relpath(target, Path(tmp)))
        (Path(tmp) / "kustomization.yaml").write_text(
            f"resources:\n  - {rel.as_posix()}\nbuildMetadata: [originAnnotations]\n",
            encoding="utf-8",
        )
        traced = _run([*cmd, "--load-restrictor", "LoadRestrictionsNone", tmp])
        if not isinstance(traced, Exception):
            for _, doc in lines.documents(traced):
                origins.append(_origin(doc, Path(tmp), root))
    docs = [d for _, d in lines.documents(plain)]
    if len(origins) != len(docs):
        origins = [None] * len(docs)
    out.docs = list(zip(docs, origins, strict=True))
    return out


def _relpath(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start.resolve())


def _origin(doc: str, tmp: Path, root: Path) -> str | None:
    try:
        data = yaml.safe_load(doc)
        ann = data["metadata"]["annotations"][_ORIGIN]
        src = yaml.safe_load(ann)["path"]
    except (yaml.YAMLError, KeyError, TypeError):
        return None
    if not isinstance(src, str):
        return None
    full = Path(os.path.normpath(tmp.resolve() / src))
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _run(cmd: list[str]) -> str | Exception:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return e
    if p.returncode != 0:
        return RuntimeError(_message(p.stderr)[:300] or f"{cmd[0]} exited {p.returncode}")
    return p.stdout


_KLOG = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=(?:"(.*)"|<)$')


def _message(stderr: str) -> str:
    """kubectl's error without its log prefix: ``E1204 05:02:19.97 2648 run.go:72]
    "command failed" err="..."`` is the quoted error; ``err=<`` is followed by the
    error on indented lines, up to a line `` >``."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if not lines:
        return ""
    m = _KLOG.match(lines[0])
    if m is None:
        return lines[0].removeprefix("Error: ")
    if m.group(1) is not None:
        return m.group(1).replace('\\"', '"')
    body = [ln for ln in lines[1:] if ln != ">"]
    return " ".join(body).replace(" : ", ": ")
