"""A decision taken in the terminal updates the Slack card and says so in its thread."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.service import Opsbot
from tests.fakes.slack_api import FakeSlackApi


def test_cli_approval_updates_the_card(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a request made in Slack whose card is at C1/100.1
    bot = Opsbot(settings)
    pending = bot.ask(
        "create a hyperpod cluster named from-slack with 2 trn2.48xlarge",
        user="dave",
        thread="slack:C1:100.1",
        channel="slack",
    )
    bot.attach_card(pending.approval.id, "C1", "100.2")
    with FakeSlackApi() as api:
        api.add_message("C1", "100.1", user="U0000DAVE0")
        api.add_bot_message("C1", "100.2", thread_ts="100.1")
        monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("OPSBOT_SLACK_API_URL", api.base_url)
        # WHEN alice approves it in the terminal
        result = CliRunner().invoke(app, ["approvals", "approve", pending.approval.id, "--as", "alice", "--json"])
        assert result.exit_code == 0 and json.loads(result.stdout)["approval"]["status"] == "executed"
        # THEN the card loses its buttons and the thread hears who decided
        update = api.wait_for("chat.update")[0]
        assert update.params["channel"] == "C1" and update.params["ts"] == "100.2"
        assert not [b for b in update.blocks if b.get("type") == "actions"]
        post = api.wait_for("chat.postMessage")[0]
        assert post.params["thread_ts"] == "100.1" and "alice decided" in post.params["text"]
        api.assert_clean()


def test_no_card_no_call(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.slack.notify import sync_card

    bot = Opsbot(settings)
    pending = bot.ask("create a hyperpod cluster named cli-only with 2 trn2.48xlarge", user="dave")
    monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", "xoxb-test")
    assert sync_card(bot.get_approval(pending.approval.id), "alice") is False
