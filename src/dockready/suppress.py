"""Inline suppressions: comments and annotations that silence named rules.

A suppression must name the rule ids it silences; a reason is optional but kept (and
reported). There is no blanket "ignore everything": a comment naming no valid id is
not a suppression but a *problem* the caller reports.

Grammar
=======

A directive is a comment whose text *starts* with ``dockready:`` (lowercase, as
written; no space inside), followed by the verb ``ignore`` (any case), then ``=`` or
blanks, then the ids, then the reason::

    directive := "dockready:" blanks? "ignore" (blanks? "=" blanks? | blanks) ids reason?
    ids       := id (blanks? "," blanks? id)*      # no blanks between ids without a comma
    id        := "DR" digit digit digit            # case-folded: dr304 is DR304
    reason    := anything to the end of the comment (leading blanks, "-", "–", "—",
                 ":" and ";" stripped)

Examples: ``# dockready: ignore=DR304,DR305 base image sets USER``,
``#dockready:ignore=DR304``, ``//dockready:ignore DR102 behind a proxy that times out``,
``// dockready:ignore=DR101, DR420 -- legacy CRM``.

- A comment that starts with ``dockready:`` but is not a well-formed ``ignore`` (an
  unknown verb, no ids, an id that is not ``DR`` + three digits, or, when ``known`` is
  given, an id no rule has) is reported by :func:`scan_problems`; the valid ids of a
  partly malformed comment still suppress. A comment that merely mentions dockready
  (``# dockready checks this``, ``# see dockready.io/ignore``) is not a directive.
- A directive may also follow another comment on the same line:
  ``# planted: DR414 # dockready: ignore=DR414`` and ``// nolint //dockready:ignore DR101``.

Where comments are recognised
-----------------------------

*Dockerfile* (and ``kind="dockerfile"``): a line whose first non-blank character is
``#`` is a comment (Docker's rule). A *trailing* comment is a ``#`` preceded by a blank
and outside shell quotes (``'…'``, ``"…"`` with backslash escapes, ``\\#``), so
``RUN echo "# dockready: ignore=DR304"`` is not a directive. Which lines belong to an
instruction, and which are the body of a heredoc (never comments), is what the
Dockerfile parser read (``Dockerfile.extents``), not a second tokeniser. Note that
Docker itself does **not** strip trailing comments: the trailing form is only safe
where a shell reads the rest of the line (``RUN``, shell-form ``CMD``/``ENTRYPOINT``);
above ``FROM``, ``USER``, ``EXPOSE`` … put the directive on its own line. A Dockerfile
suppression covers the whole *logical* instruction it targets (all its continuation
lines and heredoc bodies), since findings point at an instruction's first line.

*YAML*: a line whose first non-blank character is ``#``, or a ``#`` preceded by a blank
outside a quoted scalar (a quote opens a scalar only at its start: ``it's`` is plain).
Lines the YAML parser read as the inside of a multi-line scalar (a block ``|``/``>``
body, a continued quoted value) are content, never comments
(``Manifests.content_lines``). A file that does not parse has no such lines.

*Go*: ``//`` line comments as tree-sitter-go parsed them (``GoFile.directives``): a
directive inside a string or a ``/* … */`` block comment is ignored. *go.mod*
(``kind="gomod"``): ``//`` to the end of the line.

Scope
-----

- **Own line** (only blanks before the comment marker): the directive applies to the
  next line that is not a comment-only line (``#`` lines; in Go, ``//`` lines), so
  stacked directives all apply to the same code line. Blank lines are *not* skipped: a directive followed by a blank line
  targets that blank line and ends up unused, which :func:`apply` reports.
- **Trailing**: the directive applies to its own line.
- **Workload annotation** ``dockready.io/ignore: "DR401,DR405"`` (ids separated by
  commas and/or blanks; optional ``dockready.io/ignore-reason``) on a Kubernetes
  workload (object or pod-template metadata): applies to findings in the same file from
  the workload's ``kind:`` line up to, not including, the next object start line (see
  :func:`workload_scan`).

A suppression covers a finding when the paths are equal, the finding's line is in the
suppression's ``[first, last]`` range and the finding's rule id is one of its ids
(exact match).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from dockready.facts.docker import Dockerfile
from dockready.facts.go import Comment, GoFile
from dockready.facts.k8s import Manifests, Workload
from dockready.model import Compact, Finding, Span

LINE = "line"
WORKLOAD = "workload"
ANNOTATION = "dockready.io/ignore"
REASON_ANNOTATION = "dockready.io/ignore-reason"
#: The ``kind`` values :func:`scan` understands (``discover.Kind`` values); others scan
#: to nothing.
KINDS = frozenset({"dockerfile", "yaml", "go", "gomod", "dockerignore"})
#: ``last`` of a workload suppression that runs to the end of its file.
END = 2**31 - 1

_ID = re.compile(r"DR\d{3}")
_VERB = re.compile(r"dockready:[ \t]*([A-Za-z_-]*)(.*)", re.S)
_ARGS = re.compile(r"[ \t]*(?:=[ \t]*|(?=\S)|$)([^\s,]+(?:[ \t]*,[ \t]*[^\s,]+)*)?(.*)", re.S)
_REASON_LEAD = " \t-–—:;"
_GO_CHAIN = re.compile(r"(?:^|//)[ \t]*(?=dockready:)")
_HASH_CHAIN = re.compile(r"(?:^|[ \t]#)[ \t]*(?=dockready:)")
_DOCKER_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S+)\s*")


@dataclass(frozen=True, slots=True)
class Suppression(Compact):
    """One directive. ``span`` is where it is written (the comment marker, or the
    workload's ``kind:`` line); it covers findings of ``ids`` in ``span.path`` on lines
    ``first..last`` (inclusive). ``scope`` is ``"line"`` (a comment) or ``"workload"``
    (an annotation)."""

    span: Span
    ids: tuple[str, ...]
    reason: str
    scope: str
    first: int
    last: int

    def covers(self, finding: Finding) -> bool:
        return (
            finding.rule_id in self.ids
            and finding.span.path == self.span.path
            and self.first <= finding.span.line <= self.last
        )


class Problem(NamedTuple):
    """A malformed directive, to report (it suppresses nothing it could not parse)."""

    span: Span
    message: str


# --------------------------------------------------------------------------- scanning


def scan(
    path: str, text: str | bytes, kind: str, known: Collection[str] | None = None
) -> list[Suppression]:
    """The suppressions written in one file's comments (see the module docstring)."""
    return scan_all(path, text, kind, known)[0]


def scan_problems(
    path: str, text: str | bytes, kind: str, known: Collection[str] | None = None
) -> list[Problem]:
    """The malformed directives of one file."""
    return scan_all(path, text, kind, known)[1]


def scan_all(
    path: str,
    text: str | bytes,
    kind: str,
    known: Collection[str] | None = None,
    facts: object = None,
) -> tuple[list[Suppression], list[Problem]]:
    """Suppressions and problems of one file in a single pass.

    ``kind`` is a :class:`~dockready.discover.Kind` value (``"dockerfile"``, ``"yaml"``,
    ``"go"``, ``"gomod"``; any other kind has no suppressions). ``text`` may be the raw
    bytes (undecodable bytes are replaced). ``known``, when given, is the set of rule
    ids that exist: other well-formed ids are reported as problems. ``facts`` is what
    the parser made of the file (a ``GoFile``, a ``Dockerfile``): its comments and
    instruction extents are used rather than tokenising the file again; without them
    the file is parsed here. Costs one substring search for files that do not mention
    ``dockready``.
    """
    if isinstance(text, bytes):
        if b"dockready" not in text:
            return [], []
        text = text.decode("utf-8", errors="replace")
    elif "dockready" not in text:
        return [], []
    if kind not in KINDS:
        return [], []
    scanner = _Scanner(path, known)
    if kind == "go":
        go = facts if isinstance(facts, GoFile) else _parse_go(path, text)
        scanner.go(text, go.directives)
    elif kind == "gomod":
        scanner.gomod(text)
    elif kind == "dockerfile":
        df = facts if isinstance(facts, Dockerfile) else _parse_dockerfile(path, text)
        scanner.dockerfile(text, df.extents)
    elif kind == "dockerignore":
        scanner.dockerignore(text)
    else:
        content = facts.content_lines if isinstance(facts, Manifests) else _yaml_content(text)
        scanner.yaml(text, content)
    return scanner.sups, scanner.problems


def _yaml_content(text: str) -> frozenset[int]:
    from dockready.parse.yamlfiles import content_lines

    return content_lines(text)


def _parse_go(path: str, text: str) -> GoFile:
    from dockready.parse.gosrc import parse_go

    return parse_go(path, text.encode("utf-8", "surrogateescape"))


def _parse_dockerfile(path: str, text: str) -> Dockerfile:
    from dockready.parse.dockerfile import parse_dockerfile

    return parse_dockerfile(path, text)


def parse_ids(
    text: str, span: Span, known: Collection[str] | None = None, sep: str = r"[ \t]*,[ \t]*"
) -> tuple[tuple[str, ...], list[Problem]]:
    """The valid ids of a comma-separated list, and a problem for each invalid one."""
    ids: list[str] = []
    problems: list[Problem] = []
    for raw in re.split(sep, text.strip()):
        if not raw:
            continue
        tok = raw.upper()
        if not _ID.fullmatch(tok):
            problems.append(
                Problem(span, f"{raw!r} is not a rule id (expected DR and three digits)")
            )
        elif known is not None and tok not in known:
            problems.append(Problem(span, f"{tok} is not a dockready rule"))
        elif tok not in ids:
            ids.append(tok)
    return tuple(ids), problems


class _Directive(NamedTuple):
    span: Span
    ids: tuple[str, ...]
    reason: str


class _Scanner:
    def __init__(self, path: str, known: Collection[str] | None) -> None:
        self.path = path
        self.known = known
        self.sups: list[Suppression] = []
        self.problems: list[Problem] = []

    # -- one comment

    def directive(self, body: str, line: int, col: int, marker: str) -> _Directive | None:
        """Parse a comment: ``body`` is the text after its ``marker`` (``#`` or ``//``),
        which is at column ``col``."""
        if "dockready:" not in body:
            return None
        m = (_GO_CHAIN if marker == "//" else _HASH_CHAIN).search(body)
        if m is None:
            return None
        if m.start() > 0:  # a chained comment: its marker is inside the body
            col += len(marker) + m.start() + m.group().index(marker)
        span = Span(self.path, line, col)
        v = _VERB.match(body, m.end())
        assert v is not None  # the lookahead saw "dockready:"
        verb, rest = v.group(1), v.group(2)
        if verb.lower() != "ignore":
            shown = f"'dockready: {verb}'" if verb else "'dockready:'"
            self.problems.append(
                Problem(
                    span, f"{shown} is not a dockready directive (expected 'dockready: ignore=DR…')"
                )
            )
            return None
        a = _ARGS.match(rest)
        ids_text, reason = (a.group(1) or "", a.group(2)) if a else ("", rest)
        ids, problems = parse_ids(ids_text, span, self.known)
        self.problems.extend(problems)
        if not ids:
            if not problems:
                self.problems.append(
                    Problem(
                        span,
                        "'dockready: ignore' names no rule id: a suppression must name the "
                        "ids it silences, e.g. 'dockready: ignore=DR304 reason'",
                    )
                )
            else:
                self.problems.append(
                    Problem(span, "suppression ignored: it names no valid rule id")
                )
            return None
        return _Directive(span, ids, " ".join(reason.split()).lstrip(_REASON_LEAD))

    def add(self, d: _Directive, first: int, last: int) -> None:
        self.sups.append(Suppression(d.span, d.ids, d.reason, LINE, first, last))

    # -- Go

    def go(self, text: str, comments: Sequence[Comment]) -> None:
        """``//`` comments as the Go parser found them."""
        lines = text.split("\n")
        for c in comments:
            line, col = c.span.line, c.span.col
            d = self.directive(c.text[2:], line, col, "//")
            if d is None:
                continue
            if lines[line - 1][: col - 1].strip():  # code before it: a trailing comment
                self.add(d, line, line)
                continue
            target = line
            while target < len(lines) and lines[target].lstrip().startswith("//"):
                target += 1
            self.add(d, target + 1, target + 1)

    def gomod(self, text: str) -> None:
        """go.mod: a comment runs from ``//`` to the end of the line (its quoted
        strings never hold one)."""
        lines = text.split("\n")
        for i, line in enumerate(lines):
            at = line.find("//")
            if at < 0 or "dockready:" not in line[at:]:
                continue
            d = self.directive(line[at + 2 :], i + 1, at + 1, "//")
            if d is None:
                continue
            if line[:at].strip():
                self.add(d, i + 1, i + 1)
                continue
            target = i + 1
            while target < len(lines) and lines[target].lstrip().startswith("//"):
                target += 1
            self.add(d, target + 1, target + 1)

    # -- Dockerfile

    def dockerfile(self, text: str, extents: Sequence[tuple[int, int, bool]]) -> None:
        """Comments of a Dockerfile, with the instructions' extents as the Dockerfile
        parser read them (continuation lines and heredoc bodies included): a heredoc
        body is content, never a comment. An unparsable file has no extents: a
        directive then covers its target line only."""
        lines = [ln.rstrip("\r") for ln in text.split("\n")]
        escape = _docker_escape(lines)
        ranges = sorted((first, last) for first, last, _ in extents)
        body = {
            n for first, last, heredoc in extents if heredoc for n in range(first + 1, last + 1)
        }
        comment_lines, own, trailing = self._hash_comments(lines, body, yaml=False, escape=escape)
        starts = [r[0] for r in ranges]

        def instruction(ln: int) -> tuple[int, int]:
            k = bisect.bisect_right(starts, ln) - 1
            if k >= 0 and ranges[k][0] <= ln <= ranges[k][1]:
                return ranges[k]
            return (ln, ln)

        first_code = _next_code_line(0, comment_lines | _blank(lines))
        for d, ln in own:
            first, last = instruction(_next_code_line(ln, comment_lines))
            # in the leading comments, before the first instruction: it also covers
            # line 1, where findings about the whole file are anchored (DR307)
            self.add(d, 1 if ln < first_code else first, last)
        for d, ln in trailing:
            self.add(d, *instruction(ln))
        self.sups.sort(key=lambda s: (s.span.line, s.span.col))

    # -- .dockerignore

    def dockerignore(self, text: str) -> None:
        """A .dockerignore's findings are about the whole file (anchored at line 1):
        a directive in any of its comments covers all of it."""
        lines = [ln.rstrip("\r") for ln in text.split("\n")]
        for i, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith("#") and "dockready:" in stripped:
                d = self.directive(stripped[1:], i + 1, len(line) - len(stripped) + 1, "#")
                if d is not None:
                    self.add(d, 1, END)
        self.sups.sort(key=lambda s: (s.span.line, s.span.col))

    # -- YAML

    def yaml(self, text: str, content: frozenset[int]) -> None:
        """Comments of a YAML file; ``content`` are the lines the YAML parser read as
        the inside of multi-line scalars (a ``#`` there is text, not a comment)."""
        lines = [ln.rstrip("\r") for ln in text.split("\n")]
        comment_lines, own, trailing = self._hash_comments(lines, content, yaml=True)
        for d, ln in trailing:
            self.add(d, ln, ln)
        for d, ln in own:
            target = _next_code_line(ln, comment_lines)
            self.add(d, target, target)
        self.sups.sort(key=lambda s: (s.span.line, s.span.col))

    def _hash_comments(
        self, lines: Sequence[str], skip: Collection[int], yaml: bool, escape: str = "\\"
    ) -> tuple[set[int], list[tuple[_Directive, int]], list[tuple[_Directive, int]]]:
        """The ``#`` comments of a Dockerfile or YAML file, lines in ``skip`` (content
        the parser read as text) left out: ``(comment lines, directives on lines of
        their own, trailing directives)``, directives with their line."""
        comment_lines: set[int] = set()
        own: list[tuple[_Directive, int]] = []
        trailing: list[tuple[_Directive, int]] = []
        for i, line in enumerate(lines):
            ln = i + 1
            if ln in skip:
                continue
            stripped = line.lstrip()
            if stripped.startswith("#"):
                comment_lines.add(ln)
                if "dockready:" in stripped:
                    d = self.directive(stripped[1:], ln, len(line) - len(stripped) + 1, "#")
                    if d is not None:
                        own.append((d, ln))
                continue
            at = _comment_start(line, yaml=yaml, escape=escape) if "#" in line else -1
            if at >= 0 and "dockready:" in line:
                d = self.directive(line[at + 1 :], ln, at + 1, "#")
                if d is not None:
                    trailing.append((d, ln))
        return comment_lines, own, trailing


def _blank(lines: Sequence[str]) -> set[int]:
    return {i + 1 for i, ln in enumerate(lines) if not ln.strip()}


def _next_code_line(ln: int, comment_lines: Collection[int]) -> int:
    """The first line after ``ln`` that is not a comment: what a directive on a line
    of its own covers."""
    target = ln + 1
    while target in comment_lines:
        target += 1
    return target


def _docker_escape(lines: Sequence[str]) -> str:
    """The escape character set by a leading ``# escape=`` parser directive."""
    for line in lines:
        m = _DOCKER_DIRECTIVE.fullmatch(line.strip())
        if m is None:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
            return m.group(2)
    return "\\"


def _comment_start(line: str, yaml: bool, escape: str = "\\") -> int:
    """The index of the ``#`` that starts a trailing comment, or -1.

    The ``#`` must follow a blank and be outside quotes. Shell rules (``yaml=False``):
    any quote opens, the escape character escapes outside single quotes. YAML rules: a
    quote opens only at a scalar's start; ``''`` is an escaped ``'``.
    """
    quote = ""
    prev = " "
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if quote:
            if quote == '"' and c == ("\\" if yaml else escape):
                i += 2
                prev = "x"
                continue
            if c == quote:
                if yaml and c == "'" and line[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote = ""
        elif c == "#" and prev in " \t":
            return i
        elif c in "'\"" and (not yaml or prev in " \t[{,:"):
            quote = c
        elif not yaml and c == escape:
            i += 2
            prev = "x"
            continue
        prev = c
        i += 1
    return -1


# --------------------------------------------------------------------------- workloads


def object_starts(manifests: Iterable[Manifests]) -> dict[str, list[int]]:
    """For :func:`workload_scan`: path → sorted start lines (``kind:`` lines) of every
    object of each YAML file (workloads, Services, ConfigMaps/Secrets, other objects,
    compose services)."""
    out: dict[str, list[int]] = {}
    for m in manifests:
        lines = {
            o.span.line
            for group in (m.workloads, m.services, m.configmaps, m.others, m.compose)
            for o in group
        }
        if lines:
            out[m.path] = sorted(lines)
    return out


def workload_scan(
    workloads: Iterable[Workload],
    starts: Mapping[str, Sequence[int]],
    known: Collection[str] | None = None,
) -> tuple[list[Suppression], list[Problem]]:
    """Suppressions from ``dockready.io/ignore`` annotations, and malformed ones.

    Facts know only an object's ``kind:`` line, so a workload's range is
    ``[its kind: line, next start)`` where *next start* is the first line in
    ``starts[workload.span.path]`` greater than the workload's line (to the end of the
    file when there is none). ``starts`` maps a path to the sorted start lines of every
    object in that file: :func:`object_starts` builds it from the parsed
    ``Manifests``; document start lines (``---``) may be added, anything sorted works.
    Consequence: the lines of a document before its ``kind:`` (``apiVersion:``, ``---``)
    belong to the previous object's range; no finding points there.
    """
    sups: list[Suppression] = []
    problems: list[Problem] = []
    for w in workloads:
        ann = dict(w.annotations)
        raw = ann.get(ANNOTATION)
        if raw is None:
            continue
        ids, bad = parse_ids(raw, w.span, known, sep=r"[\s,]+")
        problems.extend(Problem(p.span, f"annotation {ANNOTATION}: {p.message}") for p in bad)
        if not ids:
            problems.append(
                Problem(
                    w.span,
                    f"annotation {ANNOTATION} on {w.kind} {w.name} names no valid rule id: "
                    f'it suppresses nothing (expected e.g. "DR401,DR405")',
                )
            )
            continue
        line = w.span.line
        ss = starts.get(w.span.path, ())
        k = bisect.bisect_right(ss, line)
        last = ss[k] - 1 if k < len(ss) else END
        reason = " ".join(ann.get(REASON_ANNOTATION, "").split())
        sups.append(Suppression(w.span, ids, reason, WORKLOAD, line, last))
    return sups, problems


def workload_suppressions(
    workloads: Iterable[Workload],
    starts: Mapping[str, Sequence[int]],
    known: Collection[str] | None = None,
) -> list[Suppression]:
    """The suppressions of :func:`workload_scan` (without its problems)."""
    return workload_scan(workloads, starts, known)[0]


# --------------------------------------------------------------------------- applying


def apply(
    findings: Sequence[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[tuple[Finding, Suppression | None]], list[Suppression]]:
    """Pair each finding (in order) with the suppression that covers it, or None.

    A finding covered by several suppressions is paired with the first line-scope
    one (else the first workload one) but counts as a use of all of them. The second
    list holds the unused suppressions, in input order: one that covered no finding
    is returned as is; one that covered findings of only some of its ids is returned
    as a copy (:func:`dataclasses.replace`) whose ``ids`` are the unused ones.
    """
    by_path: dict[str, list[int]] = {}
    order = sorted(range(len(suppressions)), key=lambda k: (suppressions[k].scope != LINE, k))
    for k in order:
        by_path.setdefault(suppressions[k].span.path, []).append(k)
    used: dict[int, set[str]] = {}
    out: list[tuple[Finding, Suppression | None]] = []
    for f in findings:
        hit: Suppression | None = None
        for k in by_path.get(f.span.path, ()):
            s = suppressions[k]
            if s.covers(f):
                used.setdefault(k, set()).add(f.rule_id)
                if hit is None:
                    hit = s
        out.append((f, hit))
    unused: list[Suppression] = []
    for k, s in enumerate(suppressions):
        u = used.get(k)
        if not u:
            unused.append(s)
        elif len(u) < len(s.ids):
            unused.append(replace(s, ids=tuple(i for i in s.ids if i not in u)))
    return out, unused
