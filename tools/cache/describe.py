"""describe_cache: an ElastiCache (Valkey / Redis OSS) replication group used as KV cache or MoE
expert cache, with its tunable parameters and its last hour in CloudWatch."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.cache.params import tunable_parameters
from tools.cache.read import CacheGroup, CacheMetrics, read_group, read_metrics, read_parameters
from tools.catalog import catalog, money
from tools.errors import ToolInputError
from tools.kinds import Name

# ElastiCache replication group ids: 1-40 letters, digits, hyphens; a letter first; no "--"; no "-" last.
CACHE_ID = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,39}(?<!-)$")


def _cache_id(value: str) -> str:
    name = value.strip().lower()
    if not CACHE_ID.match(name):
        raise ToolInputError(
            "cache_id",
            value,
            "expected a replication group id: 1-40 letters, digits or hyphens, starting with a letter, "
            "no '--' and not ending with '-'",
        )
    return name


class CacheArgs(ToolArgs):
    """Arguments naming one replication group."""

    cache_id: Annotated[str, Name("cache"), Field(description="ElastiCache replication group id, e.g. kv-cache-prod.")]

    @field_validator("cache_id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return _cache_id(value)


def per_hour(value: float | None) -> str:
    """A cache's dollars per hour: to the tenth of a cent, as node prices are."""
    return money(value, per_hour=True, digits=3)


class CacheDescription(CacheGroup):
    """describe_cache's result: the group, its tunable parameters and its last hour."""

    parameters: dict[str, str] = Field(default_factory=dict, description="Current values of the tunable parameters.")
    metrics: CacheMetrics
    price_date: str
    price_region: str


def _tunable_values(ctx: ToolContext, group: CacheGroup) -> dict[str, str]:
    values = read_parameters(ctx, group.parameter_group)
    return {k: values[k] for k in tunable_parameters() if k in values}


def describe_run(ctx: ToolContext, args: CacheArgs) -> CacheDescription:
    """The group, its tunable parameters and its last hour."""
    group = read_group(ctx, args.cache_id)
    return CacheDescription(
        **group.model_dump(),
        parameters=_tunable_values(ctx, group),
        metrics=read_metrics(ctx, group),
        price_date=catalog().price_date,
        price_region=catalog().price_region,
    )


def _n(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def render_metrics(m: CacheMetrics) -> str:
    """The last hour in one line."""
    if not m.datapoints:
        return "last hour: no CloudWatch data"
    return (
        f"last hour: hit rate {_n(m.hit_rate_percent, 1, '%')}, evictions {_n(m.evictions)} "
        f"({_n(m.evictions_per_minute)}/min), memory up to {_n(m.memory_percent_max, 1, '%')} "
        f"(avg {_n(m.memory_percent_avg, 1, '%')}), engine CPU up to {_n(m.engine_cpu_percent_max, 0, '%')}, "
        f"{_n(m.connections)} connections, {_n(m.reads_per_write, 1)} reads per write"
    )


def describe_render(r: CacheDescription) -> str:
    """describe_cache's result for people."""
    shape = f"{r.node_groups} shard(s) x (1 primary + {r.replicas_per_node_group} replicas)"
    lines = [
        f"{r.cache_id}: {r.engine} {r.engine_version}, {r.status}, {shape} = {r.total_nodes} x {r.node_type}, "
        f"{per_hour(r.cost_usd_per_hour)} (list price {r.price_region}, {r.price_date})",
        f"parameter group {r.parameter_group} ({r.parameter_group_status or 'n/a'}): "
        + ", ".join(f"{k}={v}" for k, v in r.parameters.items()),
        render_metrics(r.metrics),
    ]
    if r.primary_endpoint:
        lines.append(f"endpoints: primary {r.primary_endpoint}, reader {r.reader_endpoint or 'n/a'}")
    return "\n".join(lines)


DESCRIBE_TOOL = Tool(
    name="describe_cache",
    description="Describe an ElastiCache (Valkey/Redis OSS) replication group: engine, node type, shards and "
    "replicas, parameter group, cost per hour, and the last hour of hit rate, evictions, memory, CPU and "
    "connections from CloudWatch.",
    label="describe a cache (hit rate, evictions, memory)",
    phrasings=(
        "(anything|something) [weird|wrong|odd|off|strange|unusual|funny] (going on|happening|up) (with|on) [the] "
        "{cache_id}",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[me] [on] [the] [valkey|elasticache|redis|kv] [cache] {cache_id} [cache|cluster|valkey]",
        "(how is|hows|how are|how are things with|what is up with|whats up with|what is going on with) [the] "
        "[cache] {cache_id} [cache] [doing|looking|holding up]",
        "(status|state|details|health|hit rate|hit ratio|evictions|memory|memory usage|usage|stats|metrics|load) "
        "(of|on|for|in) [the] [valkey|elasticache|redis|kv] [cache] {cache_id} [cache|cluster|valkey]",
        "what is [the] (status|hit rate|memory|memory usage|eviction rate|evictions) (of|on|for|in) [the] "
        "{cache_id}",
        "is {cache_id} [still] (ok|okay|healthy|up|fine|full|evicting|hot)",
        "{cache_id} (hit rate|hit ratio|evictions|memory|status|health|stats)",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[the|a] (cache|valkey|elasticache|redis) [cluster]",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=CacheArgs,
    run=describe_run,
    render=describe_render,
)
