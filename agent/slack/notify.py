"""Keep the Slack card true when a request is decided elsewhere (``opsbot approvals approve``).

The card is a view of the approval record; a decision taken in the terminal updates it and says
so in its thread, so people watching Slack are not left with live buttons on a finished request.
"""

from __future__ import annotations

import logging
from typing import Any

from agent.slack import cards, config
from agent.slack.refs import parse_thread
from agent.slack.text import escape

log = logging.getLogger("opsbot.slack")


def sync_card(record: Any, decided_by: str, client: Any = None) -> bool:
    """Update the record's Slack card and post the outcome in its thread. False when there is no
    card or no Slack token configured; Slack errors are logged, never raised (the decision stands)."""
    ref = record.slack_ref or {}
    if not ref.get("channel") or not ref.get("ts"):
        return False
    if client is None:
        token = config.env("slack_bot_token")
        if not token:
            return False
        from agent.slack.client import web_client

        client = web_client(token=token, base_url=config.api_url())
    from slack_sdk.errors import SlackApiError

    try:
        client.chat_update(
            channel=ref["channel"], ts=ref["ts"], text=cards.card_text(record), blocks=cards.approval_card(record)
        )
        thread = parse_thread(record.thread)
        text = f"{escape(decided_by)} decided `{escape(record.id)}` in the terminal.\n{cards.status_text(record)}"
        client.chat_postMessage(channel=ref["channel"], thread_ts=thread[1] if thread else ref["ts"], text=text)
    except SlackApiError as exc:
        log.warning("could not update the Slack card of %s: %s", record.id, exc)
        return False
    return True
