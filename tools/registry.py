"""The one registry of tools. Front ends ask it for tools; they never import a tool module.

Domain modules each expose ``TOOLS``; they are imported on first use so that a front end's
fast path (``opsbot --help``, the Lambda ack) stays cheap.
"""

from __future__ import annotations

import importlib
from functools import cache

from tools.base import Tool
from tools.errors import UnknownToolError

DOMAIN_MODULES = {
    "training": "tools.training",
    "inference": "tools.inference",
    "cache": "tools.cache",
    "data": "tools.data",
    "cost": "tools.cost",
}
DOMAINS = ("training", "inference", "cache", "data")


@cache
def _load() -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    for module_name in DOMAIN_MODULES.values():
        module = importlib.import_module(module_name)
        for tool in module.TOOLS:
            if tool.name in tools:
                raise RuntimeError(f"tool {tool.name} is declared twice")
            tools[tool.name] = tool
    return tools


def all_tools() -> list[Tool]:
    """Every tool, in catalog order."""
    return list(_load().values())


def get_tool(name: str) -> Tool:
    """The tool called ``name``; an unknown name is an error that lists the known ones."""
    tools = _load()
    try:
        return tools[name]
    except KeyError:
        raise UnknownToolError(f"unknown tool {name!r}; known tools: {', '.join(sorted(tools))}") from None


def tools_for_domain(domain: str) -> list[Tool]:
    """The tools of one specialist (training, inference, cache, data), plus estimate_cost."""
    return [t for t in _load().values() if t.domain == domain or t.domain == "cost"]
