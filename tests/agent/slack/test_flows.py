"""The Slack worker under the strict fake: what people see stays true and complete when plans are large,
answers are long, data holds control sequences, Slack throttles or refuses, and threads have several
people in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import slack_sdk.http_retry.builtin_handlers as retry_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from agent.slack import cards
from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION, RESUME_ACTION, parse_button_value
from agent.slack.text import escape
from tests.agent.slack.conftest import CREATE, SlackHarness, post_card, press
from tests.agent.slack.payloads import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    DAVE,
    button,
    click,
    direct_message,
    event_callback,
    mention,
    slash_command,
)
from tools.errors import OpsbotError

ROOT = "1700000100.000100"
BAIT = "r&d/<!channel> <@U0EVIL01> <https://evil.example|click> notes.txt"


def card_posts(h: SlackHarness) -> list:
    """The accepted posts that carry buttons (cards), oldest first."""
    return [c for c in h.api.ok_calls_to("chat.postMessage") if any(b["type"] == "actions" for b in c.blocks)]


def ask_in_thread(h: SlackHarness, text: str, user: str, ts: str) -> None:
    """``user`` mentions opsbot with ``text`` in the thread ``ROOT`` (``ts`` is the new message)."""
    event = mention(text, user=user, ts=ts, thread_ts=ROOT) if ts != ROOT else mention(text, user=user, ts=ROOT)
    h.send_and_work(event_callback(event), json_body=True)


def card_id(call: object) -> str:
    return parse_button_value(button(call.blocks, APPROVE_ACTION)["value"])[0]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------ no silent cut
def test_a_plan_too_big_for_a_card_is_posted_in_full_in_the_thread_and_linked(harness: SlackHarness) -> None:
    # GIVEN a write whose plan has 1,500 changes
    harness.bot.plan["changes"] = [f"  group g-{i:04d}: 1 x ml.g5.xlarge at $1.41/h each" for i in range(1500)]
    # WHEN alice asks for it
    approval_id, blocks, card_ts = post_card(harness)
    # THEN the full plan was posted in the card's thread first, every change in it
    card = harness.api.message(CHANNEL, card_ts)
    plan_posts = [m for m in harness.api.thread(CHANNEL, card.thread_ts) if m.text.startswith("Full plan of")]
    assert plan_posts and all(float(m.ts) < float(card_ts) for m in plan_posts)
    shown = json.dumps([m.blocks for m in plan_posts])
    assert all(f"g-{i:04d}:" in shown for i in range(1500))
    # AND the card says how many changes it leaves out and links to the first part of the full plan
    more = next(b for b in blocks if b.get("block_id") == cards.MORE_BLOCK)["text"]["text"]
    assert "more changes (1500 in all)" in more
    assert f"archives/{CHANNEL}/p{plan_posts[0].ts.replace('.', '')}?thread_ts={card.thread_ts}" in more
    assert harness.bot.get_approval(approval_id).slack_ref == {"channel": CHANNEL, "ts": card_ts}


# ------------------------------------------------------------------------------------- rate limits
def test_a_rate_limited_card_is_retried_after_the_wait_slack_asks_for(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(retry_handlers, "time", SimpleNamespace(sleep=waits.append))
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in harness.app.client.retry_handlers)
    # GIVEN Slack answers the next post with 429 and Retry-After: 7
    harness.api.rate_limit("chat.postMessage", times=1, retry_after=7)
    # WHEN alice asks for a write with a mention (the card is the first post)
    harness.send_and_work(event_callback(mention(CREATE, ts=ROOT)), json_body=True)
    # THEN the client waited what Slack asked (without sleeping in the test) and the card went out
    assert len(waits) == 1 and 7 <= waits[0] < 8
    statuses = [c.status for c in harness.api.calls_to("chat.postMessage")]
    assert statuses == [429, 200] and card_posts(harness)
    assert harness.bot.get_approval("ap-0001").status == "pending"


# ------------------------------------------------------------------------------ card not posted
@pytest.mark.parametrize("error", ["invalid_blocks", "msg_too_long", "ratelimited"])
def test_a_card_that_cannot_be_posted_withdraws_the_request_and_tells_the_requester(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    monkeypatch.setattr(retry_handlers, "time", SimpleNamespace(sleep=lambda _s: None))
    # GIVEN Slack refuses the card (or keeps rate-limiting it past the retries)
    if error == "ratelimited":
        harness.api.rate_limit("chat.postMessage", times=3)
    else:
        harness.api.fail_next("chat.postMessage", error)
    # WHEN alice asks for a write
    harness.send_and_work(event_callback(mention(CREATE, ts=ROOT)), json_body=True)
    # THEN the request is not left pending: its requester's withdrawal is recorded
    ((approval_id, user),) = harness.bot.withdrawn
    assert user == "alice" and harness.bot.get_approval(approval_id).status == "withdrawn"
    assert harness.bot.list_approvals(status="pending") == []
    # AND alice is told in the thread, by mention, with Slack's reason
    told = harness.api.ok_calls_to("chat.postMessage")[-1]
    assert told.params["thread_ts"] == ROOT and f"<@{ALICE}>" in told.params["text"]
    assert approval_id in told.params["text"] and error in told.params["text"] and "withdrawn" in told.params["text"]


# --------------------------------------------------------------------------------- escaping out
def test_data_with_control_sequences_is_escaped_in_every_field_slack_receives(harness: SlackHarness) -> None:
    # GIVEN an answer and progress lines that hold an S3 key with Slack control sequences
    harness.bot.reply_text = f"1 object in s3://corpus\n  2026-01-01  1 B  STANDARD  {BAIT}\n  SQL: SELECT 1"
    harness.bot.ask_progress = [f"reading {BAIT}"]
    # WHEN alice's command echoes the key as she typed it (Slack sends it entity-encoded)
    response = harness.send(slash_command(f"show {escape(BAIT)}"))
    harness.lazy.drain()
    # THEN the ack echo, the thread root, the progress line, the reply's text and blocks all carry it escaped
    assert escape(BAIT) in response.body and "<!channel>" not in response.body
    root, progress, reply = harness.api.calls_to("chat.postMessage")
    for text in (root.params["text"], progress.params["text"], json.dumps(reply.blocks)):
        assert escape(BAIT) in text
    assert harness.bot.asks[0]["text"] == f"show {BAIT}"
    # AND no field Slack received holds a raw sequence
    assert not [t for t in harness.api.texts_received() if "<!channel>" in t or "<@U0EVIL01>" in t]
    assert harness.api.flags == []


# --------------------------------------------------------------------------------- decoding in
def test_incoming_text_is_decoded_before_it_reaches_opsbot(harness: SlackHarness) -> None:
    harness.send_and_work(slash_command("which objects in s3://corpus have prefix r&amp;d/"))
    text = "objects over 1 &lt; 2 GB in <http://corpus.example|corpus.example> &amp;&amp; r&amp;d/"
    harness.send_and_work(event_callback(mention(text, ts=ROOT)), json_body=True)
    assert [a["text"] for a in harness.bot.asks] == [
        "which objects in s3://corpus have prefix r&d/",
        "objects over 1 < 2 GB in corpus.example && r&d/",
    ]


# ---------------------------------------------------------------------------------- long answers
def test_a_long_answer_is_posted_in_parts_in_the_thread_with_every_row(harness: SlackHarness) -> None:
    rows = [f"  2026-01-01 04:42  {i:>8} KB  STANDARD  datasets/part-{i:05d}.parquet" for i in range(600)]
    harness.bot.reply_text = "600 objects\n" + "\n".join(rows) + "\nSQL run on DuckDB:"
    harness.send_and_work(event_callback(mention("list objects", ts=ROOT)), json_body=True)
    parts = harness.api.ok_calls_to("chat.postMessage")
    assert len(parts) > 1 and all(p.params["thread_ts"] == ROOT for p in parts)
    posted = "\n".join(b["text"]["text"] for p in parts for b in p.blocks if b["type"] == "section")
    assert all(row in posted for row in rows) and posted.rstrip().endswith("SQL run on DuckDB:")
    assert "```" in posted


# ------------------------------------------------------------------ ephemeral and update failures
def test_a_failed_decision_and_a_failed_ephemeral_leave_the_card_pending_with_buttons(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    approval_id, _, card_ts = post_card(harness)

    def busy(*args: object, **kwargs: object) -> None:
        raise OpsbotError(f"approval {approval_id} is being decided by someone else; try again")

    monkeypatch.setattr(harness.bot, "decide", busy)
    # GIVEN the refusal cannot be shown to bob (Slack refuses the ephemeral)
    harness.api.fail_next("chat.postEphemeral", "user_not_in_channel")
    # WHEN bob approves
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    # THEN the card is back to pending, with its buttons, not stuck at "working"
    card = json.dumps(harness.api.message(CHANNEL, card_ts).blocks)
    assert "opsbot_actions" in card and "working" not in card
    assert harness.bot.get_approval(approval_id).status == "pending"


def test_a_card_update_slack_refuses_falls_back_to_a_compact_card_without_stale_buttons(
    harness: SlackHarness,
) -> None:
    approval_id, _, card_ts = post_card(harness)
    harness.bot.expire(approval_id)
    # GIVEN Slack refuses the first update of the card
    harness.api.fail_next("chat.update", "invalid_blocks")
    # WHEN an approver comes back after the expiry
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    # THEN the compact card replaced it: no buttons, the expiry named with its (past) time
    card = harness.api.message(CHANNEL, card_ts)
    assert not [b for b in card.blocks if b["type"] == "actions"]
    status = json.dumps(card.blocks)
    epoch = int(status.split("*Expired* at <!date^")[1].split("^")[0])
    assert epoch <= datetime.now(UTC).timestamp()


def test_when_no_update_gets_through_the_thread_is_told_the_buttons_are_stale(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    # GIVEN Slack refuses every update ("working", then the result; full card and compact card)
    harness.api.fail_next("chat.update", "ratelimited", times=4)
    press(harness, REJECT_ACTION, BOB, approval_id, card_ts)
    # THEN the thread says the card is out of date and its buttons decide nothing
    posts = harness.api.ok_calls_to("chat.postMessage")
    note = [c.params["text"] for c in posts if "no longer decide" in c.params["text"]]
    assert note and approval_id in note[0] and "rejected" in note[0]


def test_a_pending_card_that_cannot_be_updated_is_posted_again(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    approval_id, _, card_ts = post_card(harness)
    monkeypatch.setattr(harness.bot, "decide", lambda *a, **k: (_ for _ in ()).throw(OpsbotError("busy")))
    # GIVEN every update of the card fails (the "working" line and the refresh, full and compact)
    harness.api.fail_next("chat.update", "ratelimited", times=4)
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    # THEN a new card with live buttons is in the thread, and clicks now count on it
    new_card = card_posts(harness)[-1]
    assert new_card.response["ts"] != card_ts and card_id(new_card) == approval_id
    assert harness.bot.get_approval(approval_id).slack_ref == {"channel": CHANNEL, "ts": new_card.response["ts"]}


# ------------------------------------------------------------------------- supersedes in a thread
def test_only_the_card_a_new_request_retires_is_updated(harness: SlackHarness) -> None:
    # GIVEN alice files three requests in one thread, each replacing the one before
    for n, ts in enumerate((ROOT, "1700000200.000100", "1700000300.000100"), start=1):
        ask_in_thread(harness, f"create a hyperpod cluster named demo with {n} trn2.48xlarge", ALICE, ts)
    first, second, third = card_posts(harness)
    # THEN each retired card was updated once, when it was retired; the live one never
    updates = [c.params["ts"] for c in harness.api.ok_calls_to("chat.update")]
    assert updates == [first.response["ts"], second.response["ts"]]
    assert [cards.status_of(harness.bot.get_approval(card_id(c))) for c in (first, second, third)] == [
        "superseded",
        "superseded",
        "pending",
    ]


def test_a_supersede_is_announced_to_the_requester_and_on_the_old_card(harness: SlackHarness) -> None:
    ask_in_thread(harness, CREATE, ALICE, ROOT)
    # WHEN bob (an approver) files a newer write in alice's thread
    ask_in_thread(harness, "create a hyperpod cluster named demo with 4 trn2.48xlarge", BOB, "1700000200.000100")
    first, second = card_posts(harness)
    old, new = card_id(first), card_id(second)
    # THEN the old card says what replaced it and when
    status = json.dumps(harness.api.message(CHANNEL, first.response["ts"]).blocks)
    assert f"replaced by `{new}` at <!date^" in status and "opsbot_actions" not in status
    # AND alice is told in the thread
    (note,) = [m.text for m in harness.api.thread(CHANNEL, ROOT) if "was replaced by" in m.text]
    assert note.startswith(":arrows_counterclockwise: alice: your request") and old in note and new in note
    # AND a late click on the old card is told what happened, with the time, not "expired"
    press(harness, APPROVE_ACTION, CAROL, old, first.response["ts"])
    told = harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    assert f"it was replaced by `{new}` at <!date^" in told and harness.bot.runs == []


def test_the_same_request_again_points_to_its_card_instead_of_posting_a_second_one(harness: SlackHarness) -> None:
    ask_in_thread(harness, CREATE, ALICE, ROOT)
    ask_in_thread(harness, CREATE, ALICE, "1700000200.000100")
    (card,) = card_posts(harness)
    note = harness.api.ok_calls_to("chat.postMessage")[-1].params["text"]
    assert "same request as the pending `ap-0001`" in note
    assert f"archives/{CHANNEL}/p{card.response['ts'].replace('.', '')}" in note
    assert harness.bot.get_approval("ap-0001").slack_ref == {"channel": CHANNEL, "ts": card.response["ts"]}


def test_someone_else_posting_a_write_in_a_thread_does_not_retire_the_pending_request(harness: SlackHarness) -> None:
    ask_in_thread(harness, CREATE, ALICE, ROOT)
    # WHEN dave, neither the requester nor an approver, posts a write in alice's thread
    ask_in_thread(harness, "create a hyperpod cluster named other with 1 trn2.48xlarge", DAVE, "1700000200.000100")
    first, second = card_posts(harness)
    # THEN alice's request stays pending with its buttons, dave's is filed on its own, and dave is told why
    assert harness.bot.get_approval(card_id(first)).status == "pending"
    assert harness.bot.get_approval(card_id(second)).status == "pending"
    assert harness.api.ok_calls_to("chat.update") == []
    told = [m.text for m in harness.api.thread(CHANNEL, ROOT) if "stays pending" in m.text]
    assert told and card_id(first) in told[0] and "only its requester or an approver" in told[0]


# -------------------------------------------------------------------------- clicks bound to the card
@pytest.mark.parametrize(
    "where",
    [{"team": "T0OTHER01"}, {"channel": "C0THER001"}, {"card": "another card"}],
    ids=["other-team", "other-channel", "other-card"],
)
def test_a_click_counts_only_on_its_own_card_in_its_own_team_and_channel(
    harness: SlackHarness, where: dict[str, str]
) -> None:
    approval_id, _, card_ts = post_card(harness)
    other_id, _, other_ts = post_card(harness, "create a hyperpod cluster named second with 1 trn2.48xlarge")
    # WHEN bob's approval of the first request arrives from elsewhere
    if "card" in where:
        press(harness, APPROVE_ACTION, BOB, approval_id, other_ts)
    else:
        harness.api.add_message(where.get("channel", CHANNEL), other_ts, user=BOB)
        press(harness, APPROVE_ACTION, BOB, approval_id, card_ts, **where)
    # THEN nothing is decided, and bob is told why
    assert harness.bot.runs == [] and harness.bot.get_approval(approval_id).status == "pending"
    assert "cannot decide" in harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    # AND the same click from the card itself works
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    assert harness.bot.runs == [approval_id] and other_id != approval_id


# ------------------------------------------------------------------------------ resume
def interrupted_card(h: SlackHarness) -> tuple[str, str]:
    """alice's request, approved by bob, whose run stopped without an outcome; its card shows Resume."""
    approval_id, _, card_ts = post_card(h)
    h.bot.interrupt(approval_id)
    h.app.client.chat_update(
        channel=CHANNEL, ts=card_ts, text="card", blocks=cards.approval_card(h.bot.get_approval(approval_id))
    )
    assert any(b["type"] == "actions" for b in h.api.message(CHANNEL, card_ts).blocks)
    return approval_id, card_ts


def test_resume_on_an_interrupted_card_runs_once_and_shows_the_outcome(harness: SlackHarness) -> None:
    approval_id, card_ts = interrupted_card(harness)
    # WHEN carol, an approver, presses Resume, and Slack delivers that click twice
    value = json.dumps({"id": approval_id, "thread": harness.bot.get_approval(approval_id).thread})
    body = click(RESUME_ACTION, value, CAROL, CHANNEL, card_ts)
    harness.send_and_work(body)
    harness.send_and_work(body)
    # THEN the run continued once, the card shows the outcome without buttons, and the thread has the answer
    assert harness.bot.runs == [approval_id]
    card = harness.api.message(CHANNEL, card_ts)
    assert "Done: create_hyperpod_cluster" in json.dumps(card.blocks)
    assert not [b for b in card.blocks if b["type"] == "actions"]
    assert "nothing created twice" in harness.api.ok_calls_to("chat.postMessage")[-1].params["text"]


def test_resume_is_only_for_the_requester_or_an_approver_on_the_cards_own_channel(harness: SlackHarness) -> None:
    approval_id, card_ts = interrupted_card(harness)
    # WHEN dave, neither the requester nor an approver, presses Resume
    press(harness, RESUME_ACTION, DAVE, approval_id, card_ts)
    # THEN nothing runs, he alone is told why, and the card keeps its Resume button
    assert harness.bot.runs == []
    assert "cannot resume" in harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    assert any(b["type"] == "actions" for b in harness.api.message(CHANNEL, card_ts).blocks)
    # WHEN the requester's click comes from another channel THEN it counts for nothing either
    harness.api.add_message("C0000ELSE1", card_ts, user=ALICE)
    press(harness, RESUME_ACTION, ALICE, approval_id, card_ts, channel="C0000ELSE1")
    assert harness.bot.runs == [] and "cannot decide" in harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    # AND the requester's click on the card resumes it
    press(harness, RESUME_ACTION, ALICE, approval_id, card_ts)
    assert harness.bot.runs == [approval_id]


def test_resume_after_the_sweep_finished_it_says_so_and_updates_the_card(harness: SlackHarness) -> None:
    approval_id, card_ts = interrupted_card(harness)
    record = harness.bot.get_approval(approval_id)
    harness.bot.records[approval_id] = record.model_copy(update={"status": "executed", "lease": None, "reply": "ok"})
    # WHEN bob presses the stale Resume button
    press(harness, RESUME_ACTION, BOB, approval_id, card_ts)
    # THEN nothing runs again, he is told, and the card now shows the outcome
    assert harness.bot.runs == []
    assert "no interrupted run" in harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    assert "Done: create_hyperpod_cluster" in json.dumps(harness.api.message(CHANNEL, card_ts).blocks)


# ------------------------------------------------------------------------------- audit head witness
def test_the_audit_head_is_carried_on_the_card_and_in_the_thread(harness: SlackHarness) -> None:
    approval_id, blocks, card_ts = post_card(harness)
    filed = harness.bot.audit_entries(limit=1)[-1]
    assert f"audit head `{filed.seq}:{filed.hash}`" in json.dumps(blocks)
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    head = harness.bot.audit_entries(limit=1)[-1]
    result = harness.api.ok_calls_to("chat.postMessage")[-1]
    assert f"audit head `{head.seq}:{head.hash}`" in json.dumps(result.blocks) and head.seq > filed.seq
    assert f"audit head `{head.seq}:{head.hash}`" in json.dumps(harness.api.message(CHANNEL, card_ts).blocks)


# ------------------------------------------------------------------------------ questions back
def test_a_question_in_a_channel_says_how_to_answer_it_and_in_a_dm_it_need_not(harness: SlackHarness) -> None:
    harness.send_and_work(event_callback(mention("scale the endpoint", ts=ROOT)), json_body=True)
    in_channel = json.dumps(harness.api.ok_calls_to("chat.postMessage")[-1].blocks)
    assert "Which endpoint" in in_channel and "mention @opsbot" in in_channel
    harness.send_and_work(event_callback(direct_message("scale the endpoint")), json_body=True)
    in_dm = json.dumps(harness.api.ok_calls_to("chat.postMessage")[-1].blocks)
    assert "Which endpoint" in in_dm and "mention @opsbot" not in in_dm
