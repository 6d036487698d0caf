"""Behaviour of .dockerignore parsing and matching, following Docker's documented rules
and moby's patternmatcher."""

from __future__ import annotations

import random
from textwrap import dedent

import pytest

from dockready.facts.docker import DockerIgnore
from dockready.facts.ignorematch import matches, translate
from dockready.parse.dockerignore import parse_dockerignore


def ignore(text: str) -> DockerIgnore:
    return parse_dockerignore(".dockerignore", dedent(text).lstrip("\n"))


# --------------------------------------------------------------------------- parsing


def test_parse_comments_blanks_negation_and_cleaning() -> None:
    text = (
        "# comment\n"
        "./vendor/\n"
        "\n"
        "  /bin  \t\n"
        "!/keep/./this\n"
        "! spaced\n"
        "docs/../README.md\n"
        " # not a comment: the # is not in column 1\n"
        "!\n"
    )
    di = parse_dockerignore(".dockerignore", text)
    got = [(p.pattern, p.negated, p.span.line) for p in di.patterns]
    assert got == [
        ("vendor", False, 2),
        ("bin", False, 4),
        ("keep/this", True, 5),
        ("spaced", True, 6),
        ("README.md", False, 7),
        ("# not a comment: the # is not in column 1", False, 8),
    ]
    assert di.patterns[0].span.path == ".dockerignore"


def test_parse_bom_and_crlf() -> None:
    di = parse_dockerignore("a/.dockerignore", "\ufeff.git\r\n*.md\r\n")
    assert [p.pattern for p in di.patterns] == [".git", "*.md"]
    assert di.dir == "a"


# --------------------------------------------------------------------------- matching


DOCS_EXAMPLE = """
# comment
*/temp*
*/*/temp*
temp?
"""


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("somedir/temporary.txt", True),
        ("somedir/temp", True),
        ("somedir/temp/inner.txt", True),
        ("somedir/subdir/temporary.txt", True),
        ("tempa", True),
        ("tempb/file", True),
        ("temp", False),
        ("temporary.txt", False),
        ("a/b/c/temp.txt", False),
    ],
)
def test_docs_example(path: str, excluded: bool) -> None:
    assert ignore(DOCS_EXAMPLE).excludes(path) is excluded


@pytest.mark.parametrize(
    ("path", "excluded"),
    [("main.go", True), ("cmd/app/main.go", True), ("main.go.txt", False), ("go.mod", False)],
)
def test_double_star_any_depth(path: str, excluded: bool) -> None:
    assert ignore("**/*.go").excludes(path) is excluded


def test_md_with_readme_exception() -> None:
    di = ignore("*.md\n!README.md\n")
    assert di.excludes("CHANGELOG.md")
    assert not di.excludes("README.md")
    assert not di.excludes("docs/guide.md")  # * does not cross /


def test_exception_placement_matters() -> None:
    first = ignore("*.md\n!README*.md\nREADME-secret.md\n")
    assert first.excludes("README-secret.md") and not first.excludes("README-public.md")
    assert first.excludes("notes.md")
    second = ignore("*.md\nREADME-secret.md\n!README*.md\n")
    assert not second.excludes("README-secret.md")


@pytest.mark.parametrize("pattern", ["vendor", "/vendor", "./vendor/", "vendor/"])
def test_directory_pattern_excludes_everything_beneath(pattern: str) -> None:
    di = ignore(pattern)
    assert di.excludes("vendor")
    assert di.excludes("vendor/modules.txt")
    assert di.excludes("vendor/github.com/x/y/z.go")
    assert not di.excludes("pkg/vendor/modules.txt")  # anchored at the context root
    assert not di.excludes("vendored.txt")


def test_reinclude_below_excluded_directory() -> None:
    di = ignore("vendor\n!vendor/modules.txt\n")
    assert not di.excludes("vendor/modules.txt")
    assert di.excludes("vendor/a/b.go")


def test_git_directory() -> None:
    di = ignore(".git\n")
    assert di.excludes(".git/HEAD") and di.excludes(".git")
    assert not di.excludes(".github/workflows/ci.yml")
    assert not di.excludes(".gitignore")


def test_everything_with_exceptions() -> None:
    di = ignore("**\n!cmd\n!go.mod\n!go.sum\n")
    assert di.excludes("README.md") and di.excludes("internal/x.go")
    assert not di.excludes("cmd/app/main.go") and not di.excludes("go.mod")
    star = ignore("*\n!src\n")
    assert star.excludes("a/b/c")  # * matches the top-level "a", which covers a/b/c
    assert not star.excludes("src/main.go")


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("**/node_modules", "node_modules", True),
        ("**/node_modules", "web/app/node_modules/x.js", True),
        ("**foo", "barfoo", True),  # moby's suffix test
        ("bin/**", "bin/app", True),
        ("bin/**", "binary", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/xb", False),
        ("**/*.log", "logs/x.log", True),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file/.txt", False),
        ("[a-c].go", "b.go", True),
        ("[a-c].go", "d.go", False),
        ("[^a-c].go", "d.go", True),
        ("[!a].go", "!.go", True),  # ! is a member in Go's classes, not a negation
        ("\\*.go", "*.go", True),
        ("\\*.go", "x.go", False),
        ("*.(go)", "a.(go)", True),
        ("a+b", "a+b", True),
        ("a.b", "axb", False),
        ("[abc", "a", False),  # malformed: matches nothing
        ("*.go", "./main.go", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, excluded: bool) -> None:
    assert ignore(pattern).excludes(path) is excluded


def test_matches_is_pure_and_takes_patterns() -> None:
    pats = ignore("*.env\n").patterns
    assert matches(pats, "prod.env") and not matches(pats, "config/prod.env")
    assert not matches((), "anything")
    assert not matches(pats, ".")


def test_translate_rejects_unterminated_class() -> None:
    assert translate("[abc") is None
    assert translate("a*") is not None


def test_weird_patterns_never_raise() -> None:
    rng = random.Random(3)
    alphabet = "ab/*?[]^!-\\.{}()+|$z"
    for _ in range(3000):
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        di = ignore(pattern)
        assert di.excludes("ab/z") in (True, False)


@pytest.mark.parametrize(
    "path", ["vendor/x/", "./vendor/x", "/vendor/x", "vendor//x", "vendor/./x"]
)
def test_paths_are_cleaned(path: str) -> None:
    assert ignore("vendor/x").excludes(path)
