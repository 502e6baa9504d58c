"""Sandbox: ElastiCache Serverless caches (moto has none): create, describe and delete, and the
CloudWatch metrics a serverless cache publishes (dimension ``clusterId``).

A cache is ``creating`` after CreateServerlessCache and ``available`` from the next describe on, like
the other sandbox lifecycles (no sleeps). Caches live in the extension store under
``serverless_caches``; a cache given a workload in the seed publishes its last hour of
BytesUsedForCache and ElastiCacheProcessingUnits whenever it is described.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.sandbox.extensions import Call, ExtensionError, extension

STATE_KEY = "serverless_caches"
WORKLOADS_KEY = "serverless_cache_workloads"  # name -> {stored_gb, ecpu_per_second, metrics_until}
ENGINES = {"valkey": "8", "redis": "7", "memcached": "1.6"}
NAMESPACE = "AWS/ElastiCache"
SLOT_SECONDS = 60


def _caches(call: Call) -> dict[str, dict[str, Any]]:
    return call.state.setdefault(STATE_KEY, {})


def _not_found(name: str) -> ExtensionError:
    return ExtensionError("ServerlessCacheNotFoundFault", f"Serverless cache {name} not found.", 404)


@extension("elasticache", "CreateServerlessCache")
def create_serverless_cache(call: Call) -> dict[str, Any]:
    """CreateServerlessCache: a unique name, a known engine; the cache starts creating."""
    p = call.params
    name, engine = p["ServerlessCacheName"], p["Engine"].lower()
    if name in _caches(call):
        raise ExtensionError("ServerlessCacheAlreadyExistsFault", f"Serverless cache {name} already exists.")
    if engine not in ENGINES:
        raise ExtensionError("InvalidParameterValue", f"Engine must be one of {', '.join(ENGINES)}.")
    major = p.get("MajorEngineVersion") or ENGINES[engine]
    now = datetime.now(UTC)
    host = f"{name}-abc123.serverless.use1.cache.amazonaws.com"
    cache: dict[str, Any] = {
        "ServerlessCacheName": name,
        "Description": p.get("Description", ""),
        "CreateTime": now,
        "Status": "creating",
        "Engine": engine,
        "MajorEngineVersion": major,
        "FullEngineVersion": f"{major}.0" if "." not in major else major,
        "Endpoint": {"Address": host, "Port": 6379 if engine != "memcached" else 11211},
        "ReaderEndpoint": {"Address": host, "Port": 6380 if engine != "memcached" else 11212},
        "ARN": f"arn:aws:elasticache:{call.region}:{call.account}:serverlesscache:{name}",
        "SecurityGroupIds": list(p.get("SecurityGroupIds") or []),
        "SubnetIds": list(p.get("SubnetIds") or []),
        "SnapshotRetentionLimit": int(p.get("SnapshotRetentionLimit") or 0),
    }
    if p.get("CacheUsageLimits"):
        cache["CacheUsageLimits"] = copy.deepcopy(p["CacheUsageLimits"])
    _caches(call)[name] = cache
    return {"ServerlessCache": copy.deepcopy(cache)}


@extension("elasticache", "DescribeServerlessCaches")
def describe_serverless_caches(call: Call) -> dict[str, Any]:
    """One cache or all; a creating cache is available afterwards and a seeded one publishes metrics."""
    name = call.params.get("ServerlessCacheName")
    caches = _caches(call)
    if name and name not in caches:
        raise _not_found(name)
    found = [caches[name]] if name else list(caches.values())
    out = [copy.deepcopy(c) for c in found]
    for cache in found:
        if cache["Status"] == "creating":
            cache["Status"] = "available"
            call.changed = True
        if _publish(call, cache):
            call.changed = True
    return {"ServerlessCaches": out}


@extension("elasticache", "DeleteServerlessCache")
def delete_serverless_cache(call: Call) -> dict[str, Any]:
    """DeleteServerlessCache: the cache is gone."""
    name = call.params["ServerlessCacheName"]
    cache = _caches(call).pop(name, None)
    if cache is None:
        raise _not_found(name)
    call.state.get(WORKLOADS_KEY, {}).pop(name, None)
    cache["Status"] = "deleting"
    return {"ServerlessCache": cache}


def set_workload(state: dict[str, Any], name: str, stored_gb: float, ecpu_per_second: float) -> None:
    """Give a serverless cache a steady workload that its metrics will show."""
    state.setdefault(WORKLOADS_KEY, {})[name] = {"stored_gb": stored_gb, "ecpu_per_second": ecpu_per_second}


def _publish(call: Call, cache: dict[str, Any]) -> bool:
    """Write the cache's one-minute points due since the last ones (at most an hour back)."""
    workload = call.state.get(WORKLOADS_KEY, {}).get(cache["ServerlessCacheName"])
    if not workload:
        return False
    from moto.backends import get_backend

    now = int(datetime.now(UTC).timestamp()) // SLOT_SECONDS * SLOT_SECONDS
    first = max(int(workload.get("metrics_until", 0)) + SLOT_SECONDS, now - 59 * SLOT_SECONDS)
    if first > now:
        return False
    dims = [{"Name": "clusterId", "Value": cache["ServerlessCacheName"]}]
    data = []
    for at in range(first, now + 1, SLOT_SECONDS):
        stamp = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)  # moto keeps naive UTC
        ripple = 1 + 0.05 * ((at // SLOT_SECONDS) % 10 - 5) / 5
        data += [
            {"MetricName": "BytesUsedForCache", "Dimensions": dims, "Timestamp": stamp, "Unit": "Bytes",
             "Value": workload["stored_gb"] * 1e9 * ripple},
            {"MetricName": "ElastiCacheProcessingUnits", "Dimensions": dims, "Timestamp": stamp, "Unit": "Count",
             "Value": workload["ecpu_per_second"] * SLOT_SECONDS * ripple},
        ]  # fmt: skip
    backend = get_backend("cloudwatch")[call.account][call.region]
    backend.put_metric_data(NAMESPACE, data)
    cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=3)
    backend.metric_data = [m for m in backend.metric_data if m.namespace != NAMESPACE or m.timestamp >= cutoff]
    workload["metrics_until"] = now
    return True
