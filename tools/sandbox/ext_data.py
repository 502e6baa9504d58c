"""Sandbox extensions and seed data for the data domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox


def seed(sandbox: Sandbox) -> None:
    """Create the demo resources of the data domain."""
