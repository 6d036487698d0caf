"""``docker build`` commands stated outside the Dockerfiles → :class:`BuildRef` facts.

Sources: compose ``build:`` (already read into ``ComposeService``), skaffold artifacts
(``build.artifacts[]`` and ``profiles[].build.artifacts[]``: ``context``,
``docker.dockerfile``, ``docker.buildArgs``), GitHub workflow steps (``run:`` scripts
and ``docker/build-push-action``'s ``file``/``context``/``build-args``), Makefile and
``*.mk`` recipes, and shell scripts (``*.sh``). Commands understood: ``docker build``,
``docker buildx build``, ``docker image build``, ``podman build``, ``nerdctl build``,
``buildah bud``/``buildah build`` with ``-f X``/``-f=X``/``--file X``/``--file=X`` and
``--build-arg K=V``.

Tolerant and never guessing: a path holding a variable (``$(IMG)``, ``${CTX}``,
``${{ inputs.dir }}``), an absolute path, a path outside the checked root or a URL
context makes that field unknown (None). Shell is read as far as it needs to be: ``cd``
is followed (and a subshell's ``cd`` undone), ``cd "$(dirname "$0")"`` and
``$(cd "$(dirname "$0")/.." && pwd)`` name the script's own folder, plain assignments
(``CTX=.``) are expanded; a ``cd`` the reading cannot follow makes later paths unknown.
A script or ``*.mk`` file may run from its own folder or from the repository top: each
command is read both ways and :func:`resolve` keeps the reading whose Dockerfile exists.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockready.facts.docker import BuildRef, BuildRefs, Makefile
from dockready.facts.k8s import ComposeService, Manifests
from dockready.model import Notice, Span
from dockready.parse import yamlnodes
from dockready.parse.makefile import UNKNOWN, expand_line, opaque
from dockready.parse.yamlfiles import compose_documents

__all__ = [
    "collect",
    "from_compose",
    "from_makefile",
    "is_build_yaml",
    "parse_build_yaml",
    "parse_script",
    "resolve",
    "shell_builds",
]

Args = tuple[tuple[str, str | None], ...]
#: ``cwd`` of a command whose working folder is not known.
LOST = None

# --------------------------------------------------------------------------- paths

_HERE = "__dockready_here__"  # the script's own folder (or the workflow's workspace)
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.I)


def _unknown(word: str) -> bool:
    return "$" in word or "`" in word or UNKNOWN in word or "{{" in word


def _join(base: str | None, path: str) -> str | None:
    """``path`` (as written) against the root-relative folder ``base``; None when
    either is unknown, the path is absolute or it leaves the checked root."""
    if base is None or not path or _unknown(path) or path.startswith(("/", "~")):
        return None
    out = posixpath.normpath(posixpath.join(base, path))
    if out == ".." or out.startswith("../"):
        return None
    return out


def _path(word: str, cwd: str | None, here: str) -> str | None:
    """A path word of a shell command run in ``cwd``; ``_HERE`` stands for ``here``."""
    if word.startswith(_HERE):
        return _join(here, word[len(_HERE) :].lstrip("/") or ".")
    return _join(cwd, word)


# --------------------------------------------------------------------------- shell

_DIRNAME = re.compile(
    r"""\$\(\s*dirname\s+(?:--\s+)?["']?(?:\$0|\$\{0\}|\$\{BASH_SOURCE(?:\[0\])?\}|\$BASH_SOURCE)["']?\s*\)"""
    r"""|`\s*dirname\s+["']?\$0["']?\s*`"""
)
_CD_PWD = re.compile(
    r"""\$\(\s*cd\s+(?:-P\s+)?["']?(""" + _HERE + r"""[^"'\s;&|)]*)["']?\s*"""
    r"""(?:>\s*/dev/null\s*)?(?:2>&1\s*)?&&\s*pwd(?:\s+-P)?\s*\)"""
)
_WORKSPACE = re.compile(
    r"\$\{\{\s*github\.workspace\s*\}\}|\$\{GITHUB_WORKSPACE\}|\$GITHUB_WORKSPACE\b"
)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&"})
_WRAPPERS = frozenset({"sudo", "env", "command", "exec", "time", "nice"})
_PREFIXES = _WRAPPERS | {"then", "do", "else", "elif", "if", "while", "until", "!"}
_OPENERS = frozenset({"{", "if", "for", "while", "until", "case", "select"})
_CLOSERS = frozenset({"}", "fi", "done", "esac"})
_ASSIGN_BUILTINS = frozenset({"export", "readonly", "local", "declare", "typeset"})
_VALUE_FLAGS = frozenset(
    {"-t", "--tag", "--target", "--platform", "--label", "--secret", "--ssh",
     "--cache-from", "--cache-to", "--output", "-o", "--progress", "--network",
     "--iidfile", "--build-context", "--builder", "--add-host", "--allow", "--annotation",
     "--attest", "--metadata-file", "--shm-size", "--ulimit", "-m", "--memory",
     "--memory-swap", "--cgroup-parent", "--isolation", "--security-opt", "--cpu-shares",
     "--cpuset-cpus", "--cpuset-mems", "--cpu-quota", "--cpu-period", "--format",
     "--layers", "--jobs", "--arch", "--os", "--variant", "--authfile", "--creds",
     "--from", "--userns", "--volume", "-v", "--env", "-e"}
)  # fmt: skip


@dataclasses.dataclass(slots=True)
class _Shell:
    """What a linear reading of a script knows: the working folder, the plain
    variables assigned so far, and the blocks it is in (with the folder at entry)."""

    cwd: str | None
    here: str
    workspace: bool
    values: dict[str, str] = dataclasses.field(default_factory=dict)
    blocks: list[tuple[str, str | None]] = dataclasses.field(default_factory=list)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined and heredoc
    bodies left out."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, buf = i + 1, lines[i]
        while buf.endswith("\\") and i + 1 < len(lines):
            i += 1
            buf = buf[:-1] + " " + lines[i].strip()
        i += 1
        for m in _HEREDOC.finditer(buf):
            end = m.group(2)
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1
        yield start, buf


def _substitute(line: str, sh: _Shell) -> str:
    """Known folders and variables put in; other substitutions made inert."""
    if sh.workspace:
        line = _WORKSPACE.sub(_HERE, line)
    line = _DIRNAME.sub(_HERE, line)
    line = _CD_PWD.sub(lambda m: m.group(1), line)

    def var(m: re.Match[str]) -> str:
        v = sh.values.get(m.group(1) or m.group(2))
        return v if v is not None else m.group(0)

    return opaque(re.sub(r"`[^`]*`", UNKNOWN, _VAR.sub(var, line)))


_PUNCT = re.compile(r"&&|\|\||;;|\|&|&>>?|>>|>&|<&|<<-?|<|>|;|\||&|\(|\)")


def _tokens(line: str) -> list[str] | None:
    """Shell words and operators; redirections (and their targets) left out."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        raw = list(lex)
    except ValueError:  # an unterminated quote: this line says nothing sure
        return None
    words: list[str] = []
    for w in raw:  # shlex joins adjacent operators (");", "2>&1;"): split them again
        if w and all(c in "();<>|&" for c in w):
            words.extend(_PUNCT.findall(w))
        else:
            words.append(w)
    out: list[str] = []
    skip = False
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if skip:
            skip = False
        elif w.isdigit() and nxt[:1] in ("<", ">"):
            pass  # 2>&1: the descriptor
        elif w[:1] in ("<", ">") or w.startswith("&>"):
            skip = True  # the redirection's target
        else:
            out.append(w)
    return out


def _commands(words: list[str]) -> Iterator[list[str]]:
    cmd: list[str] = []
    for w in words:
        if w in _OPERATORS or w in ("(", ")"):
            if cmd:
                yield cmd
            cmd = []
            if w in ("(", ")"):
                yield [w]
            continue
        cmd.append(w)
    if cmd:
        yield cmd


def shell_builds(
    path: str,
    text: str,
    cwd: str | None,
    here: str,
    first_line: int = 1,
    literal: bool = True,
    workspace: bool = False,
) -> list[BuildRef]:
    """The ``docker build`` commands of a shell script ``text`` that starts running in
    the root-relative folder ``cwd`` (None: unknown) and whose own folder is ``here``
    (``$GITHUB_WORKSPACE`` too when ``workspace``). Spans are ``first_line`` plus the
    line in ``text`` when ``literal``, else ``first_line`` (a make recipe, a folded
    YAML scalar)."""
    sh = _Shell(cwd, here, workspace)
    out: list[BuildRef] = []
    for n, raw in _logical_lines(text):
        words = _tokens(_substitute(raw, sh))
        if words is None:
            continue
        span = Span(path, first_line + n - 1 if literal else first_line)
        for cmd in _commands(words):
            ref = _step(cmd, sh, span)
            if ref is not None:
                out.append(ref)
    return out


def _step(cmd: list[str], sh: _Shell, span: Span) -> BuildRef | None:
    """Follow one simple command; a ``docker build`` gives its BuildRef."""
    head = cmd[0]
    if head == ")" or head in _CLOSERS:
        if sh.blocks and (sh.blocks[-1][0] == "(") == (head == ")"):
            kind, before = sh.blocks.pop()
            # a subshell's cd is undone; another block's cd may or may not have run
            sh.cwd = before if kind == "(" or before == sh.cwd else LOST
        return None
    if head == "(" or head in _OPENERS:
        sh.blocks.append((head, sh.cwd))
    words = _command_words(cmd)
    if not words:
        return None
    if words[0] in ("cd", "pushd"):
        target = words[1] if len(words) == 2 and not words[1].startswith("-") else None
        sh.cwd = _path(target, sh.cwd, sh.here) if target is not None else LOST
        return None
    if words[0] == "popd":
        sh.cwd = LOST
        return None
    if words[0] in _ASSIGN_BUILTINS:
        words = words[1:]
    assigned = [m for w in words if (m := _ASSIGNMENT.match(w)) is not None]
    if words and len(assigned) == len(words):
        for m in assigned:
            name, value = m.group(1), m.group(2)
            if _unknown(value) or sh.blocks:  # in a block it may not have run
                sh.values.pop(name, None)
            else:
                sh.values[name] = value
        return None
    at = _build_at(words)
    if at is None:
        return None
    return _docker_build(words[at:], sh.cwd, sh.here, span)


def _command_words(cmd: list[str]) -> list[str]:
    """The command's words less block keywords, wrappers (``sudo -E``, ``env``) and
    one-command environment assignments (``VAR=x docker build``)."""
    words = [w for w in cmd if w not in ("(", "{")]
    wrapped = False
    while words:
        w = words[0]
        if w in _PREFIXES:
            wrapped = w in _WRAPPERS
        elif wrapped and w.startswith("-"):
            pass  # the wrapper's option (sudo -E)
        elif not _ASSIGNMENT.match(w) or all(_ASSIGNMENT.match(x) for x in words):
            break
        words = words[1:]
    return words


def _build_at(words: list[str]) -> int | None:
    """Where a build command's arguments start in ``words``, or None."""
    if not words:  # a bare `export`/`local`/`readonly` (it lists variables)
        return None
    tool = posixpath.basename(words[0])
    rest = words[1:3]
    if tool in ("docker", "podman", "nerdctl") and rest[:1] == ["build"]:
        return 2
    if tool in ("docker", "nerdctl") and rest in (["buildx", "build"], ["image", "build"]):
        return 3
    if tool == "buildah" and rest[:1] in (["bud"], ["build"]):
        return 2
    return None


def _docker_build(args: list[str], cwd: str | None, here: str, span: Span) -> BuildRef:
    file: str | None = None
    file_given = False
    build_args: list[tuple[str, str | None]] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        w = args[i]
        value: str | None = None
        if w in ("-f", "--file", "--build-arg") and i + 1 < len(args):
            value = args[i + 1]
            i += 1
        elif w.startswith(("-f=", "--file=", "--build-arg=")):
            w, value = w.split("=", 1)
        elif w in _VALUE_FLAGS:
            i += 1
        elif not w.startswith("-") or w == "-":
            positional.append(w)
        i += 1
        if value is None:
            continue
        if w == "--build-arg":
            k, eq, v = value.partition("=")
            build_args.append((k, v if eq and not _unknown(v) else None))
        else:
            file_given = True
            file = None if value == "-" else _path(value, cwd, here)
    context: str | None = None
    if len(positional) == 1 and positional[0] != "-" and not _URL.match(positional[0]):
        context = _path(positional[0], cwd, here)
    if not file_given:
        file = posixpath.join(context, "Dockerfile") if context is not None else None
        file = posixpath.normpath(file) if file is not None else None
    return BuildRef(file, context, tuple(build_args), span)


def _readings(
    path: str, text: str, own: str, first_line: int = 1, literal: bool = True
) -> tuple[tuple[BuildRef, ...], ...]:
    """Each command of a script that runs either in its own folder ``own`` or at the
    repository top: both readings (one when they are the same folder)."""
    ways = [
        shell_builds(path, text, base, own, first_line, literal)
        for base in dict.fromkeys((own, "."))
    ]
    return tuple(tuple(dict.fromkeys(r)) for r in zip(*ways, strict=True))


def parse_script(path: str, text: str) -> BuildRefs:
    """A shell script's ``docker build`` commands; never raises."""
    return BuildRefs(path, _readings(path, text, _dir(path)))


def from_makefile(mf: Makefile) -> BuildRefs:
    """A Makefile's recipes (each line a shell of its own, the Makefile's variables
    expanded). ``make`` runs a Makefile in its folder; an ``*.mk`` file runs where the
    Makefile that includes it does: its folder or the repository top."""
    variables = dict(mf.variables)
    own = mf.dir
    fragment = mf.path.endswith(".mk")
    out: list[tuple[BuildRef, ...]] = []
    for t in mf.targets:
        for line in t.recipe:
            text = expand_line(line, variables)
            if fragment:
                out.extend(_readings(mf.path, text, own, t.line, literal=False))
            else:
                out.extend((r,) for r in shell_builds(mf.path, text, own, own, t.line, False))
    return BuildRefs(mf.path, tuple(out))


def from_compose(svc: ComposeService) -> BuildRef | None:
    """A compose service's ``build:``: the context against the compose file's folder,
    the Dockerfile against the context."""
    if svc.build_context is None:
        return None
    context = None if _URL.match(svc.build_context) else _join(_dir(svc.path), svc.build_context)
    dockerfile = _join(context, svc.dockerfile or "Dockerfile")
    return BuildRef(dockerfile, context, (), svc.span)


# --------------------------------------------------------------------------- YAML

_SKAFFOLD = re.compile(r"^apiVersion:\s*[\"']?skaffold/", re.M)


def is_build_yaml(rel: str, text: str) -> bool:
    """A skaffold config or a GitHub workflow: YAML read only for its builds."""
    return _workflow_base(rel) is not None or bool(_SKAFFOLD.search(text))


def _workflow_base(rel: str) -> str | None:
    """The repository top of a ``.github/workflows/*.yml`` file, or None."""
    head, sep, name = ("/" + rel).rpartition("/.github/workflows/")
    if not sep or "/" in name or not name.endswith((".yml", ".yaml")):
        return None
    return head.lstrip("/") or "."


def parse_build_yaml(
    path: str, text: str, docs: list[Node] | None = None
) -> tuple[BuildRefs, Notice | None]:
    """The builds a skaffold config or a GitHub workflow states; YAML that does not
    parse gives none and a notice (it is another tool's file to judge). ``docs``:
    the file's node trees when the caller has composed them already."""
    try:
        docs = compose_documents(text) if docs is None else docs
    except (yaml.YAMLError, RecursionError) as e:
        mark = getattr(e, "problem_mark", None)
        span = Span(path, mark.line + 1) if mark is not None else Span(path)
        msg = " ".join(str(getattr(e, "problem", None) or e).split())
        return BuildRefs(path), Notice(f"skipped: not valid YAML ({msg})", span)
    base = _workflow_base(path)
    roots = [d for d in docs if isinstance(d, MappingNode)]
    if base is not None:
        commands = [c for r in roots for c in _workflow(path, r, base)]
    else:
        commands = [(ref,) for r in roots for ref in _skaffold(path, r)]
    return BuildRefs(path, tuple(commands)), None


def _text_or(node: Node | None, key: str, default: str | None) -> str | None:
    """The text of ``key``; ``default`` when it is absent or null, and an unknown path
    (``UNKNOWN``) when it is a list or a mapping."""
    v = yamlnodes.get(node, key)
    if v is None or (isinstance(v, ScalarNode) and yamlnodes.text(v) is None):
        return default
    return yamlnodes.text(v) if isinstance(v, ScalarNode) else UNKNOWN


def _items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def _values(node: Node | None) -> list[Node]:
    return [v for _, v in node.value] if isinstance(node, MappingNode) else []


def _skaffold(path: str, root: MappingNode) -> Iterator[BuildRef]:
    if not (yamlnodes.text(yamlnodes.get(root, "apiVersion")) or "").startswith("skaffold/"):
        return
    builds = [
        yamlnodes.get(root, "build"),
        *(yamlnodes.get(p, "build") for p in _items(yamlnodes.get(root, "profiles"))),
    ]
    for artifact in (a for b in builds for a in _items(yamlnodes.get(b, "artifacts"))):
        if not isinstance(artifact, MappingNode):
            continue
        if any(
            yamlnodes.get(artifact, k) is not None
            for k in ("ko", "jib", "buildpacks", "bazel", "custom")
        ):
            continue  # built without a Dockerfile
        docker = yamlnodes.get(artifact, "docker") or yamlnodes.get(artifact, "kaniko")
        context = _join(_dir(path), _text_or(artifact, "context", ".") or UNKNOWN)
        dockerfile = _join(context, _text_or(docker, "dockerfile", "Dockerfile") or UNKNOWN)
        given = yamlnodes.get(docker, "buildArgs")
        args = tuple(
            (str(k.value), yamlnodes.text(v))
            for k, v in (given.value if isinstance(given, MappingNode) else ())
            if isinstance(k, ScalarNode)
        )
        where = yamlnodes.get(artifact, "image") or artifact
        yield BuildRef(dockerfile, context, args, Span(path, yamlnodes.line(where)))


def _workflow(path: str, root: MappingNode, base: str) -> Iterator[tuple[BuildRef, ...]]:
    top = _text_or(yamlnodes.get(root, "defaults", "run"), "working-directory", None)
    for job in _values(yamlnodes.get(root, "jobs")):
        job_dir = _text_or(yamlnodes.get(job, "defaults", "run"), "working-directory", top)
        for step in _items(yamlnodes.get(job, "steps")):
            uses = yamlnodes.text(yamlnodes.get(step, "uses")) or ""
            if uses.split("@", 1)[0] == "docker/build-push-action":
                yield (_build_push(path, step, base),)
                continue
            run = yamlnodes.get(step, "run")
            script = yamlnodes.text(run)
            if not isinstance(run, ScalarNode) or script is None:
                continue
            wd = _text_or(step, "working-directory", job_dir)
            cwd = _join(base, _WORKSPACE.sub(".", wd)) if wd else base
            literal = run.style == "|"
            first = yamlnodes.line(run) + 1 if run.style in ("|", ">") else yamlnodes.line(run)
            for ref in shell_builds(path, script, cwd, base, first, literal, workspace=True):
                yield (ref,)


def _build_push(path: str, step: Node, base: str) -> BuildRef:
    """``docker/build-push-action``: ``context`` (the repository when not given) and
    ``file`` (``{context}/Dockerfile`` when not given), both against the workspace."""
    with_ = yamlnodes.get(step, "with")
    broken = isinstance(with_, SequenceNode) or (
        isinstance(with_, ScalarNode) and yamlnodes.text(with_) is not None
    )

    def where(key: str) -> str | None:
        if broken:
            return UNKNOWN
        v = _text_or(with_, key, None)
        return _WORKSPACE.sub(".", v) if v is not None else None

    ctx, file = where("context"), where("file")
    context = _join(base, ctx or ".")
    dockerfile = _join(base, file) if file is not None else _join(context, "Dockerfile")
    args: list[tuple[str, str | None]] = []
    for line in (yamlnodes.text(yamlnodes.get(with_, "build-args")) or "").splitlines():
        k, eq, v = line.strip().partition("=")
        if k:
            args.append((k, v if eq and not _unknown(v) else None))
    return BuildRef(
        dockerfile,
        context,
        tuple(args),
        Span(path, yamlnodes.line(yamlnodes.get(step, "uses") or step)),
    )


# --------------------------------------------------------------------------- the tree


def _dir(path: str) -> str:
    return posixpath.dirname(path) or "."


def collect(facts: Iterable[object]) -> Iterator[tuple[BuildRef, ...]]:
    """Every command's readings stated by these parsed facts (scripts, workflows and
    skaffold configs as parsed; Makefiles and compose files read from their facts)."""
    for f in facts:
        if isinstance(f, BuildRefs):
            yield from f.commands
        elif isinstance(f, Makefile):
            yield from from_makefile(f).commands
        elif isinstance(f, Manifests):
            for svc in f.compose:
                ref = from_compose(svc)
                if ref is not None:
                    yield (ref,)


def resolve(
    commands: Iterable[tuple[BuildRef, ...]], exists: Callable[[str], bool]
) -> list[BuildRef]:
    """One BuildRef per command: its only reading, or the one reading whose Dockerfile
    ``exists`` (root-relative path); when none or several do, the Dockerfile and the
    context are unknown."""
    out: list[BuildRef] = []
    for readings in commands:
        if not readings:
            continue
        if len(readings) == 1:
            out.append(readings[0])
            continue
        real = [r for r in readings if r.dockerfile is not None and exists(r.dockerfile)]
        if len({(r.dockerfile, r.context) for r in real}) == 1:
            out.append(real[0])
        else:
            out.append(dataclasses.replace(readings[0], dockerfile=None, context=None))
    return out
