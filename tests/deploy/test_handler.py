"""deploy/handler.py as Lambda runs it: Function URL and API Gateway events, signatures, the lazy
self-invocation, secrets. The facade is a fake here; tests/deploy/test_lambda_e2e.py uses the real one."""

from __future__ import annotations

import json
import time

import boto3
import pytest

import agent.slack.app
import deploy.handler
import deploy.sweep
from agent.notify import NoNotifier
from agent.slack.config import SlackConfigError
from agent.slack.refs import APPROVE_ACTION
from tests.agent.slack.fake_bot import FakeOpsbot
from tests.agent.slack.payloads import (
    BOB,
    CHANNEL,
    SIGNING_SECRET,
    button,
    click,
    event_callback,
    mention,
    signed_headers,
    slash_command,
)
from tests.deploy.conftest import FUNCTION_ARN, LambdaHarness, lambda_context

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


@pytest.fixture
def fake(lam: LambdaHarness) -> FakeOpsbot:
    """GIVEN the function's facade is a fake (the container's cached facade)."""
    bot = FakeOpsbot()
    agent.slack.app._bot = bot
    return bot


@pytest.mark.parametrize("kind", ["function_url", "api_gateway_http", "api_gateway_rest"])
def test_signed_slash_command_is_acked_and_the_lazy_run_posts_the_card(
    lam: LambdaHarness, fake: FakeOpsbot, kind: str
) -> None:
    # WHEN Slack posts a signed /opsbot request through the Function URL or API Gateway
    response = lam.send(slash_command(CREATE), kind=kind)
    # THEN it is acknowledged with 200 at once (how fast: benchmarks/lambda_cold_ack.py), and the work
    # is handed to an async self-invocation
    assert response["statusCode"] == 200 and "Working on" in response["body"]
    (invocation,) = lam.lam.invocations
    assert invocation["FunctionName"] == FUNCTION_ARN and invocation["InvocationType"] == "Event"
    assert json.loads(invocation["Payload"])["headers"]["x-slack-bolt-lazy-only"] == "1"
    # AND no Slack round trip was made on the way (no auth.test on a cold container)
    assert lam.api.calls == [] and fake.asks == []
    # WHEN Lambda runs that invocation
    (lazy_response,) = lam.lam.deliver()
    # THEN the card with Approve and Reject buttons and the hourly cost reaches Slack
    assert lazy_response["statusCode"] == 200
    card = lam.api.calls_to("chat.postMessage")[-1]
    assert button(card.blocks, APPROVE_ACTION) and button(card.blocks, "opsbot_reject")
    assert "$89.36" in json.dumps(card.blocks)
    assert len(fake.asks) == 1


def test_base64_encoded_body_is_accepted(lam: LambdaHarness, fake: FakeOpsbot) -> None:
    response = lam.send(slash_command(CREATE), base64_body=True)
    assert response["statusCode"] == 200
    lam.lam.deliver()
    assert len(fake.asks) == 1


def test_wrong_signature_gets_401_and_starts_nothing(lam: LambdaHarness, fake: FakeOpsbot) -> None:
    body = slash_command(CREATE)
    response = lam.send(body, headers=signed_headers(body, secret="forged"))
    assert response["statusCode"] == 401
    assert lam.lam.invocations == [] and fake.asks == [] and lam.api.calls == []


def test_stale_timestamp_gets_401(lam: LambdaHarness, fake: FakeOpsbot) -> None:
    body = slash_command(CREATE)
    response = lam.send(body, headers=signed_headers(body, timestamp=int(time.time()) - 600))
    assert response["statusCode"] == 401 and lam.lam.invocations == []


def test_forged_lazy_invocation_is_rejected_too(lam: LambdaHarness, fake: FakeOpsbot) -> None:
    # GIVEN someone calls the URL with bolt's lazy-only header but no valid signature
    body = slash_command(CREATE)
    headers = {
        **signed_headers(body, secret="forged"),
        "x-slack-bolt-lazy-only": "1",
        "x-slack-bolt-lazy-function-name": "run_command",
    }
    response = lam.send(body, headers=headers)
    # THEN the signature check still refuses it and nothing runs
    assert response["statusCode"] == 401 and fake.asks == []


def test_click_is_acked_then_decided_in_the_lazy_run(lam: LambdaHarness, fake: FakeOpsbot) -> None:
    lam.send(slash_command(CREATE))
    lam.lam.deliver()
    card = lam.api.calls_to("chat.postMessage")[-1]
    value = button(card.blocks, APPROVE_ACTION)["value"]
    response = lam.send(click(APPROVE_ACTION, value, BOB, CHANNEL, card.response["ts"]))
    assert response["statusCode"] == 200 and fake.runs == []
    lam.lam.deliver()
    assert fake.runs == ["ap-0001"]
    assert "Approved by *bob*" in json.dumps(lam.api.calls_to("chat.update")[-1].blocks)


def test_slack_retry_of_a_handled_event_starts_nothing_twice(lam: LambdaHarness, fake: FakeOpsbot) -> None:
    body = event_callback(mention("list my hyperpod clusters"), event_id="Ev0LAMBDA01")
    lam.send(body, json_body=True)
    lam.lam.deliver()
    posts = len(lam.api.calls_to("chat.postMessage"))
    # WHEN Slack retries the delivery (its first ack was lost) and Lambda runs the retry's lazy part
    retry = {**signed_headers(body, json_body=True), "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    assert lam.send(body, headers=retry)["statusCode"] == 200
    lam.lam.deliver()
    # THEN opsbot did the work once
    assert len(fake.asks) == 1 and len(lam.api.calls_to("chat.postMessage")) == posts


def test_secrets_come_from_secrets_manager_once_per_container(
    lam: LambdaHarness, fake: FakeOpsbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN only a secret ARN in the environment
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(
        Name=f"opsbot-slack-{time.time_ns()}",
        SecretString=json.dumps({"bot_token": "xoxb-from-secret", "signing_secret": SIGNING_SECRET}),
    )["ARN"]
    monkeypatch.delenv("OPSBOT_SLACK_BOT_TOKEN")
    monkeypatch.delenv("OPSBOT_SLACK_SIGNING_SECRET")
    monkeypatch.setenv("OPSBOT_SLACK_SECRET_ARN", arn)
    lam.new_container()
    agent.slack.app._bot = fake
    assert lam.send(slash_command(CREATE))["statusCode"] == 200
    # WHEN the secret disappears, the container keeps working with what it read once
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert lam.send(slash_command(CREATE))["statusCode"] == 200
    lam.lam.deliver()
    # THEN the Web API was called with the token from the secret
    assert lam.api.calls_to("chat.postMessage")[0].headers["Authorization"] == "Bearer xoxb-from-secret"
    # AND a new container, which must read it again, fails with a clear message
    lam.new_container()
    with pytest.raises(SlackConfigError, match="cannot read the Slack secret"):
        lam.send(slash_command(CREATE))


def test_missing_slack_configuration_is_a_clear_error(lam: LambdaHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_SLACK_SIGNING_SECRET")
    lam.new_container()
    with pytest.raises(SlackConfigError, match="signing secret"):
        deploy.handler.handler({}, lambda_context())


SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T12:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/opsbot-OpsbotFunctionRecoverySweep-ABC"],
    "detail": {},
}


def test_the_schedules_event_runs_the_sweep_and_slacks_requests_never_do(
    lam: LambdaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Sweeper:
        def __init__(self) -> None:
            self.sweeps = 0

        def sweep(self) -> list:
            self.sweeps += 1
            return []

    sweeper = Sweeper()
    monkeypatch.setattr(deploy.sweep, "_bot", sweeper)
    # WHEN EventBridge's scheduled event reaches the function
    result = deploy.handler.handler(json.loads(json.dumps(SCHEDULED)), lambda_context())
    # THEN the sweep ran once and said what it did
    assert result == {"swept": 0, "outcomes": []} and sweeper.sweeps == 1
    # AND a Slack request shaped like it (a signed body through the URL) is a Slack request, not a sweep
    body = json.dumps(SCHEDULED)
    assert lam.send(body, json_body=True)["statusCode"] == 404  # bolt: no listener for it
    assert sweeper.sweeps == 1
    assert not deploy.handler.is_scheduled({"source": "aws.events", "detail-type": "Other"})


def test_the_sweep_runs_without_slack_when_slack_cannot_be_reached(
    lam: LambdaHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a container with no Slack bot token anywhere
    monkeypatch.delenv("OPSBOT_SLACK_BOT_TOKEN")
    lam.new_container()
    # WHEN the schedule's event arrives THEN the sweep still runs (on the stack's tables), telling nobody
    assert deploy.handler.handler(json.loads(json.dumps(SCHEDULED)), lambda_context()) == {"swept": 0, "outcomes": []}
    assert isinstance(deploy.sweep.sweep_bot().notifier, NoNotifier)
