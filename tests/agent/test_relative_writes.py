"""A relative write ("add 2 instances") is planned, approved and run as its absolute target.

The approver sees, and the grant binds, the count the call will set (``instance_count=3``), never the
change itself: a change of the resource between approval and run cannot change what runs.
"""

from __future__ import annotations

import pytest

from agent.service import Opsbot
from tests.tools.helpers import approve_and_run
from tools import runtime
from tools.base import ToolContext
from tools.config import Settings

TARGET = {"endpoint_name": "chat-prod", "instance_count": 3}


@pytest.fixture
def bot(settings: Settings) -> Opsbot:
    return Opsbot(settings)


def endpoint_count(ctx: ToolContext) -> int:
    return runtime.run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"][
        "instance_count"
    ]


def test_an_added_count_is_filed_and_run_as_its_absolute_target(bot: Opsbot, ctx: ToolContext) -> None:
    # GIVEN chat-prod at 1 instance
    assert endpoint_count(ctx) == 1
    # WHEN dave asks to add 2 instances
    asked = bot.ask("add 2 instances to chat-prod", user="dave")
    # THEN the pending approval, the call shown and the plan all say 3, not "add 2"
    assert asked.approval.status == "pending", asked.reply
    record = bot.get_approval(str(asked.approval.id))
    assert record.args == TARGET and [c.args for c in asked.tool_calls] == [TARGET]
    assert asked.plan is not None and asked.plan["facts"]["resolved_from"] == {"add_instances": 2}
    assert "from 1 to 3" in asked.reply
    # WHEN carol approves THEN exactly that call runs: chat-prod has 3
    done = bot.decide(str(asked.approval.id), user="carol", approve=True)
    assert done.approval.status == "executed", done.reply
    assert endpoint_count(ctx) == 3


def test_a_change_of_the_resource_after_approval_does_not_change_what_runs(bot: Opsbot, ctx: ToolContext) -> None:
    # GIVEN "add 2" to chat-prod filed while it had 1 instance (so the request is for 3)
    filed = bot.propose("scale_endpoint", {"endpoint_name": "chat-prod", "add_instances": 2}, user="dave")
    assert filed.approval.status == "pending" and bot.get_approval(str(filed.approval.id)).args == TARGET
    # AND someone scales it to 2 before the decision
    approve_and_run(ctx, "scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, approval_id="other")
    assert endpoint_count(ctx) == 2
    # WHEN carol approves the request
    done = bot.decide(str(filed.approval.id), user="carol", approve=True)
    # THEN the approved absolute call runs (3), not the change re-read against the new state (4)
    assert done.approval.status == "executed", done.reply
    assert endpoint_count(ctx) == 3
