"""Shared by the rules of runtime_pod (moved from rules/runtime_pod.py)."""

from __future__ import annotations

from collections.abc import Iterator

from dockready.facts.index import ProjectIndex
from dockready.facts.k8s import Container, Workload

# Workloads that run to completion: probes and preStop hooks make little sense there.
ONE_SHOT = frozenset({"Job", "CronJob"})


def app_containers(ix: ProjectIndex) -> Iterator[tuple[Workload, Container]]:
    for w in ix.workloads:
        for c in w.containers:
            if not c.init:
                yield w, c


def long_running(ix: ProjectIndex) -> Iterator[tuple[Workload, Container]]:
    for w, c in app_containers(ix):
        if w.kind not in ONE_SHOT:
            yield w, c


def join_words(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]
