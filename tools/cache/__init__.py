"""The cache domain: ElastiCache (Valkey / Redis OSS) used as LLM KV cache and MoE expert cache.

describe_cache reads a replication group with its last hour in CloudWatch; recommend_cache_tuning
turns that into node type, replica and parameter advice whose ``tune_cache_args`` can be passed to
tune_cache as they are; tune_cache makes the changes. Modules by idea: ``read`` (a group, its
parameters and metrics), ``describe``, ``advice`` (the rules) and ``recommend``, ``changes`` (what
tune_cache changes and how) and ``tune``, ``params`` (the parameter allowlist, ``parameters.yaml``).
"""

from __future__ import annotations

from tools.base import Toolset
from tools.cache.describe import DESCRIBE_TOOL
from tools.cache.recommend import RECOMMEND_TOOL
from tools.cache.tune import TUNE_TOOL

TOOLSET = Toolset(
    route="cache",
    covers=(
        "ElastiCache (Valkey, Redis) used as KV cache or mixture-of-experts cache: metrics, tuning advice, "
        "node type, replicas, parameters."
    ),
    tools=(DESCRIBE_TOOL, RECOMMEND_TOOL, TUNE_TOOL),
    keywords=("cache", "valkey", "elasticache", "redis", "kv cache", "memcached", "maxmemory", "eviction", "hit rate"),
)
