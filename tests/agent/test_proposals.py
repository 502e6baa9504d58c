"""The one path from a proposed write to a filed request: plan, policy assessment, refusal record, filing."""

from __future__ import annotations

import pytest

from agent.approvals import ApprovalService
from agent.policy import load_policy
from agent.proposals import Filed, assess, file_request, plan_call, record_refusal
from agent.stores import open_stores
from tools.base import ToolContext
from tools.config import Settings
from tools.errors import ToolInputError
from tools.registry import get


@pytest.fixture
def service(settings: Settings) -> ApprovalService:
    stores = open_stores(settings)
    return ApprovalService(stores.approvals, stores.audit, load_policy(settings))


def test_plan_call_binds_the_normalised_arguments(ctx: ToolContext) -> None:
    # WHEN a call is planned with loose arguments (a count as text)
    plan = plan_call(get("scale_endpoint"), {"endpoint_name": "chat-prod", "instance_count": "2"}, ctx)
    # THEN the plan carries the normalised arguments the approval binds, and the tool's declaration
    assert plan.args == {"endpoint_name": "chat-prod", "instance_count": 2}
    assert (plan.tool, str(plan.effect), str(plan.risk)) == ("scale_endpoint", "write", "medium")


def test_plan_call_names_the_bad_field(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError) as caught:
        plan_call(get("scale_endpoint"), {"endpoint_name": "chat-prod", "instance_count": 0}, ctx)
    assert caught.value.field == "instance_count"


def test_assessment_of_an_allowed_a_refused_and_a_no_op_call(settings: Settings, ctx: ToolContext) -> None:
    policy = load_policy(settings)
    tool = get("scale_endpoint")
    # GIVEN three plans: allowed, over the hourly spend limit, and the count chat-prod already has
    allowed = assess(
        policy, plan_call(tool, {"endpoint_name": "chat-prod", "instance_count": 2}, ctx), "dave", "us-east-1"
    )
    refused = assess(
        policy, plan_call(tool, {"endpoint_name": "chat-prod", "instance_count": 20}, ctx), "dave", "us-east-1"
    )
    no_op = assess(
        policy, plan_call(tool, {"endpoint_name": "chat-prod", "instance_count": 1}, ctx), "dave", "us-east-1"
    )
    # THEN the allowed one breaks nothing and says who may approve
    assert allowed.broken == [] and not allowed.noop
    assert allowed.approvers() == f"risk medium: 1 approval(s) from {policy.describe_approvers('medium')}"
    # AND the refused one names its rule, in words that say nothing happened
    assert "max-hourly-spend-per-action" in [f.rule for f in refused.broken]
    assert refused.refusal_reply().startswith("Refused by policy: max-hourly-spend-per-action: ")
    assert refused.refusal_reply().endswith("Nothing was asked or run.")
    # AND the no-op would change nothing
    assert no_op.noop and "nothing" in no_op.noop_reply().lower()


def test_record_refusal_writes_the_rules_to_the_audit_log(settings: Settings, ctx: ToolContext) -> None:
    stores = open_stores(settings)
    refused = assess(
        load_policy(settings),
        plan_call(get("scale_endpoint"), {"endpoint_name": "chat-prod", "instance_count": 20}, ctx),
        "dave",
        "us-east-1",
    )
    record_refusal(stores.audit, refused, user="dave", thread="t-1")
    entry = stores.audit.list(limit=1)[-1]
    assert (entry.kind, entry.actor, entry.thread) == ("policy_refused", "dave", "t-1")
    assert entry.data["rules"] == [f.rule for f in refused.broken]
    assert "max-hourly-spend-per-action" in entry.data["rules"]


def test_filing_a_new_write_retires_the_threads_older_request(service: ApprovalService, ctx: ToolContext) -> None:
    tool = get("scale_endpoint")
    findings: list[dict] = []

    def filed(count: int, thread: str) -> Filed:
        plan = plan_call(tool, {"endpoint_name": "chat-prod", "instance_count": count}, ctx)
        where = {"account": ctx.account, "region": ctx.region}
        return file_request(service, plan, requester="dave", thread=thread, channel="mcp", findings=findings, **where)

    # GIVEN a pending request in a thread, and one in another thread
    first, elsewhere = filed(2, "t-1").record.id, filed(2, "t-2").record.id
    # WHEN another write is filed in the first thread
    newer = filed(3, "t-1")
    second = newer.record.id
    # THEN the older request of that thread is retired (and said to be), the other thread's is untouched
    assert [r.id for r in newer.replaced] == [first]
    assert service.get(first).status == "superseded"
    assert service.get(first).replaced_by == second
    assert service.get(second).status == "pending" and service.get(second).channel == "mcp"
    assert service.get(elsewhere).status == "pending"
