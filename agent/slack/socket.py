"""``opsbot slack``: the Slack app over Socket Mode, for one machine behind a firewall.

Socket Mode needs no public URL: the app opens a WebSocket to Slack with the app-level token
(``OPSBOT_SLACK_APP_TOKEN``, ``xapp-…``, scope ``connections:write``) and the bot token
(``OPSBOT_SLACK_BOT_TOKEN``). The listeners are the same as in Lambda; lazy work runs in threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from agent.slack.app import build_app
from agent.slack.config import SlackConfigError, api_url, load_secrets

log = logging.getLogger("opsbot.slack")


def socket_mode_handler(app: Any, app_token: str) -> Any:
    """bolt's Socket Mode handler (the built-in client of slack_sdk, no extra dependency)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)


def run(settings: Any, bot: Any = None, handler_factory: Callable[[Any, str], Any] = socket_mode_handler) -> None:
    """Connect to Slack and serve until interrupted.

    The facade is built before connecting, so a bad policy or store fails here, not on the first message.
    """
    load_secrets.cache_clear()  # read the environment of this run, not an earlier one
    secrets = load_secrets()
    if not secrets.app_token:
        raise SlackConfigError(
            "no Slack app-level token: set OPSBOT_SLACK_APP_TOKEN or SLACK_APP_TOKEN "
            "(xapp-..., scope connections:write); Socket Mode needs it besides OPSBOT_SLACK_BOT_TOKEN"
        )
    if bot is None:
        from agent.service import Opsbot

        bot = Opsbot(settings)
    app = build_app(token=secrets.bot_token, signing_secret=secrets.signing_secret, bot=lambda: bot, api_url=api_url())
    log.info("opsbot Slack app connecting over Socket Mode")
    handler_factory(app, secrets.app_token).start()
