"""recommend_cache_tuning against the sandbox's kv-cache-prod."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.tools.cache.sandbox import GROUP, KV_CACHE_ADVICE, XLARGE_X3, describe
from tests.tools.helpers import approve_and_run
from tools import runtime
from tools.cache import read as cache_read
from tools.cache.read import group_cost
from tools.sandbox import ext_cache_metrics


# ---------------------------------------------------------------------- recommend_cache_tuning
def test_recommend_for_kv_cache(ctx) -> None:
    outcome = runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": "kv-cache"}, ctx)
    r = outcome.result
    assert r["tune_cache_args"] == {"cache_id": GROUP, **KV_CACHE_ADVICE}
    assert r["cost_usd_per_hour_before"] == XLARGE_X3
    assert r["cost_usd_per_hour_after"] == group_cost("cache.r7g.2xlarge", 3)
    assert "cache.r7g.xlarge -> cache.r7g.2xlarge" in outcome.text and "to apply: tune_cache" in outcome.text


def test_recommend_for_moe_experts_adds_a_replica_and_lfu(ctx) -> None:
    r = runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": "moe"}, ctx).result
    assert r["workload"] == "moe-experts"
    args = r["tune_cache_args"]
    assert args["replica_count"] == 3 and args["parameters"]["maxmemory-policy"] == "allkeys-lfu"
    assert r["cost_usd_per_hour_after"] == group_cost("cache.r7g.2xlarge", 4)


@pytest.mark.parametrize("workload", ["kv-cache", "moe-experts"])
def test_recommendation_is_directly_usable_by_tune_cache(ctx, workload: str) -> None:
    # GIVEN a recommendation
    advice = runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": workload}, ctx).result
    # WHEN its tune_cache_args are approved and run as they are
    plan, _ = approve_and_run(ctx, "tune_cache", advice["tune_cache_args"])
    # THEN the plan costs what the advice said and the group ends up as advised
    assert plan.cost_usd_per_hour == advice["cost_usd_per_hour_after"]
    after = describe(ctx)
    assert after["node_type"] == advice["node_type"]
    assert after["replicas_per_node_group"] == advice["replicas_per_node_group"]
    assert all(after["parameters"][k] == v for k, v in advice["parameters"].items())
    # AND asking again finds nothing more to change on that front
    again = runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": workload}, ctx).result
    assert again["tune_cache_args"] is None


def test_after_a_resize_new_points_show_relief_and_no_further_resize(ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN kv-cache-prod resized to cache.r7g.2xlarge as recommended
    approve_and_run(ctx, "tune_cache", {"cache_id": GROUP, "node_type": "r7g.2xlarge"})
    describe(ctx)

    # WHEN ten minutes pass, so the nodes publish points on the new node type
    later = datetime.now(UTC) + timedelta(minutes=10)
    monkeypatch.setattr(ext_cache_metrics, "_now", later.timestamp)
    monkeypatch.setattr(cache_read, "_now", lambda: later)
    m = describe(ctx)["metrics"]
    advice = runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": "kv-cache"}, ctx).result
    # THEN the latest period has room and no evictions, and no bigger node is asked for
    assert m["memory_percent_max"] > 85 and m["memory_percent_latest"] < 75 and m["evictions_latest"] == 0
    assert "node_type" not in (advice["tune_cache_args"] or {})
    assert any("pressure has cleared" in n for n in advice["notes"])
