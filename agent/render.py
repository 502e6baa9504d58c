"""Plain-text rendering of plans and outcomes, shared by the CLI, the REPL and Slack fallbacks."""

from __future__ import annotations

from tools.base import Plan
from tools.catalog import money

__all__ = ["changes_beyond_summary", "money", "plan_text"]


def changes_beyond_summary(summary: str, changes: list[str]) -> list[str]:
    """The changes to list under a plan's summary: those it does not already say word for word.

    Some summaries spell out the change itself ("tune kv-cache-prod: replicas_per_node_group: 2 -> 3"),
    and a card that printed it again below would show every change twice."""
    return [c for c in changes if c.strip() not in summary]


def plan_text(plan: Plan) -> str:
    """A plan as a few lines of text."""
    lines = [f"{plan.tool} ({plan.effect}, risk {plan.risk}): {plan.summary}"]
    lines += [f"  - {c}" for c in changes_beyond_summary(plan.summary, plan.changes)]
    if plan.cost_usd_per_hour is not None:
        cost = f"  cost: {money(plan.cost_usd_per_hour)}/hour"
        if plan.cost_usd_total is not None:
            cost += f", {money(plan.cost_usd_total)} for the run"
        lines.append(cost)
    if plan.cost_note:
        lines.append(f"  note: {plan.cost_note}")
    lines += [f"  warning: {w}" for w in plan.warnings]
    return "\n".join(lines)
