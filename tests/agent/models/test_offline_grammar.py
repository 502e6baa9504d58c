"""The offline model on toy toolsets: commands, phrasings, kinds, names, numbers and follow-ups,
read from the declarations alone."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agent.models.offline import OfflineChatModel
from agent.models.scene import context_message
from agent.tool_schemas import route_tool_schema, tool_schema
from tests.agent.models.conftest import NOW
from tests.agent.toy import Sea, toolsets

FLEET, HARBOR = toolsets(Sea())
NAMES = {"boat": ["sea-1", "demo"], "dock": ["pier-7", "demo"], "berth": ["brt-aaa111", "brt-bbb222"]}


def ask(text: str, memory: dict[str, Any] | None = None, names: dict | None = None, act: str | None = None):
    """(route, specialist answer) for one message, with the graph's context message."""
    model = OfflineChatModel(toolsets=[FLEET, HARBOR], clock=lambda: NOW)
    context = context_message("", {"names": NAMES if names is None else names, "memory": memory or {}, "act": act})
    messages = [context, HumanMessage(text)]
    routed = model.bind_tools([route_tool_schema()], tool_choice="route_request").invoke(messages)
    route = routed.tool_calls[0]["args"]["route"]
    toolset = {"fleet": FLEET, "harbor": HARBOR}.get(route)
    if toolset is None:
        return route, None
    return route, model.bind_tools([tool_schema(t) for t in toolset.tools]).invoke(messages)


def call(answer: AIMessage) -> tuple[str, dict]:
    assert len(answer.tool_calls) == 1, answer.content
    return answer.tool_calls[0]["name"], answer.tool_calls[0]["args"]


@pytest.mark.parametrize(
    ("text", "route", "expected"),
    [
        ("resize_boat boat_name=demo crew_count=3", "fleet", ("resize_boat", {"boat_name": "demo", "crew_count": 3})),
        ("rezise_boat demo 3", "fleet", ("resize_boat", {"boat_name": "demo", "crew_count": 3})),
        ("/opsbot scale-dock --dock_name pier-7 --crane_count 2", "harbor",
         ("scale_dock", {"dock_name": "pier-7", "crane_count": 2})),
    ],
)  # fmt: skip
def test_explicit_commands_follow_the_argument_models(text: str, route: str, expected: tuple) -> None:
    # GIVEN a command naming a tool (typos forgiven) WHEN read THEN its arguments are typed by their kinds
    got_route, answer = ask(text)
    assert got_route == route and call(answer) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list boats", ("list_boats", {})),
        ("show me all our boats please", ("list_boats", {})),
        ("scale the sea-1 boat to 3 nodes please", ("resize_boat", {"boat_name": "sea-1", "crew_count": 3})),
        ("reszie sea-1 to 4", ("resize_boat", {"boat_name": "sea-1", "crew_count": 4})),
        ("resize sea-1 to twenty-four", ("resize_boat", {"boat_name": "sea-1", "crew_count": 24})),
        ("give sea-1 a couple of nodes", ("resize_boat", {"boat_name": "sea-1", "crew_count": 2})),
        ("resize sea-1 to 4 on trn2.48xlarge",
         ("resize_boat", {"boat_name": "sea-1", "crew_count": 4, "hull_type": "ml.trn2.48xlarge"})),
        ("is sea-1 healthy?", ("describe_boat", {"boat_name": "sea-1"})),
        ("advise crew for sea-1 at 4k context", ("advise_crew", {"boat_name": "sea-1", "context_tokens": 4096})),
        ("search berths for 2 days", ("search_berths", {"nights": 48})),
    ],
)  # fmt: skip
def test_phrasings_with_typed_slots(text: str, expected: tuple) -> None:
    # GIVEN the declared phrasings WHEN a plain request is read THEN the slots hold values of their kinds
    assert call(ask(text)[1]) == expected


@pytest.mark.parametrize(
    ("text", "route", "tool", "name_field"),
    [
        ("scale sea-1 to 3", "fleet", "resize_boat", "boat_name"),
        ("scale pier-7 to 3", "harbor", "scale_dock", "dock_name"),
    ],
)
def test_a_name_decides_the_kind(text: str, route: str, tool: str, name_field: str) -> None:
    # GIVEN two tools with the same words for different resource kinds WHEN a name is used
    got_route, answer = ask(text)
    # THEN the kind of the name the account has decides the tool
    assert got_route == route and call(answer)[0] == tool and call(answer)[1][name_field] in text


def test_a_name_of_two_kinds_asks_back_with_the_candidates() -> None:
    # GIVEN "demo" is both a boat and a dock WHEN asked to scale demo
    _, answer = ask("scale demo to 2")
    # THEN opsbot asks which one, naming both readings
    assert not answer.tool_calls
    choices = answer.additional_kwargs["opsbot_clarify"]["choices"]
    assert {c["tool"] for c in choices} == {"resize_boat", "scale_dock"} and "demo" in answer.content


def test_a_tie_between_a_destructive_tool_and_a_read_goes_to_the_read() -> None:
    # GIVEN "show" and "delete" phrasings both explain a message equally (by construction here: nothing else)
    _, answer = ask("describe sea-1")
    assert call(answer)[0] == "describe_boat"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resize sea-1 to -2", "crew_count must be at least 1; got -2"),
        ("resize sea-1 to minus two", "crew_count must be at least 1; got -2"),
        ("resize sea-1 to 100000000000000000000", "crew_count 100000000000000000000 is far beyond"),
        ("resize sea-1 to 2.5", "crew_count must be a whole number; got 2.5"),
    ],
)
def test_a_number_the_schema_cannot_hold_is_a_one_line_error(text: str, message: str) -> None:
    # WHEN a count is negative, fractional or huge THEN one line says so and nothing is called
    _, answer = ask(text)
    assert not answer.tool_calls and message in answer.content and "\n" not in answer.content


def test_a_vague_count_is_asked_back() -> None:
    _, answer = ask("resize sea-1 to a few nodes")
    assert not answer.tool_calls and '"a few nodes"' in answer.content
    assert answer.additional_kwargs["opsbot_clarify"]["missing"] == ["crew_count"]


def test_a_missing_argument_is_asked_for() -> None:
    _, answer = ask("resize sea-1")
    assert answer.additional_kwargs["opsbot_clarify"] == {
        "tool": "resize_boat",
        "args": {"boat_name": "sea-1"},
        "missing": ["crew_count"],
    }


MEMORY = {
    "focus": {"kind": "boat", "name": "sea-1"},
    "last_call": {"name": "resize_boat", "args": {"boat_name": "sea-1", "crew_count": 2}},
    "results": {
        "tool": "search_berths",
        "ids": ["brt-aaa111", "brt-bbb222"],
        "items": [{"berth_id": "brt-aaa111", "price_usd": 900.0}, {"berth_id": "brt-bbb222", "price_usd": 450.0}],
    },
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scale it to 4", ("resize_boat", {"boat_name": "sea-1", "crew_count": 4})),
        ("actually make it 3", ("resize_boat", {"boat_name": "sea-1", "crew_count": 3})),
        ("same but with 6 nodes", ("resize_boat", {"boat_name": "sea-1", "crew_count": 6})),
        ("sink it", ("sink_boat", {"boat_name": "sea-1"})),
        ("buy the cheapest one as cheap-slot",
         ("book_berth", {"berth_id": "brt-bbb222", "booking_name": "cheap-slot"})),
        ("book the first one, call it first-slot",
         ("book_berth", {"berth_id": "brt-aaa111", "booking_name": "first-slot"})),
    ],
)  # fmt: skip
def test_follow_ups_resolve_against_memory(text: str, expected: tuple) -> None:
    # GIVEN a thread about sea-1, whose last call resized it and whose last results listed berths
    assert call(ask(text, MEMORY)[1]) == expected


def test_filters_do_not_carry_over_unless_asked() -> None:
    # GIVEN a last call with a hull type WHEN a new request does not say "same"
    memory = {"last_call": {"name": "resize_boat", "args": {"boat_name": "sea-1", "crew_count": 2, "hull_type": "x"}}}
    # THEN only what this message says is used
    assert call(ask("resize demo to 5", memory, names={"boat": ["sea-1", "demo"]})[1]) == (
        "resize_boat",
        {"boat_name": "demo", "crew_count": 5},
    )


def test_an_answer_completes_the_question_and_a_new_request_replaces_it() -> None:
    asked = {"asked": {"tool": "resize_boat", "args": {"boat_name": "sea-1"}, "missing": ["crew_count"]}}
    assert call(ask("3 nodes", asked, act="answer")[1]) == ("resize_boat", {"boat_name": "sea-1", "crew_count": 3})
    assert call(ask("list docks", asked, act="request")[1]) == ("list_docks", {})


def test_out_of_domain_routes_nowhere() -> None:
    assert ask("what's the weather like in Seattle?")[0] == "none"
