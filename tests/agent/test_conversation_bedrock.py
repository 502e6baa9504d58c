"""The conversation rules hold on the Bedrock back end too (Converse on the strict stand-in):
a question never files a write, a question goes to a read, and a follow-up is resolved from the
thread memory the specialist is shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent.models.bedrock import make_bedrock_model
from agent.service import Opsbot
from tests.agent.toy import Sea, registered, toolsets
from tests.fakes.bedrock_converse import StrictConverse, end_turn, tool_use
from tools.config import DEFAULT_BEDROCK_MODEL

MODEL_ID = DEFAULT_BEDROCK_MODEL.removeprefix("bedrock:")  # opsbot's one default model


@pytest.fixture
def sea() -> Sea:
    return Sea()



@pytest.fixture
def bot(settings, client: Any, sea: Sea) -> Iterator[Opsbot]:
    sets = toolsets(sea)
    with registered(*sets):
        yield Opsbot(settings, model=make_bedrock_model(settings, MODEL_ID, client=client), toolsets=sets)


def system_text(params: dict[str, Any]) -> str:
    return "\n".join(block.get("text", "") for block in params.get("system", []))


def test_a_question_never_files_the_write_the_model_proposes(bot: Opsbot, stub: StrictConverse, sea: Sea) -> None:
    # GIVEN a model that answers "should we sink sea-1?" with the destructive tool
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r1"))
    stub.add_response("converse", tool_use("sink_boat", {"boat_name": "sea-1"}, "t1"))
    # WHEN the question is asked
    result = bot.ask("should we sink sea-1?", user="dave")
    # THEN the graph only previews it: status preview, no id, nothing filed, the boat afloat
    assert result.approval.status == "preview" and result.approval.id is None
    assert bot.list_approvals() == [] and "sea-1" in sea.boats and "Not requested" in result.reply


def test_a_question_goes_to_a_read_and_the_rule_is_in_the_prompt(
    bot: Opsbot, stub: StrictConverse, client: Any
) -> None:
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r1"))
    stub.add_response("converse", tool_use("describe_boat", {"boat_name": "sea-1"}, "t1"))
    stub.add_response("converse", end_turn("sea-1 is fine, crew of 2."))
    result = bot.ask("is sea-1 healthy?", user="dave")
    assert [c.name for c in result.tool_calls] == ["describe_boat"] and result.approval.status == "none"
    specialist = system_text(client.sent[1])
    assert "A question never asks for a change" in specialist and "read the latest message as: question" in specialist
    assert '"is {boat_name} (ok|healthy|fine)"' in specialist  # the phrasings, as examples


def test_a_follow_up_is_resolved_from_the_thread_memory(bot: Opsbot, stub: StrictConverse, client: Any) -> None:
    # GIVEN a thread that looked at sea-1
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r1"))
    stub.add_response("converse", tool_use("describe_boat", {"boat_name": "sea-1"}, "t1"))
    stub.add_response("converse", end_turn("sea-1 has a crew of 2."))
    first = bot.ask("how is sea-1 doing", user="dave")
    # WHEN the person says "scale it to 3"
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "the boat in focus"}, "r2"))
    stub.add_response("converse", tool_use("resize_boat", {"boat_name": "sea-1", "crew_count": 3}, "t2"))
    result = bot.ask("scale it to 3", user="dave", thread=first.thread)
    # THEN the model was shown the resource in focus and the last call, and the request waits for approval
    shown = system_text(client.sent[-1])
    assert "Resource in focus: boat sea-1" in shown and 'Last call: describe_boat {"boat_name": "sea-1"}' in shown
    assert result.approval.status == "pending"


def test_a_name_the_account_lacks_is_not_called(bot: Opsbot, stub: StrictConverse) -> None:
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r1"))
    stub.add_response("converse", tool_use("resize_boat", {"boat_name": "pier-7", "crew_count": 3}, "t1"))
    result = bot.ask("resize pier-7 to 3", user="dave")
    assert "pier-7 is a dock, not a boat" in result.reply and bot.list_approvals() == []


def test_a_huge_number_from_the_model_is_one_line(bot: Opsbot, stub: StrictConverse) -> None:
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r1"))
    stub.add_response("converse", tool_use("resize_boat", {"boat_name": "sea-1", "crew_count": 10**20}, "t1"))
    result = bot.ask("resize sea-1 to 100000000000000000000", user="dave")
    assert result.reply.startswith("error:") and "\n" not in result.reply


def test_a_large_result_is_shortened_for_later_calls(bot: Opsbot, stub: StrictConverse, client: Any, sea: Sea) -> None:
    # GIVEN a fleet of 1,000 boats, listed in full in one turn
    sea.boats.update({f"boat-{n:04d}": 2 for n in range(1000)})
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r1"))
    stub.add_response("converse", tool_use("list_boats", {}, "t1"))
    stub.add_response("converse", end_turn("There are 1,002 boats."))
    first = bot.ask("list boats", user="dave")
    # THEN that turn's model call and the person got the whole listing
    full = client.sent[-1]["messages"][-1]["content"][0]["toolResult"]["content"][0]["text"]
    assert "boat-0999" in full and len(full) > 20_000
    assert len(first.result["data"]["boats"]) == 1002  # type: ignore[index]
    # WHEN the thread goes on
    stub.add_response("converse", tool_use("route_request", {"route": "fleet", "reason": "boats"}, "r2"))
    stub.add_response("converse", end_turn("sea-1 has a crew of 2."))
    bot.ask("and sea-1?", user="dave", thread=first.thread)
    # THEN the later call carries a shortened result that says so, not the 1,000 rows
    later = client.sent[-1]
    kept = next(b["toolResult"] for m in later["messages"] for b in m["content"] if "toolResult" in b)
    text = kept["content"][0]["text"]
    assert len(text) < 2_500 and "not repeated here" in text and "boat-0999" not in text
    assert len(str(later["messages"])) < 5_000
