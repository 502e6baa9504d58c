"""Reading the conversation and writing the offline model's replies.

The offline model reads intent and arguments from HumanMessages only. Tool results are echoed
back, never interpreted, so text inside an S3 key or a tag cannot make it call a tool.

Reply shapes (the graph relies on them):

- tool call: ``AIMessage(content="", tool_calls=[{"name", "args", "id", "type": "tool_call"}])``
- question: ``AIMessage(content=<question>, additional_kwargs={"opsbot_clarify": {"tool", "args",
  "missing"}})``
- summary of tool results: ``AIMessage(content=<the results' text>)``
- not understood: ``AIMessage(content="I did not understand ...", additional_kwargs={"opsbot_unsupported": True})``
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agent.models.schema import FieldSpec, ToolSpec
from agent.models.vocabulary import COUNT_UNITS, words_for

ROUTE_TOOL = "route_request"
CLARIFY = "opsbot_clarify"
UNSUPPORTED = "opsbot_unsupported"


def text_of(message: BaseMessage) -> str:
    """The text of a message whose content is a string or a list of content blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "\n".join(parts)


def visible(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The conversation without system prompts and without the supervisor's routing traffic."""
    route_ids = {
        call["id"] for m in messages if isinstance(m, AIMessage) for call in m.tool_calls if call["name"] == ROUTE_TOOL
    }
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            continue
        if isinstance(m, AIMessage) and m.tool_calls and all(c["name"] == ROUTE_TOOL for c in m.tool_calls):
            continue
        if isinstance(m, ToolMessage) and (m.tool_call_id in route_ids or m.name == ROUTE_TOOL):
            continue
        out.append(m)
    return out


def last_human(messages: list[BaseMessage]) -> int | None:
    """Index of the last HumanMessage."""
    return next((i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], HumanMessage)), None)


def pending_clarify(messages: list[BaseMessage]) -> dict[str, Any] | None:
    """The question opsbot asked just before the last human message, if it asked one."""
    h = last_human(messages)
    if h is None or h == 0:
        return None
    previous = messages[h - 1]
    if isinstance(previous, AIMessage):
        pending = previous.additional_kwargs.get(CLARIFY)
        if isinstance(pending, dict) and pending.get("tool"):
            return pending
    return None


def pending_request(messages: list[BaseMessage]) -> str:
    """The human text that led to the pending question (for routing a cost question's answer)."""
    h = last_human(messages)
    if h is None:
        return ""
    earlier = last_human(messages[:h])
    return text_of(messages[earlier]) if earlier is not None else ""


def trailing_results(messages: list[BaseMessage]) -> list[ToolMessage]:
    """Tool results at the end of the conversation (the model's turn to report them)."""
    out: list[ToolMessage] = []
    for m in reversed(messages):
        if not isinstance(m, ToolMessage):
            break
        out.append(m)
    return list(reversed(out))


def call_id(messages: list[BaseMessage], name: str, args: dict[str, Any]) -> str:
    """A deterministic tool call id: the same conversation gives the same id on a replay."""
    seed = json.dumps([len(messages), name, args], sort_keys=True, default=str)
    return "call_" + hashlib.sha256(seed.encode()).hexdigest()[:20]


def tool_call(messages: list[BaseMessage], name: str, args: dict[str, Any]) -> AIMessage:
    """One tool call, nothing else."""
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": call_id(messages, name, args), "type": "tool_call"}]
    )


def summary(results: list[ToolMessage]) -> AIMessage:
    """The tool results' text, as they are: data to show, not instructions to follow."""
    return AIMessage(content="\n\n".join(text_of(r).strip() for r in results if text_of(r).strip()))


def clarify(tool: ToolSpec, args: dict[str, Any], missing: list[str], prefix: str = "") -> AIMessage:
    """A question for the first missing required argument (naming the others)."""
    specs = [f for f in (tool.field(n) for n in missing) if f is not None]
    first = specs[0]
    question = f"{prefix}To {words_for(tool.name).label}, {_ask(tool, first)}"
    if len(specs) > 1:
        question += f" I will also need {', '.join(f.name for f in specs[1:])}."
    return AIMessage(
        content=question, additional_kwargs={CLARIFY: {"tool": tool.name, "args": args, "missing": missing}}
    )


def _ask(tool: ToolSpec, spec: FieldSpec) -> str:
    noun = spec.noun
    if spec.kind == "name":
        creating = tool.name.split("_")[0] in ("create", "launch", "purchase") and spec.name.endswith("_name")
        return f"what should the {noun} be called ({spec.name})?" if creating else f"which {noun} ({spec.name})?"
    if spec.kind == "count":
        unit = COUNT_UNITS.get(noun, (noun,))[0]
        return f"how many {unit}s ({spec.name})?"
    if spec.kind == "instance_type":
        options = f" Options: {', '.join(map(str, spec.enum))}." if spec.enum else ""
        return f"which instance type ({spec.name})?{options}"
    if spec.kind == "hours":
        return f"for how many hours ({spec.name})?"
    if spec.kind == "s3_uri":
        return f"which S3 location for the {noun} ({spec.name}, s3://bucket/prefix)?"
    if spec.kind == "enum" and spec.enum:
        return f"which {spec.name.replace('_', ' ')} ({spec.name}): {', '.join(map(str, spec.enum))}?"
    detail = f" ({spec.description.rstrip('.')})" if spec.description else ""
    return f"what {spec.name}{detail}?"


def unsupported(text: str, tools: list[ToolSpec]) -> AIMessage:
    """Says plainly what was not understood and what can be done instead."""
    can = "; ".join(words_for(t.name).label for t in tools) or "nothing in this conversation"
    shown = text.strip().replace("\n", " ")
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    example = ""
    if tools:
        t = tools[0]
        example = " Or type a command: " + " ".join([t.name, *(f"{f.name}=..." for f in t.required)]) + "."
    return AIMessage(
        content=f'I did not understand "{shown}". I can: {can}.{example}', additional_kwargs={UNSUPPORTED: True}
    )


def route_message(messages: list[BaseMessage], route: str, reason: str, focus: str | None = None) -> AIMessage:
    """The supervisor's answer: one ``route_request`` call."""
    args = {"route": route, "reason": reason} | ({"focus": focus} if focus else {})
    return tool_call(messages, ROUTE_TOOL, args)
