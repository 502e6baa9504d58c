"""tune_cache's execution: the exact AWS conversation on a live-mode client, and bounded waiting."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.tools.cache.sandbox import GROUP, OPSBOT_GROUP
from tools import guard
from tools.aws import AwsClients
from tools.base import ToolContext
from tools.cache import changes as cache_tune
from tools.cache.tune import TuneCacheArgs, tune_run
from tools.config import get_settings

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _group(status: str, replicas: int = 2) -> dict[str, Any]:
    members = [f"{GROUP}-{i + 1:03d}" for i in range(replicas + 1)]
    return {
        "ReplicationGroupId": GROUP,
        "Status": status,
        "MemberClusters": members,
        "NodeGroups": [
            {
                "NodeGroupId": "0001",
                "Status": status,
                "NodeGroupMembers": [
                    {"CacheClusterId": m, "CacheNodeId": "0001", "CurrentRole": "primary" if i == 0 else "replica"}
                    for i, m in enumerate(members)
                ],
            }
        ],
        "AutomaticFailover": "enabled",
        "MultiAZ": "enabled",
        "ClusterEnabled": False,
        "CacheNodeType": "cache.r7g.xlarge",
        "Engine": "valkey",
    }


def _primary() -> dict[str, Any]:
    return {
        "CacheClusterId": f"{GROUP}-001",
        "Engine": "valkey",
        "EngineVersion": "8.0.1",
        "CacheNodeType": "cache.r7g.xlarge",
        "CacheClusterCreateTime": CREATED,
        "CacheParameterGroup": {"CacheParameterGroupName": "default.valkey8", "ParameterApplyStatus": "in-sync"},
        "ReplicationGroupId": GROUP,
    }


@pytest.fixture
def live_ctx() -> ToolContext:
    """GIVEN a context on live-mode clients (fake credentials; every request is stubbed, none is sent)."""
    settings = get_settings(live=True)
    return ToolContext(settings=settings, clients=AwsClients(settings), requester="alice", thread="t")


def test_live_request_sequence_of_a_full_change(live_ctx: ToolContext) -> None:
    # GIVEN the exact conversation AWS should see: reads first, then the writes in order
    ec = live_ctx.clients.client("elasticache").raw
    stub = Stubber(ec)
    stub.add_response(
        "describe_replication_groups", {"ReplicationGroups": [_group("available")]}, {"ReplicationGroupId": GROUP}
    )
    stub.add_response("describe_cache_clusters", {"CacheClusters": [_primary()]}, {"CacheClusterId": f"{GROUP}-001"})
    stub.add_response(
        "describe_cache_parameters",
        {"Parameters": [{"ParameterName": "maxmemory-policy", "ParameterValue": "volatile-lru"}]},
        {"CacheParameterGroupName": "default.valkey8"},
    )
    stub.add_client_error(
        "describe_cache_parameter_groups",
        service_error_code="CacheParameterGroupNotFound",
        http_status_code=404,
        expected_params={"CacheParameterGroupName": OPSBOT_GROUP},
    )
    stub.add_response(
        "create_cache_parameter_group",
        {"CacheParameterGroup": {"CacheParameterGroupName": OPSBOT_GROUP, "CacheParameterGroupFamily": "valkey8"}},
        {
            "CacheParameterGroupName": OPSBOT_GROUP,
            "CacheParameterGroupFamily": "valkey8",
            "Description": f"opsbot: tuned parameters of {GROUP}",
            "Tags": [{"Key": "opsbot:replication-group", "Value": GROUP}],
        },
    )
    stub.add_response(
        "modify_cache_parameter_group",
        {"CacheParameterGroupName": OPSBOT_GROUP},
        {
            "CacheParameterGroupName": OPSBOT_GROUP,
            "ParameterNameValues": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
        },
    )
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": _group("modifying")},
        {
            "ReplicationGroupId": GROUP,
            "ApplyImmediately": True,
            "CacheNodeType": "cache.r7g.2xlarge",
            "CacheParameterGroupName": OPSBOT_GROUP,
        },
    )
    stub.add_response(
        "describe_replication_groups", {"ReplicationGroups": [_group("available")]}, {"ReplicationGroupId": GROUP}
    )
    stub.add_response(
        "increase_replica_count",
        {"ReplicationGroup": _group("modifying", replicas=3)},
        {"ReplicationGroupId": GROUP, "NewReplicaCount": 3, "ApplyImmediately": True},
    )
    args = TuneCacheArgs.model_validate(
        {
            "cache_id": GROUP,
            "node_type": "r7g.2xlarge",
            "replica_count": 3,
            "parameters": {"maxmemory-policy": "allkeys-lru"},
        }
    )
    ops = {cache_tune.OP_CREATE_GROUP, cache_tune.OP_MODIFY_GROUP, cache_tune.OP_MODIFY_RG, cache_tune.OP_INCREASE}
    # WHEN tune_cache runs under a grant for those writes
    with stub, guard.activated(guard.Grant("ap-1", "h", frozenset(ops), time.time() + 60)):
        result = tune_run(live_ctx, args)
        # THEN every stubbed request was made, with exactly those parameters, and nothing else
        stub.assert_no_pending_responses()
    assert result.operations == [
        "elasticache:CreateCacheParameterGroup",
        "elasticache:ModifyCacheParameterGroup",
        "elasticache:ModifyReplicationGroup",
        "elasticache:IncreaseReplicaCount",
    ]
    assert (result.status, result.total_nodes, result.parameter_group) == ("modifying", 4, OPSBOT_GROUP)


class BusyGroup:
    """An ElastiCache stand-in whose group never becomes available again after a change."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def decrease_replica_count(self, **_: Any) -> dict[str, Any]:
        self.calls.append("DecreaseReplicaCount")
        return {"ReplicationGroup": {"Status": "modifying"}}

    def modify_replication_group(self, **_: Any) -> dict[str, Any]:
        self.calls.append("ModifyReplicationGroup")
        return {"ReplicationGroup": {"Status": "modifying"}}

    def describe_replication_groups(self, **_: Any) -> dict[str, Any]:
        self.calls.append("DescribeReplicationGroups")
        return {"ReplicationGroups": [{"Status": "modifying"}]}


def test_waiting_for_a_busy_group_is_bounded_and_reported(ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a resize plus replica removal, on a group that stays busy, and a clock that only moves when we sleep
    work = cache_tune.work_out(ctx, GROUP, "cache.r7g.large", 1, None)
    busy = BusyGroup()
    now = [time.time()]
    slept: list[float] = []
    monkeypatch.setattr(cache_tune, "_clock", lambda: now[0])
    monkeypatch.setattr(cache_tune, "_sleep", lambda s: (slept.append(s), now.__setitem__(0, now[0] + s)))
    monkeypatch.setattr(ctx.clients, "client", lambda service: busy)
    # WHEN it is applied under a grant that expires in 5 minutes
    grant = guard.Grant("ap-1", "h", frozenset(), time.time() + 300)
    with guard.activated(grant):
        result = cache_tune.apply(ctx, work)
    # THEN the first change ran, the wait stopped before the grant's end, and the rest is reported as not done
    assert busy.calls[0] == "DecreaseReplicaCount" and "ModifyReplicationGroup" not in busy.calls
    assert result.not_done == ["elasticache:ModifyReplicationGroup"]
    assert sum(slept) <= 300 - cache_tune.GRANT_MARGIN_SECONDS
    assert result.node_type == "cache.r7g.xlarge" and result.replicas_per_node_group == 1
    assert "run tune_cache again" in result.note
