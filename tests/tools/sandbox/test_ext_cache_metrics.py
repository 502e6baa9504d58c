"""The sandbox's node metrics follow the workload and the group's current shape."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tools.sandbox.ext_cache import SEED_WORKLOAD
from tools.sandbox.ext_cache_metrics import points, publish
from tools.sandbox.ext_cache_params import store

AT = 1_800_000_000  # a fixed 5-minute slot


def _group(node_type: str, replicas: int) -> Any:
    members = [{"cache_cluster_id": "g-001", "current_role": "primary"}]
    members += [{"cache_cluster_id": f"g-{i + 2:03d}", "current_role": "replica"} for i in range(replicas)]
    return SimpleNamespace(
        replication_group_id="g",
        cache_node_type=node_type,
        node_groups=[{"node_group_members": members}],
        member_clusters=[m["cache_cluster_id"] for m in members],
    )


def _by(data: list[dict[str, Any]], node: str) -> dict[str, float]:
    return {d["MetricName"]: d["Value"] for d in data if d["Dimensions"][0]["Value"] == node}


def test_a_bigger_node_relieves_memory_and_stops_evictions() -> None:
    # GIVEN the seeded workload on cache.r7g.xlarge and on cache.r7g.2xlarge
    small = _by(points(SEED_WORKLOAD, _group("cache.r7g.xlarge", 2), 25, AT), "g-001")
    big = _by(points(SEED_WORKLOAD, _group("cache.r7g.2xlarge", 2), 25, AT), "g-001")
    # THEN the small node is full and evicting, the big one is not, and its hit rate is higher
    assert small["DatabaseMemoryUsagePercentage"] >= 95 and small["Evictions"] > 0
    assert big["DatabaseMemoryUsagePercentage"] < 70 and big["Evictions"] == 0
    assert big["CacheHitRate"] > small["CacheHitRate"]
    # AND the bytes used are the data size, which fits the bigger node
    assert big["BytesUsedForCache"] > small["BytesUsedForCache"]


def test_more_reserved_memory_means_more_pressure() -> None:
    relaxed = _by(points(SEED_WORKLOAD, _group("cache.r7g.2xlarge", 2), 25, AT), "g-001")
    tight = _by(points(SEED_WORKLOAD, _group("cache.r7g.2xlarge", 2), 50, AT), "g-001")
    assert tight["DatabaseMemoryUsagePercentage"] > relaxed["DatabaseMemoryUsagePercentage"]


def test_replicas_share_reads_and_only_the_primary_writes() -> None:
    three = points(SEED_WORKLOAD, _group("cache.r7g.xlarge", 2), 25, AT)
    four = points(SEED_WORKLOAD, _group("cache.r7g.xlarge", 3), 25, AT)
    assert _by(four, "g-002")["GetTypeCmds"] < _by(three, "g-002")["GetTypeCmds"]
    assert _by(four, "g-001")["EngineCPUUtilization"] < _by(three, "g-001")["EngineCPUUtilization"]
    assert _by(three, "g-002")["SetTypeCmds"] == 0 and _by(three, "g-001")["SetTypeCmds"] > 0


def test_points_are_deterministic() -> None:
    group = _group("cache.r7g.xlarge", 2)
    assert points(SEED_WORKLOAD, group, 25, AT) == points(SEED_WORKLOAD, group, 25, AT)


def test_publish_writes_each_slot_once(ctx) -> None:
    # GIVEN a group with a workload and no points yet (moto is running for the sandbox)
    state: dict[str, Any] = {}
    cache = store(state)
    cache["workloads"]["g"] = dict(SEED_WORKLOAD)
    group = _group("cache.r7g.xlarge", 2)
    # WHEN the nodes publish twice in a row
    first = publish(cache, group, 25, ctx.account, ctx.region)
    second = publish(cache, group, 25, ctx.account, ctx.region)
    # THEN the first writes the hour and the second has nothing new to write
    assert first is True and second is False
    assert cache["metrics_until"]["g"] > 0


def test_publish_without_a_workload_writes_nothing(ctx) -> None:
    cache = store({})
    assert publish(cache, _group("cache.r7g.xlarge", 2), 25, ctx.account, ctx.region) is False
