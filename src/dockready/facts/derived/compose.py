"""What a compose file means once Compose has interpolated it."""

from __future__ import annotations

import re
from collections.abc import Mapping

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $VAR; $$ is a '$'.
_VAR = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def with_defaults(
    value: str, env: Mapping[str, str] | None = None
) -> tuple[str, tuple[str, ...]] | None:
    """``value`` as Compose interpolates it when no variable is set: each
    ``${VAR:-default}``/``${VAR-default}`` becomes its default. Returns the text and
    the variables that took their default; None when a variable has no default (the
    value depends on the environment: nothing certain can be said of it). Nested
    substitutions in a default are not followed (None). ``env`` sets variables
    (what-if: "would setting X pin it?")."""
    used: list[str] = []
    certain = True

    def sub(m: re.Match[str]) -> str:
        nonlocal certain
        if m.group(0) == "$$":
            return "$"
        name = m.group("name") or m.group("bare")
        if env is not None and name in env:
            return env[name]
        op, arg = m.group("op"), m.group("arg")
        if op in (":-", "-") and arg is not None and "$" not in arg:
            used.append(name)
            return arg
        certain = False
        return ""

    out = _VAR.sub(sub, value)
    return (out, tuple(used)) if certain else None
