"""HyperPod cluster tools: scale and delete here, and ``TOOLS``, all five in catalog order.

List and describe live in ``training_hyperpod_read`` (with the reading every tool shares), create
in ``training_hyperpod_create``, and the argument and result models in ``training_hyperpod_models``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tools.base import Effect, Plan, PlannedGroup, Risk, Tool, ToolContext
from tools.errors import ToolInputError
from tools.training_common import describe_or_none, is_not_found, per_hour, price_source
from tools.training_hyperpod_create import CREATE_TOOL
from tools.training_hyperpod_models import ClusterDeleted, ClusterScaled, DeleteClusterArgs, ScaleClusterArgs
from tools.training_hyperpod_read import (
    DESCRIBE_TOOL,
    LIST_TOOL,
    cluster_details,
    describe_required,
    group_cost,
    group_info,
    sum_costs,
)

# Fields of a described instance group that UpdateCluster needs back unchanged.
GROUP_UPDATE_FIELDS = (
    "LifeCycleConfig",
    "ExecutionRole",
    "ThreadsPerCore",
    "InstanceStorageConfigs",
    "OnStartDeepHealthChecks",
    "TrainingPlanArn",
    "OverrideVpcConfig",
    "ScheduledUpdateConfig",
    "SlurmConfig",
)


# -------------------------------------------------------------------------------------- scale
def _group_or_refuse(described: dict[str, Any], group_name: str) -> dict[str, Any]:
    groups = described.get("InstanceGroups", [])
    group = next((g for g in groups if g["InstanceGroupName"] == group_name), None)
    if group is None:
        names = ", ".join(g["InstanceGroupName"] for g in groups) or "none"
        raise ToolInputError("group_name", group_name, f"cluster {described['ClusterName']} has groups: {names}")
    return group


def _scale_target(ctx: ToolContext, args: ScaleClusterArgs) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The described cluster, the group to resize and its target count now."""
    described = describe_required(ctx, args.cluster_name)
    group = _group_or_refuse(described, args.group_name)
    return described, group, int(group.get("TargetCount", group.get("CurrentCount", 0)))


def _scale_costs(group: dict[str, Any], old: int, new: int) -> tuple[float | None, float | None]:
    """The group's hourly spend before and after scaling."""
    on_plan = bool(group.get("TrainingPlanArn"))
    return group_cost(group["InstanceType"], old, on_plan), group_cost(group["InstanceType"], new, on_plan)


def plan_scale(ctx: ToolContext, args: ScaleClusterArgs) -> Plan:
    """Old and new size of the group and the change in its hourly cost."""
    described, group, old = _scale_target(ctx, args)
    itype = group["InstanceType"]
    before, after = _scale_costs(group, old, args.instance_count)
    delta = None if before is None or after is None else round(after - before, 2)
    warnings = []
    if described["ClusterStatus"] != "InService":
        warnings.append(f"cluster is {described['ClusterStatus']}; AWS accepts updates only when it is InService")
    if old == args.instance_count:
        warnings.append(f"group {args.group_name} already has {old} instance(s); the run changes nothing")
    sign = "+" if (delta or 0) >= 0 else "-"
    return Plan(
        tool="scale_hyperpod_cluster",
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        summary=f"scale {args.cluster_name}/{args.group_name} from {old} to {args.instance_count} x {itype}",
        changes=[
            f"group {args.group_name} of {args.cluster_name}: {old} -> {args.instance_count} x {itype}",
            f"cost: {per_hour(after)} for the group after scaling (was {per_hour(before)}; "
            f"{sign}{per_hour(abs(delta) if delta is not None else None)})",
        ],
        aws_operations=["sagemaker:UpdateCluster"] if old != args.instance_count else [],
        cost_usd_per_hour=after,
        cost_note=f"the group's spend after scaling; {price_source()}",
        instance_type=itype,
        instance_count=args.instance_count,
        instance_groups=[PlannedGroup(name=args.group_name, instance_type=itype, instance_count=args.instance_count)],
        region=ctx.region,
        facts={
            "old_instance_count": old,
            "new_instance_count": args.instance_count,
            "instance_count_delta": args.instance_count - old,
            "cost_usd_per_hour_before": before,
            "cost_usd_per_hour_delta": delta,
            "cluster_status": described["ClusterStatus"],
            "training_plan_arn": group.get("TrainingPlanArn"),
        },
        warnings=warnings,
    )


def update_request(described: dict[str, Any], group_name: str, count: int) -> dict[str, Any]:
    """The UpdateCluster request: the one group, as described, with its new count."""
    group = _group_or_refuse(described, group_name)
    spec: dict[str, Any] = {
        "InstanceGroupName": group_name,
        "InstanceType": group["InstanceType"],
        "InstanceCount": count,
    }
    spec.update({k: group[k] for k in GROUP_UPDATE_FIELDS if k in group})
    return {"ClusterName": described["ClusterName"], "InstanceGroups": [spec]}


def run_scale(ctx: ToolContext, args: ScaleClusterArgs) -> ClusterScaled:
    """UpdateCluster with the group's new count; no call when it already has that count."""
    sm = ctx.clients.client("sagemaker")
    described, group, old = _scale_target(ctx, args)
    changed = old != args.instance_count
    if changed:
        sm.update_cluster(**update_request(described, args.group_name, args.instance_count))
    before, after = _scale_costs(group, old, args.instance_count)
    return ClusterScaled(
        cluster_name=args.cluster_name,
        group_name=args.group_name,
        instance_type=group["InstanceType"],
        old_count=old,
        new_count=args.instance_count,
        changed=changed,
        status="Updating" if changed else described["ClusterStatus"],
        cost_usd_per_hour_before=before,
        cost_usd_per_hour_after=after,
    )


def render_scale(r: ClusterScaled) -> str:
    """Old and new count and cost, or that nothing changed."""
    if not r.changed:
        return f"{r.cluster_name}/{r.group_name} already has {r.new_count} x {r.instance_type}; nothing changed."
    return (
        f"Scaling {r.cluster_name}/{r.group_name}: {r.old_count} -> {r.new_count} x {r.instance_type} "
        f"({r.status}); {per_hour(r.cost_usd_per_hour_before)} -> {per_hour(r.cost_usd_per_hour_after)}"
    )


# ------------------------------------------------------------------------------------- delete
def plan_delete(ctx: ToolContext, args: DeleteClusterArgs) -> Plan:
    """What is terminated and the hourly spend that stops."""
    details = cluster_details(ctx, describe_required(ctx, args.cluster_name))
    nodes = sum(g.current_count for g in details.groups)
    return Plan(
        tool="delete_hyperpod_cluster",
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        summary=f"delete HyperPod cluster {args.cluster_name} and its {nodes} instance(s)",
        changes=[
            f"delete cluster {args.cluster_name} ({details.status}); every node is terminated, local data is lost",
            *(f"  group {g.group_name}: {g.current_count} x {g.instance_type}" for g in details.groups),
            f"cost: $0.00/h afterwards (saves {per_hour(details.cost_usd_per_hour)})",
        ],
        aws_operations=["sagemaker:DeleteCluster"],
        cost_usd_per_hour=0.0,
        cost_note="nothing is billed for the cluster after deletion",
        region=ctx.region,
        facts={
            "cluster_arn": details.cluster_arn,
            "instances_terminated": nodes,
            "instance_types": sorted({g.instance_type for g in details.groups}),
            "cost_usd_per_hour_saved": details.cost_usd_per_hour,
        },
        warnings=["deletion cannot be undone"],
    )


def run_delete(ctx: ToolContext, args: DeleteClusterArgs) -> ClusterDeleted:
    """DeleteCluster; a cluster already gone is reported, not an error."""
    sm = ctx.clients.client("sagemaker")
    described = describe_or_none(sm.describe_cluster, ClusterName=args.cluster_name)
    if described is None:
        return ClusterDeleted(
            cluster_name=args.cluster_name,
            cluster_arn=None,
            status="NotFound",
            deleted=False,
            instances_released=0,
            cost_usd_per_hour_saved=0.0,
        )
    groups = [group_info(g) for g in described.get("InstanceGroups", [])]
    try:
        sm.delete_cluster(ClusterName=args.cluster_name)
    except ClientError as exc:
        if not is_not_found(exc):  # gone in between: the goal is reached
            raise
    return ClusterDeleted(
        cluster_name=args.cluster_name,
        cluster_arn=described["ClusterArn"],
        status="Deleting",
        deleted=True,
        instances_released=sum(g.current_count for g in groups),
        cost_usd_per_hour_saved=sum_costs(groups),
    )


def render_delete(r: ClusterDeleted) -> str:
    """What was released and saved, or that there was nothing to delete."""
    if not r.deleted:
        return f"HyperPod cluster {r.cluster_name} does not exist; nothing to delete."
    return (
        f"Deleting HyperPod cluster {r.cluster_name} ({r.status}): {r.instances_released} instance(s) released, "
        f"saves {per_hour(r.cost_usd_per_hour_saved)}"
    )


TOOLS: list[Tool] = [
    LIST_TOOL,
    DESCRIBE_TOOL,
    CREATE_TOOL,
    Tool(
        name="scale_hyperpod_cluster",
        domain="training",
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        description="Resize one instance group of a HyperPod cluster to a new total instance count.",
        args_model=ScaleClusterArgs,
        plan=plan_scale,
        run=run_scale,
        render=render_scale,
    ),
    Tool(
        name="delete_hyperpod_cluster",
        domain="training",
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        description="Delete a HyperPod cluster and terminate all its instances.",
        args_model=DeleteClusterArgs,
        plan=plan_delete,
        run=run_delete,
        render=render_delete,
    ),
]
