"""``opsbot slack``: Socket Mode wiring, its configuration errors, and the lazy work in threads."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt import BoltRequest
from typer.testing import CliRunner

from agent.cli import app as cli
from agent.slack.config import SlackConfigError
from agent.slack.socket import run
from tests.agent.slack.fake_bot import FakeOpsbot
from tests.agent.slack.payloads import BOT_TOKEN, slash_command
from tests.fakes.slack_api import FakeSlackApi
from tools.config import get_settings


class RecordingHandler:
    """Stands in for bolt's SocketModeHandler: keeps the app instead of connecting to Slack."""

    def __init__(self, app: Any, app_token: str) -> None:
        self.app, self.app_token, self.started = app, app_token, False

    def start(self) -> None:
        self.started = True


def test_missing_app_token_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", BOT_TOKEN)
    result = CliRunner().invoke(cli, ["slack"])
    assert result.exit_code == 2
    assert "OPSBOT_SLACK_APP_TOKEN" in result.output and "Traceback" not in result.output


def test_missing_bot_token_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_SLACK_APP_TOKEN", "xapp-1")
    with pytest.raises(SlackConfigError, match="OPSBOT_SLACK_BOT_TOKEN"):
        run(get_settings(), bot=FakeOpsbot(), handler_factory=RecordingHandler)


def test_socket_mode_serves_the_same_listeners_with_lazy_work_in_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("OPSBOT_SLACK_APP_TOKEN", "xapp-1-test")
    bot = FakeOpsbot()
    handlers: list[RecordingHandler] = []

    def factory(app: Any, token: str) -> RecordingHandler:
        handlers.append(RecordingHandler(app, token))
        return handlers[-1]

    with FakeSlackApi() as api:
        monkeypatch.setenv("OPSBOT_SLACK_API_URL", api.base_url)
        # WHEN opsbot slack starts
        run(get_settings(), bot=bot, handler_factory=factory)
        (handler,) = handlers
        assert handler.started and handler.app_token == "xapp-1-test"
        # AND a slash command arrives over the socket (Socket Mode requests carry no HTTP signature)
        raw = slash_command("create a hyperpod cluster named demo with 2 trn2.48xlarge")
        api.observe_request(raw)
        body = dict(parse_qsl(raw))
        response = handler.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
        # THEN it is acknowledged, and the card follows from a worker thread
        assert response.status == 200
        card = api.wait_for("chat.postMessage", count=2)[-1]
        assert "opsbot_approve" in json.dumps(card.blocks)
        assert bot.asks[0]["user"] == "alice"
        api.assert_clean()
