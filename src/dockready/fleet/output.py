"""What ``dockready fleet`` prints: the text summary and the versioned JSON document.

The JSON is an API, versioned like ``check``'s (``report/jsonfmt.py``): bump the
major number of ``SCHEMA_VERSION`` on a breaking change, the minor one on an addition.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from dockready import __version__
from dockready.fleet.db import RunRow, ServiceDiff
from dockready.fleet.readiness import CHAPTERS, FleetFinding, ServiceReadiness
from dockready.fleet.runner import FleetRun
from dockready.fleet.worker import RepoReport
from dockready.model import CHAPTERS as CHAPTER_TITLES

SCHEMA = "dockready-fleet"
SCHEMA_VERSION = "1.2"  # 1.1: waves, edges, edge_notes; 1.2: diff "flipped"
FORMATS = ("text", "json", "html", "sarif", "junit", "waves-csv", "waves-md", "waves-json")
#: ``--output`` formats that need each repository's whole check ``Result``
#: (``run_fleet(keep_results=True)``): the dashboard's per-repository reports, SARIF.
NEEDS_RESULTS = frozenset({"html", "sarif"})


def shown(key: str) -> str:
    """A source as the user gave it, roughly: relative to the working directory
    when it is under it."""
    if "://" in key or not os.path.isabs(key):
        return key
    try:
        rel = os.path.relpath(key)
    except ValueError:
        return key
    return key if rel.startswith("..") else rel


def services(run: FleetRun) -> list[tuple[RepoReport, ServiceReadiness]]:
    return [(rep, s) for rep in run.repos for s in rep.services]


def blocked(run: FleetRun) -> bool:
    return any(s.blockers for _, s in services(run))


def top_blockers(run: FleetRun) -> list[tuple[str, str, int]]:
    """``(rule id, name, services it blocks)``, most services first."""
    count: Counter[str] = Counter()
    names: dict[str, str] = {}
    for _, s in services(run):
        for rule_id in s.blockers:
            count[rule_id] += 1
        for f in s.findings:
            names.setdefault(f.rule_id, f.name)
    return [
        (r, names.get(r, ""), n) for r, n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def text(run: FleetRun, top: int = 10) -> str:
    rows = services(run)
    errors = [r for r in run.repos if r.failed]
    lines = [
        f"dockready fleet{f' run {run.run_id}' if run.run_id is not None else ''}: "
        f"{len(run.repos)} repositor{'ies' if len(run.repos) != 1 else 'y'}, "
        f"{sum(1 for _, s in rows if not s.is_repository)} service(s), {run.seconds:.1f} s",
        "",
    ]
    if rows:
        numbers = sorted({n for _, s in rows for n, _ in s.chapters} | set(CHAPTERS))
        header = ["service", "repository", *(str(n) for n in numbers), "score", "blockers"]
        table = [
            [
                s.name,
                shown(rep.source),
                *(dict(s.chapters).get(n, "-") for n in numbers),
                str(s.score),
                ", ".join(s.blockers) or "-",
            ]
            for rep, s in sorted(
                rows, key=lambda rs: (rs[1].score, shown(rs[0].source), rs[1].name)
            )
        ]
        widths = [max(len(r[i]) for r in (header, *table)) for i in range(len(header) - 1)]
        for r in (header, *table):
            cells = [
                c.rjust(w) if i == len(widths) - 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=False))
            ]
            lines.append("  ".join([*cells, r[-1]]).rstrip())
        lines.append("")
        lines.append("chapters: " + "; ".join(f"{n} {CHAPTER_TITLES[n]}" for n in numbers))
    tops = top_blockers(run)
    if tops:
        lines += ["", "top blocking rules:"]
        for rule_id, name, n in tops[:top]:
            lines.append(f"  {rule_id}  {name}  blocks {n} service{'s' * (n != 1)}")
    if errors:
        lines += ["", "repositories that could not be checked:"]
        for rep in errors:
            lines.append(f"  {shown(rep.source)}: {rep.error}")
    real = [s for _, s in rows if not s.is_repository]
    n_blocked = sum(1 for s in real if s.blockers)
    outside = sum(1 for _, s in rows if s.is_repository and s.blockers)
    lines += [
        "",
        f"{len(real) - n_blocked} of {len(real)} service(s) ready (no blockers), "
        f"{n_blocked} blocked"
        + (
            f"; {outside} repositor{'ies' if outside != 1 else 'y'} with blockers outside any service"
            if outside
            else ""
        )
        + f"; {len(errors)} repositor{'ies' if len(errors) != 1 else 'y'} could not be checked.",
    ]
    return "\n".join(lines) + "\n"


#: The stored findings of a service, by (source, service name): what an output reads
#: back for a service whose findings the run did not keep (``ServiceReadiness.dropped``).
FindingsOf = Callable[[str, str], Iterable[FleetFinding]]


def _findings(
    rep: RepoReport, s: ServiceReadiness, findings_of: FindingsOf | None
) -> Iterable[FleetFinding]:
    if s.dropped is None:
        return s.findings
    if findings_of is None:
        raise ValueError(f"the findings of {s.name} were not kept: the output needs findings_of")
    return findings_of(rep.source, s.name)


def _service_dict(
    s: ServiceReadiness, found: Iterable[FleetFinding] | None = None
) -> dict[str, Any]:
    return {
        "name": s.name,
        "root": s.root,
        "chapters": {str(n): status for n, status in s.chapters},
        "score": s.score,
        "ready": s.ready,
        "blockers": list(s.blockers),
        "findings": [
            {
                "fingerprint": f.fingerprint,
                "id": f.rule_id,
                "name": f.name,
                "severity": f.severity,
                "chapter": f.chapter,
                "path": f.path,
                "line": f.line,
                "message": f.message,
            }
            for f in (s.findings if found is None else found)
        ],
    }


def _repository_dict(rep: RepoReport, findings_of: FindingsOf | None) -> dict[str, Any]:
    return {
        "source": rep.source,
        "path": rep.path,
        "status": rep.status,
        "error": rep.error or None,
        "seconds": round(rep.seconds, 3),
        "files": rep.files,
        "services": [_service_dict(s, _findings(rep, s, findings_of)) for s in rep.services],
    }


_REPOSITORIES = "\x00repositories"


def json_doc(run: FleetRun, findings_of: FindingsOf | None = None) -> str:
    return "".join(json_chunks(run, findings_of))


def json_chunks(run: FleetRun, findings_of: FindingsOf | None = None) -> Iterator[str]:
    """The JSON document in pieces, one repository at a time: the findings of one
    repository are in memory at once (read back with ``findings_of`` when the run
    did not keep them)."""
    from dockready.fleet import waves

    rows = services(run)
    graph, plan = waves.plan_run(run)
    doc = {
        "tool": {"name": "dockready", "version": __version__},
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": run.run_id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "seconds": round(run.seconds, 3),
            "sources": list(run.sources),
        },
        "repositories": _REPOSITORIES,
        "top_blockers": [{"id": i, "name": n, "services": c} for i, n, c in top_blockers(run)],
        "summary": {
            "repositories": len(run.repos),
            "errors": sum(1 for r in run.repos if r.failed),
            "services": sum(1 for _, s in rows if not s.is_repository),
            "ready": sum(1 for _, s in rows if s.ready and not s.is_repository),
            "blocked": sum(1 for _, s in rows if not s.ready and not s.is_repository),
            "repositories_blocked_outside_services": sum(
                1 for _, s in rows if not s.ready and s.is_repository
            ),
            "findings": sum(s.finding_count for _, s in rows),
        },
        "waves": waves.wave_dicts(plan),
        "edges": waves.edge_dicts(graph),
        "edge_notes": list(graph.notes),
    }
    marker = '"repositories": ' + json.dumps(_REPOSITORIES)
    head, tail = json.dumps(doc, indent=2, ensure_ascii=False).split(marker, 1)
    del doc
    yield head + '"repositories": ['
    for i, rep in enumerate(run.repos):
        body = json.dumps(_repository_dict(rep, findings_of), indent=2, ensure_ascii=False)
        yield ("\n" if i == 0 else ",\n") + textwrap.indent(body, "    ")
    yield ("\n  ]" if run.repos else "]") + tail + "\n"


RENDERERS: dict[str, Callable[[FleetRun], str]] = {"text": text, "json": json_doc}
#: ``--output`` formats that need every finding of every service in the run itself
#: (the run keeps its findings when one of them is asked for).
NEEDS_FINDINGS = NEEDS_RESULTS | {"junit"}


def render(fmt: str, run: FleetRun) -> str:
    return RENDERERS[fmt](run)


def chunks(fmt: str, run: FleetRun, findings_of: FindingsOf | None = None) -> Iterator[str]:
    """``render`` in pieces (the JSON one repository at a time)."""
    if fmt == "json":
        return json_chunks(run, findings_of)
    return iter((RENDERERS[fmt](run),))


def write(
    fmt: str,
    run: FleetRun,
    dest: Path,
    db_path: Path | None = None,
    findings_of: FindingsOf | None = None,
) -> None:
    """``--output fmt=dest``; the dashboard (``html``) reads the trend from ``db_path``."""
    if fmt == "html":
        from dockready.fleet import dashboard

        dashboard.write(run, dest, db_path)
        return
    if fmt in ("sarif", "junit"):
        from dockready.fleet import ci

        dest.write_text(ci.render(fmt, run), encoding="utf-8")
        return
    if fmt.startswith("waves-"):
        from dockready.fleet import waves

        tool = {"name": "dockready", "version": __version__}
        body = {
            "waves-csv": lambda: waves.to_csv(run),
            "waves-md": lambda: waves.to_markdown(run),
            "waves-json": lambda: waves.to_json(run, tool, SCHEMA_VERSION),
        }[fmt]()
        dest.write_text(body, encoding="utf-8", newline="")
        return
    with dest.open("w", encoding="utf-8") as out:
        for piece in chunks(fmt, run, findings_of):
            out.write(piece)


def runs_text(rows: list[RunRow]) -> str:
    if not rows:
        return "no runs yet\n"
    out = [
        "run  started                    seconds  repos  errors  services  blocked  findings  version"
    ]
    for r in rows:
        out.append(
            f"{r.id:<4} {r.started_at:<26} {r.seconds:>7.1f}  {r.repositories:>5}  {r.errors:>6}  "
            f"{r.services:>8}  {r.blocked:>7}  {r.findings:>8}  {r.tool_version}"
        )
    return "\n".join(out) + "\n"


def diff_text(run_a: int, run_b: int, diffs: list[ServiceDiff]) -> str:
    out = [f"run {run_a} -> run {run_b}"]
    totals = Counter[str]()
    outside = sum(1 for d in diffs if d.presence == "outside")
    for d in diffs:
        if d.presence == "outside":
            continue
        where = f"{d.service} ({shown(d.source)})"
        if d.presence == "unchecked":
            out.append(
                f"{where}: not compared (the repository could not be checked in one of the runs)"
            )
            continue
        if d.presence == "gone":
            out.append(f"{where}: not found in run {run_b}")
            continue
        note = " (new service)" if d.presence == "added" else ""
        flipped = f", {len(d.flipped)} rule(s) flipped" if d.flipped else ""
        out.append(
            f"{where}{note}: {len(d.new)} new, {len(d.fixed)} fixed, {len(d.open)} open{flipped}"
        )
        totals.update(new=len(d.new), fixed=len(d.fixed), open=len(d.open), flipped=len(d.flipped))
        for flip in d.flipped:
            out.append(
                f"  rule  {flip.rule_id} {flip.before} -> {flip.after}"
                f" ({flip.findings_before} -> {flip.findings_after} findings)"
            )
        for label, found in (("new", d.new), ("fixed", d.fixed), ("open", d.open)):
            for f in found:
                out.append(
                    f"  {label:<5} {f.rule_id} {f.severity:<7} {f.path}:{f.line} {f.message}"
                )
    if outside:
        out.append(
            f"{outside} service(s) of repositories checked in only one of the runs: not compared"
        )
    out.append(
        f"{totals['new']} new, {totals['fixed']} fixed, {totals['open']} still open;"
        f" {totals['flipped']} rule status(es) flipped"
    )
    return "\n".join(out) + "\n"


def diff_json(run_a: int, run_b: int, diffs: list[ServiceDiff]) -> str:
    def items(found: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [
            {
                "fingerprint": f.fingerprint,
                "id": f.rule_id,
                "severity": f.severity,
                "path": f.path,
                "line": f.line,
                "message": f.message,
            }
            for f in found
        ]

    doc = {
        "tool": {"name": "dockready", "version": __version__},
        "schema": f"{SCHEMA}-diff",
        "schema_version": SCHEMA_VERSION,
        "from_run": run_a,
        "to_run": run_b,
        "services": [
            {
                "source": d.source,
                "service": d.service,
                "presence": d.presence,
                "new": items(d.new),
                "fixed": items(d.fixed),
                "open": items(d.open),
                "flipped": [
                    {
                        "id": x.rule_id,
                        "from": x.before,
                        "to": x.after,
                        "findings_from": x.findings_before,
                        "findings_to": x.findings_after,
                    }
                    for x in d.flipped
                ],
            }
            for d in diffs
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
