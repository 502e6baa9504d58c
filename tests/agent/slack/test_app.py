"""The Slack listeners through the real bolt App, on a fake facade and a fake Slack Web API."""

from __future__ import annotations

import json
import time

import pytest

from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION
from tests.agent.slack.conftest import CREATE, SlackHarness, post_card, press
from tests.agent.slack.payloads import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    DAVE,
    TEAM,
    button,
    click,
    direct_message,
    event_callback,
    mention,
    signed_headers,
    slash_command,
)
from tools.errors import OpsbotError


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_slash_command_acks_first_then_posts_the_card_in_a_thread(harness: SlackHarness) -> None:
    # WHEN alice sends /opsbot with a write request
    response = harness.send(slash_command(CREATE))
    # THEN Slack gets an immediate ack and nothing has run yet
    assert response.status == 200
    assert "Working on" in response.body
    assert harness.bot.asks == [] and harness.api.calls_to("chat.postMessage") == []
    # WHEN the lazy part runs
    harness.lazy.drain()
    root, card = harness.api.calls_to("chat.postMessage")
    # THEN the request is echoed as a thread root and the card is posted in that thread
    assert root.params["channel"] == CHANNEL and "asked" in root.params["text"]
    assert card.params["thread_ts"] == root.response["ts"]
    ask = harness.bot.asks[0]
    assert ask == {
        "text": CREATE,
        "user": "alice",
        "thread": f"slack:{TEAM}/{CHANNEL}:{root.response['ts']}",
        "channel": "slack",
    }
    text = all_text(card.blocks)
    for expected in (
        "Approval needed: create_hyperpod_cluster",
        "What will change",
        "$89.36",
        "open-ended",
        "high",
        "alice",
        "<!date^",
        "region-allowed",
        "trn2 capacity is limited",
    ):
        assert expected in text, expected
    # AND the card's message is remembered so it can be updated later
    record = harness.bot.get_approval("ap-0001")
    assert record.slack_ref == {"channel": CHANNEL, "ts": card.response["ts"]}


def test_buttons_carry_only_the_approval_id_and_thread(harness: SlackHarness) -> None:
    approval_id, blocks, _ = post_card(harness)
    for action in (APPROVE_ACTION, REJECT_ACTION):
        value = json.loads(button(blocks, action)["value"])
        # THEN no argument of the call travels in the button
        assert set(value) == {"id", "thread"}
        assert value["id"] == approval_id and value["thread"].startswith(f"slack:{TEAM}/{CHANNEL}:")
        assert "trn2" not in button(blocks, action)["value"]
    assert "confirm" in button(blocks, APPROVE_ACTION)  # high risk asks to confirm


def test_forged_signature_is_rejected_and_starts_nothing(harness: SlackHarness) -> None:
    body = slash_command(CREATE)
    # WHEN the request is signed with another secret
    response = harness.send(body, headers=signed_headers(body, secret="not-the-secret"))
    # THEN 401, and no work was started or done
    assert response.status == 401
    assert harness.lazy.pending == [] and harness.lazy.drain() == 0
    assert harness.bot.asks == [] and harness.api.calls == []


def test_old_timestamp_is_rejected(harness: SlackHarness) -> None:
    body = slash_command(CREATE)
    # WHEN a correctly signed request is replayed six minutes later
    response = harness.send(body, headers=signed_headers(body, timestamp=int(time.time()) - 360))
    assert response.status == 401
    assert harness.lazy.pending == [] and harness.bot.asks == []


def test_non_approver_is_refused_ephemerally_and_nothing_runs(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    # WHEN dave, who may not approve high-risk actions, clicks Approve
    press(harness, APPROVE_ACTION, DAVE, approval_id, card_ts)
    # THEN only dave sees why, and nothing ran
    (refusal,) = harness.api.calls_to("chat.postEphemeral")
    assert refusal.params["user"] == DAVE
    assert "approvers-for-tier" in refusal.params["text"]
    assert harness.bot.runs == []
    assert harness.bot.get_approval(approval_id).status == "pending"


def test_requester_cannot_approve_their_own_high_risk_request(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    press(harness, APPROVE_ACTION, ALICE, approval_id, card_ts)
    (refusal,) = harness.api.calls_to("chat.postEphemeral")
    assert "no-self-approval" in refusal.params["text"] and harness.bot.runs == []


def test_approver_click_runs_once_posts_progress_and_result_and_updates_the_card(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    thread_ts = harness.api.calls_to("chat.postMessage")[0].response["ts"]
    # WHEN bob approves
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    # THEN the action ran once
    assert harness.bot.runs == [approval_id]
    # AND the card was first marked as in progress (no buttons), then updated with who and the result
    working, final = harness.api.calls_to("chat.update")
    assert working.params["ts"] == card_ts and "bob approved; working" in all_text(working.blocks)
    assert "opsbot_actions" not in all_text(working.blocks)
    final_text = all_text(final.blocks)
    assert "Approved by *bob*" in final_text and "<!date^" in final_text and "Done" in final_text
    assert "Cluster demo created" in final_text and "opsbot_actions" not in final_text
    # AND progress and the result were posted in the thread
    thread_posts = [c.params["text"] for c in harness.api.calls_to("chat.postMessage")[2:]]
    assert thread_posts == [
        ":gear: creating cluster demo",
        ":gear: cluster demo is InService",
        "Cluster demo created (2 x ml.trn2.48xlarge).",
    ]
    assert all(c.params["thread_ts"] == thread_ts for c in harness.api.calls_to("chat.postMessage")[2:])
    # WHEN carol clicks the stale button afterwards
    press(harness, APPROVE_ACTION, CAROL, approval_id, card_ts)
    # THEN she is told it is already executed, and it did not run again
    assert "already executed" in harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    assert harness.bot.runs == [approval_id]


def test_reject_updates_the_card_and_runs_nothing(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    press(harness, REJECT_ACTION, BOB, approval_id, card_ts)
    assert harness.bot.runs == []
    final = harness.api.calls_to("chat.update")[-1]
    assert "Rejected by *bob*" in all_text(final.blocks) and "opsbot_actions" not in all_text(final.blocks)
    assert "Rejected: create_hyperpod_cluster" in all_text(final.blocks)
    assert "rejected" in harness.api.calls_to("chat.postMessage")[-1].params["text"]


def test_expired_request_is_refused_and_its_card_loses_the_buttons(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    # GIVEN the approver comes back after the request expired
    harness.bot.expire(approval_id)
    press(harness, APPROVE_ACTION, BOB, approval_id, card_ts)
    assert "already expired" in harness.api.calls_to("chat.postEphemeral")[-1].params["text"]
    final = harness.api.calls_to("chat.update")[-1]
    assert "Expired" in all_text(final.blocks) and "opsbot_actions" not in all_text(final.blocks)
    assert harness.bot.runs == []


def test_a_repeated_click_delivery_decides_once(harness: SlackHarness) -> None:
    approval_id, _, card_ts = post_card(harness)
    value = json.dumps({"id": approval_id, "thread": harness.bot.get_approval(approval_id).thread})
    body = click(REJECT_ACTION, value, BOB, CHANNEL, card_ts, trigger_id="trigger.same")
    harness.send_and_work(body)
    calls = len(harness.api.calls)
    # WHEN the same delivery arrives again
    harness.send_and_work(body)
    # THEN it does nothing more
    assert len(harness.api.calls) == calls


def test_policy_refusal_is_explained_in_the_thread(harness: SlackHarness) -> None:
    harness.send_and_work(slash_command("create a hyperpod cluster with 9999 trn2.48xlarge"))
    reply = harness.api.calls_to("chat.postMessage")[-1]
    assert "max-instances-per-action" in all_text(reply.blocks)
    assert reply.params["thread_ts"] == harness.api.calls_to("chat.postMessage")[0].response["ts"]
    assert "opsbot_actions" not in all_text(reply.blocks)


def test_empty_command_shows_usage_and_does_nothing(harness: SlackHarness) -> None:
    response = harness.send_and_work(slash_command(""))
    assert "/opsbot create" in response.body
    assert harness.bot.asks == [] and [m for m in harness.api.methods() if m != "auth.test"] == []


def test_app_mention_is_answered_in_its_thread_without_the_mention(harness: SlackHarness) -> None:
    harness.send_and_work(event_callback(mention("list my hyperpod clusters", ts="1700000100.000100")), json_body=True)
    assert harness.bot.asks[0]["text"] == "list my hyperpod clusters"
    assert harness.bot.asks[0]["thread"] == f"slack:{TEAM}/{CHANNEL}:1700000100.000100"
    reply = harness.api.calls_to("chat.postMessage")[-1]
    assert reply.params["thread_ts"] == "1700000100.000100" and "2 HyperPod clusters" in reply.params["text"]


def test_mention_inside_a_thread_continues_that_thread(harness: SlackHarness) -> None:
    event = mention("also 4 nodes", ts="1700000300.000100", thread_ts="1700000100.000100")
    harness.send_and_work(event_callback(event), json_body=True)
    assert harness.bot.asks[0]["thread"] == f"slack:{TEAM}/{CHANNEL}:1700000100.000100"


def test_direct_message_is_answered_in_a_thread(harness: SlackHarness) -> None:
    harness.send_and_work(event_callback(direct_message("list my hyperpod clusters")), json_body=True)
    assert harness.bot.asks[0]["thread"] == f"slack:{TEAM}/D0000ALICE:1700000200.000100"
    assert harness.api.calls_to("chat.postMessage")[-1].params["thread_ts"] == "1700000200.000100"


def test_bot_echoes_and_edits_are_acknowledged_and_ignored(harness: SlackHarness) -> None:
    echo = {**direct_message("card"), "bot_id": "BBOT0001"}
    edit = {**direct_message("x"), "subtype": "message_changed"}
    for event in (echo, edit):
        response = harness.send(event_callback(event), json_body=True)
        assert response.status == 200
    assert harness.lazy.drain() == 0 and harness.bot.asks == []


def test_slack_retry_of_a_handled_event_starts_nothing_twice(harness: SlackHarness) -> None:
    body = event_callback(mention("list my hyperpod clusters"), event_id="Ev0RETRY01")
    harness.send_and_work(body, json_body=True)
    posts = len(harness.api.calls_to("chat.postMessage"))
    # WHEN Slack retries the same event
    headers = {**signed_headers(body, json_body=True), "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    assert harness.send(body, headers=headers).status == 200
    harness.lazy.drain()
    # THEN opsbot was asked once and answered once
    assert len(harness.bot.asks) == 1
    assert len(harness.api.calls_to("chat.postMessage")) == posts


def test_url_verification_is_answered(harness: SlackHarness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "legacy"})
    response = harness.send(body, json_body=True)
    assert response.status == 200 and "abc123" in response.body


def test_command_where_opsbot_cannot_post_is_answered_privately(harness: SlackHarness) -> None:
    # GIVEN a conversation opsbot is not part of (Slack refuses its messages there)
    harness.api.failures["chat.postMessage"] = "channel_not_found"
    body = slash_command(CREATE).replace(
        "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0000001%2F1%2Fabc",
        harness.api.base_url.replace("/api/", "/response").replace(":", "%3A").replace("/", "%2F"),
    )
    harness.send_and_work(body)
    # THEN the requester is told, through the command's response URL, how to reach opsbot
    (answer,) = harness.api.calls_to("/response")
    assert "/invite @opsbot" in answer.params["text"] and answer.params["response_type"] == "ephemeral"
    assert harness.bot.asks == []


def test_an_internal_failure_is_named_in_the_thread_without_details(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(harness.bot, "ask", broken)
    harness.send_and_work(slash_command(CREATE))
    reply = harness.api.calls_to("chat.postMessage")[-1].params["text"]
    assert "RuntimeError" in reply and "secret internals" not in reply


def test_an_opsbot_error_is_shown_as_is(harness: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OpsbotError("policy file /x does not exist; writes are refused until it does")

    monkeypatch.setattr(harness.bot, "ask", refused)
    harness.send_and_work(slash_command(CREATE))
    assert "policy file /x does not exist" in harness.api.calls_to("chat.postMessage")[-1].params["text"]
