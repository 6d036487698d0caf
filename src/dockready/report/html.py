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

The checklist is ``report/checklist.py``'s, as in the JUnit and Markdown reports:
the rules that ran, each passed, failed or *not applicable* (the service has none
of the inputs the rule reads, ``@rule(reads=...)``).

Snippets are read from the checked files (``Result.root``), defensively: a file that
is missing, outside the root, binary or larger than ``MAX_FILE_BYTES`` has none.
Secrets never reach the page: the snippet of a finding of a rule tagged ``secret``
or of a parse error (DR000) is not shown, and in every snippet a line those findings
flag (with its ``\\`` continuation lines), a line with the shape of a key or token or
with a secret-sounding key or flag followed by a value
(``dockready.secrets.secret_line``) and the lines of a PEM private key are replaced
by a note. All text is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dockready import __version__
from dockready.model import CHAPTERS, Finding, Result, RuleInfo, ServiceSummary, Severity, Span
from dockready.report.checklist import FAILED, NA, PASSED, REPOSITORY, Item, checklist
from dockready.report.escape import printable
from dockready.secrets import secret_line

CONTEXT = 3
"""Lines of source shown on each side of the evidence."""
MAX_FILE_BYTES = 1024 * 1024
MAX_LINE_CHARS = 240
OPEN_SERVICES = 5
"""With more services than this, only the cards of services with a failure are open."""
MAX_HEADER_SERVICES = 12

SECRET_NOTE = "snippet hidden: it holds a secret"
LINE_NOTE = "line hidden: it holds a secret"
PARSE_NOTE = "snippet hidden: the file does not parse, so what it holds is unknown"

_PEM_BEGIN = re.compile(r"-{3,}BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-{3,}")
_PEM_END = re.compile(r"-{3,}END (?:[A-Z0-9]+ )*PRIVATE KEY-{3,}")
_URL = re.compile(r"^https?://[^\s\"'<>]+$")
_REF = re.compile(r"^\s*-\s*\[(?P<text>[^\]]+)\]\((?P<url>[^)\s]+)\)\s*$")


def asset(name: str) -> str:
    """A file of ``report/assets`` (shipped in the wheel), inlined into the page."""
    return (resources.files("dockready.report") / "assets" / name).read_text(encoding="utf-8")


def esc(text: object) -> str:
    """HTML-escaped, with control, separator and bidi characters shown as escapes."""
    return html.escape(printable(str(text)), quote=True)


def inline(text: str) -> str:
    """Escaped text whose `code spans` become ``<code>`` (escaped first, then marked)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unbalanced backtick: plain text
        return esc(text)
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


# -- source snippets ----------------------------------------------------------------


class Sources:
    """The checked files' lines, read once each, and which lines hide a secret."""

    def __init__(self, result: Result) -> None:
        self.root = Path(result.root) if result.root else None
        self._lines: dict[str, list[str] | None] = {}
        self._hidden: dict[str, set[int]] = {}
        self._flagged: dict[str, set[int]] = {}
        # Suppressed findings are not shown, but the secrets they flag are still there.
        self.secret_rules = frozenset(r.id for r in result.rules if r.secret)
        # A line that does not parse is not shown either: what it holds is unknown.
        self.secret_rules |= {"DR000"}
        for f in (*result.findings, *result.suppressed):
            if f.rule_id in self.secret_rules:
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
            if in_key or secret_line(line):
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
            status, why = _status(it)
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


def _status(it: Item) -> tuple[str, str]:
    """``(status, explanation)``: status is passed, failed or na."""
    if it.status == FAILED:
        n = len(it.findings)
        return FAILED, f"{n} finding{'s' if n != 1 else ''}"
    if it.status == NA:
        return NA, "not applicable: the service has no " + ", no ".join(it.needs)
    return PASSED, "no finding"


def _help(rule: RuleInfo | None) -> str:
    if rule is None:
        return ""
    links = []
    for line in rule.section("References").splitlines():
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


def _finding(n: Numbered, sources: Sources, rules: dict[str, RuleInfo]) -> str:
    f = n.finding
    if f.rule_id in sources.secret_rules:
        note = PARSE_NOTE if f.rule_id == "DR000" else SECRET_NOTE
        snippet = f'<p class="hidden-note">{note}</p>'
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


def _findings(numbered: list[Numbered], sources: Sources, rules: dict[str, RuleInfo]) -> str:
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
    rules = {r.id: r for r in result.rules}
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
        f"<title>{esc(title)}</title><style>{asset('report.css')}</style></head>"
        '<body><a class="skip" href="#findings">Skip to the findings</a>'
        f"{_header(result, counts)}{_filters(counts, chapters, per_chapter)}<main>"
        f"{checks}{_findings(numbered, sources, rules)}{_notices(result)}</main>"
        '<footer class="muted">Generated by dockready. Snippets are read from the checked '
        "files; lines that hold a secret are not shown.</footer>"
        f"<script>{asset('report.js')}</script></body></html>\n"
    )
