"""Chapter 0: files that cannot be read."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, NoOptions, rule


@rule(
    id="DR000",
    name="parse-error",
    severity=Severity.ERROR,
    reads=(),
)
def parse_error(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Reports a Dockerfile, go.mod or Kubernetes/compose YAML file that cannot be
    parsed, at the place the parser gave up. Every other file is still checked.

    Go source that tree-sitter-go cannot fully parse is *not* reported here: the
    grammar lags the language (Go 1.27 generic methods, for example), and `go build`
    is the judge of Go syntax. Such files are analysed as far as they parse and a
    notice is printed instead.

    ## Why is this bad?
    Docker, `kubectl` and `go` reject the file too: the image does not build or the
    manifest is never applied. And a file dockready cannot read is a file none of its
    other checks can vouch for.

    ## Example
    ```yaml
    spec:
      containers:
      - name: app
        image: {{ .Values.image }}   # a Helm template, not YAML
    ```

    ## Use instead
    Fix the syntax, or point dockready at rendered manifests (`helm template ... >
    rendered.yaml`).

    ## Fix safety
    Not auto-fixable.

    ## References
    - [Dockerfile reference](https://docs.docker.com/reference/dockerfile/)
    - [YAML 1.2](https://yaml.org/spec/1.2.2/)
    """
    ix = ctx.index
    for err in ix.parse_errors:
        yield Hit(err.span, f"cannot parse {err.kind}: {err.message}")


@rule(
    id="DR001",
    name="unused-suppression",
    severity=Severity.INFO,
    reads=(),
)
def unused_suppression(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Reports an inline suppression that suppresses nothing, and a suppression comment
    dockready cannot read. Suppressions are written as

    - `# dockready: ignore=DR304,DR305 reason` in Dockerfiles and YAML (on the line, or
      on its own line above it),
    - `//dockready:ignore DR102 reason` in Go,
    - the workload annotation `dockready.io/ignore: "DR401,DR405"` (with an optional
      `dockready.io/ignore-reason`), which covers the findings in that object.

    This rule is evaluated by the engine after every other rule has run (only then is
    it known which suppressions matched); the function here only registers it. Ids of
    rules that did not run (deselected in the configuration) are not reported.

    ## Why is this bad?
    Suppressions rot: the problem gets fixed, the code moves, the id was mistyped. A
    stale suppression silently hides the next real finding on that line.

    ## Example
    ```dockerfile
    # dockready: ignore=DR302 base pinned by Renovate
    FROM alpine:3.20
    ```
    (the base is pinned: DR302 no longer fires, the comment suppresses nothing).

    ## Use instead
    Remove the comment, or fix the id it names.

    ## Fix safety
    Removing an unused suppression changes nothing else.

    ## References
    - [ruff RUF100 unused-noqa](https://docs.astral.sh/ruff/rules/unused-noqa/)
    """
    return iter(())  # the engine reports these after applying suppressions
