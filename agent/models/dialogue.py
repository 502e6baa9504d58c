"""Reading the conversation and writing the offline model's replies.

The offline model reads intent and arguments from HumanMessages only. Tool results are echoed
back, never interpreted, so text inside an S3 key or a tag cannot make it call a tool.

Reply shapes (the graph relies on them):

- tool call: ``AIMessage(content="", tool_calls=[{"name", "args", "id", "type": "tool_call"}])``
- question: ``AIMessage(content=<question>, additional_kwargs={"opsbot_clarify": {"tool", "args",
  "missing", "choices"}})`` (``choices`` when it asks which of several readings was meant)
- a value the schema cannot hold: ``AIMessage(content="error: ...", additional_kwargs={"opsbot_error": ...})``
- summary of tool results: ``AIMessage(content=<the results' text>)``
- not understood: ``AIMessage(content="I did not understand ...", additional_kwargs={"opsbot_unsupported": True})``
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agent.models.grammar import Declared, Grammar
from agent.models.schema import FieldSpec

ROUTE_TOOL = "route_request"
CLARIFY = "opsbot_clarify"
UNSUPPORTED = "opsbot_unsupported"
ERROR = "opsbot_error"


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
        if isinstance(pending, dict) and (pending.get("tool") or pending.get("choices")):
            return pending
    return None


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


def clarify(
    g: Grammar, tool: Declared, args: dict[str, Any], missing: list[str], prefix: str = "", vague: str = ""
) -> AIMessage:
    """A question for the first missing required argument (naming the others)."""
    specs = [f for f in (tool.spec.field(n) for n in missing) if f is not None]
    first = specs[0]
    ask = _ask(g, first)
    if vague:
        ask = f'"{vague}" is not a number I can act on: {ask}'
    question = f"{prefix}To {tool.label}, {ask}"
    if len(specs) > 1:
        question += f" I will also need {', '.join(f.name for f in specs[1:])}."
    return AIMessage(
        content=question, additional_kwargs={CLARIFY: {"tool": tool.name, "args": args, "missing": missing}}
    )


def choose(g: Grammar, choices: list[dict[str, Any]], why: str) -> AIMessage:
    """A question between readings: "demo is both a HyperPod cluster and an endpoint: which one?"."""
    options = []
    for n, choice in enumerate(choices, 1):
        d = g.tools[choice["tool"]]
        shown = ", ".join(f"{k}={v}" for k, v in choice["args"].items())
        options.append(f"{n}) {d.label}" + (f" ({shown})" if shown else ""))
    question = f"{why} Which do you mean: " + "; ".join(options) + "?"
    return AIMessage(content=question, additional_kwargs={CLARIFY: {"tool": None, "choices": choices, "missing": []}})


def noun_of(g: Grammar, spec: FieldSpec) -> str:
    """What people call the argument's resource ("endpoint"), else its name in words."""
    nouns = g.nouns.get(spec.of or "", ())
    if nouns:
        return nouns[0]
    words = [w for w in spec.words if w not in ("name", "id", "count", "uri", "s3", "arn")]
    return " ".join(words) or spec.name


def _ask(g: Grammar, spec: FieldSpec) -> str:
    noun = noun_of(g, spec)
    if spec.kind == "name":
        return f"what should the {noun} be called ({spec.name})?" if spec.new else f"which {noun} ({spec.name})?"
    if spec.kind == "id":
        source = f"; {spec.listed_by} lists them" if spec.listed_by else ""
        return f"which {noun} ({spec.name}{source})?"
    if spec.kind == "count":
        return f"how many {spec.unit or 'instance'}s ({spec.name})?"
    if spec.kind == "instance_type":
        options = f" Options: {', '.join(map(str, spec.enum))}." if spec.enum else ""
        return f"which instance type ({spec.name})?{options}"
    if spec.kind in ("hours", "minutes"):
        return f"for how many {spec.kind} ({spec.name})?"
    if spec.kind == "s3_uri":
        return f"which S3 location for the {spec.role or noun} ({spec.name}, s3://bucket/prefix)?"
    if spec.kind == "enum" and spec.enum:
        return f"which {spec.name.replace('_', ' ')} ({spec.name}): {', '.join(map(str, spec.enum))}?"
    detail = f" ({spec.description.rstrip('.')})" if spec.description else ""
    return f"what {spec.name}{detail}?"


def about(tool: Declared, missing: list[str]) -> AIMessage:
    """What a write does and what it needs, for a question about it: nothing is planned or filed."""
    text = (
        f"To {tool.label} ({tool.name}): {tool.description.rstrip('.')}. It is a {tool.effect} change at "
        f"{tool.risk} risk, so it runs only after approval; nothing was requested. To see its plan and "
        f"cost, give {', '.join(missing)}."
    )
    return AIMessage(content=text)


def error(
    text: str, field: str | None = None, tool: str | None = None, args: dict[str, Any] | None = None
) -> AIMessage:
    """A one-line error about the request (a value no argument can hold); nothing is called. When
    the tool is known, the value is also asked for again (a corrected value completes the call)."""
    kwargs: dict[str, Any] = {ERROR: {"field": field, "message": text}}
    if tool and field:
        kwargs[CLARIFY] = {"tool": tool, "args": dict(args or {}), "missing": [field]}
    return AIMessage(content=f"error: {text}", additional_kwargs=kwargs)


def unsupported(text: str, tools: list[Declared]) -> AIMessage:
    """Says plainly what was not understood and what can be done instead."""
    can = "; ".join(t.label for t in tools) or "nothing in this conversation"
    shown = text.strip().replace("\n", " ")
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    example = ""
    if tools:
        t = tools[0]
        example = " Or type a command: " + " ".join([t.name, *(f"{f.name}=..." for f in t.spec.required)]) + "."
    return AIMessage(
        content=f'I did not understand "{shown}". I can: {can}.{example}', additional_kwargs={UNSUPPORTED: True}
    )


def route_message(messages: list[BaseMessage], route: str, reason: str, focus: str | None = None) -> AIMessage:
    """The supervisor's answer: one ``route_request`` call."""
    args = {"route": route, "reason": reason} | ({"focus": focus} if focus else {})
    return tool_call(messages, ROUTE_TOOL, args)
