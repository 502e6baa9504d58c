"""describe_cache against the sandbox's kv-cache-prod."""

from __future__ import annotations

import pytest

from tests.tools.cache.sandbox import GROUP
from tests.tools.helpers import record
from tools import runtime
from tools.base import Effect, Risk
from tools.registry import get_tool


# ------------------------------------------------------------------------------ describe_cache
def test_catalog_entries() -> None:
    tools = {name: get_tool(name) for name in ("describe_cache", "recommend_cache_tuning", "tune_cache")}
    assert {t.domain for t in tools.values()} == {"cache"}
    assert tools["describe_cache"].effect is Effect.READ and tools["recommend_cache_tuning"].effect is Effect.READ
    assert (tools["tune_cache"].effect, tools["tune_cache"].risk) == (Effect.WRITE, Risk.MEDIUM)
    schema = tools["tune_cache"].json_schema()
    assert set(schema["properties"]) == {"cache_id", "node_type", "replica_count", "add_replicas", "parameters"}
    assert all(p.get("description") for p in schema["properties"].values())
    assert set(tools["recommend_cache_tuning"].json_schema()["properties"]) == {"cache_id", "workload"}


@pytest.mark.parametrize(
    ("name", "raw", "args"),
    [
        ("describe_cache", {"cache_id": "KV-Cache-Prod"}, {"cache_id": GROUP}),
        (
            "recommend_cache_tuning",
            {"cache_id": GROUP, "workload": "MoE experts"},
            {"cache_id": GROUP, "workload": "moe-experts"},
        ),
    ],
)
def test_read_plans_write_nothing_and_normalise_arguments(ctx, name: str, raw: dict, args: dict) -> None:
    calls = record(ctx, "elasticache").calls
    plan = runtime.plan(name, raw, ctx)
    assert (plan.effect, plan.risk, plan.aws_operations, plan.args) == (Effect.READ, Risk.READ, [], args)
    assert GROUP in plan.summary and calls == []


def test_describe_cache_reports_shape_cost_parameters_and_the_last_hour(ctx) -> None:
    # WHEN the seeded group is described
    outcome = runtime.run_read("describe_cache", {"cache_id": GROUP}, ctx)
    r = outcome.result
    # THEN the shape, engine and parameter group are AWS's
    assert (r["engine"], r["engine_version"], r["status"]) == ("valkey", "8.0", "available")
    assert (r["node_type"], r["node_groups"], r["replicas_per_node_group"], r["total_nodes"]) == (
        "cache.r7g.xlarge",
        1,
        2,
        3,
    )
    assert (r["parameter_group"], r["parameter_group_family"]) == ("default.valkey8", "valkey8")
    assert r["parameters"]["maxmemory-policy"] == "volatile-lru"
    # AND the cost is three nodes at the catalog price
    assert r["cost_usd_per_hour"] == pytest.approx(3 * r["price_usd_per_node_hour"])
    # AND the last hour shows the seeded pressure: full memory, evictions, a sagging hit rate
    m = r["metrics"]
    assert m["memory_percent_max"] > 85 and m["evictions"] > 0 and m["evictions_per_minute"] > 0
    assert 50 < m["hit_rate_percent"] < 90
    assert m["engine_cpu_percent_max"] > 0 and m["connections"] > 0 and m["reads_per_write"] > 4
    assert [n["cache_cluster_id"] for n in m["nodes"]] == [f"{GROUP}-001", f"{GROUP}-002", f"{GROUP}-003"]
    assert m["nodes"][1]["evictions"] == 0
    # AND the rendering says it for people
    assert "valkey 8.0" in outcome.text and "3 x cache.r7g.xlarge" in outcome.text
    assert "hit rate" in outcome.text and "evictions" in outcome.text and "$1.311/h" in outcome.text
