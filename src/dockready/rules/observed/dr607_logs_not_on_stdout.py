"""DR607 logs-not-on-stdout: nothing on stdout/stderr, or unstructured lines."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from dockready.model import Severity
from dockready.rules.observed._common import observation
from dockready.rules.registry import Context, Hit, Input, NoOptions, rule

_LOGFMT = re.compile(r"(?:^|\s)[A-Za-z_][\w.-]*=(?:\"[^\"]*\"|\S+)")


def structured(line: str) -> bool:
    """A JSON object, or logfmt with at least two ``key=value`` pairs."""
    s = line.strip()
    if s.startswith("{"):
        try:
            return isinstance(json.loads(s), dict)
        except json.JSONDecodeError:
            return False
    return len(_LOGFMT.findall(s)) >= 2


@rule(id="DR607", name="logs-not-on-stdout", severity=Severity.WARNING, reads=(Input.RUNTIME,))
def logs_not_on_stdout(ctx: Context[NoOptions]) -> Iterator[Hit]:
    """
    ## What it does
    Reads what the container wrote to stdout and stderr while it started, served the
    readiness checks and the load burst, and stopped. Reports a container that wrote
    nothing at all (its logs go to a file: the runtime twin of DR211), and, as info,
    one whose lines are mostly not structured (neither JSON objects nor logfmt
    `key=value` pairs).

    ## Why is this bad?
    The cluster collects stdout and stderr; a log file in the container is invisible
    to `kubectl logs` and lost with the pod. Unstructured lines cannot be filtered by
    field in the log backend.

    ## Example
    ```go
    f, _ := os.OpenFile("/var/log/app.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
    log.SetOutput(f)
    ```

    ## Use instead
    ```go
    slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
    ```

    ## References
    - [The Twelve-Factor App: Logs](https://12factor.net/logs)
    """
    obs = observation(ctx)
    if obs is None or not obs.started:
        return
    lines = [ln for ln in obs.logs if ln.strip()]
    if obs.log_lines == 0 or not lines:
        yield Hit(
            obs.anchor,
            "the container wrote nothing to stdout or stderr while it started, served and "
            "stopped: its logs go elsewhere (a file?) where kubectl logs cannot see them",
            service=obs.service,
        )
        return
    plain = [ln for ln in lines if not structured(ln)]
    if len(plain) * 2 > len(lines):
        yield Hit(
            obs.anchor,
            f"{len(plain)} of the last {len(lines)} log lines are not structured (JSON or "
            f"logfmt), e.g. {plain[0].strip()[:120]!r}",
            severity=Severity.INFO,
            service=obs.service,
        )
