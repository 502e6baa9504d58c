"""Sandbox: CloudWatch metrics that the nodes of a replication group publish.

A replication group seeded with a workload profile (working set, reads and writes per second,
clients) publishes 5-minute points in AWS/ElastiCache, dimension CacheClusterId per node, as real
nodes do. The numbers follow from the profile and the group's current shape: the node type's
memory less reserved-memory-percent decides how much of the working set fits (memory use,
evictions, hit rate), and reads spread over primary and replicas (engine CPU). So after a resize
the new points show the relief. Points are written up to "now" whenever the group is described,
at most one hour back, deterministically (no randomness).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from tools.catalog import catalog

NAMESPACE = "AWS/ElastiCache"
SLOT_SECONDS = 300
WINDOW_SLOTS = 12  # one hour of 5-minute points
KEEP_SECONDS = 3 * 3600
DEFAULT_NODE = (13.07, 2)  # memory GiB and vCPUs of a node type the catalog does not know
MEMORY_CEILING = 97.0  # used_memory stays just under maxmemory when the policy evicts


def _now() -> float:
    """Epoch seconds; a seam so tests can let time pass."""
    return datetime.now(UTC).timestamp()


def _node_shape(node_type: str) -> tuple[float, int]:
    row = catalog().get(node_type)
    return (row.memory_gib, row.vcpus) if row else DEFAULT_NODE


def points(profile: dict[str, float], rg: Any, reserved_percent: float, at: int) -> list[dict[str, Any]]:
    """The metric data of every node of ``rg`` for the 5-minute slot starting at epoch ``at``."""
    memory_gib, vcpus = _node_shape(rg.cache_node_type)
    shards = max(1, len(rg.node_groups))
    usable = memory_gib * (1 - reserved_percent / 100)
    wobble = 1 + 0.03 * math.sin(at / 900)  # a gentle, repeatable daily-traffic ripple
    fill = profile["working_set_gib"] / shards * wobble / usable
    overflow = max(0.0, 1 - 1 / fill)  # share of the working set that does not fit and is evicted
    hit = profile["hit_rate_ceiling"] * (1 - overflow)
    sets = profile["sets_per_second"] / shards * wobble
    cpu_scale = math.sqrt(4 / vcpus)  # Valkey's I/O threads spread work over more vCPUs
    stamp = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)  # moto keeps naive UTC
    data: list[dict[str, Any]] = []
    for group in rg.node_groups:
        members = group["node_group_members"]
        reads = profile["gets_per_second"] / shards * wobble / len(members)
        for index, member in enumerate(members):
            primary = member.get("current_role", "primary" if index == 0 else "replica") == "primary"
            cpu = (4 + reads * 0.0035 + sets * (0.006 if primary else 0.002)) * cpu_scale
            values = {
                "CacheHitRate": (hit * 100, "Percent"),
                "CacheHits": (reads * SLOT_SECONDS * hit, "Count"),
                "CacheMisses": (reads * SLOT_SECONDS * (1 - hit), "Count"),
                "Evictions": (sets * SLOT_SECONDS * overflow if primary else 0.0, "Count"),
                "DatabaseMemoryUsagePercentage": (min(fill * 100, MEMORY_CEILING), "Percent"),
                "BytesUsedForCache": (min(fill * 100, MEMORY_CEILING) / 100 * usable * 2**30, "Bytes"),
                "CurrConnections": (round(profile["clients"] / len(rg.member_clusters)) + 5, "Count"),
                "EngineCPUUtilization": (min(cpu, 99.0), "Percent"),
                "GetTypeCmds": (reads * SLOT_SECONDS, "Count"),
                "SetTypeCmds": (sets * SLOT_SECONDS if primary else 0.0, "Count"),
            }
            dims = [{"Name": "CacheClusterId", "Value": member["cache_cluster_id"]}]
            data += [
                {"MetricName": name, "Dimensions": dims, "Timestamp": stamp, "Value": round(v, 3), "Unit": unit}
                for name, (v, unit) in values.items()
            ]
    return data


def publish(cache_store: dict[str, Any], rg: Any, reserved_percent: float, account: str, region: str) -> bool:
    """Write the points that are due for ``rg`` since the last ones; True if any were written."""
    profile = cache_store["workloads"].get(rg.replication_group_id)
    if profile is None:
        return False
    now = int(_now())
    last_slot = (now // SLOT_SECONDS) * SLOT_SECONDS
    first_slot = max(
        cache_store["metrics_until"].get(rg.replication_group_id, 0) + SLOT_SECONDS,
        last_slot - (WINDOW_SLOTS - 1) * SLOT_SECONDS,
    )
    if first_slot > last_slot:
        return False
    from moto.backends import get_backend

    backend = get_backend("cloudwatch")[account][region]
    data: list[dict[str, Any]] = []
    for at in range(first_slot, last_slot + 1, SLOT_SECONDS):
        data += points(profile, rg, reserved_percent, at)
    backend.put_metric_data(NAMESPACE, data)
    cutoff = datetime.fromtimestamp(now - KEEP_SECONDS, UTC).replace(tzinfo=None)
    backend.metric_data = [m for m in backend.metric_data if m.namespace != NAMESPACE or m.timestamp >= cutoff]
    cache_store["metrics_until"][rg.replication_group_id] = last_slot
    return True
