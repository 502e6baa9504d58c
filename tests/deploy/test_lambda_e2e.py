"""The function as deployed, end to end: real ``Opsbot`` on DynamoDB (moto) and the sandbox, requests
as Function URL / API Gateway events, the lazy self-invocation, fresh containers between steps."""

from __future__ import annotations

import json

import boto3

from agent.slack.refs import APPROVE_ACTION
from tests.agent.slack.payloads import (
    ALICE,
    BOB,
    CHANNEL,
    DAVE,
    button,
    click,
    event_callback,
    mention,
    signed_headers,
    slash_command,
)
from tests.agent.slack.sandbox_checks import aws_writes, hyperpod_clusters
from tests.deploy.conftest import LambdaHarness
from tools.config import get_settings

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


def test_command_card_then_decision_an_hour_later_in_a_fresh_container(
    lam: LambdaHarness, lambda_env: dict[str, str]
) -> None:
    # WHEN a signed /opsbot request reaches the Function URL
    ack = lam.send(slash_command(CREATE, user=ALICE))
    # THEN it is acknowledged before any agent work (its speed is measured in benchmarks/lambda_cold_ack.py)
    assert ack["statusCode"] == 200
    assert lam.api.calls_to("chat.postMessage") == []
    # WHEN Lambda runs the lazy invocation
    lam.lam.deliver()
    # THEN the card with Approve/Reject and the hourly cost reaches Slack, and the request is in DynamoDB
    card = lam.api.calls_to("chat.postMessage")[-1]
    value = button(card.blocks, APPROVE_ACTION)["value"]
    assert "$111.94" in json.dumps(card.blocks)
    approval_id = json.loads(value)["id"]
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=lambda_env["ApprovalsTable"], Key={"id": {"S": approval_id}}
    )["Item"]
    assert item["status"]["S"] == "pending"

    with aws_writes() as writes:
        # WHEN dave clicks in another container (API Gateway this time)
        lam.new_container()
        assert (
            lam.send(click(APPROVE_ACTION, value, DAVE, CHANNEL, card.response["ts"]), kind="api_gateway_rest")[
                "statusCode"
            ]
            == 200
        )
        lam.lam.deliver()
        # THEN he is refused and nothing runs
        assert "approvers-for-tier" in lam.api.calls_to("chat.postEphemeral")[-1].params["text"]
        assert writes == []
        # WHEN bob approves from yet another container
        lam.new_container()
        lam.send(click(APPROVE_ACTION, value, BOB, CHANNEL, card.response["ts"]), kind="api_gateway_http")
        lam.lam.deliver()
    # THEN the thread resumed there and the cluster was created once
    assert writes == ["sagemaker:CreateCluster"]
    assert hyperpod_clusters(get_settings()).count("demo") == 1
    final = json.dumps(lam.api.calls_to("chat.update")[-1].blocks)
    assert "Done: create_hyperpod_cluster" in final and "Approved by *bob*" in final


def test_slack_retry_in_another_container_starts_nothing_twice(lam: LambdaHarness) -> None:
    body = event_callback(mention("list my hyperpod clusters"), event_id="Ev0LAMBDAE2E")
    lam.send(body, json_body=True)
    lam.lam.deliver()
    posts = len(lam.api.calls_to("chat.postMessage"))
    assert posts == 1
    # WHEN Slack retries the same event and a fresh container handles the retry
    lam.new_container()
    retry = {**signed_headers(body, json_body=True), "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    assert lam.send(body, headers=retry)["statusCode"] == 200
    lam.lam.deliver()
    # THEN the claim in DynamoDB stops it: no second answer
    assert len(lam.api.calls_to("chat.postMessage")) == posts


def test_forged_request_starts_nothing(lam: LambdaHarness) -> None:
    body = slash_command(CREATE)
    assert lam.send(body, headers=signed_headers(body, secret="forged"))["statusCode"] == 401
    assert lam.lam.invocations == [] and lam.api.calls == []
