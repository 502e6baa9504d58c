"""Block Kit builders and the progress poster, checked against the strict fake's Block Kit rules."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from agent.service import ApprovalView, AskResult, PolicyFinding
from agent.slack import cards
from agent.slack.flows import Progress
from agent.slack.refs import (
    button_value,
    delivery_key,
    parse_button_value,
    parse_thread,
    parse_thread_ref,
    thread_id,
)
from agent.slack.text import escape
from tests.agent.slack.fake_bot import FakeOpsbot
from tests.fakes.slack_api import FakeSlackApi, check_message

CHANGE = "  group g-{i:04d}: 1 x ml.g5.xlarge at $1.41/h each (lifecycle s3://opsbot-lifecycle/hyperpod/)"


def pending_record(plan: dict[str, Any] | None = None) -> Any:
    bot = FakeOpsbot()
    if plan:
        bot.plan.update(plan)
    result = bot.ask("create it", user="alice", thread="slack:T1/C1:1.2")
    return bot.get_approval(result.approval.id)


def test_card_is_accepted_by_slack_and_names_are_escaped() -> None:
    record = pending_record({"changes": ["x" * 5000]})
    record = record.model_copy(update={"requester": "<!channel> mallory & co"})
    blocks = cards.approval_card(record)
    assert check_message(cards.card_text(record), blocks) == (None, [])
    text = json.dumps(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt; mallory &amp; co" in text
    # AND the 5,000-character change is wrapped, not cut
    body = "".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    assert "↪" in body and body.replace("\n↪ ", "").replace("↪ ", "").count("x" * 5000) == 1


def test_a_plan_too_big_for_a_card_says_how_much_is_left_and_the_thread_carries_all_of_it() -> None:
    # GIVEN a plan of 2,000 changes (far beyond 50 blocks and Slack's text per message)
    changes = [CHANGE.format(i=i) for i in range(2000)]
    record = pending_record({"changes": changes})
    # WHEN the card is built
    blocks = cards.approval_card(record, plan_link="https://opsbot-test.slack.com/archives/C1/p1")
    # THEN Slack accepts it, it keeps its buttons, and it says how many changes it leaves out and where they are
    assert check_message(cards.card_text(record), blocks) == (None, [])
    more = next(b for b in blocks if b.get("block_id") == cards.MORE_BLOCK)["text"]["text"]
    shown = sum(json.dumps(blocks).count(f"g-{i:04d}:") for i in range(2000))
    assert f"and {2000 - shown} more changes (2000 in all)" in more
    assert "<https://opsbot-test.slack.com/archives/C1/p1|open the full plan>" in more
    assert any(b["type"] == "actions" for b in blocks) and cards.card_omits(record)
    # AND the full plan messages hold every change, each message within Slack's limits
    messages = cards.full_plan_messages(record)
    for text, message_blocks in messages:
        assert check_message(text, message_blocks) == (None, [])
    everything = json.dumps([b for _, bs in messages for b in bs])
    assert all(f"g-{i:04d}:" in everything for i in range(2000)) and len(messages) > 1


def test_a_card_that_fits_omits_nothing() -> None:
    record = pending_record()
    assert not cards.card_omits(record)
    assert not [b for b in cards.approval_card(record) if b.get("block_id") == cards.MORE_BLOCK]


def test_a_change_the_summary_already_says_is_listed_once() -> None:
    # GIVEN a plan whose summary spells out its change (as tune_cache's does), and one change it does not say
    change = "replicas_per_node_group: 2 -> 3"
    record = pending_record({"summary": f"tune kv-cache-prod: {change}", "changes": [change, "cost: +$0.437/h"]})
    # WHEN the card and the full plan messages are built
    card = json.dumps(cards.approval_card(record))
    full = json.dumps([b for _, bs in cards.full_plan_messages(record) for b in bs])
    # THEN each says the change once, and still lists the other one
    said = escape(change)  # as Slack text: "->" is "-&gt;"
    assert card.count(said) == 1 and full.count(said) == 1
    assert "cost: +$0.437/h" in card and "cost: +$0.437/h" in full


def test_confirm_dialog_text_is_plain_text() -> None:
    approve = cards.decision_buttons("ap-1", "slack:T1/C1:1.2", "critical")["elements"][0]
    assert {part["type"] for part in approve["confirm"].values()} == {"plain_text"}
    assert check_message("card", [cards.decision_buttons("ap-1", "t", "high")]) == (None, [])


def test_indented_changes_become_sub_items() -> None:
    record = pending_record({"changes": ["create cluster demo", "  group workers: 2 x ml.trn2.48xlarge"]})
    text = json.dumps(cards.approval_card(record), ensure_ascii=False)
    assert "• create cluster demo" in text and "    ◦ group workers" in text


def test_working_line_replaces_the_buttons() -> None:
    blocks = cards.approval_card(pending_record(), working="bob approved; working…")
    assert "opsbot_actions" not in json.dumps(blocks) and "bob approved; working" in json.dumps(blocks)


def test_superseded_and_expired_requests_are_named_with_the_time_it_happened() -> None:
    record = pending_record().model_copy(update={"status": "superseded"})
    retired = cards.Retirement(by="ap-0002", at="2026-01-02T14:33:00+00:00")
    text = cards.status_text(record, retired)
    assert "*Superseded*: replaced by `ap-0002` at <!date^1767364380^" in text
    assert "Superseded: create_hyperpod_cluster" in json.dumps(cards.approval_card(record, retired=retired))
    expired = pending_record().model_copy(update={"status": "expired", "expires_at": "2026-01-02T10:00:00+00:00"})
    assert "*Expired* at <!date^1767348000^" in cards.status_text(expired)
    withdrawn = pending_record().model_copy(update={"status": "withdrawn", "closed_at": "2026-01-02T14:33:00+00:00"})
    assert "*Withdrawn* by its requester at <!date^1767364380^" in cards.status_text(withdrawn)
    # a store that still calls a superseded request expired is read as superseded
    legacy = pending_record().model_copy(update={"status": "expired", "error": "superseded"})
    assert cards.status_of(legacy) == "superseded"


def test_an_interrupted_run_offers_resume_and_a_run_in_progress_does_not() -> None:
    from agent.notify import resume_button
    from agent.slack.refs import RESUME_ACTION

    bot = FakeOpsbot()
    approval_id = bot.ask("create it", user="alice", thread="slack:T1/C1:1.2").approval.id
    bot.interrupt(approval_id, reason="RuntimeError: <!channel> lost")
    record = bot.get_approval(approval_id)
    # GIVEN a run whose lease is over without an outcome THEN its card is "Interrupted", says why, and offers Resume
    blocks = cards.approval_card(record)
    assert check_message(cards.card_text(record), blocks) == (None, [])
    assert cards.status_of(record) == "interrupted" and "Interrupted: create_hyperpod_cluster" in json.dumps(blocks)
    assert "RuntimeError: &lt;!channel&gt; lost" in cards.status_text(record)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    (resume,) = actions["elements"]
    assert resume["action_id"] == RESUME_ACTION
    assert parse_button_value(resume["value"]) == (approval_id, "slack:T1/C1:1.2")
    # AND the core notifier draws the same button (the terminal's and the sweep's card updates)
    assert resume_button(record)["action_id"] == RESUME_ACTION
    assert parse_button_value(resume_button(record)["value"]) == parse_button_value(resume["value"])
    # AND the compact card keeps it, while a working line replaces it
    assert any(b["type"] == "actions" for b in cards.compact_card(record))
    assert not any(b["type"] == "actions" for b in cards.approval_card(record, working="bob resumed it; working…"))
    # GIVEN a run whose lease still holds THEN it is running, with no button
    live = record.model_copy(
        update={"lease": record.lease.model_copy(update={"expires_at": "2999-01-01T00:00:00+00:00"})}
    )
    assert cards.status_of(live) == "executing"
    assert not any(b["type"] == "actions" for b in cards.approval_card(live))


def test_refusal_reply_lists_the_broken_rules() -> None:
    result = AskResult(
        thread="t",
        approval=ApprovalView(required=True, status="refused"),
        policy=[PolicyFinding(rule="max-instances-per-action", ok=False, message="too many"),
                PolicyFinding(rule="region-allowed", ok=True, message="fine")],
        reply="refused",
    )  # fmt: skip
    ((text, blocks),) = cards.reply_messages(result)
    assert check_message(text, blocks) == (None, [])
    assert "max-instances-per-action" in json.dumps(blocks) and "region-allowed" not in json.dumps(blocks)


def test_a_long_answer_is_posted_in_parts_with_every_line_and_tables_in_code_blocks() -> None:
    rows = [f"  2026-01-01 04:42  {i:>8} KB  STANDARD            datasets/part-{i:05d}.parquet" for i in range(800)]
    reply = "800 objects in s3://training-data\n" + "\n".join(rows) + "\nSQL run on DuckDB, parameters []:"
    messages = cards.reply_messages(AskResult(thread="t", reply=reply))
    assert len(messages) > 1 and messages[1][0].endswith(f"(part 2 of {len(messages)})")
    for text, blocks in messages:
        assert check_message(text, blocks) == (None, [])
    sections = [b["text"]["text"] for _, blocks in messages for b in blocks if b["type"] == "section"]
    assert all(s.count("```") % 2 == 0 for s in sections)
    posted = "\n".join(sections)
    assert all(row in posted for row in rows) and "SQL run on DuckDB" in posted


def test_an_answer_longer_than_the_part_limit_ends_with_a_marker() -> None:
    reply = "\n".join(f"line {i:06d} " + "z" * 100 for i in range(20_000))
    messages = cards.reply_messages(AskResult(thread="t", reply=reply))
    assert len(messages) == cards.MAX_PAGES
    last = json.dumps(messages[-1][1])
    assert "more line(s) not shown" in last
    for text, blocks in messages:
        assert check_message(text, blocks) == (None, [])


def test_refs_round_trip_and_delivery_keys() -> None:
    assert parse_thread(thread_id("C1", "17.5", "T1")) == ("C1", "17.5")
    assert parse_thread_ref(thread_id("C1", "17.5", "T1")) == ("T1", "C1", "17.5")
    assert parse_thread_ref("slack:C1:17.5") == (None, "C1", "17.5")
    assert parse_thread("cli-abc") is None
    assert parse_button_value(button_value("ap-1", "slack:T1/C1:17.5")) == ("ap-1", "slack:T1/C1:17.5")
    assert delivery_key({"event_id": "Ev1"}) == "slack-event:Ev1"
    assert delivery_key({"type": "block_actions", "trigger_id": "t1"}) == "slack-action:t1"
    assert delivery_key({"command": "/opsbot", "trigger_id": "t2"}) == "slack-command:t2"
    assert delivery_key({}) is None


def test_progress_is_throttled_repeats_dropped_and_lines_escaped() -> None:
    now = [0.0]
    with FakeSlackApi() as api:
        api.add_message("C1", "1.2", user="U0000ALICE")
        progress = Progress(WebClient(base_url=api.base_url), "C1", "1.2", interval=5, clock=lambda: now[0])
        progress("creating <!channel>")
        progress("creating <!channel>")  # repeat
        now[0] = 1
        progress("still creating")  # within the interval
        now[0] = 7
        progress("InService")
        assert [c.params["text"] for c in api.calls_to("chat.postMessage")] == [
            ":gear: creating &lt;!channel&gt;",
            ":gear: InService",
        ]
        api.assert_clean()
