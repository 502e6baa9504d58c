"""scale_hyperpod_cluster: resize one instance group of a HyperPod cluster.

The count is absolute (``instance_count``) or relative to the group's target count now
(``add_instances``: "add 4 nodes", "remove a node"; ``scale_factor``: "double"), resolved
before the plan so the approval binds the absolute target.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools.base import AwsOperation, Effect, Plan, PlannedGroup, Risk, Tool, ToolContext
from tools.catalog import cost_change, money, price_source
from tools.counts import InstanceCountArgs, absolute_count, count_change, count_factor
from tools.errors import ToolInputError
from tools.kinds import Count, Delta, Factor, Name
from tools.relative import absolute_target
from tools.training.clusters import DEFAULT_GROUP, MAX_GROUP_INSTANCES, ClusterArgs, describe_required, group_cost
from tools.validation import SageMakerName

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


class ScaleClusterArgs(ClusterArgs, InstanceCountArgs):
    """scale_hyperpod_cluster's arguments."""

    group_name: Annotated[
        str,
        Name("instance_group"),
        SageMakerName,
        Field(default=DEFAULT_GROUP, description="Instance group to resize."),
    ] = DEFAULT_GROUP
    instance_count: Annotated[
        int | None,
        Count("instance"),
        absolute_count(
            MAX_GROUP_INSTANCES, "New total number of instances in the group (or give add_instances or scale_factor)."
        ),
    ] = None
    add_instances: Annotated[
        int | None,
        Delta("instance", instead_of="instance_count"),
        count_change(
            MAX_GROUP_INSTANCES,
            "Instead of instance_count (leave that out): instances to add (positive) or remove "
            "(negative) from the group, e.g. 4 for 'add 4 nodes', -1 for 'remove a node'.",
        ),
    ] = None
    scale_factor: Annotated[
        float | None,
        Factor("instance", instead_of="instance_count"),
        count_factor("Instead of instance_count: multiply the group's current count, e.g. 2 for 'double'."),
    ] = None


class ClusterScaled(BaseModel):
    """The outcome of scale_hyperpod_cluster."""

    cluster_name: str
    group_name: str
    instance_type: str
    old_count: int
    new_count: int
    changed: bool
    status: str
    cost_usd_per_hour_before: float | None
    cost_usd_per_hour_after: float | None


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


def resolve_scale(ctx: ToolContext, args: ScaleClusterArgs) -> ScaleClusterArgs:
    """A relative change made absolute from the group's target count now."""
    _, _, old = _scale_target(ctx, args)
    what = f"{args.cluster_name}/{args.group_name}'s instance count"
    return absolute_target(args, "instance_count", old, minimum=1, maximum=MAX_GROUP_INSTANCES, what=what)


def plan_scale(ctx: ToolContext, args: ScaleClusterArgs) -> Plan:
    """Old and new size of the group and the change in its hourly cost; no AWS write when the group
    already has that count."""
    described, group, old = _scale_target(ctx, args)
    itype, new = group["InstanceType"], args.target
    before, after = _scale_costs(group, old, new)
    delta = None if before is None or after is None else round(after - before, 2)
    warnings = []
    if described["ClusterStatus"] != "InService":
        warnings.append(f"cluster is {described['ClusterStatus']}; AWS accepts updates only when it is InService")
    request = update_request(described, args.group_name, new)
    unchanged = old == new
    summary = (
        f"group {args.group_name} of {args.cluster_name} already has {old} x {itype}; nothing to change"
        if unchanged
        else f"scale {args.cluster_name}/{args.group_name} from {old} to {new} x {itype}"
    )
    return Plan(
        summary=summary,
        changes=[]
        if unchanged
        else [
            f"group {args.group_name} of {args.cluster_name}: {old} -> {new} x {itype}",
            f"cost: {money(after, per_hour=True)} for the group after scaling (was {money(before, per_hour=True)}; "
            f"{money(delta, per_hour=True, signed=True)})",
        ],
        aws_operations=[] if unchanged else [AwsOperation(operation="sagemaker:UpdateCluster", params=request)],
        cost_usd_per_hour=after,
        cost_note=f"the group's spend after scaling; {price_source()}",
        instance_type=itype,
        instance_count=new,
        instance_groups=[PlannedGroup(name=args.group_name, instance_type=itype, instance_count=new)],
        facts={
            "old_instance_count": old,
            "new_instance_count": new,
            "instance_count_delta": new - old,
            "cost_usd_per_hour_before": before,
            "cost_usd_per_hour_delta": delta,
            "cluster_status": described["ClusterStatus"],
            "training_plan_arn": group.get("TrainingPlanArn"),
        },
        warnings=warnings,
    )


def run_scale(ctx: ToolContext, args: ScaleClusterArgs) -> ClusterScaled:
    """UpdateCluster with the group's new count; no call when it already has that count."""
    sm = ctx.clients.client("sagemaker")
    described, group, old = _scale_target(ctx, args)
    changed = old != args.target
    if changed:
        sm.update_cluster(**update_request(described, args.group_name, args.target))
    before, after = _scale_costs(group, old, args.target)
    return ClusterScaled(
        cluster_name=args.cluster_name,
        group_name=args.group_name,
        instance_type=group["InstanceType"],
        old_count=old,
        new_count=args.target,
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
        f"({r.status}); {cost_change(r.cost_usd_per_hour_before, r.cost_usd_per_hour_after, delta=False)}"
    )


SCALE_TOOL = Tool(
    name="scale_hyperpod_cluster",
    description="Resize one instance group of a HyperPod cluster to a new total instance count.",
    label="scale a HyperPod instance group",
    phrasings=(
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the] {cluster_name} [up|down] [to {instance_count}]",
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the] {cluster_name} [group|instance group] {group_name} [up|down] [to {instance_count}]",
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the] {group_name} [instance] group (of|in|on) {cluster_name} [up|down] [to {instance_count}]",
        "add [more] (nodes|instances|capacity) to {cluster_name}",
        "give {cluster_name} {instance_count}",
        "{instance_count} [nodes|instances] (of|for|on) {cluster_name}",
        "{cluster_name} (to|→|->|=>) {instance_count} [nodes|instances]",
        "take (this|it|{cluster_name}) to {instance_count}",
        "[the] {group_name} [instance] group (should|to) (have|be|at) {instance_count}",
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the] {group_name} (of|in|on) [the] {cluster_name} [up|down] [to {instance_count}]",
        "[in] [instance] group {group_name}",
        # A change of the count ("add 2 nodes to llama-pretrain", "double it"): made absolute before the plan.
        "{add_instances} (to|on|for|from|of) [the] [cluster] {cluster_name}",
        "{add_instances} (to|on|for|from) [the] {group_name} [instance] group (of|in|on) [the] {cluster_name}",
        "(add|remove|drop) {add_instances} [(to|on|for|from) [the] [cluster] {cluster_name}]",
        "give {cluster_name} {add_instances}",
        "(scale|resize|grow|shrink|expand|bump|increase|decrease|reduce|raise|lower|adjust) [up|down] [the] "
        "[cluster] {cluster_name} [up|down] by {add_instances}",
        "{scale_factor} [the] [instance count|instances|nodes|capacity|size] [of|on|for] [the] [cluster] "
        "{cluster_name}",
        "(scale|resize|grow|shrink|expand|bump|increase|decrease|reduce|raise|lower|adjust) [up|down] [the] "
        "[cluster] {cluster_name} [up|down] [by] {scale_factor}",
    ),
    effect=Effect.WRITE,
    risk=Risk.MEDIUM,
    idempotent=True,
    args_model=ScaleClusterArgs,
    plan=plan_scale,
    run=run_scale,
    render=render_scale,
    resolve=resolve_scale,
)
