"""What the models are shown: the routing tool, each catalog tool as a function schema, the prompts.

Schemas are OpenAI-format function tools; ``ChatBedrockConverse`` turns them into Converse
``toolConfig`` entries and the offline model reads them directly. References (``$ref``/``$defs``)
are inlined and pydantic's ``title`` keys dropped: several Bedrock models reject or misread
references, and titles only repeat the field names.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.base import Tool

ROUTES = ("training", "inference", "cache", "data")
ROUTE_TOOL = "route_request"
# The training domain has ten tools; its specialist sees one focus at a time so each model call
# stays small. estimate_cost goes with every specialist.
FOCUS = {
    "training": {
        "clusters": (
            "list_hyperpod_clusters",
            "describe_hyperpod_cluster",
            "create_hyperpod_cluster",
            "scale_hyperpod_cluster",
            "delete_hyperpod_cluster",
        ),
        "jobs": (
            "launch_training_job",
            "describe_training_job",
            "stop_training_job",
            "search_training_plans",
            "purchase_training_plan",
        ),
    }
}


def focus_of(tool_name: str) -> str | None:
    """The focus a tool belongs to, if its domain has focuses."""
    for focuses in FOCUS.values():
        for focus, names in focuses.items():
            if tool_name in names:
                return focus
    return None


def specialist_tools(route: str, focus: str | None = None) -> list[Tool]:
    """The tools one specialist call sees: its domain (narrowed to ``focus``) plus estimate_cost."""
    from tools.registry import tools_for_domain

    tools = tools_for_domain(route)
    names = FOCUS.get(route, {}).get(focus or "")
    if not names:
        return tools
    return [t for t in tools if t.name in names or t.domain == "cost"]


def route_tool_schema() -> dict[str, Any]:
    """The supervisor's only tool: pick one specialist, or none."""
    return {
        "type": "function",
        "function": {
            "name": ROUTE_TOOL,
            "description": (
                "Send the request to one specialist: training (HyperPod clusters, Trainium training jobs, "
                "training plans), inference (Inf2 and P6-B200 endpoints, instance sizing), cache (ElastiCache "
                "KV and expert caches), data (S3 Metadata queries over training data). Cost questions go to "
                "the specialist of the instance family they mention. Use none for anything else."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "route": {
                        "type": "string",
                        "enum": [*ROUTES, "none"],
                        "description": "The specialist that handles the request, or none.",
                    },
                    "focus": {
                        "type": "string",
                        "enum": ["clusters", "jobs"],
                        "description": "For training only: clusters (HyperPod clusters) or jobs (training "
                        "jobs and training plans).",
                    },
                    "reason": {"type": "string", "description": "One short sentence: why this route."},
                },
                "required": ["route", "reason"],
            },
        },
    }


def tool_schema(tool: Tool) -> dict[str, Any]:
    """An OpenAI-format function tool for ``tool``, with field descriptions and no references."""
    schema = tool.args_model.model_json_schema()
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


def prompts_dir() -> Path:
    """The prompts folder: next to the ``agent`` package (source tree, editable install, Lambda)."""
    here = Path(__file__).resolve().parents[1] / "prompts"
    return here if here.is_dir() else Path.cwd() / "prompts"


@cache
def load_prompt(name: str) -> str:
    """The system prompt ``prompts/<name>.md``; a missing prompt is an error naming the path."""
    path = prompts_dir() / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"system prompt {name!r} not found at {path}") from None
