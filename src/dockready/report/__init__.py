"""Reporters: each takes a ``Result`` (never the engine) and renders one format.

``render(fmt, result)`` is the one entry point the CLI uses; each format lives in a
module of its own with a ``render(result) -> str``.
"""

from __future__ import annotations

import importlib
import importlib.util
import io

from dockready.model import Result

#: Format name -> module (``text`` renders to a stream with colour options).
FORMATS: dict[str, str] = {
    "text": "dockready.report.text",
    "json": "dockready.report.jsonfmt",
    "sarif": "dockready.report.sarif",
    "junit": "dockready.report.junit",
    "gitlab": "dockready.report.gitlab",
    "github": "dockready.report.github",
    "markdown": "dockready.report.markdown",
    "html": "dockready.report.html",
}


def available() -> list[str]:
    """The formats whose module is present (in the order of FORMATS), found without
    importing them: a run imports only the reporter it uses."""
    return [name for name, module in FORMATS.items() if importlib.util.find_spec(module)]


def render(fmt: str, result: Result, *, quiet: bool = False, color: bool | None = False) -> str:
    """The report as a string (text is plain unless ``color`` is true)."""
    if fmt == "text":
        from dockready.report import text

        buf = io.StringIO()
        text.render(result, buf, quiet=quiet, color=color)
        return buf.getvalue()
    module = importlib.import_module(FORMATS[fmt])
    out: str = module.render(result)
    return out
