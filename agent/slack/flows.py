"""The work behind each Slack interaction, run after the acknowledgement (bolt lazy listeners).

Everything here talks to opsbot through the ``Opsbot`` facade only. Each delivery is first claimed
in the approval store (``claim_once``), so a Slack retry or a repeated Lambda invocation does
nothing the second time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from agent.slack import cards
from agent.slack.refs import delivery_key, parse_button_value, parse_thread, thread_id
from tools.errors import OpsbotError

log = logging.getLogger("opsbot.slack")
BotProvider = Callable[[], Any]
CANNOT_POST = (
    ":warning: I cannot post in this conversation. Invite me with `/invite @opsbot`, "
    "or send me the request as a direct message."
)
USAGE = (
    "Ask me about training, inference, caches or S3 data, for example "
    "`/opsbot create a hyperpod cluster named demo with 2 trn2.48xlarge`."
)


@dataclass
class Request:
    """One request from Slack, whichever way it came (slash command, mention, DM)."""

    channel: str
    user_id: str
    text: str
    thread_ts: str | None  # None for a slash command: opsbot opens a thread for it
    key: str | None
    respond: Callable[..., Any] | None = None  # the slash command's response_url, when there is one


class Progress:
    """Posts progress lines into the thread while AWS works, at most one per ``interval`` seconds
    (repeats dropped), so a long poll does not flood the thread."""

    def __init__(
        self,
        client: Any,
        channel: str,
        thread_ts: str,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        self.interval, self.clock = interval, clock
        self._last_at: float | None = None
        self._last_text: str | None = None
        self.posted: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        now = self.clock()
        with self._lock:
            if message == self._last_text or (self._last_at is not None and now - self._last_at < self.interval):
                return
            self._last_at, self._last_text = now, message
            self.posted.append(message)
        try:
            self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=f":gear: {message}")
        except SlackApiError as exc:  # progress is best effort; the work goes on
            log.warning("progress message failed: %s", exc)


class SlackWorker:
    """Runs requests and decisions against the facade and answers in Slack."""

    def __init__(self, bot: BotProvider, progress_interval: float = 5.0) -> None:
        self._bot = bot
        self.progress_interval = progress_interval

    def bot(self) -> Any:
        """The facade (built once per process by the provider)."""
        return self._bot()

    def _first_delivery(self, bot: Any, key: str | None) -> bool:
        if key is None:
            return True
        if bot.approvals.claim_once(key):
            return True
        log.info("delivery %s was already handled; doing nothing", key)
        return False

    # -------------------------------------------------------------- requests
    def handle_request(self, client: Any, req: Request) -> None:
        """Ask opsbot and answer in the thread: an approval card, a question back, or the reply."""
        bot = self.bot()
        if not self._first_delivery(bot, req.key):
            return
        thread_ts = req.thread_ts
        if thread_ts is None:
            try:
                root = client.chat_postMessage(
                    channel=req.channel, text=f"<@{req.user_id}> asked: {cards.escape(req.text)}"
                )
            except SlackApiError as exc:  # e.g. a private channel or a DM opsbot is not part of
                log.warning("cannot post in %s: %s", req.channel, exc)
                if req.respond:
                    req.respond(text=CANNOT_POST, response_type="ephemeral")
                return
            thread_ts = root["ts"]
        if not req.text.strip():
            client.chat_postMessage(channel=req.channel, thread_ts=thread_ts, text=USAGE)
            return
        thread = thread_id(req.channel, thread_ts)
        try:
            user = bot.identity("slack", req.user_id)
            progress = Progress(client, req.channel, thread_ts, self.progress_interval)
            result = bot.ask(req.text, user=user, thread=thread, channel="slack", progress=progress)
        except Exception as exc:
            self._report_failure(client, req.channel, thread_ts, exc)
            return
        approval = result.approval
        if approval.required and approval.status == "pending" and approval.id:
            record = bot.approvals.get(approval.id)
            posted = client.chat_postMessage(
                channel=req.channel,
                thread_ts=thread_ts,
                text=cards.card_text(record),
                blocks=cards.approval_card(record),
            )
            bot.approvals.set_slack_ref(approval.id, req.channel, posted["ts"])
            self._retire_superseded_cards(client, bot, thread, keep=approval.id)
            return
        text, blocks = cards.reply_blocks(result)
        client.chat_postMessage(channel=req.channel, thread_ts=thread_ts, text=text, blocks=blocks)

    def _retire_superseded_cards(self, client: Any, bot: Any, thread: str, keep: str) -> None:
        """A newer request in the thread replaced older ones: take the buttons off their cards."""
        for record in bot.approvals.list(status="superseded", limit=50):
            if record.thread == thread and record.id != keep and record.slack_ref:
                self._update_card(client, None, None, record)

    # ------------------------------------------------------------- decisions
    def handle_decision(self, client: Any, body: dict[str, Any], approve: bool) -> None:
        """An Approve or Reject click: check who clicked, decide, run, and update the card."""
        action = (body.get("actions") or [{}])[0]
        slack_user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        card_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
        try:
            approval_id, thread = parse_button_value(action.get("value", ""))
        except ValueError:
            log.warning("ignoring a click with a foreign value")
            return
        bot = self.bot()
        if not self._first_delivery(bot, delivery_key(body)):
            return
        user = bot.identity("slack", slack_user)
        try:
            record = bot.approvals.get(approval_id)
            why = bot.can_decide(approval_id, user=user)
        except Exception as exc:
            where = parse_thread(thread)
            self._ephemeral(client, channel, slack_user, where[1] if where else None, self._say(exc))
            return
        # The record's thread is authoritative; the button's copy only helps when the record has none.
        where = parse_thread(record.thread) or parse_thread(thread)
        thread_ts = where[1] if where else None
        if why:
            self._ephemeral(
                client, channel, slack_user, thread_ts, f":no_entry_sign: You cannot decide `{approval_id}`: {why}"
            )
            record = bot.approvals.get(approval_id)
            if record.status != "pending":  # e.g. it expired meanwhile: the card drops its buttons
                self._update_card(client, channel, card_ts, record)
            return
        verb = "approved" if approve else "rejected"
        self._update_card(client, channel, card_ts, record, f":gear: {user} {verb}; working…")
        progress = Progress(client, channel, thread_ts, self.progress_interval) if thread_ts else (lambda _m: None)
        try:
            result = bot.decide(approval_id, user=user, approve=approve, progress=progress)
        except Exception as exc:
            self._ephemeral(client, channel, slack_user, thread_ts, self._say(exc))
            self._refresh_card(client, bot, approval_id, channel, card_ts)
            return
        self._refresh_card(client, bot, approval_id, channel, card_ts)
        already_said = isinstance(progress, Progress) and result.reply in progress.posted
        if thread_ts and result.reply and not already_said:
            text, blocks = cards.reply_blocks(result)
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)

    # --------------------------------------------------------------- helpers
    def _refresh_card(self, client: Any, bot: Any, approval_id: str, channel: str | None, ts: str | None) -> None:
        self._update_card(client, channel, ts, bot.approvals.get(approval_id))

    def _update_card(
        self, client: Any, channel: str | None, ts: str | None, record: Any, working: str | None = None
    ) -> None:
        ref = record.slack_ref or {}
        channel, ts = ref.get("channel") or channel, ref.get("ts") or ts
        if not channel or not ts:
            return
        blocks = cards.approval_card(record, working=working)
        try:
            client.chat_update(channel=channel, ts=ts, text=cards.card_text(record), blocks=blocks)
        except SlackApiError as exc:  # the card is a view; the decision stands either way
            log.warning("could not update the card of %s: %s", record.id, exc)

    def _ephemeral(self, client: Any, channel: str | None, user: str, thread_ts: str | None, text: str) -> None:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)

    def _report_failure(self, client: Any, channel: str, thread_ts: str, exc: Exception) -> None:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=self._say(exc))

    @staticmethod
    def _say(exc: Exception) -> str:
        """opsbot's own errors are shown as they are; anything else is logged and named only."""
        if isinstance(exc, OpsbotError):
            return f":no_entry_sign: {exc}"
        log.error("slack request failed", exc_info=exc)
        return f":boom: opsbot failed on this request ({type(exc).__name__}); the logs have the details."
