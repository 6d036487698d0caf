"""dockready: get Go services into Docker and Kubernetes without the usual failures.

As a library, ``dockready.check(paths, config)`` returns the ``Result`` that
``dockready check`` prints (rule selection, options, per-path ignores, inline
suppressions and the baseline applied); ``dockready.load_project`` reads a tree
into its project index without running rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from dockready.config import Config
    from dockready.engine import Project
    from dockready.model import Result


def check(paths: Sequence[str], config: Config | None = None, jobs: int | None = None) -> Result:
    """Audit ``paths`` as ``dockready check`` does. Raises ``engine.UsageError`` for
    bad paths or baseline, and ``RuntimeError`` naming the rules that crashed."""
    from dockready.engine import check as run

    outcome = run(paths, config, jobs)
    if outcome.internal_errors:
        raise RuntimeError("; ".join(outcome.internal_errors))
    return outcome.result


def load_project(paths: Sequence[str], config: Config | None = None) -> Project:
    """Read the tree at ``paths`` into its project index (no rule runs)."""
    from dockready.engine import load_project as load

    return load(paths, config)


__all__ = ["__version__", "check", "load_project"]
