"""The Slack app manifest matches what the app listens to and calls; the Lambda package leaves the
sandbox-only dependencies out."""

from __future__ import annotations

import re

import yaml

from agent.slack.app import COMMAND
from deploy.package import runtime_requirements
from tests.deploy.conftest import ROOT

# Bot scopes each Web API method needs.
SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_getPermalink": None,  # needs no scope
}


def manifest() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "slack-manifest.yaml").read_text())


def test_manifest_declares_the_command_events_and_interactivity_the_app_handles() -> None:
    m = manifest()
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert m["settings"]["interactivity"]["is_enabled"] is True
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "app_mentions:read", "im:history"} <= scopes


def test_manifest_grants_the_scope_of_every_web_api_method_the_app_calls() -> None:
    code = "".join(p.read_text() for p in (ROOT / "agent" / "slack").glob("*.py"))
    called = set(re.findall(r"client\.(chat_\w+)\(", code))
    assert called, "no Web API calls found"
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert {SCOPES[m] for m in called} - {None} <= scopes, called


def test_lambda_package_leaves_out_sandbox_only_dependencies() -> None:
    reqs = runtime_requirements()
    names = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in reqs}
    assert "moto" not in names and "duckdb" not in names
    assert {"slack-bolt", "boto3", "langgraph-checkpoint-aws", "langchain-aws"} <= names
