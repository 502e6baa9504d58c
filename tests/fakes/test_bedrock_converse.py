"""The strict Converse stand-in refuses each request Bedrock refuses, and lets a well-formed one through."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fakes.bedrock_converse import StrictConverse, bedrock_client, check_converse, end_turn

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SCHEMA = {"type": "object", "properties": {"endpoint_name": {"type": "string"}}, "required": ["endpoint_name"]}
TOOLS = {"tools": [{"toolSpec": {"name": "describe_endpoint", "description": "d", "inputSchema": {"json": SCHEMA}}}]}


def good() -> dict[str, Any]:
    """A well-formed request: a question, a toolUse, its toolResult, an answer, a new question."""
    return {
        "modelId": CLAUDE,
        "messages": [
            {"role": "user", "content": [{"text": "how is chat-prod?"}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t1", "name": "describe_endpoint", "input": {}}}],
            },
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "InService"}]}}]},
            {"role": "assistant", "content": [{"text": "It is InService."}]},
            {"role": "user", "content": [{"text": "thanks"}]},
        ],
        "toolConfig": copy.deepcopy(TOOLS),
    }


def broken(change: str) -> dict[str, Any]:
    r = good()
    m = r["messages"]
    if change == "first_from_assistant":
        m.insert(0, {"role": "assistant", "content": [{"text": "hello"}]})
    elif change == "roles_repeat":
        m.insert(1, {"role": "user", "content": [{"text": "again"}]})
    elif change == "tool_use_unanswered":
        m[2]["content"] = [{"text": "while we wait: list endpoints"}]
    elif change == "tool_result_other_id":
        m[2]["content"][0]["toolResult"]["toolUseId"] = "t9"
    elif change == "tool_result_without_tool_use":
        m[4]["content"].insert(0, {"toolResult": {"toolUseId": "t1", "content": [{"text": "again"}]}})
    elif change == "empty_text":
        m[3]["content"] = [{"text": "  "}]
    elif change == "no_tool_config":
        del r["toolConfig"]
    elif change == "bad_tool_name":
        r["toolConfig"]["tools"][0]["toolSpec"]["name"] = "describe endpoint"
    elif change == "duplicate_tool":
        r["toolConfig"]["tools"].append(copy.deepcopy(r["toolConfig"]["tools"][0]))
    elif change == "schema_not_object":
        r["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] = {"type": "string"}
    elif change == "schema_required_unknown":
        r["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"] = ["cluster_name"]
    elif change == "forced_unlisted_tool":
        r["toolConfig"]["toolChoice"] = {"tool": {"name": "route_request"}}
    elif change == "forced_on_llama":
        r["modelId"] = "meta.llama3-1-70b-instruct-v1:0"
        r["toolConfig"]["toolChoice"] = {"tool": {"name": "describe_endpoint"}}
    elif change == "any_on_llama":
        r["modelId"] = "meta.llama3-1-70b-instruct-v1:0"
        r["toolConfig"]["toolChoice"] = {"any": {}}
    elif change == "error_status_on_llama":
        r["modelId"] = "meta.llama3-1-70b-instruct-v1:0"
        m[2]["content"][0]["toolResult"]["status"] = "error"
    return r


RULES = {
    "first_from_assistant": "must start with a user message",
    "roles_repeat": "must alternate between user and assistant",
    "tool_use_unanswered": "Expected toolResult blocks at messages.2.content for the following Ids: t1",
    "tool_result_other_id": "Expected toolResult blocks at messages.2.content",
    "tool_result_without_tool_use": "exceeds the number of toolUse blocks",
    "empty_text": "is blank",
    "no_tool_config": "toolConfig field must be defined",
    "bad_tool_name": "regular expression pattern",
    "duplicate_tool": "more than once",
    "schema_not_object": "type must be 'object'",
    "schema_required_unknown": "required must list names of its properties",
    "forced_unlisted_tool": "is not one of the tools",
    "forced_on_llama": "doesn't support the toolConfig.toolChoice.tool field",
    "any_on_llama": "doesn't support the toolConfig.toolChoice.any field",
    "error_status_on_llama": "toolResult.status",
}


def test_a_well_formed_request_passes() -> None:
    # GIVEN a request that follows every rule, also with status error and a forced listed tool on Claude
    request = good()
    request["messages"][2]["content"][0]["toolResult"]["status"] = "error"
    request["toolConfig"]["toolChoice"] = {"tool": {"name": "describe_endpoint"}}
    # WHEN it is checked THEN nothing is wrong with it
    assert check_converse(request) is None


@pytest.mark.parametrize("change", sorted(RULES))
def test_each_rule_rejects(change: str) -> None:
    # GIVEN a well-formed request broken in one way WHEN it is checked THEN Bedrock's message says why
    problem = check_converse(broken(change))
    assert problem is not None and RULES[change] in problem


def test_a_refused_request_raises_the_validation_exception_through_the_client() -> None:
    # GIVEN a real bedrock-runtime client on the stand-in, with an answer scripted
    client = bedrock_client()
    with StrictConverse(client) as stand_in:
        stand_in.add_response("converse", end_turn("never reached"))
        request = broken("tool_use_unanswered")
        # WHEN a request with an unanswered toolUse is sent
        with pytest.raises(ClientError) as err:
            client.converse(**request)
        # THEN it is Bedrock's ValidationException (HTTP 400), and the scripted answer was not used
        assert isinstance(err.value, client.exceptions.ValidationException)
        assert err.value.response["Error"]["Code"] == "ValidationException"
        assert "Expected toolResult blocks" in err.value.response["Error"]["Message"]
        assert len(stand_in.rejections) == 1
        # AND a well-formed request gets the scripted answer
        assert client.converse(**good())["output"]["message"]["content"] == [{"text": "never reached"}]
        stand_in.assert_no_pending_responses()


def test_botocore_shape_validation_still_applies() -> None:
    # GIVEN the stand-in WHEN a request misses a member the service model requires THEN botocore refuses it
    from botocore.exceptions import ParamValidationError

    client = bedrock_client()
    with StrictConverse(client), pytest.raises(ParamValidationError):
        client.converse(modelId=CLAUDE, messages=[{"content": [{"text": "hi"}]}])
