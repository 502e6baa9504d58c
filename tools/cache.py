"""Tools of the cache domain."""

from __future__ import annotations

from tools.base import Tool

TOOLS: list[Tool] = []
