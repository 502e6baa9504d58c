"""Telling other places about decisions: the ``Notifier`` the facade calls after each decision.

A request filed in Slack may be decided in the terminal (``opsbot approvals approve``, the REPL).
``SlackCardSync`` keeps its Slack card true: the card shows the outcome without buttons, and the
thread hears who decided. It needs only ``slack_sdk.WebClient``, so the CLI never imports the
Slack app. The Slack app updates its own cards after its own decisions.

The recovery sweep (``Opsbot.sweep``) has no front end of its own: it tells the notifier what it did
with each interrupted run (``recovered``), and ``SlackCardSync`` updates the card (a Resume button
while the run is still interrupted) and posts the outcome in the card's thread, mentioning the people
concerned.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agent.stores.approvals import ApprovalRecord
    from agent.views import Recovery
    from tools.config import Settings

log = logging.getLogger("opsbot.notify")

OUTCOME = {
    "pending": "waiting for more approvals",
    "approved": "approved, running",
    "executing": "approved, running",
    "executed": "done",
    "failed": "failed",
    "rejected": "rejected; nothing ran",
    "withdrawn": "withdrawn by its requester; nothing ran",
    "expired": "expired; nothing ran",
    "superseded": "replaced by a newer request; nothing ran",
}
# The Resume button of an interrupted run. Its action id and value are the Slack app's
# (``agent.slack.refs``: RESUME_ACTION, button_value), which a test keeps in step with these.
RESUME_ACTION = "opsbot_resume"


class Notifier(Protocol):
    """Told of each decision the facade records, with the request as it stands afterwards."""

    def decided(self, record: ApprovalRecord, by: str) -> None:
        """``by`` decided (or withdrew) ``record``; the record shows the outcome. Must not raise."""

    def recovered(self, record: ApprovalRecord, recovery: Recovery) -> None:
        """The recovery sweep resumed, gave up on or expired ``record`` (as it stands now). Must not raise."""


class NoNotifier:
    """Tells nobody (the default: the Slack app keeps its own cards)."""

    def decided(self, record: ApprovalRecord, by: str) -> None:
        """Do nothing."""

    def recovered(self, record: ApprovalRecord, recovery: Recovery) -> None:
        """Do nothing."""


def outcome_line(record: ApprovalRecord) -> str:
    """One line of where a request stands: status, who approved, and the first line of the result."""
    if record.interrupted():
        return f"{record.id} interrupted: {record.interruption or 'its run stopped without an outcome'}"
    line = f"{record.id} {OUTCOME.get(record.status, record.status)}"
    if record.approved_by:
        line += f" (approved by {', '.join(dict.fromkeys(record.approved_by))})"
    if record.status == "pending":
        more = record.approvals_needed - len(set(record.approved_by))
        line += f"; {more} more approval(s) needed"
    detail = record.error if record.status == "failed" else record.reply
    if detail and record.status in ("executed", "failed"):
        line += f": {detail.strip().splitlines()[0]}"
    return line


class SlackCardSync:
    """Update the Slack card of a request decided outside Slack, and say so in its thread."""

    def __init__(self, client: Any, where: str = "the terminal") -> None:
        self.client, self.where = client, where

    @classmethod
    def from_settings(cls, settings: Settings, where: str = "the terminal") -> Notifier:
        """The Slack sync when a bot token is configured, else a notifier that tells nobody."""
        if not settings.slack_bot_token:
            return NoNotifier()
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

        base_url = settings.slack_api_url or WebClient.BASE_URL
        client = WebClient(token=settings.slack_bot_token, base_url=base_url)
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))  # wait out a 429
        return cls(client, where)

    def decided(self, record: ApprovalRecord, by: str) -> None:
        """Post the outcome in the card's thread; once the request is settled, replace the buttons with it.

        A request still waiting for more approvals keeps its buttons. Slack errors are logged, never
        raised: the decision stands whatever Slack says."""
        ref = record.slack_ref or {}
        if not ref.get("channel") or not ref.get("ts"):
            return
        from slack_sdk.errors import SlackApiError

        text = _clip(_escape(f"{by} decided {record.id} in {self.where}: {outcome_line(record)}"), 2900)
        try:
            if record.status != "pending":
                self.client.chat_update(channel=ref["channel"], ts=ref["ts"], text=text, blocks=settled_card(record))
            self.client.chat_postMessage(channel=ref["channel"], thread_ts=_thread_ts(record, ref["ts"]), text=text)
        except SlackApiError as exc:
            log.warning("could not update the Slack card of %s: %s", record.id, exc)

    def recovered(self, record: ApprovalRecord, recovery: Recovery) -> None:
        """Show what the recovery sweep did on the request's card and in its thread, mentioning the
        people it concerns. An interrupted run's card keeps a Resume button. Slack errors are logged."""
        ref = record.slack_ref or {}
        if not ref.get("channel") or not ref.get("ts"):
            return
        from slack_sdk.errors import SlackApiError

        people = " ".join(f"<@{uid}>" if uid else _escape(name) for name, uid in recovery.tell.items())
        text = _clip(f"{people + ': ' if people else ''}{_escape(recovery.message)}", 2900)
        blocks = interrupted_card(record, recovery) if record.interrupted() else settled_card(record)
        try:
            self.client.chat_update(
                channel=ref["channel"], ts=ref["ts"], text=_clip(_escape(outcome_line(record)), 2900), blocks=blocks
            )
        except SlackApiError as exc:
            log.warning("could not update the Slack card of %s: %s", record.id, exc)
        try:
            self.client.chat_postMessage(channel=ref["channel"], thread_ts=_thread_ts(record, ref["ts"]), text=text)
        except SlackApiError as exc:
            log.warning("could not post the recovery of %s in Slack: %s", record.id, exc)


def resume_button(record: ApprovalRecord) -> dict[str, Any]:
    """The Resume button of ``record``'s card, bound like the Slack app's buttons (request and thread)."""
    value = json.dumps({"id": record.id, "thread": record.thread}, separators=(",", ":"))
    return {
        "type": "button",
        "action_id": RESUME_ACTION,
        "text": {"type": "plain_text", "text": "Resume"},
        "style": "primary",
        "value": value,
    }


def interrupted_card(record: ApprovalRecord, recovery: Recovery | None = None) -> list[dict[str, Any]]:
    """The card of a run that stopped without an outcome: what it was, why it stopped, and Resume."""
    blocks = settled_card(record)
    blocks[0] = {"type": "header", "text": {"type": "plain_text", "text": f"interrupted: {record.tool}"[:150]}}
    tries = f" {record.resume_attempts} resumed run(s) so far." if record.resume_attempts else ""
    if recovery is not None:
        tries += f" opsbot tries up to {recovery.max_attempts} times."
    line = (
        f"{record.id} was interrupted: {record.interruption or 'its run stopped without an outcome'}.{tries} "
        "The requester or an approver may press Resume; a resumed run checks what already happened and never "
        "creates anything twice."
    )
    blocks[3] = {"type": "section", "text": {"type": "mrkdwn", "text": _clip(_escape(line), 2900)}}
    blocks.append({"type": "actions", "block_id": "opsbot_actions", "elements": [resume_button(record)]})
    return blocks


def settled_card(record: ApprovalRecord) -> list[dict[str, Any]]:
    """The card of a request that nobody can decide any more: what it was, and what came of it."""
    plan = record.plan or {}
    cost = plan.get("cost_usd_per_hour")
    facts = [f"*Risk* {record.risk} ({record.effect})", f"*Requester* {_escape(record.requester)}"]
    if cost is not None:
        facts.append(f"*Cost per hour* ${cost:,.2f}")
    decisions = [f"{d.decision} by {_escape(d.user)} at {d.at}" for d in record.decisions]
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"{record.status}: {record.tool}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape(plan.get('summary') or record.tool)}*"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(facts)}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(_escape(outcome_line(record)), 2900)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "; ".join(decisions) or "no decisions"}]},
    ]


def _thread_ts(record: ApprovalRecord, card_ts: str) -> str:
    # Slack threads are "slack:[<team>/]<channel>:<thread_ts>"; a card posted elsewhere threads under itself.
    parts = record.thread.split(":")
    return parts[2] if len(parts) == 3 and parts[0] == "slack" and parts[2] else card_ts


def _escape(text: str) -> str:
    # Names must never become links or mentions in Slack's mrkdwn.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    # Slack counts UTF-16 units; a cut never splits an entity and always shows that it is a cut.
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    cut = text.encode("utf-16-le")[: (limit - 1) * 2].decode("utf-16-le", errors="ignore")
    return re.sub(r"&[a-z]*$", "", cut) + "…"
