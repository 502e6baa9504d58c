"""The same graph on the Bedrock back end (Converse on the strict stand-in): reads, a tool result fed back, a write
stopped at its approval and run once after it."""

from __future__ import annotations

from typing import Any

from agent.models.bedrock import make_bedrock_model
from agent.service import Opsbot
from tests.fakes.bedrock_converse import StrictConverse, bedrock_client, end_turn, tool_use
from tools.config import DEFAULT_BEDROCK_MODEL
from tools.runtime import make_context, run_read

MODEL_ID = DEFAULT_BEDROCK_MODEL.removeprefix("bedrock:")  # opsbot's one default model


def _model(settings: Any) -> tuple[Any, Any]:
    client = bedrock_client()
    return make_bedrock_model(settings, MODEL_ID, client=client), client


def test_read_then_answer(settings) -> None:
    model, client = _model(settings)
    with StrictConverse(client) as stub:
        stub.add_response("converse", tool_use("route_request", {"route": "inference", "reason": "endpoint"}, "r1"))
        stub.add_response("converse", tool_use("describe_endpoint", {"endpoint_name": "chat-prod"}, "t1"))
        stub.add_response("converse", end_turn("chat-prod is InService on 1 x ml.p6-b200.48xlarge."))
        result = Opsbot(settings, model=model).ask("how is chat-prod doing?", user="dave")
        stub.assert_no_pending_responses()
    assert result.route == "inference" and [c.name for c in result.tool_calls] == ["describe_endpoint"]
    assert result.reply.startswith("chat-prod is InService")
    # The specialist saw only its own tools, and got the tool's result back as a toolResult.
    specialist_tools = [t["toolSpec"]["name"] for t in client.sent[1]["toolConfig"]["tools"]]
    assert "describe_endpoint" in specialist_tools and "create_hyperpod_cluster" not in specialist_tools
    results = [b for m in client.sent[2]["messages"] for b in m["content"] if "toolResult" in b]
    assert results and results[0]["toolResult"]["toolUseId"] == "t1"


def test_write_waits_for_approval_then_runs_once(settings) -> None:
    model, client = _model(settings)
    with StrictConverse(client) as stub:
        stub.add_response("converse", tool_use("route_request", {"route": "inference", "reason": "scale"}, "r1"))
        stub.add_response(
            "converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1")
        )
        bot = Opsbot(settings, model=model)
        pending = bot.ask("scale chat-prod to 2", user="dave")
        stub.assert_no_pending_responses()
    assert pending.approval.status == "pending" and pending.tool_calls[0].name == "scale_endpoint"
    ctx = make_context(settings)
    assert run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]["instance_count"] == 1
    done = bot.decide(pending.approval.id, user="carol", approve=True)  # no model call is needed to execute
    assert done.approval.status == "executed"
    endpoint = run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]
    assert endpoint["instance_count"] == 2


def test_explicit_command_skips_the_model(settings) -> None:
    model, client = _model(settings)
    with StrictConverse(client) as stub:  # no responses queued: any Converse call would fail the test
        result = Opsbot(settings, model=model).ask("/opsbot describe_endpoint endpoint_name=chat-prod", user="dave")
        stub.assert_no_pending_responses()
    assert client.sent == []
    assert result.route == "inference" and [c.name for c in result.tool_calls] == ["describe_endpoint"]
    assert "chat-prod" in result.reply
