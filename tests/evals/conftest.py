"""Fixtures of the eval tests: a folder of cases the fake facade understands."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.runner import RunConfig

FAKE = "tests.evals.fakes:FakeOpsbot"
READER = "tests.evals.fakes:fake_reader"

CASES = """
- id: scale-pending
  utterance: scale endpoint chat-prod to 4
  expect:
    route: inference
    tool: scale_endpoint
    args: {endpoint_name: chat-prod, instance_count: 4}
    approval: required
  tags: [inference, write]
- id: scale-state
  utterance: scale chat-prod to 3
  expect:
    tool: scale_endpoint
    approval: required
    final_status: executed
    state:
      - {tool: describe_endpoint, args: {endpoint_name: chat-prod}, result: {instance_count: 3}, contains: [InService]}
  tags: [inference, state]
- id: delete-critical
  utterance: delete endpoint chat-prod
  expect:
    tool: delete_endpoint
    approval: required
    final_status: executed
    state: [{tool: describe_endpoint, args: {endpoint_name: chat-prod}, fails: true}]
  tags: [inference, state, destructive]
- id: ask-back
  turns:
    - {utterance: scale endpoint chat-prod, expect: {clarify: true, tool: null, approval: none}}
    - "5"
  expect: {tool: scale_endpoint, args: {endpoint_name: chat-prod, instance_count: 5}, approval: required}
  tags: [multi-turn]
- id: weather
  utterance: what's the weather in Paris
  expect: {route: null, tool: null, approval: none}
  tags: [out-of-domain]
- id: too-many
  utterance: scale endpoint chat-prod to 5000
  expect: {tool: scale_endpoint, approval: refused}
  tags: [policy]
"""


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """GIVEN six cases covering writes, state, ask-back, out-of-domain and a refusal."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "fake.yaml").write_text(CASES)
    return folder


@pytest.fixture
def config() -> RunConfig:
    """A run on the fake facade and its state reader."""
    return RunConfig(model="offline", facade=FAKE, reader=READER, case_timeout_s=30)
