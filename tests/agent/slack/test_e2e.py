"""The Slack app on the real ``Opsbot`` facade and the sandbox: slash command, card, refusals,
approval, one run, the result in the thread; reject; expiry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from agent.service import Opsbot
from agent.slack.app import build_app
from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION
from tests.agent.slack.conftest import SlackHarness
from tests.agent.slack.payloads import (
    ALICE,
    BOB,
    BOT_TOKEN,
    CAROL,
    CHANNEL,
    DAVE,
    SIGNING_SECRET,
    STRANGER,
    button,
    click,
    event_callback,
    mention,
    slash_command,
)
from tests.agent.slack.sandbox_checks import aws_writes, hyperpod_clusters
from tests.fakes.slack_api import FakeSlackApi
from tools.config import get_settings

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


@pytest.fixture
def real(slack_api: FakeSlackApi) -> SlackHarness:
    """GIVEN the Slack app on the real facade (offline model, sandbox, SQLite stores)."""
    bot = Opsbot(get_settings())
    app = build_app(
        token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        bot=lambda: bot,
        api_url=slack_api.base_url,
        process_before_response=True,
        progress_interval=0,
    )
    return SlackHarness(app, slack_api, bot)


def request_card(h: SlackHarness, text: str = CREATE) -> tuple[str, str]:
    """Send /opsbot TEXT as alice; returns (approval id, card ts)."""
    h.send_and_work(slash_command(text, user=ALICE))
    card = h.api.calls_to("chat.postMessage")[-1]
    approval_id = json.loads(button(card.blocks, APPROVE_ACTION)["value"])["id"]
    return approval_id, card.response["ts"]


def press(h: SlackHarness, action: str, user: str, approval_id: str, card_ts: str) -> None:
    value = json.dumps({"id": approval_id, "thread": h.bot.approvals.get(approval_id).thread})
    h.send_and_work(click(action, value, user, CHANNEL, card_ts))


def ephemeral_to(h: SlackHarness, user: str) -> list[str]:
    return [c.params["text"] for c in h.api.calls_to("chat.postEphemeral") if c.params["user"] == user]


def test_slash_command_card_refusals_approval_and_one_run(real: SlackHarness) -> None:
    settings = get_settings()
    # WHEN alice asks for a cluster
    approval_id, card_ts = request_card(real)
    card = real.api.calls_to("chat.postMessage")[-1]
    text = json.dumps(card.blocks)
    # THEN the card shows what will change, the hourly cost, the risk, the policy, requester and expiry
    assert "Approval needed: create_hyperpod_cluster" in text and "$111.94" in text
    assert "ml.trn2.48xlarge" in text and "alice" in text and "<!date^" in text and "region-allowed" in text
    assert real.bot.approvals.get(approval_id).slack_ref == {"channel": CHANNEL, "ts": card_ts}
    with aws_writes() as writes:
        # WHEN dave (not an approver of this tier), alice (the requester) and an unmapped user click Approve
        press(real, APPROVE_ACTION, DAVE, approval_id, card_ts)
        press(real, APPROVE_ACTION, ALICE, approval_id, card_ts)
        press(real, APPROVE_ACTION, STRANGER, approval_id, card_ts)
        # THEN each is told why, only they see it, and nothing ran
        assert "approvers-for-tier" in ephemeral_to(real, DAVE)[0]
        assert "no-self-approval" in ephemeral_to(real, ALICE)[0]
        assert ephemeral_to(real, STRANGER)
        assert writes == [] and "demo" not in hyperpod_clusters(settings)
        # WHEN bob approves
        press(real, APPROVE_ACTION, BOB, approval_id, card_ts)
        # AND carol clicks the stale button afterwards
        press(real, APPROVE_ACTION, CAROL, approval_id, card_ts)
    # THEN the cluster was created exactly once
    assert writes == ["sagemaker:CreateCluster"]
    assert hyperpod_clusters(settings).count("demo") == 1
    assert "already executed" in ephemeral_to(real, CAROL)[0]
    # AND the card says who approved, when, and the result, without buttons
    final = json.dumps([c for c in real.api.calls_to("chat.update") if c.params["ts"] == card_ts][-1].blocks)
    assert "Done: create_hyperpod_cluster" in final and "Approved by *bob*" in final
    assert "opsbot_actions" not in final and "nothing runs until" not in final
    # AND the result was posted in the request's thread
    thread_ts = real.api.calls_to("chat.postMessage")[0].response["ts"]
    replies = [c for c in real.api.calls_to("chat.postMessage") if c.params.get("thread_ts") == thread_ts]
    assert "demo" in replies[-1].params["text"]
    assert real.bot.approvals.get(approval_id).status == "executed"


def test_reject_runs_nothing_and_updates_the_card(real: SlackHarness) -> None:
    approval_id, card_ts = request_card(real, "create a hyperpod cluster named nope with 2 trn2.48xlarge")
    with aws_writes() as writes:
        press(real, REJECT_ACTION, BOB, approval_id, card_ts)
    assert writes == [] and "nope" not in hyperpod_clusters(get_settings())
    assert real.bot.approvals.get(approval_id).status == "rejected"
    final = json.dumps(real.api.calls_to("chat.update")[-1].blocks)
    assert "Rejected by *bob*" in final and "opsbot_actions" not in final


def test_expired_request_is_refused_and_never_runs(real: SlackHarness) -> None:
    approval_id, card_ts = request_card(real, "create a hyperpod cluster named late with 2 trn2.48xlarge")
    # GIVEN the request's expiry has passed (an approver comes back an hour later)
    record = real.bot.stores.approvals.get(approval_id)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    real.bot.stores.approvals.replace(record.model_copy(update={"expires_at": past}))
    with aws_writes() as writes:
        press(real, APPROVE_ACTION, BOB, approval_id, card_ts)
    assert writes == [] and "late" not in hyperpod_clusters(get_settings())
    assert "expired" in ephemeral_to(real, BOB)[0]
    final = json.dumps(real.api.calls_to("chat.update")[-1].blocks)
    assert "Expired" in final and "opsbot_actions" not in final


def test_critical_request_needs_two_distinct_approvers(real: SlackHarness) -> None:
    approval_id, card_ts = request_card(real, "delete hyperpod cluster llama-pretrain")
    assert real.bot.approvals.get(approval_id).approvals_needed == 2
    with aws_writes() as writes:
        # WHEN bob approves
        press(real, APPROVE_ACTION, BOB, approval_id, card_ts)
        # THEN the card keeps its buttons and says one more approver is needed; nothing ran
        card = json.dumps(real.api.calls_to("chat.update")[-1].blocks)
        assert "opsbot_actions" in card and "1 more approval(s) needed" in card and "1 of 2" in card
        assert writes == []
        # WHEN bob clicks again, then carol approves
        press(real, APPROVE_ACTION, BOB, approval_id, card_ts)
        assert "distinct-approvers" in ephemeral_to(real, BOB)[0]
        press(real, APPROVE_ACTION, CAROL, approval_id, card_ts)
    # THEN the cluster is deleted once, and the card shows both approvals
    assert writes == ["sagemaker:DeleteCluster"]
    final = json.dumps(real.api.calls_to("chat.update")[-1].blocks)
    assert "Approved by *bob*" in final and "Approved by *carol*" in final and "opsbot_actions" not in final


def test_a_newer_request_in_the_thread_takes_the_buttons_off_the_older_card(real: SlackHarness) -> None:
    # GIVEN a card for a request made with a mention
    root = "1700000100.000100"
    real.send_and_work(event_callback(mention(CREATE, user=DAVE, ts=root)), json_body=True)
    first = real.api.calls_to("chat.postMessage")[-1]
    first_id = json.loads(button(first.blocks, APPROVE_ACTION)["value"])["id"]
    # WHEN dave changes his mind in the same thread
    edit = mention(
        "create a hyperpod cluster named demo with 3 trn2.48xlarge", user=DAVE, ts="1700000200.000100", thread_ts=root
    )
    real.send_and_work(event_callback(edit), json_body=True)
    # THEN the old request is superseded and its card shows no buttons any more
    assert real.bot.approvals.get(first_id).status == "superseded"
    updates = [c for c in real.api.calls_to("chat.update") if c.params["ts"] == first.response["ts"]]
    assert updates and not [b for b in updates[-1].blocks if b.get("type") == "actions"]
    assert "replaced by a newer request" in json.dumps(updates[-1].blocks)
