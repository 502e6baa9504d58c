"""Tools of the cache domain: ElastiCache (Valkey / Redis OSS) as KV cache and MoE expert cache.

describe_cache reads a replication group with its last hour in CloudWatch; recommend_cache_tuning
turns that into node type, replica and parameter advice whose ``tune_cache_args`` can be passed
to tune_cache as they are; tune_cache makes the changes. Reading lives in ``cache_read``, the
advice rules in ``cache_advice``, the change itself in ``cache_tune``, the parameter allowlist
in ``cache_params`` (data: ``tools/data/cache_parameters.yaml``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.cache_advice import Advice, advise, tune_arguments
from tools.cache_params import check_parameters, tunable_parameters
from tools.cache_read import CacheGroup, CacheMetrics, read_group, read_metrics, read_parameters
from tools.cache_tune import TuneResult, apply, work_out
from tools.catalog import catalog, check_instance_type
from tools.errors import ToolInputError

# ElastiCache replication group ids: 1-40 letters, digits, hyphens; a letter first; no "--"; no "-" last.
CACHE_ID = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,39}(?<!-)$")
WORKLOADS = ("kv-cache", "moe-experts")
WORKLOAD_WORDS = {"kv": "kv-cache", "kvcache": "kv-cache", "moe": "moe-experts", "experts": "moe-experts"}


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

    cache_id: Annotated[str, Field(description="ElastiCache replication group id, e.g. kv-cache-prod.")]

    @field_validator("cache_id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return _cache_id(value)


class DescribeCacheArgs(CacheArgs):
    pass


class RecommendCacheTuningArgs(CacheArgs):
    workload: Annotated[
        Literal["kv-cache", "moe-experts"],
        Field(
            description="What the cache holds: kv-cache (attention KV blocks of prompt prefixes) or "
            "moe-experts (mixture-of-experts weight shards fetched by the serving fleet)."
        ),
    ]

    @field_validator("workload", mode="before")
    @classmethod
    def _workload(cls, value: Any) -> str:
        word = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        word = WORKLOAD_WORDS.get(word.replace("-", ""), word)
        if word not in WORKLOADS:
            raise ToolInputError("workload", value, "one of " + ", ".join(WORKLOADS))
        return word


class TuneCacheArgs(CacheArgs):
    node_type: Annotated[
        str | None,
        Field(default=None, description="New node type, e.g. cache.r7g.2xlarge (the cache. prefix may be left out)."),
    ]
    replica_count: Annotated[int | None, Field(default=None, description="Replicas per shard (node group), 0 to 5.")]
    parameters: Annotated[
        dict[str, Any] | None,
        Field(
            default=None,
            description='Valkey parameters to set, name -> value, e.g. {"maxmemory-policy": "allkeys-lru"}. '
            "Tunable: " + ", ".join(tunable_parameters()) + ".",
        ),
    ]

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, value: str | None) -> str | None:
        return None if value is None else check_instance_type(value, "cache", field="node_type").name

    @field_validator("replica_count")
    @classmethod
    def _replicas(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 5:
            raise ToolInputError("replica_count", value, "replicas per shard: an integer from 0 to 5")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Any] | None) -> dict[str, str] | None:
        return None if value is None else check_parameters(value)

    @model_validator(mode="after")
    def _something(self) -> TuneCacheArgs:
        if self.node_type is None and self.replica_count is None and self.parameters is None:
            raise ToolInputError("node_type", None, "give at least one of node_type, replica_count or parameters")
        return self


# ------------------------------------------------------------------------------ describe_cache
class CacheDescription(CacheGroup):
    """describe_cache's result: the group, its tunable parameters and its last hour."""

    parameters: dict[str, str] = Field(default_factory=dict, description="Current values of the tunable parameters.")
    metrics: CacheMetrics
    price_date: str
    price_region: str


def _tunable_values(ctx: ToolContext, group: CacheGroup) -> dict[str, str]:
    values = read_parameters(ctx, group.parameter_group)
    return {k: values[k] for k in tunable_parameters() if k in values}


def describe_plan(ctx: ToolContext, args: DescribeCacheArgs) -> Plan:
    """What describe_cache will read (no AWS call)."""
    return Plan(
        tool="describe_cache",
        args=args.model_dump(mode="json"),
        effect=Effect.READ,
        risk=Risk.READ,
        summary=f"describe ElastiCache replication group {args.cache_id} with its last hour of CloudWatch metrics",
        region=ctx.region,
    )


def describe_run(ctx: ToolContext, args: DescribeCacheArgs) -> CacheDescription:
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


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.3f}/h"


def _delta(value: float | None) -> str:
    return "n/a" if value is None else f"{'-' if value < 0 else '+'}${abs(value):,.3f}/h"


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
        f"{_money(r.cost_usd_per_hour)} (list price {r.price_region}, {r.price_date})",
        f"parameter group {r.parameter_group} ({r.parameter_group_status or 'n/a'}): "
        + ", ".join(f"{k}={v}" for k, v in r.parameters.items()),
        render_metrics(r.metrics),
    ]
    if r.primary_endpoint:
        lines.append(f"endpoints: primary {r.primary_endpoint}, reader {r.reader_endpoint or 'n/a'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- recommend_cache_tuning
class CacheRecommendation(Advice):
    """recommend_cache_tuning's result; ``tune_cache_args`` are tune_cache's arguments as they are."""

    cache_id: str
    current_node_type: str
    current_replicas_per_node_group: int
    node_groups: int
    metrics: CacheMetrics
    tune_cache_args: dict[str, Any] | None = Field(
        default=None, description="Pass these to tune_cache to carry the advice out; None: nothing to change."
    )


def recommend_plan(ctx: ToolContext, args: RecommendCacheTuningArgs) -> Plan:
    """What recommend_cache_tuning will read (no AWS call)."""
    return Plan(
        tool="recommend_cache_tuning",
        args=args.model_dump(mode="json"),
        effect=Effect.READ,
        risk=Risk.READ,
        summary=f"read {args.cache_id}'s config and last hour, and recommend tuning for {args.workload}",
        region=ctx.region,
    )


def recommend_run(ctx: ToolContext, args: RecommendCacheTuningArgs) -> CacheRecommendation:
    """Read the group and its last hour and advise for the workload."""
    group = read_group(ctx, args.cache_id)
    metrics = read_metrics(ctx, group)
    advice = advise(group, metrics, read_parameters(ctx, group.parameter_group), args.workload)
    raw = tune_arguments(group.cache_id, group, advice)
    # Round-trip through tune_cache's own model, so the arguments are exactly what it accepts.
    tune_args = TuneCacheArgs.model_validate(raw).model_dump(mode="json", exclude_none=True) if raw else None
    return CacheRecommendation(
        **advice.model_dump(),
        cache_id=group.cache_id,
        current_node_type=group.node_type,
        current_replicas_per_node_group=group.replicas_per_node_group,
        node_groups=group.node_groups,
        metrics=metrics,
        tune_cache_args=tune_args,
    )


def recommend_render(r: CacheRecommendation) -> str:
    """The advice for people, ending with the tune_cache call that applies it."""
    lines = [f"{r.cache_id} as {r.workload}: {render_metrics(r.metrics)}"]
    if not r.recommendations:
        lines.append("no change recommended")
    for rec in r.recommendations:
        lines.append(f"- {rec.setting}: {rec.current} -> {rec.proposed}: {rec.reason}")
    before, after = _money(r.cost_usd_per_hour_before), _money(r.cost_usd_per_hour_after)
    lines.append(f"cost: {before} -> {after} ({_delta(r.cost_usd_per_hour_delta)})")
    lines += [f"note: {n}" for n in r.notes]
    if r.tune_cache_args:
        lines.append(f"to apply: tune_cache {r.tune_cache_args}")
    return "\n".join(lines)


# -------------------------------------------------------------------------------- tune_cache
def tune_plan(ctx: ToolContext, args: TuneCacheArgs) -> Plan:
    """The changes still needed, old -> new, their writes and the group's new hourly cost (reads only)."""
    work = work_out(ctx, args.cache_id, args.node_type, args.replica_count, args.parameters)
    group = work.group
    before, after = group.cost_usd_per_hour, work.cost_after
    delta = round(after - before, 4) if before is not None and after is not None else None
    changes = [c.line() for c in work.changes]
    if work.carried:
        changes.append(
            "kept from " + group.parameter_group + ": " + ", ".join(f"{k}={v}" for k, v in work.carried.items())
        )
    if work.changes:
        changes.append(f"cost: {_money(before)} -> {_money(after)} ({_delta(delta)})")
    warnings = []
    if group.status != "available":
        warnings.append(f"{group.cache_id} is {group.status}; the change waits until it is available")
    old_row, new_row = catalog().get(group.node_type), catalog().get(work.node_type_after)
    if old_row and new_row and new_row.memory_gib < old_row.memory_gib:
        warnings.append("smaller node: ElastiCache refuses the change if the data does not fit; check memory use first")
    if work.node_type or work.replica_count is not None:
        warnings.append("applied immediately: nodes are resized, added or removed online; a resize fails over briefly")
    summary = (
        f"tune {group.cache_id}: " + "; ".join(changes[: len(work.changes)])
        if work.changes
        else f"{group.cache_id} already has what was asked; nothing to change"
    )
    return Plan(
        tool="tune_cache",
        args=args.model_dump(mode="json"),
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        summary=summary,
        changes=changes,
        aws_operations=work.operations,
        cost_usd_per_hour=after,
        instance_type=work.node_type_after,
        instance_count=work.total_nodes_after,
        region=ctx.region,
        facts={
            "cache_id": group.cache_id,
            "engine": f"{group.engine} {group.engine_version}",
            "node_type_before": group.node_type,
            "total_nodes_before": group.total_nodes,
            "replicas_per_node_group_before": group.replicas_per_node_group,
            "replicas_per_node_group_after": work.replicas_after,
            "parameter_group_before": group.parameter_group,
            "parameter_group_after": work.target_group if work.attach_group else group.parameter_group,
            "cost_usd_per_hour_before": before,
            "cost_usd_per_hour_delta": delta,
        },
        warnings=warnings,
    )


def tune_run(ctx: ToolContext, args: TuneCacheArgs) -> TuneResult:
    """Make the changes still needed (worked out again, so a rerun does only what is missing)."""
    return apply(ctx, work_out(ctx, args.cache_id, args.node_type, args.replica_count, args.parameters))


def tune_render(r: TuneResult) -> str:
    """tune_cache's result for people."""
    lines = [f"{r.cache_id}: {r.status}, {r.total_nodes} x {r.node_type}, parameter group {r.parameter_group}"]
    lines += [f"- {c.line()}" for c in r.changes]
    if r.operations:
        lines.append("AWS calls: " + ", ".join(r.operations))
    if r.changes:
        lines.append(f"cost: {_money(r.cost_usd_per_hour_before)} -> {_money(r.cost_usd_per_hour_after)}")
    lines.append(r.note)
    return "\n".join(lines)


TOOLS: list[Tool] = [
    Tool(
        name="describe_cache",
        domain="cache",
        effect=Effect.READ,
        risk=Risk.READ,
        description="Describe an ElastiCache (Valkey/Redis OSS) replication group: engine, node type, shards and "
        "replicas, parameter group, cost per hour, and the last hour of hit rate, evictions, memory, CPU and "
        "connections from CloudWatch.",
        args_model=DescribeCacheArgs,
        plan=describe_plan,
        run=describe_run,
        render=describe_render,
    ),
    Tool(
        name="recommend_cache_tuning",
        domain="cache",
        effect=Effect.READ,
        risk=Risk.READ,
        description="Recommend node type, replica count and Valkey parameters for a cache used as LLM KV cache "
        "(kv-cache) or MoE expert cache (moe-experts), with reasons from its metrics, the cost change, and "
        "tune_cache arguments that carry it out.",
        args_model=RecommendCacheTuningArgs,
        plan=recommend_plan,
        run=recommend_run,
        render=recommend_render,
    ),
    Tool(
        name="tune_cache",
        domain="cache",
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        description="Change an ElastiCache replication group: node type, replicas per shard, and allowlisted Valkey "
        "parameters (set in its own parameter group opsbot-<cache_id>). Applied immediately.",
        args_model=TuneCacheArgs,
        plan=tune_plan,
        run=tune_run,
        render=tune_render,
    ),
]
