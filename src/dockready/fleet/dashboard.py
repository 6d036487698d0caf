"""``dockready fleet --output html=DIR/index.html``: the fleet dashboard, one
self-contained page (documented in docs/fleet.md).

Like the check report (``report/html.py``): inline CSS and vanilla JS
(``report/assets/fleet.css``, ``fleet.js``), no fonts, images or network, a
Content-Security-Policy that forbids loading anything; every text is HTML-escaped
with control, separator and bidi characters shown as escapes (``report/escape.py``);
the script reads the page with ``dataset``/``textContent`` and builds the wave graph
with DOM APIs, never ``innerHTML``. The page shows:

- a services x chapters heat map: the readiness status of each service per checklist
  chapter 1-5, its score, its blockers, its team, its trend and a link to its
  repository's own check report;
- the top blocking rules, with the number of services each blocks (recounted for
  the services the filters show); each id links to its doc page;
- the wave plan as a graph: one column per wave, a box per service, the
  dependencies as SVG lines; with no waves in the document, a note says so;
- the readiness trend of each service: its score over the last ``TREND_RUNS`` runs
  of the database, an inline SVG sparkline (the current run only with ``--no-db``);
- the repositories that could not be checked, with the reason.

The page is rendered from the fleet JSON document (``output.json_doc``: the only
contract with the rest of the fleet, ``waves`` and ``edges`` included) plus the
trend, the report links and the teams. ``write`` also writes ``DIR/repos/<slug>.html``,
the check report of every repository that was checked (``report.render("html")``).

**Filters** live in the URL hash, applied on load and on ``hashchange``:
``#team=@org/payments&prefix=services/&wave=2``. *prefix* matches the start of a
service's path (the source as shown, then the service's root); *wave* the wave it is
in; *team* its team.

**Team**: from the repository's ``CODEOWNERS`` (``.github/CODEOWNERS``, ``CODEOWNERS``
or ``docs/CODEOWNERS``, the first found, as GitHub looks): the first owner of the
last pattern that matches the service's root directory (GitHub's rule: the last
match wins). A pattern matches a directory when it matches it or a directory above
it (``/services/orders/``, ``services/``, ``*``); a pattern for files (``*.go``) owns
no directory. A line with a pattern and no owner makes the directory unowned.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from dockready import __version__, linear
from dockready.fleet.output import json_doc, shown
from dockready.fleet.readiness import CHAPTERS, REPOSITORY_SUITE
from dockready.fleet.runner import FleetRun
from dockready.model import CHAPTERS as CHAPTER_TITLES
from dockready.report.html import asset, esc
from dockready.report.sarif import help_uri

TREND_RUNS = 12
"""Runs shown in a service's trend (the current one and those before it)."""
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MAX_CODEOWNERS_BYTES = 1024 * 1024
MAX_TOP_BLOCKERS = 15
STATUS_MARK = {"pass": "✓", "warn": "!", "fail": "✗", "n/a": "–"}
STATUS_CLASS = {"pass": "pass", "warn": "warn", "fail": "fail", "n/a": "na"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

Key = tuple[str, str]
"""``(source, service)``: a service's identity across runs."""


def _s(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- teams (CODEOWNERS) -------------------------------------------------------------


def _glob(pattern: str) -> Any:
    """A CODEOWNERS pattern as a linear-time regex over a directory path ("" is the
    repository root) that also matches the directories under a matching one."""
    anchored = pattern.startswith("/") or "/" in pattern.strip("/")
    body = pattern.strip("/")
    if not body:
        return linear.compile(r".*")
    rx, i = [], 0
    while i < len(body):
        if body.startswith("**/", i):
            rx.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            rx.append(".*")
            i += 2
        elif body[i] == "*":
            rx.append("[^/]*")
            i += 1
        elif body[i] == "?":
            rx.append("[^/]")
            i += 1
        else:
            rx.append(re.escape(body[i]))
            i += 1
    head = "" if anchored else "(?:.*/)?"
    return linear.compile(f"{head}{''.join(rx)}(?:/.*)?")


def read_codeowners(repo: Path) -> list[tuple[Any, str]]:
    """``(pattern, first owner or "")`` in the order of the file; [] when there is none."""
    for place in CODEOWNERS_PLACES:
        file = repo / place
        try:
            if not file.is_file() or file.stat().st_size > MAX_CODEOWNERS_BYTES:
                continue
            text = file.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        rules = []
        for line in text.splitlines():
            words = line.split("#", 1)[0].split() if not line.lstrip().startswith("#") else []
            if not words:
                continue
            try:
                rules.append((_glob(words[0]), words[1] if len(words) > 1 else ""))
            except (linear.error, ValueError):
                continue
        return rules
    return []


def owner(rules: list[tuple[Any, str]], root: str) -> str:
    """The team of the directory ``root`` (POSIX, relative; "." the repository)."""
    path = "" if root in (".", "") else root.strip("/")
    found = ""
    for rx, team in rules:
        if rx.fullmatch(path):
            found = team
    return found


def teams_of(doc: dict[str, Any]) -> dict[Key, str]:
    out: dict[Key, str] = {}
    for repo in _list(doc.get("repositories")):
        repo = _dict(repo)
        path, source = _s(repo.get("path")), _s(repo.get("source"))
        if not path or repo.get("status") != "ok":
            continue
        rules = read_codeowners(Path(path))
        if not rules:
            continue
        for svc in _list(repo.get("services")):
            svc = _dict(svc)
            team = owner(rules, _s(svc.get("root")) or ".")
            if team:
                out[(source, _s(svc.get("name")))] = team
    return out


# -- trend ---------------------------------------------------------------------------


def trends(db_path: Path | None, run: FleetRun, runs: int = TREND_RUNS) -> dict[Key, list[int]]:
    """Each service's scores over the last ``runs`` runs up to this one, oldest first,
    read from the database (opened read-only); only this run's score when the run was
    not recorded or the database cannot be read."""
    from dockready.fleet.db import run_ids, stored_services

    current = {(rep.source, s.name): [s.score] for rep in run.repos for s in rep.services}
    if db_path is None or run.run_id is None:
        return current
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            ids = [i for i in run_ids(conn) if i <= run.run_id][-runs:]
            out: dict[Key, list[int]] = defaultdict(list)
            for rid in ids:
                for source, name, score in stored_services(conn, rid):
                    out[(source, name)].append(int(score))
        finally:
            conn.close()
    except (sqlite3.Error, OSError, ValueError):
        return current
    return {k: out.get(k) or v for k, v in current.items()}


def sparkline(scores: list[int]) -> str:
    """An inline SVG of scores 0-100, oldest first, the last one dotted."""
    if not scores:
        return ""
    w, h, pad = 84, 22, 2
    step = (w - 2 * pad) / max(1, len(scores) - 1)
    pts = [
        (pad + i * step if len(scores) > 1 else w / 2, pad + (100 - s) * (h - 2 * pad) / 100)
        for i, s in enumerate(scores)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    last_x, last_y = pts[-1]
    label = f"score over the last {len(scores)} run{'s' if len(scores) != 1 else ''}: " + ", ".join(
        map(str, scores)
    )
    poly = f'<polyline points="{line}"/>' if len(scores) > 1 else ""
    return (
        f'<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{esc(label)}"><title>{esc(label)}</title>{poly}'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5"/></svg>'
    )


# -- page ----------------------------------------------------------------------------


def slug(source: str) -> str:
    """A file name for a repository's report: readable, and unique by a hash."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", shown(source)).strip("-.")[-60:] or "repo"
    return f"{base}-{hashlib.sha256(source.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def _service_path(display: str, root: str) -> str:
    if root in ("", "."):
        return display
    return f"{display.rstrip('/')}/{root.strip('/')}"


def _waves(doc: dict[str, Any]) -> dict[Key, int]:
    out: dict[Key, int] = {}
    for w in _list(doc.get("waves")):
        w = _dict(w)
        n = w.get("wave")
        if not isinstance(n, int) or isinstance(n, bool):
            continue
        for s in _list(w.get("services")):
            s = _dict(s)
            out.setdefault((_s(s.get("source")), _s(s.get("service"))), n)
    return out


def _heat_row(
    rid: str,
    display: str,
    svc: dict[str, Any],
    team: str,
    wave: int | None,
    scores: list[int],
    report: str | None,
    numbers: tuple[int, ...] = CHAPTERS,
) -> str:
    name = _s(svc.get("name"))
    root = _s(svc.get("root")) or "."
    chapters = _dict(svc.get("chapters"))
    cells = []
    for n in numbers:
        status = _s(chapters.get(str(n))) or "n/a"
        cls = STATUS_CLASS.get(status, "na")
        title = f"{n} {CHAPTER_TITLES.get(n, '')}: {status}"
        cells.append(
            f'<td class="st {cls}" data-chapter="{n}" data-status="{esc(status)}" '
            f'title="{esc(title)}">{STATUS_MARK.get(status, "?")}'
            f'<span class="sr"> {esc(status)}</span></td>'
        )
    score = _int(svc.get("score"))
    band = "good" if score >= 80 else "fair" if score >= 50 else "poor"
    blockers = [b for b in _list(svc.get("blockers")) if isinstance(b, str)]
    blocker_links = (
        " ".join(
            f'<a class="rule" href="{esc(help_uri(b))}" rel="noopener noreferrer">{esc(b)}</a>'
            for b in blockers
        )
        or '<span class="muted">none</span>'
    )
    link = (
        f'<a class="report" href="{esc(report)}#checklist">report</a>'
        if report
        else '<span class="muted">–</span>'
    )
    is_repo = name == REPOSITORY_SUITE
    return (
        f'<tr class="svc{" repo-row" if is_repo else ""}" id="{rid}" data-service="{esc(name)}" '
        f'data-path="{esc(_service_path(display, root))}" data-team="{esc(team)}" '
        f'data-wave="{wave if wave is not None else ""}" data-blockers="{esc(" ".join(blockers))}">'
        f'<th scope="row" class="name">{esc(name)}</th>'
        f'<td class="where"><span class="repo">{esc(display)}</span>'
        f"{'' if root == '.' else f' <code>{esc(root)}</code>'}</td>"
        f'<td class="team">{esc(team) if team else "<span class=muted>–</span>"}</td>'
        f'{"".join(cells)}<td class="score {band}" data-score="{score}">{score}</td>'
        f'<td class="blockers">{blocker_links}</td><td class="trend">{sparkline(scores)}</td>'
        f'<td class="link">{link}</td></tr>'
    )


def _chapter_numbers(doc: dict[str, Any]) -> tuple[int, ...]:
    """Chapters 1-5, and 6 when a service has it (``fleet --verify``)."""
    for repo in _list(doc.get("repositories")):
        for svc in _list(_dict(repo).get("services")):
            if "6" in _dict(_dict(svc).get("chapters")):
                return (*CHAPTERS, 6)
    return CHAPTERS


def _heatmap(rows: list[str], errors: list[str], numbers: tuple[int, ...] = CHAPTERS) -> str:
    blocking = "2–4 and 6" if 6 in numbers else "2–4"
    head = "".join(
        f'<th scope="col" class="ch" title="{esc(CHAPTER_TITLES.get(n, ""))}">'
        f'{n}<span class="chname">{esc(CHAPTER_TITLES.get(n, ""))}</span></th>'
        for n in numbers
    )
    body = "".join(rows) + "".join(errors)
    empty = '<p class="empty">No service found.</p>' if not rows and not errors else ""
    return (
        '<section id="heatmap" aria-labelledby="heatmap-h"><h2 id="heatmap-h">'
        "Services × chapters</h2>"
        '<p class="legend muted"><span class="st pass">✓</span> pass · '
        '<span class="st warn">!</span> warnings · <span class="st fail">✗</span> errors · '
        '<span class="st na">–</span> not applicable. Score 0–100 (docs/fleet.md); '
        f"blockers are error findings of chapters {blocking}.</p>"
        f'{empty}<div class="scroll"><table class="heat"><thead><tr>'
        '<th scope="col">service</th><th scope="col">repository</th><th scope="col">team</th>'
        f'{head}<th scope="col">score</th><th scope="col">blockers</th>'
        '<th scope="col">trend</th><th scope="col">report</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
        '<p class="empty" id="none-shown" hidden>No service matches the filters.</p></section>'
    )


def _top_blockers(doc: dict[str, Any]) -> str:
    tops = [_dict(t) for t in _list(doc.get("top_blockers"))][:MAX_TOP_BLOCKERS]
    if not tops:
        body = '<p class="empty">No service is blocked.</p>'
    else:
        rows = []
        most = max((_int(t.get("services")) for t in tops), default=1)
        for t in tops:
            rule = _s(t.get("id"))
            n = _int(t.get("services"))
            rows.append(
                f'<tr data-rule="{esc(rule)}"><th scope="row"><a class="rule" '
                f'href="{esc(help_uri(rule))}" rel="noopener noreferrer">{esc(rule)}</a></th>'
                f'<td>{esc(_s(t.get("name")))}</td><td class="count" data-total="{n}">{n}</td>'
                f'<td class="barcell"><span class="hbar" style="width:{100 * n / max(1, most):.0f}%">'
                "</span></td></tr>"
            )
        body = (
            '<table class="tops"><thead><tr><th scope="col">rule</th><th scope="col">name</th>'
            '<th scope="col">services blocked</th><th scope="col"></th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return (
        '<section id="blockers" aria-labelledby="blockers-h"><h2 id="blockers-h">'
        f"Top blocking rules</h2>{body}</section>"
    )


def _wave_graph(doc: dict[str, Any], ids: dict[Key, str]) -> str:
    waves = [_dict(w) for w in _list(doc.get("waves"))]
    waves = [w for w in waves if isinstance(w.get("wave"), int)]
    intro = '<section id="waves" aria-labelledby="waves-h"><h2 id="waves-h">Migration waves</h2>'
    if not waves:
        return (
            f'{intro}<p class="empty" id="no-waves">No wave plan in this run: the fleet '
            "document has no waves.</p></section>"
        )
    cols = []
    boxes: dict[Key, str] = {}
    for w in sorted(waves, key=lambda w: w["wave"]):
        n = w["wave"]
        items = []
        for s in _list(w.get("services")):
            s = _dict(s)
            key = (_s(s.get("source")), _s(s.get("service")))
            if key in boxes:
                continue
            box = f"w-{len(boxes) + 1}"
            boxes[key] = box
            ready = s.get("ready") is True
            blockers = [b for b in _list(s.get("blockers")) if isinstance(b, str)]
            row = ids.get(key, "")
            name = esc(key[1])
            label = f'<a href="#{row}" data-row="{row}">{name}</a>' if row else name
            items.append(
                f'<li class="box {"ready" if ready else "blocked"}" id="{box}" '
                f'data-row="{row}"><span class="bname">{label}</span>'
                f'<span class="bsrc">{esc(shown(key[0]))}</span>'
                + (f'<span class="bblk">{esc(", ".join(blockers))}</span>' if blockers else "")
                + "</li>"
            )
        notes = "".join(f"<li>{esc(x)}</li>" for x in _list(w.get("notes")) if x)
        cols.append(
            f'<div class="wave" data-wave="{n}"><h3>Wave {n} '
            f'<span class="count">{len(items)}</span></h3><ul class="boxes">{"".join(items)}</ul>'
            + (f'<ul class="notes">{notes}</ul>' if notes else "")
            + "</div>"
        )
    edges = []
    for e in _list(doc.get("edges")):
        e = _dict(e)
        a, b = _dict(e.get("from")), _dict(e.get("to"))
        ka = (_s(a.get("source")), _s(a.get("service")))
        kb = (_s(b.get("source")), _s(b.get("service")))
        if ka not in boxes or kb not in boxes:
            continue
        kind = _s(e.get("kind"))
        evidence = e.get("evidence")
        evidence = (
            "; ".join(map(str, evidence)) if isinstance(evidence, list) else str(evidence or "")
        )
        edges.append(
            f'<li data-from="{boxes[ka]}" data-to="{boxes[kb]}" data-kind="{esc(kind)}">'
            f'<b>{esc(ka[1])}</b> → <b>{esc(kb[1])}</b> <span class="kind">{esc(kind)}</span>'
            f"{f' <span class=muted>{esc(evidence)}</span>' if evidence else ''}</li>"
        )
    deps = (
        f'<details class="deps"><summary>Dependencies <span class="count">{len(edges)}</span>'
        f'</summary><ul id="edges">{"".join(edges)}</ul></details>'
    )
    unjoined = [f"<li>{esc(n)}</li>" for n in _list(doc.get("edge_notes")) if n]
    if unjoined:
        deps += (
            '<details class="deps"><summary>Addresses not joined <span class="count">'
            f'{len(unjoined)}</span></summary><ul class="notes">{"".join(unjoined)}</ul></details>'
        )
    return (
        f'{intro}<p class="legend muted">A service comes in a wave after what it calls; '
        "a line goes from a service to what it calls.</p>"
        f'<div class="graph" id="wave-graph">{"".join(cols)}</div>{deps}</section>'
    )


def _errors(items: list[str]) -> str:
    if not items:
        return ""
    return (
        '<section id="errors" aria-labelledby="errors-h"><h2 id="errors-h">Repositories '
        f'that could not be checked <span class="count">{len(items)}</span></h2>'
        f'<ul class="errors">{"".join(items)}</ul></section>'
    )


def _filters(teams: list[str], waves: list[int]) -> str:
    team_opts = "".join(f'<option value="{esc(t)}">{esc(t)}</option>' for t in teams)
    wave_opts = "".join(f'<option value="{n}">wave {n}</option>' for n in waves)
    return (
        '<nav class="filters" aria-label="Filters">'
        '<label>Team <select id="f-team"><option value="">all</option>'
        f"{team_opts}</select></label>"
        '<label>Path prefix <input id="f-prefix" type="search" placeholder="services/payments/" '
        'autocomplete="off"></label>'
        f'<label>Wave <select id="f-wave"><option value="">all</option>{wave_opts}</select></label>'
        '<button type="button" id="reset">Show all</button>'
        '<p id="shown" class="muted" aria-live="polite"></p></nav>'
    )


def render(
    doc: dict[str, Any],
    *,
    trend: dict[Key, list[int]] | None = None,
    reports: dict[str, str] | None = None,
    teams: dict[Key, str] | None = None,
) -> str:
    """The dashboard of a fleet JSON document (``output.json_doc``, parsed)."""
    trend, reports, teams = trend or {}, reports or {}, teams or {}
    waves = _waves(doc)
    rows: list[tuple[int, str, str, str]] = []
    ids: dict[Key, str] = {}
    errors, error_rows = [], []
    numbers = _chapter_numbers(doc)
    for repo in _list(doc.get("repositories")):
        repo = _dict(repo)
        source = _s(repo.get("source"))
        display = shown(source)
        if repo.get("status") != "ok":
            reason = _s(repo.get("error")) or "not checked"
            errors.append(f'<li><span class="repo">{esc(display)}</span>: {esc(reason)}</li>')
            error_rows.append(
                f'<tr class="svc repo-error" data-service="" '
                f'data-path="{esc(display)}" data-team="" data-wave="" data-blockers=""><th scope="row" class="name muted">not checked</th>'
                f'<td class="where"><span class="repo">{esc(display)}</span></td><td></td>'
                f'<td class="st err" colspan="{len(numbers) + 3}">{esc(reason)}</td><td></td></tr>'
            )
            continue
        for svc in _list(repo.get("services")):
            svc = _dict(svc)
            key = (source, _s(svc.get("name")))
            if key in ids:
                continue
            rid = f"s-{len(ids) + 1}"
            ids[key] = rid
            score = _int(svc.get("score"))
            current = [score]
            row = _heat_row(
                rid,
                display,
                svc,
                teams.get(key, ""),
                waves.get(key),
                trend.get(key) or current,
                reports.get(source),
                numbers,
            )
            rows.append((score, display, key[1], row))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    summary = _dict(doc.get("summary"))
    run = _dict(doc.get("run"))

    def num(k: str) -> int:
        v = summary.get(k)
        return v if isinstance(v, int) else 0

    stats = "".join(
        f'<li class="stat {cls}"><span class="num">{num(k)}</span> <span>{label}</span></li>'
        for k, label, cls in (
            ("services", "services", ""),
            ("ready", "ready", "ok"),
            ("blocked", "blocked", "bad"),
            ("repositories", "repositories", ""),
            ("errors", "not checked", "bad" if num("errors") else ""),
            ("findings", "findings", ""),
        )
    )
    run_id = run.get("id")
    when = _s(run.get("finished_at")) or _s(run.get("started_at"))
    title = "Fleet readiness" + (f" · run {run_id}" if isinstance(run_id, int) else "")
    verdict = f"{num('ready')} of {num('services')} services ready (no blockers)"
    if when:
        verdict += f" · {when}"
    team_names = sorted({t for t in teams.values() if t})
    wave_numbers = sorted(set(waves.values()))
    version = _s(_dict(doc.get("tool")).get("version")) or __version__
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="color-scheme" content="light dark">'
        f'<meta name="generator" content="dockready {esc(version)}">'
        f"<title>dockready: {esc(title)}</title><style>{asset('fleet.css')}</style></head>"
        '<body><a class="skip" href="#heatmap">Skip to the services</a>'
        '<header class="top">'
        f'<p class="tool">dockready {esc(version)} · Docker migration checklist</p>'
        f'<h1>{esc(title)}</h1><p class="verdict">{esc(verdict)}.</p>'
        f'<ul class="stats" aria-label="Summary">{stats}</ul></header>'
        f"{_filters(team_names, wave_numbers)}<main>"
        f"{_heatmap([r[3] for r in rows], error_rows, numbers)}{_top_blockers(doc)}"
        f"{_wave_graph(doc, ids)}{_errors(errors)}</main>"
        '<footer class="muted">Generated by dockready fleet. Filters live in the URL hash: '
        "<code>#team=…&amp;prefix=…&amp;wave=…</code>.</footer>"
        f"<script>{asset('fleet.js')}</script></body></html>\n"
    )


def write(run: FleetRun, dest: Path, db_path: Path | None = None) -> None:
    """The dashboard at ``dest`` and, next to it, ``repos/<slug>.html``: the check
    report of each repository whose ``Result`` the run kept."""
    from dockready.report import render as render_report

    reports: dict[str, str] = {}
    for rep in run.repos:
        if rep.result is None or rep.failed:
            continue
        name = f"{slug(rep.source)}.html"
        folder = dest.parent / "repos"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(render_report("html", rep.result), encoding="utf-8")
        reports[rep.source] = f"repos/{name}"
    doc = json.loads(json_doc(run))
    page = render(doc, trend=trends(db_path, run), reports=reports, teams=teams_of(doc))
    dest.write_text(page, encoding="utf-8")
