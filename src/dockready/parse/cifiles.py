"""CI configuration → :class:`CIFile` facts: GitHub workflows
(``.github/workflows/*.yml``) and ``.gitlab-ci.yml``.

What is read: each job, whether it starts from a fresh machine (a GitHub-hosted
runner, a GitLab job in a container image), the caches it keeps (GitLab ``cache:``),
and its steps: the action a step ``uses`` with its ``with:`` inputs, the shell
commands it ``run``s (a GitLab job's ``before_script``/``script``/``after_script``
are one step), and the image builds among them (read as ``parse/buildrefs.py``
reads them). YAML anchors and merge keys are followed; a GitLab ``extends`` is
followed within the file. What cannot be read (an ``include``d file, a reusable
workflow, ``!reference``) makes the job ``opaque``: rules stay silent on it.

Never raises: a file that is not valid YAML gives None (it is another tool's file).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockready.facts.delivery import CICommand, CIFile, CIJob, CIStep
from dockready.facts.docker import BuildRef
from dockready.model import Span
from dockready.parse import buildrefs, yamlnodes
from dockready.parse.yamlfiles import compose_documents

__all__ = ["ci_system", "parse_ci"]

#: GitHub-hosted runner labels (``ubuntu-latest``, ``ubuntu-24.04-arm``, ...).
_HOSTED = re.compile(r"^(?:ubuntu|windows|macos)-[a-z0-9.-]+$")
_GITLAB_RESERVED = frozenset(
    {
        "stages", "variables", "default", "include", "workflow", "image", "services",
        "cache", "before_script", "after_script", "types", "spec",
    }
)  # fmt: skip
_REFERENCE = "!reference"
_CLOSERS = frozenset({")", "}", "fi", "done", "esac", ";;"})


def ci_system(rel: str) -> str | None:
    """``github`` for a workflow file, ``gitlab`` for a ``.gitlab-ci.yml``, else None."""
    if buildrefs._workflow_base(rel) is not None:
        return "github"
    if posixpath.basename(rel) == ".gitlab-ci.yml":
        return "gitlab"
    return None


def parse_ci(path: str, text: str, docs: list[Node] | None = None) -> CIFile | None:
    """The jobs of a CI file; None when it is not one or not valid YAML. ``docs``:
    the file's node trees when the caller has composed them already."""
    system = ci_system(path)
    if system is None:
        return None
    if docs is None:
        try:
            docs = compose_documents(text)
        except (yaml.YAMLError, RecursionError):
            return None
    root = next((d for d in docs if isinstance(d, MappingNode)), None)
    if root is None:
        return CIFile(path, system)
    try:
        jobs = _github(path, root) if system == "github" else _gitlab(path, root)
        return CIFile(path, system, tuple(jobs))
    except RecursionError:
        return CIFile(path, system)


# --------------------------------------------------------------------------- nodes


def _strs(node: Node | None) -> tuple[str, ...] | None:
    """A scalar or a list of scalars as texts; None for anything else."""
    if isinstance(node, ScalarNode):
        s = yamlnodes.text(node)
        return (s,) if s is not None else ()
    if isinstance(node, SequenceNode):
        out = [yamlnodes.text(i) for i in node.value]
        if all(isinstance(i, ScalarNode) for i in node.value):
            return tuple(s for s in out if s is not None)
    return None


def _end_line(node: Node) -> int:
    end = node.end_mark
    if end is None:
        return yamlnodes.line(node)
    return end.line + 1 if end.column > 0 else max(end.line, yamlnodes.line(node))


def _scalars(node: Node | None) -> tuple[tuple[str, str], ...]:
    return tuple(
        (k, s) for k, _, v in yamlnodes.pairs(node) if (s := yamlnodes.text(v)) is not None
    )


# --------------------------------------------------------------------------- shell


def _script_commands(path: str, text: str, first: int, literal: bool) -> list[CICommand]:
    out: list[CICommand] = []
    for n, raw in buildrefs._logical_lines(text):
        words = buildrefs._tokens(raw)
        if words is None:
            continue
        span = Span(path, first + n - 1 if literal else first)
        for cmd in buildrefs._commands(words):
            w = buildrefs._command_words(cmd)
            if w and w[0] not in _CLOSERS:
                out.append(CICommand(tuple(w), span))
    return out


def _reads_layer_cache(commands: list[CICommand]) -> bool:
    return any(w.startswith(("--cache-from", "--cache-to")) for c in commands for w in c.words)


# --------------------------------------------------------------------------- GitHub


def _github(path: str, root: MappingNode) -> Iterator[CIJob]:
    base = buildrefs._workflow_base(path) or "."
    top_dir = yamlnodes.text(yamlnodes.get(root, "defaults", "run", "working-directory"))
    top_env = _scalars(yamlnodes.get(root, "env"))
    for name, key, job in yamlnodes.pairs(yamlnodes.get(root, "jobs")):
        if not isinstance(job, MappingNode):
            continue
        labels = _strs(yamlnodes.get(job, "runs-on"))
        fresh = bool(labels) and all(_HOSTED.match(lb) for lb in labels or ())
        job_dir = (
            yamlnodes.text(yamlnodes.get(job, "defaults", "run", "working-directory")) or top_dir
        )
        listed = yamlnodes.get(job, "steps")
        items = listed.value if isinstance(listed, SequenceNode) else []
        steps = tuple(
            _github_step(path, s, base, job_dir) for s in items if isinstance(s, MappingNode)
        )
        yield CIJob(
            name=name,
            span=Span(path, yamlnodes.line(key)),
            steps=steps,
            fresh=fresh,
            opaque=yamlnodes.get(job, "uses") is not None,
            variables=top_env + _scalars(yamlnodes.get(job, "env")),
        )


def _github_step(path: str, step: MappingNode, base: str, job_dir: str | None) -> CIStep:
    span = Span(path, yamlnodes.line(step))
    end = _end_line(step)
    uses = yamlnodes.text(yamlnodes.get(step, "uses")) or ""
    inputs = _scalars(yamlnodes.get(step, "with"))
    if uses:
        builds: tuple[BuildRef, ...] = ()
        cache_from = False
        if uses.split("@", 1)[0] == "docker/build-push-action":
            keys = {k for k, _ in inputs}
            ref = uses.partition("@")[2]
            if re.match(r"v1(?:\.|$)", ref) or keys & {
                "path",
                "dockerfile",
            }:
                # v1: other inputs (path, dockerfile, cache_froms): what it builds is
                # not read here
                cache_from = "cache_froms" in keys
            else:
                builds = (buildrefs._build_push(path, step, base),)
                cache_from = any(k in ("cache-from", "cache-to") and v.strip() for k, v in inputs)
        return CIStep(span, end, uses, inputs, builds=builds, cache_from=cache_from)
    run = yamlnodes.get(step, "run")
    script = yamlnodes.text(run)
    if not isinstance(run, ScalarNode) or script is None:
        return CIStep(span, end, inputs=inputs)
    literal = run.style == "|"
    first = yamlnodes.line(run) + 1 if run.style in ("|", ">") else yamlnodes.line(run)
    commands = _script_commands(path, script, first, literal)
    wd = yamlnodes.text(yamlnodes.get(step, "working-directory")) or job_dir
    cwd = buildrefs._join(base, buildrefs._WORKSPACE.sub(".", wd)) if wd else base
    refs = buildrefs.shell_builds(path, script, cwd, base, first, literal, workspace=True)
    return CIStep(
        span,
        end,
        inputs=inputs,
        commands=tuple(commands),
        builds=tuple(refs),
        cache_from=_reads_layer_cache(commands),
        cwd=cwd,
    )


# --------------------------------------------------------------------------- GitLab


def _gitlab(path: str, root: MappingNode) -> Iterator[CIJob]:
    base = posixpath.dirname(path) or "."
    entries = {k: v for k, _, v in yamlnodes.pairs(root)}
    included = "include" in entries
    default = entries.get("default")
    image = yamlnodes.get(default, "image") or entries.get("image")
    global_cache = yamlnodes.get(default, "cache") or entries.get("cache")
    global_vars = _scalars(entries.get("variables"))
    for name, key, node in yamlnodes.pairs(root):
        if name in _GITLAB_RESERVED or name.startswith(".") or not isinstance(node, MappingNode):
            continue
        job, unknown = _extended(node, entries)
        if "trigger" in job:
            continue  # a bridge job: it runs another pipeline
        opaque = unknown or "inherit" in job
        tags = _strs(job.get("tags")) if "tags" in job else ()
        job_image = job.get("image") or image
        fresh = (
            job_image is not None and tags is not None and all(t.startswith("saas-") for t in tags)
        )
        cache_node = job.get("cache", global_cache)
        if cache_node is None and included:
            opaque = True  # an included file may set the default cache
        if job_image is None and included:
            fresh = False
        variables = global_vars + _scalars(job.get("variables"))
        commands: list[CICommand] = []
        builds: list[BuildRef] = []
        for section in ("before_script", "script", "after_script"):
            body = job.get(section)
            if body is None:
                body = yamlnodes.get(default, section) or entries.get(section)
            for text, first, literal in _script_items(body):
                commands += _script_commands(path, text, first, literal)
                builds += buildrefs.shell_builds(path, text, base, base, first, literal)
            if body is not None and body.tag == _REFERENCE:
                opaque = True  # !reference [...]: another job's script
        step = CIStep(
            Span(path, yamlnodes.line(key)),
            _end_line(node),
            commands=tuple(commands),
            builds=tuple(builds),
            cache_from=_reads_layer_cache(commands),
            cwd=base,
        )
        yield CIJob(
            name=name,
            span=Span(path, yamlnodes.line(key)),
            steps=(step,),
            fresh=fresh,
            opaque=opaque,
            caches=_cache_paths(cache_node),
            variables=variables,
        )


def _extended(node: MappingNode, entries: dict[str, Node]) -> tuple[dict[str, Node], bool]:
    """The job's keys with its ``extends`` templates' under them (GitLab merges
    mappings deeply; here ``variables`` are merged and other keys replaced), and
    whether a template could not be found in the file."""
    unknown = False
    out: dict[str, Node] = {}
    seen: set[str] = set()

    def add(n: Node, depth: int) -> None:
        nonlocal unknown
        if depth > 10:
            unknown = True
            return
        own = {k: v for k, _, v in yamlnodes.pairs(n)}
        for parent in _strs(own.get("extends")) or ():
            tpl = entries.get(parent)
            if tpl is None or parent in seen:
                unknown = True
                continue
            seen.add(parent)
            add(tpl, depth + 1)
        if "extends" in own and _strs(own["extends"]) is None:
            unknown = True
        for k, v in own.items():
            if k == "variables" and isinstance(out.get(k), MappingNode):
                merged = MappingNode(
                    "tag:yaml.org,2002:map",
                    list(out[k].value) + list(v.value) if isinstance(v, MappingNode) else [],
                )
                out[k] = merged
            else:
                out[k] = v

    add(node, 0)
    return out, unknown


def _script_items(body: Node | None) -> Iterator[tuple[str, int, bool]]:
    """(text, first line, line numbers literal) of each item of a script section."""
    items = body.value if isinstance(body, SequenceNode) else [body] if body else []
    for item in items:
        if isinstance(item, SequenceNode):  # a nested list (from an anchor)
            yield from _script_items(item)
            continue
        text = yamlnodes.text(item)
        if text is None or not isinstance(item, ScalarNode):
            continue
        literal = item.style == "|"
        first = yamlnodes.line(item) + 1 if item.style in ("|", ">") else yamlnodes.line(item)
        yield text, first, literal


def _cache_paths(node: Node | None) -> tuple[str, ...]:
    """The ``cache:`` paths; ``("?",)`` for a cache whose paths are not known."""
    if node is None:
        return ()
    if node.tag == _REFERENCE:
        return ("?",)
    caches = node.value if isinstance(node, SequenceNode) else [node]
    out: list[str] = []
    for c in caches:
        if not isinstance(c, MappingNode):
            return ("?",)
        paths = _strs(yamlnodes.get(c, "paths"))
        if paths is None:
            return ("?",)
        out += paths
    return tuple(out)
