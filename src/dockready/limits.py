"""How much dockready reads of the files it is pointed at, and how.

Source files are capped in discovery (``discover.MAX_BYTES``). The configuration and
the baseline are named on the command line, so they are read through
:func:`read_capped`: a regular file only (a FIFO would block, ``/dev/zero`` never
ends), and no more than its cap.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The largest ``.dockready.toml`` / ``pyproject.toml`` read (1 MiB).
MAX_CONFIG_BYTES = 1024 * 1024
#: The largest baseline read (64 MiB: about half a million findings).
MAX_BASELINE_BYTES = 64 * 1024 * 1024


class TooBig(OSError):
    """The file is not a regular file, or is over its cap."""


def read_capped(path: Path, cap: int) -> bytes:
    """The bytes of ``path``: :class:`TooBig` (an ``OSError``, with ``strerror``)
    when it is not a regular file or holds more than ``cap`` bytes."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "is a directory", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise TooBig(0, "not a regular file (a FIFO, device or socket)", str(path))
    if st.st_size > cap:
        raise TooBig(0, f"{st.st_size} bytes, over the {cap}-byte limit", str(path))
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise TooBig(0, f"over the {cap}-byte limit", str(path))
    return data
