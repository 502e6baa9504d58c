"""tune_cache against the sandbox's kv-cache-prod: plans, the exact writes, reruns, bad input, the guard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.cache.sandbox import FULL_CHANGE, GROUP, OPSBOT_GROUP, XLARGE_X3, describe, writes
from tests.tools.helpers import approve_and_run, record
from tools import runtime
from tools.base import Effect, Risk
from tools.cache.read import group_cost
from tools.errors import MutationBlockedError, ToolInputError
from tools.registry import get_tool


# ---------------------------------------------------------------------------------- tune_cache
def test_plan_of_a_full_change(ctx) -> None:
    raw = FULL_CHANGE
    calls = record(ctx, "elasticache").calls
    plan = runtime.plan("tune_cache", raw, ctx)
    assert writes(calls) == []
    assert plan.args["node_type"] == "cache.r7g.2xlarge"
    assert plan.operation_names() == [
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
    assert plan.operation_names() == operations
    if not operations:
        assert "nothing to change" in plan.summary


def test_run_makes_exactly_the_planned_writes_field_by_field(ctx) -> None:
    # GIVEN an approved change of node type, replicas and two parameters
    raw = FULL_CHANGE
    calls = record(ctx, "elasticache").calls
    # WHEN it runs
    plan, outcome = approve_and_run(ctx, "tune_cache", raw)
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
    assert [f"elasticache:{op}" for op, _ in writes(calls)] == plan.operation_names()
    # AND the result says what happened
    r = outcome.result
    assert r["operations"] == plan.operation_names() and r["not_done"] == []
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
    approve_and_run(ctx, "tune_cache", raw)
    calls = record(ctx, "elasticache").calls
    plan, outcome = approve_and_run(ctx, "tune_cache", raw)
    assert plan.operation_names() == [] and writes(calls) == []
    assert outcome.result["changes"] == [] and "nothing changed" in outcome.text


def test_later_parameter_changes_only_modify_the_dedicated_group(ctx) -> None:
    approve_and_run(ctx, "tune_cache", {"cache_id": GROUP, "parameters": {"maxmemory-policy": "allkeys-lru"}})
    calls = record(ctx, "elasticache").calls
    plan, _ = approve_and_run(
        ctx, "tune_cache", {"cache_id": GROUP, "parameters": {"timeout": 300, "maxmemory-policy": "allkeys-lru"}}
    )
    assert plan.operation_names() == ["elasticache:ModifyCacheParameterGroup"]
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
    calls = record(ctx, "elasticache").calls
    plan, _ = approve_and_run(ctx, "tune_cache", {"cache_id": GROUP, "parameters": {"maxmemory-policy": "allkeys-lfu"}})
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
    calls = record(ctx, "elasticache").calls
    with pytest.raises(ToolInputError, match="exists for redis7"):
        runtime.plan("tune_cache", {"cache_id": GROUP, "parameters": {"timeout": 60}}, ctx)
    assert writes(calls) == []


def test_decrease_replicas(ctx) -> None:
    calls = record(ctx, "elasticache").calls
    plan, outcome = approve_and_run(ctx, "tune_cache", {"cache_id": GROUP, "replica_count": 1})
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
    calls = record(ctx, "elasticache").calls
    with pytest.raises(ToolInputError) as exc:
        runtime.plan("tune_cache", {"cache_id": GROUP, **raw}, ctx)
    assert exc.value.field == field and says in str(exc.value)
    assert "\n" not in str(exc.value)
    assert calls == []


def test_unknown_cache_id_lists_the_existing_ones_and_writes_nothing(ctx) -> None:
    calls = record(ctx, "elasticache").calls
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


def test_add_two_replicas_is_planned_as_two_to_four(ctx) -> None:
    # GIVEN kv-cache-prod with 2 replicas per shard WHEN asked to add 2
    plan = runtime.plan("tune_cache", {"cache_id": "kv-cache-prod", "add_replicas": 2}, ctx)
    # THEN the plan binds 4 replicas and shows 2 -> 4
    assert plan.args == {"cache_id": "kv-cache-prod", "replica_count": 4}
    assert plan.facts["resolved_from"] == {"add_replicas": 2}
    assert "replicas_per_node_group: 2 -> 4" in plan.changes
    assert [op.operation for op in plan.aws_operations] == ["elasticache:IncreaseReplicaCount"]


def test_removing_more_replicas_than_there_are_is_refused(ctx) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.plan("tune_cache", {"cache_id": "kv-cache-prod", "add_replicas": -3}, ctx)
    assert err.value.field == "add_replicas" and "is 2 now, so that makes -1" in str(err.value)


def test_tuning_a_cache_to_its_current_settings_plans_no_operation(ctx) -> None:
    # GIVEN kv-cache-prod on cache.r7g.xlarge with 2 replicas WHEN tuned to exactly that
    plan = runtime.plan("tune_cache", {"cache_id": "kv-cache-prod", "node_type": "r7g.xlarge", "replica_count": 2}, ctx)
    # THEN nothing is planned, so nothing is filed
    assert plan.aws_operations == [] and "nothing to change" in plan.summary
