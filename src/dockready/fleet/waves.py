"""Migration waves from the dependency graph and readiness (``docs/fleet.md``).

1. The graph's strongly connected components are found (Tarjan, iterative: no
   recursion limit on a long chain). A component of two or more services is a
   cycle: its services move together, with the note ``cycle: a → b → a, moved
   together``.
2. A component is *held back* when one of its services is blocked (has blockers),
   or when it calls a held-back component.
3. The components that are not held back are placed first, leaves first: a
   component's wave is one more than the latest wave of what it calls (1 when it
   calls nothing). Waves 1..K hold only ready services whose dependencies are all
   in earlier waves.
4. The held-back components follow, by the same rule, from wave K + 1 on: a
   component's wave is one more than the latest wave of what it calls, and at least
   K + 1. Each held-back service has a note naming its blockers, or the held-back
   services it calls.

A service therefore always comes after every service it calls, except inside a
cycle. Within a wave, ready services come first, then by name and source: the plan
is the same for the same fleet, run after run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockready.fleet import graph as fleetgraph
from dockready.fleet.graph import Graph, Key, label, unique_names
from dockready.fleet.runner import FleetRun


@dataclass(frozen=True, slots=True)
class WaveService:
    source: str
    service: str
    ready: bool
    blockers: tuple[str, ...]

    @property
    def key(self) -> Key:
        return (self.source, self.service)


@dataclass(frozen=True, slots=True)
class Wave:
    number: int
    services: tuple[WaveService, ...]
    notes: tuple[str, ...]


def strongly_connected(nodes: Sequence[Key], succ: Mapping[Key, Sequence[Key]]) -> list[list[Key]]:
    """Tarjan's strongly connected components, without recursion. A component comes
    after every component it reaches (callees first); members are sorted."""
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    on_stack: set[Key] = set()
    stack: list[Key] = []
    out: list[list[Key]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[Key, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, i = work[-1]
            nexts = succ.get(v, ())
            if i < len(nexts):
                work[-1] = (v, i + 1)
                w = nexts[i]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def cycle_path(members: Sequence[Key], succ: Mapping[Key, Sequence[Key]]) -> list[Key]:
    """The shortest cycle through the first member, inside the component:
    ``[a, b, a]``."""
    inside = set(members)
    start = members[0]
    prev: dict[Key, Key] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        v = queue.popleft()
        for w in succ.get(v, ()):
            if w not in inside:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            if w not in seen:
                seen.add(w)
                prev[w] = v
                queue.append(w)
    return [start, start]  # pragma: no cover - a component of one has no cycle here


def plan(services: Sequence[WaveService], graph: Graph) -> list[Wave]:
    """The waves of ``services`` (every node of ``graph``, with its readiness)."""
    by_key = {s.key: s for s in services}
    nodes = sorted(by_key)
    succ = {k: [w for w in v if w in by_key and w != k] for k, v in graph.calls().items()}
    for k in nodes:
        succ.setdefault(k, [])
    unique = unique_names(nodes)

    def name(k: Key) -> str:
        return label(k, unique)

    comps = strongly_connected(nodes, succ)
    comp_of = {k: i for i, comp in enumerate(comps) for k in comp}
    deps = [
        sorted({comp_of[w] for k in comp for w in succ[k]} - {i}) for i, comp in enumerate(comps)
    ]
    held = [False] * len(comps)
    for i, comp in enumerate(comps):  # callees come first
        held[i] = any(not by_key[k].ready for k in comp) or any(held[d] for d in deps[i])
    wave = [0] * len(comps)
    for i in range(len(comps)):
        if not held[i]:
            wave[i] = 1 + max((wave[d] for d in deps[i]), default=0)
    last_ready = max((wave[i] for i in range(len(comps)) if not held[i]), default=0)
    for i in range(len(comps)):
        if held[i]:
            wave[i] = max(last_ready + 1, 1 + max((wave[d] for d in deps[i]), default=0))
    notes: dict[int, list[str]] = {}
    for i, comp in enumerate(comps):
        n = wave[i]
        if len(comp) > 1:
            path = cycle_path(comp, succ)
            rest = sorted(set(comp) - set(path))
            also = f" (also in the cycle: {', '.join(map(name, rest))})" if rest else ""
            notes.setdefault(n, []).append(
                f"cycle: {' → '.join(map(name, path))}{also}, moved together"
            )
        if not held[i]:
            continue
        for k in comp:
            s = by_key[k]
            if s.blockers:
                why = f"blocked by {', '.join(s.blockers)}"
            else:
                waits = sorted(w for w in succ[k] if held[comp_of[w]] and comp_of[w] != i)
                if waits:
                    why = f"calls {', '.join(map(name, waits))} (held back)"
                else:
                    why = "in a cycle with a blocked service"
            notes.setdefault(n, []).append(f"held back: {name(k)}: {why}")
    waves = []
    for n in sorted(set(wave)):
        members = [by_key[k] for i, comp in enumerate(comps) if wave[i] == n for k in comp]
        members.sort(key=lambda s: (not s.ready, s.service, s.source))
        waves.append(Wave(n, tuple(members), tuple(notes.get(n, ()))))
    return waves


def services_of(run: FleetRun) -> list[WaveService]:
    """The services of a run that can move (those of checked repositories, not the
    ``(repository)`` rows)."""
    return [
        WaveService(rep.source, s.name, s.ready, s.blockers)
        for rep in run.repos
        if not rep.failed
        for s in rep.services
        if not s.is_repository
    ]


def graph_of(run: FleetRun) -> Graph:
    return fleetgraph.build(
        (rep.source, [s.name for s in rep.services if not s.is_repository], rep.links)
        for rep in run.repos
        if not rep.failed
    )


def plan_run(run: FleetRun) -> tuple[Graph, list[Wave]]:
    """The run's dependency graph and its waves."""
    g = graph_of(run)
    return g, plan(services_of(run), g)


# -- exports ---------------------------------------------------------------------


def wave_dicts(waves: Sequence[Wave]) -> list[dict[str, object]]:
    return [
        {
            "wave": w.number,
            "services": [
                {
                    "source": s.source,
                    "service": s.service,
                    "ready": s.ready,
                    "blockers": list(s.blockers),
                }
                for s in w.services
            ],
            "notes": list(w.notes),
        }
        for w in waves
    ]


def edge_dicts(g: Graph) -> list[dict[str, object]]:
    return [
        {
            "from": {"source": e.caller[0], "service": e.caller[1]},
            "to": {"source": e.callee[0], "service": e.callee[1]},
            "kind": e.kind,
            "evidence": e.evidence,
        }
        for e in g.edges
    ]


def _calls(g: Graph) -> dict[Key, list[Key]]:
    return g.calls()


def to_json(run: FleetRun, tool: Mapping[str, str], schema_version: str) -> str:
    """``--output waves-json=FILE``: the waves, the edges and the notes alone."""
    import json

    g, waves = plan_run(run)
    doc = {
        "tool": dict(tool),
        "schema": "dockready-fleet-waves",
        "schema_version": schema_version,
        "run": {"id": run.run_id, "started_at": run.started_at},
        "waves": wave_dicts(waves),
        "edges": edge_dicts(g),
        "edge_notes": list(g.notes),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_csv(run: FleetRun) -> str:
    """``--output waves-csv=FILE``: a row per service: wave, source, service, ready,
    blockers and the services it calls (``;``-separated, ``source#service`` when the
    name is not unique)."""
    import csv
    import io

    g, waves = plan_run(run)
    calls = _calls(g)
    unique = unique_names(g.nodes)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["wave", "source", "service", "ready", "blockers", "calls"])
    for w in waves:
        for s in w.services:
            callees = [k[1] if k[1] in unique else f"{k[0]}#{k[1]}" for k in calls.get(s.key, [])]
            out.writerow(
                [
                    w.number,
                    _cell(s.source),
                    _cell(s.service),
                    "yes" if s.ready else "no",
                    " ".join(s.blockers),
                    ";".join(_cell(c) for c in callees),
                ]
            )
    return buf.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet does not run a cell that starts like a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _md(text: str) -> str:
    """Text in a Markdown table cell: no pipe, no line break, no markup."""
    out = " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")
    for c in "`*_[]<>":
        out = out.replace(c, "\\" + c)
    return out


def to_markdown(run: FleetRun) -> str:
    """``--output waves-md=FILE``: a table per wave, its notes below it."""
    from dockready.fleet.output import shown

    g, waves = plan_run(run)
    calls = _calls(g)
    unique = unique_names(g.nodes)
    lines = ["# Migration waves", ""]
    if not waves:
        lines += ["No services to move.", ""]
    for w in waves:
        ready = sum(1 for s in w.services if s.ready)
        lines += [
            f"## Wave {w.number}",
            "",
            f"{len(w.services)} service(s), {ready} ready.",
            "",
            "| service | repository | ready | blockers | calls |",
            "|---|---|---|---|---|",
        ]
        for s in w.services:
            callees = ", ".join(label(k, unique) for k in calls.get(s.key, []))
            lines.append(
                f"| {_md(s.service)} | {_md(shown(s.source))} | {'yes' if s.ready else 'no'} | "
                f"{_md(', '.join(s.blockers)) or '-'} | {_md(callees) or '-'} |"
            )
        if w.notes:
            lines.append("")
            lines += [f"- {_md(n)}" for n in w.notes]
        lines.append("")
    if g.notes:
        lines += ["## Addresses not joined", ""]
        lines += [f"- {_md(n)}" for n in g.notes]
        lines.append("")
    return "\n".join(lines)
