"""The Bedrock back end against the strict Converse stand-in (tests/fakes/bedrock_converse.py; no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agent.models import make_model
from agent.models.bedrock import OpsbotBedrockConverse, make_bedrock_model
from agent.models.offline import OfflineChatModel
from agent.tool_schemas import route_tool_schema, tool_schema
from tests.fakes.bedrock_converse import StrictConverse, end_turn, tool_use
from tools.config import DEFAULT_BEDROCK_MODEL, Settings, get_settings
from tools.errors import ToolInputError
from tools.registry import get_tool, tools_for_domain

__all__ = ["end_turn", "tool_use"]  # shared with the graph tests on Bedrock

MODEL_ID = DEFAULT_BEDROCK_MODEL.removeprefix("bedrock:")  # opsbot's one default model


def toolspec(schema: dict[str, Any]) -> dict[str, Any]:
    fn = schema["function"]
    return {
        "toolSpec": {"name": fn["name"], "description": fn["description"], "inputSchema": {"json": fn["parameters"]}}
    }



@pytest.fixture
def model(client: Any, settings: Settings) -> OpsbotBedrockConverse:
    return make_bedrock_model(settings, MODEL_ID, client=client)


def test_tool_use_becomes_a_tool_call_and_tools_go_as_tool_config(
    model: OpsbotBedrockConverse, stub: StrictConverse, client: Any
) -> None:
    # GIVEN the inference specialist's tools and a model that answers with toolUse
    schemas = [tool_schema(t) for t in tools_for_domain("inference")]
    expected = {
        "modelId": MODEL_ID,
        "messages": [{"role": "user", "content": [{"text": "scale chat-prod to 3"}]}],
        "system": [{"text": "You are the inference specialist."}],
        "inferenceConfig": ANY,
        "toolConfig": {"tools": ANY},
    }
    stub.add_response(
        "converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 3}, "tu-1"), expected
    )
    # WHEN the specialist is called as the graph calls it
    answer = model.bind_tools(schemas).invoke(
        [SystemMessage("You are the inference specialist."), HumanMessage("scale chat-prod to 3")]
    )
    # THEN the tools went as Converse toolSpecs: names, descriptions, arguments and required ones intact
    sent = [t["toolSpec"] for t in client.sent[0]["toolConfig"]["tools"]]
    assert [(t["name"], t["description"]) for t in sent] == [
        (s["function"]["name"], s["function"]["description"]) for s in schemas
    ]
    for spec, schema in zip(sent, schemas, strict=True):
        params = schema["function"]["parameters"]
        assert set(spec["inputSchema"]["json"]["properties"]) == set(params["properties"])
        assert spec["inputSchema"]["json"].get("required") == params.get("required")
        assert all(p.get("description") for p in spec["inputSchema"]["json"]["properties"].values())
    # AND the toolUse is one LangChain tool call with the model's arguments
    assert answer.tool_calls == [
        {
            "name": "scale_endpoint",
            "args": {"endpoint_name": "chat-prod", "instance_count": 3},
            "id": "tu-1",
            "type": "tool_call",
        }
    ]


def test_supervisor_forces_the_route_tool(model: OpsbotBedrockConverse, stub: StrictConverse, client: Any) -> None:
    stub.add_response("converse", tool_use("route_request", {"route": "data", "reason": "S3 objects"}, "tu-r"))
    answer = model.bind_tools([route_tool_schema()], tool_choice="route_request").invoke(
        [SystemMessage("route"), HumanMessage("which objects in s3://corpus-raw are over 1 GB?")]
    )
    assert answer.tool_calls[0]["args"] == {"route": "data", "reason": "S3 objects"}
    assert client.sent[0]["toolConfig"]["toolChoice"] == {"tool": {"name": "route_request"}}
    assert client.sent[0]["toolConfig"]["tools"] == [toolspec(route_tool_schema())]


def test_multi_step_tool_use(model: OpsbotBedrockConverse, stub: StrictConverse, client: Any) -> None:
    # GIVEN a model that first asks for a read tool, then answers from its result
    stub.add_response("converse", tool_use("describe_endpoint", {"endpoint_name": "chat-prod"}, "tu-1"))
    stub.add_response("converse", end_turn("chat-prod is InService on 2 x ml.inf2.48xlarge."))
    bound = model.bind_tools([tool_schema(get_tool("describe_endpoint"))])
    history: list[Any] = [SystemMessage("inference"), HumanMessage("how is chat-prod?")]
    # WHEN the graph runs the tool and calls the model again with the result
    first = bound.invoke(history)
    history += [first, ToolMessage("chat-prod: InService, 2 x ml.inf2.48xlarge", tool_call_id="tu-1")]
    final = bound.invoke(history)
    # THEN the second request carried the toolUse and its toolResult, and the final answer calls nothing
    assert first.tool_calls[0]["name"] == "describe_endpoint"
    second = client.sent[1]["messages"]
    assert second[1]["role"] == "assistant"
    assert any(block.get("toolUse", {}).get("toolUseId") == "tu-1" for block in second[1]["content"])
    results = [b["toolResult"] for b in second[2]["content"] if "toolResult" in b]
    assert results and results[0]["toolUseId"] == "tu-1"
    assert "InService" in str(results[0]["content"])
    assert isinstance(final, AIMessage) and final.tool_calls == []
    assert "InService" in final.text


def test_throttling_is_retried_then_succeeds(model: OpsbotBedrockConverse, stub: StrictConverse, client: Any) -> None:
    # GIVEN Bedrock throttles twice before answering
    for _ in range(2):
        stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    stub.add_response("converse", end_turn("ok"))
    # WHEN the model is called THEN the caller sees only the answer, after three attempts
    assert model.invoke([HumanMessage("hello")]).text == "ok"
    assert len(client.sent) == 3


def test_throttling_gives_up_after_the_bounded_attempts(client: Any, stub: StrictConverse) -> None:
    settings = get_settings(aws_max_attempts=3)
    model = make_bedrock_model(settings, MODEL_ID, client=client)
    for _ in range(3):
        stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    with pytest.raises(ClientError) as err:
        model.invoke([HumanMessage("hello")])
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(client.sent) == 3


def test_validation_errors_are_not_retried(model: OpsbotBedrockConverse, client: Any) -> None:
    with StrictConverse(client) as stub:
        stub.add_client_error("converse", service_error_code="ValidationException", http_status_code=400)
        stub.add_response("converse", end_turn("never reached"))
        with pytest.raises(ClientError):
            model.invoke([HumanMessage("hello")])
    assert len(client.sent) == 1


def test_model_without_forced_tool_choice_is_not_refused(settings: Settings, client: Any) -> None:
    # GIVEN a model family that only supports tool_choice "auto"
    model = make_bedrock_model(settings, "meta.llama3-1-70b-instruct-v1:0", client=client)
    with StrictConverse(client) as stub:
        stub.add_response("converse", tool_use("route_request", {"route": "none", "reason": "chit-chat"}, "tu-2"))
        # WHEN the supervisor binds its tool with a forced choice THEN the call is made, left to choose
        answer = model.bind_tools([route_tool_schema()], tool_choice="route_request").invoke([HumanMessage("hi")])
    assert answer.tool_calls[0]["name"] == "route_request"
    assert "toolChoice" not in client.sent[0]["toolConfig"]


def test_make_model_builds_the_bedrock_client_from_profile_and_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a named profile for Bedrock and a Bedrock region other than the tools' region
    config = tmp_path / "config"
    config.write_text("[profile bedrock-team]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[bedrock-team]\naws_access_key_id = AKIDBEDROCK\naws_secret_access_key = secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    settings = get_settings(model=f"bedrock:{MODEL_ID}", bedrock_profile="bedrock-team", bedrock_region="us-west-2")
    # WHEN the model is made
    model = make_model(settings)
    # THEN it is ChatBedrockConverse on its own client: that profile, that region, botocore retries off
    assert isinstance(model, OpsbotBedrockConverse)
    assert model.model_id == MODEL_ID
    assert model.client.meta.region_name == "us-west-2"
    assert model.client._request_signer._credentials.access_key == "AKIDBEDROCK"
    assert model.client.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}
    assert model.retry_attempts == settings.aws_max_attempts


def test_make_model_defaults_to_the_tools_region(settings: Settings) -> None:
    model = make_model(get_settings(model=f"bedrock:{MODEL_ID}", region="eu-central-1"))
    assert model.client.meta.region_name == "eu-central-1"


def test_make_model_offline_and_unknown() -> None:
    assert isinstance(make_model(get_settings()), OfflineChatModel)
    with pytest.raises(ToolInputError) as err:
        make_model(get_settings(model="gpt-4"))
    assert "bedrock:<model-id>" in str(err.value)


def test_a_text_answer_is_read_as_the_forced_call() -> None:
    # GIVEN the router's schema and answers of a model that could not be forced to call it
    from agent.models.bedrock import parsed_call

    schema = route_tool_schema()["function"]
    # WHEN read THEN JSON gives its known arguments, one named route is a route, and anything else is nothing
    assert parsed_call(schema, 'Sure: {"route": "data", "reason": "S3", "x": 1}')["args"] == {  # type: ignore[index]
        "route": "data",
        "reason": "S3",
    }
    assert parsed_call(schema, "That is for training.")["args"] == {"route": "training"}  # type: ignore[index]
    assert parsed_call(schema, "Either training or inference.") is None
    assert parsed_call(schema, '{"route": "weather"}') is None
    assert parsed_call(schema, "I cannot help.") is None
