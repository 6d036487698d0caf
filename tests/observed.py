"""Observations written by hand for the chapter 6 rules' fixtures.

A case directory of ``tests/fixtures/DR6xx/`` holds ``observation.yaml``: what
``dockready verify`` would have seen (``verify.rehearse.Observation``), in plain
fields. The rule runs on it exactly as it does after a real run; the acceptance
tests (``tests/acceptance/test_verify.py``) are where a real engine produces them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dockready.facts.index import ProjectIndex
from dockready.model import Finding, Span
from dockready.rules.registry import Context, observed_rules
from dockready.verify.image import Elf, ImageFacts, LeakedSecret
from dockready.verify.pod import Plan
from dockready.verify.rehearse import BuildResult, Drain, Observation


def _span(d: dict[str, Any] | None) -> Span | None:
    return Span(d["path"], int(d.get("line", 1))) if d else None


def load(path: Path) -> Observation:
    raw = yaml.safe_load(path.read_text()) or {}
    p = raw.get("plan") or {}
    plan = Plan(
        name=raw.get("service", "svc"),
        workload=p.get("workload"),
        memory=p.get("memory"),
        read_only=bool(p.get("read_only", False)),
        grace=int(p.get("grace", 30)),
        read_only_span=_span(p.get("read_only_span")),
        memory_span=_span(p.get("memory_span")),
        grace_span=_span(p.get("grace_span")),
        ports=list(p.get("ports", [])),
    )
    obs = Observation(raw.get("service", "svc"), plan)
    obs.anchor = _span(raw.get("anchor")) or Span(".")
    obs.dockerfile = raw.get("dockerfile")
    if "build" in raw:
        b = raw["build"]
        obs.build = BuildResult(
            b["ok"], b.get("seconds", 1.0), b.get("line"), b.get("step", ""), b.get("log_tail", "")
        )
    if "image" in raw:
        i = raw["image"]
        elf = i.get("elf")
        obs.image = ImageFacts(
            ref="img",
            size=int(i.get("size", 0)),
            user=str(i.get("user", "")),
            files=frozenset(i.get("files", ())),
            elf=Elf(elf["path"], elf.get("interp"), bool(elf.get("dynamic"))) if elf else None,
            shells=tuple(i.get("shells", ())),
            package_managers=tuple(i.get("package_managers", ())),
            secrets=tuple(
                LeakedSecret(s["where"], s["kind"], s.get("shown", ""))
                for s in i.get("secrets", ())
            ),
        )
    for key in (
        "started",
        "ready",
        "ready_seconds",
        "exited",
        "oom",
        "oom_when",
        "readonly_failed",
        "readonly_write",
        "refused",
        "log_lines",
        "budget",
    ):
        if key in raw:
            setattr(obs, key, raw[key])
    obs.logs = list(raw.get("logs", []))
    if "log_lines" not in raw:
        obs.log_lines = len(obs.logs)
    obs.uids = tuple(raw.get("uids", ()))
    obs.pprof_ports = tuple(raw.get("pprof_ports", ()))
    if "drain" in raw:
        d = raw["drain"]
        obs.drain = Drain(
            d.get("seconds"), d.get("exit_code"), d.get("in_flight", "none"), d.get("allowed", 25)
        )
    return obs


def run_observed(case_dir: Path) -> list[Finding]:
    """The chapter 6 rules' findings on the case's observation."""
    obs = load(case_dir / "observation.yaml")
    ix = ProjectIndex(root=case_dir.name)
    out = []
    for r in observed_rules():
        for hit in r.check(Context(ix, r.make_options(), obs)):
            out.append(r.finding(hit, ix))
    return out
