"""The toolsets the agent is handed, and what the graph asks of them.

The graph, the models and the front ends never name a tool: they are handed toolsets (by default
the registry's) and read routes, specialists' tools, focuses and resources from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from tools.base import Resource, Tool, Toolset


def default_toolsets() -> tuple[Toolset, ...]:
    """The registry's toolsets: opsbot's own domains and any registered ones."""
    from tools import registry

    return tuple(registry.toolsets())


class Toolbox:
    """A view of the handed toolsets: tools by name, routes, each specialist's tools, resources."""

    def __init__(self, toolsets: Sequence[Toolset]) -> None:
        self.toolsets = tuple(toolsets)

    @cached_property
    def tools(self) -> dict[str, Tool]:
        """Every tool by name."""
        return {t.name: t for ts in self.toolsets for t in ts.tools}

    @cached_property
    def routes(self) -> tuple[str, ...]:
        """The routes of the toolsets that have one (shared toolsets have none)."""
        return tuple(ts.route for ts in self.toolsets if not ts.shared)

    def route_of(self, tool: str) -> str | None:
        """The route of a tool's toolset (None for a shared tool)."""
        for ts in self.toolsets:
            if not ts.shared and any(t.name == tool for t in ts.tools):
                return ts.route
        return None

    def specialist_tools(self, route: str, focus: str | None = None) -> list[Tool]:
        """The tools one specialist call sees: its toolset (narrowed to ``focus``) plus shared tools."""
        from agent.tool_schemas import specialist_tools

        if route not in self.routes:
            return []
        return specialist_tools(route, focus, self.toolsets)

    def focus_of(self, tool: str) -> str | None:
        """The focus a tool belongs to, if its toolset has focuses."""
        for ts in self.toolsets:
            for focus, names in ts.focuses.items():
                if tool in names:
                    return focus
        return None

    @cached_property
    def resources(self) -> tuple[Resource, ...]:
        """Every resource kind the toolsets manage."""
        return tuple(r for ts in self.toolsets for r in ts.resources)
