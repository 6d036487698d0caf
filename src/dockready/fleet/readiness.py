"""The readiness of a service, from one ``check`` result (documented in docs/fleet.md).

Per checklist chapter 1-5 a status:

- ``fail``: a rule of the chapter has an error finding in the service;
- ``warn``: otherwise, a rule of the chapter has a warning finding;
- ``pass``: otherwise, at least one rule of the chapter applies (info findings do
  not lower a chapter);
- ``n/a``: every rule of the chapter that ran reads nothing the service has (or no
  rule of the chapter ran). The ``(repository)`` row (findings of no service) has
  no inputs of its own: its chapters are ``n/a`` unless a finding landed there.

With ``fleet --verify`` chapter 6 (the rehearsal in Docker) is judged too and
counts as a blocking chapter. Blockers are the rules with an error finding in
chapters 2-4 (and 6). The score counts
rules, not findings (thirty copies of one mistake are one thing to fix)::

    score = max(0, 100 - 20 * blocking rules
                       - 10 * other rules with an error finding (chapters 0, 1, 5)
                       -  4 * rules whose worst finding is a warning)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dockready.fingerprint import fingerprint
from dockready.model import Result, Severity
from dockready.report.checklist import FAILED, NA, PASSED, REPOSITORY, Item, checklist

CHAPTERS = (1, 2, 3, 4, 5)
REPOSITORY_SUITE = REPOSITORY
BLOCKING_CHAPTERS = frozenset({2, 3, 4})
#: Judged, and blocking, only with ``fleet --verify`` (the image run in Docker).
VERIFY_CHAPTER = 6
PASS, WARN, FAIL, NOT_APPLICABLE = "pass", "warn", "fail", "n/a"
BLOCKER_WEIGHT, ERROR_WEIGHT, WARNING_WEIGHT = 20, 10, 4
#: The status of one rule in one service, as the database stores it.
RULE_PASSED, RULE_FAILED, RULE_NA = "passed", "failed", "n/a"
_RULE_STATUS = {PASSED: RULE_PASSED, FAILED: RULE_FAILED, NA: RULE_NA}


@dataclass(frozen=True, slots=True)
class FleetFinding:
    """A finding as the fleet keeps it: identity (the baseline's fingerprint), rule,
    place. The message is the engine's, already masked."""

    fingerprint: str
    rule_id: str
    name: str
    severity: str
    chapter: int
    path: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ServiceReadiness:
    name: str
    root: str
    #: ``(chapter, status)`` for chapters 1-5, in order.
    chapters: tuple[tuple[int, str], ...]
    score: int
    #: Ids of the rules with an error finding in chapters 2-4, sorted.
    blockers: tuple[str, ...]
    findings: tuple[FleetFinding, ...]
    #: ``(rule id, status, findings)`` for every rule that ran, in id order: status
    #: ``passed``, ``failed`` or ``n/a`` (the checklist item of ``check``).
    rules: tuple[tuple[str, str, int], ...] = ()
    #: Set when ``findings`` were dropped to save memory (they are in the database):
    #: how many there were.
    dropped: int | None = None

    @property
    def finding_count(self) -> int:
        return len(self.findings) if self.dropped is None else self.dropped

    @property
    def ready(self) -> bool:
        return not self.blockers

    @property
    def is_repository(self) -> bool:
        """The findings of a repository that belong to no service."""
        return self.name == REPOSITORY

    def chapter(self, number: int) -> str:
        return dict(self.chapters)[number]


def without_findings(s: ServiceReadiness) -> ServiceReadiness:
    """``s`` as the fleet keeps it once it is stored: no status per rule, and of its
    findings only the first of each blocking rule (the name the summary shows); the
    others are read back from the database when an output needs them."""
    if s.dropped is not None:
        return s
    first: dict[str, FleetFinding] = {}
    for f in s.findings:
        if f.rule_id in s.blockers:
            first.setdefault(f.rule_id, f)
    return replace(s, findings=tuple(first.values()), rules=(), dropped=len(s.findings))


def chapter_status(items: list[Item]) -> str:
    if not items or all(it.status == NA for it in items):
        return NOT_APPLICABLE
    worst = max(
        (it.severity for it in items if it.status == FAILED and it.severity is not None),
        default=None,
    )
    if worst is Severity.ERROR:
        return FAIL
    if worst is Severity.WARNING:
        return WARN
    return PASS


def score(items: list[Item], blocking_chapters: frozenset[int] = BLOCKING_CHAPTERS) -> int:
    blocking = errors = warnings = 0
    for it in items:
        if it.status != FAILED:
            continue
        if it.severity is Severity.ERROR:
            if it.chapter in blocking_chapters:
                blocking += 1
            else:
                errors += 1
        elif it.severity is Severity.WARNING:
            warnings += 1
    return max(
        0, 100 - BLOCKER_WEIGHT * blocking - ERROR_WEIGHT * errors - WARNING_WEIGHT * warnings
    )


def services_of(result: Result, verified: bool = False) -> tuple[ServiceReadiness, ...]:
    """Every service of ``result`` (and ``(repository)`` when findings belong to no
    service) with its chapter statuses, score, blockers and findings. ``verified``
    (``fleet --verify``): chapter 6 is judged too, and its error findings block."""
    numbers = (*CHAPTERS, VERIFY_CHAPTER) if verified else CHAPTERS
    blocking_chapters = BLOCKING_CHAPTERS | {VERIFY_CHAPTER} if verified else BLOCKING_CHAPTERS
    out = []
    roots = {s.name: s.root for s in result.services}
    for suite, items in checklist(result):
        found = tuple(f for it in items for f in it.findings)
        if suite == REPOSITORY and not found:
            continue
        # ``(repository)`` has no inputs of its own: a chapter is judged there only
        # where a finding landed, never "pass" for want of anything to read
        judged = [it for it in items if suite != REPOSITORY or it.status == FAILED]
        chapters = tuple(
            (n, chapter_status([it for it in judged if it.chapter == n])) for n in numbers
        )
        blockers = tuple(
            sorted(
                it.rule_id
                for it in items
                if it.status == FAILED
                and it.chapter in blocking_chapters
                and it.severity is Severity.ERROR
            )
        )
        findings = tuple(
            FleetFinding(
                fingerprint=fingerprint(f),
                rule_id=f.rule_id,
                name=f.name,
                severity=f.severity.label,
                chapter=f.chapter,
                path=f.span.path,
                line=f.span.line,
                message=f.message,
            )
            for f in sorted(found, key=lambda f: f.sort_key)
        )
        out.append(
            ServiceReadiness(
                name=suite,
                root=roots.get(suite, "."),
                chapters=chapters,
                score=score(items, blocking_chapters),
                blockers=blockers,
                findings=findings,
                rules=tuple(
                    (it.rule_id, _RULE_STATUS.get(it.status, RULE_PASSED), len(it.findings))
                    for it in judged
                ),
            )
        )
    return tuple(out)
