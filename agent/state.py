"""The graph's state: the conversation, the thread's memory, and what this turn read, planned and ran."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class OpsbotState(TypedDict, total=False):
    """One thread's state. ``messages``, ``memory``, ``route`` and ``focus`` last across turns;
    the other fields are reset every turn (``turn_input``)."""

    messages: Annotated[list[AnyMessage], add_messages]
    memory: dict[str, Any]  # the thread's memory (see agent.memory)
    route: str | None
    focus: str | None  # narrower part of the route's tools (training: clusters or jobs)
    act: str  # this message's dialogue act (see agent.models.acts)
    asked_id: str | None  # an approval id the message names ("approve ap-1234")
    approve: bool  # a confirmation for (True) or against ("reject", False)
    names: dict[str, list[str]]  # resource kind -> names in the account, read this turn
    listed: dict[str, dict[str, Any]]  # resource kind -> name -> what its listing shows of it
    notes: list[str]  # said before the reply (a dropped question, a superseded request)
    explicit: bool  # this turn is an explicit command, read without the model
    calls: list[dict[str, Any]]  # tool calls of this turn, as ToolCallView data
    pending_call: dict[str, Any] | None  # the write waiting for approval: name, args, id
    plan: dict[str, Any] | None
    policy: list[dict[str, Any]]
    approval_id: str | None
    preview: bool  # the write was shown, not filed (a question about it, or a dry run)
    refused: bool
    result: dict[str, Any] | None
    reply: str
    error: dict[str, Any] | None  # agent.views.ErrorView as data when this turn ended in an error
    clarify: bool
    steps: int
    corrections: int  # bad write arguments sent back to the model this turn (at most one)


def turn_input(messages: list[AnyMessage]) -> dict[str, Any]:
    """Input for a new turn: the new message, and every per-turn field cleared."""
    return {
        "messages": messages,
        "calls": [],
        "pending_call": None,
        "plan": None,
        "policy": [],
        "approval_id": None,
        "preview": False,
        "refused": False,
        "result": None,
        "reply": "",
        "error": None,
        "clarify": False,
        "steps": 0,
        "corrections": 0,
        "explicit": False,
        "act": "request",
        "asked_id": None,
        "approve": True,
        "names": {},
        "listed": {},
        "notes": [],
    }
