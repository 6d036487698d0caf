"""The one Jinja2 environment of every ``init`` template, and its filters.

Strict: an undefined variable is an error, never an empty string. Filters: ``y``
(a YAML scalar that reads back as the same string) and ``sh`` (a shell word).
"""

from __future__ import annotations

import json
import re
import shlex
from functools import lru_cache
from typing import Any

import jinja2
import yaml

_PLAIN = re.compile(r"[A-Za-z0-9/_.:-]+(?: [A-Za-z0-9/_.:-]+)*")


def yaml_scalar(value: object) -> str:
    """``value`` as a YAML scalar that reads back as the same string: plain when that
    is safe (``/healthz``), double-quoted otherwise (``"8080"``, ``"true"``)."""
    s = str(value)
    if _PLAIN.fullmatch(s) and not s.startswith(("-", ":")):
        try:
            if yaml.safe_load(s) == s:
                return s
        except yaml.YAMLError:
            pass
    return json.dumps(s)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dockready.generate", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["y"] = yaml_scalar
    env.filters["sh"] = shlex.quote
    return env


def render(template: str, **ctx: Any) -> str:
    return environment().get_template(template).render(**ctx)
