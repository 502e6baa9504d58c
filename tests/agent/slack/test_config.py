"""Slack setup: Slack's conventional variable names work, and bolt stays quiet about the token."""

from __future__ import annotations

import logging

import pytest

import deploy.handler
from agent.slack.app import build_app
from agent.slack.config import load_secrets
from tests.agent.slack.payloads import BOT_TOKEN, SIGNING_SECRET


@pytest.fixture(autouse=True)
def fresh_secrets() -> None:
    """GIVEN no secrets cached from another test's environment."""
    load_secrets.cache_clear()
    deploy.handler.reset()


def test_slack_conventional_names_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-conventional")
    secrets = load_secrets()
    assert (secrets.bot_token, secrets.signing_secret, secrets.app_token) == (
        BOT_TOKEN,
        SIGNING_SECRET,
        "xapp-1-conventional",
    )
    # AND the Lambda handler builds from them alone
    assert deploy.handler.request_handler().app is not None


def test_the_opsbot_name_wins_over_the_conventional_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-conventional")
    monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", BOT_TOKEN)
    assert load_secrets().bot_token == BOT_TOKEN


@pytest.mark.parametrize("cold_starts", [1, 3])
def test_bolt_does_not_warn_that_the_token_is_unused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, cold_starts: int
) -> None:
    # GIVEN the bot token in Slack's conventional variable, which bolt also reads
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with caplog.at_level(logging.WARNING):
        for _ in range(cold_starts):  # each Lambda cold start builds the app again
            build_app(token=BOT_TOKEN, signing_secret=SIGNING_SECRET, bot=lambda: None)
    assert not [r for r in caplog.records if "token" in r.getMessage().lower()]
    # AND other bolt warnings still get through
    logging.getLogger("slack_bolt.App").warning("something else")
    assert "something else" in caplog.text
