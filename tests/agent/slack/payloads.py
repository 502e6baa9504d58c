"""Slack request bodies as Slack sends them, and their signatures (v0 HMAC-SHA256)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0000001"
CHANNEL = "C0000OPS1"
ALICE, BOB, CAROL, DAVE, STRANGER = "U0000ALICE", "U00000BOB0", "U000CAROL0", "U0000DAVE0", "U0STRANGER"
_ids = itertools.count(1)


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None, json_body: bool = False
) -> dict:
    """Headers of a request Slack signed with ``secret`` at ``timestamp`` (default now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "content-type": "application/json" if json_body else "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def slash_command(text: str, user: str = ALICE, channel: str = CHANNEL, trigger_id: str | None = None) -> str:
    """The form body of ``/opsbot TEXT``."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "opsbot-test",
            "channel_id": channel,
            "channel_name": "ml-ops",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/opsbot",
            "text": text,
            "api_app_id": "A0000OPS1",
            "response_url": "https://hooks.slack.com/commands/T0000001/1/abc",
            "trigger_id": trigger_id or f"trigger.{next(_ids)}",
        }
    )


def event_callback(event: dict[str, Any], event_id: str | None = None) -> str:
    """The JSON body of an Events API delivery."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0000OPS1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT0001", "is_bot": True}],
        }
    )


def mention(text: str, user: str = ALICE, channel: str = CHANNEL, ts: str = "1700000100.000100", **extra: Any) -> dict:
    """An ``app_mention`` event."""
    return {"type": "app_mention", "user": user, "text": f"<@UBOT0001> {text}", "channel": channel, "ts": ts, **extra}


def direct_message(text: str, user: str = ALICE, channel: str = "D0000ALICE", ts: str = "1700000200.000100") -> dict:
    """A ``message.im`` event."""
    return {"type": "message", "channel_type": "im", "user": user, "text": text, "channel": channel, "ts": ts}


def click(
    action_id: str,
    value: str,
    user: str,
    channel: str,
    message_ts: str,
    trigger_id: str | None = None,
    team: str = TEAM,
) -> str:
    """The form body of a button click on a message (``block_actions``) in workspace ``team``."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0000OPS1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": trigger_id or f"trigger.{next(_ids)}",
        "team": {"id": team, "domain": "opsbot-test"},
        "channel": {"id": channel, "name": "ml-ops"},
        "message": {"type": "message", "ts": message_ts, "bot_id": "BBOT0001", "text": "card"},
        "response_url": "https://hooks.slack.com/actions/T0000001/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "opsbot_actions",
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    """The button ``action_id`` in a card's blocks."""
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in the card")
