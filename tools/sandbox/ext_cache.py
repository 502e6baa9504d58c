"""Sandbox extensions and seed data for the cache domain (ElastiCache for Valkey / Redis OSS).

moto 5.2 creates replication groups, but it ignores CacheParameterGroupName and ApplyImmediately
in ModifyReplicationGroup, never leaves "available", lacks IncreaseReplicaCount and
DecreaseReplicaCount, and has no cache clusters for the members of a replication group (where
AWS reports engine version and parameter group). The handlers here answer those operations on
moto's own replication group objects. A change puts the group in "modifying" and is completed
by the next DescribeReplicationGroups, as if AWS had finished (no sleeps); until then other changes are refused
with InvalidReplicationGroupState, as AWS does. Parameter groups: ``ext_cache_params``; the
nodes' CloudWatch metrics: ``ext_cache_metrics``; serverless caches: ``ext_cache_serverless``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tools.catalog import catalog
from tools.sandbox import ext_cache_params as params
from tools.sandbox import ext_cache_serverless as serverless
from tools.sandbox import ext_metrics  # noqa: F401  (registers CloudWatch statistics with percentiles)
from tools.sandbox.ext_cache_metrics import publish
from tools.sandbox.extensions import Call, ExtensionError, extension

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox

DEFAULT_ENGINE_VERSION = {"valkey": "8.0", "redis": "7.1"}
MAX_REPLICAS = 5
NODE_TYPE = re.compile(r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
SEED_GROUP = "kv-cache-prod"
SEED_SERVERLESS = "expert-cache"
# Mixtral's expert weights kept hot for the serving fleet: 12 GB stored, 20k ECPUs a second.
SEED_SERVERLESS_WORKLOAD = {"stored_gb": 12.0, "ecpu_per_second": 20000.0}
SEED_WORKLOAD = {
    # An LLM serving fleet's KV-cache blocks: 24 GiB of hot blocks do not fit in 19.7 GiB
    # (cache.r7g.xlarge less 25 % reserved), so the primary evicts and the hit rate sags.
    "working_set_gib": 24.0,
    "gets_per_second": 30000.0,
    "sets_per_second": 3000.0,
    "clients": 240.0,
    "hit_rate_ceiling": 0.95,
}


# ----------------------------------------------------------------------------- model helpers
def _groups(call: Call) -> dict[str, Any]:
    from moto.backends import get_backend

    return get_backend("elasticache")[call.account][call.region].replication_groups


def _group(call: Call, group_id: str) -> Any:
    rg = _groups(call).get(group_id)
    if rg is None:
        raise ExtensionError("ReplicationGroupNotFoundFault", f"ReplicationGroup {group_id} not found.", 404)
    return rg


def engine_version(rg: Any) -> str:
    """The group's engine version (moto keeps None when the creator gave none)."""
    return rg.engine_version or DEFAULT_ENGINE_VERSION.get(rg.engine, "7.1")


def family(rg: Any) -> str:
    """The parameter group family of the group's engine version."""
    major = engine_version(rg).split(".")[0]
    if rg.engine == "valkey":
        return f"valkey{major}"
    return "redis6.x" if major == "6" else f"redis{major}" if int(major) >= 7 else f"redis{major}.0"


def parameter_group(rg: Any) -> str:
    """The group's parameter group; AWS's default for its family unless one was set."""
    suffix = ".cluster.on" if rg.cluster_enabled else ""
    return rg.cache_parameter_group_name or f"default.{family(rg)}{suffix}"


def _replicas(rg: Any) -> int:
    return len(rg.node_groups[0]["node_group_members"]) - 1


def _require_available(rg: Any) -> None:
    if rg.status != "available":
        raise ExtensionError(
            "InvalidReplicationGroupState",
            f"Replication group {rg.replication_group_id} is {rg.status}; it must be available for this request.",
        )


def _settle(call: Call, rg: Any) -> None:
    """Complete a pending modification (AWS would take minutes; the sandbox is done at once)."""
    pending = params.store(call.state)["pending"].pop(rg.replication_group_id, None)
    if rg.status == "modifying" or pending:
        for key, value in (pending or {}).items():
            setattr(rg, key, value)
        rg.status = "available"
        for group in rg.node_groups:
            group["status"] = "available"
        call.changed = True
    reserved = float(params.group_values(call.state, parameter_group(rg)).get("reserved-memory-percent", 25))
    if publish(params.store(call.state), rg, reserved, call.account, call.region):
        call.changed = True


def _start_modifying(call: Call, rg: Any, **pending: Any) -> None:
    rg.status = "modifying"
    for group in rg.node_groups:
        group["status"] = "modifying"
    if pending:
        params.store(call.state)["pending"].setdefault(rg.replication_group_id, {}).update(pending)


# ------------------------------------------------------------------------------- serialising
def _member_body(member: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CacheClusterId": member["cache_cluster_id"],
        "CacheNodeId": member["cache_node_id"],
        "PreferredAvailabilityZone": member.get("preferred_availability_zone", "us-east-1a"),
    }
    if "current_role" in member:
        body["CurrentRole"] = member["current_role"]
    if "read_endpoint" in member:
        body["ReadEndpoint"] = {"Address": member["read_endpoint"]["address"], "Port": member["read_endpoint"]["port"]}
    return body


def _node_group_body(rg: Any, group: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "NodeGroupId": group["node_group_id"],
        "Status": group["status"],
        "NodeGroupMembers": [_member_body(m) for m in group["node_group_members"]],
    }
    if "primary_endpoint_address" in group:
        body["PrimaryEndpoint"] = {"Address": group["primary_endpoint_address"], "Port": rg.port}
        body["ReaderEndpoint"] = {"Address": group["reader_endpoint_address"], "Port": rg.port}
    if "slots" in group:
        body["Slots"] = group["slots"]
    return body


def _truthy(value: Any, default: bool) -> bool:
    return default if value is None else value in (True, "true", "True", "1")


def replication_group_body(rg: Any) -> dict[str, Any]:
    """A moto replication group as the ReplicationGroup shape of botocore's model."""
    body: dict[str, Any] = {
        "ReplicationGroupId": rg.replication_group_id,
        "Description": rg.description,
        "Status": rg.status,
        "PendingModifiedValues": {},
        "MemberClusters": list(rg.member_clusters),
        "NodeGroups": [_node_group_body(rg, g) for g in rg.node_groups],
        "AutomaticFailover": rg.automatic_failover,
        "MultiAZ": rg.multi_az,
        "SnapshotRetentionLimit": int(rg.snapshot_retention_limit or 0),
        "SnapshotWindow": rg.snapshot_window,
        "ClusterEnabled": bool(rg.cluster_enabled),
        "CacheNodeType": rg.cache_node_type,
        "AuthTokenEnabled": bool(rg.auth_token_enabled),
        "TransitEncryptionEnabled": _truthy(rg.transit_encryption_enabled, False),
        "AtRestEncryptionEnabled": _truthy(rg.at_rest_encryption_enabled, False),
        "ARN": rg.arn,
        "UserGroupIds": list(rg.user_group_ids or []),
        "ReplicationGroupCreateTime": rg.replication_group_create_time,
        "DataTiering": rg.data_tiering,
        "AutoMinorVersionUpgrade": _truthy(rg.auto_minor_version_upgrade, True),
        "NetworkType": rg.network_type,
        "IpDiscovery": rg.ip_discovery,
        "ClusterMode": rg.cluster_mode,
        "Engine": rg.engine,
    }
    if rg.snapshotting_cluster_id:
        body["SnapshottingClusterId"] = rg.snapshotting_cluster_id
    if rg.cluster_enabled:
        endpoint = rg.configuration_endpoint
        body["ConfigurationEndpoint"] = {"Address": endpoint["address"], "Port": endpoint["port"]}
    return body


def _cluster_body(call: Call, rg: Any, member: dict[str, Any], show_nodes: bool) -> dict[str, Any]:
    cluster_id = member["cache_cluster_id"]
    zone = member.get("preferred_availability_zone", f"{call.region}a")
    pending = params.store(call.state)["pending"].get(rg.replication_group_id, {})
    body: dict[str, Any] = {
        "CacheClusterId": cluster_id,
        "CacheNodeType": rg.cache_node_type,
        "Engine": rg.engine,
        "EngineVersion": engine_version(rg),
        "CacheClusterStatus": "modifying" if rg.status == "modifying" else "available",
        "NumCacheNodes": 1,
        "PreferredAvailabilityZone": zone,
        "CacheClusterCreateTime": rg.replication_group_create_time,
        "PreferredMaintenanceWindow": rg.preferred_maintenance_window or "sun:05:00-sun:06:00",
        "PendingModifiedValues": {"CacheNodeType": pending["cache_node_type"]} if "cache_node_type" in pending else {},
        "CacheSecurityGroups": [],
        "CacheParameterGroup": {
            "CacheParameterGroupName": parameter_group(rg),
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        },
        "CacheSubnetGroupName": rg.cache_subnet_group_name or "default",
        "AutoMinorVersionUpgrade": _truthy(rg.auto_minor_version_upgrade, True),
        "SecurityGroups": [],
        "ReplicationGroupId": rg.replication_group_id,
        "SnapshotRetentionLimit": int(rg.snapshot_retention_limit or 0),
        "SnapshotWindow": rg.snapshot_window,
        "AuthTokenEnabled": bool(rg.auth_token_enabled),
        "TransitEncryptionEnabled": _truthy(rg.transit_encryption_enabled, False),
        "AtRestEncryptionEnabled": _truthy(rg.at_rest_encryption_enabled, False),
        "ARN": f"arn:aws:elasticache:{call.region}:{call.account}:cluster:{cluster_id}",
        "ReplicationGroupLogDeliveryEnabled": False,
        "LogDeliveryConfigurations": [],
        "NetworkType": rg.network_type,
        "IpDiscovery": rg.ip_discovery,
    }
    if show_nodes:
        endpoint = member.get("read_endpoint", {"address": f"{cluster_id}.cache.amazonaws.com", "port": rg.port})
        body["CacheNodes"] = [
            {
                "CacheNodeId": "0001",
                "CacheNodeStatus": "available",
                "CacheNodeCreateTime": rg.replication_group_create_time,
                "Endpoint": {"Address": endpoint["address"], "Port": endpoint["port"]},
                "ParameterGroupStatus": "in-sync",
                "CustomerAvailabilityZone": zone,
            }
        ]
    return body


def _standalone_body(call: Call, cluster: Any) -> dict[str, Any]:
    return {
        "CacheClusterId": cluster.cache_cluster_id,
        "CacheNodeType": cluster.cache_node_type,
        "Engine": cluster.engine,
        "EngineVersion": cluster.engine_version or DEFAULT_ENGINE_VERSION.get(cluster.engine, "7.1"),
        "CacheClusterStatus": cluster.cache_cluster_status,
        "NumCacheNodes": int(cluster.num_cache_nodes or 1),
        "CacheClusterCreateTime": cluster.cache_cluster_create_time,
        "ARN": cluster.arn,
    }


# ---------------------------------------------------------------------------------- handlers
@extension("elasticache", "DescribeReplicationGroups")
def describe_replication_groups(call: Call) -> dict[str, Any]:
    """One group or all; completes pending changes and lets the nodes publish their metrics."""
    group_id = call.params.get("ReplicationGroupId")
    groups = [_group(call, group_id)] if group_id else list(_groups(call).values())
    for rg in groups:
        _settle(call, rg)
    return {"ReplicationGroups": [replication_group_body(rg) for rg in groups]}


@extension("elasticache", "DescribeCacheClusters")
def describe_cache_clusters(call: Call) -> dict[str, Any]:
    """Member clusters of replication groups (moto has none) and moto's stand-alone clusters.

    Only DescribeReplicationGroups completes a pending change, so members can show it pending.
    """
    from moto.backends import get_backend

    wanted = call.params.get("CacheClusterId")
    show_nodes = bool(call.params.get("ShowCacheNodeInfo"))
    bodies: list[dict[str, Any]] = []
    if not call.params.get("ShowCacheClustersNotInReplicationGroups"):
        for rg in _groups(call).values():
            for group in rg.node_groups:
                for member in group["node_group_members"]:
                    if wanted in (None, member["cache_cluster_id"]):
                        bodies.append(_cluster_body(call, rg, member, show_nodes))
    for cluster in get_backend("elasticache")[call.account][call.region].cache_clusters.values():
        if wanted in (None, cluster.cache_cluster_id):
            bodies.append(_standalone_body(call, cluster))
    if wanted and not bodies:
        raise ExtensionError("CacheClusterNotFound", f"Cache cluster {wanted} not found.", 404)
    return {"CacheClusters": bodies}


@extension("elasticache", "ModifyReplicationGroup")
def modify_replication_group(call: Call) -> dict[str, Any]:
    """Node type and parameter group changes become pending ("modifying"); simple settings apply now."""
    p = call.params
    rg = _group(call, p["ReplicationGroupId"])
    _require_available(rg)
    pending: dict[str, Any] = {}
    node_type = p.get("CacheNodeType")
    if node_type is not None:
        row = catalog().get(node_type)
        if not NODE_TYPE.match(node_type) or (row is not None and "cache" not in row.uses):
            raise ExtensionError("InvalidParameterValue", f"Invalid CacheNodeType: {node_type}")
        if node_type != rg.cache_node_type:
            pending["cache_node_type"] = node_type
    group_name = p.get("CacheParameterGroupName")
    if group_name is not None:
        group = params.find_group(call.state, group_name)
        if group is None:
            raise ExtensionError("CacheParameterGroupNotFound", f"CacheParameterGroup {group_name} not found.", 404)
        if group["family"] != family(rg):
            raise ExtensionError(
                "InvalidParameterCombination",
                f"Parameter group {group_name} is for {group['family']}, the replication group runs {family(rg)}.",
            )
        if group_name != parameter_group(rg):
            pending["cache_parameter_group_name"] = group_name
    simple = {
        "ReplicationGroupDescription": ("description", lambda v: v),
        "AutomaticFailoverEnabled": ("automatic_failover", lambda v: "enabled" if v else "disabled"),
        "MultiAZEnabled": ("multi_az", lambda v: "enabled" if v else "disabled"),
        "SnapshotRetentionLimit": ("snapshot_retention_limit", int),
    }
    for key, (attr, convert) in simple.items():
        if key in p:
            setattr(rg, attr, convert(p[key]))
    if pending:
        _start_modifying(call, rg, **pending)
    return {"ReplicationGroup": replication_group_body(rg)}


def _new_member(rg: Any, group: dict[str, Any], number: int, zone: str) -> dict[str, Any]:
    if rg.cluster_enabled:
        cluster_id = f"{rg.replication_group_id}-{group['node_group_id']}-{number:03d}"
        return {
            "cache_cluster_id": cluster_id,
            "cache_node_id": group["node_group_id"],
            "preferred_availability_zone": zone,
        }
    cluster_id = f"{rg.replication_group_id}-{number:03d}"
    domain = group["primary_endpoint_address"].split(".", 1)[1]
    return {
        "cache_cluster_id": cluster_id,
        "cache_node_id": group["node_group_id"],
        "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": rg.port},
        "preferred_availability_zone": zone,
        "current_role": "replica",
    }


def _new_replica_count(call: Call, rg: Any) -> int:
    if "NewReplicaCount" not in call.params:
        raise ExtensionError("InvalidParameterValue", "NewReplicaCount is required for this replication group.")
    return int(call.params["NewReplicaCount"])


@extension("elasticache", "IncreaseReplicaCount")
def increase_replica_count(call: Call) -> dict[str, Any]:
    """Add replicas to every node group up to NewReplicaCount (at most 5)."""
    rg = _group(call, call.params["ReplicationGroupId"])
    _require_available(rg)
    new = _new_replica_count(call, rg)
    current = _replicas(rg)
    if new <= current:
        raise ExtensionError("InvalidParameterValue", f"NewReplicaCount {new} must be greater than {current}.")
    if new > MAX_REPLICAS:
        raise ExtensionError("InvalidParameterValue", f"NewReplicaCount {new} exceeds the maximum of {MAX_REPLICAS}.")
    for group in rg.node_groups:
        members = group["node_group_members"]
        used = {int(m["cache_cluster_id"].rsplit("-", 1)[1]) for m in members}
        number = 1
        while len(members) < new + 1:
            number += 1
            if number in used:
                continue
            member = _new_member(rg, group, number, f"{call.region}{'bcdef'[len(members) % 5]}")
            members.append(member)
            rg.member_clusters.append(member["cache_cluster_id"])
    _start_modifying(call, rg)
    return {"ReplicationGroup": replication_group_body(rg)}


@extension("elasticache", "DecreaseReplicaCount")
def decrease_replica_count(call: Call) -> dict[str, Any]:
    """Remove replicas (the named ones, else the newest) down to NewReplicaCount."""
    rg = _group(call, call.params["ReplicationGroupId"])
    _require_available(rg)
    to_remove = list(call.params.get("ReplicasToRemove") or [])
    current = _replicas(rg)
    new = current - len(to_remove) if to_remove and "NewReplicaCount" not in call.params else None
    new = new if new is not None else _new_replica_count(call, rg)
    if not 0 <= new < current:
        raise ExtensionError("InvalidParameterValue", f"NewReplicaCount {new} must be between 0 and {current - 1}.")
    if new < 1 and (rg.automatic_failover == "enabled" or rg.multi_az == "enabled"):
        raise ExtensionError(
            "InvalidParameterCombination", "At least 1 replica is required while automatic failover or Multi-AZ is on."
        )
    for group in rg.node_groups:
        members = group["node_group_members"]
        named = [m for m in members[1:] if m["cache_cluster_id"] in to_remove]
        newest_first = named + [m for m in reversed(members[1:]) if m not in named]
        for member in newest_first[: len(members) - 1 - new]:
            members.remove(member)
            rg.member_clusters.remove(member["cache_cluster_id"])
    _start_modifying(call, rg)
    return {"ReplicationGroup": replication_group_body(rg)}


# -------------------------------------------------------------------------------------- seed
def seed(sandbox: Sandbox) -> None:
    """kv-cache-prod: Valkey 8.0 on cache.r7g.xlarge, 1 shard with 2 replicas, and an hour of metrics;
    expert-cache: a Valkey serverless cache holding 12 GB."""
    client = sandbox.client("elasticache")
    client.create_replication_group(
        ReplicationGroupId=SEED_GROUP,
        ReplicationGroupDescription="KV cache and expert cache for LLM serving",
        Engine="valkey",
        EngineVersion="8.0",
        CacheNodeType="cache.r7g.xlarge",
        NumNodeGroups=1,
        ReplicasPerNodeGroup=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        CacheParameterGroupName="default.valkey8",
        Tags=[{"Key": "team", "Value": "inference"}],
    )
    params.store(sandbox.ext)["workloads"][SEED_GROUP] = dict(SEED_WORKLOAD)
    client.describe_replication_groups(ReplicationGroupId=SEED_GROUP)  # the nodes publish their first hour
    client.create_serverless_cache(
        ServerlessCacheName=SEED_SERVERLESS,
        Description="MoE expert cache for mixtral-8x7b serving",
        Engine="valkey",
        MajorEngineVersion="8",
        Tags=[{"Key": "team", "Value": "inference"}],
    )
    serverless.set_workload(sandbox.ext, SEED_SERVERLESS, **SEED_SERVERLESS_WORKLOAD)
    client.describe_serverless_caches(ServerlessCacheName=SEED_SERVERLESS)  # available, first hour of metrics
