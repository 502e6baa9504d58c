"""describe_cache, recommend_cache_tuning and tune_cache against the sandbox's kv-cache-prod."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tools import cache_read, guard, runtime
from tools.base import Effect, Risk
from tools.cache_read import group_cost
from tools.errors import MutationBlockedError, ToolInputError
from tools.registry import get_tool
from tools.sandbox import ext_cache_metrics

GROUP = "kv-cache-prod"
OPSBOT_GROUP = "opsbot-kv-cache-prod"
XLARGE_X3 = group_cost("cache.r7g.xlarge", 3)


# ------------------------------------------------------------------------------------ helpers
def record_calls(ctx) -> list[tuple[str, dict[str, Any]]]:
    """Every ElastiCache request the tools make from now on: (operation, the caller's parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    ctx.clients.client("elasticache").raw.meta.events.register("before-parameter-build.elasticache", hook)
    return calls


def writes(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [(op, p) for op, p in calls if guard.is_mutating("elasticache", op)]


def approve_and_run(ctx, raw: dict[str, Any]):
    """Plan tune_cache, grant exactly the plan's operations, and run it the way the executor does."""
    parsed = runtime.parse_args(get_tool("tune_cache"), raw)
    plan = runtime.plan("tune_cache", raw, ctx)
    digest = guard.call_hash(
        "tune_cache", runtime.args_dict(parsed), ctx.account, ctx.region, ctx.requester or "", ctx.thread or ""
    )
    grant = guard.Grant("ap-1", digest, frozenset(plan.aws_operations), time.time() + 60)
    return plan, runtime.run_approved("tune_cache", raw, ctx, grant)


def describe(ctx) -> dict[str, Any]:
    return runtime.run_read("describe_cache", {"cache_id": GROUP}, ctx).result


# ------------------------------------------------------------------------------ describe_cache
def test_catalog_entries() -> None:
    tools = {name: get_tool(name) for name in ("describe_cache", "recommend_cache_tuning", "tune_cache")}
    assert {t.domain for t in tools.values()} == {"cache"}
    assert tools["describe_cache"].effect is Effect.READ and tools["recommend_cache_tuning"].effect is Effect.READ
    assert (tools["tune_cache"].effect, tools["tune_cache"].risk) == (Effect.WRITE, Risk.MEDIUM)
    schema = tools["tune_cache"].json_schema()
    assert set(schema["properties"]) == {"cache_id", "node_type", "replica_count", "parameters"}
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
    calls = record_calls(ctx)
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


# ---------------------------------------------------------------------- recommend_cache_tuning
def test_recommend_for_kv_cache(ctx) -> None:
    outcome = runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": "kv-cache"}, ctx)
    r = outcome.result
    assert r["tune_cache_args"] == {
        "cache_id": GROUP,
        "node_type": "cache.r7g.2xlarge",
        "parameters": {
            "maxmemory-policy": "allkeys-lru",
            "lazyfree-lazy-eviction": "yes",
            "lazyfree-lazy-expire": "yes",
            "maxmemory-samples": "10",
        },
    }
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
    plan, _ = approve_and_run(ctx, advice["tune_cache_args"])
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
    approve_and_run(ctx, {"cache_id": GROUP, "node_type": "r7g.2xlarge"})
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


# ---------------------------------------------------------------------------------- tune_cache
def test_plan_of_a_full_change(ctx) -> None:
    raw = {
        "cache_id": GROUP,
        "node_type": "r7g.2xlarge",
        "replica_count": 3,
        "parameters": {"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-eviction": True},
    }
    calls = record_calls(ctx)
    plan = runtime.plan("tune_cache", raw, ctx)
    assert writes(calls) == []
    assert plan.args["node_type"] == "cache.r7g.2xlarge"
    assert plan.aws_operations == [
        "elasticache:CreateCacheParameterGroup",
        "elasticache:ModifyCacheParameterGroup",
        "elasticache:ModifyReplicationGroup",
        "elasticache:IncreaseReplicaCount",
    ]
    assert plan.changes[:5] == [
        "node_type: cache.r7g.xlarge -> cache.r7g.2xlarge",
        "replicas_per_node_group: 2 -> 3",
        "parameters.maxmemory-policy: volatile-lru -> allkeys-lru",
        "parameters.lazyfree-lazy-eviction: no -> yes",
        f"parameter_group: default.valkey8 -> {OPSBOT_GROUP}",
    ]
    after = group_cost("cache.r7g.2xlarge", 4)
    assert plan.cost_usd_per_hour == after
    assert (plan.instance_type, plan.instance_count) == ("cache.r7g.2xlarge", 4)
    assert plan.facts["cost_usd_per_hour_before"] == XLARGE_X3
    assert plan.facts["cost_usd_per_hour_delta"] == pytest.approx(after - XLARGE_X3)
    assert (plan.effect, plan.risk) == (Effect.WRITE, Risk.MEDIUM)


@pytest.mark.parametrize(
    ("raw", "operations"),
    [
        ({"node_type": "cache.r7g.2xlarge"}, ["elasticache:ModifyReplicationGroup"]),
        ({"replica_count": 4}, ["elasticache:IncreaseReplicaCount"]),
        ({"replica_count": 1}, ["elasticache:DecreaseReplicaCount"]),
        (
            {"replica_count": 1, "node_type": "r7g.large"},
            ["elasticache:DecreaseReplicaCount", "elasticache:ModifyReplicationGroup"],
        ),
        ({"node_type": "r7g.xlarge", "replica_count": 2}, []),  # already so
        ({"parameters": {"maxmemory-policy": "volatile-lru"}}, []),  # already the default
    ],
)
def test_plan_lists_only_the_writes_needed(ctx, raw: dict[str, Any], operations: list[str]) -> None:
    plan = runtime.plan("tune_cache", {"cache_id": GROUP, **raw}, ctx)
    assert plan.aws_operations == operations
    if not operations:
        assert "nothing to change" in plan.summary


def test_run_makes_exactly_the_planned_writes_field_by_field(ctx) -> None:
    # GIVEN an approved change of node type, replicas and two parameters
    raw = {
        "cache_id": GROUP,
        "node_type": "r7g.2xlarge",
        "replica_count": 3,
        "parameters": {"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-eviction": True},
    }
    calls = record_calls(ctx)
    # WHEN it runs
    plan, outcome = approve_and_run(ctx, raw)
    # THEN the writes are the plan's, in order, with exactly these requests
    assert writes(calls) == [
        (
            "CreateCacheParameterGroup",
            {
                "CacheParameterGroupName": OPSBOT_GROUP,
                "CacheParameterGroupFamily": "valkey8",
                "Description": f"opsbot: tuned parameters of {GROUP}",
                "Tags": [
                    {"Key": "opsbot:replication-group", "Value": GROUP},
                    {"Key": "opsbot:request", "Value": "ap-1"},
                ],
            },
        ),
        (
            "ModifyCacheParameterGroup",
            {
                "CacheParameterGroupName": OPSBOT_GROUP,
                "ParameterNameValues": [
                    {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
                    {"ParameterName": "lazyfree-lazy-eviction", "ParameterValue": "yes"},
                ],
            },
        ),
        (
            "ModifyReplicationGroup",
            {
                "ReplicationGroupId": GROUP,
                "ApplyImmediately": True,
                "CacheNodeType": "cache.r7g.2xlarge",
                "CacheParameterGroupName": OPSBOT_GROUP,
            },
        ),
        ("IncreaseReplicaCount", {"ReplicationGroupId": GROUP, "NewReplicaCount": 3, "ApplyImmediately": True}),
    ]
    assert [f"elasticache:{op}" for op, _ in writes(calls)] == plan.aws_operations
    # AND the result says what happened
    r = outcome.result
    assert r["operations"] == plan.aws_operations and r["not_done"] == []
    assert (r["status"], r["node_type"], r["total_nodes"], r["parameter_group"]) == (
        "modifying",
        "cache.r7g.2xlarge",
        4,
        OPSBOT_GROUP,
    )
    assert r["cost_usd_per_hour_before"] == XLARGE_X3 and r["cost_usd_per_hour_after"] == plan.cost_usd_per_hour
    assert "node_type: cache.r7g.xlarge -> cache.r7g.2xlarge" in outcome.text
    # AND the group is changed
    after = describe(ctx)
    assert (after["node_type"], after["total_nodes"], after["parameter_group"]) == (
        "cache.r7g.2xlarge",
        4,
        OPSBOT_GROUP,
    )
    assert after["parameters"]["lazyfree-lazy-eviction"] == "yes"


def test_a_rerun_changes_nothing(ctx) -> None:
    raw = {"cache_id": GROUP, "node_type": "r7g.2xlarge", "parameters": {"maxmemory-policy": "allkeys-lru"}}
    approve_and_run(ctx, raw)
    calls = record_calls(ctx)
    plan, outcome = approve_and_run(ctx, raw)
    assert plan.aws_operations == [] and writes(calls) == []
    assert outcome.result["changes"] == [] and "nothing changed" in outcome.text


def test_later_parameter_changes_only_modify_the_dedicated_group(ctx) -> None:
    approve_and_run(ctx, {"cache_id": GROUP, "parameters": {"maxmemory-policy": "allkeys-lru"}})
    calls = record_calls(ctx)
    plan, _ = approve_and_run(
        ctx, {"cache_id": GROUP, "parameters": {"timeout": 300, "maxmemory-policy": "allkeys-lru"}}
    )
    assert plan.aws_operations == ["elasticache:ModifyCacheParameterGroup"]
    assert writes(calls) == [
        (
            "ModifyCacheParameterGroup",
            {
                "CacheParameterGroupName": OPSBOT_GROUP,
                "ParameterNameValues": [{"ParameterName": "timeout", "ParameterValue": "300"}],
            },
        )
    ]
    assert describe(ctx)["parameters"]["timeout"] == "300"


def test_settings_of_a_custom_group_are_kept(ctx) -> None:
    # GIVEN the group uses a team's own parameter group with timeout=120
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        ec = sandbox.client("elasticache")
        ec.create_cache_parameter_group(
            CacheParameterGroupName="team-tuned", CacheParameterGroupFamily="valkey8", Description="team"
        )
        ec.modify_cache_parameter_group(
            CacheParameterGroupName="team-tuned",
            ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "120"}],
        )
        ec.modify_replication_group(
            ReplicationGroupId=GROUP, CacheParameterGroupName="team-tuned", ApplyImmediately=True
        )
        ec.describe_replication_groups(ReplicationGroupId=GROUP)
    # WHEN a parameter is tuned
    calls = record_calls(ctx)
    plan, _ = approve_and_run(ctx, {"cache_id": GROUP, "parameters": {"maxmemory-policy": "allkeys-lfu"}})
    # THEN the dedicated group gets the team's setting too, and the plan says so
    assert "kept from team-tuned: timeout=120" in plan.changes
    sent = dict(writes(calls))["ModifyCacheParameterGroup"]["ParameterNameValues"]
    assert sent == [
        {"ParameterName": "timeout", "ParameterValue": "120"},
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lfu"},
    ]
    assert describe(ctx)["parameters"]["timeout"] == "120"


def test_a_dedicated_group_of_another_family_is_refused_before_any_write(ctx) -> None:
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        sandbox.client("elasticache").create_cache_parameter_group(
            CacheParameterGroupName=OPSBOT_GROUP, CacheParameterGroupFamily="redis7", Description="old"
        )
    calls = record_calls(ctx)
    with pytest.raises(ToolInputError, match="exists for redis7"):
        runtime.plan("tune_cache", {"cache_id": GROUP, "parameters": {"timeout": 60}}, ctx)
    assert writes(calls) == []


def test_decrease_replicas(ctx) -> None:
    calls = record_calls(ctx)
    plan, outcome = approve_and_run(ctx, {"cache_id": GROUP, "replica_count": 1})
    assert writes(calls) == [
        ("DecreaseReplicaCount", {"ReplicationGroupId": GROUP, "NewReplicaCount": 1, "ApplyImmediately": True})
    ]
    assert plan.cost_usd_per_hour == group_cost("cache.r7g.xlarge", 2)
    assert plan.facts["cost_usd_per_hour_delta"] < 0
    assert describe(ctx)["total_nodes"] == 2 and outcome.result["total_nodes"] == 2


# --------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        ({"parameters": {"maxmemory": "10gb"}}, "parameters.maxmemory", "tunable: activedefrag"),
        ({"parameters": {"maxmemory-policy": "lru"}}, "parameters.maxmemory-policy", "allkeys-lru"),
        ({"parameters": {"timeout": 5}}, "parameters.timeout", "0 or 20..86400"),
        ({"node_type": "r7g.huge"}, "node_type", "allowed: cache.r7g.large"),
        ({"node_type": "ml.inf2.xlarge"}, "node_type", "allowed: cache.r7g.large"),
        ({"replica_count": -1}, "replica_count", "0 to 5"),
        ({"replica_count": 6}, "replica_count", "0 to 5"),
        ({}, "node_type", "at least one of node_type, replica_count or parameters"),
        ({"cache_id": "bad--id"}, "cache_id", "replication group id"),
        ({"colour": "blue", "replica_count": 3}, "colour", "unknown argument"),
    ],
)
def test_bad_input_is_one_clear_message_and_no_aws_call(ctx, raw: dict[str, Any], field: str, says: str) -> None:
    calls = record_calls(ctx)
    with pytest.raises(ToolInputError) as exc:
        runtime.plan("tune_cache", {"cache_id": GROUP, **raw}, ctx)
    assert exc.value.field == field and says in str(exc.value)
    assert "\n" not in str(exc.value)
    assert calls == []


def test_unknown_cache_id_lists_the_existing_ones_and_writes_nothing(ctx) -> None:
    calls = record_calls(ctx)
    for name, raw in [
        ("tune_cache", {"cache_id": "kv-cache-dev", "replica_count": 3}),
        ("describe_cache", {"cache_id": "kv-cache-dev"}),
        ("recommend_cache_tuning", {"cache_id": "kv-cache-dev", "workload": "kv-cache"}),
    ]:
        with pytest.raises(ToolInputError) as exc:
            (runtime.plan if name == "tune_cache" else runtime.run_read)(name, raw, ctx)
        assert exc.value.field == "cache_id" and "existing: kv-cache-prod" in str(exc.value)
    assert writes(calls) == []


def test_no_replicas_with_failover_on_is_refused(ctx) -> None:
    with pytest.raises(ToolInputError) as exc:
        runtime.plan("tune_cache", {"cache_id": GROUP, "replica_count": 0}, ctx)
    assert exc.value.field == "replica_count" and "at least 1 replica" in str(exc.value)


def test_unknown_workload(ctx) -> None:
    with pytest.raises(ToolInputError) as exc:
        runtime.run_read("recommend_cache_tuning", {"cache_id": GROUP, "workload": "embeddings"}, ctx)
    assert exc.value.field == "workload" and "kv-cache, moe-experts" in str(exc.value)


# ------------------------------------------------------------------------------ safety and waits
def test_without_a_grant_the_guard_blocks_the_write(ctx) -> None:
    tool = get_tool("tune_cache")
    args = runtime.parse_args(tool, {"cache_id": GROUP, "node_type": "r7g.2xlarge"})
    with pytest.raises(MutationBlockedError):
        tool.run(ctx, args)
    assert describe(ctx)["node_type"] == "cache.r7g.xlarge"
