"""list_caches against the sandbox: replication groups and serverless caches with their hourly cost."""

from __future__ import annotations

import pytest

from tools import runtime
from tools.base import ToolContext
from tools.cache.listing import CacheList
from tools.catalog import catalog
from tools.errors import ToolInputError


def test_the_demo_caches_are_listed_with_engine_shape_and_cost(ctx: ToolContext) -> None:
    # GIVEN kv-cache-prod (3 x cache.r7g.xlarge) and expert-cache (serverless, ~12 GB, ~20k ECPU/s)
    out = runtime.run_read("list_caches", {}, ctx)
    caches = CacheList.model_validate(out.result)
    group, serverless = caches.caches
    # THEN the replication group shows its engine, node type, replicas and list price
    assert (group.cache_id, group.kind, group.engine, group.engine_version) == (
        "kv-cache-prod",
        "replication-group",
        "valkey",
        "8.0",
    )
    assert (group.node_type, group.shards, group.replicas_per_shard, group.total_nodes) == ("cache.r7g.xlarge", 1, 2, 3)
    assert group.cost_usd_per_hour == pytest.approx(3 * 0.437)
    # AND the serverless cache what it stored and used in the last hour, priced by use
    assert (serverless.cache_id, serverless.kind, serverless.engine) == ("expert-cache", "serverless", "valkey")
    assert serverless.data_stored_gb == pytest.approx(12, rel=0.05)
    assert serverless.ecpu_per_second == pytest.approx(20000, rel=0.1)
    rates = catalog().serverless_caches["valkey"]
    expected = rates.per_hour(serverless.data_stored_gb, serverless.ecpu_per_second)
    assert serverless.cost_usd_per_hour == pytest.approx(expected, abs=0.001)
    assert caches.total_cost_usd_per_hour == pytest.approx(group.cost_usd_per_hour + serverless.cost_usd_per_hour)
    assert "- kv-cache-prod: valkey 8.0, available, 1 shard(s) x (1 + 2 replicas) = 3 x cache.r7g.xlarge, $1.311/h" in (
        out.text
    )
    assert "- expert-cache: serverless valkey 8.0, available, " in out.text and "(billed by use)" in out.text


def test_a_serverless_cache_without_usage_costs_its_storage_minimum(ctx: ToolContext) -> None:
    # GIVEN a new serverless cache with no traffic yet
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        sandbox.client("elasticache").create_serverless_cache(ServerlessCacheName="idle", Engine="redis")
    caches = CacheList.model_validate(runtime.run_read("list_caches", {}, ctx).result)
    idle = next(c for c in caches.caches if c.cache_id == "idle")
    # THEN it costs the 1 GB minimum of Redis serverless, and says why
    assert idle.cost_usd_per_hour == pytest.approx(catalog().serverless_caches["redis"].usd_per_gb_hour, abs=0.001)
    assert "1 GB minimum" in (idle.cost_note or "")


def test_the_cache_resource_names_both_kinds(ctx: ToolContext) -> None:
    from tools.registry import toolset_of

    [resource] = toolset_of("list_caches").resources
    assert resource.kind == "cache"
    assert resource.names(runtime.run_read("list_caches", {}, ctx).result) == ["kv-cache-prod", "expert-cache"]


def test_describe_of_a_serverless_cache_says_what_it_is(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError, match="is a serverless cache"):
        runtime.run_read("describe_cache", {"cache_id": "expert-cache"}, ctx)
