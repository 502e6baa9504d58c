"""Lambda fixtures: the SAM template's DynamoDB tables on moto, the function's environment, a fake
Slack Web API, and a fake Lambda client that holds bolt's asynchronous self-invocations until the
test delivers them to the handler (in process, as the second Lambda invocation would run)."""

from __future__ import annotations

import base64
import copy
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode
from moto import mock_aws

import deploy.handler
from agent.slack.app import reset_default_bot
from tests.agent.slack.payloads import BOT_TOKEN, SIGNING_SECRET, signed_headers
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"
EVENTS = ROOT / "tests" / "events"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:opsbot-slack"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "opsbot",
}


def load_template() -> dict[str, Any]:
    """The SAM template as data (intrinsic functions as ``{"Ref": ...}`` / ``{"Fn::Sub": ...}``)."""
    template, problems = decode(str(TEMPLATE))
    assert not problems, problems
    return template


def lambda_context() -> Any:
    """What Lambda passes as ``context`` (the fields bolt reads)."""
    return SimpleNamespace(
        function_name="opsbot-slack",
        invoked_function_arn=FUNCTION_ARN,
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 300_000,
    )


def http_event(kind: str, body: str, headers: dict[str, str], base64_body: bool = False) -> dict[str, Any]:
    """A Lambda event of ``kind`` (function_url, api_gateway_http, api_gateway_rest) carrying a request."""
    event = json.loads((EVENTS / f"{kind}.json").read_text())
    if kind == "api_gateway_rest":  # REST APIs keep the header case Slack sent
        headers = {"-".join(p.capitalize() for p in k.split("-")): v for k, v in headers.items()}
        event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
    event["headers"].update(headers)
    event["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
    event["isBase64Encoded"] = base64_body
    return event


class FakeLambda:
    """Stands in for bolt's ``boto3.client("lambda")``: records ``invoke`` calls, delivers them on demand."""

    def __init__(self) -> None:
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:
        self.invocations.append({"FunctionName": FunctionName, "InvocationType": InvocationType, "Payload": Payload})
        return {"StatusCode": 202}

    def deliver(self) -> list[dict[str, Any]]:
        """Run every held invocation through the handler, as Lambda would (a JSON round trip)."""
        responses = []
        while self.invocations:
            payload = json.loads(self.invocations.pop(0)["Payload"])
            responses.append(deploy.handler.handler(copy.deepcopy(payload), lambda_context()))
        return responses


class LambdaHarness:
    """The deployed function, in process: send Slack requests as Lambda events, deliver lazy runs."""

    def __init__(self, api: FakeSlackApi) -> None:
        self.api = api
        self.lam = FakeLambda()

    def new_container(self) -> None:
        """Forget everything a container caches (the adapter, secrets, the facade)."""
        deploy.handler.reset()
        reset_default_bot()

    def send(
        self,
        body: str,
        kind: str = "function_url",
        headers: dict[str, str] | None = None,
        json_body: bool = False,
        base64_body: bool = False,
    ) -> dict[str, Any]:
        """One HTTP request from Slack; returns the function's HTTP response (the acknowledgement)."""
        headers = headers if headers is not None else signed_headers(body, json_body=json_body)
        self.api.observe_request(body)  # Slack knows the sender and the message before the function does
        handler = deploy.handler.request_handler()
        handler.app.listener_runner.lazy_listener_runner.lambda_client = self.lam
        return deploy.handler.handler(http_event(kind, body, headers, base64_body), lambda_context())


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    """Each template parameter's default, as CloudFormation passes it to ``Ref`` (a string)."""
    return {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}


def resolve(value: Any, refs: dict[str, str]) -> Any:
    """``Ref`` and simple ``Fn::Sub`` (no list form) resolved against ``refs``; anything else as it is."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in refs:
        return refs[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, resolved in refs.items():
            text = text.replace("${" + name + "}", resolved)
        return value if "${" in text else text  # unresolved: left to CloudFormation
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value


def create_buckets(s3: Any, template: dict[str, Any], suffix: str) -> dict[str, str]:
    """Create the template's S3 buckets that the function uses (not the audit archive, which only its own
    function writes) with their lifecycle rules; returns logical id -> name."""
    refs = parameter_defaults(template)
    names = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::S3::Bucket" or "ObjectLockEnabled" in resource["Properties"]:
            continue
        name = f"{logical_id.lower()}-{suffix}"
        s3.create_bucket(Bucket=name)
        rules = resolve(resource["Properties"].get("LifecycleConfiguration", {}).get("Rules", []), refs)
        if rules:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": rule["Id"],
                            "Status": rule["Status"],
                            "Filter": {"Prefix": rule["Prefix"]},
                            "Expiration": {"Days": int(rule["ExpirationInDays"])},
                        }
                        for rule in rules
                    ]
                },
            )
        names[logical_id] = name
    return names


def create_tables(ddb: Any, template: dict[str, Any], suffix: str) -> dict[str, str]:
    """Create the template's tables (key schema, indexes, TTL) under unique names; returns logical id -> name."""
    names = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        name = f"{logical_id.lower()}-{suffix}"
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
            BillingMode=props["BillingMode"],
            **(
                {"GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"]} if "GlobalSecondaryIndexes" in props else {}
            ),
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        names[logical_id] = name
    return names


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, slack_api: FakeSlackApi) -> Iterator[dict[str, str]]:
    """GIVEN the function's environment from the template, its tables on moto DynamoDB, and Slack faked.

    Tools stay on the sandbox (OPSBOT_LIVE=false) and the model offline; everything else is wired as
    the template wires it.
    """
    template = load_template()
    home = os.environ["OPSBOT_HOME"]  # the per-test home; the template's /tmp/opsbot is Lambda's
    variables = template["Resources"]["OpsbotFunction"]["Properties"]["Environment"]["Variables"]
    # moto is process-wide (the sandbox uses it too): same config, unique table names per test.
    with mock_aws(config={"core": {"mock_credentials": False}}):
        suffix = uuid.uuid4().hex[:8]
        tables = create_tables(boto3.client("dynamodb", region_name="us-east-1"), template, suffix)
        buckets = create_buckets(boto3.client("s3", region_name="us-east-1"), template, suffix)
        refs = {**parameter_defaults(template), **tables, **buckets, **PSEUDO}
        for key, value in variables.items():
            resolved = resolve(value, refs)
            if isinstance(resolved, str):
                monkeypatch.setenv(key, resolved)
        monkeypatch.setenv("OPSBOT_HOME", home)
        monkeypatch.setenv("OPSBOT_LIVE", "false")
        monkeypatch.setenv("OPSBOT_MODEL", "offline")
        monkeypatch.setenv("OPSBOT_SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("OPSBOT_SLACK_SIGNING_SECRET", SIGNING_SECRET)
        monkeypatch.setenv("OPSBOT_SLACK_API_URL", slack_api.base_url)
        deploy.handler.reset()
        reset_default_bot()
        yield {**tables, **buckets}
        deploy.handler.reset()
        reset_default_bot()


@pytest.fixture
def lam(lambda_env: dict[str, str], slack_api: FakeSlackApi) -> LambdaHarness:
    """GIVEN the handler as Lambda runs it."""
    return LambdaHarness(slack_api)
