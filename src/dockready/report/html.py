"""``--format html``: one self-contained page to read the audit in a browser.

Everything is inline (CSS, a little vanilla JS, no fonts, no images, no network; a
Content-Security-Policy forbids loading anything), so the file can be mailed,
attached to a CI run or opened offline. The page has:

* a header: the checked directory (its base name only), the counts by severity, the
  services and what dockready found of each (main package, Dockerfiles, workloads);
* the checklist of each service, by chapter: every registered rule passed, failed
  (with the number of findings, linked to the first) or not applicable;
* the findings, by chapter, errors first: severity, id, name, message, ``path:line``,
  the source around the evidence (±3 lines, the evidence line highlighted) and the
  related ends with theirs, and the rule's summary and references;
* filters by severity and chapter and a text search; the state lives in the URL
  hash (``#severity=error&chapter=2,4&q=probe``), so a filtered view can be linked.

*Not applicable* means the service has none of the inputs the rule reads. By chapter:
1 reads the Go code; 2 compares the code with its image (a Dockerfile); 3 reads a
Dockerfile; 4 reads Kubernetes workloads. ``NEEDS`` lists the rules that read
something else (the Go code alone, or compose services too); chapter 0 and rules
this build does not know are always applicable. A rule with a finding is failed,
whatever the mapping says. The ``(repository)`` suite (findings of no service) has
no known inputs: it counts passed and failed like the JUnit report.

Snippets are read from the checked files (``Result.root``), defensively: a file that
is missing, outside the root, binary or larger than ``MAX_FILE_BYTES`` has none.
Secrets never reach the page: the snippet of a DR207/DR308/DR413 finding is not
shown, and in every snippet a line those rules flagged (with its ``\\`` continuation
lines), a line whose text has the shape of a key or token
(``dockready.secrets.strong_kind``) and the lines of a PEM private key are replaced
by a note. All text is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dockready import __version__
from dockready.model import Finding, Result, ServiceSummary, Severity, Span
from dockready.report.junit import REPOSITORY, Item, checklist
from dockready.rules.registry import CHAPTERS, Rule, all_rules, section
from dockready.secrets import strong_kind

CONTEXT = 3
"""Lines of source shown on each side of the evidence."""
MAX_FILE_BYTES = 1024 * 1024
MAX_LINE_CHARS = 240
OPEN_SERVICES = 5
"""With more services than this, only the cards of services with a failure are open."""
MAX_HEADER_SERVICES = 12

#: Rules whose evidence line holds a secret value: their snippet is never shown.
SECRET_RULES = frozenset({"DR207", "DR308", "DR413"})
SECRET_NOTE = "snippet hidden: it holds a secret"
LINE_NOTE = "line hidden: it holds a secret"

# What a rule reads; a service "has" an input when its summary lists one.
CODE, IMAGE, K8S, COMPOSE = "code", "image", "k8s", "compose"
INPUT_NAMES = {
    CODE: "Go main package",
    IMAGE: "Dockerfile",
    K8S: "Kubernetes workload",
    COMPOSE: "compose service",
}
CHAPTER_NEEDS: dict[int, tuple[str, ...]] = {
    1: (CODE,),
    2: (IMAGE,),
    3: (IMAGE,),
    4: (K8S,),
}
#: Rules that read something else than their chapter's input (any of these is enough).
NEEDS: dict[str, tuple[str, ...]] = {
    # chapter 2 rules that read the Go code alone
    "DR207": (CODE,),
    "DR211": (CODE,),
    "DR212": (CODE,),
    "DR213": (CODE,),
    "DR214": (CODE,),
    # chapter 2 rules that compare the code with where it is deployed
    "DR206": (IMAGE, COMPOSE),
    "DR217": (IMAGE, K8S, COMPOSE),
    "DR218": (IMAGE, K8S, COMPOSE),
    "DR219": (K8S, COMPOSE),
    "DR220": (K8S,),
    # chapter 4 rules that read compose services too, or the Go code
    "DR413": (K8S, COMPOSE),
    "DR415": (K8S, COMPOSE),
    "DR416": (K8S, COMPOSE),
    "DR420": (CODE,),
}

_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END (?:[A-Z]+ )*PRIVATE KEY-----")
_URL = re.compile(r"^https?://[^\s\"'<>]+$")
_REF = re.compile(r"^\s*-\s*\[(?P<text>[^\]]+)\]\((?P<url>[^)\s]+)\)\s*$")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline(text: str) -> str:
    """Escaped text whose `code spans` become ``<code>`` (escaped first, then marked)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unbalanced backtick: plain text
        return esc(text)
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


def needs(rule_id: str, chapter: int) -> tuple[str, ...]:
    """The inputs a rule reads (any one is enough); () means always applicable."""
    return NEEDS.get(rule_id, CHAPTER_NEEDS.get(chapter, ()))


def inputs_of(service: ServiceSummary) -> set[str]:
    has = set()
    if service.main_packages:
        has.add(CODE)
    if service.dockerfiles:
        has.add(IMAGE)
    if service.workloads:
        has.add(K8S)
    if service.compose_services:
        has.add(COMPOSE)
    return has


def status_of(item: Item, service: ServiceSummary | None) -> tuple[str, str]:
    """``(status, explanation)``: status is passed, failed or na."""
    if item.findings:
        n = len(item.findings)
        return "failed", f"{n} finding{'s' if n != 1 else ''}"
    wanted = needs(item.rule_id, item.chapter)
    if service is None or not wanted or inputs_of(service) & set(wanted):
        return "passed", "no finding"
    return "na", "not applicable: the service has no " + ", no ".join(
        INPUT_NAMES[w] for w in wanted
    )


# -- source snippets ----------------------------------------------------------------


class Sources:
    """The checked files' lines, read once each, and which lines hide a secret."""

    def __init__(self, result: Result) -> None:
        self.root = Path(result.root) if result.root else None
        self._lines: dict[str, list[str] | None] = {}
        self._hidden: dict[str, set[int]] = {}
        self._flagged: dict[str, set[int]] = {}
        # Suppressed findings are not shown, but the secrets they flag are still there.
        for f in (*result.findings, *getattr(result, "suppressed", ())):
            if f.rule_id in SECRET_RULES:
                self._flagged.setdefault(f.span.path, set()).add(f.span.line)

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str] | None:
        if self.root is None or not path:
            return None
        try:
            root = self.root.resolve()
            file = (root / path).resolve()
            if not file.is_relative_to(root) or not file.is_file():
                return None
            if file.stat().st_size > MAX_FILE_BYTES:
                return None
            data = file.read_bytes()
        except (OSError, ValueError, RuntimeError):
            return None
        if b"\x00" in data[:8192]:
            return None
        text = data.decode("utf-8", errors="replace")
        return [line.removesuffix("\r") for line in text.split("\n")]

    def hidden(self, path: str) -> set[int]:
        """1-based lines of ``path`` that are never shown."""
        got = self._hidden.get(path)
        if got is not None:
            return got
        lines = self.lines(path) or []
        out: set[int] = set()
        in_key = False
        for n, line in enumerate(lines, 1):
            if _PEM_BEGIN.search(line):
                in_key = True
            if in_key or strong_kind(line) is not None:
                out.add(n)
            if _PEM_END.search(line):
                in_key = False
        for n in self._flagged.get(path, ()):
            out.add(n)
            while 0 < n <= len(lines) and lines[n - 1].rstrip().endswith("\\"):
                n += 1
                out.add(n)
        self._hidden[path] = out
        return out

    def snippet(self, span: Span) -> str:
        """The ±CONTEXT lines around ``span`` as HTML, or "" when there is none."""
        lines = self.lines(span.path)
        if not lines or not 1 <= span.line <= len(lines):
            return ""
        first = max(1, span.line - CONTEXT)
        last = min(len(lines), span.line + CONTEXT)
        while last > span.line and not lines[last - 1].strip():
            last -= 1  # no trailing blank lines (the file's final newline)
        hidden = self.hidden(span.path)
        rows = []
        for n in range(first, last + 1):
            classes = ["ln"]
            if n == span.line:
                classes.append("hit")
            if n in hidden:
                classes.append("masked")
                body = f'<span class="note">{LINE_NOTE}</span>'
            else:
                text = lines[n - 1]
                if len(text) > MAX_LINE_CHARS:
                    text = text[:MAX_LINE_CHARS] + " …"
                body = esc(text) or " "
            mark = '<span class="sr">evidence: </span>' if n == span.line else ""
            rows.append(f'<span class="{" ".join(classes)}" data-n="{n}">{mark}{body}</span>')
        label = esc(f"{span.path} lines {first} to {last}")
        return f'<pre class="snippet" aria-label="{label}"><code>{"".join(rows)}</code></pre>'


# -- page parts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Numbered:
    anchor: str
    finding: Finding


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _chapter_title(chapter: int) -> str:
    title = CHAPTERS.get(chapter)
    return f"{chapter} · {title}" if title else f"Chapter {chapter}"


def _badge(severity: Severity) -> str:
    return f'<span class="badge sev-{severity.label}">{severity.label}</span>'


def _where(span: Span) -> str:
    return f"{span.path}:{span.line}:{span.col}" if span.col > 1 else f"{span.path}:{span.line}"


def _header(result: Result, counts: Counter[Severity]) -> str:
    name = Path(result.root).name or "."
    labels = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "info"}
    stats = "".join(
        f'<li class="stat sev-{s.label}"><span class="num">{counts[s]}</span> '
        f"<span>{labels[s]}</span></li>"
        for s in labels
    )
    stats += (
        f'<li class="stat"><span class="num">{len(result.services)}</span> '
        f"<span>service{'s' if len(result.services) != 1 else ''}</span></li>"
        f'<li class="stat"><span class="num">{result.files_checked}</span> '
        f"<span>files checked</span></li>"
    )
    total = len(result.findings)
    verdict = (
        f"{_plural(total, 'finding')} in {_plural(result.files_checked, 'file')}"
        if total
        else f"No problems found in {_plural(result.files_checked, 'file')}"
    )
    hidden = []
    suppressed = len(getattr(result, "suppressed", ()))
    baselined = int(getattr(result, "baselined", 0))
    if suppressed:
        hidden.append(f"{suppressed} suppressed inline")
    if baselined:
        hidden.append(f"{baselined} in the baseline")
    if hidden:
        verdict += f" (not shown: {', '.join(hidden)})"
    names = [s.name for s in result.services]
    services = ""
    if names:
        shown = ", ".join(esc(n) for n in names[:MAX_HEADER_SERVICES])
        more = len(names) - MAX_HEADER_SERVICES
        shown += f" and {more} more" if more > 0 else ""
        label = "Service" if len(names) == 1 else "Services"
        services = f'<p class="services"><b>{label}:</b> {shown}</p>'
    return (
        '<header class="top">'
        f'<p class="tool">dockready {esc(__version__)} · Docker migration checklist</p>'
        f"<h1>{esc(name)}</h1>"
        f'<p class="verdict">{esc(verdict)}.</p>{services}'
        f'<ul class="stats" aria-label="Summary">{stats}</ul>'
        "</header>"
    )


def _inputs(service: ServiceSummary) -> str:
    chips = []
    for label, values in (
        ("Go", service.main_packages),
        ("Dockerfile", service.dockerfiles),
        ("Kubernetes", service.workloads),
        ("compose", service.compose_services),
    ):
        if values:
            chips += [f'<li class="input"><b>{label}</b> {esc(v)}</li>' for v in values]
        else:
            chips.append(f'<li class="input none"><b>{label}</b> none</li>')
    return f'<ul class="inputs" aria-label="What dockready found">{"".join(chips)}</ul>'


def _checklist(
    result: Result, first_anchor: dict[tuple[str, str], str], chapters: list[int]
) -> str:
    by_name = {s.name: s for s in result.services}
    cards = []
    suites = checklist(result)
    for suite, items in suites:
        service = by_name.get(suite)
        rows_by_chapter: dict[int, list[str]] = {}
        tally: Counter[str] = Counter()
        for it in items:
            status, why = status_of(it, service)
            tally[status] += 1
            if status == "failed":
                sev = it.severity or Severity.ERROR
                anchor = first_anchor.get((suite, it.rule_id), "")
                label = f"✗ failed ({len(it.findings)})"
                text = f'<a href="#{anchor}">{label}</a>' if anchor else label
                cell_class = f"status failed sev-{sev.label}"
            elif status == "passed":
                text, cell_class = "✓ passed", "status passed"
            else:
                text, cell_class = "– n/a", "status na"
            rows_by_chapter.setdefault(it.chapter, []).append(
                f'<tr><th scope="row"><code>{esc(it.rule_id)}</code></th>'
                f"<td>{esc(it.name)}</td>"
                f'<td class="{cell_class}" data-status="{status}" data-rule="{esc(it.rule_id)}" '
                f'data-service="{esc(suite)}" title="{esc(why)}">{text}</td></tr>'
            )
        blocks = []
        for chapter in sorted(rows_by_chapter):
            if chapter not in chapters:
                chapters.append(chapter)
            rows = rows_by_chapter[chapter]
            blocks.append(
                f'<div class="chapter-block" data-chapter="{chapter}">'
                f'<table class="checks"><caption>{esc(_chapter_title(chapter))}</caption>'
                '<thead><tr><th scope="col">id</th><th scope="col">rule</th>'
                f'<th scope="col">status</th></tr></thead><tbody>{"".join(rows)}</tbody>'
                "</table></div>"
            )
        total = sum(tally.values()) or 1
        bar = "".join(
            f'<span class="seg {k}" style="width:{100 * tally[k] / total:.2f}%"></span>'
            for k in ("passed", "failed", "na")
            if tally[k]
        )
        summary = (
            f'<span class="t passed">{tally["passed"]} passed</span> · '
            f'<span class="t failed">{tally["failed"]} failed</span> · '
            f'<span class="t na">{tally["na"]} not applicable</span>'
        )
        inputs = _inputs(service) if service is not None else ""
        note = (
            '<p class="muted">Findings that belong to no service.</p>'
            if suite == REPOSITORY
            else ""
        )
        is_open = " open" if len(suites) <= OPEN_SERVICES or tally["failed"] else ""
        cards.append(
            f'<details class="service card" data-service="{esc(suite)}"{is_open}>'
            f'<summary><h3>{esc(suite)}</h3> <span class="tally">{summary}</span></summary>'
            f'{note}{inputs}<div class="bar" aria-hidden="true">{bar}</div>'
            f'<div class="chapters">{"".join(blocks)}</div></details>'
        )
    return (
        '<section id="checklist" aria-labelledby="checklist-h"><h2 id="checklist-h">Checklist</h2>'
        '<p class="legend muted"><span class="status passed">✓ passed</span>: no finding · '
        '<span class="status failed sev-error">✗ failed (N)</span>: N findings · '
        '<span class="status na">– n/a</span>: the service has none of what the rule '
        "reads (no Dockerfile for chapter 3, no workload for chapter 4…)</p>"
        f"{''.join(cards)}</section>"
    )


def _help(rule: Rule | None) -> str:
    if rule is None:
        return ""
    links = []
    for line in section(rule.doc, "References").splitlines():
        m = _REF.match(line)
        if m and _URL.match(m["url"]):
            links.append(
                f'<li><a class="doc" href="{esc(m["url"])}" rel="noopener noreferrer">'
                f"{inline(m['text'])}</a></li>"
            )
    refs = f'<ul class="refs">{"".join(links)}</ul>' if links else ""
    return (
        f'<details class="help"><summary>About {esc(rule.id)} {esc(rule.name)}</summary>'
        f"<p>{inline(rule.summary)}</p>{refs}</details>"
    )


def _finding(n: Numbered, sources: Sources, rules: dict[str, Rule]) -> str:
    f = n.finding
    if f.rule_id in SECRET_RULES:
        snippet = f'<p class="hidden-note">{SECRET_NOTE}</p>'
    else:
        snippet = sources.snippet(f.span)
    related = []
    for r in f.related:
        related.append(
            f'<li><span class="arrow" aria-hidden="true">↳</span> '
            f'<span class="loc">{esc(_where(r.span))}</span> {inline(r.message)}'
            f"{sources.snippet(r.span)}</li>"
        )
    rel = (
        f'<ul class="related" aria-label="Related locations">{"".join(related)}</ul>'
        if related
        else ""
    )
    service = f'<span class="svc" title="service">{esc(f.service)}</span>' if f.service else ""
    return (
        f'<article class="finding sev-{f.severity.label}" id="{n.anchor}" '
        f'data-severity="{f.severity.label}" data-chapter="{f.chapter}" '
        f'data-rule="{esc(f.rule_id)}" data-service="{esc(f.service or REPOSITORY)}">'
        f'<h4 class="fh">{_badge(f.severity)} <span class="rid">{esc(f.rule_id)}</span> '
        f'<span class="rname">{esc(f.name)}</span>{service}</h4>'
        f'<p class="loc">{esc(_where(f.span))}</p>'
        f'<p class="msg">{inline(f.message)}</p>{snippet}{rel}{_help(rules.get(f.rule_id))}'
        "</article>"
    )


def _findings(numbered: list[Numbered], sources: Sources, rules: dict[str, Rule]) -> str:
    if not numbered:
        return (
            '<section id="findings" aria-labelledby="findings-h">'
            '<h2 id="findings-h">Findings</h2><p class="empty">No problems found.</p></section>'
        )
    by_chapter: dict[int, list[Numbered]] = {}
    for n in numbered:
        by_chapter.setdefault(n.finding.chapter, []).append(n)
    parts = []
    for chapter in sorted(by_chapter):
        group = by_chapter[chapter]
        body = "".join(_finding(n, sources, rules) for n in group)
        parts.append(
            f'<section class="fchapter" data-chapter="{chapter}" '
            f'aria-labelledby="ch-{chapter}"><h3 id="ch-{chapter}">'
            f'{esc(_chapter_title(chapter))} <span class="count">{len(group)}</span></h3>'
            f"{body}</section>"
        )
    return (
        '<section id="findings" aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2>'
        '<p class="empty" id="none-shown" hidden>No finding matches the filters.</p>'
        f"{''.join(parts)}</section>"
    )


def _filters(counts: Counter[Severity], chapters: Iterable[int], per_chapter: Counter[int]) -> str:
    sev = "".join(
        f'<label class="chip sev-{s.label}"><input type="checkbox" name="severity" '
        f'value="{s.label}" checked> {s.label} <span class="n">{counts[s]}</span></label>'
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    )
    chap = "".join(
        f'<label class="chip" title="{esc(_chapter_title(c))}"><input type="checkbox" '
        f'name="chapter" value="{c}" checked> {c} · {esc(CHAPTERS.get(c, ""))} '
        f'<span class="n">{per_chapter[c]}</span></label>'
        for c in sorted(chapters)
    )
    return (
        '<nav class="filters" aria-label="Filters">'
        f"<fieldset><legend>Severity</legend>{sev}</fieldset>"
        f"<fieldset><legend>Chapter</legend>{chap}</fieldset>"
        '<div class="search"><label for="q">Search</label>'
        '<input type="search" id="q" placeholder="id, file, text… ( / )" autocomplete="off">'
        '<button type="button" id="reset">Show all</button></div>'
        '<p id="shown" class="muted" aria-live="polite"></p></nav>'
    )


def _notices(result: Result) -> str:
    if not result.notices:
        return ""
    items = "".join(
        f"<li>{esc(_where(n.span)) + ': ' if n.span else ''}{inline(n.message)}</li>"
        for n in result.notices
    )
    return (
        '<section id="notices" aria-labelledby="notices-h">'
        f'<h2 id="notices-h">Notices <span class="count">{len(result.notices)}</span></h2>'
        f'<ul class="notices">{items}</ul></section>'
    )


def render(result: Result) -> str:
    rules = {r.id: r for r in all_rules()}
    sources = Sources(result)
    ordered = sorted(
        result.findings,
        key=lambda f: (f.chapter, -int(f.severity), f.span.path, f.span.line, f.span.col),
    )
    numbered = [Numbered(f"f-{i}", f) for i, f in enumerate(ordered, 1)]
    first_anchor: dict[tuple[str, str], str] = {}
    for n in numbered:
        first_anchor.setdefault((n.finding.service or REPOSITORY, n.finding.rule_id), n.anchor)
    counts: Counter[Severity] = Counter(f.severity for f in result.findings)
    per_chapter: Counter[int] = Counter(f.chapter for f in result.findings)
    chapters: list[int] = []
    checks = _checklist(result, first_anchor, chapters)
    chapters = sorted({*chapters, *per_chapter})
    title = f"dockready: {Path(result.root).name or '.'}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        '<meta name="color-scheme" content="light dark">'
        f'<meta name="generator" content="dockready {esc(__version__)}">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        '<body><a class="skip" href="#findings">Skip to the findings</a>'
        f"{_header(result, counts)}{_filters(counts, chapters, per_chapter)}<main>"
        f"{checks}{_findings(numbered, sources, rules)}{_notices(result)}</main>"
        '<footer class="muted">Generated by dockready. Snippets are read from the checked '
        "files; lines that hold a secret are not shown.</footer>"
        f"<script>{JS}</script></body></html>\n"
    )


CSS = """
:root{--bg:#f6f7f9;--card:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--code:#f3f4f6;
--err:#b42318;--err-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff4d6;--info:#0b5cad;--info-bg:#e6f0fc;
--ok:#1a7f37;--ok-bg:#e6f4ea;--na:#6e7781;--na-bg:#eef0f2;--hit:#fff8c5;--hit-bar:#d4a72c;
--accent:#0969da;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;
--muted:#9da7b3;--line:#30363d;--code:#0f141a;--err:#ff7b72;--err-bg:#3a1618;--warn:#e3b341;
--warn-bg:#33290d;--info:#79c0ff;--info-bg:#0f2744;--ok:#56d364;--ok-bg:#12301b;--na:#8b949e;
--na-bg:#21262d;--hit:#3b3212;--hit-bar:#bb8009;--accent:#58a6ff}}
*{box-sizing:border-box}
html{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
body{margin:0;background:var(--bg);color:var(--fg)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:.9em}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;z-index:9;background:var(--card);padding:.5rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.muted{color:var(--muted)}
header.top,main,nav.filters,footer{max-width:1200px;margin:0 auto;padding:0 1.25rem}
header.top{padding-top:1.5rem}
.tool{margin:0;color:var(--muted);font-size:.85rem;letter-spacing:.04em;text-transform:uppercase}
h1{margin:.1rem 0 .2rem;font-size:2rem}
.verdict{margin:0;color:var(--muted)}
.services{margin:.1rem 0 1rem}
.stats{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;padding:0;margin:0 0 1rem}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.5rem 1rem;
min-width:7.5rem;border-top:4px solid var(--line)}
.stat .num{display:block;font-size:1.7rem;font-weight:700;line-height:1.2}
.stat.sev-error{border-top-color:var(--err)}.stat.sev-error .num{color:var(--err)}
.stat.sev-warning{border-top-color:var(--warn)}.stat.sev-warning .num{color:var(--warn)}
.stat.sev-info{border-top-color:var(--info)}.stat.sev-info .num{color:var(--info)}
nav.filters{position:sticky;top:0;z-index:5;background:var(--bg);border-bottom:1px solid var(--line);
display:flex;flex-wrap:wrap;gap:.4rem 1.25rem;align-items:center;padding-top:.5rem;padding-bottom:.5rem}
fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}
legend{float:left;font-weight:600;margin-right:.4rem;font-size:.85rem}
.chip{display:inline-flex;align-items:center;gap:.3rem;border:1px solid var(--line);border-radius:999px;
padding:.1rem .6rem;background:var(--card);cursor:pointer;font-size:.85rem;user-select:none}
.chip:has(input:not(:checked)){opacity:.55;text-decoration:line-through}
.chip .n{font-variant-numeric:tabular-nums;color:var(--muted)}
.chip.sev-error{border-color:var(--err)}.chip.sev-warning{border-color:var(--warn)}
.chip.sev-info{border-color:var(--info)}
.search{display:flex;gap:.4rem;align-items:center}
.search label{font-weight:600;font-size:.85rem}
.search input{font:inherit;padding:.2rem .5rem;border:1px solid var(--line);border-radius:6px;
background:var(--card);color:var(--fg);width:16rem}
button{font:inherit;font-size:.85rem;padding:.2rem .7rem;border:1px solid var(--line);border-radius:6px;
background:var(--card);color:var(--fg);cursor:pointer}
#shown{margin:0;font-size:.85rem}
h2{font-size:1.4rem;margin:1.75rem 0 .5rem}
h3{font-size:1.15rem;margin:1.25rem 0 .5rem}
.count{font-size:.8rem;font-weight:600;background:var(--na-bg);color:var(--muted);border-radius:999px;
padding:.05rem .5rem;vertical-align:middle}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.75rem 1rem;
margin:.75rem 0}
.card h3{margin:.1rem 0 .4rem;display:inline;font-size:1.15rem}
.card>summary{cursor:pointer;margin-bottom:.4rem}
.card>summary .tally{margin-left:.5rem}
.inputs{list-style:none;padding:0;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.3rem}
.input{font-size:.8rem;background:var(--code);border:1px solid var(--line);border-radius:6px;
padding:.05rem .45rem;font-family:ui-monospace,Menlo,Consolas,monospace}
.input b{font-family:system-ui,sans-serif;font-weight:600;margin-right:.2rem}
.input.none{color:var(--muted)}
.tally{font-size:.9rem;font-weight:400}
.t.passed{color:var(--ok)}.t.failed{color:var(--err)}.t.na{color:var(--na)}
.bar{display:flex;height:8px;border-radius:4px;overflow:hidden;background:var(--na-bg);margin:.3rem 0 .6rem}
.seg.passed{background:var(--ok)}.seg.failed{background:var(--err)}.seg.na{background:var(--na)}
.chapters{columns:3 320px;column-gap:1.5rem}
.chapter-block{margin-bottom:.5rem}
table.checks tr{break-inside:avoid}
table.checks caption{break-after:avoid}
table.checks{width:100%;border-collapse:collapse;font-size:.85rem}
table.checks caption{text-align:left;font-weight:700;padding:.2rem 0}
table.checks th,table.checks td{padding:.15rem .4rem;border-bottom:1px solid var(--line);text-align:left}
table.checks thead th{font-size:.75rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
table.checks th[scope=row]{font-weight:400;white-space:nowrap}
.status{white-space:nowrap;font-weight:600;border-radius:4px}
td.status{width:7.5rem}
.status.passed{color:var(--ok)}
.status.na{color:var(--na);font-weight:400}
.status.failed{color:var(--err)}
td.status.failed{background:var(--err-bg)}
td.status.failed.sev-warning{color:var(--warn);background:var(--warn-bg)}
td.status.failed.sev-info{color:var(--info);background:var(--info-bg)}
td.status a{color:inherit}
.legend{font-size:.85rem}
.finding{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--line);
border-radius:8px;padding:.6rem 1rem .7rem;margin:.6rem 0}
.finding.sev-error{border-left-color:var(--err)}.finding.sev-warning{border-left-color:var(--warn)}
.finding.sev-info{border-left-color:var(--info)}
.finding:target{box-shadow:0 0 0 3px var(--accent)}
.fh{margin:0;font-size:1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.badge{font-size:.72rem;font-weight:700;text-transform:uppercase;letter-spacing:.05em;border-radius:4px;
padding:.05rem .4rem;border:1px solid currentColor}
.badge.sev-error{color:var(--err);background:var(--err-bg)}
.badge.sev-warning{color:var(--warn);background:var(--warn-bg)}
.badge.sev-info{color:var(--info);background:var(--info-bg)}
.rid{font-family:ui-monospace,Menlo,Consolas,monospace}
.rname{color:var(--muted);font-weight:500}
.svc{margin-left:auto;font-size:.8rem;font-weight:400;color:var(--muted)}
p.loc{margin:.15rem 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;color:var(--muted)}
span.loc{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;color:var(--muted)}
.msg{margin:.3rem 0 .5rem;white-space:pre-line}
.msg code,.related code,.help code,.notices code{background:var(--code);border-radius:4px;padding:0 .25rem}
pre.snippet{margin:.35rem 0 .5rem;background:var(--code);border:1px solid var(--line);border-radius:6px;
padding:.35rem 0;overflow-x:auto;tab-size:4;line-height:1.45}
pre.snippet code{display:block;min-width:max-content}
.ln{display:block;padding:0 .75rem 0 0;white-space:pre}
.ln::before{content:attr(data-n);display:inline-block;width:3.5em;padding-right:.75em;text-align:right;
color:var(--muted);user-select:none;border-right:3px solid transparent;margin-right:.6em}
.ln.hit{background:var(--hit);font-weight:600}
.ln.hit::before{border-right-color:var(--hit-bar);color:var(--fg)}
.ln.masked .note,.hidden-note{font-style:italic;color:var(--muted);font-family:system-ui,sans-serif}
.hidden-note{margin:.35rem 0;padding:.3rem .6rem;border:1px dashed var(--line);border-radius:6px}
ul.related{list-style:none;padding-left:.75rem;margin:.2rem 0;border-left:2px solid var(--line)}
ul.related li{margin:.25rem 0}
.arrow{color:var(--muted)}
details.help{font-size:.88rem;margin-top:.3rem}
details.help summary{cursor:pointer;color:var(--accent)}
details.help p{margin:.3rem 0}
.refs{margin:.2rem 0;padding-left:1.2rem}
.empty{padding:1rem;background:var(--card);border:1px dashed var(--line);border-radius:8px}
.notices{font-size:.9rem}
footer{padding-top:1.5rem;padding-bottom:2rem;font-size:.8rem}
[hidden]{display:none!important}
@media print{
:root{--bg:#fff;--card:#fff;--fg:#000;--muted:#444;--line:#bbb;--code:#f6f6f6;--hit:#fff3b0}
html{font-size:10.5pt}
nav.filters,.skip,details.help summary::marker{display:none}
.stats,.finding,.card .chapter-block,pre.snippet{break-inside:avoid}
.chapters{columns:2}
a.doc::after{content:" (" attr(href) ")";font-size:.8em;color:var(--muted);word-break:break-all}
td.status a{text-decoration:none}
pre.snippet{overflow:visible;white-space:pre-wrap}
.ln{white-space:pre-wrap}
.card,.finding{border-color:#999}
}
"""

JS = """
(function () {
  "use strict";
  var body = document.body;
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".filters input[type=checkbox]"));
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var fchapters = Array.prototype.slice.call(document.querySelectorAll("section.fchapter"));
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".chapter-block"));
  var q = document.getElementById("q");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var texts = findings.map(function (el) { return el.textContent.toLowerCase(); });

  function wanted(name) {
    var out = {};
    boxes.forEach(function (b) { if (b.name === name && b.checked) { out[b.value] = true; } });
    return out;
  }
  function apply() {
    var sev = wanted("severity"), chap = wanted("chapter");
    var term = q ? q.value.trim().toLowerCase() : "";
    var n = 0;
    findings.forEach(function (el, i) {
      var ok = sev[el.dataset.severity] && chap[el.dataset.chapter] &&
        (!term || texts[i].indexOf(term) >= 0);
      el.hidden = !ok;
      if (ok) { n += 1; }
    });
    fchapters.forEach(function (s) {
      var all = s.querySelectorAll("article.finding").length;
      var on = s.querySelectorAll("article.finding:not([hidden])").length;
      var count = s.querySelector(".count");
      if (count) { count.textContent = on === all ? String(all) : on + " of " + all; }
      s.hidden = on === 0;
    });
    blocks.forEach(function (b) { b.hidden = !chap[b.dataset.chapter]; });
    if (none) { none.hidden = n > 0 || findings.length === 0; }
    if (shown) { shown.textContent = "Showing " + n + " of " + findings.length + " findings"; }
    body.dataset.shown = String(n);
    body.dataset.severity = Object.keys(sev).join(",");
    body.dataset.chapter = Object.keys(chap).join(",");
  }
  function toHash() {
    var parts = [];
    ["severity", "chapter"].forEach(function (name) {
      var all = boxes.filter(function (b) { return b.name === name; });
      var on = all.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      if (on.length !== all.length) { parts.push(name + "=" + on.join(",")); }
    });
    if (q && q.value.trim()) { parts.push("q=" + encodeURIComponent(q.value.trim())); }
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash && !(hash === "" && location.hash.indexOf("=") < 0)) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
  }
  function fromHash() {
    var h = location.hash.replace(/^#/, "");
    if (h.indexOf("=") < 0) { return false; }
    var state = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { state[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* bad escape */ }
      }
    });
    boxes.forEach(function (b) {
      var v = state[b.name];
      b.checked = v === undefined || v.split(",").indexOf(b.value) >= 0;
    });
    if (q) { q.value = state.q || ""; }
    return true;
  }
  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(); toHash(); }); });
  if (q) { q.addEventListener("input", function () { apply(); toHash(); }); }
  var reset = document.getElementById("reset");
  if (reset) {
    reset.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = true; });
      if (q) { q.value = ""; }
      apply(); toHash();
    });
  }
  window.addEventListener("hashchange", function () {
    if (fromHash()) { apply(); return; }
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.closest && target.closest("[hidden]")) {
      boxes.forEach(function (b) { b.checked = true; });
      if (q) { q.value = ""; }
      apply();
      target.scrollIntoView();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && q && document.activeElement !== q) { e.preventDefault(); q.focus(); }
  });
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.slice.call(document.querySelectorAll("details:not([open])"));
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
  });
  fromHash();
  apply();
  body.dataset.ready = "1";
})();
"""
