"""The cache domain: ElastiCache (Valkey / Redis OSS) used as LLM KV cache and MoE expert cache.

list_caches lists the replication groups and serverless caches with their hourly cost (``listing``);
describe_cache reads a replication group with its last hour in CloudWatch; recommend_cache_tuning
turns that into node type, replica and parameter advice whose ``tune_cache_args`` can be passed to
tune_cache as they are; tune_cache makes the changes. Modules by idea: ``read`` (a group, its
parameters and metrics), ``describe``, ``advice`` (the rules) and ``recommend``, ``changes`` (what
tune_cache changes and how) and ``tune``, ``params`` (the parameter allowlist, ``parameters.yaml``).
"""

from __future__ import annotations

from tools.base import Resource, Toolset
from tools.cache.describe import DESCRIBE_TOOL
from tools.cache.listing import LIST_TOOL
from tools.cache.recommend import RECOMMEND_TOOL
from tools.cache.tune import TUNE_TOOL

TOOLSET = Toolset(
    route="cache",
    covers=(
        "ElastiCache (Valkey, Redis) used as KV cache or mixture-of-experts cache: metrics, tuning advice, "
        "node type, replicas, parameters."
    ),
    tools=(LIST_TOOL, DESCRIBE_TOOL, RECOMMEND_TOOL, TUNE_TOOL),
    resources=(
        Resource(
            kind="cache",
            nouns=("cache", "replication group", "valkey cache", "redis cache", "serverless cache", "elasticache"),
            listed_by="list_caches",
            names=lambda result: [c["cache_id"] for c in result.get("caches", [])],
        ),
    ),
    keywords=("cache", "valkey", "elasticache", "redis", "kv cache", "memcached", "maxmemory", "eviction", "hit rate"),
)
