"""Checks on a proposed call before it runs or is planned: names the account does not have.

The graph read the account's names this turn; a call that names an existing resource of some kind
(``Name("endpoint")``) that is not among them gets one clear reply instead: "There is no endpoint
called chat-prd. Closest: chat-prod." A name that belongs to another kind says which kind it is.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from agent.account import kind_of_name
from tools.base import Tool
from tools.kinds import Kind, kinds_of


def _noun(nouns: dict[str, tuple[str, ...]], kind: str) -> str:
    return (nouns.get(kind) or (kind.replace("_", " "),))[0]


def closest(value: str, names: list[str], n: int = 3) -> list[str]:
    """The names most like ``value``, best first."""
    low = value.lower()
    return sorted(names, key=lambda x: -SequenceMatcher(None, low, x.lower()).ratio())[:n]


def empty_region(noun: str, region: str | None, writable: list[str] | None) -> str:
    """Why a kind of resource has no names here: none in this region, and whether the policy allows
    writes in it (a region people did not mean often has neither)."""
    if region is None:
        return f" There are no {noun}s in this account."
    text = f" There are no {noun}s in {region}."
    if writable is not None and region not in writable:
        text += f" The policy allows no changes in {region} (allowed regions: {', '.join(writable)})."
    return text


def unknown_name(
    tool: Tool,
    args: dict[str, Any],
    names: dict[str, list[str]],
    nouns: dict[str, tuple[str, ...]],
    region: str | None = None,
    writable: list[str] | None = None,
) -> tuple[str, str] | None:
    """(argument, why) when ``args`` name a resource that does not exist; None when every name is
    known (or unknowable). ``region`` (where the names were read) and ``writable`` (the policy's
    allowed regions) say where a kind with no names at all was looked for."""
    for field, kind in kinds_of(tool.args_model).items():
        value = args.get(field)
        if kind.kind is not Kind.NAME or not kind.of or kind.new or not isinstance(value, str):
            continue
        listed = names.get(kind.of)
        if listed is None or any(n.lower() == value.lower() for n in listed):
            continue
        noun = _noun(nouns, kind.of)
        others = [k for k in kind_of_name(names, value) if k != kind.of]
        if others:
            return field, f"{value} is a {_noun(nouns, others[0])}, not a {noun}; nothing was run."
        near = closest(value, listed)
        hint = f" Closest: {', '.join(near)}." if near else empty_region(noun, region, writable)
        return field, f"There is no {noun} called {value}.{hint}"
    return None
