"""What a model is shown of a thread (agent/history.py): well-formed whatever the stored thread holds."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agent.history import FAILED_TURN, NOT_RUN, for_model


def call(name: str, call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": {}, "id": call_id, "type": "tool_call"}])


def test_a_call_left_open_by_an_older_thread_is_closed_and_the_turn_marked() -> None:
    # GIVEN a thread stored before calls were closed at the gate: a toolUse with no result, then a new message
    stored = [HumanMessage("scale chat-prod to 2"), call("scale_endpoint", "t1"), HumanMessage("list endpoints")]
    # WHEN it is shown to a model
    shown = for_model(stored)
    # THEN the call is closed as not run (an error), the turn marked, and the new message stands apart
    assert [type(m).__name__ for m in shown] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
        "HumanMessage",
    ]
    assert shown[2].content == NOT_RUN and shown[2].status == "error" and shown[2].tool_call_id == "t1"
    assert shown[3].content == FAILED_TURN


def test_a_result_without_its_call_and_system_prompts_are_left_out() -> None:
    # GIVEN a result answered twice (an older thread closed a write, then said its outcome as a result too)
    stored = [
        SystemMessage("prompt"),
        HumanMessage("scale it"),
        call("scale_endpoint", "t1"),
        ToolMessage("awaiting approval ap-1", tool_call_id="t1"),
        AIMessage("needs approval ap-1"),
        ToolMessage("scale_endpoint ran", tool_call_id="t1"),
        AIMessage("scale_endpoint ran"),
        HumanMessage("did it scale?"),
    ]
    # WHEN shown THEN the second result is gone, and nothing else changed
    shown = for_model(stored)
    assert [m.content for m in shown if isinstance(m, ToolMessage)] == ["awaiting approval ap-1"]
    assert not any(isinstance(m, SystemMessage) for m in shown) and shown[-1].content == "did it scale?"


def test_a_long_thread_is_shown_from_a_turn_on() -> None:
    # GIVEN a thread of 30 turns
    stored = [m for n in range(30) for m in (HumanMessage(f"question {n}"), AIMessage(f"answer {n}"))]
    # WHEN shown with a window of 20 turns
    shown = for_model(stored, turns=20)
    # THEN it starts with the person's message of turn 10 and keeps everything after it
    assert shown[0].content == "question 10" and shown[-1].content == "answer 29" and len(shown) == 40
