"""The Slack app on the real ``Opsbot`` facade and the sandbox: slash command, card, refusals,
approval, one run, the result in the thread; reject; expiry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from agent.service import Opsbot
from agent.slack import cards
from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION
from agent.slack.text import escape
from tests.agent.fakes import ScriptedModel
from tests.agent.slack.conftest import CREATE, SlackHarness, harness_on
from tests.agent.slack.payloads import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    DAVE,
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
from tools.sandbox.core import get_sandbox


@pytest.fixture
def real(slack_api: FakeSlackApi) -> SlackHarness:
    """GIVEN the Slack app on the real facade (offline model, sandbox, SQLite stores)."""
    return harness_on(slack_api, Opsbot(get_settings()))


def request_card(h: SlackHarness, text: str = CREATE) -> tuple[str, str]:
    """Send /opsbot TEXT as alice; returns (approval id, card ts)."""
    h.send_and_work(slash_command(text, user=ALICE))
    card = h.api.calls_to("chat.postMessage")[-1]
    approval_id = json.loads(button(card.blocks, APPROVE_ACTION)["value"])["id"]
    return approval_id, card.response["ts"]


def press(h: SlackHarness, action: str, user: str, approval_id: str, card_ts: str) -> None:
    value = json.dumps({"id": approval_id, "thread": h.bot.get_approval(approval_id).thread})
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
    assert real.bot.get_approval(approval_id).slack_ref == {"channel": CHANNEL, "ts": card_ts}
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
    assert real.bot.get_approval(approval_id).status == "executed"


def test_reject_runs_nothing_and_updates_the_card(real: SlackHarness) -> None:
    approval_id, card_ts = request_card(real, "create a hyperpod cluster named nope with 2 trn2.48xlarge")
    with aws_writes() as writes:
        press(real, REJECT_ACTION, BOB, approval_id, card_ts)
    assert writes == [] and "nope" not in hyperpod_clusters(get_settings())
    assert real.bot.get_approval(approval_id).status == "rejected"
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
    assert real.bot.get_approval(approval_id).approvals_needed == 2
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


def test_a_newer_request_in_the_thread_retires_the_older_card_and_says_so(real: SlackHarness) -> None:
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
    second = [c for c in real.api.calls_to("chat.postMessage") if c.params.get("blocks")][-1]
    second_id = json.loads(button(second.blocks, APPROVE_ACTION)["value"])["id"]
    # THEN the old card shows no buttons and names what replaced it and when (a time that has passed)
    assert cards.status_of(real.bot.get_approval(first_id)) == "superseded"
    old_card = real.api.message(CHANNEL, first.response["ts"])
    assert not [b for b in old_card.blocks if b.get("type") == "actions"]
    status = json.dumps(old_card.blocks)
    assert f"replaced by `{second_id}` at <!date^" in status and "Superseded: create_hyperpod_cluster" in status
    epoch = int(status.split("replaced by")[1].split("<!date^")[1].split("^")[0])
    assert epoch <= datetime.now(UTC).timestamp()
    # AND dave is told in the thread, by name
    notes = [m.text for m in real.api.thread(CHANNEL, root) if "was replaced by" in m.text]
    assert notes == [notes[0]] and f"<@{DAVE}>" in notes[0] and first_id in notes[0] and second_id in notes[0]


def test_sixty_group_cluster_card_shows_all_sixty_groups(slack_api: FakeSlackApi) -> None:
    # GIVEN a model that asks for a cluster of 60 instance groups
    groups = [{"group_name": f"group-{i:02d}", "instance_type": "ml.g5.xlarge", "instance_count": 1} for i in range(60)]

    def decide(text: str) -> tuple[str, dict]:
        return "create_hyperpod_cluster", {"cluster_name": "wide", "instance_groups": groups}

    h = harness_on(slack_api, Opsbot(get_settings(), model=ScriptedModel("training", decide)))
    # WHEN alice asks for it in Slack
    approval_id, card_ts = request_card(h, "create the wide cluster")
    # THEN the approver sees every one of the 60 groups on the card itself, none cut
    card = json.dumps(h.api.message(CHANNEL, card_ts).blocks)
    assert all(f"group group-{i:02d}: 1 x ml.g5.xlarge at $1.41/h each" in card for i in range(60))
    assert "more change" not in card
    assert h.bot.get_approval(approval_id).status == "pending"


def test_s3_key_with_control_sequences_reaches_slack_escaped_everywhere(real: SlackHarness) -> None:
    # GIVEN an object whose key holds Slack control sequences
    key = "r&d/<!channel> <@U0EVIL01> <https://evil.example|click> notes.txt"
    sandbox = get_sandbox(get_settings())
    with sandbox.session():
        sandbox.client("s3").put_object(Bucket="training-data", Key=key, Body=b"x")
    # WHEN alice lists the prefix with /opsbot (Slack sends & < > as entities)
    real.send_and_work(slash_command("which objects in s3://training-data have prefix r&amp;d/", user=ALICE))
    # THEN opsbot read the request as typed
    posts = real.api.calls_to("chat.postMessage")
    assert "r&amp;amp;d" not in json.dumps([c.params for c in posts])
    # AND the key appears, escaped, in the answer's blocks and nowhere raw in any field Slack received
    assert escape(key) in json.dumps([c.blocks for c in posts])
    for text in real.api.texts_received():
        assert "<!channel>" not in text and "<@U0EVIL01>" not in text and "<https://evil" not in text
    assert real.api.flags == []


def test_a_card_slack_refuses_leaves_no_pending_request_on_the_real_facade(real: SlackHarness) -> None:
    # GIVEN Slack refuses the card
    real.api.fail_next("chat.postMessage", "invalid_blocks")
    # WHEN alice asks for a cluster with a mention (the card is opsbot's first post)
    with aws_writes() as writes:
        real.send_and_work(event_callback(mention(CREATE, user=ALICE, ts="1700000100.000100")), json_body=True)
    # THEN nothing is left pending without a card, nothing ran, and alice is told why
    assert real.bot.list_approvals(status="pending") == [] and writes == []
    told = real.api.ok_calls_to("chat.postMessage")[-1].params["text"]
    assert f"<@{ALICE}>" in told and "invalid_blocks" in told and "withdrawn" in told
