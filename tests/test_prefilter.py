"""The prefilter (issue 13): a Go file in which no rule can read more than its
package, imports and words is skimmed, not parsed. Skimmed facts are the parsed
ones less the functions (read on demand) and the syntax errors; the findings and
notices of a check are the same with and without it."""

from __future__ import annotations

import dataclasses
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import skimmed, write_tree

from dockready import engine, report
from dockready.engine import call_table, check, load_project
from dockready.facts.go import GoFile
from dockready.parse import gosrc
from dockready.parse.gosrc import parse_go, read_go

REPO = Path(__file__).resolve().parents[1]
CALLS = call_table()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet")
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "gen_fleet.py"), str(out)],  # the bench fleet
        check=True,
        capture_output=True,
    )
    return out


def _go_files(*roots: Path) -> list[Path]:
    return sorted(p for r in roots for p in r.rglob("*.go") if p.is_file())


def _as_skimmed(path: str, source: bytes) -> object:
    full = parse_go(path, source, CALLS)
    return dataclasses.replace(full, funcs=(), error=None, skimmed=True)


def test_skimmed_facts_are_the_parsed_ones_less_functions(fleet: Path) -> None:
    n_skimmed = n_parsed = 0
    for p in _go_files(REPO / "tests" / "fixtures", REPO / "examples", fleet):
        source = p.read_bytes()
        got = skimmed(str(p), source, CALLS)
        if got is None:
            n_parsed += 1
            continue
        n_skimmed += 1
        assert got == _as_skimmed(str(p), source), p
    assert n_skimmed > 20 and n_parsed > 20, (n_skimmed, n_parsed)


HEADERS = {
    "plain": 'package store\n\nimport "fmt"\n\nfunc F() { fmt.Sprint(1) }\n',
    "group": (
        "// Package store keeps orders.\npackage store\n\nimport (\n"
        '\t"context"\n\t// a comment in the group\n\tstdjson "encoding/json"\n'
        '\t_ "embed"\n\t. "strings"\n)\n\ntype T struct{ A int }\n'
    ),
    "block comment and two groups": (
        '/* Copyright é 2026\n   all rights */\npackage store // trailing\nimport "a/b"\n'
        'import (\n\t"c/d"; \n)\nvar x = 1\n'
    ),
    "raw import path": "package store\n\nimport `a/b`\n",
    "non-ascii before an import": 'package store\n\n/* é */ import "a/b"\n',
    "package clause over two lines": "package\nstore\n",
    "cgo": 'package store\n\n// #include <stdlib.h>\nimport "C"\n\nfunc f() {}\n',
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_headers_are_read_as_the_parser_reads_them(name: str) -> None:
    source = HEADERS[name].encode()
    got = skimmed("store/x.go", source, CALLS)
    if got is None:  # not read exactly: parsed instead, which is always right
        assert name == "block comment and two groups"  # the ';' in a group
        return
    assert got == _as_skimmed("store/x.go", source)
    assert got.skimmed and got.package == "store"


@pytest.mark.parametrize(
    "source",
    [
        'package main\n\nimport "fmt"\n',  # rules read func main
        'package store\n\nimport "os"\n\nvar p = os.Getenv("PORT")\n',  # a call rules ask for
        'package store\n\nvar s = http.Server{Addr: ":8080"}\n',  # a literal of interest
        'package store\n\nconst url = "http://orders:8080"\n',  # a string worth a look
        'package store\n\nconst dbPassword = "x"\n',  # a secret-like binding
        "package store\n\n// dockready: ignore DR207\nvar x = 1\n",  # a directive
        "package store\n\nfunc f() { srv.ReadTimeout = 1 }\n",
        "package store\n\nfunc f() { c.Call(context.Background()) }\n",
        'package store; import "fmt"\n',  # a ';' the scanner does not follow
        'package store\n\nimport "a" "b"\n',
        'package store\n\nimport "a\\x62"\n',  # an escape in the path
        'package store\n\nfunc f() {}\n\nimport "late"\n',  # an import after a declaration
        'package store\n\nimport "a"\n\nx := 1\n',  # not a declaration
        "",
    ],
)
def test_files_a_rule_may_read_are_parsed(source: str) -> None:
    assert skimmed("store/x.go", source.encode(), CALLS) is None


def test_common_calls_outside_the_guarded_packages_do_not_need_a_tree() -> None:
    source = b'package store\n\nimport "errors"\n\nvar ErrGone = errors.New("gone")\n'
    assert skimmed("store/x.go", source, CALLS) is not None


def test_a_skimmed_files_functions_are_read_on_demand(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "store.go").write_text(
        "package store\n\ntype S struct{}\n\nfunc (s *S) Live() error {\n\treturn nil\n}\n"
    )
    ix = load_project([str(tmp_path)]).index
    [g] = [g for g in ix.go_files if g.path == "store/store.go"]
    assert g.skimmed and g.funcs == ()
    [f] = ix.funcs(g)
    assert (f.name, f.span.line, f.end_line) == ("(*S).Live", 5, 7)


def test_a_skimmed_file_gone_before_its_functions_are_asked_for_declares_none(
    tmp_path: Path,
) -> None:
    (tmp_path / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "store.go").write_text("package store\n\nfunc Live() {}\n")
    ix = load_project([str(tmp_path)]).index
    [g] = ix.go_files
    (tmp_path / "store" / "store.go").unlink()
    assert g.skimmed and ix.funcs(g) == ()


def test_functions_cross_processes_apart_and_are_read_through_the_index(tmp_path: Path) -> None:
    """Pickled (to a worker's parent, into the cache), a Go file's functions travel
    apart and are unpickled when a rule asks; package main and files with routes
    keep theirs (rules read those directly)."""
    files = {
        "go.mod": "module example.com/app\n\ngo 1.22\n",
        "store/store.go": 'package store\n\nimport "os"\n\n'
        'func Addr() string {\n\treturn os.Getenv("ADDR")\n}\n',
        "api/api.go": 'package api\n\nimport "net/http"\n\n'
        'func Routes(m *http.ServeMux) {\n\tm.HandleFunc("/healthz", nil)\n}\n',
        "main.go": "package main\n\nfunc main() {}\n",
    }
    write_tree(tmp_path, files)
    project = load_project([str(tmp_path)])
    whole = {g.path: g for g in project.index.go_files}
    assert all(not g.skimmed and g.funcs for g in whole.values())
    moved = [pickle.loads(pickle.dumps(p)) for p in project.parsed]
    ix = engine.index_from(
        tmp_path,
        moved,
        [f.rel for f in project.files],
        func_reader=engine.func_reader(project.files, CALLS, moved),
    )
    apart = {g.path: g for g in ix.go_files}
    assert [p for p, g in apart.items() if g.funcs_apart] == ["store/store.go"]
    assert apart["store/store.go"].funcs == ()
    (tmp_path / "store" / "store.go").unlink()  # read from the pickle, not the file
    for path, g in apart.items():
        assert ix.funcs(g) == whole[path].funcs, path


def _report(root: Path, prefilter: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """The JSON report, and how many Go files were skimmed."""
    monkeypatch.setattr(engine, "PREFILTER", prefilter)
    outcome = check([str(root)])  # worker processes on a large tree, as a user runs it
    assert not outcome.internal_errors, outcome.internal_errors
    assert outcome.index is not None
    skimmed = sum(g.skimmed for g in outcome.index.go_files)
    return report.render("json", outcome.result), skimmed


@pytest.mark.parametrize("where", ["fixtures", "examples", "fleet"])
def test_findings_are_the_same_with_and_without_the_prefilter(
    where: str, fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = {"fixtures": REPO / "tests" / "fixtures", "examples": REPO / "examples"}.get(
        where, fleet
    )
    with_it, skimmed = _report(root, True, monkeypatch)
    without, none = _report(root, False, monkeypatch)
    assert with_it == without
    assert none == 0 and (skimmed > 0 or where == "examples"), (skimmed, none)


#: Where ``GoFile.funcs`` may be read directly (elsewhere, ``ProjectIndex.funcs``):
#: files that are never skimmed nor pickled apart (``GoFile.funcs_read_directly``:
#: package main; a file with routes).
_DIRECT_FUNCS = {
    "facts/index.py": "GoPackage.is_main reads package main; ProjectIndex.funcs itself",
    "facts/derived/observability.py": "main_func reads the main package",
    "rules/container_ready/dr208_config_not_injectable.py": "the main package",
    "rules/container_ready/dr214_no_graceful_shutdown.py": "the main package",
    "rules/runtime/dr404_probe_not_served.py": "_func_at: a file with routes",
    "engine.py": "func_reader: what a parse gives",
}


def test_a_skimmed_files_functions_are_read_through_the_index() -> None:
    """A new rule reading ``g.funcs`` would see none in a skimmed file."""
    src = REPO / "src" / "dockready"
    found = set()
    for p in src.rglob("*.py"):
        rel = p.relative_to(src).as_posix()
        if rel.startswith("parse/"):
            continue
        for line in p.read_text().splitlines():
            code = line.split("#", 1)[0]
            if re.search(r"(?<!ix)(?<!index)\.funcs\b(?!\()", code):
                found.add(rel)
    assert found <= set(_DIRECT_FUNCS), sorted(found - set(_DIRECT_FUNCS))


# -- hollow parsing: bodies no byte test points into are left out of the parse -------

_FILLER = "".join(f"\tx{i} := compute({i})\n\t_ = x{i}\n" for i in range(4))


_FUNC_NAME = re.compile(rb"func (?:\([^)]*\) )?(\w+)")


def _left_out(source: bytes) -> list[str]:
    """The functions whose bodies the parse leaves out, by name."""
    out = []
    for open_, _ in gosrc._hollow_bodies(source, gosrc._byte_sites(source, CALLS)):
        m = _FUNC_NAME.match(source, source.rfind(b"\nfunc", 0, open_) + 1)
        out.append(m.group(1).decode() if m else "?")
    return out


def _same_as_whole(source: str) -> GoFile:
    data = source.encode()
    got = read_go("svc/x.go", data, CALLS)
    assert got == parse_go("svc/x.go", data, CALLS)
    return got


def test_hollow_facts_are_the_whole_parse_on_the_fixtures_and_the_fleet(fleet: Path) -> None:
    hollowed = 0
    for p in _go_files(REPO / "tests" / "fixtures", REPO / "examples", fleet):
        source = p.read_bytes()
        got = read_go(str(p), source, CALLS)
        if got.skimmed:
            continue
        hollowed += bool(_left_out(source))
        assert got == parse_go(str(p), source, CALLS), p
    assert hollowed > 500, hollowed


def test_a_body_no_rule_reads_is_left_out_and_the_rest_is_read() -> None:
    source = (
        'package main\n\nimport (\n\t"net/http"\n\t"os"\n)\n\n'
        f"func compute(i int) int {{\n{_FILLER}\treturn i\n}}\n\n"
        'func main() {\n\tport := os.Getenv("PORT")\n'
        '\thttp.ListenAndServe(":"+port, nil)\n}\n'
    )
    assert _left_out(source.encode()) == ["compute"]  # main's body has the calls
    got = _same_as_whole(source)
    assert [f.name for f in got.funcs] == ["compute", "main"]
    assert [(f.span.line, f.end_line) for f in got.funcs] == [(8, 18), (20, 23)]
    [listener] = got.listeners
    assert listener.addr.text == '":"+port'


def test_a_value_read_through_a_body_left_out_is_read_from_the_whole_parse() -> None:
    # listenAddr's body holds no byte-test site, but main's address is its return value.
    source = (
        'package main\n\nimport "net/http"\n\n'
        f'func listenAddr() string {{\n{_FILLER}\treturn ":9090"\n}}\n\n'
        "func main() {\n\thttp.ListenAndServe(listenAddr(), nil)\n}\n"
    )
    assert _left_out(source.encode()) == ["listenAddr"]
    got = _same_as_whole(source)
    [listener] = got.listeners
    assert listener.addr is not None and listener.addr.parts == (":9090",)


@pytest.mark.parametrize(
    "body",
    [
        "\tq := `\n}\nfunc fake() {\n`\n\t_ = q\n",  # a raw string over a closing line
        "\t/* a block comment\n}\n*/\n\tgo run()\n",
    ],
)
def test_a_body_with_a_multi_line_token_is_parsed(body: str) -> None:
    source = f'package store\n\nimport "os"\n\nfunc f() {{\n{body}{_FILLER}}}\n\n'
    source += 'func g() {\n\t_ = os.Getenv("X")\n}\n'
    assert _left_out(source.encode()) == []
    _same_as_whole(source)


@pytest.mark.parametrize(
    "layout",
    [
        # a closing brace at the start of a line that closes an inner block
        f"func f() {{\n\tif ok {{\n{_FILLER}}}\n\tdone()\n}}\n",
        # a func clause at the start of a line inside a top-level raw string
        f"var tmpl = `\nfunc f() {{\n{_FILLER}}}\n`\n",
        # CRLF line ends
        f"func f() {{\r\n{_FILLER.replace(chr(10), chr(13) + chr(10))}}}\r\n",
        # the signature's last line holds a struct type
        f"func f(o struct {{\n{_FILLER}}}) {{\n\tdone()\n}}\n",
    ],
)
def test_bodies_in_other_layouts_give_the_whole_parse(layout: str) -> None:
    source = f'package store\n\nimport "os"\n\n{layout}\nfunc g() {{\n\t_ = os.Getenv("X")\n}}\n'
    _same_as_whole(source)


def test_a_syntax_error_in_a_body_left_out_is_not_looked_for() -> None:
    # ``new(expr)`` (Go 1.26) is Go that tree-sitter-go cannot parse yet.
    broken = f"func f() {{\n{_FILLER}\tp := new(time.Now())\n\t_ = p\n}}\n"
    source = f'package store\n\nimport "os"\n\n{broken}\nfunc g() {{\n\t_ = os.Getenv("X")\n}}\n'
    data = source.encode()
    assert _left_out(data) == ["f"]
    whole = parse_go("svc/x.go", data, CALLS)
    assert whole.error is not None and whole.error.line == 14
    got = read_go("svc/x.go", data, CALLS)
    assert got.error is None and got == dataclasses.replace(whole, error=None)
    # in a body a rule reads, it is found as before
    kept = source.replace("_ = p", '_ = os.Getenv("P")').encode()
    assert _left_out(kept) == []
    found = read_go("svc/x.go", kept, CALLS).error
    assert found is not None and found.line == 14


@pytest.mark.parametrize(
    ("decl", "used"),
    [
        (f"func f() {{\n{_FILLER}}}\n", True),
        # a declaration without a body (its code is in assembly): the braces are a type's
        (f"func f() interface {{\n{_FILLER.replace(':=', '=')}}}\n", False),
        # a func clause inside a top-level raw string
        (f"var tmpl = `\nfunc f() {{\n{_FILLER}}}\n`\n", False),
    ],
)
def test_a_hollow_tree_is_used_only_when_each_range_left_out_is_a_functions_body(
    decl: str, used: bool
) -> None:
    source = f'package store\n\nimport "os"\n\n{decl}\nfunc g() {{ _ = os.Getenv("X") }}\n'
    source = source.encode()
    assert _left_out(source) == ["f"]
    bodies = gosrc._hollow_bodies(source, gosrc._byte_sites(source, CALLS))
    parser = gosrc.Parser(gosrc.GO)
    parser.included_ranges = gosrc._outside(source, bodies)
    root = parser.parse(source).root_node
    assert bool(gosrc._hollowed(root, bodies)) is used
    _same_as_whole(source.decode())
