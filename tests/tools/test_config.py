"""Settings: Slack's conventional variable names, and the one default Bedrock model."""

from __future__ import annotations

import pytest

from tools.config import DEFAULT_BEDROCK_MODEL, get_settings


def test_slack_names_with_and_without_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN Slack's own names in the environment
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-plain")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s-plain")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-plain")
    settings = get_settings()
    assert (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token) == (
        "xoxb-plain",
        "s-plain",
        "xapp-plain",
    )
    # WHEN the OPSBOT_ name is set too THEN it wins
    monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", "xoxb-opsbot")
    assert get_settings().slack_bot_token == "xoxb-opsbot"


def test_secrets_stay_out_of_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    assert "xoxb-secret" not in repr(get_settings())


def test_the_default_bedrock_model_is_a_valid_model_setting() -> None:
    assert get_settings(model=DEFAULT_BEDROCK_MODEL).model == DEFAULT_BEDROCK_MODEL
