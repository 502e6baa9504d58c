"""The graph's state: the conversation plus what this turn proposed, planned, asked and ran."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class OpsbotState(TypedDict, total=False):
    """One thread's state; fields other than ``messages`` and ``route`` are reset every turn."""

    messages: Annotated[list[AnyMessage], add_messages]
    route: str | None
    focus: str | None  # narrower part of the route's tools (training: clusters or jobs)
    awaiting_answer: bool  # the last turn asked back for a missing argument
    explicit: bool  # this turn is an explicit command, read without the model
    calls: list[dict[str, Any]]  # tool calls of this turn, as ToolCallView data
    pending_call: dict[str, Any] | None  # the write waiting for approval: name, args, id
    plan: dict[str, Any] | None
    policy: list[dict[str, Any]]
    approval_id: str | None
    refused: bool
    result: dict[str, Any] | None
    reply: str
    error: dict[str, Any] | None  # agent.views.ErrorView as data when this turn ended in an error
    clarify: bool
    steps: int


def turn_input(messages: list[AnyMessage]) -> dict[str, Any]:
    """Input for a new turn: the new message, and every per-turn field cleared."""
    return {
        "messages": messages,
        "calls": [],
        "pending_call": None,
        "plan": None,
        "policy": [],
        "approval_id": None,
        "refused": False,
        "result": None,
        "reply": "",
        "error": None,
        "clarify": False,
        "steps": 0,
        "explicit": False,
    }
