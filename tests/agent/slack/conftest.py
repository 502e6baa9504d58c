"""Fixtures for the Slack app: the strict fake Slack Web API, the bolt app on a fake facade, and a lazy
runner that holds the work until the test runs it (so the acknowledgement and the work can be told apart).

Every test ends with ``assert_clean``: a call Slack would have refused, or a raw control sequence in
any text Slack received, fails the test that caused it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.lazy_listener import LazyListenerRunner

from agent.slack.app import build_app
from agent.slack.refs import APPROVE_ACTION, parse_button_value
from tests.agent.slack.fake_bot import FakeOpsbot
from tests.agent.slack.payloads import BOT_TOKEN, CHANNEL, SIGNING_SECRET, button, click, signed_headers, slash_command
from tests.fakes.slack_api import FakeSlackApi

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


class HeldLazyRunner(LazyListenerRunner):
    """Keeps started lazy listeners; ``drain`` runs them in this thread, in order."""

    def __init__(self, logger: Any) -> None:
        self.logger = logger
        self.pending: list[tuple[Callable[..., None], BoltRequest]] = []

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.pending.append((function, request))

    def drain(self) -> int:
        ran = 0
        while self.pending:
            function, request = self.pending.pop(0)
            self.run(function, request)
            ran += 1
        return ran


class SlackHarness:
    """The app under test plus helpers to send it signed requests."""

    def __init__(self, app: App, api: FakeSlackApi, bot: Any) -> None:
        self.app, self.api, self.bot = app, api, bot
        self.lazy = HeldLazyRunner(app.logger)
        app.listener_runner.lazy_listener_runner = self.lazy

    def send(self, body: str, headers: dict[str, str] | None = None, json_body: bool = False) -> BoltResponse:
        """Dispatch one HTTP request through the real bolt app (signature checks included)."""
        headers = headers if headers is not None else signed_headers(body, json_body=json_body)
        self.api.observe_request(body)  # Slack knows the sender and the message before the app does
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def send_and_work(self, body: str, json_body: bool = False) -> BoltResponse:
        """Send, check the ack, then run the lazy work."""
        response = self.send(body, json_body=json_body)
        assert response.status == 200, response.body
        self.lazy.drain()
        return response


def post_card(h: SlackHarness, text: str = CREATE) -> tuple[str, list[dict], str]:
    """Slash command -> card; returns (approval id, card blocks, card ts)."""
    h.send_and_work(slash_command(text))
    card = [c for c in h.api.calls_to("chat.postMessage") if c.blocks and c.ok][-1]
    approval_id, _ = parse_button_value(button(card.blocks, APPROVE_ACTION)["value"])
    return approval_id, card.blocks, card.response["ts"]


def press(h: SlackHarness, action: str, user: str, approval_id: str, card_ts: str, **where: str) -> None:
    """``user`` clicks ``action`` for ``approval_id`` on the message ``card_ts`` (``channel``/``team`` in ``where``)."""
    value = json.dumps({"id": approval_id, "thread": h.bot.get_approval(approval_id).thread})
    channel = where.pop("channel", CHANNEL)
    h.send_and_work(click(action, value, user, channel, card_ts, **where))


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    """GIVEN the strict fake Slack Web API on 127.0.0.1 (and THEN, after the test, Slack accepted everything)."""
    with FakeSlackApi() as api:
        yield api
        api.assert_clean()


@pytest.fixture
def fake_bot() -> FakeOpsbot:
    return FakeOpsbot()


def harness_on(slack_api: FakeSlackApi, bot: Any) -> SlackHarness:
    """The opsbot Slack app on ``bot`` (the fake facade or a real ``Opsbot``), with the Web API faked."""
    app = build_app(
        token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        bot=lambda: bot,
        api_url=slack_api.base_url,
        process_before_response=True,
        progress_interval=0,
    )
    return SlackHarness(app, slack_api, bot)


@pytest.fixture
def harness(slack_api: FakeSlackApi, fake_bot: FakeOpsbot) -> SlackHarness:
    """GIVEN the opsbot Slack app on the fake facade, with the Web API faked."""
    return harness_on(slack_api, fake_bot)
