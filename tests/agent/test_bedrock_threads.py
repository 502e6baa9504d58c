"""Threads on Bedrock, held to Converse's rules by the strict stand-in: a write waiting for approval,
its decision, explicit commands, failed turns, parallel calls, corrections, empty answers, errors and
large results all leave a thread every later Converse request of which Bedrock accepts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.models.bedrock import make_bedrock_model
from agent.service import Opsbot
from tests.fakes.bedrock_converse import StrictConverse, bedrock_client, end_turn, tool_use
from tools.config import DEFAULT_BEDROCK_MODEL
from tools.runtime import make_context, run_read

MODEL_ID = DEFAULT_BEDROCK_MODEL.removeprefix("bedrock:")


@pytest.fixture
def client() -> Any:
    return bedrock_client()


@pytest.fixture
def stub(client: Any) -> Iterator[StrictConverse]:
    with StrictConverse(client) as s:
        yield s
        assert s.rejections == []  # nothing opsbot sent would Bedrock have refused
        s.assert_no_pending_responses()


@pytest.fixture
def bot(settings: Any, client: Any) -> Opsbot:
    return Opsbot(settings, model=make_bedrock_model(settings, MODEL_ID, client=client))


def route(to: str, use_id: str) -> dict[str, Any]:
    return tool_use("route_request", {"route": to, "reason": "test"}, use_id)


def tool_results(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every toolResult block of one Converse request."""
    return [b["toolResult"] for m in params["messages"] for b in m["content"] if "toolResult" in b]


def result_text(result: dict[str, Any]) -> str:
    return " ".join(part.get("text", "") for part in result["content"])


def endpoint_count(settings: Any) -> int:
    ctx = make_context(settings)
    return run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]["instance_count"]


def test_a_thread_with_a_pending_write_keeps_working_through_its_decision(
    bot: Opsbot, stub: StrictConverse, client: Any, settings: Any
) -> None:
    # GIVEN a write that stops at its approval
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1"))
    pending = bot.ask("scale chat-prod to 2", user="dave")
    assert pending.approval.status == "pending"
    approval_id = pending.approval.id
    # WHEN, while it waits, the same thread asks for a read
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", tool_use("list_endpoints", {}, "t2"))
    stub.add_response("converse", end_turn("chat-prod is InService."))
    meanwhile = bot.ask("while we wait: list endpoints", user="dave", thread=pending.thread)
    # THEN it is answered, and Bedrock was told the write is awaiting its approval
    assert meanwhile.error is None and meanwhile.reply == "chat-prod is InService."
    first = tool_results(client.sent[-2])[0]
    assert first["toolUseId"] == "t1" and f"awaiting approval {approval_id}" in result_text(first)
    # WHEN the approval is decided and the thread asks "did it scale?"
    done = bot.decide(approval_id, user="carol", approve=True)
    assert done.approval.status == "executed" and endpoint_count(settings) == 2
    stub.add_response("converse", route("inference", "r3"))
    stub.add_response("converse", end_turn("Yes: chat-prod runs 2 instances."))
    after = bot.ask("did it scale?", user="dave", thread=pending.thread)
    # THEN it is answered too, and the write's toolResult now tells its outcome
    assert after.error is None and after.reply == "Yes: chat-prod runs 2 instances."
    closed = next(r for r in tool_results(client.sent[-1]) if r["toolUseId"] == "t1")
    assert f"{approval_id} was approved by carol and ran" in result_text(closed)
    assert closed["status"] == "success"


@pytest.mark.parametrize(
    ("decision", "said"),
    [("reject", "was rejected by carol; nothing ran"), ("withdraw", "was withdrawn by dave; nothing ran")],
)
def test_a_write_decided_against_is_closed_with_its_outcome(
    bot: Opsbot, stub: StrictConverse, client: Any, decision: str, said: str
) -> None:
    # GIVEN a write waiting for approval, then rejected by an approver or withdrawn by its requester
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1"))
    pending = bot.ask("scale chat-prod to 2", user="dave")
    if decision == "reject":
        bot.decide(pending.approval.id, user="carol", approve=False)
    else:
        bot.withdraw(pending.approval.id, user="dave")
    # WHEN the thread goes on
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", end_turn("It did not run."))
    after = bot.ask("did it scale?", user="dave", thread=pending.thread)
    # THEN Bedrock accepted the thread, and the write's toolResult says what became of it
    assert after.error is None
    closed = next(r for r in tool_results(client.sent[-1]) if r["toolUseId"] == "t1")
    assert said in result_text(closed)


def test_an_expired_write_is_closed_as_expired(bot: Opsbot, stub: StrictConverse, client: Any) -> None:
    # GIVEN a write waiting for approval whose request expires unanswered
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1"))
    pending = bot.ask("scale chat-prod to 2", user="dave")
    later = datetime.now(UTC) + timedelta(days=2)
    # WHEN the thread goes on after its expiry THEN the toolResult says it expired and nothing ran
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", end_turn("It expired."))
    with bot.approvals.pinned(later):
        after = bot.ask("did it scale?", user="dave", thread=pending.thread)
    assert after.error is None
    closed = next(r for r in tool_results(client.sent[-1]) if r["toolUseId"] == "t1")
    assert "expired" in result_text(closed) and "nothing ran" in result_text(closed)


def test_an_explicit_write_command_leaves_the_thread_well_formed(
    bot: Opsbot, stub: StrictConverse, client: Any
) -> None:
    # GIVEN an explicit command for a write (read without the model) that waits for approval
    pending = bot.ask("scale_endpoint endpoint_name=chat-prod instance_count=2", user="dave")
    assert pending.approval.status == "pending" and client.sent == []
    # WHEN the same thread then asks the model something
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", end_turn("It is waiting for approval."))
    after = bot.ask("what is it waiting for?", user="dave", thread=pending.thread)
    # THEN Bedrock accepted the thread, the command's call closed as awaiting approval
    assert after.error is None
    assert any(f"awaiting approval {pending.approval.id}" in result_text(r) for r in tool_results(client.sent[-1]))
