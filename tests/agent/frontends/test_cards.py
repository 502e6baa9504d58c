"""The terminal's plan card and the plain-text plan: each change is said once."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from agent.frontends.cards import plan_table
from agent.render import plan_text
from tools import runtime
from tools.base import Plan, ToolContext

TUNE = {"cache_id": "kv-cache-prod", "replica_count": 3}


def _tune_plan(ctx: ToolContext) -> Plan:
    """GIVEN a real tune_cache plan, whose summary spells out its one change."""
    plan = runtime.plan("tune_cache", TUNE, ctx)
    assert "replicas_per_node_group: 2 -> 3" in plan.summary and "replicas_per_node_group: 2 -> 3" in plan.changes
    return plan


def _card(plan: dict[str, Any]) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(plan_table(plan, []))
    return console.export_text()


def test_the_cards_what_field_says_each_change_once(ctx: ToolContext) -> None:
    plan = _tune_plan(ctx)
    # WHEN the approval card is rendered
    card = _card(plan.model_dump(mode="json"))
    # THEN the change appears once (in the summary), and the change the summary does not say is listed
    assert card.count("replicas_per_node_group: 2 -> 3") == 1
    assert "- cost: $1.311/h -> $1.748/h" in card


def test_the_plain_text_plan_says_each_change_once(ctx: ToolContext) -> None:
    plan = _tune_plan(ctx)
    # WHEN the plan is printed as text (opsbot tools plan)
    text = plan_text(plan)
    # THEN the change appears once
    assert text.count("replicas_per_node_group: 2 -> 3") == 1 and "  - cost:" in text
