"""Conversations through the whole graph on toy toolsets: questions never file writes, dry runs file
nothing, follow-ups and corrections lean on the thread's memory, confirmations and cancellations
go through the approval service, and opsbot's questions never trap the thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.models.offline import OfflineChatModel
from agent.service import Opsbot
from tests.agent.toy import Sea, registered, toolsets


@pytest.fixture
def sea() -> Sea:
    return Sea()


@pytest.fixture
def bot(settings, sea: Sea) -> Iterator[Opsbot]:
    """opsbot over the fleet and harbor toolsets, offline model."""
    sets = toolsets(sea)
    with registered(*sets):
        yield Opsbot(settings, model=OfflineChatModel(toolsets=sets), toolsets=sets)


def statuses(bot: Opsbot) -> dict[str, str]:
    return {r.id: r.status for r in bot.list_approvals()}


@pytest.mark.parametrize(
    "question",
    ["should we sink sea-1?", "can we resize sea-1 to 3?", "what happens if I sink sea-1", "is it safe to sink sea-1?"],
)
def test_a_question_about_a_write_files_nothing(bot: Opsbot, sea: Sea, question: str) -> None:
    # WHEN someone asks about a write
    result = bot.ask(question, user="dave")
    # THEN they see its plan marked "not requested", with status preview and no id, and nothing is filed
    assert result.approval.status == "preview" and result.approval.id is None
    assert "Not requested" in result.reply and bot.list_approvals() == []
    assert sea.boats["sea-1"] == 2


def test_a_question_gets_a_read(bot: Opsbot) -> None:
    result = bot.ask("is sea-1 healthy?", user="dave")
    assert [c.name for c in result.tool_calls] == ["describe_boat"] and result.approval.status == "none"


def test_a_polite_request_is_a_request(bot: Opsbot) -> None:
    result = bot.ask("can you resize sea-1 to 3?", user="dave")
    assert result.approval.status == "pending" and result.approval.id


def test_a_dry_run_files_nothing_and_says_what_approval_it_would_need(bot: Opsbot) -> None:
    result = bot.ask("resize sea-1 to 3", user="dave", dry_run=True)
    assert result.approval.status == "preview" and result.approval.id is None
    assert "dry run" in result.reply and "1 approver" in result.reply and bot.list_approvals() == []


def test_do_it_files_what_was_only_shown(bot: Opsbot) -> None:
    # GIVEN a question about a write, answered with a preview
    first = bot.ask("should we resize sea-1 to 3?", user="dave")
    # WHEN the person says "do it"
    second = bot.ask("do it", user="dave", thread=first.thread)
    # THEN it is filed as a request, waiting for approval
    assert second.approval.status == "pending" and second.tool_calls[0].args == {"boat_name": "sea-1", "crew_count": 3}


def test_a_correction_of_a_preview_is_still_a_preview_and_do_it_files_the_corrected_call(bot: Opsbot) -> None:
    # GIVEN a question about a write, answered with a preview
    first = bot.ask("should we resize sea-1 to 3?", user="dave")
    # WHEN the person corrects it
    second = bot.ask("actually make it 4", user="dave", thread=first.thread)
    # THEN the corrected plan is shown, still not requested, and nothing is filed
    assert second.approval.status == "preview" and second.tool_calls[0].args["crew_count"] == 4
    assert bot.list_approvals() == []
    # WHEN they say "do it" THEN the corrected call is filed, not the first one
    third = bot.ask("do it", user="dave", thread=first.thread)
    assert third.approval.status == "pending" and third.tool_calls[0].args == {"boat_name": "sea-1", "crew_count": 4}
    assert len(bot.list_approvals()) == 1


def test_a_correction_supersedes_the_pending_request_and_names_both(bot: Opsbot) -> None:
    first = bot.ask("resize sea-1 to 3", user="dave")
    second = bot.ask("actually make it 4", user="dave", thread=first.thread)
    assert second.approval.status == "pending" and second.tool_calls[0].args["crew_count"] == 4
    assert first.approval.id in second.reply and second.approval.id in second.reply
    old = bot.get_approval(first.approval.id)
    assert old.status == "superseded" and old.replaced_by == second.approval.id


def test_cancel_that_withdraws_the_pending_request(bot: Opsbot, sea: Sea) -> None:
    first = bot.ask("resize sea-1 to 3", user="dave")
    result = bot.ask("cancel that", user="dave", thread=first.thread)
    assert "Withdrew" in result.reply and first.approval.id in result.reply
    assert statuses(bot) == {first.approval.id: "withdrawn"} and sea.boats["sea-1"] == 2
    again = bot.ask("cancel that", user="dave", thread=first.thread)
    assert "nothing to cancel" in again.reply


def test_yes_from_an_approver_decides_and_runs(bot: Opsbot, sea: Sea) -> None:
    # GIVEN dave's pending medium-risk request
    first = bot.ask("resize sea-1 to 3", user="dave")
    # WHEN alice says yes in the thread THEN it is decided through the approval service and runs once
    done = bot.ask("yes", user="alice", thread=first.thread)
    assert done.approval.status == "executed" and sea.boats["sea-1"] == 3
    assert [d.user for d in bot.get_approval(first.approval.id).decisions] == ["alice"]


def test_yes_from_the_requester_at_critical_risk_says_why_not(bot: Opsbot, sea: Sea) -> None:
    first = bot.ask("sink sea-1", user="alice")
    result = bot.ask("yes, do it", user="alice", thread=first.thread)
    assert "cannot approve" in result.reply and "no-self-approval" in result.reply
    assert statuses(bot) == {first.approval.id: "pending"} and "sea-1" in sea.boats


def test_buy_the_cheapest_one_after_a_search(bot: Opsbot) -> None:
    first = bot.ask("search berths", user="dave")
    result = bot.ask("buy the cheapest one as cheap-slot", user="dave", thread=first.thread)
    assert result.approval.status == "pending"
    assert result.tool_calls[0].args == {"booking_name": "cheap-slot", "berth_id": "brt-bbb222"}


def test_apply_that_turns_a_recommendation_into_one_request(bot: Opsbot) -> None:
    first = bot.ask("advise crew for sea-1", user="dave")
    result = bot.ask("apply that", user="dave", thread=first.thread)
    assert result.approval.status == "pending"
    assert [(c.name, c.args) for c in result.tool_calls] == [("resize_boat", {"boat_name": "sea-1", "crew_count": 5})]


def test_scale_it_uses_the_resource_in_focus(bot: Opsbot) -> None:
    first = bot.ask("describe demo boat", user="dave")
    result = bot.ask("scale it to 2", user="dave", thread=first.thread)
    assert result.tool_calls[0].args == {"boat_name": "demo", "crew_count": 2}


def test_an_answer_completes_the_question(bot: Opsbot) -> None:
    first = bot.ask("resize sea-1", user="dave")
    assert first.clarify and first.approval.status == "none"
    result = bot.ask("3", user="dave", thread=first.thread)
    assert result.approval.status == "pending" and result.tool_calls[0].args["crew_count"] == 3


def test_a_new_request_escapes_the_question_and_says_so(bot: Opsbot) -> None:
    first = bot.ask("resize sea-1", user="dave")
    result = bot.ask("list docks", user="dave", thread=first.thread)
    assert [c.name for c in result.tool_calls] == ["list_docks"]
    assert "dropped my question" in result.reply and "crew_count" in result.reply
    third = bot.ask("3", user="dave", thread=first.thread)
    assert third.approval.status == "none"  # the question is gone: "3" files nothing


def test_an_unknown_name_says_so_and_lists_the_closest(bot: Opsbot) -> None:
    result = bot.ask("resize sea-2 to 3", user="dave")
    assert "There is no boat called sea-2" in result.reply and "sea-1" in result.reply
    assert bot.list_approvals() == []


def test_an_ambiguous_name_asks_back_with_the_candidates(bot: Opsbot) -> None:
    first = bot.ask("scale demo to 2", user="dave")
    assert first.clarify and "resize a boat" in first.reply and "scale a dock" in first.reply
    result = bot.ask("the dock", user="dave", thread=first.thread)
    assert [(c.name, c.args) for c in result.tool_calls] == [("scale_dock", {"dock_name": "demo", "crane_count": 2})]


def test_a_number_no_argument_can_hold_is_one_line(bot: Opsbot) -> None:
    result = bot.ask("resize sea-1 to 100000000000000000000", user="dave")
    assert result.reply.startswith("error:") and "\n" not in result.reply and bot.list_approvals() == []
