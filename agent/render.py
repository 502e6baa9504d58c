"""Plain-text rendering of plans and outcomes, shared by the CLI, the REPL and Slack fallbacks."""

from __future__ import annotations

from tools.base import Plan
from tools.catalog import money

__all__ = ["money", "plan_text"]


def plan_text(plan: Plan) -> str:
    """A plan as a few lines of text."""
    lines = [f"{plan.tool} ({plan.effect}, risk {plan.risk}): {plan.summary}"]
    lines += [f"  - {c}" for c in plan.changes]
    if plan.cost_usd_per_hour is not None:
        cost = f"  cost: {money(plan.cost_usd_per_hour)}/hour"
        if plan.cost_usd_total is not None:
            cost += f", {money(plan.cost_usd_total)} for the run"
        lines.append(cost)
    if plan.cost_note:
        lines.append(f"  note: {plan.cost_note}")
    lines += [f"  warning: {w}" for w in plan.warnings]
    return "\n".join(lines)
