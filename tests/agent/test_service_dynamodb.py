"""The facade on DynamoDB stores (as in Lambda): a decision in a fresh container resumes the thread."""

from __future__ import annotations

import uuid

import pytest
from moto import mock_aws

from agent.service import Opsbot
from tests.agent.fakes import ScriptedModel, bucket_tool, buckets, registered
from tests.agent.stores.test_stores import create_tables
from tools.base import Risk
from tools.config import get_settings


@pytest.fixture
def ddb_settings(monkeypatch: pytest.MonkeyPatch):
    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("OPSBOT_STORE", "dynamodb")
    for var in ("CHECKPOINT", "APPROVALS", "AUDIT"):
        monkeypatch.setenv(f"OPSBOT_DDB_{var}_TABLE", f"opsbot-{var.lower()}-{suffix}")
    with mock_aws():
        settings = get_settings()
        create_tables(settings)
        yield settings


def test_decision_in_a_fresh_container_resumes_and_runs_once(ddb_settings) -> None:
    model = ScriptedModel("data", lambda t: ("make_bucket", {"bucket": "lambda-bucket"}))
    with registered(bucket_tool(Risk.HIGH)):
        # GIVEN a request handled by one container
        pending = Opsbot(ddb_settings, model=model).ask("make it", user="dave", channel="slack")
        assert pending.approval.status == "pending"
        # WHEN another container (new Opsbot, same tables) takes the approval
        done = Opsbot(ddb_settings, model=model).decide(pending.approval.id, user="alice", approve=True)
        # THEN the thread resumes there and the bucket is created once
        assert done.approval.status == "executed"
        assert buckets(ddb_settings).count("lambda-bucket") == 1
        assert Opsbot(ddb_settings, model=model).audit.verify().ok
