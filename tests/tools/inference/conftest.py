"""Fixtures of the inference tests."""

from __future__ import annotations

import pytest

from tests.tools.inference.stubs import live_context
from tools.base import ToolContext


@pytest.fixture
def live_ctx() -> ToolContext:
    """GIVEN a live-mode context whose every AWS call is stubbed."""
    return live_context()
