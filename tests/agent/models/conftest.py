"""Helpers for the model tests: the offline model on a fixed clock, bound as the graph binds it, with
the context message the graph gives it (the demo account's names, the thread's memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agent import memory as mem
from agent.models.offline import OfflineChatModel
from agent.models.scene import context_message
from agent.tool_schemas import load_prompt, route_tool_schema, tool_schema
from tools.registry import get_tool, tools_for_domain, toolsets

# A Thursday afternoon: "this week" starts on Monday 2026-11-09, "yesterday" is 2026-11-11.
NOW = datetime(2026, 11, 12, 15, 30, tzinfo=UTC)
# What the demo account's listings give (the graph reads them once per turn).
DEMO_NAMES = {"endpoint": ["chat-prod", "llama8b-inf2"], "hyperpod_cluster": ["llama-pretrain"]}


@dataclass
class Chat:
    """A conversation driven the way the graph drives it: supervisor first, then one specialist."""

    model: OfflineChatModel
    messages: list[BaseMessage] = field(default_factory=list)
    route: str | None = None
    names: dict[str, list[str]] = field(default_factory=lambda: dict(DEMO_NAMES))
    memory: dict = field(default_factory=dict)

    def context(self) -> SystemMessage:
        return context_message("", {"names": self.names, "memory": self.memory, "act": None})

    def supervise(self) -> AIMessage:
        bound = self.model.bind_tools([route_tool_schema()], tool_choice="route_request")
        return bound.invoke([SystemMessage(load_prompt("supervisor")), self.context(), *self.messages])

    def specialist(self, route: str) -> AIMessage:
        bound = self.model.bind_tools([tool_schema(t) for t in tools_for_domain(route)])
        answer = bound.invoke([SystemMessage(load_prompt(route)), self.context(), *self.messages])
        if answer.tool_calls:  # as the graph does: the last call, and its resource in focus
            call = answer.tool_calls[0]
            self.memory = mem.after_call(self.memory, get_tool(call["name"]), call["args"], route)
        return answer

    def say(self, text: str) -> AIMessage:
        """Send a human turn; returns the specialist's answer (or the route call when route is none)."""
        self.messages.append(HumanMessage(text))
        routed = self.supervise()
        self.route = routed.tool_calls[0]["args"]["route"]
        if self.route == "none":
            return routed
        answer = self.specialist(self.route)
        self.messages.append(answer)
        return answer

    def tool_result(self, text: str, data: dict | None = None) -> AIMessage:
        """Answer the last tool call with ``text`` (and its result ``data``, which the graph keeps in the
        thread's memory) and ask the same specialist to report."""
        last = self.messages[-1]
        assert isinstance(last, AIMessage) and last.tool_calls
        tool = get_tool(last.tool_calls[0]["name"])
        resources = [r for ts in toolsets() for r in ts.resources]
        all_tools = [t for ts in toolsets() for t in ts.tools]
        lists = mem.listed_ids(all_tools)
        self.memory = mem.after_result(self.memory, tool, data, resources, {t.name for t in all_tools}, lists)
        self.messages.append(ToolMessage(text, tool_call_id=last.tool_calls[0]["id"], name=last.tool_calls[0]["name"]))
        assert self.route is not None
        answer = self.specialist(self.route)
        self.messages.append(answer)
        return answer


@pytest.fixture
def model() -> OfflineChatModel:
    """The offline model with the clock stopped at NOW."""
    return OfflineChatModel(clock=lambda: NOW)


@pytest.fixture
def chat(model: OfflineChatModel) -> Chat:
    """A fresh conversation."""
    return Chat(model)


def call_of(message: AIMessage) -> tuple[str, dict]:
    """The single tool call of ``message`` as (name, args); fails if there is not exactly one."""
    assert len(message.tool_calls) == 1, f"expected one tool call, got {message.tool_calls} / {message.content!r}"
    return message.tool_calls[0]["name"], message.tool_calls[0]["args"]
