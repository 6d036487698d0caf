"""Configuration of ``dockready check``: ``.dockready.toml`` and the flags that override it.

The file is found by walking up from the first checked path, up to the repository
root (the first directory holding ``.git``) or the filesystem root; ``--config FILE``
names one and ``--no-config`` ignores any. It is validated against ``SCHEMA``, one
table of keys -> (check, default): an unknown key, a wrong type or an unknown rule id
is a ``ConfigError`` naming the key's dotted path and what was expected.

Precedence: command-line flags, then the file, then the defaults (everything
selected, nothing ignored, ``fail-on = "error"``). ``--select`` is a fresh selection
(the file's ``select`` and ``ignore`` no longer apply), ``--ignore`` replaces the
file's ``ignore``, ``--extend-select``/``--extend-ignore`` add to the lists in effect.
Per-path ignores, severities, services and rule options come from the file only.

Rule selection: an entry is a rule id (``DR404``) or a prefix of ids (``DR4`` = chapter
4, ``DR`` = every rule). For each rule the longest matching entry of ``select`` and
``ignore`` decides; on a tie ``ignore`` wins; a rule no ``select`` entry matches does
not run. ``DR000`` (files that cannot be parsed) always runs unless ``DR000`` itself
is ignored: a prefix never hides a file dockready could not read.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockready import kubeschema, linear
from dockready.limits import MAX_CONFIG_BYTES, read_capped
from dockready.model import Finding, Severity
from dockready.schema import (
    REQUIRED,
    ArrayOf,
    Boolean,
    Check,
    ConfigError,
    Key,
    OneOf,
    Table,
    TableOf,
    Text,
    did_you_mean,
    show_value,
)

if TYPE_CHECKING:
    from dockready.rules.registry import Rule

__all__ = ["Config", "ConfigError", "PathIgnore", "ServiceConfig", "load_config", "resolve_config"]

CONFIG_NAME = ".dockready.toml"
PARSE_ERROR_RULE = "DR000"
FAIL_ON = ("error", "warning", "info", "never")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class PathIgnore:
    """One ``[[per-path-ignores]]`` entry: findings of ``ignore`` rules in ``paths``."""

    paths: tuple[str, ...]
    ignore: tuple[str, ...]
    patterns: tuple[linear.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def matches(self, path: str) -> bool:
        """``path`` (POSIX, relative to the config's directory) or one of its parent
        directories matches one of the globs."""
        parts = path.split("/")
        candidates = ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
        return any(rx.fullmatch(c) for rx in self.patterns for c in candidates)

    def covers(self, rule_id: str) -> bool:
        return any(_covers(s, rule_id) for s in self.ignore)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """A ``[services.<name>]`` table: what the user says belongs to a service.

    The index joins (facts/index.py) take these as certain, before any inference.
    """

    name: str
    dockerfiles: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    workloads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """The resolved configuration of one run. ``Config()`` is the default: every rule,
    no overrides (what library callers of ``engine.check`` get without one)."""

    source: Path | None = None
    select: tuple[str, ...] = ("DR",)
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    per_path_ignores: tuple[PathIgnore, ...] = ()
    #: ``[services.<name>]``; not wired into the joins yet (see ``ServiceConfig``).
    services: Mapping[str, ServiceConfig] = field(default_factory=dict)
    #: ``[rules.<ID>]`` options as validated; a rule gets them from ``options_for``.
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: A baseline file (``--baseline``): findings it records are not reported.
    baseline: Path | None = None
    #: Helm values files (``helm-values``, ``--helm-values``), absolute, in order.
    helm_values: tuple[Path, ...] = ()
    #: Render Helm charts and build Kustomize overlays (``--no-render`` turns it off).
    render: bool = True
    #: Where parsed facts are cached (``--cache-dir``; the CLI's default is
    #: ``.dockready_cache/`` at the checked root); None: no cache (``--no-cache``).
    cache_dir: Path | None = None
    #: Paths never read (``exclude`` replaces ``DEFAULT_EXCLUDE``; ``extend-exclude`` adds).
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    #: The Kubernetes version manifests are checked against (``kube-version``,
    #: ``--kube-version``); it sets the ``kube-version`` option of the rules that
    #: have one (DR425). None: each rule's own option applies.
    kube_version: str | None = None

    def excluder(self, root: Path) -> Callable[[str], bool]:
        """Is a path (POSIX, relative to the checked ``root``) excluded? Globs are
        relative to the config's directory, gitignore-like; a directory covers all
        that is under it."""
        globs = (*(DEFAULT_EXCLUDE if self.exclude is None else self.exclude), *self.extend_exclude)
        # A glob with no "/" (all the defaults) names a file or directory at any
        # depth: matching it against each path component is the same as against
        # each leading part of the path, and linear in the depth (a tree nested
        # thousands deep must not make discovery cubic).
        # All name globs are one pattern, and each name is matched once per run.
        name_rx = [glob_regex(g) for g in globs if "/" not in g.rstrip("/")]
        names = linear.compile("|".join(f"(?:{r})" for r in name_rx)) if name_rx else None
        paths = tuple(compile_glob(g) for g in globs if "/" in g.rstrip("/"))
        prefix = _prefix(root, self.base)
        seen: dict[str, bool] = {}

        def excluded_name(part: str) -> bool:
            got = seen.get(part)
            if got is None:
                got = seen[part] = names is not None and names.fullmatch(part) is not None
            return got

        def excluded(rel: str) -> bool:
            parts = (prefix + rel).split("/")
            if any(excluded_name(part) for part in parts):
                return True
            if not paths:
                return False
            cands = ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
            return any(rx.fullmatch(c) for rx in paths for c in cands)

        return excluded

    def with_exclude(
        self, exclude: Sequence[str] = (), extend_exclude: Sequence[str] = ()
    ) -> Config:
        """``--exclude`` replaces the file's ``exclude``; ``--extend-exclude`` adds."""
        new = _globs("--exclude", exclude)
        more = _globs("--extend-exclude", extend_exclude) or ()
        return replace(
            self,
            exclude=new if new is not None else self.exclude,
            extend_exclude=(*self.extend_exclude, *more),
        )

    @property
    def base(self) -> Path | None:
        """The directory per-path globs are relative to: the config file's."""
        return self.source.parent if self.source is not None else None

    def rule_enabled(self, rule_id: str) -> bool:
        """Whether the rule runs at all (before per-path ignores)."""
        if rule_id == PARSE_ERROR_RULE:
            return PARSE_ERROR_RULE not in self.ignore
        selected = max((len(s) for s in self.select if rule_id.startswith(s)), default=-1)
        ignored = max((len(s) for s in self.ignore if rule_id.startswith(s)), default=-1)
        return selected > ignored

    def options_for(self, rule: Rule) -> Any:
        """The rule's options value: ``[rules.<ID>]`` over the defaults of its class
        (the run's ``kube_version`` over both, for a rule with that option)."""
        configured = dict(self.rules.get(rule.id, {}))
        if self.kube_version and "kube-version" in rule.option_keys():
            configured["kube-version"] = self.kube_version
        return rule.make_options(configured)

    def apply(self, findings: Iterable[Finding], root: Path) -> list[Finding]:
        """Drop findings under a per-path ignore and apply severity overrides.
        Finding paths are relative to the checked ``root``; globs to ``base``."""
        prefix = _prefix(root, self.base)
        ignored_at: dict[str, tuple[PathIgnore, ...]] = {}
        out = []
        for f in findings:
            entries = ignored_at.get(f.span.path)
            if entries is None:
                path = prefix + f.span.path
                entries = tuple(e for e in self.per_path_ignores if e.matches(path))
                ignored_at[f.span.path] = entries
            if any(e.covers(f.rule_id) for e in entries):
                continue
            sev = self.severity.get(f.rule_id)
            out.append(f if sev is None or sev is f.severity else replace(f, severity=sev))
        return out

    def with_flags(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        extend_select: Sequence[str] = (),
        extend_ignore: Sequence[str] = (),
        fail_on: str | None = None,
        baseline: Path | None = None,
    ) -> Config:
        """The command line over the file (see the module docstring)."""
        if select is not None:
            new_select, new_ignore = tuple(select), tuple(ignore or ())
        else:
            new_select = self.select
            new_ignore = tuple(ignore) if ignore is not None else self.ignore
        return replace(
            self,
            select=new_select + tuple(extend_select),
            ignore=new_ignore + tuple(extend_ignore),
            fail_on=fail_on if fail_on is not None else self.fail_on,
            baseline=baseline if baseline is not None else self.baseline,
        )

    def with_kube_version(self, version: str | None) -> Config:
        """``--kube-version`` over the file's ``kube-version``."""
        if not version:
            return self
        return replace(self, kube_version=kubeschema.KubeVersion()(version, "--kube-version"))

    def with_cache(self, cache_dir: Path | None) -> Config:
        """The fact cache's directory (``--cache-dir``), or None (``--no-cache``)."""
        return replace(self, cache_dir=cache_dir)

    def with_render(self, helm_values: Sequence[str] = (), no_render: bool = False) -> Config:
        """``--helm-values`` (after the file's ``helm-values``) and ``--no-render``."""
        return replace(
            self,
            helm_values=(*self.helm_values, *(Path(v).absolute() for v in helm_values)),
            render=self.render and not no_render,
        )


#: What is never read unless ``exclude`` says otherwise (``testdata/`` and ``vendor/``
#: sources are never reported, whatever the setting).
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", "node_modules", ".venv", "venv", "__pycache__", ".idea",
    ".vscode", ".terraform", ".cache", ".tox", ".direnv", "bin", "dist", ".dockready_cache",
)  # fmt: skip


def _globs(option: str, values: Sequence[str]) -> tuple[str, ...] | None:
    if not values:
        return None
    items = tuple(s.strip() for v in values for s in v.split(",") if s.strip())
    for item in items:
        Glob()(item, option)
    return items


def _covers(selector: str, rule_id: str) -> bool:
    if rule_id == PARSE_ERROR_RULE:
        return selector == PARSE_ERROR_RULE
    return rule_id.startswith(selector)


def _prefix(root: Path, base: Path | None) -> str:
    if base is None:
        return ""
    try:
        rel = root.relative_to(base).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"


# --------------------------------------------------------------------------- globs


def compile_glob(pattern: str) -> linear.Pattern[str]:
    """:func:`glob_regex`, compiled (linear time whatever the pattern)."""
    try:
        return linear.compile(glob_regex(pattern))
    except linear.error as e:
        raise ValueError(f"not a valid glob ({e})") from None


def glob_regex(pattern: str) -> str:
    """The regular expression (for ``fullmatch``) of a glob over POSIX paths, gitignore-like: ``*``, ``?`` and ``[...]`` stay within
    a path segment; ``**`` as a whole segment spans any number of directories; a
    pattern without a ``/`` (other than a trailing one) matches at any depth; a
    leading ``/`` only anchors. Raises ``ValueError`` on a malformed pattern."""
    if not pattern or pattern.strip("/") == "":
        raise ValueError("an empty pattern")
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    segments = pattern.strip("/").split("/")
    if ".." in segments:
        raise ValueError("'..' never matches a checked path")
    rx = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "**":
            rx.append(".*" if last else "(?:[^/]+/)*")
        else:
            rx.append(_segment(seg) + ("" if last else "/"))
    return "".join(rx)


def _segment(seg: str) -> str:
    out = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            while i + 1 < len(seg) and seg[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = seg.find("]", i + 2 if seg[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end < 0 or end == i + 1:
                raise ValueError("an unclosed '['")
            body = seg[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            if not body:
                raise ValueError("an empty '[]'")
            cls = "[" + ("^/" if negate else "") + body.replace("\\", "\\\\") + "]"
            try:
                if not negate and linear.compile(cls).fullmatch("/"):
                    raise ValueError("a '[...]' that matches '/' (a class stays in a segment)")
            except linear.error:
                raise ValueError(f"an invalid '[{body}]'") from None
            out.append(cls)
            i = end
        elif c == "\\":
            if i + 1 == len(seg):
                raise ValueError("a trailing '\\'")
            i += 1
            out.append(re.escape(seg[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- schema


class RuleSelector(Check):
    """A rule id, or (unless ``exact``) a prefix of rule ids: ``DR``, ``DR4``, ``DR40``."""

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact
        self.expected = "a rule id such as DR304" if exact else "a rule id or prefix such as DR4"
        self.plural = "rule ids" if exact else "rule ids or prefixes"

    def __call__(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(value, where)
        ids, names = _rule_ids()
        known = ids if self.exact else {i[:n] for i in ids for n in range(2, 6)}
        if value in known:
            return value
        what = "rule id" if self.exact else "rule id or prefix"
        alike = {k for k in known if len(k) == len(value)} or known
        hint = (
            f" (did you mean {names[value]}?)"
            if value in names
            else did_you_mean(value.upper(), alike)
        )
        raise ConfigError(f"{where}: unknown {what} {show_value(value)}{hint}")


class Glob(Check):
    expected, plural = "a glob pattern", "glob patterns"

    def __call__(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(value, where)
        try:
            compile_glob(value)
        except ValueError as e:
            raise ConfigError(f"{where}: bad glob pattern {show_value(value)}: {e}") from None
        return value


def _rule_options(rule_id: str, where: str) -> Check:
    """The ``[rules.<ID>]`` table of a rule: generated from its options class."""
    from dockready.rules.registry import all_rules

    with_options = {r.id: r for r in all_rules() if r.option_keys()}
    r = with_options.get(rule_id)
    if r is None:
        takes = ", ".join(sorted(with_options))
        raise ConfigError(f"{where}: {rule_id} has no options (rules with options: {takes})")
    return r.option_table()


_RELATIVE_PATH = r"(?!/)(?!(?:.*/)?\.\.(?:/|$)).+"

SERVICE = Table(
    {
        "dockerfiles": Key(
            ArrayOf(Text(_RELATIVE_PATH, "a relative path", "relative paths")),
            (),
            "Dockerfiles that build the service (relative to the config's directory)",
        ),
        "images": Key(
            ArrayOf(Text(r"[^\s]+", "an image reference", "image references")),
            (),
            "image references (repository[:tag]) the service is run as",
        ),
        "workloads": Key(
            ArrayOf(
                Text(
                    r"[^#\s]+#[A-Za-z]+/[a-z0-9]([-a-z0-9.]*[a-z0-9])?",
                    'a workload such as "k8s/deploy.yaml#Deployment/orders"',
                    'workloads such as "k8s/deploy.yaml#Deployment/orders"',
                )
            ),
            (),
            "workloads (manifest#Kind/name) that run the service",
        ),
    }
)

SELECTORS = ArrayOf(RuleSelector())

#: The whole file: key -> (check, default, meaning).
SCHEMA = Table(
    {
        "select": Key(SELECTORS, ("DR",), "rules to run, by id or prefix"),
        "ignore": Key(SELECTORS, (), "rules not to run, by id or prefix"),
        "fail-on": Key(OneOf(*FAIL_ON), None, "the severity that makes the exit code 1"),
        "severity": Key(
            TableOf(
                RuleSelector(exact=True),
                OneOf(*(s.label for s in sorted(Severity, reverse=True))),
                'a table of rule id = "error" | "warning" | "info"',
            ),
            {},
            "a severity for every finding of a rule",
        ),
        "per-path-ignores": Key(
            ArrayOf(
                Table(
                    {
                        "paths": Key(ArrayOf(Glob(), nonempty=True), REQUIRED),
                        "ignore": Key(ArrayOf(RuleSelector(), nonempty=True), REQUIRED),
                    }
                )
            ),
            (),
            "rules whose findings are dropped in some paths",
        ),
        "services": Key(
            TableOf(None, SERVICE, "a table of service name = table"), {}, "service joins"
        ),
        "rules": Key(
            TableOf(RuleSelector(exact=True), _rule_options, "a table of rule id = table"),
            {},
            "rule options",
        ),
        "helm-values": Key(
            ArrayOf(Text(_RELATIVE_PATH, "a relative path", "relative paths")),
            (),
            "Helm values files, applied in order to the chart that holds each one "
            "(relative to the config's directory)",
        ),
        "render": Key(
            Boolean(),
            True,
            "render Helm charts and build Kustomize overlays",
        ),
        "exclude": Key(
            ArrayOf(Glob()),
            None,
            "paths never read (replaces the defaults: .git, node_modules, .venv, bin, dist...)",
        ),
        "extend-exclude": Key(ArrayOf(Glob()), (), "paths never read, besides the defaults"),
        "kube-version": Key(
            kubeschema.KubeVersion(),
            None,
            'the Kubernetes version manifests are validated against ("1.30"; default: '
            "the newest the installed schemas cover)",
        ),
    }
)


def _rule_ids() -> tuple[frozenset[str], dict[str, str]]:
    """Every registered rule id, and the ids by rule name (for "did you mean")."""
    from dockready.rules.registry import all_rules

    rules = all_rules()
    return frozenset(r.id for r in rules), {r.name: r.id for r in rules}


# --------------------------------------------------------------------------- loading


def find_config(start: Path) -> Path | None:
    """The ``.dockready.toml`` in ``start`` (a directory, or a file's directory) or the
    nearest directory above it, not looking above a directory that holds ``.git``."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for d in (here, *here.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (d / ".git").exists():
            return None
    return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_config(path: Path) -> Config:
    """Read and validate one configuration file."""
    name = _display(path)
    try:
        data = tomllib.loads(read_capped(path, MAX_CONFIG_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{name}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: invalid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{name}: invalid TOML: nested too deeply") from None
    try:
        v = SCHEMA(data, "")
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None
    return Config(
        source=path.resolve(),
        select=v["select"],
        ignore=v["ignore"],
        fail_on=v["fail-on"],
        severity={k: Severity.parse(s) for k, s in v["severity"].items()},
        per_path_ignores=tuple(
            PathIgnore(e["paths"], e["ignore"], tuple(compile_glob(p) for p in e["paths"]))
            for e in v["per-path-ignores"]
        ),
        services={
            n: ServiceConfig(n, s["dockerfiles"], s["images"], s["workloads"])
            for n, s in v["services"].items()
        },
        rules=v["rules"],
        helm_values=tuple(path.resolve().parent / f for f in v["helm-values"]),
        render=v["render"],
        exclude=tuple(v["exclude"]) if v["exclude"] is not None else None,
        extend_exclude=tuple(v["extend-exclude"]),
        kube_version=v["kube-version"] or None,
    )


def parse_selectors(option: str, values: Sequence[str]) -> tuple[str, ...] | None:
    """``--select DR2,DR404 --select DR3`` -> ``("DR2", "DR404", "DR3")``; None when the
    flag was not given. Raises ``ConfigError`` on an unknown id."""
    if not values:
        return None
    items = [s.strip() for v in values for s in v.split(",") if s.strip()]
    return tuple(RuleSelector()(item, option) for item in items)


def resolve_config(
    paths: Sequence[str],
    *,
    config_file: str | None = None,
    no_config: bool = False,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
    extend_ignore: Sequence[str] = (),
    fail_on: str | None = None,
    baseline: str | None = None,
) -> Config:
    """The configuration of a ``dockready check`` run: the file (explicit, discovered
    from the first of ``paths``, or none) with the command-line flags over it."""
    if config_file is not None and no_config:
        raise ConfigError("--config and --no-config cannot be used together")
    if no_config:
        config = Config()
    elif config_file is not None:
        config = load_config(Path(config_file))
    else:
        found = find_config(Path(paths[0] if paths else "."))
        config = load_config(found) if found is not None else Config()
    return config.with_flags(
        select=parse_selectors("--select", select),
        ignore=parse_selectors("--ignore", ignore),
        extend_select=parse_selectors("--extend-select", extend_select) or (),
        extend_ignore=parse_selectors("--extend-ignore", extend_ignore) or (),
        fail_on=fail_on,
        baseline=Path(baseline) if baseline is not None else None,
    )
