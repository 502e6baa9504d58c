"""A decision taken in the terminal keeps the request's Slack card true (agent.notify)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.notify import NoNotifier, SlackCardSync, outcome_line
from agent.service import Opsbot
from tests.fakes.slack_api import FakeSlackApi
from tools.config import Settings, get_settings

CREATE = "create a hyperpod cluster named from-slack with 2 trn2.48xlarge"


def test_cli_approval_updates_the_card(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a request made in Slack whose card is at C1/100.2, in the thread 100.1
    bot = Opsbot(settings)
    pending = bot.ask(CREATE, user="dave", thread="slack:C1:100.1", channel="slack")
    bot.attach_card(str(pending.approval.id), "C1", "100.2")
    with FakeSlackApi() as api:
        api.add_message("C1", "100.1", user="U0000DAVE0")  # dave's request, and opsbot's card in its thread
        api.add_bot_message("C1", "100.2", thread_ts="100.1")
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")  # Slack's own name for the token works too
        monkeypatch.setenv("OPSBOT_SLACK_API_URL", api.base_url)
        # WHEN alice approves it in the terminal
        result = CliRunner().invoke(app, ["approvals", "approve", str(pending.approval.id), "--as", "alice", "--json"])
        assert result.exit_code == 0 and json.loads(result.stdout)["approval"]["status"] == "executed"
        # THEN the card loses its buttons and shows the outcome, and the thread hears who decided
        update = api.wait_for("chat.update")[0]
        assert update.params["channel"] == "C1" and update.params["ts"] == "100.2"
        assert not [b for b in update.blocks if b.get("type") == "actions"]
        assert "done" in json.dumps(update.blocks)
        post = api.wait_for("chat.postMessage")[0]
        assert post.params["thread_ts"] == "100.1" and "alice decided" in post.params["text"]
        api.assert_clean()


def test_a_request_still_waiting_keeps_its_buttons(settings: Settings) -> None:
    # GIVEN a critical request (two approvers) with a card, and a recording Slack client
    calls: list[tuple[str, dict]] = []

    class Client:
        def chat_update(self, **kw: object) -> None:
            calls.append(("update", kw))

        def chat_postMessage(self, **kw: object) -> None:
            calls.append(("post", kw))

    bot = Opsbot(settings, notifier=SlackCardSync(Client()))
    pending = bot.ask("delete the hyperpod cluster llama-pretrain", user="dave", thread="slack:C1:1.1")
    approval_id = str(pending.approval.id)
    assert pending.approval.approvals_needed == 2
    bot.attach_card(approval_id, "C1", "1.2")
    # WHEN the first of two approvers approves
    bot.decide(approval_id, user="alice", approve=True)
    # THEN only the thread hears of it; the card keeps its buttons for the second approver
    assert [c[0] for c in calls] == ["post"] and "1 more approval" in str(calls[0][1]["text"])


def test_no_card_no_call(settings: Settings) -> None:
    calls: list[object] = []

    class Client:
        def __getattr__(self, name: str) -> object:
            calls.append(name)
            return lambda **kw: None

    bot = Opsbot(settings, notifier=SlackCardSync(Client()))
    pending = bot.ask("create a hyperpod cluster named cli-only with 2 trn2.48xlarge", user="dave")
    bot.decide(str(pending.approval.id), user="alice", approve=False)
    assert calls == [] and "rejected" in outcome_line(bot.get_approval(str(pending.approval.id)))


def test_without_a_token_nobody_is_told() -> None:
    assert isinstance(SlackCardSync.from_settings(get_settings()), NoNotifier)


def test_the_notice_and_the_settled_card_escape_data(settings: Settings) -> None:
    # GIVEN a rejected Slack request whose reply quotes data with Slack control sequences
    from slack_sdk import WebClient

    bot = Opsbot(settings)
    pending = bot.ask(CREATE, user="dave", thread="slack:T1/C1:100.1", channel="slack")
    approval_id = str(pending.approval.id)
    bot.attach_card(approval_id, "C1", "100.2")
    bot.decide(approval_id, user="alice", approve=False)
    record = bot.get_approval(approval_id).model_copy(update={"status": "executed", "reply": "key <!channel> & co"})
    with FakeSlackApi() as api:
        api.add_message("C1", "100.1", user="U0000DAVE0")
        api.add_bot_message("C1", "100.2", thread_ts="100.1")
        # WHEN the notifier tells Slack
        SlackCardSync(WebClient(base_url=api.base_url)).decided(record, "alice")
        # THEN both the card and the thread notice carry the data escaped, in the card's thread
        assert "&lt;!channel&gt; &amp; co" in api.calls_to("chat.postMessage")[0].params["text"]
        assert api.calls_to("chat.postMessage")[0].params["thread_ts"] == "100.1"
        api.assert_clean()


def test_the_recovery_sweep_shows_an_interrupted_run_with_resume_then_its_outcome(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.approvals import ApprovalService
    from agent.notify import RESUME_ACTION, interrupted_card
    from agent.slack.refs import RESUME_ACTION as SLACK_RESUME_ACTION
    from agent.slack.refs import parse_button_value

    real_finish = ApprovalService.finish
    lost = [True, True]  # the first run's outcome and the first resumed run's outcome are lost

    def finish(self: ApprovalService, approval_id: str, **kw: object) -> object:
        if lost:
            lost.pop()
            raise RuntimeError("outcome not recorded")
        return real_finish(self, approval_id, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ApprovalService, "finish", finish)
    with FakeSlackApi() as api:
        # GIVEN dave's request in Slack (card C1/100.2 in thread 100.1) approved by alice, whose run was interrupted
        api.add_message("C1", "100.1", user="U0000DAVE0")
        api.add_message("C1", "100.0", user="U0000ALICE")
        api.add_bot_message("C1", "100.2", thread_ts="100.1")
        notifier = SlackCardSync.from_settings(
            get_settings(slack_bot_token="xoxb-test", slack_api_url=api.base_url), where="the recovery sweep"
        )
        bot = Opsbot(settings, notifier=notifier)
        pending = bot.ask(CREATE, user="dave", thread="slack:T1/C1:100.1", channel="slack")
        approval_id = str(pending.approval.id)
        bot.attach_card(approval_id, "C1", "100.2")
        with pytest.raises(RuntimeError):
            bot.decide(approval_id, user="alice", approve=True)
        # WHEN the sweep resumes it and that run is interrupted too
        (again,) = bot.sweep()
        assert again.action == "interrupted_again"
        # THEN the card shows the interruption and a Resume button bound to the request and its thread
        card = api.message("C1", "100.2")
        (actions,) = [b for b in card.blocks if b["type"] == "actions"]
        (resume,) = actions["elements"]
        assert resume["action_id"] == RESUME_ACTION == SLACK_RESUME_ACTION
        assert parse_button_value(resume["value"]) == (approval_id, "slack:T1/C1:100.1")
        assert "interrupted" in json.dumps(card.blocks) and "outcome not recorded" in json.dumps(card.blocks)
        # AND the thread hears it, addressed to the requester
        post = api.calls_to("chat.postMessage")[-1]
        assert post.params["thread_ts"] == "100.1" and post.params["text"].startswith("<@U0000DAVE0>: opsbot resumed")
        # WHEN the next sweep's run records its outcome
        (done,) = bot.sweep()
        # THEN the card shows the outcome without buttons, and the thread says it was resumed and done
        assert done.action == "resumed" and done.status == "executed"
        card = api.message("C1", "100.2")
        assert not [b for b in card.blocks if b["type"] == "actions"] and "executed" in json.dumps(card.blocks)
        assert "<@U0000DAVE0>" in api.calls_to("chat.postMessage")[-1].params["text"]
        assert interrupted_card(bot.get_approval(approval_id))[-1]["type"] == "actions"  # the card's shape, for Slack
        api.assert_clean()
