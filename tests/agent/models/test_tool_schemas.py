"""What models are shown: function schemas of every tool, the routing tool and the prompts."""

from __future__ import annotations

import json

import pytest

from agent.tool_schemas import ROUTES, load_prompt, prompts_dir, tool_schema
from tools.registry import DOMAINS, all_tools


@pytest.mark.parametrize("tool", all_tools(), ids=lambda t: t.name)
def test_tool_schema_is_an_openai_function_without_references(tool) -> None:
    # GIVEN a catalog tool WHEN it is turned into a function schema
    schema = tool_schema(tool)
    fn = schema["function"]
    text = json.dumps(schema)
    # THEN it is an OpenAI function tool with the tool's name, description and argument names
    assert schema["type"] == "function"
    assert fn["name"] == tool.name and fn["description"] == tool.description
    assert fn["parameters"]["type"] == "object"
    assert set(fn["parameters"]["properties"]) == set(tool.args_model.model_fields)
    # AND every argument keeps its description, required ones stay required, and no $ref is left
    assert all(p.get("description") for p in fn["parameters"]["properties"].values())
    required = {n for n, f in tool.args_model.model_fields.items() if f.is_required()}
    assert set(fn["parameters"].get("required", [])) == required
    assert "$ref" not in text and "$defs" not in text and '"title"' not in text


def test_nested_models_are_inlined() -> None:
    from pydantic import BaseModel, Field

    from tools.base import Tool

    class Group(BaseModel):
        title: str = Field(description="A field that is called title.")

    class Args(BaseModel):
        groups: list[Group] = Field(description="Groups.")

    tool = Tool("t", "training", "read", "read", "d", Args, None, None, None)  # type: ignore[arg-type]
    items = tool_schema(tool)["function"]["parameters"]["properties"]["groups"]["items"]
    assert items["properties"]["title"] == {"type": "string", "description": "A field that is called title."}


def test_routes_are_the_registry_domains() -> None:
    assert tuple(ROUTES) == tuple(DOMAINS)


@pytest.mark.parametrize("name", ["supervisor", *ROUTES])
def test_every_prompt_exists_and_warns_about_tool_results(name: str) -> None:
    text = load_prompt(name)
    assert 200 < len(text) < 2500
    assert "instruction" in text.lower()


@pytest.mark.parametrize("name", ROUTES)
def test_specialist_prompts_ask_back_and_take_costs_from_tools(name: str) -> None:
    text = load_prompt(name).lower()
    assert "ask" in text and "estimate_cost" in text and "approval" in text


def test_missing_prompt_names_its_path() -> None:
    with pytest.raises(FileNotFoundError) as err:
        load_prompt("nope")
    assert str(prompts_dir() / "nope.md") in str(err.value)
