"""The names that exist in the account, read once per turn through each toolset's ``Resource``.

Each resource kind says which read tool lists it and how to find the names in that tool's result.
A listing that fails (no permission, a throttled call) leaves that kind out: opsbot then cannot
tell an unknown name from a new one, and says nothing about it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from agent.memory import listed_items
from tools import runtime as tool_runtime
from tools.base import Resource, ToolContext
from tools.errors import OpsbotError

log = logging.getLogger("opsbot.account")


def read_names(resources: Sequence[Resource], ctx: ToolContext) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """(resource kind -> names, listing tool -> its result data) for every resource kind that lists."""
    names: dict[str, list[str]] = {}
    results: dict[str, Any] = {}
    for res in resources:
        if res.listed_by not in results:
            try:
                results[res.listed_by] = tool_runtime.run_read(res.listed_by, {}, ctx).result
            except OpsbotError as exc:  # a listing that needs arguments, or an AWS error: kind unknown
                log.info("cannot list %s with %s: %s", res.kind, res.listed_by, exc)
                results[res.listed_by] = None
        data = results[res.listed_by]
        if data is None:
            continue
        try:
            found = [str(n) for n in res.names(data)]
        except (KeyError, TypeError, ValueError) as exc:
            log.info("cannot read %s names from %s: %s", res.kind, res.listed_by, exc)
            continue
        names[res.kind] = sorted(dict.fromkeys([*names.get(res.kind, []), *found]))
    return names, results


def facts_of_listings(resources: Sequence[Resource], results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resource kind -> name -> what its listing shows of it (scalar fields): "the p6 one" is the
    endpoint whose instance type says p6."""
    out: dict[str, dict[str, Any]] = {}
    for res in resources:
        data = results.get(res.listed_by)
        if not data:
            continue
        try:
            names = [str(n) for n in res.names(data)]
        except (KeyError, TypeError, ValueError):
            continue
        items = listed_items(data, names)
        if len(items) == len(names):
            out[res.kind] = dict(zip(names, items, strict=True))
    return out


def kind_of_name(names: dict[str, list[str]], value: str) -> list[str]:
    """Resource kinds that have a resource called ``value`` (case-insensitive)."""
    low = value.lower()
    return [kind for kind, listed in names.items() if any(n.lower() == low for n in listed)]
