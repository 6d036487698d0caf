"""DR001 unused-suppression: a suppression comment that suppresses nothing or cannot be read."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, NoOptions, rule


@rule(
    id="DR001",
    name="unused-suppression",
    severity=Severity.INFO,
    reads=(),
    calls=(),
)
def unused_suppression(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Reports an inline suppression that suppresses nothing, and a suppression comment
    dockready cannot read.

    Suppressions are written as

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
