"""Values a person points at in an earlier result: "buy the first offering", "the second one".

Intent always comes from the person's message. Only when a required argument is still missing,
the message points at an item by its position, and the argument's description names the tool that
lists such values ("Offering to buy, as listed by search_training_plans"), is the value taken
from that tool's latest result: the first word of its n-th list item. Nothing else in a tool
result is ever read, and the call still goes through the approval card, which shows the value.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agent.models.schema import ToolSpec
from agent.models.text import Utterance, fuzzy_equal

_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "last": -1}
_LISTED_BY = re.compile(r"listed by (\w+)")
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+([A-Za-z0-9][\w.:/-]*?)(?=[:,;\s]|$)", re.M)


def latest_result(messages: list[BaseMessage], tool: str) -> str | None:
    """Text of the most recent result of ``tool`` in the conversation."""
    names = {
        call["id"]: call["name"]
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call.get("id")
    }
    for m in reversed(messages):
        if isinstance(m, ToolMessage) and (m.name or names.get(m.tool_call_id)) == tool:
            return m.content if isinstance(m.content, str) else str(m.content)
    return None


def resolve(u: Utterance, tool: ToolSpec, args: dict[str, Any], messages: list[BaseMessage]) -> dict[str, Any]:
    """``args`` plus missing values the person points at ("the first offering"), if any."""
    pointer = next((w for t in u.tokens for w in _ORDINALS if t.low == w or fuzzy_equal(t.low, w)), None)
    if pointer is None:
        return args
    out = dict(args)
    for name in tool.missing(args):
        spec = tool.field(name)
        source = _LISTED_BY.search(spec.description) if spec else None
        text = latest_result(messages, source.group(1)) if source else None
        items = _ITEM.findall(text or "")
        index = _ORDINALS[pointer]
        if items and index < len(items):
            out[name] = items[index]
    return out
