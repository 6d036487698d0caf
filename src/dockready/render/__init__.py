"""Manifests that exist only once a tool has built them: Helm charts and Kustomize
overlays. Each is rendered with its ecosystem's own engine, parsed like any
manifest, and every line is traced back to the file a user edits (a template, a
``values.yaml`` key, a base or a patch). Nothing here decides a finding.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dockready.facts.k8s import Manifests, Workload
from dockready.model import Notice, Span
from dockready.parse.yamlfiles import parse_yaml
from dockready.render import helm, kustomize, lines

__all__ = ["Output", "render_all"]

_INSTALL = "install helm, or `pip install 'dockready[helm]'`, to render them"


@dataclass(slots=True)
class Output:
    """What rendering added to a run.

    ``manifests`` are the rendered objects, their spans in repository files;
    ``hidden`` are raw YAML files judged through an overlay's build, not alone;
    ``rendered`` the template files that were read; ``related`` maps a values-file
    line to the template lines that render it (findings there name the template)."""

    manifests: list[Manifests] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)
    rendered: list[str] = field(default_factory=list)
    related: dict[tuple[str, int], set[tuple[str, int]]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


def render_all(
    root: Path,
    rels: Sequence[str],
    *,
    helm_values: Mapping[str, Sequence[str]] | None = None,
    enabled: bool = True,
) -> Output:
    """Render every Helm chart and build every top-level Kustomize overlay among the
    discovered files ``rels`` (POSIX, relative to ``root``). ``helm_values`` gives a
    chart folder its extra values files, in order."""
    out = Output()
    _helm(root, rels, {k: list(v) for k, v in (helm_values or {}).items()}, enabled, out)
    _kustomize(root, rels, enabled, out)
    return out


# ------------------------------------------------------------------------------ Helm


def chart_dirs(rels: Sequence[str]) -> list[str]:
    """Folders with a ``Chart.yaml``, less the subcharts vendored in another chart's
    ``charts/`` (Helm renders those as part of their parent)."""
    dirs = sorted(
        posixpath.dirname(r) or "." for r in rels if posixpath.basename(r) == "Chart.yaml"
    )
    return [
        d
        for d in dirs
        if not any(d.startswith(("" if p == "." else p + "/") + "charts/") for p in dirs if p != d)
    ]


def _helm(
    root: Path, rels: Sequence[str], values: dict[str, list[str]], enabled: bool, out: Output
) -> None:
    charts = [c for d in chart_dirs(rels) if (c := helm.read_chart(root, d)) is not None]
    charts = [c for c in charts if not c.library]
    if not charts:
        return
    how = helm.engine() if enabled else None
    if how is None:
        why = "rendering is off (--no-render)" if not enabled else f"no Helm engine: {_INSTALL}"
        for c in charts:
            out.notices.append(
                Notice(f"Helm chart {c.dir}: templates not checked ({why})", _chart_span(c))
            )
        return
    renderings = helm.render(root, charts, values, how)
    for i, r in enumerate(renderings):
        if r.error is None or r.chart.dir in values:
            continue
        ci = _ci_values(root, r.chart.dir)
        if ci is None:
            continue
        retry = helm.render(root, [r.chart], {r.chart.dir: [ci]}, how)[0]
        if retry.error is None:
            out.notices.append(
                Notice(
                    f"Helm chart {r.chart.dir}: rendered with {ci} (its defaults do not render: "
                    f"{r.error}); give your own with --helm-values",
                    _chart_span(r.chart),
                )
            )
            values = {**values, r.chart.dir: [ci]}
            renderings[i] = retry
    for r in renderings:
        if r.error is not None:
            out.notices.append(
                Notice(
                    f"Helm chart {r.chart.dir}: cannot render ({r.error}); its templates are "
                    "not checked (give values with --helm-values)",
                    _chart_span(r.chart),
                )
            )
            continue
        own: list[tuple[str, tuple[str, ...]]] = [
            (f, ()) for f in [_join(r.chart.dir, "values.yaml"), *values.get(r.chart.dir, [])]
        ]
        by_chart: dict[str, _Values] = {}
        for tpl, text in sorted(r.templates.items()):
            if not text.strip():
                continue
            try:
                source = (root / tpl).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # a packaged (.tgz) subchart: not the repository's own file
            m = parse_yaml(tpl, text)
            out.rendered.append(tpl)
            if m is None:
                continue
            if m.error is not None:
                out.notices.append(
                    Notice(f"rendered template is not valid YAML: {m.error_message}", Span(tpl))
                )
                continue
            where = _chart_of(tpl, r.chart.dir)
            if where not in by_chart:
                by_chart[where] = _values_paths(root, _values_chain(root, r.chart.dir, where, own))
            move = _TemplateMove(tpl, source, text, by_chart[where], out.related)
            m = lines.remap(m, move)
            m = dataclasses.replace(
                m,
                workloads=tuple(w for w in m.workloads if not _helm_test(w)),
                content_lines=frozenset(),
            )
            out.manifests.append(m)


def _helm_test(w: Workload) -> bool:
    """A ``helm test`` hook: a pod that runs only when someone runs ``helm test``."""
    hooks = dict(w.annotations).get("helm.sh/hook", "")
    return any(h.strip().startswith("test") for h in hooks.split(","))


def _ci_values(root: Path, chart_dir: str) -> str | None:
    """The first values file of the chart's ``ci/`` folder (chart-testing's
    convention): values the chart's authors render it with."""
    folder = root / chart_dir / "ci"
    try:
        names = sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    except OSError:
        return None
    return _join(chart_dir, f"ci/{names[0]}") if names else None


def _chart_span(c: helm.Chart) -> Span:
    return Span(_join(c.dir, "Chart.yaml"))


def _join(d: str, name: str) -> str:
    return name if d in (".", "") else f"{d}/{name}"


_Values = list[tuple[str, tuple[str, ...], dict[lines.Path, int], list[str]]]


def _chart_of(tpl: str, top: str) -> str:
    """The (sub)chart folder a rendered template belongs to."""
    parts = tpl.split("/")
    best = top
    for i, seg in enumerate(parts[:-2]):
        if seg == "charts" and "/".join(parts[: i + 1]).startswith("" if top == "." else top):
            best = "/".join(parts[: i + 2])
    return best


def _values_chain(
    root: Path, top: str, chart: str, own: list[tuple[str, tuple[str, ...]]]
) -> list[tuple[str, tuple[str, ...]]]:
    """The values files that reach ``chart`` (a subchart of ``top``, or ``top``), in
    the order Helm applies them, each with the key its values sit under: a subchart's
    own values.yaml, then its parents' files under the subchart's name."""
    if chart == top:
        return own
    parent = chart.rsplit("/charts/", 1)[0]
    sub = helm.read_chart(root, chart)
    name = sub.name if sub is not None else chart.rsplit("/", 1)[-1]
    above = _values_chain(root, top, parent, own)
    return [(_join(chart, "values.yaml"), ()), *((f, (name, *pre)) for f, pre in above)]


def _values_paths(root: Path, files: list[tuple[str, tuple[str, ...]]]) -> _Values:
    """(file, key prefix, key path → line, its lines) of each values file, last one
    first (it wins)."""
    out = []
    for f, prefix in files:
        try:
            text = (root / f).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        try:
            shown = (root / f).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = f
        docs = lines.key_paths(text)
        if docs:
            out.append((shown, prefix, docs[0].paths, text.splitlines()))
    return out[::-1]


_VALUES_REF = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_WITH = re.compile(r"\{\{-?\s*(?:with|range)\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_END = re.compile(r"\{\{-?\s*end\b")
_DOT_YAML = re.compile(r"toYaml\s+\.\s*[|}]")


class _TemplateMove:
    """Moves a span of rendered text to the template line that wrote it, or, when
    that line prints a value from a values file, to that value's line there."""

    def __init__(
        self,
        tpl: str,
        source: str,
        rendered: str,
        values: _Values,
        related: dict[tuple[str, int], set[tuple[str, int]]],
    ) -> None:
        self.tpl = tpl
        self.t_lines = source.splitlines()
        self.align = lines.align(source, rendered)
        self.r_paths: dict[int, lines.Path] = {
            ln: p for d in lines.key_paths(rendered) for ln, p in d.lines.items()
        }
        self.values = values
        self.related = related
        self.cache: dict[int, Span] = {}

    def __call__(self, span: Span) -> Span:
        hit = self.cache.get(span.line)
        if hit is None:
            hit = self.cache[span.line] = self._move(span.line)
        return hit

    def _move(self, r_line: int) -> Span:
        t_line = self.align.get(r_line, 1)
        text = self.t_lines[t_line - 1] if 0 < t_line <= len(self.t_lines) else ""
        refs = [m.group(1)[1:].split(".") for m in _VALUES_REF.finditer(text)]
        block = "toYaml" in text
        if _DOT_YAML.search(text):
            with_ref = self._enclosing_with(t_line)
            if with_ref is not None:
                refs = [with_ref]
        found = self._value_line(refs, self.r_paths.get(r_line, ()), block) if refs else None
        if found is not None:
            vf, v_line, v_text = found
            self.related.setdefault((vf, v_line), set()).add((self.tpl, t_line))
            return Span(vf, v_line, _col(v_text))
        return Span(self.tpl, t_line, _col(text))

    def _enclosing_with(self, t_line: int) -> list[str] | None:
        depth = 0
        for i in range(t_line - 2, -1, -1):
            ln = self.t_lines[i]
            if _END.search(ln):
                depth += 1
            m = _WITH.search(ln)
            if m:
                if depth == 0:
                    return m.group(1)[1:].split(".")
                depth -= 1
        return None

    def _value_line(
        self, refs: list[list[str]], r_path: lines.Path, block: bool
    ) -> tuple[str, int, str] | None:
        for ref in reversed(refs):
            tries = [(*ref, *r_path[i:]) for i in range(len(r_path) + 1)] if block else []
            tries.append(tuple(ref))
            for want in tries:
                for vf, prefix, paths, vlines in self.values:
                    line = paths.get((*prefix, *want))
                    if line is not None:
                        return vf, line, vlines[line - 1] if line <= len(vlines) else ""
        return None


def _col(text: str) -> int:
    stripped = text.lstrip()
    col = len(text) - len(stripped) + 1
    if stripped.startswith("- "):
        col += 2
    return col


# ------------------------------------------------------------------------- Kustomize


def _kustomize(root: Path, rels: Sequence[str], enabled: bool, out: Output) -> None:
    found = [
        k
        for r in rels
        if posixpath.basename(r) in kustomize.NAMES and (k := kustomize.read(root, r)) is not None
    ]
    if not found:
        return
    by_dir = {k.dir: k for k in found}
    tops = kustomize.tops(found)
    cmd = kustomize.tool() if enabled else None
    if cmd is None:
        why = (
            "rendering is off (--no-render)"
            if not enabled
            else ("neither kustomize nor kubectl is on PATH")
        )
        for k in tops:
            out.notices.append(
                Notice(
                    f"Kustomize overlay {k.dir}: not built ({why}); its files are checked one by one",
                    Span(k.path),
                )
            )
        return
    # Each build is two short-lived kustomize processes: run the overlays side by side.
    with ThreadPoolExecutor(max_workers=min(4, len(tops) or 1)) as pool:
        builds = list(pool.map(lambda k: kustomize.build(root, k, cmd), tops))
    for top, built in zip(tops, builds, strict=True):
        if built.error is not None:
            out.notices.append(
                Notice(
                    f"Kustomize overlay {top.dir}: cannot build ({built.error}); its files "
                    "are checked one by one",
                    Span(top.path),
                )
            )
            continue
        ch = kustomize.chain(top, by_dir)
        for k in ch:
            out.hidden.update(k.files)
            out.hidden.update(k.patches)
        patches = [
            (pf, d)
            for k in reversed(ch)  # outermost first: its patch is applied last and wins
            for pf in k.patches
            for d in _docs(root, pf)
        ]
        images = {name: (k.path, line) for k in ch for name, line in k.images.items()}
        per_file: dict[str, list[Manifests]] = {}
        for i, (text, origin) in enumerate(built.docs):
            virtual = f"{top.path}#{i}"
            m = parse_yaml(virtual, text)
            if m is None or m.error is not None:
                continue
            move = _BuiltMove(root, top, text, origin, patches, images)
            moved = lines.remap(m, move)
            per_file.setdefault(origin or top.path, []).append(moved)
        for path, ms in per_file.items():
            out.manifests.append(_merge(path, ms))


def _docs(root: Path, rel: str) -> list[lines.Doc]:
    try:
        return lines.key_paths((root / rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def _merge(path: str, ms: list[Manifests]) -> Manifests:
    return Manifests(
        path=path,
        workloads=tuple(x for m in ms for x in m.workloads),
        services=tuple(x for m in ms for x in m.services),
        configmaps=tuple(x for m in ms for x in m.configmaps),
        others=tuple(x for m in ms for x in m.others),
        documents=tuple(x for m in ms for x in m.documents),
    )


def _same(doc: lines.Doc, kind: str, name: str) -> bool:
    """Whether ``doc`` defines or patches the built object: same kind, and its name is
    the built name less an overlay's prefix/suffix."""
    return doc.kind == kind and bool(doc.name) and doc.name in name


class _BuiltMove:
    """Moves a span of an overlay's built object to the file that sets that line: the
    last patch that sets it, else the resource file the object came from (a nearer
    ancestor key counts when no file sets the line itself)."""

    def __init__(
        self,
        root: Path,
        top: kustomize.Kustomization,
        text: str,
        origin: str | None,
        patches: list[tuple[str, lines.Doc]],
        images: dict[str, tuple[str, int]],
    ) -> None:
        docs = lines.key_paths(text)
        built = docs[0] if docs else lines.Doc("", "", {})
        self.top = top
        self.built = built
        self.r_paths = built.lines
        self.text_lines = text.splitlines()
        self.sources: list[tuple[str, dict[lines.Path, int]]] = [
            (pf, d.paths) for pf, d in patches if _same(d, built.kind, built.name)
        ]
        self.origin: tuple[str, dict[lines.Path, int]] | None = None
        if origin is not None:
            cands = [d for d in _docs(root, origin) if d.kind == built.kind]
            named = [d for d in cands if _same(d, built.kind, built.name)]
            pick = (
                max(named, key=lambda d: len(d.name))
                if named
                else (cands[0] if len(cands) == 1 else None)
            )
            if pick is not None:
                self.origin = (origin, pick.paths)
        self.images = images
        self.files: dict[str, list[str]] = {}
        self.root = root
        self.cache: dict[tuple[int, int], Span] = {}

    def __call__(self, span: Span) -> Span:
        key = (span.line, span.col)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._move(span.line, span.col)
        return hit

    def _path_at(self, line: int, col: int) -> lines.Path:
        exact = self.built.at(line, col)
        if exact is not None:
            return exact
        for ln in range(line, 0, -1):
            p = self.r_paths.get(ln)
            if p is not None:
                return p
        return ()

    def _move(self, line: int, col: int) -> Span:
        p = self._path_at(line, col)
        if p and p[-1] == "image" and self.images:
            value = self.text_lines[line - 1].split(":", 1)[-1].strip().strip("'\"")
            repo = re.split(r"[@:]", value.rsplit("/", 1)[-1])[0]
            for name, (f, ln) in self.images.items():
                if name == value.split("@")[0].rsplit(":", 1)[0] or name.rsplit("/", 1)[-1] == repo:
                    return self._span(f, ln)
        ordered = [*self.sources[::-1], *([self.origin] if self.origin else [])]
        if self.origin is not None and (not p or p[-1].startswith("[") or p == ("kind",)):
            # An object or list item is where it is defined; a patch only names it.
            ordered = [self.origin, *self.sources[::-1]]
        for f, paths in ordered:  # a file that sets this very line
            exact = paths.get(p)
            if exact is not None:
                return self._span(f, exact)
        best: tuple[int, str, int] | None = None
        for f, paths in ordered:  # else the nearest key some file sets
            hit = lines.deepest(paths, p)
            if hit is not None and (best is None or hit[0] > best[0]):
                best = (hit[0], f, hit[1])
        if best is not None:
            return self._span(best[1], best[2])
        if self.origin is not None:
            return self._span(self.origin[0], self.origin[1].get(("kind",), 1))
        return Span(self.top.path)

    def _span(self, f: str, line: int) -> Span:
        text = self.files.get(f)
        if text is None:
            try:
                text = self.files[f] = (self.root / f).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                text = self.files[f] = []
        return Span(f, line, _col(text[line - 1]) if 0 < line <= len(text) else 1)
