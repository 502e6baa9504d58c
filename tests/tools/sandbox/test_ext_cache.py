"""The sandbox's ElastiCache: replication group changes, replica counts, member clusters, seed and metrics."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools import guard
from tools.sandbox.extensions import validate_output

GROUP = "kv-cache-prod"


@pytest.fixture
def ec(ctx) -> Iterator[Any]:
    """GIVEN an unguarded ElastiCache client on the freshly seeded sandbox, state held for the test."""
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        yield sandbox.client("elasticache")


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def _describe(ec: Any) -> dict[str, Any]:
    response = ec.describe_replication_groups(ReplicationGroupId=GROUP)
    validate_output(ec, "DescribeReplicationGroups", response)
    return response["ReplicationGroups"][0]


def test_seed_is_a_valkey_group_with_two_replicas(ec) -> None:
    # WHEN the seeded group and its primary are described
    rg = _describe(ec)
    clusters = ec.describe_cache_clusters(CacheClusterId=f"{GROUP}-001", ShowCacheNodeInfo=True)
    validate_output(ec, "DescribeCacheClusters", clusters)
    primary = clusters["CacheClusters"][0]
    # THEN it is Valkey 8 on cache.r7g.xlarge, one shard of a primary and two replicas, default parameters
    assert (rg["Engine"], rg["CacheNodeType"], rg["Status"]) == ("valkey", "cache.r7g.xlarge", "available")
    assert rg["MemberClusters"] == [f"{GROUP}-001", f"{GROUP}-002", f"{GROUP}-003"]
    assert [m["CurrentRole"] for m in rg["NodeGroups"][0]["NodeGroupMembers"]] == ["primary", "replica", "replica"]
    assert primary["EngineVersion"].startswith("8.")
    assert primary["CacheParameterGroup"]["CacheParameterGroupName"] == "default.valkey8"
    assert primary["ReplicationGroupId"] == GROUP and primary["CacheNodes"][0]["CacheNodeId"] == "0001"


def test_seed_publishes_an_hour_of_memory_pressure(ctx, ec) -> None:
    # GIVEN the seeded group (describing it lets its nodes publish)
    _describe(ec)
    cw = ctx.clients.sandbox.client("cloudwatch")
    now = datetime.now(UTC)

    def series(node: str, metric: str, stat: str) -> list[float]:
        query = {
            "Id": "q",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ElastiCache",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "CacheClusterId", "Value": node}],
                },
                "Period": 300,
                "Stat": stat,
            },
        }
        result = cw.get_metric_data(MetricDataQueries=[query], StartTime=now - timedelta(hours=1), EndTime=now)
        return result["MetricDataResults"][0]["Values"]

    # WHEN the last hour is read per node
    memory = series(f"{GROUP}-001", "DatabaseMemoryUsagePercentage", "Maximum")
    # THEN there are 5-minute points for the hour, memory above 85 %, and only the primary evicts
    assert 11 <= len(memory) <= 12 and min(memory) > 85
    assert sum(series(f"{GROUP}-001", "Evictions", "Sum")) > 0
    assert sum(series(f"{GROUP}-002", "Evictions", "Sum")) == 0
    assert len(series(f"{GROUP}-003", "CacheHitRate", "Average")) >= 11


def test_node_type_change_is_modifying_until_the_next_describe(ec) -> None:
    # WHEN the node type is changed
    response = ec.modify_replication_group(
        ReplicationGroupId=GROUP, CacheNodeType="cache.r7g.2xlarge", ApplyImmediately=True
    )
    validate_output(ec, "ModifyReplicationGroup", response)
    # THEN the group is modifying with the old type still in place, and the member shows the pending type
    assert response["ReplicationGroup"]["Status"] == "modifying"
    assert response["ReplicationGroup"]["CacheNodeType"] == "cache.r7g.xlarge"
    member = ec.describe_cache_clusters(CacheClusterId=f"{GROUP}-002")["CacheClusters"][0]
    assert member["PendingModifiedValues"] == {"CacheNodeType": "cache.r7g.2xlarge"}
    # AND the next describe finds it done
    rg = _describe(ec)
    assert (rg["Status"], rg["CacheNodeType"]) == ("available", "cache.r7g.2xlarge")


def test_a_second_change_while_modifying_is_refused(ec) -> None:
    # GIVEN a group that is modifying
    ec.modify_replication_group(ReplicationGroupId=GROUP, CacheNodeType="cache.r7g.2xlarge", ApplyImmediately=True)
    # WHEN replicas are added before anyone described it
    with pytest.raises(ClientError) as exc:
        ec.increase_replica_count(ReplicationGroupId=GROUP, NewReplicaCount=3, ApplyImmediately=True)
    # THEN AWS's state error comes back
    assert _code(exc) == "InvalidReplicationGroupState"


def test_modify_checks_node_type_and_parameter_group(ec) -> None:
    ec.create_cache_parameter_group(
        CacheParameterGroupName="redis-tuned", CacheParameterGroupFamily="redis7", Description="other family"
    )
    cases = [
        ({"CacheNodeType": "cache.huge"}, "InvalidParameterValue"),
        ({"CacheParameterGroupName": "does-not-exist"}, "CacheParameterGroupNotFound"),
        ({"CacheParameterGroupName": "redis-tuned"}, "InvalidParameterCombination"),
    ]
    for request, code in cases:
        with pytest.raises(ClientError) as exc:
            ec.modify_replication_group(ReplicationGroupId=GROUP, ApplyImmediately=True, **request)
        assert _code(exc) == code, request
    assert _describe(ec)["Status"] == "available"


def test_parameter_group_is_attached_on_the_next_describe(ec) -> None:
    # GIVEN a custom valkey8 group
    ec.create_cache_parameter_group(
        CacheParameterGroupName="opsbot-kv-cache-prod", CacheParameterGroupFamily="valkey8", Description="tuned"
    )
    # WHEN it is attached
    ec.modify_replication_group(
        ReplicationGroupId=GROUP, CacheParameterGroupName="opsbot-kv-cache-prod", ApplyImmediately=True
    )
    _describe(ec)
    # THEN every member reports it
    for member in ec.describe_cache_clusters()["CacheClusters"]:
        assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "opsbot-kv-cache-prod"


def test_increase_and_decrease_replica_count(ec) -> None:
    # WHEN replicas go from 2 to 4
    up = ec.increase_replica_count(ReplicationGroupId=GROUP, NewReplicaCount=4, ApplyImmediately=True)
    validate_output(ec, "IncreaseReplicaCount", up)
    # THEN two members with the next names join, each with a read endpoint
    members = up["ReplicationGroup"]["NodeGroups"][0]["NodeGroupMembers"]
    assert up["ReplicationGroup"]["MemberClusters"][-2:] == [f"{GROUP}-004", f"{GROUP}-005"]
    assert all(m["ReadEndpoint"]["Address"].startswith(m["CacheClusterId"]) for m in members)
    assert _describe(ec)["Status"] == "available"
    # WHEN a named replica and one more are removed (down to 2)
    down = ec.decrease_replica_count(
        ReplicationGroupId=GROUP, NewReplicaCount=2, ReplicasToRemove=[f"{GROUP}-002"], ApplyImmediately=True
    )
    validate_output(ec, "DecreaseReplicaCount", down)
    # THEN the named one is gone and the primary stays
    remaining = down["ReplicationGroup"]["MemberClusters"]
    assert len(remaining) == 3 and f"{GROUP}-001" in remaining and f"{GROUP}-002" not in remaining


@pytest.mark.parametrize(
    ("operation", "count", "code"),
    [
        ("increase_replica_count", 2, "InvalidParameterValue"),  # not more than now
        ("increase_replica_count", 6, "InvalidParameterValue"),  # over the maximum of 5
        ("decrease_replica_count", 2, "InvalidParameterValue"),  # not fewer than now
        ("decrease_replica_count", 0, "InvalidParameterCombination"),  # failover needs a replica
    ],
)
def test_replica_count_limits(ec, operation: str, count: int, code: str) -> None:
    with pytest.raises(ClientError) as exc:
        getattr(ec, operation)(ReplicationGroupId=GROUP, NewReplicaCount=count, ApplyImmediately=True)
    assert _code(exc) == code
    assert len(_describe(ec)["MemberClusters"]) == 3


def test_unknown_group_and_cluster_are_not_found(ec) -> None:
    with pytest.raises(ClientError) as exc:
        ec.describe_replication_groups(ReplicationGroupId="nope")
    assert _code(exc) == "ReplicationGroupNotFoundFault"
    with pytest.raises(ClientError) as exc:
        ec.modify_replication_group(ReplicationGroupId="nope", CacheNodeType="cache.r7g.large", ApplyImmediately=True)
    assert _code(exc) == "ReplicationGroupNotFoundFault"
    with pytest.raises(ClientError) as exc:
        ec.describe_cache_clusters(CacheClusterId="nope-001")
    assert _code(exc) == "CacheClusterNotFound"


def test_parameter_group_lifecycle(ec) -> None:
    # WHEN a group is created, modified and read back
    created = ec.create_cache_parameter_group(
        CacheParameterGroupName="tuned", CacheParameterGroupFamily="valkey8", Description="d"
    )
    validate_output(ec, "CreateCacheParameterGroup", created)
    modified = ec.modify_cache_parameter_group(
        CacheParameterGroupName="tuned",
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
            {"ParameterName": "timeout", "ParameterValue": "300"},
        ],
    )
    validate_output(ec, "ModifyCacheParameterGroup", modified)
    user = ec.describe_cache_parameters(CacheParameterGroupName="tuned", Source="user")
    validate_output(ec, "DescribeCacheParameters", user)
    everything = ec.describe_cache_parameters(CacheParameterGroupName="tuned")
    groups = ec.describe_cache_parameter_groups()
    validate_output(ec, "DescribeCacheParameterGroups", groups)
    # THEN only the set parameters are "user", the rest are engine defaults, and the group is listed
    assert {p["ParameterName"]: p["ParameterValue"] for p in user["Parameters"]} == {
        "maxmemory-policy": "allkeys-lru",
        "timeout": "300",
    }
    values = {p["ParameterName"]: p["ParameterValue"] for p in everything["Parameters"]}
    assert values["lazyfree-lazy-eviction"] == "no" and values["reserved-memory-percent"] == "25"
    names = [g["CacheParameterGroupName"] for g in groups["CacheParameterGroups"]]
    assert "tuned" in names and "default.valkey8" in names


def test_describe_cache_parameters_pages_with_a_marker(ec) -> None:
    first = ec.describe_cache_parameters(CacheParameterGroupName="default.valkey8", MaxRecords=20)
    assert "Marker" not in first  # fits one page
    page = ec.describe_cache_parameters(CacheParameterGroupName="default.valkey8", MaxRecords=20, Marker="10")
    assert len(page["Parameters"]) == len(first["Parameters"]) - 10


@pytest.mark.parametrize(
    ("name", "pairs", "code"),
    [
        ("tuned", [{"ParameterName": "no-such-thing", "ParameterValue": "1"}], "InvalidParameterValue"),
        ("tuned", [{"ParameterName": "maxmemory-policy", "ParameterValue": "lru"}], "InvalidParameterValue"),
        ("tuned", [{"ParameterName": "timeout", "ParameterValue": "5"}], "InvalidParameterValue"),  # 0 or >= 20
        ("tuned", [{"ParameterName": "maxclients", "ParameterValue": "10"}], "InvalidParameterValue"),  # fixed
        ("default.valkey8", [{"ParameterName": "timeout", "ParameterValue": "30"}], "InvalidCacheParameterGroupState"),
        ("missing", [{"ParameterName": "timeout", "ParameterValue": "30"}], "CacheParameterGroupNotFound"),
    ],
)
def test_modify_cache_parameter_group_refuses_what_aws_refuses(ec, name: str, pairs: list, code: str) -> None:
    ec.create_cache_parameter_group(
        CacheParameterGroupName="tuned", CacheParameterGroupFamily="valkey8", Description="d"
    )
    with pytest.raises(ClientError) as exc:
        ec.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=pairs)
    assert _code(exc) == code
    user = ec.describe_cache_parameters(CacheParameterGroupName="tuned", Source="user")["Parameters"]
    assert user == []


def test_create_cache_parameter_group_refuses_duplicates_and_unknown_families(ec) -> None:
    ec.create_cache_parameter_group(
        CacheParameterGroupName="tuned", CacheParameterGroupFamily="valkey8", Description="d"
    )
    for name, family, code in [
        ("tuned", "valkey8", "CacheParameterGroupAlreadyExists"),
        ("other", "valkey99", "InvalidParameterValue"),
        ("bad--name", "valkey8", "InvalidParameterValue"),
    ]:
        with pytest.raises(ClientError) as exc:
            ec.create_cache_parameter_group(
                CacheParameterGroupName=name, CacheParameterGroupFamily=family, Description="d"
            )
        assert _code(exc) == code
    with pytest.raises(ClientError) as exc:
        ec.describe_cache_parameter_groups(CacheParameterGroupName="other")
    assert _code(exc) == "CacheParameterGroupNotFound"


def test_a_completed_change_is_seen_by_another_process(ctx) -> None:
    # GIVEN a node type change made through opsbot's client and completed by a describe in this process
    client = ctx.clients.client("elasticache")
    grant = guard.Grant("ap-x", "h", frozenset({"elasticache:ModifyReplicationGroup"}), time.time() + 60)
    with guard.activated(grant):
        client.modify_replication_group(
            ReplicationGroupId=GROUP, CacheNodeType="cache.r7g.2xlarge", ApplyImmediately=True
        )
    assert client.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]["Status"] == "available"
    # WHEN another process on the same OPSBOT_HOME reads a member (which does not complete changes itself)
    code = (
        "from tools.runtime import make_context\n"
        "ec = make_context().clients.client('elasticache')\n"
        "c = ec.describe_cache_clusters(CacheClusterId='kv-cache-prod-001')['CacheClusters'][0]\n"
        "print(c['CacheClusterStatus'], c['CacheNodeType'], c['PendingModifiedValues'] or '-')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # THEN it sees the finished change: the describe's completion was persisted
    assert out.split() == ["available", "cache.r7g.2xlarge", "-"]
