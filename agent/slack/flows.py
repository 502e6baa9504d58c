"""The work behind each Slack interaction, run after the acknowledgement (bolt lazy listeners).

Everything here talks to opsbot through the ``Opsbot`` facade only. Each delivery is first claimed
(``claim_delivery``), so a Slack retry or a repeated Lambda invocation does nothing the second time.

What people see is kept true when Slack fails: a card that cannot be posted withdraws its request
and says so; a card that cannot be updated is replaced by a smaller one, or re-posted while the
request is still pending, or followed by a note that its buttons no longer decide anything. A
click counts only on the card of its own request, in the workspace and channel it was made in.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from agent.slack import cards
from agent.slack.refs import delivery_key, parse_button_value, parse_thread_ref, thread_id
from agent.slack.text import clip, escape
from agent.tool_schemas import usage_text
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
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ECHO_LIMIT = 3000


@dataclass
class Request:
    """One request from Slack, whichever way it came (slash command, mention, DM)."""

    channel: str
    user_id: str
    text: str
    thread_ts: str | None  # None for a slash command: opsbot opens a thread for it
    key: str | None
    respond: Callable[..., Any] | None = None  # the slash command's response_url, when there is one
    team: str | None = None


def is_direct_message(channel: str) -> bool:
    """True for a DM with opsbot, where every message reaches it (no mention needed)."""
    return channel.startswith("D")


def mention(user_id: str) -> str:
    """``<@U…>`` for a well-formed Slack user id (from a signed request), else the id as text."""
    return f"<@{user_id}>" if SLACK_USER_ID.match(user_id) else escape(user_id)


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code of a failed call (``invalid_blocks``, ``ratelimited``, ...)."""
    response = getattr(exc, "response", None)
    try:
        return str(response.get("error") or "unknown_error") if response is not None else "unknown_error"
    except AttributeError:
        return "unknown_error"


def now_iso() -> str:
    """Now, UTC, ISO 8601 (the time a supersede was seen, when the record does not say)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Click:
    """A click on one of opsbot's cards that may act: who clicked, where, and the request it is for."""

    bot: Any
    user: str  # the person (policy identity) behind the Slack user
    slack_user: str
    channel: str | None
    approval_id: str
    record: Any
    thread_ts: str | None


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
            self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, text=clip(f":gear: {escape(message)}", ECHO_LIMIT)
            )
        except SlackApiError as exc:  # progress is best effort; the work goes on
            log.warning("progress message failed: %s", slack_error(exc))


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
        if bot.claim_delivery(key):
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
                    channel=req.channel, text=f"{mention(req.user_id)} asked: {clip(escape(req.text), ECHO_LIMIT)}"
                )
            except SlackApiError as exc:  # e.g. a private channel or a DM opsbot is not part of
                log.warning("cannot post in %s: %s", req.channel, slack_error(exc))
                if req.respond:
                    req.respond(text=CANNOT_POST, response_type="ephemeral")
                return
            thread_ts = root["ts"]
        if not req.text.strip():
            self._post(client, req.channel, thread_ts, usage_text())
            return
        thread = thread_id(req.channel, thread_ts, req.team)
        try:
            user = bot.identity("slack", req.user_id)
            before = self._pending_in(bot, thread)
            progress = Progress(client, req.channel, thread_ts, self.progress_interval)
            result = bot.ask(req.text, user=user, thread=thread, channel="slack", progress=progress)
        except Exception as exc:
            self._post(client, req.channel, thread_ts, self._say(exc))
            return
        approval = result.approval
        new_id = approval.id if approval.required and approval.status == "pending" else None
        if new_id:
            self._post_card(client, bot, req, thread_ts, new_id, user)
        else:
            asking_in_channel = result.clarify and not is_direct_message(req.channel)
            self._post_reply(client, req.channel, thread_ts, result, how_to_answer=asking_in_channel)
        self._sync_thread(client, bot, req, thread_ts, before, new_id, user)

    def _pending_in(self, bot: Any, thread: str) -> list[Any]:
        """The pending requests of ``thread`` before this message (to see what it changed)."""
        return bot.pending_in_thread(thread)

    def _post_card(self, client: Any, bot: Any, req: Request, thread_ts: str, approval_id: str, user: str) -> bool:
        """Post the card (after the full plan, when the card cannot show all of it) and remember it."""
        record = bot.get_approval(approval_id)
        ref = record.slack_ref or {}
        if ref.get("channel") and ref.get("ts"):  # the same request again: its card is already in Slack
            link = self._permalink(client, ref["channel"], ref["ts"])
            where = f"<{link}|its card>" if link else "its card, earlier in this thread,"
            self._post(
                client,
                req.channel,
                thread_ts,
                f":information_source: This is the same request as the pending `{escape(approval_id)}`: "
                f"{where} takes the decision.",
            )
            return True
        head = self._audit_head(bot)
        try:
            link = None
            if cards.card_omits(record):
                first = None
                for text, blocks in cards.full_plan_messages(record):
                    posted = client.chat_postMessage(channel=req.channel, thread_ts=thread_ts, text=text, blocks=blocks)
                    first = first or posted["ts"]
                link = self._permalink(client, req.channel, first)
            posted = client.chat_postMessage(
                channel=req.channel,
                thread_ts=thread_ts,
                text=cards.card_text(record),
                blocks=cards.approval_card(record, audit_head=head, plan_link=link),
            )
        except SlackApiError as exc:
            self._card_failed(client, bot, req, thread_ts, record, user, slack_error(exc))
            return False
        bot.attach_card(approval_id, req.channel, posted["ts"])
        return True

    def _card_failed(
        self, client: Any, bot: Any, req: Request, thread_ts: str, record: Any, user: str, error: str
    ) -> None:
        """No card, no pending request: withdraw it, and tell the requester why."""
        log.warning("card of %s not posted (Slack said %s); withdrawing it", record.id, error)
        try:
            bot.withdraw(record.id, user=user)
            outcome = "so the request was withdrawn and nothing will run"
        except Exception as exc:  # e.g. decided meanwhile; say what we know
            log.warning("could not withdraw %s: %r", record.id, exc)
            outcome = "and the request could not be withdrawn; check `opsbot approvals show` before anyone acts on it"
        text = (
            f":warning: {mention(req.user_id)} I could not post the approval card for `{escape(record.id)}` "
            f"(Slack said `{escape(error)}`), {outcome}. Please ask again."
        )
        if self._post(client, req.channel, thread_ts, text):
            return
        if self._ephemeral(client, req.channel, req.user_id, thread_ts, text):
            return
        if req.respond:
            try:
                req.respond(text=text, response_type="ephemeral")
            except Exception as exc:  # the requester cannot be reached at all; the log has it
                log.error("requester of %s could not be told: %r", record.id, exc)

    def _sync_thread(
        self, client: Any, bot: Any, req: Request, thread_ts: str, before: list[Any], new_id: str | None, user: str
    ) -> None:
        """Update the cards of the thread's requests this message ended (and only those); announce
        supersedes; tell a poster whose request did not replace someone else's why."""
        kept = []
        for old in before:
            if old.id == new_id:
                continue  # the same request again: it was reused, not replaced
            try:
                record = bot.get_approval(old.id)
            except Exception as exc:
                log.warning("cannot read %s: %r", old.id, exc)
                continue
            status = cards.status_of(record)
            if status == "pending":
                kept.append(record)
                continue
            retired = None
            if status == "superseded":
                by, at = self._supersede_facts(bot, record)
                retired = cards.Retirement(by=by or new_id, at=at or now_iso())
                self._announce_supersede(client, req, thread_ts, record, retired, user)
            self._update_card(client, bot, record, retired=retired)
        others = [r for r in kept if r.requester != user]
        if new_id and others:
            names = ", ".join(f"`{escape(r.id)}` ({escape(r.requester)})" for r in others)
            self._post(
                client,
                req.channel,
                thread_ts,
                f":information_source: {names} stays pending: only its requester or an approver can replace or "
                f"cancel it. Your request `{escape(new_id)}` is separate and needs its own approval.",
            )

    def _announce_supersede(
        self, client: Any, req: Request, thread_ts: str, record: Any, retired: cards.Retirement, user: str
    ) -> None:
        who = mention(req.user_id) if record.requester == user else escape(record.requester)
        by = f"`{escape(retired.by)}`" if retired.by else "a newer request"
        self._post(
            client,
            req.channel,
            thread_ts,
            f":arrows_counterclockwise: {who}: your request `{escape(record.id)}` was replaced by {by} "
            f"at {cards.slack_date(retired.at)} (by {escape(user)}). Its card no longer takes decisions; nothing ran.",
        )

    def _supersede_facts(self, bot: Any, record: Any) -> tuple[str | None, str | None]:
        """(new request id, time) of a supersede: from the record, else from the audit log's entry."""
        by, at = cards.superseded_by(record), cards.closed_at(record)
        if by and at:
            return by, at
        try:
            entries = [e for e in bot.audit_entries(limit=50, approval_id=record.id) if e.kind == "superseded"]
        except Exception as exc:  # the card still says it was superseded, without the details
            log.warning("audit entries of %s unavailable: %r", record.id, exc)
            entries = []
        if entries:
            by = by or (entries[-1].data or {}).get("replaced_by")
            at = at or entries[-1].at
        return by, at

    # ------------------------------------------------------------- decisions
    def _click(self, client: Any, body: dict[str, Any]) -> Click | None:
        """The click on one of opsbot's cards, claimed once and checked to come from that request's own
        card; None (having told the clicker why, when it matters) when it may do nothing."""
        action = (body.get("actions") or [{}])[0]
        slack_user = body["user"]["id"]
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        card_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
        try:
            approval_id, thread = parse_button_value(action.get("value", ""))
        except ValueError:
            log.warning("ignoring a click with a foreign value")
            return None
        bot = self.bot()
        if not self._first_delivery(bot, delivery_key(body)):
            return None
        user = bot.identity("slack", slack_user)
        try:
            record = bot.get_approval(approval_id)
        except Exception as exc:
            self._ephemeral(client, channel, slack_user, None, self._say(exc))
            return None
        where = parse_thread_ref(record.thread)
        thread_ts = where[2] if where else None
        foreign = self._foreign_click(record, thread, body, channel, card_ts)
        if foreign:
            log.warning("click for %s refused: %s", approval_id, foreign)
            self._ephemeral(
                client,
                channel,
                slack_user,
                None,
                f":no_entry_sign: This button cannot decide `{escape(approval_id)}`: {foreign}. Nothing was decided.",
            )
            return None
        return Click(bot, user, slack_user, channel, approval_id, record, thread_ts)

    def handle_decision(self, client: Any, body: dict[str, Any], approve: bool) -> None:
        """An Approve or Reject click: check the card and who clicked, decide, run, and update the card."""
        click = self._click(client, body)
        if click is None:
            return
        bot, user, slack_user, channel = click.bot, click.user, click.slack_user, click.channel
        approval_id, thread_ts = click.approval_id, click.thread_ts
        record = click.record
        why = bot.can_decide(approval_id, user=user)
        if why:
            record = bot.get_approval(approval_id)
            retired = self._retirement(bot, record)
            if retired:  # say what happened, not the store's word for it
                by = f" by `{escape(retired.by)}`" if retired.by else ""
                why = f"it was replaced{by} at {cards.slack_date(retired.at)}; nothing is left to decide"
            else:
                why = escape(why)
            self._ephemeral(
                client,
                channel,
                slack_user,
                thread_ts,
                f":no_entry_sign: You cannot decide `{escape(approval_id)}`: {why}",
            )
            if record.status != "pending":  # e.g. it expired meanwhile: the card drops its buttons
                self._update_card(client, bot, record, retired=retired)
            return
        verb = "approved" if approve else "rejected"
        self._update_card(client, bot, record, working=f":gear: {escape(user)} {verb}; working…")
        self._run_and_report(
            client, click, lambda progress: bot.decide(approval_id, user=user, approve=approve, progress=progress)
        )

    def handle_resume(self, client: Any, body: dict[str, Any]) -> None:
        """A Resume click on the card of an interrupted run: only its requester or an approver may; the
        run continues once (what already happened in AWS is checked first) and the card shows the outcome."""
        click = self._click(client, body)
        if click is None:
            return
        bot, user, approval_id = click.bot, click.user, click.approval_id
        why = bot.can_resume(approval_id, user=user)
        if why:
            self._ephemeral(
                client,
                click.channel,
                click.slack_user,
                click.thread_ts,
                f":no_entry_sign: You cannot resume `{escape(approval_id)}`: {escape(why)}",
            )
            record = bot.get_approval(approval_id)
            if cards.status_of(record) != "interrupted":  # e.g. the sweep finished it: the card says so
                self._update_card(client, bot, record, retired=self._retirement(bot, record))
            return
        self._update_card(client, bot, click.record, working=f":gear: {escape(user)} resumed it; working…")
        self._run_and_report(client, click, lambda progress: bot.resume(approval_id, user=user, progress=progress))

    def _run_and_report(self, client: Any, click: Click, work: Callable[[Any], Any]) -> None:
        """Do ``work`` (a decision or a resume) with progress in the thread, then show the request as it
        stands on its card and the answer in its thread; an error is told to the clicker alone."""
        channel, thread_ts, approval_id = click.channel, click.thread_ts, click.approval_id
        progress = Progress(client, channel, thread_ts, self.progress_interval) if thread_ts else (lambda _m: None)
        try:
            result = work(progress)
        except Exception as exc:
            self._ephemeral(client, channel, click.slack_user, thread_ts, self._say(exc))
            return
        finally:
            # Whatever happened, the card shows the request as it now stands (never stuck at "working").
            self._refresh_card(client, click.bot, approval_id)
        already_said = isinstance(progress, Progress) and result.reply in progress.posted
        if thread_ts and result.reply and not already_said:
            head = self._audit_head(click.bot)
            footer = f"Request `{escape(approval_id)}` · audit head `{escape(head)}`" if head else None
            self._post_reply(client, channel, thread_ts, result, footer=footer)

    @staticmethod
    def _foreign_click(record: Any, thread: str, body: dict[str, Any], channel: str | None, card_ts: str | None) -> str:
        """Why a click may not decide ``record`` ('' when it may): it must come from the request's
        own card, in the workspace and channel the request was made in."""
        ref = record.slack_ref or {}
        if not ref.get("channel") or not ref.get("ts"):
            return "the request has no card in Slack"
        if (ref["channel"], ref["ts"]) != (channel, card_ts):
            return "it is not on the card of that request"
        if thread != record.thread:
            return "it was made for another thread"
        where = parse_thread_ref(record.thread)
        team = where[0] if where else None
        if team:
            click_teams = {(body.get("team") or {}).get("id"), (body.get("user") or {}).get("team_id")} - {None}
            if click_teams != {team}:
                return "it was clicked from another workspace"
        return ""

    def _retirement(self, bot: Any, record: Any) -> cards.Retirement | None:
        if cards.status_of(record) != "superseded":
            return None
        by, at = self._supersede_facts(bot, record)
        return cards.Retirement(by=by, at=at)

    # --------------------------------------------------------------- helpers
    def _refresh_card(self, client: Any, bot: Any, approval_id: str) -> None:
        try:
            record = bot.get_approval(approval_id)
        except Exception as exc:
            log.warning("cannot refresh the card of %s: %r", approval_id, exc)
            return
        self._update_card(client, bot, record, retired=self._retirement(bot, record))

    def _update_card(
        self,
        client: Any,
        bot: Any,
        record: Any,
        working: str | None = None,
        retired: cards.Retirement | None = None,
    ) -> None:
        """Show ``record`` on its card. If Slack refuses, try a compact card; if that fails too, a
        pending request gets a new card in the thread, a finished one a note that the buttons are stale."""
        ref = record.slack_ref or {}
        channel, ts = ref.get("channel"), ref.get("ts")
        if not channel or not ts:
            return
        head = self._audit_head(bot)
        text = cards.card_text(record)
        attempts = [
            cards.approval_card(record, working, retired=retired, audit_head=head),
            cards.compact_card(record, working, retired=retired),
        ]
        error = ""
        for blocks in attempts:
            try:
                client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                error = slack_error(exc)
                log.warning("could not update the card of %s: %s", record.id, error)
        if working:
            return  # the refresh that follows the decision tries again
        where = parse_thread_ref(record.thread)
        thread_ts = where[2] if where else ts
        if record.status == "pending":
            try:
                posted = client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    text=text,
                    blocks=cards.approval_card(record, retired=retired, audit_head=head),
                )
            except SlackApiError as exc:
                log.error("card of %s could be neither updated nor re-posted: %s", record.id, slack_error(exc))
                return
            bot.attach_card(record.id, channel, posted["ts"])
            return
        self._post(
            client,
            channel,
            thread_ts,
            f":warning: The card of `{escape(record.id)}` could not be updated (Slack said `{escape(error)}`): "
            f"the request is {escape(cards.status_of(record))} now, and its buttons no longer decide anything.",
        )

    def _post_reply(
        self,
        client: Any,
        channel: str,
        thread_ts: str,
        result: Any,
        how_to_answer: bool = False,
        footer: str | None = None,
    ) -> None:
        for text, blocks in cards.reply_messages(result, how_to_answer=how_to_answer, footer=footer):
            try:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
            except SlackApiError as exc:
                error = slack_error(exc)
                log.warning("reply not posted: %s", error)
                self._post(client, channel, thread_ts, f":warning: I could not post my answer (Slack said `{error}`).")
                return

    def _post(self, client: Any, channel: str, thread_ts: str | None, text: str) -> bool:
        """A plain message in the thread; False when Slack refused it (logged)."""
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        except SlackApiError as exc:
            log.warning("message not posted in %s: %s", channel, slack_error(exc))
            return False
        return True

    def _ephemeral(self, client: Any, channel: str | None, user: str, thread_ts: str | None, text: str) -> bool:
        """A message only ``user`` sees; False when Slack refused it (logged, never raised)."""
        if not channel:
            return False
        try:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)
        except SlackApiError as exc:
            log.warning("ephemeral to %s not posted: %s", user, slack_error(exc))
            return False
        return True

    def _permalink(self, client: Any, channel: str, ts: str | None) -> str | None:
        if not ts:
            return None
        try:
            return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:  # the card still says where the full plan is
            log.warning("no permalink for %s: %s", ts, slack_error(exc))
            return None

    @staticmethod
    def _audit_head(bot: Any) -> str | None:
        """The audit log's head as ``SEQ:HASH`` (Slack keeps a copy: a witness if the log is cut)."""
        try:
            entries = bot.audit_entries(limit=1)
        except Exception as exc:
            log.warning("audit head unavailable: %r", exc)
            return None
        if not entries:
            return None
        head = max(entries, key=lambda e: e.seq)
        return f"{head.seq}:{head.hash}"

    @staticmethod
    def _say(exc: Exception) -> str:
        """opsbot's own errors are shown as they are; anything else is logged and named only."""
        if isinstance(exc, OpsbotError):
            return clip(f":no_entry_sign: {escape(str(exc))}", ECHO_LIMIT)
        log.error("slack request failed", exc_info=exc)
        return f":boom: opsbot failed on this request ({type(exc).__name__}); the logs have the details."
