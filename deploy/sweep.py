"""The recovery sweep, as the Lambda function runs it: an EventBridge schedule invokes the function
every few minutes and ``deploy.handler`` hands that event here.

The sweep (``Opsbot.sweep``) finishes approved calls whose run stopped without an outcome (a killed
container, an error after the AWS call) once their execution lease is over, gives up after
``OPSBOT_RECOVERY_MAX_ATTEMPTS`` tries, and tells Slack: the request's card is updated and the
outcome is posted in its thread, through the core notifier with the bot token the Slack app uses.

This module imports the agent; only the scheduled invocation loads it, never Slack's acknowledgement.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("opsbot.sweep")

_bot: Any = None
_lock = threading.Lock()


def sweep_bot() -> Any:
    """The container's facade for the sweep, built once: the deployment's settings, with the Slack
    card sync as its notifier (the bot token from the environment or the Slack secret)."""
    global _bot
    with _lock:
        if _bot is None:
            from agent.notify import NoNotifier, Notifier, SlackCardSync
            from agent.service import Opsbot
            from agent.slack.client import web_client
            from agent.slack.config import SlackConfigError, api_url, load_secrets
            from tools.config import get_settings

            notifier: Notifier
            try:
                notifier = SlackCardSync(web_client(load_secrets().bot_token, api_url()), where="the recovery sweep")
            except SlackConfigError as exc:  # finishing the runs matters more than telling Slack
                log.error("recovery sweep: Slack cannot be told (%s); the sweep runs without it", exc)
                notifier = NoNotifier()
            _bot = Opsbot(get_settings(), notifier=notifier)
        return _bot


def run_sweep(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Sweep once; returns (and logs) what was done with each interrupted request."""
    outcomes = sweep_bot().sweep()
    for o in outcomes:
        log.info("recovery sweep: %s %s -> %s: %s", o.approval_id, o.action, o.status, o.message)
    return {"swept": len(outcomes), "outcomes": [o.model_dump(mode="json") for o in outcomes]}


def reset() -> None:
    """Forget the cached facade, as a new container would (tests)."""
    global _bot
    with _lock:
        _bot = None
