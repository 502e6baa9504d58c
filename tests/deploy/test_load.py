"""The function under load, on moto: concurrent slash commands, duplicate deliveries, concurrent
clicks from two containers on one approval, a crash after the AWS call that the recovery sweep
finishes, and a long thread whose checkpoints stay far below DynamoDB's item limit.

Kept small enough for CI (a few seconds each). A thread of 300 real turns through the handler takes
minutes on moto (its queries read a whole partition), so that run is opt-in: ``OPSBOT_SLOW_TESTS=1``.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from typer.testing import CliRunner

import agent.slack.app
import deploy.handler
import deploy.sweep
from agent.approvals import ApprovalService
from agent.cli import app as cli
from agent.service import Opsbot
from agent.slack.app import build_app
from agent.slack.refs import APPROVE_ACTION, RESUME_ACTION
from tests.agent.slack.payloads import (
    ALICE,
    BOB,
    BOT_TOKEN,
    CAROL,
    CHANNEL,
    SIGNING_SECRET,
    TEAM,
    button,
    click,
    event_callback,
    mention,
    signed_headers,
    slash_command,
)
from tests.agent.slack.sandbox_checks import aws_writes, hyperpod_clusters
from tests.deploy.conftest import LambdaHarness, http_event, lambda_context
from tests.deploy.test_handler import SCHEDULED
from tools.config import get_settings

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"
DELETE = "delete the hyperpod cluster llama-pretrain"  # critical: two distinct approvers
ITEM_LIMIT = 350 * 1024  # the goal; DynamoDB refuses items over 400 KB
READS = [
    "list endpoints",
    "describe training job llama-pretrain-stage1",
    "search training plans for 8 trn2.48xlarge for 72 hours",
    "list my hyperpod clusters",
    "describe endpoint chat-prod",
    "list caches",
    "estimate cost of 4 trn2.48xlarge for 10 hours",
    "recommend an inference instance for mixtral-8x7b",
]


class Container:
    """One Lambda container in process: its own bolt adapter and its own facade (its own store
    clients), holding its lazy self-invocations until ``deliver``."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.bot = Opsbot(get_settings())
        app = build_app(
            token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            bot=lambda: self.bot,
            api_url=api.base_url,
            process_before_response=True,
            progress_interval=0,
        )
        self.handler = SlackRequestHandler(app)
        self.handler.app.listener_runner.lazy_listener_runner.lambda_client = self
        self.held: list[str] = []
        self._lock = threading.Lock()

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        """bolt's self-invocation: held until ``deliver``."""
        with self._lock:
            self.held.append(Payload)
        return {"StatusCode": 202}

    def send(self, body: str, json_body: bool = False, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """One signed request from Slack; returns the acknowledgement."""
        self.api.observe_request(body)
        event = http_event("function_url", body, headers or signed_headers(body, json_body=json_body))
        return self.handler.handle(event, lambda_context())

    def deliver(self) -> None:
        """Run every held lazy invocation here, as Lambda would."""
        while True:
            with self._lock:
                if not self.held:
                    return
                payload = self.held.pop(0)
            self.handler.handle(json.loads(payload), lambda_context())


def card_of(api: Any, approval_action: str = APPROVE_ACTION) -> tuple[str, str, str]:
    """(approval id, button value, card ts) of the newest card with ``approval_action``."""
    card = [c for c in api.ok_calls_to("chat.postMessage") if c.blocks and c.params.get("thread_ts")][-1]
    value = button(card.blocks, approval_action)["value"]
    return json.loads(value)["id"], value, card.response["ts"]


def item_size(item: dict[str, Any]) -> int:
    """A DynamoDB item's size as DynamoDB counts it: names plus values (binary as bytes, numbers about
    one byte per two digits)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "B" in value:
            size += len(value["B"])
        elif "N" in value:
            size += len(value["N"]) // 2 + 1
        else:
            size += len(json.dumps(value).encode())
    return size


def largest_item(table: str) -> tuple[int, int]:
    """(largest item size in bytes, number of items) of ``table``."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    largest = count = 0
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            count += 1
            largest = max(largest, item_size(item))
    return largest, count


def audit_verifies() -> bool:
    """``opsbot audit verify`` on the function's tables (the environment the handler runs in)."""
    result = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    return result.exit_code == 0 and json.loads(result.stdout)["ok"] is True


# ------------------------------------------------------------------------------- concurrency
def test_concurrent_slash_commands_are_each_answered_once(lam: LambdaHarness) -> None:
    # WHEN 8 people send a read at the same time, each acknowledged and then worked on concurrently
    bodies = [slash_command(READS[i % len(READS)], user=ALICE) for i in range(8)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        acks = list(pool.map(lam.send, bodies))
    assert [a["statusCode"] for a in acks] == [200] * 8
    payloads = [inv["Payload"] for inv in lam.lam.invocations]
    lam.lam.invocations.clear()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda p: deploy.handler.handler(json.loads(p), lambda_context())["statusCode"], payloads)
        )
    # THEN every command was answered exactly once, in its own thread, without an error
    assert results == [200] * 8
    roots = [c for c in lam.api.ok_calls_to("chat.postMessage") if not c.params.get("thread_ts")]
    replies = [c for c in lam.api.ok_calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert len(roots) == 8
    assert sorted(c.params["thread_ts"] for c in replies) == sorted(r.response["ts"] for r in roots)
    assert not any(":boom:" in (c.params.get("text") or "") for c in replies)


def test_duplicate_deliveries_are_worked_on_once(lam: LambdaHarness) -> None:
    # GIVEN a mention Slack delivers three times (two retries) and Lambda runs one lazy invocation twice
    body = event_callback(mention("list endpoints", ts="1700000500.000100"), event_id="Ev0LOAD0DUP")
    lam.send(body, json_body=True)
    for retry in ("1", "2"):
        headers = {**signed_headers(body, json_body=True), "x-slack-retry-num": retry, "x-slack-retry-reason": "x"}
        assert lam.send(body, headers=headers)["statusCode"] == 200
    payloads = [inv["Payload"] for inv in lam.lam.invocations]
    lam.lam.invocations.clear()
    # WHEN every invocation runs, concurrently, the first one twice
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda p: deploy.handler.handler(json.loads(p), lambda_context()), [*payloads, payloads[0]]))
    # THEN opsbot answered once
    assert len(lam.api.ok_calls_to("chat.postMessage")) == 1


def test_concurrent_clicks_from_two_containers_execute_each_approval_once(
    lambda_env: dict[str, str], slack_api: Any
) -> None:
    a, b = Container(slack_api), Container(slack_api)
    # GIVEN a high-risk create (one approver) and a critical delete (two distinct approvers), each with a card
    a.send(slash_command(CREATE, user=ALICE))
    a.deliver()
    create_id, create_value, create_ts = card_of(slack_api)
    a.send(slash_command(DELETE, user=ALICE))
    a.deliver()
    delete_id, delete_value, delete_ts = card_of(slack_api)
    assert create_id != delete_id
    # WHEN bob and carol click Approve on both cards, from both containers, all at once
    clicks = [
        (container, click(APPROVE_ACTION, value, user, CHANNEL, ts))
        for value, ts in ((create_value, create_ts), (delete_value, delete_ts))
        for user in (BOB, CAROL)
        for container in (a, b)
    ]
    with aws_writes() as writes:
        for container, body in clicks:
            assert container.send(body)["statusCode"] == 200
        start = threading.Barrier(2)

        def work(container: Container) -> None:
            start.wait()
            container.deliver()

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(work, (a, b)))
    # THEN each approval ran exactly once: one create, one delete, and the delete had two distinct approvers
    assert sorted(writes) == ["sagemaker:CreateCluster", "sagemaker:DeleteCluster"]
    for approval_id in (create_id, delete_id):
        record = a.bot.get_approval(approval_id)
        assert record.status == "executed", (approval_id, record.status, record.error)
        kinds = [e.kind for e in a.bot.audit_entries(limit=500, approval_id=approval_id)]
        assert kinds.count("execution_started") == 1 and kinds.count("execution_finished") == 1
    assert sorted(set(a.bot.get_approval(delete_id).approved_by)) == ["bob", "carol"]
    assert hyperpod_clusters(get_settings()).count("demo") == 1
    assert audit_verifies()


# ------------------------------------------------------------------------------- recovery
def kill_after_the_create(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next run dies right after its AWS call, before it records the outcome (the container is
    gone: nothing in it catches this, so its lease is left as it was)."""
    real = ApprovalService.finish
    killed: list[str] = []

    def finish(self: ApprovalService, approval_id: str, **kw: Any) -> Any:
        if not killed:
            killed.append(approval_id)
            raise SystemExit("container killed after the AWS call")
        return real(self, approval_id, **kw)

    monkeypatch.setattr(ApprovalService, "finish", finish)


def test_an_execution_killed_after_its_create_is_finished_by_the_sweep(
    lam: LambdaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    lam.send(slash_command(CREATE, user=ALICE))
    lam.lam.deliver()
    approval_id, value, card_ts = card_of(lam.api)
    kill_after_the_create(monkeypatch)
    with aws_writes() as writes:
        # GIVEN bob approves and the container running the create dies right after the AWS call
        lam.new_container()
        lam.send(click(APPROVE_ACTION, value, BOB, CHANNEL, card_ts))
        with pytest.raises(SystemExit):
            lam.lam.deliver()
        assert writes == ["sagemaker:CreateCluster"]
        # WHEN the schedule's sweep runs in a fresh container while the dead run's lease still holds
        lam.new_container()
        assert deploy.handler.handler(copy.deepcopy(SCHEDULED), lambda_context()) == {"swept": 0, "outcomes": []}
        # AND again once the lease has run out (the sweep's clock 16 minutes on)
        later = datetime.now(UTC) + timedelta(minutes=16)
        deploy.sweep.sweep_bot().approvals.clock = lambda: later
        swept = deploy.handler.handler(copy.deepcopy(SCHEDULED), lambda_context())
    # THEN it was resumed and finished, and the cluster was created once
    (outcome,) = swept["outcomes"]
    assert outcome["action"] == "resumed" and outcome["status"] == "executed" and outcome["attempt"] == 1
    assert writes == ["sagemaker:CreateCluster"]
    assert hyperpod_clusters(get_settings()).count("demo") == 1
    # AND the card shows the outcome, without buttons, and the thread says what happened, to alice
    card = lam.api.message(CHANNEL, card_ts)
    assert "executed: create_hyperpod_cluster" in json.dumps(card.blocks)
    assert not [b for b in card.blocks if b["type"] == "actions"]
    said = lam.api.ok_calls_to("chat.postMessage")[-1].params
    assert said["thread_ts"] == lam.api.message(CHANNEL, card_ts).thread_ts
    assert said["text"].startswith(f"<@{ALICE}>: opsbot resumed {approval_id}")
    # AND `opsbot audit verify` passes on the function's tables
    assert audit_verifies()


def test_an_error_after_the_create_offers_resume_on_the_card_and_resume_finishes_it(
    lam: LambdaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    lam.send(slash_command(CREATE, user=ALICE))
    lam.lam.deliver()
    approval_id, value, card_ts = card_of(lam.api)
    real = ApprovalService.finish
    failed: list[str] = []

    def finish(self: ApprovalService, approval_id: str, **kw: Any) -> Any:
        if not failed:
            failed.append(approval_id)
            raise RuntimeError("DynamoDB was unreachable while recording the outcome")
        return real(self, approval_id, **kw)

    monkeypatch.setattr(ApprovalService, "finish", finish)
    with aws_writes() as writes:
        # GIVEN bob's approval whose run failed to record its outcome after the create
        lam.send(click(APPROVE_ACTION, value, BOB, CHANNEL, card_ts))
        lam.lam.deliver()
        # THEN the card says it was interrupted, why, and offers Resume (bound to this request and thread)
        card = lam.api.message(CHANNEL, card_ts)
        assert "Interrupted: create_hyperpod_cluster" in json.dumps(card.blocks)
        assert "DynamoDB was unreachable" in json.dumps(card.blocks)
        resume_value = button(card.blocks, RESUME_ACTION)["value"]
        # WHEN carol, an approver, presses Resume in another container
        lam.new_container()
        lam.send(click(RESUME_ACTION, resume_value, CAROL, CHANNEL, card_ts))
        lam.lam.deliver()
    # THEN the run finished without creating twice, and the card shows it done
    assert writes == ["sagemaker:CreateCluster"]
    assert agent.slack.app.default_bot().get_approval(approval_id).status == "executed"
    assert "Done: create_hyperpod_cluster" in json.dumps(lam.api.message(CHANNEL, card_ts).blocks)
    assert audit_verifies()


# ------------------------------------------------------------------------------- long threads
def thread_turn(lam: LambdaHarness, text: str, turn: int, root: str) -> str:
    """One mention in the Slack thread ``root`` through the handler; returns opsbot's answer."""
    before = len(lam.api.ok_calls_to("chat.postMessage"))
    lam.send(
        event_callback(mention(text, ts=f"{int(root.split('.')[0]) + turn}.000100", thread_ts=root)), json_body=True
    )
    lam.lam.deliver()
    posted = lam.api.ok_calls_to("chat.postMessage")[before:]
    assert posted, f"turn {turn}: no answer"
    return str(posted[-1].params.get("text") or "")


def seed_history(bot: Opsbot, thread: str, turns: int) -> None:
    """Give ``thread`` ``turns`` more turns of history, copied from its real turns (each with fresh
    message and tool-call ids), in one checkpoint: what a thread that long holds."""
    config = {"configurable": {"thread_id": thread}}
    real = bot.graph.get_state(config).values["messages"]
    starts = [i for i, m in enumerate(real) if isinstance(m, HumanMessage)] + [len(real)]
    samples = [real[a:b] for a, b in itertools.pairwise(starts)]
    added: list[Any] = []
    for n in range(turns):
        ids: dict[str, str] = {}
        for message in samples[n % len(samples)]:
            update: dict[str, Any] = {"id": uuid.uuid4().hex}
            if isinstance(message, AIMessage) and message.tool_calls:
                calls = []
                for call in message.tool_calls:
                    ids[call["id"]] = f"call-{uuid.uuid4().hex[:12]}"
                    calls.append({**call, "id": ids[call["id"]]})
                update["tool_calls"] = calls
            if isinstance(message, ToolMessage):
                update["tool_call_id"] = ids.get(message.tool_call_id, message.tool_call_id)
            added.append(message.model_copy(update=update))
    bot.graph.update_state(config, {"messages": added})


def test_a_300_turn_thread_keeps_working_and_no_item_nears_the_limit(
    lam: LambdaHarness, lambda_env: dict[str, str]
) -> None:
    root = "1700100000.000100"
    thread = f"slack:{TEAM}/{CHANNEL}:{root}"
    # GIVEN a thread of 8 real turns (one of each kind of read) through the handler
    for turn, text in enumerate(READS):
        thread_turn(lam, text, turn, root)
    # AND 289 more turns of the same kinds of exchange in its history (300 turns take minutes on moto;
    # OPSBOT_SLOW_TESTS=1 runs them all through the handler, below)
    bot = agent.slack.app.default_bot()
    seed_history(bot, thread, 289)
    # WHEN turns 298 to 300 arrive through the handler
    answers = [thread_turn(lam, READS[n % len(READS)], 297 + n, root) for n in range(3)]
    # THEN they are answered as in a new thread
    assert "endpoint" in answers[0] and "llama-pretrain-stage1" in answers[1] and "offering" in answers[2].lower()
    humans = [m for m in bot.graph.get_state({"configurable": {"thread_id": thread}}).values["messages"]
              if isinstance(m, HumanMessage)]  # fmt: skip
    assert len(humans) == 300
    # AND no DynamoDB item is anywhere near the limit (reported: run with -s to see it)
    largest, count = largest_item(lambda_env["CheckpointsTable"])
    print(f"\n300-turn thread (289 seeded): largest checkpoint item {largest:,} bytes, {count:,} items")
    assert largest < ITEM_LIMIT


@pytest.mark.skipif(os.environ.get("OPSBOT_SLOW_TESTS") != "1", reason="minutes on moto; OPSBOT_SLOW_TESTS=1 runs it")
def test_300_real_turns_through_the_handler(lam: LambdaHarness, lambda_env: dict[str, str]) -> None:
    root = "1700200000.000100"
    started = time.perf_counter()
    for turn in range(300):
        answer = thread_turn(lam, READS[turn % len(READS)], turn, root)
        assert ":boom:" not in answer and not answer.startswith(":no_entry_sign:"), (turn, answer)
        if turn % 50 == 49:
            largest, count = largest_item(lambda_env["CheckpointsTable"])
            print(
                f"turn {turn + 1}: {time.perf_counter() - started:.0f} s, largest item {largest:,} B, {count:,} items"
            )
            assert largest < ITEM_LIMIT


def test_a_value_too_large_for_dynamodb_goes_to_the_offload_bucket(lambda_env: dict[str, str]) -> None:
    # (At the store level: the tools' sandbox shares the in-process moto and reloads its own S3 at each
    # call, which would drop the function's bucket; in Lambda that bucket is real S3.)
    bot = Opsbot(get_settings())
    config = {"configurable": {"thread_id": "slack:T1/C1:1700300000.000100"}}
    # GIVEN a thread whose history holds 600 KB that gzip cannot shrink (a pasted log of random text)
    blob = base64.b64encode(os.urandom(450 * 1024)).decode()  # 600 KB; gzip leaves about 450 KB
    bot.graph.update_state(config, {"messages": [HumanMessage("hello"), HumanMessage(blob)]}, as_node="supervisor")
    # WHEN the thread is read back, by another container
    state = Opsbot(get_settings()).graph.get_state(config)
    # THEN it is whole, its large checkpoint went to S3 (tagged for the bucket's expiry rule), and no
    # DynamoDB item is over the limit
    assert state.values["messages"][-1].content == blob
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = lambda_env["CheckpointOffloadBucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys and all(k.startswith("checkpoints/") for k in keys)
    assert s3.get_object_tagging(Bucket=bucket, Key=keys[0])["TagSet"] == [{"Key": "ttl-days", "Value": "7"}]
    largest, _ = largest_item(lambda_env["CheckpointsTable"])
    assert largest < ITEM_LIMIT
    # AND every item carries its expiry, and the saver found the template's expiry rule and left the
    # bucket's lifecycle as the template made it
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=lambda_env["CheckpointsTable"])["Items"]
    assert items and all("ttl" in item for item in items)
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["ID"] == "checkpoints-ttl-expiration-7d" and rule["Expiration"]["Days"] == 7
