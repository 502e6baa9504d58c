"""The one registry of toolsets. Front ends ask it for tools; they never import a tool module.

opsbot's own domains (``DEFAULT_TOOLSETS``) are imported on first use, so that a front end's fast
path (``opsbot --help``, the Lambda ack) stays cheap. ``register`` adds a toolset at run time (a
plugin, or a test's toy domain); ``unregister`` takes it away again.
"""

from __future__ import annotations

import importlib
from functools import cache

from tools.base import Tool, Toolset
from tools.errors import UnknownToolError

# Each package exports ``TOOLSET``; their order is the catalog's order.
DEFAULT_TOOLSETS = ("tools.training", "tools.inference", "tools.cache", "tools.data", "tools.cost")

_registered: list[Toolset] = []


@cache
def default_toolsets() -> tuple[Toolset, ...]:
    """opsbot's own toolsets, imported once."""
    return tuple(importlib.import_module(name).TOOLSET for name in DEFAULT_TOOLSETS)


def toolsets() -> list[Toolset]:
    """Every toolset: opsbot's own, then the registered ones."""
    return [*default_toolsets(), *_registered]


def register(toolset: Toolset) -> Toolset:
    """Add ``toolset``; a route or a tool name that is already taken is an error."""
    routes = {t.route for t in toolsets()}
    if toolset.route in routes:
        raise ValueError(f"a toolset with route {toolset.route!r} is already registered")
    taken = sorted({t.name for t in tools()} & set(toolset.tool_names()))
    if taken:
        raise ValueError(f"tools already registered: {', '.join(taken)}")
    _registered.append(toolset)
    return toolset


def unregister(toolset: Toolset) -> None:
    """Take back a toolset added with ``register`` (nothing happens if it is not there)."""
    if toolset in _registered:
        _registered.remove(toolset)


def tools(sets: list[Toolset] | None = None) -> list[Tool]:
    """Every tool, in catalog order."""
    found: dict[str, Tool] = {}
    for toolset in toolsets() if sets is None else sets:
        for tool in toolset.tools:
            if tool.name in found:
                raise RuntimeError(f"tool {tool.name} is declared twice")
            found[tool.name] = tool
    return list(found.values())


def get(name: str) -> Tool:
    """The tool called ``name``; an unknown name is an error that lists the known ones."""
    known = {t.name: t for t in tools()}
    try:
        return known[name]
    except KeyError:
        raise UnknownToolError(f"unknown tool {name!r}; known tools: {', '.join(sorted(known))}") from None


def toolset_of(name: str) -> Toolset:
    """The toolset that declares the tool ``name``."""
    for toolset in toolsets():
        if name in toolset.tool_names():
            return toolset
    get(name)  # raises UnknownToolError naming the known tools
    raise AssertionError("unreachable")


def route_of(name: str) -> str | None:
    """The route of the specialist that owns tool ``name``; None for a shared tool (estimate_cost)."""
    toolset = toolset_of(name)
    return None if toolset.shared else toolset.route


def routes(sets: list[Toolset] | None = None) -> tuple[str, ...]:
    """The specialists' routes (shared toolsets have none), in catalog order."""
    return tuple(t.route for t in (toolsets() if sets is None else sets) if not t.shared)


def specialist(route: str, sets: list[Toolset] | None = None) -> Toolset:
    """The toolset of the specialist ``route``; an unknown route lists the known ones."""
    for toolset in toolsets() if sets is None else sets:
        if toolset.route == route and not toolset.shared:
            return toolset
    raise UnknownToolError(f"unknown route {route!r}; routes: {', '.join(routes(sets))}")


def specialist_tools(route: str, focus: str | None = None, sets: list[Toolset] | None = None) -> list[Tool]:
    """The tools one specialist call sees: its toolset's (narrowed to ``focus`` when the toolset has
    that focus) followed by the shared toolsets' tools."""
    sets = toolsets() if sets is None else sets
    own = specialist(route, sets)
    names = own.focuses.get(focus or "")
    mine = [t for t in own.tools if not names or t.name in names]
    return mine + [t for s in sets if s.shared for t in s.tools]


# The names front ends used before toolsets; they are the functions above.
all_tools = tools
get_tool = get


def tools_for_domain(domain: str) -> list[Tool]:
    """The tools of one specialist (training, inference, cache, data), plus the shared ones."""
    return specialist_tools(domain)
