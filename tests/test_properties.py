"""Property-based tests (Hypothesis) of the readers and matchers that take untrusted
input: no exception escapes, every run stays bounded, and the matchers agree with a
reference (``fnmatch`` for the simple cases, Docker's documented examples).

The time bound per example is generous (``deadline``): only a super-linear blow-up
crosses it, not a slow machine.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from datetime import timedelta

import pytest
from conftest import skimmed
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dockready import suppress
from dockready.config import compile_glob
from dockready.facts.docker import IgnorePattern
from dockready.facts.ignorematch import matches
from dockready.model import Span
from dockready.parse.dockerfile import MAX_EXPANDED, expand, parse_dockerfile
from dockready.parse.dockerignore import parse_dockerignore
from dockready.parse.gomod import parse_gomod
from dockready.parse.gosrc import parse_go
from dockready.parse.yamlfiles import read_yaml
from dockready.secrets import scrub, secret_line

BOUNDED = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text that looks like each format: its keywords and punctuation, mixed with noise.
_DOCKER_WORDS = st.sampled_from(
    ["FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "USER", "CMD", "ENTRYPOINT", "EXPOSE",
     "WORKDIR", "HEALTHCHECK", "ONBUILD", "LABEL", "AS", "--from=", "${A}", "$B", "\\",
     "\n", " ", "=", '"', "'", "[", "]", ",", "<<EOF", "EOF", "#", "scratch", "a:b", "&&"]
)  # fmt: skip
_YAML_WORDS = st.sampled_from(
    ["apiVersion: v1", "kind: Deployment", "metadata:", "  name: x", "spec:", "- ", "  ",
     ": ", "&a", "*a", "<<: *a", "{", "}", "[", "]", "'", '"', "\n", "---", "{{ .Values.x }}",
     "!!binary", "%YAML 1.1", "\t", "#", "|", ">"]
)  # fmt: skip
_GO_WORDS = st.sampled_from(
    ["package main\n", "import \"os\"\n", "func main() {", "}", "x := ", "x = ", "y", "x",
     '"a"', "+", "os.Getenv(\"P\")", "append(x, 1)", "http.ListenAndServe(x, nil)",
     "\n", " ", "(", ")", "//dockready:ignore DR101\n", "`", "var password = ", "const c = "]
)  # fmt: skip


def _text(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(words, max_size=80).map("".join),
        st.text(max_size=400),
        st.lists(st.one_of(words, st.text(max_size=5)), max_size=60).map("".join),
    )


@BOUNDED
@given(_text(_DOCKER_WORDS))
def test_dockerfile_reader_never_raises(text: str) -> None:
    d = parse_dockerfile("Dockerfile", text)
    assert d.error is not None or d.stages is not None


@BOUNDED
@given(_text(_YAML_WORDS))
def test_yaml_reader_never_raises(text: str) -> None:
    read_yaml("k8s/x.yaml", text)
    read_yaml("config/app.yaml", text, config="yaml")


@BOUNDED
@given(_text(st.sampled_from(["module ", "go 1.22", "require (", ")", "replace ", " => ",
                              "toolchain go1.23", "\n", "//", "example.com/x", " v1.0.0"])))  # fmt: skip
def test_gomod_reader_never_raises(text: str) -> None:
    parse_gomod("go.mod", text)


@BOUNDED
@given(_text(st.sampled_from(["**", "*", "?", "[", "]", "!", "\\", "/", "a", ".", "\n", "#"])))
def test_dockerignore_reader_and_matcher_never_raise(text: str) -> None:
    di = parse_dockerignore(".dockerignore", text)
    for path in ("a", "a/b.go", "aaaa/aaaa/aaaab", ".git/config", "x/y/z/w"):
        di.excludes(path)


@BOUNDED
@given(_text(_GO_WORDS))
def test_go_reader_and_value_resolver_never_raise(text: str) -> None:
    parse_go("main.go", text.encode("utf-8", "surrogateescape"))


# The pieces of a Go file's header, and what may follow it, for the skimmer.
_HEADER_WORDS = st.sampled_from(
    ["package store", "package main", "package", " store", "import", " ", "\n", "\t",
     "(", ")", ";", '"fmt"', '"a/b"', "`raw/p`", '"é"', "_", ".", "alias", "// c\n",
     "/* c */", "/* é\n */", "/*", "func f() {}", "type T struct{}", "var v = 1",
     "const c = 2", "x := 1", '"a\\x62"', "\ufeff", "import (", '\t"os"\n']
)  # fmt: skip


@settings(BOUNDED, max_examples=1500)
@given(_text(_HEADER_WORDS))
def test_a_skimmed_header_is_read_as_the_parser_reads_it(text: str) -> None:
    """The prefilter's scanner reads what tree-sitter reads, or gives up: exactly, for
    a file tree-sitter parses without an error (what it makes of a broken file is
    its error recovery's guess)."""
    source = text.encode("utf-8", "surrogateescape")
    got = skimmed("x/y.go", source)
    if got is not None:
        full = parse_go("x/y.go", source)
        if full.error is None:
            assert got == dataclasses.replace(full, funcs=(), skimmed=True)


@BOUNDED
@given(
    st.lists(
        st.sampled_from(
            ['x := "a"', "x = x + x", "x = y + x", 'y := os.Getenv("P")', "y = x + y",
             "x = append(x, y)", 'if x == "" { x = "d" }', "z := x + y + x"]
        ),
        max_size=60,
    )
)  # fmt: skip
def test_value_resolution_is_bounded(lines: list[str]) -> None:
    """Chains of reassignment that double a value, or refer to each other: parsing
    ends within the deadline and a listener is still found."""
    body = "\n\t".join(lines)
    src = (
        'package main\n\nimport (\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\tvar x, y string\n\t'
        + body
        + "\n\thttp.ListenAndServe(x, nil)\n}\n"
    )
    g = parse_go("main.go", src.encode())
    assert any(c.name == "ListenAndServe" for c in g.calls) or g.listeners


@BOUNDED
@given(
    st.dictionaries(
        st.sampled_from(["A", "B", "C"]),
        st.text(alphabet="xyz$", max_size=20).map(lambda s: s * 500),
        max_size=3,
    ),
    st.lists(st.sampled_from(["$A", "${B}", "${C:-d}", "${A:+$B$B}", "'$A'", '"$B"', "x"]),
             max_size=40).map("".join),
)  # fmt: skip
def test_arg_expansion_is_capped(known: dict[str, str], word: str) -> None:
    out = expand(word, known)
    assert len(out) <= max(MAX_EXPANDED, len(word))


def test_arg_expansion_past_the_cap_is_the_word_as_written() -> None:
    known = {"A": "x" * (MAX_EXPANDED // 2 + 1)}
    assert expand("${A}${A}", known) == "${A}${A}"
    assert expand("${A}", known) == known["A"]


@BOUNDED
@given(
    st.text(max_size=300),
    st.sampled_from(sorted(suppress.KINDS)),
)
def test_suppression_scanner_never_raises(text: str, kind: str) -> None:
    suppress.scan_all("f", "# dockready: ignore=DR101\n" + text, kind)
    suppress.scan_all("f", text.encode("utf-8", "surrogateescape"), kind)


# --------------------------------------------------------------------------- matchers

_NAME = st.text(alphabet="ab.", min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))
_SIMPLE_GLOB = st.text(alphabet="ab.*?", min_size=1, max_size=10)


@settings(max_examples=400, deadline=timedelta(seconds=5))
@given(_SIMPLE_GLOB.filter(lambda p: p not in (".", "..")), _NAME)
def test_exclude_glob_agrees_with_fnmatch_on_names(pattern: str, name: str) -> None:
    """A glob without ``/`` matches a name at any depth: on one name it is fnmatch."""
    assert bool(compile_glob(pattern).fullmatch(name)) == fnmatch.fnmatchcase(name, pattern)


@settings(max_examples=400, deadline=timedelta(seconds=5))
@given(_SIMPLE_GLOB.filter(lambda p: "**" not in p), _NAME)
def test_dockerignore_agrees_with_fnmatch_on_names(pattern: str, name: str) -> None:
    got = matches([IgnorePattern(pattern, False, Span(".dockerignore"))], name)
    assert got == fnmatch.fnmatchcase(name, pattern)


# Docker's documented .dockerignore examples
# (https://docs.docker.com/build/concepts/context/#dockerignore-files).
DOCKER_EXAMPLES = [
    (["*/temp*"], "somedir/temporary.txt", True),
    (["*/temp*"], "somedir/temp", True),
    (["*/temp*"], "temp", False),
    (["*/*/temp*"], "somedir/subdir/temporary.txt", True),
    (["*/*/temp*"], "somedir/temporary.txt", False),
    (["temp?"], "tempa", True),
    (["temp?"], "tempab", False),
    (["**/*.go"], "main.go", True),
    (["**/*.go"], "a/b/c.go", True),
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README.md"], "CHANGES.md", True),
    (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", True),
    (["*.md", "!README*.md", "README-secret.md"], "README-other.md", False),
    (["*.md", "README-secret.md", "!README*.md"], "README-secret.md", False),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), DOCKER_EXAMPLES)
def test_dockerignore_matches_dockers_examples(
    patterns: list[str], path: str, excluded: bool
) -> None:
    ps = [IgnorePattern(p.lstrip("!"), p.startswith("!"), Span(".dockerignore")) for p in patterns]
    assert matches(ps, path) is excluded


@example("*a" * 40 + "c")
@example("/".join(["**"] * 40) + "/x")
@example("**/" * 40 + "*.md")
@settings(max_examples=200, deadline=timedelta(seconds=5))
@given(st.text(alphabet="*a/?[]!c", min_size=1, max_size=120))
def test_glob_matching_is_linear_on_hostile_patterns(pattern: str) -> None:
    path = "a/" * 30 + "a" * 200 + "b"
    matches([IgnorePattern(pattern, False, Span(".dockerignore"))], path)
    try:
        rx = compile_glob(pattern)
    except ValueError:
        return
    rx.fullmatch(path)


# --------------------------------------------------------------------------- secrets


@BOUNDED
@given(st.text(max_size=2000))
@example("key" * 20000)
@example("a://" + "b:" * 100000)
def test_secret_detection_is_linear(text: str) -> None:
    secret_line(text)
    scrub(text)


@BOUNDED
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=3, max_size=30))
@example("nam")  # a piece of the message's own words
@example("hunter2")
def test_scrubbed_messages_never_hold_the_quoted_input(value: str) -> None:
    if '"' in value or "\n" in value:
        return
    template = 'can\'t find = in "{}". Must be of the form: name=value'
    out = scrub(template.format(value))
    # the value may be a piece of the message's own words ("nam" of "name=value"):
    # it must not be there more often than in the message without it
    assert out.count(value) <= template.format("…").count(value), out
