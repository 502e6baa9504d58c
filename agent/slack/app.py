"""The opsbot Slack app: one bolt ``App`` for Socket Mode and for AWS Lambda.

Every listener acknowledges at once and does its work in a *lazy* listener (bolt runs it in a
thread under Socket Mode, and in a second, asynchronous invocation of the function in Lambda).
The acknowledgement path imports only bolt and this package; the agent is imported by the lazy
listeners, through ``default_bot``.

Listeners: ``/opsbot TEXT``, ``app_mention``, direct messages (``message.im``), the Approve and
Reject buttons of approval cards, and the Resume button of an interrupted run's card.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from agent.slack.client import quiet_bolt_token_warning, web_client
from agent.slack.flows import USAGE, BotProvider, Request, SlackWorker
from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION, RESUME_ACTION, delivery_key
from agent.slack.text import clip, escape, incoming

log = logging.getLogger("opsbot.slack")
COMMAND = "/opsbot"

_bot: Any = None
_bot_lock = threading.Lock()


def default_bot() -> Any:
    """The process's ``Opsbot``, built on first use from ``tools.config.get_settings()``.

    Built once per process (or Lambda container); the import happens here, never on the ack path.
    """
    global _bot
    with _bot_lock:
        if _bot is None:
            from agent.service import Opsbot
            from tools.config import get_settings

            _bot = Opsbot(get_settings())
        return _bot


def reset_default_bot() -> None:
    """Forget the cached facade (tests change settings between cases)."""
    global _bot
    with _bot_lock:
        _bot = None


def build_app(
    *,
    token: str,
    signing_secret: str | None,
    bot: BotProvider | None = None,
    api_url: str | None = None,
    process_before_response: bool = False,
    progress_interval: float = 5.0,
) -> App:
    """The bolt app with every opsbot listener registered.

    ``bot`` provides the ``Opsbot`` facade (default: ``default_bot``); ``api_url`` points the Web API
    client elsewhere (a local fake); ``process_before_response`` is True in Lambda.
    """
    quiet_bolt_token_warning()
    client = web_client(base_url=api_url)  # no token here: ``authorize`` gives each request the bot token
    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
        # One workspace, one bot token: no auth.test round trip to Slack on a container's first request.
        authorize=static_authorize(token),
        name="opsbot",
    )
    register(app, SlackWorker(bot or default_bot, progress_interval))
    return app


def static_authorize(token: str) -> Any:
    """bolt ``authorize`` for a single-workspace app: every request uses the one bot token.

    bolt's default would call ``auth.test`` on the first request of each process (a Slack round trip
    on the acknowledgement path of every cold Lambda container); opsbot needs nothing it returns.
    """

    def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token)

    return authorize


def strip_mentions(text: str) -> str:
    """The request as the person typed it: without ``<@U…>`` mentions, with Slack's entities decoded."""
    return incoming(text)


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a request came from (commands and events carry ``team_id``)."""
    return body.get("team_id") or (body.get("team") or {}).get("id") or None


def is_plain_dm(event: dict[str, Any]) -> bool:
    """A person's new message in a DM with opsbot (not an edit, a join, or a bot's echo)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def register(app: App, worker: SlackWorker) -> None:
    """Register the listeners: each kind acks in its ack function and works in its lazy function."""

    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        text = incoming(command.get("text"))
        # The echo is the person's own words: escaped, so a typed <!channel> stays text.
        ack(text=f":hourglass_flowing_sand: Working on `{COMMAND} {clip(escape(text), 2900)}`…" if text else USAGE)

    def run_command(client: WebClient, command: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        text = incoming(command.get("text"))
        if not text:
            return  # the ack already showed the usage
        req = Request(command["channel_id"], command["user_id"], text, None, delivery_key(body), respond, team_of(body))
        worker.handle_request(client, req)

    def ack_event(ack: Ack) -> None:
        ack()

    def run_message(client: WebClient, event: dict[str, Any], body: dict[str, Any]) -> None:
        # A mention in a channel or a DM: answer in the message's thread.
        req = Request(
            event["channel"],
            event["user"],
            strip_mentions(event.get("text", "")),
            event.get("thread_ts") or event["ts"],
            delivery_key(body),
            team=team_of(body),
        )
        worker.handle_request(client, req)

    def ack_action(ack: Ack) -> None:
        ack()

    def run_approve(client: WebClient, body: dict[str, Any]) -> None:
        worker.handle_decision(client, body, approve=True)

    def run_reject(client: WebClient, body: dict[str, Any]) -> None:
        worker.handle_decision(client, body, approve=False)

    def run_resume(client: WebClient, body: dict[str, Any]) -> None:
        worker.handle_resume(client, body)

    app.command(COMMAND)(ack=ack_command, lazy=[run_command])
    app.event("app_mention")(ack=ack_event, lazy=[run_message])
    app.event("message", matchers=[is_plain_dm])(ack=ack_event, lazy=[run_message])
    # Edits, joins and opsbot's own echoes are acknowledged and ignored (an unanswered event is retried).
    app.event("message")(ack_event)
    app.action(APPROVE_ACTION)(ack=ack_action, lazy=[run_approve])
    app.action(REJECT_ACTION)(ack=ack_action, lazy=[run_reject])
    app.action(RESUME_ACTION)(ack=ack_action, lazy=[run_resume])

    @app.error
    def log_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed on %s: %r", delivery_key(body) or body.get("type"), error)
