"""recommend_cache_tuning's rules, on made-up groups and metrics."""

from __future__ import annotations

from typing import Any

from tests.tools.cache.sandbox import KV_CACHE_ADVICE
from tools.cache.advice import advise, tune_arguments
from tools.cache.read import CacheGroup, CacheMetrics, NodeMetrics, group_cost

DEFAULTS = {
    "maxmemory-policy": "volatile-lru",
    "maxmemory-samples": "3",
    "lfu-decay-time": "1",
    "lazyfree-lazy-eviction": "no",
    "lazyfree-lazy-expire": "no",
    "reserved-memory-percent": "25",
}
GIB = 2**30


def _group(node_type: str = "cache.r7g.xlarge", replicas: int = 2, failover: str = "enabled") -> CacheGroup:
    members = [f"g-{i + 1:03d}" for i in range(replicas + 1)]
    return CacheGroup(
        cache_id="g",
        engine="valkey",
        engine_version="8.0",
        status="available",
        node_type=node_type,
        node_groups=1,
        replicas_per_node_group=replicas,
        total_nodes=replicas + 1,
        cluster_mode=False,
        automatic_failover=failover,
        multi_az=failover,
        parameter_group="default.valkey8",
        parameter_group_status="in-sync",
        parameter_group_family="valkey8",
        members=members,
        cost_usd_per_hour=group_cost(node_type, replicas + 1),
    )


def _metrics(
    memory: float, evictions: float, cpu: float, reads_per_write: float, used_gib: float | None = None, **kw: Any
) -> CacheMetrics:
    nodes = kw.pop("nodes", [NodeMetrics(cache_cluster_id="g-001", datapoints=12)])
    return CacheMetrics(
        datapoints=100,
        memory_percent_max=memory,
        evictions=evictions,
        evictions_per_minute=evictions / 60,
        engine_cpu_percent_max=cpu,
        hit_rate_percent=80.0,
        reads_per_write=reads_per_write,
        get_commands=reads_per_write * 1000,
        set_commands=1000,
        bytes_used_max=used_gib * GIB if used_gib is not None else None,
        nodes=nodes,
        **kw,
    )


def _settings(advice) -> dict[str, str]:
    return {r.setting: r.proposed for r in advice.recommendations}


def test_kv_cache_under_memory_pressure_gets_a_bigger_node_and_lru_lazyfree() -> None:
    # GIVEN a full cache.r7g.xlarge that evicts, on a read-heavy KV cache with CPU to spare
    advice = advise(_group(), _metrics(97, 120_000, 55, 10), DEFAULTS, "kv-cache")
    # THEN it moves to the smallest r7g that holds the data x1.25 at 70 % fill, with LRU and lazy freeing
    got = _settings(advice)
    assert got["node_type"] == "cache.r7g.2xlarge"
    assert got["parameters.maxmemory-policy"] == "allkeys-lru"
    assert got["parameters.lazyfree-lazy-eviction"] == "yes"
    assert got["parameters.maxmemory-samples"] == "10"
    assert "replica_count" not in got  # read-heavy but CPU below 70 %: replicas kept
    # AND the reasons quote the numbers
    node_reason = next(r.reason for r in advice.recommendations if r.setting == "node_type")
    assert "97%" in node_reason and "120,000 evictions" in node_reason
    assert "volatile-lru only evicts keys that have a TTL" in advice.recommendations[1].reason
    # AND the cost change is 3 x (2xlarge - xlarge)
    assert advice.cost_usd_per_hour_after == group_cost("cache.r7g.2xlarge", 3)
    assert advice.cost_usd_per_hour_delta is not None and advice.cost_usd_per_hour_delta > 0


def test_moe_experts_read_heavy_and_busy_gets_replicas_and_lfu() -> None:
    advice = advise(_group(), _metrics(60, 0, 58, 12), DEFAULTS, "moe-experts")
    got = _settings(advice)
    assert got == {
        "replica_count": "3",
        "parameters.maxmemory-policy": "allkeys-lfu",
        "parameters.lfu-decay-time": "10",
        "parameters.lazyfree-lazy-eviction": "yes",
    }
    reason = next(r.reason for r in advice.recommendations if r.setting == "replica_count")
    assert "12 reads per write" in reason and "58%" in reason
    assert advice.cost_usd_per_hour_after == group_cost("cache.r7g.xlarge", 4)


def test_moe_experts_very_busy_gets_two_more_replicas_but_never_more_than_five() -> None:
    assert advise(_group(replicas=2), _metrics(60, 0, 85, 20), DEFAULTS, "moe-experts").replicas_per_node_group == 4
    assert advise(_group(replicas=4), _metrics(60, 0, 85, 20), DEFAULTS, "moe-experts").replicas_per_node_group == 5


def test_write_heavy_kv_cache_drops_to_one_replica() -> None:
    advice = advise(_group(replicas=3), _metrics(60, 0, 40, 1.2), DEFAULTS, "kv-cache")
    assert _settings(advice)["replica_count"] == "1"
    assert advice.cost_usd_per_hour_delta is not None and advice.cost_usd_per_hour_delta < 0


def test_a_group_without_replicas_gets_one() -> None:
    advice = advise(_group(replicas=0, failover="disabled"), _metrics(50, 0, 20, 5), DEFAULTS, "kv-cache")
    assert _settings(advice)["replica_count"] == "1"


def test_an_idle_oversized_node_is_downsized() -> None:
    advice = advise(_group("cache.r7g.4xlarge"), _metrics(10, 0, 10, 5), DEFAULTS, "kv-cache")
    got = _settings(advice)
    assert got["node_type"] == "cache.r7g.xlarge"  # ~7.9 GiB of data fits 19.7 GiB usable at 70 %
    assert "for less" in next(r.reason for r in advice.recommendations if r.setting == "node_type")


def test_sizing_uses_bytes_so_an_hour_that_straddles_a_resize_asks_for_nothing_more() -> None:
    # GIVEN a group just resized to 2xlarge whose hour still shows the xlarge's 97 % and evictions
    advice = advise(_group("cache.r7g.2xlarge"), _metrics(97, 100_000, 40, 10, used_gib=19.1), DEFAULTS, "kv-cache")
    # THEN the node type stays, with a note saying why
    assert "node_type" not in _settings(advice)
    assert any("predates a resize" in n for n in advice.notes)


def test_the_largest_node_says_add_shards() -> None:
    advice = advise(_group("cache.r7g.16xlarge"), _metrics(97, 10, 30, 10), DEFAULTS, "kv-cache")
    assert "node_type" not in _settings(advice)
    assert any("add shards" in n for n in advice.notes)


def test_replica_advice_waits_after_replicas_joined_within_the_hour() -> None:
    nodes = [NodeMetrics(cache_cluster_id="g-001", datapoints=12), NodeMetrics(cache_cluster_id="g-004", datapoints=2)]
    advice = advise(_group(replicas=3), _metrics(60, 0, 70, 12, nodes=nodes), DEFAULTS, "moe-experts")
    assert "replica_count" not in _settings(advice)
    assert any("joined within the last hour" in n for n in advice.notes)


def test_settings_already_in_place_are_not_proposed() -> None:
    tuned = {
        **DEFAULTS,
        "maxmemory-policy": "allkeys-lru",
        "lazyfree-lazy-eviction": "yes",
        "lazyfree-lazy-expire": "yes",
    }
    advice = advise(_group("cache.r7g.2xlarge"), _metrics(60, 0, 40, 10), tuned, "kv-cache")
    assert advice.recommendations == []
    assert tune_arguments("g", _group("cache.r7g.2xlarge"), advice) is None


def test_no_metrics_gives_config_advice_only() -> None:
    advice = advise(_group(), CacheMetrics(), DEFAULTS, "kv-cache")
    assert advice.findings[0].metric == "datapoints"
    assert set(_settings(advice)) == {
        "parameters.maxmemory-policy",
        "parameters.lazyfree-lazy-eviction",
        "parameters.lazyfree-lazy-expire",
    }


def test_tune_arguments_carry_only_the_changes() -> None:
    group = _group()
    advice = advise(group, _metrics(97, 120_000, 55, 10), DEFAULTS, "kv-cache")
    args = tune_arguments("g", group, advice)
    assert args == {"cache_id": "g", **KV_CACHE_ADVICE}


def test_pressure_that_has_cleared_asks_for_nothing() -> None:
    # GIVEN an hour that peaked at 97 % with evictions, but whose latest period is at 60 % without evictions
    metrics = _metrics(97, 50_000, 40, 10, memory_percent_latest=60.0, evictions_latest=0.0)
    advice = advise(_group(), metrics, DEFAULTS, "kv-cache")
    # THEN the node type stays and the note says why
    assert "node_type" not in _settings(advice)
    assert any("pressure has cleared" in n for n in advice.notes)


def test_pressure_that_persists_still_resizes() -> None:
    metrics = _metrics(97, 50_000, 40, 10, memory_percent_latest=97.0, evictions_latest=4_000.0)
    assert _settings(advise(_group(), metrics, DEFAULTS, "kv-cache"))["node_type"] == "cache.r7g.2xlarge"
