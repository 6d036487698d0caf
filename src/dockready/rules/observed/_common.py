"""What the chapter 6 rules share: the observation of the context, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockready.model import Related, Span

if TYPE_CHECKING:
    from dockready.verify.rehearse import Observation


def observation(ctx: Any) -> Observation | None:
    """The context's observation (None in ``check``)."""
    found: Observation | None = ctx.observed
    return found


def log_excerpt(obs: Observation, lines: int = 5) -> str:
    """The last lines of the container's log, quoted on one line."""
    tail = [ln.strip() for ln in obs.logs if ln.strip()][-lines:]
    if not tail:
        return "(nothing logged)"
    text = " | ".join(tail)
    return text if len(text) <= 400 else text[:399] + "…"


def where_run(obs: Observation) -> str:
    return f"as {obs.plan.workload} says" if obs.plan.workload else "under the restricted default"


def related_plan(obs: Observation, span: Span | None, what: str) -> tuple[Related, ...]:
    return (Related(span, what),) if span is not None and span != obs.anchor else ()
