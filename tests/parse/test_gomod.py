"""go.mod: the directives dockready reads."""

from __future__ import annotations

from dockready.parse.gomod import parse_gomod

GO_MOD = """module example.com/api

go 1.22.3

toolchain go1.23.1

require (
\texample.com/shared v0.0.0
\tgithub.com/lib/pq v1.10.9 // indirect
)

replace example.com/shared => ../../libs/shared

replace (
\tgithub.com/lib/pq v1.10.9 => github.com/corp/pq v1.10.9-corp.1
\texample.com/tools => ./tools // local checkout
\texample.com/broken =>
)
"""


def test_directives() -> None:
    m = parse_gomod("services/api/go.mod", GO_MOD)
    assert m.error is None
    assert (m.module, m.go, m.toolchain) == ("example.com/api", "1.22.3", "go1.23.1")
    assert [(r.path, r.version, r.indirect) for r in m.requires] == [
        ("example.com/shared", "v0.0.0", False),
        ("github.com/lib/pq", "v1.10.9", True),
    ]
    assert [(r.old, r.new, r.new_version, r.span.line) for r in m.replaces] == [
        ("example.com/shared", "../../libs/shared", None, 12),
        ("github.com/lib/pq@v1.10.9", "github.com/corp/pq", "v1.10.9-corp.1", 15),
        ("example.com/tools", "./tools", None, 16),
    ]
    assert [r.new for r in m.local_replaces] == ["../../libs/shared", "./tools"]


def test_no_module_line_is_an_error() -> None:
    m = parse_gomod("go.mod", "go 1.22\n")
    assert m.error is not None and m.error.line == 1
