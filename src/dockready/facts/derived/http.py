"""Shared by the rules of prepare_code (moved from rules/prepare_code.py)."""

from __future__ import annotations

from dockready.facts import effective as eff
from dockready.facts.go import (
    GoFile,
    Listener,
)
from dockready.facts.index import Build, ProjectIndex, Service


def service_go_files(svc: Service) -> list[GoFile]:
    """The service's Go files (discovery already leaves ``_test.go`` files out)."""
    return list(svc.files)


def places_run(ix: ProjectIndex, svc: Service) -> list[eff.Runtime]:
    """Where the service runs: its workloads and compose services, else its images,
    else the code alone (every variable unset: the code's fallbacks apply)."""
    return eff.runtimes(ix, svc, deployed=True) or [eff.Runtime("code", "the code", {})]


def quoted(text: str) -> str:
    return f'"{text}"'


HTTP_KINDS = frozenset({"http", "https", "gin", "echo", "fiber"})


def describe(lst: Listener, addr: str | None = None) -> str:
    """``http server on :8080`` (the resolved address when given, else the code's)."""
    if addr is None:
        addr = lst.addr.literal or lst.addr.text if lst.addr is not None else "an unknown address"
    return f"{lst.kind} server on {addr}"


def image_of(build: Build) -> str:
    return build.dockerfile.external_base(build.final)


def sets_any(rts: list[eff.Runtime], names: tuple[str, ...]) -> bool:
    """Is one of ``names`` set (or possibly set, by a source we cannot read) anywhere
    the service runs?"""
    return any(rt.sets(n) is not False for rt in rts for n in names)


def installs(build: Build, package: str) -> bool:
    """Does a RUN of the final image install the OS package ``package``?"""
    return any(package in eff.installed_packages(r) for r in eff.final_runs(build))
