"""tune_cache: change a replication group's node type, replicas per shard and allowlisted Valkey
parameters (what changes, and how, is worked out in ``changes``).

Replicas are absolute (``replica_count``) or a change of the current count (``add_replicas``:
"add 2 replicas"), resolved before the plan so the approval binds the absolute count.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from tools.base import Effect, Plan, Risk, Tool, ToolContext
from tools.cache.changes import TuneResult, apply, work_out
from tools.cache.describe import CacheArgs
from tools.cache.params import check_parameters, tunable_parameters
from tools.cache.read import read_group
from tools.catalog import catalog, cost_change, instance_type_for
from tools.counts import count_change
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Count, Delta, InstanceType, Kind
from tools.relative import absolute_target

MAX_REPLICAS = 5


class TuneCacheArgs(CacheArgs):
    """tune_cache's arguments: at least one of node type, replicas and parameters."""

    node_type: Annotated[
        str | None,
        InstanceType("cache"),
        instance_type_for("cache"),
        Field(default=None, description="New node type, e.g. cache.r7g.2xlarge (the cache. prefix may be left out)."),
    ]
    replica_count: Annotated[
        int | None, Count("replica"), Field(default=None, description="Replicas per shard (node group), 0 to 5.")
    ]
    add_replicas: Annotated[
        int | None,
        Delta("replica", instead_of="replica_count"),
        count_change(
            MAX_REPLICAS,
            "Instead of replica_count: replicas per shard to add (positive) or remove (negative), e.g. 2 "
            "for 'add 2 replicas'.",
        ),
    ] = None
    parameters: Annotated[
        dict[str, Any] | None,
        ArgKind(Kind.MAPPING),
        Field(
            default=None,
            description='Valkey parameters to set, name -> value, e.g. {"maxmemory-policy": "allkeys-lru"}. '
            "Tunable: " + ", ".join(tunable_parameters()) + ".",
        ),
    ]

    @field_validator("replica_count")
    @classmethod
    def _replicas(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_REPLICAS:
            raise ToolInputError("replica_count", value, "replicas per shard: an integer from 0 to 5")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Any] | None) -> dict[str, str] | None:
        return None if value is None else check_parameters(value)

    @model_validator(mode="after")
    def _something(self) -> TuneCacheArgs:
        replicas = self.replica_count is not None or self.add_replicas is not None
        if self.node_type is None and not replicas and self.parameters is None:
            raise ToolInputError("node_type", None, "give at least one of node_type, replica_count or parameters")
        if self.replica_count is not None and self.add_replicas is not None:
            raise ToolInputError("add_replicas", self.add_replicas, "give either replica_count or add_replicas")
        return self


def tune_resolve(ctx: ToolContext, args: TuneCacheArgs) -> TuneCacheArgs:
    """A change of replicas made absolute from the group's replicas per shard now."""
    current = read_group(ctx, args.cache_id).replicas_per_node_group
    what = f"{args.cache_id}'s replicas per shard"
    return absolute_target(args, "replica_count", current, minimum=0, maximum=MAX_REPLICAS, what=what)


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
        changes.append(f"cost: {cost_change(before, after, digits=3)}")
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
        summary=summary,
        changes=changes,
        aws_operations=work.aws_operations(),
        cost_usd_per_hour=after,
        instance_type=work.node_type_after,
        instance_count=work.total_nodes_after,
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
        lines.append(
            f"cost: {cost_change(r.cost_usd_per_hour_before, r.cost_usd_per_hour_after, digits=3, delta=False)}"
        )
    lines.append(r.note)
    return "\n".join(lines)


TUNE_TOOL = Tool(
    name="tune_cache",
    description="Change an ElastiCache replication group: node type, replicas per shard, and allowlisted Valkey "
    "parameters (set in its own parameter group opsbot-<cache_id>). Applied immediately.",
    label="tune a cache (node type, replicas, parameters)",
    advised_by="recommend_cache_tuning",
    phrasings=(
        "(tune|tnue|modify|update|change|resize|scale|switch|upgrade|downgrade|move|set|apply) [the] [cache] "
        "{cache_id} [to] [node type] [{node_type}]",
        "(tune|modify|update) [the|a] (cache|valkey|elasticache|redis)",
        "give {cache_id} {replica_count}",
        "{cache_id} (to|→|->|=>|with) {replica_count} [replicas]",
        "{cache_id} {replica_count} replicas",
        "(bump|set|increase|decrease|change) [the] replicas [count] (to|at) {replica_count}",
        "[with] {replica_count} [read] (replicas|replica)",
        "replica count [to|of] {replica_count}",
        "(to|on|with) [node type] {node_type} [nodes|node type]",
        "set {parameters} (on|for) {cache_id}",
        "set {parameters}",
        # A change of the replica count ("add 2 replicas to kv-cache-prod"): made absolute before the plan.
        "{add_replicas} (to|on|for|from|of) [the] [cache] {cache_id}",
        "(add|remove|drop) {add_replicas} [(to|on|for|from) [the] [cache] {cache_id}]",
        "give {cache_id} {add_replicas}",
        "(scale|resize|grow|shrink|expand|bump|increase|decrease|reduce|raise|lower|adjust) [the] "
        "[replicas|replica count] (of|on|for) [the] [cache] {cache_id} by {add_replicas}",
    ),
    effect=Effect.WRITE,
    risk=Risk.MEDIUM,
    idempotent=True,
    args_model=TuneCacheArgs,
    plan=tune_plan,
    run=tune_run,
    render=tune_render,
    resolve=tune_resolve,
)
