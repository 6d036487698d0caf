"""DR000 parse-error: a Dockerfile, go.mod or YAML file that cannot be parsed."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.registry import Context, Hit, NoOptions, rule


@rule(
    id="DR000",
    name="parse-error",
    severity=Severity.ERROR,
    reads=(),
    calls=(),
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
