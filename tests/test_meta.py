"""Meta-tests over the registry: every rule is documented and has fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from dockready.docs import with_readme_table
from dockready.model import Input, Tag
from dockready.rules.registry import CHAPTER_PACKAGES, DOC_SECTIONS, all_rules, section

RULES = all_rules()
REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_has_docs(r) -> None:  # type: ignore[no-untyped-def]
    for title in DOC_SECTIONS:
        assert section(r.doc, title), f"{r.id} lacks the '## {title}' section"
    assert r.summary, f"{r.id} has no summary"


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_has_fixtures(r) -> None:  # type: ignore[no-untyped-def]
    d = FIXTURES / r.id
    exp = d / "expect.yaml"
    assert exp.is_file(), f"{r.id} has no tests/fixtures/{r.id}/expect.yaml"
    spec = yaml.safe_load(exp.read_text()) or {}
    assert any(k.startswith("bad") for k in spec), f"{r.id} has no bad case"
    assert any(k.startswith("good") for k in spec), f"{r.id} has no good case"
    for case in spec:
        assert (d / case).is_dir(), f"{r.id}: expect.yaml names missing case {case}"
    for sub in d.iterdir():
        if sub.is_dir():
            assert sub.name in spec, f"{r.id}: case {sub.name} is not in expect.yaml"


def test_ids_match_checklist() -> None:
    """Rule ids, names and severities are the public contract of CHECKLIST.md: the
    rule says them once (``@rule``) and the catalog agrees."""
    checklist = REPO / "docs" / "CHECKLIST.md"
    rows = re.findall(r"^\| (DR\d{3}) \| ([a-z0-9-]+) \| ([a-z/]+) \|", checklist.read_text(), re.M)
    table = {rid: (name, sev.split("/")) for rid, name, sev in rows}
    for r in RULES:
        if r.id == "DR000":
            continue
        name, severities = table.get(r.id, ("", []))
        assert name == r.name, f"{r.id} is {name!r} in CHECKLIST.md"
        assert r.severity.label in severities, f"{r.id}: CHECKLIST.md says {severities}"


def test_readme_table_is_generated() -> None:
    """The README's rules table is written by `make docs` from the rules."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert with_readme_table(readme, RULES) == readme, "README rules table drifted: make docs"
    for r in RULES:
        assert f"| {r.id} | {r.name} | {r.severity.label} |" in readme


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_lives_in_its_own_module(r) -> None:  # type: ignore[no-untyped-def]
    """`rules/<chapter package>/<id>_<name>.py`, one rule per module: the file name
    is where the rule is found, so adding a rule is adding a module."""
    pkg, _, leaf = r.module.rpartition(".")
    assert pkg == f"dockready.rules.{CHAPTER_PACKAGES[r.chapter]}", r.module
    assert leaf == f"{r.id.lower()}_{r.name.replace('-', '_')}", r.module
    assert [o.id for o in RULES if o.module == r.module] == [r.id]


def test_every_module_of_a_chapter_package_is_a_rule() -> None:
    """No module in a chapter package without its rule, and nothing but the registry
    beside the chapter packages."""
    import pkgutil

    import dockready.rules as top
    from dockready.rules.registry import rule_modules

    ruled = {r.module for r in RULES}
    assert set(rule_modules()) == ruled
    loose = [m.name for m in pkgutil.iter_modules(top.__path__) if not m.ispkg]
    assert loose == ["registry"]


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_metadata_is_well_formed(r) -> None:  # type: ignore[no-untyped-def]
    assert all(isinstance(i, Input) for i in r.reads)
    assert all(isinstance(t, Tag) for t in r.tags)
    if Tag.SECRET in r.tags:
        assert Tag.SECURITY in r.tags, f"{r.id}: a leaked secret is a security finding"
    for key in r.option_keys().values():
        as_toml = list(key.default) if isinstance(key.default, tuple) else key.default
        assert key.doc and key.check(as_toml, "x") == key.default  # the default is valid


def test_rule_docs_are_generated_from_the_docstrings() -> None:
    """docs/rules/ must match the rules: run `make docs` after editing a rule."""
    from dockready.docs import pages

    docs = Path(__file__).resolve().parents[1] / "docs" / "rules"
    for name, text in pages().items():
        path = docs / name
        assert path.is_file(), f"docs/rules/{name} is missing: run `make docs`"
        assert path.read_text(encoding="utf-8") == text, (
            f"docs/rules/{name} drifted: run `make docs`"
        )
    extra = {p.name for p in docs.glob("*.md")} - set(pages())
    assert not extra, f"stale pages in docs/rules: {sorted(extra)}"


# -- the Go calls a rule asks about are recorded ---------------------------------------

_QUALIFIED = re.compile(r"^[a-z0-9][a-z0-9./_-]*\.([A-Z][A-Za-z0-9_]*)$")
_METHOD = re.compile(r"^\.?([A-Z][a-z][A-Za-z0-9]*)$")
#: Capitalised words in rule modules that are not Go calls: types and variables
#: (``os.Kill``, ``time.Local``), struct fields (DR420 reads ``Addr:`` and friends,
#: DR211 zap's ``OutputPaths``), Kubernetes kinds, Go booleans in build settings.
NOT_CALLS = frozenset(
    {"Server", "Client", "Config", "Logger", "DefaultClient", "DefaultServeMux"}
    | {"Stdout", "Stderr", "Kill", "Local", "OutputPaths", "ErrorOutputPaths"}
    | {"Addr", "Address", "Addresses", "Addrs", "BaseURL", "Brokers", "Endpoint"}
    | {"Endpoints", "Host", "Hosts", "Servers"}
    | {"Deployment", "StatefulSet", "Job", "CronJob", "True", "False", "ImageMagick"}
    | {"Rollout", "DeploymentConfig"}
    | {"DaemonSet", "ReplicaSet", "Application", "ApplicationSet", "Kustomization"}
    | {"HelmRelease", "GitRepository", "OCIRepository", "GitRepo", "ServiceMonitor"}
    | {"PodMonitor", "PodMonitoring", "ClusterPodMonitoring", "ScrapeConfig", "Probe"}
)


def _asked(path: Path) -> set[str]:
    """Call names a module asks about: qualified callees (``"net/http.Get"``) and
    method names listed in its sets, tuples and dicts (``{"FormFile", ...}``)."""
    import ast

    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = _QUALIFIED.match(node.value)
            if m:
                out.add(m.group(1))
        if isinstance(node, ast.Set | ast.Tuple | ast.List | ast.Dict):
            elts = node.values if isinstance(node, ast.Dict) else node.elts
            for e in elts:
                if isinstance(e, ast.Constant) and isinstance(e.value, str):
                    m = _METHOD.match(e.value)
                    if m:
                        out.add(m.group(1))
    return out - NOT_CALLS


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.id)
def test_rule_declares_the_calls_it_asks_about(r) -> None:  # type: ignore[no-untyped-def]
    """The parser records a call only when its name is asked for (speed): a rule
    that matches a call it did not declare (and the facts do not record) would
    silently never fire, as DR221 did on gin's ``c.MultipartForm()``."""
    import importlib

    from dockready.facts.go import FACT_CALLS
    from dockready.rules.registry import call_names

    module = importlib.import_module(r.module)
    assert module.__file__ is not None
    missing = _asked(Path(module.__file__)) - FACT_CALLS - call_names([r])
    assert not missing, f"{r.id} asks about calls it does not declare: {sorted(missing)}"


def test_shared_facts_ask_only_for_recorded_calls() -> None:
    """Derived facts and the generator read calls too: what they ask about is in the
    parser's table (the facts' own, or declared by the rules that use them)."""
    from dockready.engine import call_table

    src = REPO / "src" / "dockready"
    table = call_table()
    for path in [*src.glob("facts/derived/*.py"), src / "generate" / "detect.py"]:
        missing = _asked(path) - table
        assert not missing, f"{path.name} asks about unrecorded calls: {sorted(missing)}"


def test_call_table_is_the_facts_and_the_rules() -> None:
    """The parser's table is derived: the facts' names plus every rule's."""
    from dockready.engine import call_table
    from dockready.facts.go import FACT_CALLS
    from dockready.rules.registry import call_names

    assert call_table() == FACT_CALLS | call_names(RULES)


def test_package_data_ships_the_report_assets_and_templates() -> None:
    """The HTML report's CSS/JS and init's templates are package data: a wheel that
    lacked one would fail at run time, not at install."""
    import fnmatch
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["dockready"]
    pkg = REPO / "src" / "dockready"
    data = [*(pkg / "report" / "assets").iterdir(), *(pkg / "generate" / "templates").rglob("*.j2")]
    assert data
    for f in data:
        rel = f.relative_to(pkg).as_posix()
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), f"{rel} is not package data"
