"""A strict stand-in for Amazon Bedrock's Converse API: botocore's Stubber that checks each request as
Bedrock does before it answers with the scripted response.

``ChatBedrockConverse`` builds the request itself and sends it through a real ``bedrock-runtime``
client; this stand-in hooks that client (``StrictConverse(client)``, used like ``Stubber``), so what
is checked is exactly what opsbot would send. botocore's own parameter validation (types, required
members, lengths from the service model) runs as usual; on top of it, the documented rules of the
Converse API that the service model cannot express:

- the first message is from the user, and roles alternate user/assistant;
- every ``toolUse`` of an assistant message is answered by a ``toolResult`` with the same id in the
  next (user) message, and no ``toolResult`` lacks its ``toolUse`` in the message before;
- no text block is empty or only white space;
- ``toolConfig`` is present whenever tool blocks are in the messages;
- tool names match ``^[a-zA-Z0-9_-]{1,64}$`` and are unique; each ``inputSchema.json`` is a JSON
  schema of ``type: object`` whose ``required`` names its own properties;
- ``toolChoice`` forces (``any`` or ``tool``) only for models that support it, and ``tool`` only a
  listed tool;
- ``toolResult.status`` ``error`` only for models that support it (Claude, Nova).

A request that breaks a rule is answered with the ``ValidationException`` (HTTP 400) Bedrock sends,
raised as botocore raises it (``client.exceptions.ValidationException``, a ``ClientError``). Every
rejection is kept in ``rejections``; the scripted response stays queued, so
``assert_no_pending_responses`` fails a test whose request Bedrock would have refused.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
from botocore.stub import Stubber
from botocore.validate import validate_parameters

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
REGION_PREFIXES = ("us.", "eu.", "us-gov.", "apac.", "sa.", "amer.", "global.", "jp.", "au.")

# toolChoice values each model family accepts (Bedrock's ToolChoice reference): "auto" is always
# allowed; "any" and "tool" only where listed. Families are matched by prefix of the base model id.
TOOL_CHOICE: dict[str, frozenset[str]] = {
    "anthropic.claude": frozenset({"auto", "any", "tool"}),
    "amazon.nova": frozenset({"auto", "any", "tool"}),
    "mistral.mistral-large": frozenset({"auto", "any"}),
    "meta.llama": frozenset({"auto"}),
    "cohere.command": frozenset({"auto"}),
}
# Models whose toolResult may carry status "error" (Bedrock's ToolResultBlock reference).
TOOL_STATUS = ("anthropic.claude", "amazon.nova")


def base_model(model_id: str) -> str:
    """The model id without a cross-region inference profile prefix (``us.`` ...)."""
    return model_id.partition(".")[2] if model_id.startswith(REGION_PREFIXES) else model_id


def tool_choices(model_id: str) -> frozenset[str]:
    """The toolChoice kinds ``model_id`` accepts."""
    base = base_model(model_id)
    return next((v for k, v in TOOL_CHOICE.items() if base.startswith(k)), frozenset({"auto"}))


def check_converse(params: dict[str, Any]) -> str | None:
    """Why Bedrock would refuse this Converse request (its ValidationException message), or None."""
    model_id = str(params.get("modelId", ""))
    messages = params.get("messages") or []
    config = params.get("toolConfig")
    if not messages:
        return "A conversation must start with a user message."
    has_tool_blocks = False
    for i, message in enumerate(messages):
        role = message.get("role")
        if i == 0 and role != "user":
            return (
                "A conversation must start with a user message. "
                "Try again with a conversation that starts with a user message."
            )
        if i > 0 and role == messages[i - 1].get("role"):
            return (
                "A conversation must alternate between user and assistant roles. "
                "Make sure the conversation alternates between user and assistant roles and try again."
            )
        content = message.get("content") or []
        if not content:
            return f"The content field in the Message object at messages.{i} is empty; add a ContentBlock."
        for j, block in enumerate(content):
            if "text" in block and not str(block["text"]).strip():
                return (
                    f"The text field in the ContentBlock object at messages.{i}.content.{j} is blank. "
                    "Add text to the text field, and try again."
                )
            if "toolUse" in block or "toolResult" in block:
                has_tool_blocks = True
            result = block.get("toolResult")
            if result is not None:
                for k, part in enumerate(result.get("content") or []):
                    if "text" in part and not str(part["text"]).strip():
                        return (
                            f"The text field in the ToolResultContentBlock object at "
                            f"messages.{i}.content.{j}.toolResult.content.{k} is blank. "
                            "Add text to the text field, and try again."
                        )
                if result.get("status") == "error" and not base_model(model_id).startswith(TOOL_STATUS):
                    return (
                        f"This model doesn't support the toolResult.status field at messages.{i}.content.{j}. "
                        "Remove toolResult.status and try again."
                    )
        problem = _tool_pairing(messages, i)
        if problem:
            return problem
    if has_tool_blocks and not config:
        return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    if config:
        return _check_tool_config(config, model_id)
    return None


def _ids(message: dict[str, Any], kind: str) -> list[str]:
    return [b[kind]["toolUseId"] for b in message.get("content") or [] if kind in b]


def _tool_pairing(messages: list[dict[str, Any]], i: int) -> str | None:
    """toolUse blocks of message i-1 answered in message i, and no toolResult of message i without one."""
    message = messages[i]
    results = _ids(message, "toolResult")
    asked = _ids(messages[i - 1], "toolUse") if i > 0 else []
    if asked and message.get("role") == "user":
        missing = [u for u in asked if u not in results]
        if missing:
            return f"Expected toolResult blocks at messages.{i}.content for the following Ids: {', '.join(missing)}"
    if results:
        if len(results) > len(asked):
            return (
                f"The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse "
                "blocks of previous turn."
            )
        extra = [r for r in results if r not in asked]
        if extra:
            return f"messages.{i}.content: toolResult ids {', '.join(extra)} have no toolUse in the previous turn."
    return None


def _check_tool_config(config: dict[str, Any], model_id: str) -> str | None:
    tools = config.get("tools") or []
    if not tools:
        return "The toolConfig.tools field must contain at least one tool."
    names: list[str] = []
    for n, tool in enumerate(tools):
        spec = tool.get("toolSpec")
        if spec is None:
            continue  # a cachePoint or a system tool
        name = str(spec.get("name", ""))
        if not TOOL_NAME.match(name):
            return (
                f"1 validation error detected: Value '{name}' at 'toolConfig.tools.{n + 1}.member.toolSpec.name' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
            )
        if name in names:
            return f"The toolConfig.tools field names the tool {name} more than once. Tool names must be unique."
        names.append(name)
        schema = (spec.get("inputSchema") or {}).get("json")
        problem = _check_schema(schema, f"toolConfig.tools.{n}.toolSpec.inputSchema.json")
        if problem:
            return problem
    choice = config.get("toolChoice")
    if choice:
        kind = next(iter(choice))
        if kind not in tool_choices(model_id):
            return (
                f"This model doesn't support the toolConfig.toolChoice.{kind} field. "
                f"Remove toolConfig.toolChoice.{kind} and try again."
            )
        if kind == "tool" and choice["tool"].get("name") not in names:
            return (
                f"The tool {choice['tool'].get('name')!r} in toolConfig.toolChoice.tool is not one of the "
                "tools in toolConfig.tools."
            )
    return None


def _check_schema(schema: Any, where: str) -> str | None:
    if not isinstance(schema, dict):
        return f"The value at {where} must be a JSON object."
    if schema.get("type") != "object":
        return f"The value at {where}.type must be 'object'."
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return f"The value at {where}.properties must be a JSON object."
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in props for r in required):
        return f"The value at {where}.required must list names of its properties."
    return None


class StrictConverse(Stubber):
    """``Stubber`` for a ``bedrock-runtime`` client that validates every Converse request as Bedrock does.

    Script answers with ``add_response("converse", tool_use(...))`` / ``add_client_error(...)`` as with
    ``Stubber``; a request Bedrock would refuse raises its ``ValidationException`` instead and leaves the
    scripted answer queued. ``requests`` holds every Converse request, accepted or not; ``rejections``
    the messages of the refused ones."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.requests: list[dict[str, Any]] = []
        self.rejections: list[str] = []

    def _assert_expected_params(self, model: Any, params: dict[str, Any], context: Any, **kwargs: Any) -> None:
        if model.name == "Converse":
            self.requests.append(params)
            validate_parameters(params, model.input_shape)  # botocore's own check comes first, as it would
            problem = check_converse(params)
            if problem:
                self.rejections.append(problem)
                error = {"Error": {"Code": "ValidationException", "Message": problem}}
                error["ResponseMetadata"] = {"HTTPStatusCode": 400}  # type: ignore[assignment]
                raise self.client.exceptions.ValidationException(error, "Converse")
        super()._assert_expected_params(model, params, context, **kwargs)


def bedrock_client(region: str = "us-east-1") -> Any:
    """A ``bedrock-runtime`` client whose ``sent`` list records the parameters of each Converse call."""
    client = boto3.client("bedrock-runtime", region_name=region)
    client.sent = []
    client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: client.sent.append(params)
    )
    return client


def tool_use(name: str, args: dict[str, Any], use_id: str, *also: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    """A Converse response asking for one tool (and any ``also`` calls, as (name, args, id), in parallel)."""
    blocks = [{"toolUse": {"toolUseId": i, "name": n, "input": a}} for n, a, i in ((name, args, use_id), *also)]
    return {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 100, "outputTokens": 20, "totalTokens": 120},
        "metrics": {"latencyMs": 250},
    }


def end_turn(text: str) -> dict[str, Any]:
    """A Converse response with a final text (``""`` gives a message with no content blocks, as models
    sometimes answer)."""
    content = [{"text": text}] if text else []
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 150, "outputTokens": 30, "totalTokens": 180},
        "metrics": {"latencyMs": 300},
    }
