"""Fixtures shared by the agent's Bedrock tests: a real bedrock-runtime client on the strict stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.bedrock_converse import StrictConverse, bedrock_client


@pytest.fixture
def client() -> Any:
    """A bedrock-runtime client that records the parameters of each Converse call."""
    return bedrock_client()


@pytest.fixture
def stub(client: Any) -> Iterator[StrictConverse]:
    """Bedrock's request rules on ``client``; the test ends with nothing refused and nothing left queued."""
    with StrictConverse(client) as s:
        yield s
        assert s.rejections == []  # nothing opsbot sent would Bedrock have refused
        s.assert_no_pending_responses()
