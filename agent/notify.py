"""Telling other places about decisions: the ``Notifier`` the facade calls after each decision.

A request filed in Slack may be decided in the terminal (``opsbot approvals approve``, the REPL).
``SlackCardSync`` keeps its Slack card true: the card shows the outcome without buttons, and the
thread hears who decided. It needs only ``slack_sdk.WebClient``, so the CLI never imports the
Slack app. The Slack app updates its own cards and gets no notifier.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agent.stores.approvals import ApprovalRecord
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


class Notifier(Protocol):
    """Told of each decision the facade records, with the request as it stands afterwards."""

    def decided(self, record: ApprovalRecord, by: str) -> None:
        """``by`` decided (or withdrew) ``record``; the record shows the outcome. Must not raise."""


class NoNotifier:
    """Tells nobody (the default: the Slack app keeps its own cards)."""

    def decided(self, record: ApprovalRecord, by: str) -> None:
        """Do nothing."""


def outcome_line(record: ApprovalRecord) -> str:
    """One line of where a request stands: status, who approved, and the first line of the result."""
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
