"""Small, pure helpers shared by the ack path and the workers: thread ids, button values, delivery keys.

A Slack conversation is the opsbot thread ``slack:<team>/<channel>:<thread_ts>``, so a reply in the
same Slack thread (an answer to a question opsbot asked back, a decision an hour later) resumes it.
The team is part of the thread, and so of every approval's call hash: a card's buttons count only
in the workspace and channel the request was made in. The thread keeps three ``:``-separated parts,
the last one the thread's ts, so readers that only need the ts stay simple; ``slack:<channel>:<ts>``
(no team) is still read.
"""

from __future__ import annotations

import json
from typing import Any

APPROVE_ACTION = "opsbot_approve"
REJECT_ACTION = "opsbot_reject"
RESUME_ACTION = "opsbot_resume"  # on the card of an interrupted run (agent.notify draws the same button)


def thread_id(channel: str, thread_ts: str, team: str | None = None) -> str:
    """The opsbot thread of a Slack thread (in workspace ``team``)."""
    return f"slack:{team}/{channel}:{thread_ts}" if team else f"slack:{channel}:{thread_ts}"


def parse_thread(thread: str) -> tuple[str, str] | None:
    """(channel, thread_ts) of a Slack thread id, or None for threads from other front ends."""
    where = parse_thread_ref(thread)
    return (where[1], where[2]) if where else None


def parse_thread_ref(thread: str) -> tuple[str | None, str, str] | None:
    """(team, channel, thread_ts) of a Slack thread id (team None in the form without one), or None."""
    parts = (thread or "").split(":")
    if len(parts) != 3 or parts[0] != "slack" or not parts[1] or not parts[2]:
        return None
    team, _, channel = parts[1].rpartition("/")
    if not channel:
        return None
    return team or None, channel, parts[2]


def button_value(approval_id: str, thread: str) -> str:
    """What an Approve/Reject/Resume button carries: the approval id and the thread, never the arguments."""
    return json.dumps({"id": approval_id, "thread": thread}, separators=(",", ":"))


def parse_button_value(value: str) -> tuple[str, str]:
    """(approval_id, thread) of a button value; ValueError if it is not one of ours."""
    try:
        data = json.loads(value)
        return str(data["id"]), str(data["thread"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"not an opsbot button value: {value[:80]!r}") from None


def delivery_key(body: dict[str, Any]) -> str | None:
    """What identifies one Slack delivery across retries: the event id, or the trigger id of a command
    or a click. Retries and re-invocations carry the same key, so only the first one does any work."""
    if body.get("event_id"):
        return f"slack-event:{body['event_id']}"
    if body.get("type") == "block_actions" and body.get("trigger_id"):
        return f"slack-action:{body['trigger_id']}"
    if body.get("command") and body.get("trigger_id"):
        return f"slack-command:{body['trigger_id']}"
    return None
