"""The check pipeline: discover -> parse (once per file, in parallel when large) ->
project index -> rules -> result. No I/O beyond reading the checked files."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import gc
import multiprocessing
import os
import pickle
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from dockready import baseline, render, suppress
from dockready.cache import FactCache
from dockready.config import Config
from dockready.discover import Kind, SourceFile, cap_of, decode, discover, named_dockerfiles
from dockready.facts.config import ConfigFile
from dockready.facts.delivery import CIFile
from dockready.facts.docker import BuildRef, BuildRefs, Dockerfile, DockerIgnore, Makefile
from dockready.facts.go import FACT_CALLS, FuncDecl, GoFile, GoMod, VendorModules
from dockready.facts.index import Declared, ParseError, ProjectIndex, Service, build_index
from dockready.facts.k8s import Manifests
from dockready.model import Finding, Notice, Related, Result, RuleInfo, ServiceSummary, Span
from dockready.parse import buildrefs, cifiles, configfile
from dockready.parse.dockerignore import parse_dockerignore
from dockready.parse.gomod import parse_gomod, parse_vendor_modules
from dockready.parse.gosrc import read_go
from dockready.parse.makefile import parse_makefile
from dockready.parse.yamlfiles import (
    compose_documents,
    looks_like_manifest,
    parse_json,
    read_yaml,
)
from dockready.rules.registry import RULES, Hit, Rule, all_rules, call_names, static_rules

PARALLEL_BYTES = 2 * 1024 * 1024
PARALLEL_RULE_FILES = 500


_HELM_REF = re.compile(r"\{\{-?[^}]*\$?\.(?:Values|Release|Chart|Capabilities)\b")
#: YAML refused as hostile (alias bombs, absurd nesting): a finding wherever it is.
_REFUSALS = ("YAML alias", "nested too deeply", "maximum nesting depth")


_F = TypeVar("_F")


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2."""


@dataclass(slots=True)
class Parsed:
    """What parsing one file produced."""

    rel: str
    kind: Kind
    facts: (
        GoFile
        | GoMod
        | VendorModules
        | Dockerfile
        | DockerIgnore
        | Manifests
        | Makefile
        | BuildRefs
        | ConfigFile
        | None
    ) = None
    error: ParseError | None = None
    notices: list[Notice] = field(default_factory=list)
    suppressions: list[suppress.Suppression] = field(default_factory=list)
    problems: list[suppress.Problem] = field(default_factory=list)
    #: A CI file's jobs (GitHub workflows, .gitlab-ci.yml), beside its other facts.
    ci: CIFile | None = None
    #: A Go file's functions, pickled apart from its facts (``GoFile.funcs_apart``).
    funcs: bytes | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Parsed results cross the process boundary by the thousand: pickle them as
        # constructor arguments, not through the generic slots state protocol. A Go
        # file's functions go as one pickle of their own, unpickled only if a rule
        # asks (a warm run builds a fifth fewer objects).
        facts, funcs = self.facts, self.funcs
        if isinstance(facts, GoFile) and facts.funcs and not facts.funcs_read_directly:
            funcs = pickle.dumps(facts.funcs, pickle.HIGHEST_PROTOCOL)
            facts = dataclasses.replace(facts, funcs=(), funcs_apart=True)
        return (
            Parsed,
            (self.rel, self.kind, facts, self.error, self.notices,
             self.suppressions, self.problems, self.ci, funcs),
        )  # fmt: skip


#: Go files no rule reads more of than their package, imports and words are skimmed,
#: not parsed (``parse.gosrc.read_go``); ``DOCKREADY_NO_PREFILTER=1`` parses them all.
PREFILTER = os.environ.get("DOCKREADY_NO_PREFILTER", "") in ("", "0")


@dataclass(frozen=True)
class ParseOptions:
    """How files are parsed. It travels with each worker batch (a forkserver child
    does not share this process's module state), and what it changes in the facts
    is part of the cache's salt (``variant``).

    - ``calls``: the Go call names recorded (``call_table()``);
    - ``prefilter``: skim the Go files no rule reads (``PREFILTER``);
    - ``kube_version``: validate each Kubernetes object against that version's
      schemas while parsing (``ObjectDoc.problems``, for DR425), so a warm run
      takes the result from the cache; "" not."""

    calls: frozenset[str] = FACT_CALLS
    prefilter: bool = field(default_factory=lambda: PREFILTER)
    kube_version: str = ""

    @property
    def variant(self) -> str:
        return ("" if self.prefilter else "no-prefilter") + (
            f";kube={self.kube_version}" if self.kube_version else ""
        )


#: Seconds one file may take to parse: a backstop against a super-linear case no
#: bound caught. The file gets a notice naming it and the run goes on.
FILE_SECONDS = 20.0


class _OverBudget(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _OverBudget


@contextlib.contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Raise ``_OverBudget`` in this block after ``seconds`` (SIGALRM: only in the
    main thread of a process on a POSIX system; elsewhere there is no budget)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse_one(src: SourceFile, options: ParseOptions | None = None) -> Parsed:
    """Parse one file; never raises (a parser bug becomes a notice)."""
    options = options if options is not None else ParseOptions()
    out = Parsed(src.rel, src.kind)
    if src.kind in (Kind.GOSUM, Kind.SENSITIVE):
        return out  # listed, not read
    cap = cap_of(src.kind)
    try:
        with open(src.abs, "rb") as fh:
            data = fh.read(cap + 1)  # the file may have grown since discovery
    except OSError as e:
        out.notices.append(Notice(f"skipped: cannot read ({e.strerror or e})", Span(src.rel)))
        return out
    if len(data) > cap:
        out.notices.append(Notice("skipped: over the size limit of its kind", Span(src.rel)))
        return out
    try:
        with _time_budget(FILE_SECONDS):
            _parse_into(out, src, data, options)
            out.facts = _validated(out.facts, options.kube_version)
            if src.kind.value in suppress.KINDS and (
                out.facts is not None or src.kind is Kind.YAML
            ):
                # Suppressions read the parser's comments and instruction extents.
                out.suppressions, out.problems = suppress.scan_all(
                    src.rel, data, src.kind.value, facts=out.facts
                )
    except _OverBudget:
        out = Parsed(src.rel, src.kind)
        out.notices.append(
            Notice(
                f"skipped: reading it took over {FILE_SECONDS:g} s (the per-file time budget)",
                Span(src.rel),
            )
        )
    except RecursionError:
        out.notices.append(Notice("skipped: nested too deeply to analyse", Span(src.rel)))
    except Exception as e:  # a parser bug must not take the run down
        out.notices.append(
            Notice(
                f"skipped: internal error while parsing ({type(e).__name__}: {e})", Span(src.rel)
            )
        )
    return out


def _parse_into(out: Parsed, src: SourceFile, data: bytes, options: ParseOptions) -> None:
    if src.kind is Kind.GO:
        if b"\x00" in data[:8192]:
            out.notices.append(Notice("skipped: binary file", Span(src.rel)))
            return
        g = read_go(src.rel, data, options.calls, options.prefilter)
        out.facts = g
        if g.error is not None:
            out.notices.append(
                Notice(
                    "Go syntax tree-sitter-go could not parse here; analysed the rest "
                    "(`go build` is the judge of Go syntax)",
                    g.error,
                )
            )
        return
    text, notice = decode(data, src.rel)
    if notice is not None:
        out.notices.append(notice)
    if text is None:
        return
    ci_docs = None  # a CI file's node trees, composed once for both of its readers
    if src.kind is Kind.YAML and cifiles.ci_system(src.rel) is not None:
        with contextlib.suppress(yaml.YAMLError, RecursionError):
            ci_docs = compose_documents(text)
        out.ci = cifiles.parse_ci(src.rel, text, ci_docs)  # besides what it states below
    if src.kind is Kind.GOMOD:
        m = parse_gomod(src.rel, text)
        out.facts = m
        if m.error is not None:
            out.error = ParseError(m.error, "not a valid go.mod (no module line?)", "go.mod")
    elif src.kind is Kind.VENDOR:
        out.facts = parse_vendor_modules(src.rel, text)
    elif src.kind is Kind.DOCKERFILE:
        # Imported here, not at the top: the parser is a Go (cgo) extension whose
        # runtime must not be started in a process that later forks workers.
        from dockready.parse.dockerfile import parse_dockerfile

        d = parse_dockerfile(src.rel, text)
        out.facts = d
        for line in d.too_large:
            out.notices.append(
                Notice(
                    "value too large: a variable expands past 64 KiB here; "
                    "its value is taken as unknown",
                    Span(src.rel, line),
                )
            )
        if d.error is not None:
            out.error = ParseError(d.error, d.error_message or "invalid Dockerfile", "Dockerfile")
    elif src.kind is Kind.DOCKERIGNORE:
        out.facts = parse_dockerignore(src.rel, text)
    elif src.kind is Kind.MAKEFILE:
        out.facts = parse_makefile(src.rel, text)
    elif src.kind is Kind.SCRIPT:
        out.facts = buildrefs.parse_script(src.rel, text)
    elif src.kind is Kind.JSON:
        _parse_json(out, src.rel, text)
    elif src.kind is Kind.YAML and buildrefs.is_build_yaml(src.rel, text):
        # a skaffold config or a CI workflow: read for the builds it states
        out.facts, notice = buildrefs.parse_build_yaml(src.rel, text, ci_docs)
        if notice is not None:
            out.notices.append(notice)
    elif src.kind is Kind.CONFIG:
        out.facts = configfile.parse_config(src.rel, text)
    elif src.kind is Kind.YAML:
        y = read_yaml(src.rel, text, configfile.config_format(src.rel))
        out.facts = y
        if isinstance(y, Manifests) and y.error is not None:
            # An alias bomb is refused loudly wherever it is; other unparseable YAML
            # is a finding only in a file meant as a manifest or compose file.
            msg = y.error_message
            hostile = any(r in msg for r in _REFUSALS)
            # A Go template that is not Helm's (text/template files a program
            # embeds, {{PLACEHOLDER}}s to fill in) is not a manifest until something
            # renders it: a notice. A Helm template outside a chart stays a DR000.
            other_template = "{{" in text and not _HELM_REF.search(text)
            if hostile or (not other_template and looks_like_manifest(src.rel, text)):
                out.error = ParseError(y.error, y.error_message or "invalid YAML", "YAML")
            else:  # another tool's YAML: not dockready's to judge
                out.notices.append(Notice(f"skipped: not valid YAML ({y.error_message})", y.error))


def _validated(facts: _F, version: str) -> _F:
    """``facts`` with each Kubernetes object's schema problems in ``version`` (none
    when ``version`` is "" or the facts are not manifests)."""
    if not version or not isinstance(facts, Manifests) or not facts.documents:
        return facts
    from dockready import kubeschema  # here: jsonschema is only for files with objects

    docs = []
    for d in facts.documents:
        try:
            found = kubeschema.problems(d, version)
        except Exception:  # left to the rule, whose crash is reported as its own
            docs.append(d)
            continue
        docs.append(dataclasses.replace(d, checked_for=version, problems=found))
    return dataclasses.replace(facts, documents=tuple(docs))


def _parse_json(out: Parsed, rel: str, text: str) -> None:
    """A JSON Kubernetes manifest (or List); any other JSON (package.json,
    tsconfig.json...) is not dockready's and is left alone (``parse_json``)."""
    y, notice = parse_json(rel, text, configfile.config_format(rel) is not None)
    out.facts = y
    if notice is not None:
        out.notices.append(notice)
    if isinstance(y, Manifests) and y.error is not None:
        out.error = ParseError(y.error, y.error_message or "invalid JSON", "JSON")


def _parse_batch(batch: Sequence[SourceFile], options: ParseOptions) -> list[Parsed]:
    # Parsing allocates millions of short-lived, acyclic objects: the cyclic GC only
    # costs time here (and in a forked worker it would walk the parent's heap too).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [parse_one(s, options) for s in batch]
    finally:
        if enabled:
            gc.enable()


def _batches(files: Sequence[SourceFile], jobs: int | None) -> tuple[list[list[SourceFile]], int]:
    """How to parse ``files``: batches balanced by size for worker processes, and how
    many workers (1: in this process, the tree is too small for workers to pay)."""
    total = sum(f.size for f in files)
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or total < PARALLEL_BYTES or len(files) < 8:
        return [list(files)], 1
    # Balance batches by size: biggest first, each to the lightest batch.
    nb = workers * 4
    batches: list[list[SourceFile]] = [[] for _ in range(nb)]
    loads = [0] * nb
    for f in sorted(files, key=lambda f: f.size, reverse=True):
        i = loads.index(min(loads))
        batches[i].append(f)
        loads[i] += f.size + 2048
    return [b for b in batches if b], workers


def parse_all(
    files: Sequence[SourceFile],
    jobs: int | None = None,
    options: ParseOptions | None = None,
    cache: FactCache | None = None,
) -> list[Parsed]:
    """Parse every file, in worker processes when the tree is large. With a
    ``cache``, a file whose bytes were parsed before is not parsed again."""
    options = options if options is not None else ParseOptions()
    if cache is not None:
        return _parse_cached(files, jobs, options, cache)
    batches, workers = _batches(files, jobs)
    if workers <= 1:
        return _parse_batch(files, options)
    return [pickle.loads(b) for b in _in_workers(_pickled_batch, batches, workers, options)]


def _pickled_batch(batch: Sequence[SourceFile], options: ParseOptions) -> list[bytes]:
    """A worker's batch, each file's ``Parsed`` pickled on its own (by the worker, in
    parallel): the parent unpickles it, and the cache keeps the same bytes."""
    return [pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL) for p in _parse_batch(batch, options)]


def _in_workers(
    fn: Callable[[Sequence[SourceFile], ParseOptions], list[bytes]],
    batches: list[list[SourceFile]],
    workers: int,
    options: ParseOptions,
) -> Iterator[bytes]:
    """``fn`` over the batches in worker processes, each batch's results in order as
    soon as it is done: the caller unpickles them while the workers go on."""
    gc.freeze()  # children must not walk (and copy) the parent's heap in their GC
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_fork_context()) as pool:
            # How to parse goes along with each batch: a forkserver child has its own
            # module state, not this process's.
            for part in pool.map(fn, batches, [options] * len(batches)):
                yield from part
    finally:
        gc.unfreeze()


def _parse_cached(
    files: Sequence[SourceFile], jobs: int | None, options: ParseOptions, cache: FactCache
) -> list[Parsed]:
    found: dict[str, Parsed] = {}
    keys: dict[str, str] = {}
    missing: list[SourceFile] = []
    for f in files:
        if f.kind in (Kind.GOSUM, Kind.SENSITIVE):
            missing.append(f)  # listed, never read: nothing to cache
            continue
        named = f"{f.kind.value}:{f.rel}"  # a file read as another kind is another entry
        key = cache.known(named, f.size, f.stamp)
        if key is None:
            try:
                with open(f.abs, "rb") as fh:
                    data = fh.read(cap_of(f.kind) + 1)
            except OSError:
                missing.append(f)
                continue
            key = cache.key(f.rel, f.kind.value, data)
        cache.note(named, f.size, f.stamp, key)
        got = cache.get(key)
        if isinstance(got, Parsed) and got.rel == f.rel:
            found[f.rel] = got
        else:
            keys[f.rel] = key
            missing.append(f)
    batches, workers = _batches(missing, jobs)
    # Workers send each file's facts pickled: the cache keeps those bytes. Parsed in
    # this process, a file is pickled only if it is cached.
    pairs: Iterable[tuple[Parsed, bytes | None]] = (
        ((pickle.loads(b), b) for b in _in_workers(_pickled_batch, batches, workers, options))
        if workers > 1
        else ((p, None) for p in _parse_batch(missing, options))
    )
    for p, blob in pairs:
        found[p.rel] = p
        stored = keys.get(p.rel)
        # what depended on the moment (unreadable, over the time budget) is not kept
        if stored is not None and not any(n.message.startswith("skipped:") for n in p.notices):
            cache.put(
                stored, blob if blob is not None else pickle.dumps(p, pickle.HIGHEST_PROTOCOL)
            )
    cache.save()
    return [found[f.rel] for f in files]


def _fork_context() -> multiprocessing.context.BaseContext:
    """``fork`` (cheap: the children inherit the imported modules), unless a Go
    runtime has been started in this process (the Dockerfile parser is a cgo
    extension): a forked child of a Go process deadlocks, so then ``forkserver``."""
    if "dockerfile" in sys.modules:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("fork")


def index_from(
    root: Path,
    parsed: Iterable[Parsed],
    all_paths: list[str],
    declared: tuple[Declared, ...] = (),
    rendered: Iterable[Manifests] = (),
    hidden: Collection[str] = frozenset(),
    excluded: Callable[[str], bool] | None = None,
    build_refs: Sequence[BuildRef] = (),
    func_reader: Callable[[str], tuple[FuncDecl, ...]] | None = None,
) -> ProjectIndex:
    """The project index of the parsed files, plus ``rendered`` manifests (Helm,
    Kustomize) and less the raw manifests in ``hidden`` (judged through a build);
    ``func_reader`` reads a skimmed Go file's functions (``ProjectIndex.funcs``)."""
    go_files: list[GoFile] = []
    modules: list[GoMod] = []
    sums: list[str] = []
    vendors: list[VendorModules] = []
    dockerfiles: list[Dockerfile] = []
    ignores: list[DockerIgnore] = []
    manifests: list[Manifests] = []
    makefiles: list[Makefile] = []
    configs: list[ConfigFile] = []
    errors: list[ParseError] = []
    ci_files: list[CIFile] = []
    for p in sorted(parsed, key=lambda p: p.rel):
        if p.error is not None:
            errors.append(p.error)
        if p.ci is not None:
            ci_files.append(p.ci)
        f = p.facts
        if p.kind is Kind.GOSUM:
            sums.append(p.rel)
        elif isinstance(f, GoFile):
            go_files.append(f)
        elif isinstance(f, GoMod):
            if f.error is None:
                modules.append(f)
        elif isinstance(f, VendorModules):
            vendors.append(f)
        elif isinstance(f, Dockerfile):
            if f.error is None:
                dockerfiles.append(f)
        elif isinstance(f, DockerIgnore):
            ignores.append(f)
        elif isinstance(f, Makefile):
            makefiles.append(f)
        elif isinstance(f, ConfigFile):
            configs.append(f)
        elif isinstance(f, Manifests) and f.error is None and p.rel not in hidden:
            manifests.append(f)
    manifests.extend(rendered)
    return build_index(
        root.name or str(root),
        go_files,
        modules,
        sums,
        vendors,
        dockerfiles,
        ignores,
        manifests,
        errors,
        all_paths,
        declared,
        makefiles,
        excluded,
        build_refs,
        configs,
        ci_files=ci_files,
        func_reader=func_reader,
    )


def func_reader(
    files: Sequence[SourceFile], calls: frozenset[str], parsed: Iterable[Parsed] = ()
) -> Callable[[str], tuple[FuncDecl, ...]]:
    """Reads a Go file's functions, once per file: those ``parsed`` kept apart are
    unpickled; a skimmed file is read the way any file is (``parse_one``: size cap,
    time budget; a file that cannot be read now declares none)."""
    where = {f.rel: f for f in files if f.kind is Kind.GO}
    apart = {p.rel: p.funcs for p in parsed if p.funcs is not None}
    whole = ParseOptions(calls, prefilter=False)
    memo: dict[str, tuple[FuncDecl, ...]] = {}

    def read(rel: str) -> tuple[FuncDecl, ...]:
        got = memo.get(rel)
        if got is None:
            blob, src = apart.get(rel), where.get(rel)
            if blob is not None:  # this run's workers' pickle, or the signed cache's
                funcs = pickle.loads(blob)
            else:
                facts = parse_one(src, whole).facts if src is not None else None
                funcs = facts.funcs if isinstance(facts, GoFile) else ()
            got = memo[rel] = funcs if isinstance(funcs, tuple) else ()
        return got

    return read


@dataclass(frozen=True, slots=True)
class RunOutcome:
    result: Result
    internal_errors: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    #: The index the rules read (the fleet joins services across repositories with it).
    index: ProjectIndex | None = field(default=None, compare=False, repr=False)
    #: What the run did (``go_parsed``, ``go_skimmed``, ``cache_hits``, ``cache_misses``).
    counts: tuple[tuple[str, int], ...] = ()


def resolve_root(paths: Sequence[str]) -> tuple[Path, list[Path]]:
    if not paths:
        paths = ["."]
    resolved = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise UsageError(f"{p}: no such file or directory")
        resolved.append(path.resolve())
    if len(resolved) == 1:
        root = resolved[0] if resolved[0].is_dir() else resolved[0].parent
    else:
        root = Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))
    return root, resolved


def run_rules(
    ix: ProjectIndex, rules: Iterable[Rule], config: Config
) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    errors: list[str] = []
    for r in rules:
        try:
            findings.extend(r.run(ix, config.options_for(r)))
        except Exception:
            tb = traceback.format_exc(limit=-3).strip().splitlines()
            errors.append(f"rule {r.id} ({r.name}) crashed: {tb[-1]}")
    return findings, errors


# What a forked rule worker reads (inherited through fork, never pickled): the index,
# the config, the rules, and the two ends of the rules not yet taken.
_FORKED: tuple[ProjectIndex, Config, list[Rule], Any] | None = None


def _take(ends: Any, front: bool) -> int | None:
    """The next rule to run: this process takes from the front, the other from the
    back, until they meet (None: all taken)."""
    with ends.get_lock():
        lo, hi = ends[0], ends[1]
        if lo >= hi:
            return None
        if front:
            ends[0] = lo + 1
            return int(lo)
        ends[1] = hi - 1
        return int(hi - 1)


def _run_share(front: bool) -> tuple[list[Finding], list[str]]:
    assert _FORKED is not None
    ix, config, rules, ends = _FORKED
    findings: list[Finding] = []
    errors: list[str] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        while (i := _take(ends, front)) is not None:
            more, more_errors = run_rules(ix, [rules[i]], config)
            findings.extend(more)
            errors.extend(more_errors)
    finally:
        if enabled:
            gc.enable()
    return findings, errors


def run_rules_parallel(
    ix: ProjectIndex, rules: list[Rule], config: Config, jobs: int
) -> tuple[list[Finding], list[str]]:
    """The rules shared with a forked child when the project is large enough for that
    to pay: each process takes the next rule not yet taken, so a slow rule does not
    leave the other idle (the child inherits the index; only findings travel back)."""
    global _FORKED
    if jobs <= 1 or len(ix.go_files) < PARALLEL_RULE_FILES or len(rules) < 2:
        return run_rules(ix, rules, config)
    # The child shares the index through fork. Rules run no Go code, so the fork is
    # safe even when this process has started the Dockerfile parser's Go runtime.
    ctx = multiprocessing.get_context("fork")
    _FORKED = (ix, config, list(rules), ctx.Array("i", [0, len(rules)]))
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            future = pool.submit(_run_share, False)
            findings, errors = _run_share(True)
            more, more_errors = future.result()
    finally:
        _FORKED = None
        gc.unfreeze()
    return findings + more, sorted(errors + more_errors)


@dataclass(frozen=True, slots=True)
class Project:
    """A checked tree, read once: what ``check``, ``init`` (and what comes next) start
    from. ``parsed`` keeps each file's inline suppressions for the engine."""

    root: Path
    index: ProjectIndex
    files: tuple[SourceFile, ...]
    notices: tuple[Notice, ...]
    parsed: tuple[Parsed, ...] = ()
    #: Helm/Kustomize: what was rendered, and where rendered values came from.
    rendered: render.Output = field(default_factory=render.Output)


def load_project(
    paths: Sequence[str],
    config: Config | None = None,
    jobs: int | None = None,
    clock: _Clock | None = None,
    require_files: bool = True,
) -> Project:
    """Discover, parse (once per file) and index the tree at ``paths``, with the
    configuration's declared service joins (``[services.<name>]``). No rule runs."""
    config = config if config is not None else Config()
    clock = clock or _Clock()
    root, resolved = resolve_root(paths)
    excluded = config.excluder(root)
    files, notices = discover(root, resolved, excluded)
    if require_files:
        _something_to_check(paths or ["."], resolved, files, root)
    clock.lap("discover")
    options = ParseOptions(call_table(), PREFILTER, schema_version(config))
    cache = (
        FactCache.open(
            config.cache_dir,
            options.calls,
            "\0".join(map(str, [root, *resolved])),
            variant=options.variant,
        )
        if config.cache_dir is not None
        else None
    )
    parsed = parse_all(files, jobs, options, cache=cache)
    refs = buildrefs.resolve(
        buildrefs.collect(p.facts for p in parsed), lambda rel: (root / rel).is_file()
    )
    named = [r.dockerfile for r in refs if r.dockerfile is not None]
    more, more_notices = named_dockerfiles(root, resolved, named, files, excluded)
    if more:  # named as a Dockerfile by a build command, whatever its name
        files = sorted([*files, *more], key=lambda f: f.rel)
        parsed = [*parsed, *parse_all(more, jobs, options, cache=cache)]
    notices.extend(more_notices)
    clock.lap("parse")
    if cache is not None:
        clock.counts.update(cache_hits=cache.hits, cache_misses=cache.misses)
    for p in parsed:
        notices.extend(p.notices)
    listed = [f.rel for f in files]
    rendered = render.render_all(
        root,
        listed,
        helm_values=_helm_values(root, listed, config),
        enabled=config.render,
    )
    notices.extend(rendered.notices)
    clock.lap("render")
    if any(p.is_file() for p in resolved):
        # Single files were named: rules that ask "is this path in the context?" must
        # still see the rest of the tree (listed, not parsed).
        listed = sorted({*listed, *(f.rel for f in discover(root, [root], excluded)[0])})
    ix = index_from(
        root,
        parsed,
        listed,
        _declared(config, root),
        rendered.manifests,
        rendered.hidden,
        excluded,
        refs,
        func_reader(files, options.calls, parsed),
    )
    clock.lap("index")
    return Project(root, ix, tuple(files), tuple(notices), tuple(parsed), rendered)


_LOOKED_FOR = "Go sources, go.mod, Dockerfiles, .dockerignore, Kubernetes and compose YAML"


#: Listed (keys, .env files) or read only for the builds they run (shell scripts):
#: not something to check on their own.
_NOT_CHECKED = frozenset({Kind.SENSITIVE, Kind.SCRIPT, Kind.CONFIG})


def _something_to_check(
    given: Sequence[str], resolved: list[Path], files: list[SourceFile], root: Path
) -> None:
    """A named file dockready does not read, or a tree with nothing it reads, is a
    usage error (a typo in a CI path must not pass as "no problems")."""
    from dockready.discover import classify, relative

    for shown, p in zip(given, resolved, strict=False):
        kinds = {classify(p.name), classify(relative(root, p))} - {None, *_NOT_CHECKED}
        if p.is_file() and not kinds:
            raise UsageError(f"{shown}: not a file dockready reads (it reads {_LOOKED_FOR})")
    if all(f.kind in _NOT_CHECKED for f in files):
        where = ", ".join(given)
        raise UsageError(f"nothing to check under {where} (looked for {_LOOKED_FOR})")


def _helm_values(root: Path, rels: Sequence[str], config: Config) -> dict[str, list[str]]:
    """Each ``--helm-values`` file for the chart whose folder holds it, or for the only
    chart there is. Raises ``UsageError`` when a file fits no chart."""
    if not config.helm_values:
        return {}
    charts = render.chart_dirs(rels)
    out: dict[str, list[str]] = {}
    for f in config.helm_values:
        if not f.is_file():
            raise UsageError(f"{f}: no such Helm values file")
        try:
            rel = f.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = "/"  # outside the checked tree: in no chart's folder
        owners = [c for c in charts if c == "." or rel.startswith(c + "/")]
        if owners:
            chart = max(owners, key=len)
        elif len(charts) == 1:
            chart = charts[0]
        else:
            where = "no chart is checked" if not charts else "it is in no chart's folder"
            raise UsageError(f"{f}: cannot tell which chart these Helm values are for ({where})")
        out.setdefault(chart, []).append(str(f.resolve()))
    return out


def schema_version(config: Config) -> str:
    """The Kubernetes version objects are validated against while parsing: that of
    the first rule that runs with a ``kube-version`` option (DR425), "" if none runs.
    The rule takes the result from the facts (``kubeschema.problems``)."""
    for r in all_rules():
        if "kube-version" in r.option_keys() and config.rule_enabled(r.id):
            from dockready import kubeschema

            return str(config.options_for(r).kube_version or kubeschema.latest())
    return ""


def call_table() -> frozenset[str]:
    """The Go call names the parser records: what the facts need, and what the rules
    declare they ask about (``@rule(calls=...)``)."""
    return FACT_CALLS | call_names(all_rules())


def check(
    paths: Sequence[str], config: Config | None = None, jobs: int | None = None
) -> RunOutcome:
    """Run the whole audit over ``paths``: exactly what ``dockready check`` reports.

    ``config`` selects the rules, gives them their options, drops findings under
    per-path ignores, overrides severities and names a baseline; without one, every
    rule runs as registered (``Config()``). Reading ``.dockready.toml`` is the
    caller's business (``config.resolve_config``). Raises ``UsageError`` for paths
    or a baseline that cannot be used.

    The cyclic garbage collector is paused for the run: facts are acyclic and live
    until the result is built, so collections would only walk them again and again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(paths, jobs, config if config is not None else Config())
    finally:
        if enabled:
            gc.enable()


def _check(paths: Sequence[str], jobs: int | None, config: Config) -> RunOutcome:
    clock = _Clock()
    known = _load_baseline(config)
    project = load_project(paths, config, jobs, clock)
    ix, root = project.index, project.root
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 4)
    rules = [r for r in static_rules() if config.rule_enabled(r.id)]
    findings, errors = run_rules_parallel(ix, rules, config, workers)
    findings = _rendered_by(findings, project.rendered)
    findings = _one_per_copy(findings, ix, frozenset(project.rendered.rendered))
    generated = {g.path for g in ix.go_files if g.generated}
    findings = [f for f in findings if f.span.path not in generated]
    clock.lap("rules")
    findings, suppressed = _suppress(
        ix, project.parsed, findings, {r.id for r in rules}, config, root
    )
    findings = sorted(_once(findings), key=finding_order)
    suppressed = sorted(_once(suppressed), key=finding_order)
    infos = tuple(r.info for r in rules)
    baselined = 0
    if known is not None:
        findings, baselined = baseline.new_only(findings, known)
    result = Result(
        root=str(root),
        findings=tuple(findings),
        services=tuple(service_summary(s, infos) for s in ix.services),
        notices=tuple(sorted(project.notices, key=lambda n: (n.span or Span(""), n.message))),
        files_checked=sum(f.kind is not Kind.SENSITIVE for f in project.files)
        + len(project.rendered.rendered),
        suppressed=tuple(suppressed),
        baselined=baselined,
        rules=infos,
    )
    clock.lap("result")
    skimmed = sum(g.skimmed for g in ix.go_files)
    clock.counts.update(go_parsed=len(ix.go_files) - skimmed, go_skimmed=skimmed)
    return RunOutcome(result, tuple(errors), tuple(clock.laps), ix, tuple(clock.counts.items()))


def finding_order(f: Finding) -> tuple[object, ...]:
    """A total order of findings, so that every run prints them alike: two findings
    of one rule on one line (for two services) differ by service, then message."""
    return (*f.sort_key, f.service or "", f.message, tuple((r.span, r.message) for r in f.related))


def _rendered_by(findings: list[Finding], rendered: render.Output) -> list[Finding]:
    """A finding on a Helm values line names the template lines that render it."""
    if not rendered.related:
        return findings
    out = []
    for f in findings:
        tpls = rendered.related.get((f.span.path, f.span.line))
        if tpls:
            more = tuple(
                Related(Span(p, ln), "the template that renders this value")
                for p, ln in sorted(tpls)
            )
            f = dataclasses.replace(f, related=(*f.related, *more))
        out.append(f)
    return out


def _one_per_copy(
    findings: list[Finding], ix: ProjectIndex, templates: frozenset[str] = frozenset()
) -> list[Finding]:
    """One workload kept as raw manifests, a Helm chart and a Kustomize overlay is one
    workload: a defect found on each copy (same rule, same message, same kind and
    name) is reported once, at the first plain file (a template after), the others
    as related locations."""
    starts = suppress.object_starts(ix.manifests)
    by_start = {(w.span.path, w.span.line): w for w in ix.workloads}

    def owner(f: Finding) -> tuple[str, str] | None:
        lines = starts.get(f.span.path)
        if not lines:
            return None
        k = bisect.bisect_right(lines, f.span.line) - 1
        w = by_start.get((f.span.path, lines[k])) if k >= 0 else None
        return (w.kind, w.name) if w is not None else None

    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    out: list[Finding] = []
    for f in findings:
        o = owner(f)
        if o is None:
            out.append(f)
        else:
            groups.setdefault((f.rule_id, f.message, *o), []).append(f)
    for fs in groups.values():
        if len({f.span.path for f in fs}) < 2:
            out.extend(fs)
            continue
        first, *rest = sorted(
            fs, key=lambda f: (f.span.path in templates, f.span.path, f.span.line, f.span.col)
        )
        more = tuple(Related(f.span, "the same in another copy of this workload") for f in rest)
        out.append(dataclasses.replace(first, related=(*first.related, *more)))
    return out


def _once(findings: Iterable[Finding]) -> set[Finding]:
    """Each finding once. The same defect at the same place found for two services
    (a Dockerfile both build, a manifest both use) is one finding of neither: which
    one it belongs to is not certain; it keeps every service's related locations (each
    one's ``func main``, say)."""
    owners: dict[Finding, tuple[set[str | None], dict[Related, None]]] = {}
    # in a fixed order, whatever order the rule workers returned them in
    for f in sorted(findings, key=lambda f: (*f.sort_key, f.service or "", f.message)):
        names, related = owners.setdefault(
            dataclasses.replace(f, service=None, related=()), (set(), {})
        )
        names.add(f.service)
        related.update(dict.fromkeys(f.related))
    return {
        dataclasses.replace(
            f, service=None if len(names) > 1 else next(iter(names)), related=tuple(related)
        )
        for f, (names, related) in owners.items()
    }


def _load_baseline(config: Config) -> baseline.Baseline | None:
    if config.baseline is None:
        return None
    try:
        return baseline.load(config.baseline)
    except baseline.BaselineError as e:
        raise UsageError(str(e)) from None


def service_summary(
    s: Service, rules: Sequence[RuleInfo], observed: bool = False
) -> ServiceSummary:
    """What the result says of a service: its inputs and the rules that do not apply
    to it (``observed``: ``verify`` ran a container of it)."""
    summary = ServiceSummary(
        name=s.name,
        root=s.root,
        main_packages=(s.main.dir,) if s.main else (),
        dockerfiles=tuple(b.dockerfile.path for b in s.builds),
        workloads=tuple(
            f"{d.workload.path}#{d.workload.kind}/{d.workload.name}" for d in s.deployments
        ),
        compose_services=tuple(f"{c.path}#{c.name}" for c in s.compose),
        observed=observed,
    )
    return summary.judged_by(rules)


def _declared(config: Config, root: Path) -> tuple[Declared, ...]:
    """``[services.<name>]`` with paths made relative to the checked root (the file's
    paths are relative to its own directory); entries outside the root are dropped."""
    base = config.base or root

    def rel(p: str) -> str | None:
        try:
            return (base / p).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return None

    out = []
    for name, svc in config.services.items():
        dockerfiles = tuple(r for p in svc.dockerfiles if (r := rel(p)) is not None)
        workloads = []
        for w in svc.workloads:
            path, sep, obj = w.partition("#")
            r = rel(path)
            if r is not None:
                workloads.append(f"{r}{sep}{obj}")
        out.append(Declared(name, dockerfiles, tuple(svc.images), tuple(workloads)))
    return tuple(out)


def _suppress(
    ix: ProjectIndex,
    parsed: Sequence[Parsed],
    findings: list[Finding],
    ran: set[str],
    config: Config,
    root: Path,
) -> tuple[list[Finding], list[Finding]]:
    """Inline suppressions: (active findings, suppressed findings). Unused and unreadable
    suppressions become DR001 findings (for ids of rules that ran)."""
    sups = [x for p in parsed for x in p.suppressions]
    problems = [x for p in parsed for x in p.problems]
    wl_sups, wl_problems = suppress.workload_scan(
        ix.workloads, suppress.object_starts(ix.manifests)
    )
    pairs, unused = suppress.apply(findings, [*sups, *wl_sups])
    active = [f for f, s in pairs if s is None]
    quiet = [
        dataclasses.replace(f, suppressed=s.reason or "suppressed in source")
        for f, s in pairs
        if s is not None
    ]
    if "DR001" in ran:
        dr001 = RULES["DR001"]
        for u in unused:
            what = "suppression" if u.scope == suppress.LINE else "annotation"
            unknown = [i for i in u.ids if i not in RULES]
            if unknown:
                msg = f"{what} names {', '.join(unknown)}, which is no dockready rule"
                active.append(dr001.finding(Hit(u.span, msg), ix))
            stale = [i for i in u.ids if i in ran]
            if stale:
                msg = f"{what} of {', '.join(stale)} matches no finding here: remove it"
                active.append(dr001.finding(Hit(u.span, msg), ix))
        for pr in [*problems, *wl_problems]:
            active.append(dr001.finding(Hit(pr.span, pr.message), ix))
    return config.apply(active, root), config.apply(quiet, root)


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []
        #: What the run did, for ``--timings`` (files read from the cache...).
        self.counts: dict[str, int] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now
