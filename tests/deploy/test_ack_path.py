"""The Lambda acknowledgement path stays light: a fresh interpreter acks a signed slash command
through deploy/handler.py without importing the agent, the graph, LangChain or the tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.agent.slack.payloads import BOT_TOKEN, SIGNING_SECRET, signed_headers, slash_command
from tests.deploy.conftest import ROOT, http_event
from tests.fakes.slack_api import FakeSlackApi

CHILD = r"""
import json, sys
from types import SimpleNamespace
import deploy.handler as h

class HeldLambda:
    def invoke(self, **kwargs):
        return {"StatusCode": 202}

event = json.loads(sys.stdin.read())
h.request_handler().app.listener_runner.lazy_listener_runner.lambda_client = HeldLambda()
context = SimpleNamespace(function_name="opsbot-slack",
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:opsbot-slack")
response = h.handler(event, context)
print(json.dumps({"status": response["statusCode"], "body": response["body"], "modules": sorted(sys.modules)}))
"""
HEAVY_PREFIXES = ("langgraph", "langchain", "moto", "duckdb")
HEAVY_MODULES = (
    "agent.service",
    "agent.graph",
    "agent.stores",
    "agent.policy",
    "agent.notify",
    "tools.registry",
    "tools.config",
    "deploy.sweep",
)


def test_ack_path_does_not_import_the_agent() -> None:
    body = slash_command("create a hyperpod cluster named demo with 2 trn2.48xlarge")
    event = http_event("function_url", body, signed_headers(body))
    with FakeSlackApi() as api:
        env = {
            **os.environ,
            "OPSBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
            "OPSBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "OPSBOT_SLACK_API_URL": api.base_url,
        }
        out = subprocess.run(
            [sys.executable, "-c", CHILD],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
            check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # THEN the request was acknowledged
    assert result["status"] == 200 and "Working on" in result["body"]
    # AND nothing heavy was imported on the way
    heavy = [m for m in result["modules"] if m.startswith(HEAVY_PREFIXES) or m.startswith(HEAVY_MODULES)]
    assert heavy == []
