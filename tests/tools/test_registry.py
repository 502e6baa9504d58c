"""The registry serves toolsets: opsbot's own, and one registered at run time (a plugin, or this
test's toy domain) is offered everywhere the toolsets are read, with no other file changed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated

import pytest
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from agent.cli import app
from agent.service import Opsbot
from agent.tool_schemas import (
    ROUTES,
    out_of_domain,
    route_tool_schema,
    specialist_tools,
    supervisor_prompt,
    tool_schema,
)
from tools import registry, runtime
from tools.base import Effect, Resource, Risk, Tool, ToolArgs, ToolContext, Toolset
from tools.config import Settings
from tools.errors import UnknownToolError
from tools.kinds import Name


class CountArgs(ToolArgs):
    """count_marbles' arguments."""

    jar: Annotated[str, Name("jar"), Field(description="Name of the jar, e.g. blue.")]


class Marbles(BaseModel):
    """count_marbles' result."""

    jar: str
    marbles: int


def count(ctx: ToolContext, args: CountArgs) -> Marbles:
    """One marble per letter of the jar's name: a toy needs no AWS."""
    return Marbles(jar=args.jar, marbles=len(args.jar))


TOY = Toolset(
    route="toys",
    covers="Marble jars in the playroom.",
    tools=(
        Tool(
            name="count_marbles",
            label="count the marbles in a jar",
            effect=Effect.READ,
            risk=Risk.READ,
            description="Count the marbles in one jar.",
            phrasings=("count [the] marbles in {jar}", "how many marbles (are|do we have) in {jar}"),
            args_model=CountArgs,
            run=count,
            render=lambda r: f"{r.jar}: {r.marbles} marbles",
        ),
    ),
    prompt="You are opsbot's toy specialist. Count marbles with your tool; ask which jar if it is not said.",
    resources=(Resource("jar", ("jar",), "count_marbles", lambda r: [r["jar"]]),),
    keywords=("marble",),
)


@pytest.fixture
def toy() -> Iterator[Toolset]:
    """GIVEN the toy toolset registered for the duration of a test."""
    registry.register(TOY)
    try:
        yield TOY
    finally:
        registry.unregister(TOY)


def test_opsbots_own_toolsets_are_served_in_catalog_order() -> None:
    assert [t.route for t in registry.toolsets()] == ["training", "inference", "cache", "data", "cost"]
    assert registry.routes() == ("training", "inference", "cache", "data")
    assert registry.route_of("scale_endpoint") == "inference" and registry.route_of("estimate_cost") is None
    assert registry.get("tune_cache").domain == "cache"
    with pytest.raises(UnknownToolError, match="known tools: create_hyperpod_cluster"):
        registry.get("nope")


def test_a_registered_toolset_is_in_opsbot_tools(toy: Toolset) -> None:
    # WHEN `opsbot tools --json` runs in process
    result = CliRunner().invoke(app, ["tools", "--json"])
    # THEN the toy tool is listed with its domain, effect and risk
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)["tools"]}
    assert (rows["count_marbles"]["domain"], rows["count_marbles"]["effect"]) == ("toys", "read")


def test_a_registered_toolset_is_in_the_bedrock_tool_schemas_of_its_specialist(toy: Toolset) -> None:
    # WHEN the specialist of its route is assembled as the graph does
    schemas = [tool_schema(t) for t in specialist_tools("toys")]
    # THEN it gets the toy tool's function schema (with the argument's kind) plus the shared tools
    names = [s["function"]["name"] for s in schemas]
    assert names == ["count_marbles", "estimate_cost", "summarize_spend"]
    jar = schemas[0]["function"]["parameters"]["properties"]["jar"]
    assert jar["x-opsbot-kind"] == {"kind": "name", "of": "jar"}
    # AND the supervisor can route to it, and says what it covers
    assert "toys" in ROUTES
    assert "toys" in route_tool_schema()["function"]["parameters"]["properties"]["route"]["enum"]
    assert "- `toys`: Marble jars in the playroom." in supervisor_prompt()
    assert "- toys: Marble jars in the playroom" in out_of_domain()


def test_a_registered_tool_runs_through_the_runtime(toy: Toolset, ctx: ToolContext) -> None:
    assert runtime.run_read("count_marbles", {"jar": "blue"}, ctx).text == "blue: 4 marbles"
    assert runtime.plan("count_marbles", {"jar": "blue"}, ctx).summary == "count the marbles in a jar (jar=blue)"


def test_a_registered_tool_is_reached_by_its_explicit_command(toy: Toolset, settings: Settings) -> None:
    # WHEN someone types the toy tool's command THEN the graph routes it to the toy specialist and runs it
    result = Opsbot(settings).ask("count_marbles jar=blue", user="dave")
    assert result.route == "toys" and [c.name for c in result.tool_calls] == ["count_marbles"]
    assert result.reply == "blue: 4 marbles"


def test_a_registered_tool_is_reached_by_one_of_its_phrasings(toy: Toolset, settings: Settings) -> None:
    # WHEN someone asks in words the toy tool declares THEN the offline model reads its slot and calls it
    result = Opsbot(settings).ask("how many marbles are in the blue jar?", user="dave")
    assert result.route == "toys" and [(c.name, c.args) for c in result.tool_calls] == [
        ("count_marbles", {"jar": "blue"})
    ]


def test_unregister_takes_it_away_again() -> None:
    registry.register(TOY)
    registry.unregister(TOY)
    assert "toys" not in registry.routes()
    with pytest.raises(UnknownToolError):
        registry.get("count_marbles")


def test_a_route_or_tool_name_cannot_be_taken_twice(toy: Toolset) -> None:
    with pytest.raises(ValueError, match="route 'toys'"):
        registry.register(Toolset(route="toys", covers="Again.", tools=()))
    clash = Toolset(route="other", covers="Clash.", tools=(replace(registry.get("list_endpoints"), domain=""),))
    with pytest.raises(ValueError, match="tools already registered: list_endpoints"):
        registry.register(clash)


def test_a_tool_is_advised_only_by_a_read_of_its_own_toolset() -> None:
    # GIVEN tune_cache, advised by recommend_cache_tuning in the cache toolset
    tune, recommend = registry.get("tune_cache"), registry.get("recommend_cache_tuning")
    assert tune.advised_by == recommend.name
    # WHEN a toolset declares it without that read, or with a write as its adviser, THEN it is refused
    with pytest.raises(ValueError, match="advised by recommend_cache_tuning"):
        Toolset(route="other", covers="No adviser.", tools=(replace(tune, domain=""),))
    scale = replace(registry.get("scale_endpoint"), domain="", advised_by="delete_endpoint")
    delete = replace(registry.get("delete_endpoint"), domain="")
    with pytest.raises(ValueError, match="advised by delete_endpoint"):
        Toolset(route="other", covers="A write advises.", tools=(scale, delete))


def test_the_readme_lists_every_tool() -> None:
    # GIVEN the README WHEN its tool table is read THEN every registered tool of opsbot is in it
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = set(re.findall(r"^\| `(\w+)` \| (?:read|write|destructive) \|", text, re.MULTILINE))
    assert listed == {t.name for t in registry.tools()}


def test_opsbot_tools_lists_the_reads() -> None:
    # WHEN `opsbot tools --json` runs THEN the five reads are in the catalog, as reads
    result = CliRunner().invoke(app, ["tools", "--json"])
    rows = {r["name"]: r for r in json.loads(result.stdout)["tools"]}
    reads = ("list_training_jobs", "list_caches", "get_endpoint_metrics", "summarize_spend", "summarize_s3_metadata")
    assert {name: rows[name]["effect"] for name in reads} == dict.fromkeys(reads, "read")
