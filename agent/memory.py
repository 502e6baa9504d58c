"""Thread memory: what a conversation is about, kept in the graph state between turns.

- ``focus``: the resource the thread is about ({"kind", "name"}): "scale it to 2", "stop it";
- ``last_call``: the last tool call and its arguments: "same but with 6 nodes", "make it 3";
- ``results``: the last listed result set ({"tool", "ids", "items"}): "buy the cheapest one";
- ``offer``: a call opsbot showed without filing it (a preview, or one a result proposes, such as
  a tuning recommendation): "do it", "apply that";
- ``pending``: the request waiting for approval in this thread: "cancel that", "approve";
- ``asked``: opsbot's open question ({"tool", "args", "missing"} or {"choices"});
- ``route``: the specialist the thread was last with.

Memory is data (JSON), bounded (a few items per result set, scalar fields only), and rendered as
text for the Bedrock model (``describe``). Filters never carry over by themselves: only
``last_call`` holds arguments, and only a message that says so ("same", "again") reuses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from tools.base import Resource, Tool
from tools.kinds import kinds_of

MAX_ITEMS = 12
_SCALARS = (str, int, float, bool)


def names_in_call(tool: Tool, args: dict[str, Any]) -> list[tuple[str, str]]:
    """(resource kind, name) of the resources a call names, from its declared kinds."""
    out = []
    for field, kind in kinds_of(tool.args_model).items():
        if str(kind.kind) == "name" and kind.of and isinstance(args.get(field), str):
            out.append((kind.of, args[field]))
    return out


def after_call(memory: dict[str, Any], tool: Tool, args: dict[str, Any], route: str | None) -> dict[str, Any]:
    """Memory after a call was made or proposed: the last call, and its resource in focus."""
    out = dict(memory)
    out["last_call"] = {"name": tool.name, "args": dict(args)}
    named = names_in_call(tool, args)
    if named:
        out["focus"] = {"kind": named[0][0], "name": named[0][1]}
    if route:
        out["route"] = route
    return out


def listed_ids(tools: Sequence[Tool]) -> dict[str, list[tuple[str, str]]]:
    """Listing tool -> (resource kind, argument) of the id arguments other tools say it lists."""
    out: dict[str, list[tuple[str, str]]] = {}
    for tool in tools:
        for field, kind in kinds_of(tool.args_model).items():
            if kind.listed_by:
                out.setdefault(kind.listed_by, []).append((kind.of or field, field))
    return out


def after_result(
    memory: dict[str, Any],
    tool: Tool,
    result: dict[str, Any] | None,
    resources: Sequence[Resource],
    tools: set[str],
    lists: dict[str, list[tuple[str, str]]] | None = None,
) -> dict[str, Any]:
    """Memory after a read ran: its listed items (when it lists a resource kind, or ids another
    tool's argument says it lists) and any call it proposes."""
    out = dict(memory)
    if not result:
        return out
    for res in resources:
        if res.listed_by != tool.name:
            continue
        try:
            ids = [str(n) for n in res.names(result)]
        except (KeyError, TypeError, ValueError):
            continue
        out["results"] = {
            "tool": tool.name,
            "kind": res.kind,
            "ids": ids[:MAX_ITEMS],
            "items": listed_items(result, ids),
        }
        break
    else:
        for kind, field in (lists or {}).get(tool.name, []):
            items = _items_with(result, field)
            if items:
                ids = [str(i[field]) for i in items]
                out["results"] = {"tool": tool.name, "kind": kind, "ids": ids, "items": items}
                break
    facts = facts_of(tool, dict((memory.get("last_call") or {}).get("args") or {}), result)
    if facts is not None:
        out["facts"] = facts
    proposed = _proposal(result, tools)
    if proposed is not None:
        out["offer"] = {**proposed, "source": tool.name, "turn": memory.get("turn", 0)}
    return out


def facts_of(tool: Tool, args: dict[str, Any], result: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a read showed of the resource it names: its scalar fields (and those one level down)."""
    named = names_in_call(tool, args)
    if not named or not isinstance(result, dict):
        return None
    values: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, _SCALARS):
            values[key] = value
        elif isinstance(value, dict):
            values.update({k: v for k, v in value.items() if isinstance(v, _SCALARS) and k not in values})
    return {"kind": named[0][0], "name": named[0][1], "values": dict(list(values.items())[:40])}


def listed_items(result: Any, ids: list[str]) -> list[dict[str, Any]]:
    """The result's list of items that matches ``ids`` (searched a few levels down), scalar fields only."""
    return _first_items(result, lambda items: len(items) == len(ids))


def _items_with(result: Any, key: str) -> list[dict[str, Any]]:
    """The first list of items (dicts) in the result that carry ``key``, scalar fields only."""
    return _first_items(result, lambda items: all(key in v for v in items))


def _first_items(result: Any, fits: Callable[[list[dict[str, Any]]], bool], depth: int = 0) -> list[dict[str, Any]]:
    """The first non-empty list of dicts in ``result`` that ``fits`` (this level's values first, then each
    nested dict's, a few levels down), with their scalar fields only, at most MAX_ITEMS of them."""
    if not isinstance(result, dict) or depth > 3:
        return []
    for value in result.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and fits(value):
            return [{k: v for k, v in item.items() if isinstance(v, _SCALARS)} for item in value[:MAX_ITEMS]]
    for value in result.values():
        found = _first_items(value, fits, depth + 1)
        if found:
            return found
    return []


def _proposal(result: Any, tools: set[str], depth: int = 0) -> dict[str, Any] | None:
    """A call the result proposes: a field ``<tool>_args`` holding that tool's arguments."""
    if not isinstance(result, dict) or depth > 3:
        return None
    for key, value in result.items():
        if key.endswith("_args") and key[: -len("_args")] in tools and isinstance(value, dict) and value:
            return {"tool": key[: -len("_args")], "args": dict(value)}
    for value in result.values():
        found = _proposal(value, tools, depth + 1)
        if found:
            return found
    return None


def describe(memory: dict[str, Any], names: dict[str, list[str]], nouns: dict[str, tuple[str, ...]]) -> str:
    """The memory and the account's names as text for a model's system prompt."""
    lines = []
    focus = memory.get("focus")
    if focus:
        lines.append(f"- Resource in focus: {_noun(nouns, focus['kind'])} {focus['name']}")
    last = memory.get("last_call")
    if last:
        lines.append(f"- Last call: {last['name']} {json.dumps(last['args'], sort_keys=True)}")
    pending = memory.get("pending")
    if pending:
        lines.append(
            f"- Pending request {pending['id']}: {pending['tool']} {json.dumps(pending['args'], sort_keys=True)} "
            "(a corrected request replaces it)"
        )
    offer = memory.get("offer")
    if offer:
        lines.append(f"- Shown but not requested: {offer['tool']} {json.dumps(offer['args'], sort_keys=True)}")
    results = memory.get("results")
    if results:
        shown = "; ".join(
            f"{i}. {rid}" + (f" ({_brief(results['items'][n])})" if n < len(results.get("items", [])) else "")
            for n, (i, rid) in enumerate(zip(range(1, 99), results["ids"], strict=False))
        )
        lines.append(f"- Last results of {results['tool']}: {shown}")
    asked = memory.get("asked")
    if asked:
        what = ", ".join(asked.get("missing") or []) or "a choice"
        lines.append(f"- You asked for {what}" + (f" (for {asked['tool']})" if asked.get("tool") else ""))
    if names:
        listed = "; ".join(f"{_noun(nouns, kind)}s: {', '.join(v) or 'none'}" for kind, v in sorted(names.items()))
        lines.append(f"- Resources in this account: {listed}")
    return "\n".join(lines)


def _noun(nouns: dict[str, tuple[str, ...]], kind: str) -> str:
    return (nouns.get(kind) or (kind.replace("_", " "),))[0]


def _brief(item: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in list(item.items())[:4])


def older_messages(messages: Sequence[Any], keep_turns: int) -> list[str]:
    """Ids of the messages before the newest ``keep_turns`` turns (a turn starts at a human message).

    The conversation a thread keeps is cut at a turn's start, so what stays is well formed (no tool
    result without its call). What the older turns were about (focus, last call, results, pending
    request, open question) is in the memory, which is not trimmed, so "scale it to 2" still works.
    """
    starts = [i for i, m in enumerate(messages) if getattr(m, "type", None) == "human"]
    if len(starts) <= keep_turns:
        return []
    cut = starts[-keep_turns]
    return [m.id for m in messages[:cut] if getattr(m, "id", None)]
