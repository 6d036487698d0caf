"""Pod-level facts the runtime rules share: a workload's containers, whether a path is
under a directory, and the Go server types whose ``Addr`` is a listen address."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.k8s import Container, Workload


def containers(w: Workload) -> Iterator[Container]:
    """The workload's init containers, then its containers."""
    yield from w.init_containers
    yield from w.containers


def under(path: str, root: str) -> bool:
    """Is ``path`` the directory ``root`` or below it (everything is under ``/``)?"""
    root = root.rstrip("/") or "/"
    return root == "/" or path == root or path.startswith(root + "/")


#: Go struct literal types of servers: their ``Addr`` field is a listen address.
SERVER_TYPES = frozenset({"net/http.Server"})
