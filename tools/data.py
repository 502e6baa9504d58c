"""Tools of the data domain."""

from __future__ import annotations

from tools.base import Tool

TOOLS: list[Tool] = []
