"""Slack credentials: from the environment, or from one Secrets Manager secret, read once per process.

The names mirror ``tools.config.Settings`` (``OPSBOT_SLACK_BOT_TOKEN``, ``OPSBOT_SLACK_SIGNING_SECRET``,
``OPSBOT_SLACK_APP_TOKEN``, ``OPSBOT_SLACK_SECRET_ARN``) but are read straight from the environment,
because the Lambda acknowledgement path must not pay for importing pydantic settings. Slack's
conventional names (``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``) are accepted
too; the ``OPSBOT_`` name wins when both are set.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass

from tools.errors import OpsbotError

ENV_PREFIX = "OPSBOT_"
# Slack's own names for the same settings, as Slack's guides and bolt use them.
ALIASES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
}
# Keys accepted inside the Secrets Manager JSON, first match wins.
SECRET_KEYS = {
    "bot_token": ("bot_token", "OPSBOT_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
    "signing_secret": ("signing_secret", "OPSBOT_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
    "app_token": ("app_token", "OPSBOT_SLACK_APP_TOKEN", "SLACK_APP_TOKEN"),
}


class SlackConfigError(OpsbotError):
    """Slack credentials are missing or unreadable; the message says which and where to put them."""

    exit_code = 2


@dataclass(frozen=True)
class SlackSecrets:
    """What the Slack app needs to verify requests and call the Web API."""

    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        return "SlackSecrets(***)"


def env(name: str) -> str | None:
    """``OPSBOT_<NAME>`` from the environment, else Slack's conventional name for it; empty counts as unset."""
    alias = ALIASES.get(name)
    return os.environ.get(ENV_PREFIX + name.upper()) or (os.environ.get(alias) if alias else None) or None


def api_url() -> str | None:
    """Base URL of the Slack Web API when it is not Slack's (a local fake in tests and benchmarks)."""
    url = env("slack_api_url")
    if url and not url.endswith("/"):
        url += "/"
    return url


@functools.cache
def load_secrets() -> SlackSecrets:
    """The Slack secrets, from ``OPSBOT_SLACK_*`` or else the secret ``OPSBOT_SLACK_SECRET_ARN`` names.

    Cached: a Lambda container reads Secrets Manager once, not per request.
    """
    values = {key: env(f"slack_{key}") for key in SECRET_KEYS}
    arn = env("slack_secret_arn")
    if arn and not (values["bot_token"] and values["signing_secret"]):
        stored = _read_secret(arn)
        for key, names in SECRET_KEYS.items():
            values[key] = values[key] or next((stored[n] for n in names if stored.get(n)), None)
    if not values["bot_token"]:
        raise SlackConfigError(
            "no Slack bot token: set OPSBOT_SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN), or OPSBOT_SLACK_SECRET_ARN "
            'to a secret holding {"bot_token": "xoxb-...", "signing_secret": "..."}'
        )
    return SlackSecrets(values["bot_token"], values["signing_secret"], values["app_token"])


def _read_secret(arn: str) -> dict[str, str]:
    import boto3  # already loaded by bolt's Lambda adapter; imported here so Socket Mode does not need it

    try:
        text = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        data = json.loads(text)
    except Exception as exc:  # any failure here leaves the app unable to start; say why once
        raise SlackConfigError(f"cannot read the Slack secret {arn}: {exc}") from exc
    if not isinstance(data, dict):
        raise SlackConfigError(f"the Slack secret {arn} must be a JSON object of strings")
    return {str(k): str(v) for k, v in data.items()}
