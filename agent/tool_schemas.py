"""Everything the agent and the front ends say about the domains, derived from the toolsets.

The routing tool (its enum and description), the supervisor prompt's list of specialists and
focuses, each specialist's prompt, tools and focuses, the out-of-domain reply and the Slack usage
text all come from ``tools.registry``'s toolsets (or from the toolsets a caller hands in), so a
toolset added at run time is routed to, described and offered like opsbot's own.

Tool schemas are OpenAI-format function tools; ``ChatBedrockConverse`` turns them into Converse
``toolConfig`` entries and the offline model reads them directly. References (``$ref``/``$defs``)
are inlined and pydantic's ``title`` keys dropped: several Bedrock models reject or misread
references, and titles only repeat the field names. Prompts are package data of ``prompts``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from tools.base import Tool, Toolset

ROUTE_TOOL = "route_request"
SUPERVISOR = "supervisor"
NONE_ROUTE = "none"


def _toolsets(toolsets: Sequence[Toolset] | None) -> list[Toolset]:
    from tools import registry

    return registry.toolsets() if toolsets is None else list(toolsets)


def _specialists(toolsets: Sequence[Toolset] | None) -> list[Toolset]:
    return [t for t in _toolsets(toolsets) if not t.shared]


class _Routes(Sequence[str]):
    """The specialists' routes, read from the registry each time (so registered toolsets count)."""

    def _now(self) -> tuple[str, ...]:
        return tuple(t.route for t in _specialists(None))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._now()[index]

    def __len__(self) -> int:
        return len(self._now())

    def __contains__(self, value: object) -> bool:
        return value in self._now()

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __repr__(self) -> str:
        return repr(self._now())


class _Focuses(Mapping[str, dict[str, tuple[str, ...]]]):
    """Route -> its focuses (focus -> tool names), for the specialists that have focuses."""

    def _now(self) -> dict[str, dict[str, tuple[str, ...]]]:
        return {t.route: dict(t.focuses) for t in _specialists(None) if t.focuses}

    def __getitem__(self, route: str) -> dict[str, tuple[str, ...]]:
        return self._now()[route]

    def __len__(self) -> int:
        return len(self._now())

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())


ROUTES: Sequence[str] = _Routes()
FOCUS: Mapping[str, dict[str, tuple[str, ...]]] = _Focuses()


def routes(toolsets: Sequence[Toolset] | None = None) -> tuple[str, ...]:
    """The specialists' routes, in catalog order."""
    return tuple(t.route for t in _specialists(toolsets))


def focus_of(tool_name: str, toolsets: Sequence[Toolset] | None = None) -> str | None:
    """The focus a tool belongs to, if its toolset has focuses."""
    for toolset in _toolsets(toolsets):
        for focus, names in toolset.focuses.items():
            if tool_name in names:
                return focus
    return None


def specialist_tools(route: str, focus: str | None = None, toolsets: Sequence[Toolset] | None = None) -> list[Tool]:
    """The tools one specialist call sees: its own (narrowed to ``focus``) plus the shared ones (estimate_cost)."""
    from tools import registry

    return registry.specialist_tools(route, focus, _toolsets(toolsets))


# ------------------------------------------------------------------------------ words for people
def _sentence(text: str) -> str:
    return text.strip().rstrip(".")


def _either(words: list[str], last: str = "or") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _focus_words(toolset: Toolset) -> str:
    """``clusters`` to list HyperPod clusters, ...; ``jobs`` to ... (from the labels of the focus's tools)."""
    labels = {t.name: t.label or t.name.replace("_", " ") for t in toolset.tools}
    return "; ".join(f"`{focus}` to {_either([labels[n] for n in names])}" for focus, names in toolset.focuses.items())


def out_of_domain(toolsets: Sequence[Toolset] | None = None) -> str:
    """The reply to a request that no specialist handles: what opsbot does instead."""
    lines = [f"- {t.route}: {_sentence(t.covers)}" for t in _specialists(toolsets)]
    return "That is outside what I do. I help with LLM training and serving on AWS:\n" + "\n".join(lines)


def usage_text(command: str = "/opsbot", toolsets: Sequence[Toolset] | None = None) -> str:
    """How to ask opsbot, with an example: for an empty Slack command."""
    specialists = _specialists(toolsets)
    tools = [tool for t in specialists for tool in t.tools]
    example = next((t for t in tools if t.is_write), tools[0] if tools else None)
    ask = f"Ask me about {_either([t.route for t in specialists])}"
    return f"{ask}, for example `{command} {example.label or example.name}`." if example else f"{ask}."


# ------------------------------------------------------------------------------------- schemas
def route_tool_schema(toolsets: Sequence[Toolset] | None = None) -> dict[str, Any]:
    """The supervisor's only tool: pick one specialist, or none."""
    specialists = _specialists(toolsets)
    properties: dict[str, Any] = {
        "route": {
            "type": "string",
            "enum": [*(t.route for t in specialists), NONE_ROUTE],
            "description": "The specialist that handles the request, or none.",
        }
    }
    focused = [t for t in specialists if t.focuses]
    if focused:
        properties["focus"] = {
            "type": "string",
            "enum": list(dict.fromkeys(f for t in focused for f in t.focuses)),
            "description": " ".join(f"For {t.route} only: {_focus_words(t)}." for t in focused),
        }
    properties["reason"] = {"type": "string", "description": "One short sentence: why this route."}
    return {
        "type": "function",
        "function": {
            "name": ROUTE_TOOL,
            "description": (
                f"Send the request to one specialist: {_either([t.route for t in specialists])} (the system prompt "
                "says what each covers). Cost questions go to the specialist of the instance family they mention. "
                "Use none for anything else."
            ),
            "parameters": {"type": "object", "properties": properties, "required": ["route", "reason"]},
        },
    }


def tool_schema(tool: Tool) -> dict[str, Any]:
    """An OpenAI-format function tool for ``tool``, with field descriptions and no references."""
    schema = tool.json_schema()
    defs = schema.pop("$defs", {})
    parameters = _clean(_inline(schema, defs, 0))
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": parameters},
    }


def _inline(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if depth > 32:  # a recursive model; keep the reference rather than loop
        return node
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs.get(str(node["$ref"]).split("/")[-1], {})
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline(merged, defs, depth + 1)
        return {k: _inline(v, defs, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def _clean(node: Any, in_properties: bool = False) -> Any:
    """Drop pydantic's ``title`` keys (but never a property that is called "title")."""
    if isinstance(node, dict):
        return {
            k: _clean(v, in_properties=(k == "properties" and not in_properties))
            for k, v in node.items()
            if in_properties or k != "title"
        }
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


# ------------------------------------------------------------------------------------- prompts
def prompts_dir() -> Traversable:
    """The ``prompts`` package, installed with opsbot."""
    return resources.files("prompts")


@cache
def _prompt_file(name: str) -> str:
    path = prompts_dir() / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"system prompt {name!r} not found at {path}") from None


def supervisor_prompt(toolsets: Sequence[Toolset] | None = None) -> str:
    """``prompts/supervisor.md`` (the routing rules) with the specialists and their focuses filled in."""
    specialists = _specialists(toolsets)
    listing = "\n".join(f"- `{t.route}`: {_sentence(t.covers)}." for t in specialists)
    focuses = "\n".join(f"For `{t.route}`, also set `focus`: {_focus_words(t)}." for t in specialists if t.focuses)
    return _prompt_file(SUPERVISOR).replace("{specialists}", listing).replace("{focuses}", focuses)


def specialist_prompt(toolset: Toolset) -> str:
    """A specialist's system prompt: its own text, or its file in the ``prompts`` package."""
    if any(ch.isspace() for ch in toolset.prompt):
        return toolset.prompt.strip()
    return _prompt_file(toolset.prompt or toolset.route)


def load_prompt(name: str, toolsets: Sequence[Toolset] | None = None) -> str:
    """The system prompt of the supervisor or of the specialist ``name``; other names are prompt files.

    A missing prompt is an error naming its path.
    """
    if name == SUPERVISOR:
        return supervisor_prompt(toolsets)
    own = next((t for t in _specialists(toolsets) if t.route == name), None)
    return specialist_prompt(own) if own is not None else _prompt_file(name)
