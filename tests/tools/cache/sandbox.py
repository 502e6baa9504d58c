"""What the cache tests know of the sandbox's kv-cache-prod, and reading its requests and state back."""

from __future__ import annotations

from typing import Any

from tools import guard, runtime
from tools.base import ToolContext
from tools.cache.read import group_cost

GROUP = "kv-cache-prod"
OPSBOT_GROUP = "opsbot-kv-cache-prod"
XLARGE_X3 = group_cost("cache.r7g.xlarge", 3)
# A change of all three kinds at once: node type, replicas and two parameters.
FULL_CHANGE = {
    "cache_id": GROUP,
    "node_type": "r7g.2xlarge",
    "replica_count": 3,
    "parameters": {"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-eviction": True},
}
# What the kv-cache advice changes on a busy, evicting cache.r7g.xlarge group: a larger node and the
# eviction parameters.
KV_CACHE_ADVICE = {
    "node_type": "cache.r7g.2xlarge",
    "parameters": {
        "maxmemory-policy": "allkeys-lru",
        "lazyfree-lazy-eviction": "yes",
        "lazyfree-lazy-expire": "yes",
        "maxmemory-samples": "10",
    },
}


def writes(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The mutating ElastiCache calls among ``calls``."""
    return [(op, p) for op, p in calls if guard.is_mutating("elasticache", op)]


def describe(ctx: ToolContext) -> dict[str, Any]:
    """describe_cache's result for kv-cache-prod, as data."""
    return runtime.run_read("describe_cache", {"cache_id": GROUP}, ctx).result
