"""What tune_cache changes on a replication group, and how it makes the changes.

``work_out`` reads the group and returns the changes still needed for the requested state, in the
order they run; ``plan`` and ``run`` both call it, so a retried or resumed run only does what is
still missing (describe before write). Parameters go into a dedicated parameter group
(``opsbot-<cache_id>``), created on first use with the parameters the current custom group had
set, because default groups cannot be modified and a group may be shared with other caches.

Order: parameter group writes first (they do not touch the replication group), then replica
removals (fewer nodes to resize), the node type / parameter group change, then replica
additions (new replicas start on the new node type). AWS refuses a second change while the
group is "modifying", so run waits for "available" between them, bounded by the grant's expiry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from tools import guard
from tools.aws import error_code
from tools.base import REQUEST_TAG, AwsOperation, ToolContext
from tools.cache.params import MAX_PARAMETERS_PER_CALL, dedicated_group_name
from tools.cache.read import CacheGroup, group_cost, parameter_group_family_of, read_group, read_parameters
from tools.errors import ToolInputError

OP_CREATE_GROUP = "elasticache:CreateCacheParameterGroup"
OP_MODIFY_GROUP = "elasticache:ModifyCacheParameterGroup"
OP_MODIFY_RG = "elasticache:ModifyReplicationGroup"
OP_INCREASE = "elasticache:IncreaseReplicaCount"
OP_DECREASE = "elasticache:DecreaseReplicaCount"
POLL_SECONDS = 20.0
WAIT_MAX_SECONDS = 30 * 60.0
GRANT_MARGIN_SECONDS = 30.0
# Seams for tests: waiting must be observable without sleeping.
_sleep: Callable[[float], None] = time.sleep
_clock: Callable[[], float] = time.time


class CacheChange(BaseModel):
    """One setting, old -> new."""

    setting: str = Field(description="node_type, replicas_per_node_group, parameter_group or parameters.<name>.")
    old: str
    new: str

    def line(self) -> str:
        """``setting: old -> new``."""
        return f"{self.setting}: {self.old} -> {self.new}"


@dataclass
class TuneWork:
    """The changes still needed, and the AWS writes that make them, in order."""

    group: CacheGroup
    node_type: str | None = None  # new node type, if it changes
    replica_count: int | None = None  # new replicas per shard, if it changes
    target_group: str | None = None  # parameter group to write and attach
    new_group: bool = False
    attach_group: bool = False
    parameters_to_set: dict[str, str] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)  # kept from the current custom group
    changes: list[CacheChange] = field(default_factory=list)

    @property
    def operations(self) -> list[str]:
        """The ``service:Operation`` writes, in the order ``apply`` makes them."""
        ops = []
        if self.new_group:
            ops.append(OP_CREATE_GROUP)
        if self.parameters_to_set:
            ops.append(OP_MODIFY_GROUP)
        if self.replica_count is not None and self.replica_count < self.group.replicas_per_node_group:
            ops.append(OP_DECREASE)
        if self.node_type or self.attach_group:
            ops.append(OP_MODIFY_RG)
        if self.replica_count is not None and self.replica_count > self.group.replicas_per_node_group:
            ops.append(OP_INCREASE)
        return ops

    def aws_operations(self) -> list[AwsOperation]:
        """Each write ``apply`` makes, in order, with the parameters that pin what it touches."""
        cache_id = self.group.cache_id
        ops = []
        if self.new_group:
            ops.append(
                AwsOperation(
                    operation=OP_CREATE_GROUP,
                    params={
                        "CacheParameterGroupName": self.target_group,
                        "CacheParameterGroupFamily": self.group.parameter_group_family,
                    },
                )
            )
        ops += [AwsOperation(operation=OP_MODIFY_GROUP, params=request) for request in _parameter_requests(self)]
        if OP_DECREASE in self.operations:
            ops.append(AwsOperation(operation=OP_DECREASE, params=_replica_request(cache_id, self.replicas_after)))
        if OP_MODIFY_RG in self.operations:
            ops.append(AwsOperation(operation=OP_MODIFY_RG, params=_modify_request(self)))
        if OP_INCREASE in self.operations:
            ops.append(AwsOperation(operation=OP_INCREASE, params=_replica_request(cache_id, self.replicas_after)))
        return ops

    @property
    def node_type_after(self) -> str:
        return self.node_type or self.group.node_type

    @property
    def replicas_after(self) -> int:
        return self.group.replicas_per_node_group if self.replica_count is None else self.replica_count

    @property
    def total_nodes_after(self) -> int:
        return self.group.node_groups * (1 + self.replicas_after)

    @property
    def cost_after(self) -> float | None:
        """The group's hourly cost once every change is made."""
        return group_cost(self.node_type_after, self.total_nodes_after)


def work_out(
    ctx: ToolContext,
    cache_id: str,
    node_type: str | None,
    replica_count: int | None,
    parameters: dict[str, str] | None,
) -> TuneWork:
    """Read the group and work out what is left to change (reads only)."""
    group = read_group(ctx, cache_id)
    work = TuneWork(group=group)
    if node_type and node_type != group.node_type:
        work.node_type = node_type
        work.changes.append(CacheChange(setting="node_type", old=group.node_type, new=node_type))
    if replica_count is not None and replica_count != group.replicas_per_node_group:
        if replica_count < group.min_replicas:
            raise ToolInputError(
                "replica_count",
                replica_count,
                f"{cache_id} has automatic failover or Multi-AZ on, which needs at least {group.min_replicas} replica",
            )
        work.replica_count = replica_count
        work.changes.append(
            CacheChange(
                setting="replicas_per_node_group", old=str(group.replicas_per_node_group), new=str(replica_count)
            )
        )
    if parameters:
        _work_out_parameters(ctx, work, parameters)
    return work


def _work_out_parameters(ctx: ToolContext, work: TuneWork, wanted: dict[str, str]) -> None:
    group = work.group
    effective = read_parameters(ctx, group.parameter_group)
    differ = {k: v for k, v in wanted.items() if effective.get(k) != v}
    if not differ:
        return
    target = dedicated_group_name(group.cache_id)
    work.target_group = target
    work.changes += [
        CacheChange(setting=f"parameters.{k}", old=effective.get(k, "unset"), new=v) for k, v in differ.items()
    ]
    if group.parameter_group == target:
        work.parameters_to_set = differ
        return
    family = parameter_group_family_of(ctx, target)
    if family is not None and family != group.parameter_group_family:
        raise ToolInputError(
            "parameters",
            wanted,
            f"parameter group {target} exists for {family} but {group.cache_id} runs {group.parameter_group_family}; "
            "delete or rename that group first",
        )
    work.new_group = family is None
    work.attach_group = True
    if not group.parameter_group.startswith("default."):
        user_set = read_parameters(ctx, group.parameter_group, source="user")
        work.carried = {k: v for k, v in user_set.items() if k not in wanted}
    if group.cluster_mode:
        work.carried.setdefault("cluster-enabled", "yes")
    desired = {**work.carried, **wanted}
    existing = {} if work.new_group else read_parameters(ctx, target)
    work.parameters_to_set = {k: v for k, v in desired.items() if work.new_group or existing.get(k) != v}
    work.changes.append(CacheChange(setting="parameter_group", old=group.parameter_group, new=target))


class TuneResult(BaseModel):
    """What tune_cache did."""

    cache_id: str
    status: str = Field(description="The group's status after the last change (modifying while AWS applies it).")
    node_type: str
    replicas_per_node_group: int
    total_nodes: int
    parameter_group: str
    changes: list[CacheChange] = Field(default_factory=list)
    operations: list[str] = Field(default_factory=list, description="The writes made, in order.")
    not_done: list[str] = Field(default_factory=list, description="Changes left for a later run.")
    cost_usd_per_hour_before: float | None = None
    cost_usd_per_hour_after: float | None = None
    note: str = ""


def _wait_available(ec: Any, cache_id: str) -> bool:
    """Poll until the group is available, within WAIT_MAX_SECONDS and the active grant's life."""
    deadline = _clock() + WAIT_MAX_SECONDS
    grant = guard.active_grant()
    if grant is not None:
        deadline = min(deadline, grant.expires_at - GRANT_MARGIN_SECONDS)
    while True:
        status = ec.describe_replication_groups(ReplicationGroupId=cache_id)["ReplicationGroups"][0]["Status"]
        if status == "available":
            return True
        if _clock() + POLL_SECONDS > deadline:
            return False
        _sleep(POLL_SECONDS)


def apply(ctx: ToolContext, work: TuneWork) -> TuneResult:
    """Make the writes of ``work`` in order; stop (and say so) if the group stays busy too long."""
    ec = ctx.clients.client("elasticache")
    group, done = work.group, []
    cache_id = group.cache_id
    if work.new_group:
        tags = [{"Key": "opsbot:replication-group", "Value": cache_id}]
        if ctx.idempotency_token:
            tags.append({"Key": REQUEST_TAG, "Value": ctx.idempotency_token})
        try:
            ec.create_cache_parameter_group(
                CacheParameterGroupName=work.target_group,
                CacheParameterGroupFamily=group.parameter_group_family,
                Description=f"opsbot: tuned parameters of {cache_id}",
                Tags=tags,
            )
        except ClientError as exc:  # made by an earlier attempt of this same change
            if error_code(exc) != "CacheParameterGroupAlreadyExists":
                raise
        done.append(OP_CREATE_GROUP)
    parameter_requests = _parameter_requests(work)
    for request in parameter_requests:
        ec.modify_cache_parameter_group(**request)
    if parameter_requests:
        done.append(OP_MODIFY_GROUP)
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    if OP_DECREASE in work.operations:
        steps.append(
            (OP_DECREASE, lambda: ec.decrease_replica_count(**_replica_request(cache_id, work.replicas_after)))
        )
    if OP_MODIFY_RG in work.operations:
        steps.append((OP_MODIFY_RG, lambda: ec.modify_replication_group(**_modify_request(work))))
    if OP_INCREASE in work.operations:
        steps.append(
            (OP_INCREASE, lambda: ec.increase_replica_count(**_replica_request(cache_id, work.replicas_after)))
        )
    status, not_done = group.status, []
    for index, (operation, call) in enumerate(steps):
        if (index > 0 or status != "available") and not _wait_available(ec, cache_id):
            not_done = [op for op, _ in steps[index:]]
            break
        status = call()["ReplicationGroup"]["Status"]
        done.append(operation)
    return _result(work, status, done, not_done)


def _replica_request(cache_id: str, count: int) -> dict[str, Any]:
    return {"ReplicationGroupId": cache_id, "NewReplicaCount": count, "ApplyImmediately": True}


def _modify_request(work: TuneWork) -> dict[str, Any]:
    request: dict[str, Any] = {"ReplicationGroupId": work.group.cache_id, "ApplyImmediately": True}
    if work.node_type:
        request["CacheNodeType"] = work.node_type
    if work.attach_group:
        request["CacheParameterGroupName"] = work.target_group
    return request


def _parameter_requests(work: TuneWork) -> list[dict[str, Any]]:
    # ElastiCache takes at most MAX_PARAMETERS_PER_CALL parameters per call.
    items = list(work.parameters_to_set.items())
    return [
        {
            "CacheParameterGroupName": work.target_group,
            "ParameterNameValues": [
                {"ParameterName": k, "ParameterValue": v} for k, v in items[start : start + MAX_PARAMETERS_PER_CALL]
            ],
        }
        for start in range(0, len(items), MAX_PARAMETERS_PER_CALL)
    ]


def _result(work: TuneWork, status: str, done: list[str], not_done: list[str]) -> TuneResult:
    group = work.group
    if not work.changes:
        note = f"{group.cache_id} already has what was asked; nothing changed"
    elif not_done:
        note = (
            f"{group.cache_id} stayed busy, so {', '.join(not_done)} did not run; "
            "run tune_cache again with the same arguments once it is available"
        )
    else:
        note = "AWS applies the changes now (status modifying); describe_cache shows them when it is available"
    resized = OP_MODIFY_RG in done
    replicas = work.replicas_after if {OP_INCREASE, OP_DECREASE} & set(done) else group.replicas_per_node_group
    node_type = work.node_type_after if resized else group.node_type
    return TuneResult(
        cache_id=group.cache_id,
        status=status,
        node_type=node_type,
        replicas_per_node_group=replicas,
        total_nodes=group.node_groups * (1 + replicas),
        parameter_group=work.target_group if work.attach_group and resized else group.parameter_group,
        changes=work.changes,
        operations=done,
        not_done=not_done,
        cost_usd_per_hour_before=group.cost_usd_per_hour,
        cost_usd_per_hour_after=group_cost(node_type, group.node_groups * (1 + replicas)),
        note=note,
    )
