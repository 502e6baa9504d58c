"""Fixtures of the sandbox tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def sandbox(ctx: Any) -> Any:
    """GIVEN the seeded sandbox of the test's context, with its state loaded."""
    sb = ctx.clients.sandbox
    with sb.session():
        pass
    return sb
