"""Block Kit builders and the progress poster, without Slack."""

from __future__ import annotations

import json
from typing import Any

from agent.service import ApprovalView, AskResult, PolicyFinding
from agent.slack import cards
from agent.slack.flows import Progress
from agent.slack.refs import button_value, delivery_key, parse_button_value, parse_thread, thread_id
from tests.agent.slack.fake_bot import FakeOpsbot


def pending_record() -> Any:
    bot = FakeOpsbot()
    result = bot.ask("create it", user="alice", thread="slack:C1:1.2")
    return bot.get_approval(result.approval.id)


def test_card_fields_stay_within_slack_limits_and_names_are_escaped() -> None:
    record = pending_record()
    record = record.model_copy(
        update={"requester": "<!channel> mallory", "plan": {**record.plan, "changes": ["x" * 5000]}}
    )
    blocks = cards.approval_card(record)
    text = json.dumps(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    assert len(blocks) <= 50


def test_indented_changes_become_sub_items() -> None:
    record = pending_record()
    changes = ["create cluster demo", "  group workers: 2 x ml.trn2.48xlarge"]
    record = record.model_copy(update={"plan": {**record.plan, "changes": changes}})
    text = json.dumps(cards.approval_card(record), ensure_ascii=False)
    assert "• create cluster demo" in text and "    ◦ group workers" in text


def test_working_line_replaces_the_buttons() -> None:
    blocks = cards.approval_card(pending_record(), working="bob approved; working…")
    assert "opsbot_actions" not in json.dumps(blocks) and "bob approved; working" in json.dumps(blocks)


def test_refusal_reply_lists_the_broken_rules() -> None:
    result = AskResult(
        thread="t",
        approval=ApprovalView(required=True, status="refused"),
        policy=[PolicyFinding(rule="max-instances-per-action", ok=False, message="too many"),
                PolicyFinding(rule="region-allowed", ok=True, message="fine")],
        reply="refused",
    )  # fmt: skip
    _, blocks = cards.reply_blocks(result)
    text = json.dumps(blocks)
    assert "max-instances-per-action" in text and "region-allowed" not in text


def test_refs_round_trip_and_delivery_keys() -> None:
    assert parse_thread(thread_id("C1", "17.5")) == ("C1", "17.5")
    assert parse_thread("cli-abc") is None
    assert parse_button_value(button_value("ap-1", "slack:C1:17.5")) == ("ap-1", "slack:C1:17.5")
    assert delivery_key({"event_id": "Ev1"}) == "slack-event:Ev1"
    assert delivery_key({"type": "block_actions", "trigger_id": "t1"}) == "slack-action:t1"
    assert delivery_key({"command": "/opsbot", "trigger_id": "t2"}) == "slack-command:t2"
    assert delivery_key({}) is None


class Poster:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def chat_postMessage(self, **kwargs: Any) -> None:
        self.texts.append(kwargs["text"])


def test_progress_is_throttled_and_repeats_are_dropped() -> None:
    now = [0.0]
    poster = Poster()
    progress = Progress(poster, "C1", "1.2", interval=5, clock=lambda: now[0])
    progress("creating")
    progress("creating")  # repeat
    now[0] = 1
    progress("still creating")  # within the interval
    now[0] = 7
    progress("InService")
    assert poster.texts == [":gear: creating", ":gear: InService"]
