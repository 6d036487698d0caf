"""Golden files: compare an output with the file that pins it.

``DOCKREADY_UPDATE_GOLDEN=1 pytest <test file>`` rewrites the golden files instead of
comparing; review the diff before committing it.

Import it as the tests import ``conftest``'s helpers (``tests/`` is on ``sys.path``)::

    from golden_file import assert_golden

(The module is not named ``golden``: the golden files themselves live in directories
of that name next to the tests.)
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

UPDATE_ENV = "DOCKREADY_UPDATE_GOLDEN"
DIFF_LINES = 40  # of the unified diff shown in a failure


def assert_golden(path: Path, got: str, hint: str = "") -> None:
    """Assert that ``path`` holds exactly ``got`` (UTF-8, byte for byte: no newline
    translation); with ``DOCKREADY_UPDATE_GOLDEN=1``, write ``got`` there first.

    ``hint`` (say, the case or the format) is added to the failure message, which
    names the file, says how to update it and shows the start of the diff."""
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got.encode("utf-8"))
    what = f" ({hint})" if hint else ""
    if not path.is_file():
        raise AssertionError(f"golden file {path}{what} is missing: run with {UPDATE_ENV}=1")
    how = f"rerun with {UPDATE_ENV}=1 and review the diff of {path}"
    want = path.read_bytes().decode("utf-8")
    if got == want:
        return
    diff = list(
        difflib.unified_diff(
            want.splitlines(keepends=True),
            got.splitlines(keepends=True),
            fromfile=f"{path} (golden)",
            tofile="output",
        )
    )
    if len(diff) > DIFF_LINES:
        diff = [*diff[:DIFF_LINES], f"... ({len(diff) - DIFF_LINES} more lines)\n"]
    raise AssertionError(
        f"the output{what} differs from {path}; if the change is intended, {how}\n" + "".join(diff)
    )
