"""``Opsbot.propose``: a write named directly (an MCP call) becomes a request as ``ask`` files it."""

from __future__ import annotations

import pytest

from agent.service import Opsbot
from tools.config import Settings
from tools.inference import TOOLSET as INFERENCE

SCALE = {"endpoint_name": "chat-prod", "instance_count": 2}


@pytest.fixture
def bot(settings: Settings) -> Opsbot:
    return Opsbot(settings)


def test_propose_files_a_pending_request_for_its_requester(bot: Opsbot) -> None:
    # WHEN dave proposes a scale
    result = bot.propose("scale_endpoint", SCALE, user="dave")
    # THEN it waits for approval in a thread of its own, with the plan and policy findings
    assert result.ok and result.exit_code == 0
    assert result.approval.status == "pending" and result.approval.approvals_needed == 1
    assert result.thread.startswith("mcp-") and result.route == "inference"
    assert result.plan is not None and result.plan["args"] == SCALE
    assert [c.name for c in result.tool_calls] == ["scale_endpoint"]
    assert "scale_endpoint needs approval" in result.reply
    record = bot.get_approval(str(result.approval.id))
    assert (record.requester, record.channel, record.thread) == ("dave", "mcp", result.thread)
    # AND the audit log has the request as asked, before the approval request
    kinds = [(e.kind, e.data.get("channel")) for e in bot.audit_entries(limit=5) if e.thread == result.thread]
    assert kinds == [("request", "mcp"), ("approval_requested", None)]


def test_a_second_write_in_the_same_thread_supersedes_the_first(bot: Opsbot) -> None:
    first = bot.propose("scale_endpoint", SCALE, user="dave", thread="mcp-t1")
    second = bot.propose("scale_endpoint", {**SCALE, "instance_count": 3}, user="dave", thread="mcp-t1")
    assert bot.get_approval(str(first.approval.id)).status == "superseded"
    assert second.approval.status == "pending"


def test_a_write_on_another_resource_leaves_the_first_request_open(bot: Opsbot) -> None:
    # GIVEN dave's pending scale of chat-prod
    first = bot.propose("scale_endpoint", SCALE, user="dave", thread="mcp-t2")
    # WHEN he asks, in the same thread, for a scale of another endpoint
    second = bot.propose(
        "scale_endpoint", {"endpoint_name": "llama8b-inf2", "instance_count": 2}, user="dave", thread="mcp-t2"
    )
    # THEN both wait for approval: a second wanted change is not a correction of the first
    assert bot.get_approval(str(first.approval.id)).status == "pending"
    assert second.approval.status == "pending"
    assert "supersed" not in second.reply


def test_a_refused_write_names_its_rule_and_files_nothing(bot: Opsbot) -> None:
    result = bot.propose("scale_endpoint", {**SCALE, "instance_count": 20}, user="dave")
    assert result.error is not None and result.error.code == "refused" and result.exit_code == 3
    assert result.approval.status == "refused" and "max-hourly-spend-per-action" in result.reply
    assert bot.list_approvals() == []
    assert bot.audit_entries(limit=1)[-1].kind == "policy_refused"


@pytest.mark.parametrize(
    ("tool", "args", "code", "field"),
    [
        ("list_endpoints", {}, "bad_input", "tool"),
        ("no_such_tool", {}, "not_found", "tool"),
        ("scale_endpoint", {"endpoint_name": "chat-prod"}, "bad_input", "instance_count"),
        ("scale_endpoint", '{"endpoint_name": ', "bad_input", "args"),
        ("scale_endpoint", {"endpoint_name": "nope", "instance_count": 2}, "not_found", None),
    ],
)
def test_what_cannot_be_filed_is_an_error_naming_the_field(
    bot: Opsbot, tool: str, args: object, code: str, field: str | None
) -> None:
    result = bot.propose(tool, args, user="dave")  # type: ignore[arg-type]
    assert result.error is not None and (result.error.code, result.error.field) == (code, field)
    assert bot.list_approvals() == []


def test_only_the_facades_toolsets_may_be_proposed(settings: Settings) -> None:
    # GIVEN a facade handed only the inference toolset
    bot = Opsbot(settings, toolsets=[INFERENCE])
    # WHEN a training write is proposed THEN it is unknown there
    args = {"cluster_name": "x", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}
    result = bot.propose("create_hyperpod_cluster", args, user="dave")
    assert result.error is not None and result.error.code == "not_found"
    assert bot.propose("scale_endpoint", SCALE, user="dave").approval.status == "pending"
