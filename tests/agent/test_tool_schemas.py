"""What models and people are shown about the domains: tool schemas, the routing tool, the prompts,
the out-of-domain reply and the usage text, all derived from the toolsets."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from agent.tool_schemas import (
    FOCUS,
    ROUTES,
    focus_of,
    load_prompt,
    out_of_domain,
    prompts_dir,
    route_tool_schema,
    specialist_tools,
    supervisor_prompt,
    tool_schema,
    usage_text,
)
from tools import registry
from tools.base import Effect, Risk, Tool, ToolArgs, Toolset


@pytest.mark.parametrize("tool", registry.tools(), ids=lambda t: t.name)
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
    # (an argument another one may stand in for stays required in the schema: see tools.kinds.stays_required)
    stays = set(tool.args_model.model_json_schema().get("required", []))
    required = {n for n, f in tool.args_model.model_fields.items() if f.is_required()} | stays
    assert set(fn["parameters"].get("required", [])) == required
    assert "$ref" not in text and "$defs" not in text and '"title"' not in text


def test_nested_models_are_inlined() -> None:
    # GIVEN a tool whose argument is a list of models with a field called "title"
    class Group(BaseModel):
        title: str = Field(description="A field that is called title.")

    class Args(ToolArgs):
        groups: list[Group] = Field(description="Groups.")

    tool = Tool("t", Effect.READ, Risk.READ, "d", Args, run=lambda c, a: a, render=str)
    # WHEN its schema is built THEN the nested model is inlined and its "title" field kept
    items = tool_schema(tool)["function"]["parameters"]["properties"]["groups"]["items"]
    assert items["properties"]["title"] == {"type": "string", "description": "A field that is called title."}


def test_routes_and_focuses_are_the_toolsets() -> None:
    # GIVEN opsbot's toolsets THEN the routes are the non-shared toolsets' and the focuses theirs
    specialists = [t for t in registry.toolsets() if not t.shared]
    assert tuple(ROUTES) == tuple(t.route for t in specialists) == ("training", "inference", "cache", "data")
    assert dict(FOCUS) == {t.route: t.focuses for t in specialists if t.focuses}
    assert focus_of("scale_hyperpod_cluster") == "clusters" and focus_of("list_endpoints") is None


def test_the_routing_tool_offers_every_route_and_none() -> None:
    schema = route_tool_schema()["function"]
    assert schema["parameters"]["properties"]["route"]["enum"] == [*ROUTES, "none"]
    assert schema["parameters"]["properties"]["focus"]["enum"] == ["clusters", "jobs"]


def test_supervisor_prompt_lists_each_specialist_with_what_it_covers() -> None:
    text = supervisor_prompt()
    for toolset in registry.toolsets():
        line = f"- `{toolset.route}`: {toolset.covers}"
        assert (line in text) is (not toolset.shared)
    assert "{specialists}" not in text and "{focuses}" not in text
    assert "For `training`, also set `focus`: `clusters` to list HyperPod clusters" in text


def test_out_of_domain_reply_and_usage_name_every_route() -> None:
    reply, usage = out_of_domain(), usage_text("/opsbot")
    assert reply.startswith("That is outside what I do.")
    assert all(f"- {route}: " in reply for route in ROUTES) and "- cost" not in reply
    assert usage == (
        "Ask me about training, inference, cache or data, for example `/opsbot create a HyperPod cluster`."
    )


def test_each_specialist_sees_its_tools_narrowed_by_focus_plus_the_shared_ones() -> None:
    jobs = [t.name for t in specialist_tools("training", "jobs")]
    assert jobs == [*registry.specialist("training").focuses["jobs"], "estimate_cost", "summarize_spend"]
    assert [t.name for t in specialist_tools("cache")] == [
        "list_caches",
        "describe_cache",
        "recommend_cache_tuning",
        "tune_cache",
        "estimate_cost",
        "summarize_spend",
    ]


@pytest.mark.parametrize("name", ["supervisor", *ROUTES])
def test_every_prompt_exists_and_warns_about_tool_results(name: str) -> None:
    text = load_prompt(name)
    assert 200 < len(text) < 2500
    assert "instruction" in text.lower()


@pytest.mark.parametrize("name", ROUTES)
def test_specialist_prompts_ask_back_and_take_costs_from_tools(name: str) -> None:
    text = load_prompt(name).lower()
    assert "ask" in text and "estimate_cost" in text and "approval" in text


def test_a_toolset_may_bring_its_prompt_as_text() -> None:
    # GIVEN a toolset whose prompt is text, not a file of the prompts package
    toolset = Toolset(route="toy", covers="Toys.", tools=(), prompt="You are the toy specialist. Be brief.")
    # WHEN its prompt is loaded for its route THEN that text is the prompt
    assert load_prompt("toy", [toolset]) == "You are the toy specialist. Be brief."


def test_missing_prompt_names_its_path() -> None:
    with pytest.raises(FileNotFoundError) as err:
        load_prompt("nope")
    assert str(prompts_dir() / "nope.md") in str(err.value)
