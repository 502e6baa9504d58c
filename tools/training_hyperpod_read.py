"""HyperPod cluster reads: list and describe clusters, and the reading the write tools share.

Costs are on-demand list prices from the instance catalog. Instance groups that run on a
training plan add no hourly spend (the plan's capacity is prepaid).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tools.base import Effect, Plan, Risk, Tool, ToolContext
from tools.errors import ToolInputError
from tools.training_common import describe_or_none, paged, per_hour, price, read_plan
from tools.training_hyperpod_models import (
    MAX_GROUP_INSTANCES,
    ClusterDetails,
    ClusterList,
    ClusterSummary,
    DescribeClusterArgs,
    GroupInfo,
    ListClustersArgs,
)

DESCRIBE_EACH_LIMIT = 25  # beyond this many clusters the list shows status only


# ----------------------------------------------------------------- reading shared with the writes
def orchestrator_of(described: dict[str, Any]) -> tuple[str, str | None]:
    """('eks', the EKS cluster's ARN) or ('slurm', None) for a described cluster."""
    eks = (described.get("Orchestrator") or {}).get("Eks")
    return ("eks", eks["ClusterArn"]) if eks else ("slurm", None)


def group_cost(instance_type: str, count: int, on_plan: bool) -> float | None:
    """Hourly spend of ``count`` instances; 0 on a training plan, None when the type has no price."""
    unit = price(instance_type)
    if unit is None:
        return None
    return 0.0 if on_plan else round(unit * count, 2)


def group_info(group: dict[str, Any]) -> GroupInfo:
    """One described instance group with its price and current spend."""
    current = int(group.get("CurrentCount", 0))
    plan_arn = group.get("TrainingPlanArn")
    return GroupInfo(
        group_name=group["InstanceGroupName"],
        instance_type=group["InstanceType"],
        current_count=current,
        target_count=int(group.get("TargetCount", current)),
        status=group.get("Status"),
        training_plan_arn=plan_arn,
        price_usd_per_hour=price(group["InstanceType"]),
        cost_usd_per_hour=group_cost(group["InstanceType"], current, bool(plan_arn)),
    )


def sum_costs(groups: list[GroupInfo]) -> float | None:
    """Spend of all groups, None when any group's price is unknown."""
    costs = [g.cost_usd_per_hour for g in groups]
    return None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 2)


def cluster_details(ctx: ToolContext, described: dict[str, Any]) -> ClusterDetails:
    """A described cluster with its nodes counted by status and its hourly spend."""
    sm = ctx.clients.client("sagemaker")
    nodes = paged(
        sm.list_cluster_nodes,
        "ClusterNodeSummaries",
        limit=len(described.get("InstanceGroups", [])) * MAX_GROUP_INSTANCES,
        ClusterName=described["ClusterName"],
        MaxResults=100,
    )
    groups = [group_info(g) for g in described.get("InstanceGroups", [])]
    kind, eks_arn = orchestrator_of(described)
    return ClusterDetails(
        cluster_name=described["ClusterName"],
        cluster_arn=described["ClusterArn"],
        status=described["ClusterStatus"],
        orchestrator=kind,
        eks_cluster_arn=eks_arn,
        created_at=described.get("CreationTime"),
        failure_message=described.get("FailureMessage") or None,
        groups=groups,
        node_count=len(nodes),
        nodes_by_status=dict(Counter(n["InstanceStatus"]["Status"] for n in nodes)),
        cost_usd_per_hour=sum_costs(groups),
    )


def _existing_names(ctx: ToolContext) -> list[str]:
    sm = ctx.clients.client("sagemaker")
    return [c["ClusterName"] for c in paged(sm.list_clusters, "ClusterSummaries", limit=50, MaxResults=50)]


def describe_required(ctx: ToolContext, name: str) -> dict[str, Any]:
    """DescribeCluster, or a ToolInputError naming the clusters that do exist."""
    described = describe_or_none(ctx.clients.client("sagemaker").describe_cluster, ClusterName=name)
    if described is None:
        names = ", ".join(_existing_names(ctx)) or "none"
        raise ToolInputError(
            "cluster_name", name, f"no HyperPod cluster with this name in {ctx.account}/{ctx.region}; existing: {names}"
        )
    return described


# -------------------------------------------------------------------------------- list/describe
def plan_list(ctx: ToolContext, args: ListClustersArgs) -> Plan:
    """A read: nothing to approve."""
    return read_plan(ctx, "list_hyperpod_clusters", args, "list HyperPod clusters with their size and hourly cost")


def run_list(ctx: ToolContext, args: ListClustersArgs) -> ClusterList:
    """Every cluster; the first DESCRIBE_EACH_LIMIT are described for their size and cost."""
    sm = ctx.clients.client("sagemaker")
    summaries = paged(sm.list_clusters, "ClusterSummaries", MaxResults=100, SortBy="NAME", SortOrder="Ascending")
    out = []
    for i, s in enumerate(summaries):
        row = ClusterSummary(cluster_name=s["ClusterName"], status=s["ClusterStatus"], created_at=s.get("CreationTime"))
        described = (
            describe_or_none(sm.describe_cluster, ClusterName=s["ClusterName"]) if i < DESCRIBE_EACH_LIMIT else None
        )
        if described:
            groups = [group_info(g) for g in described.get("InstanceGroups", [])]
            row.status = described["ClusterStatus"]
            row.instance_count = sum(g.current_count for g in groups)
            row.instance_types = sorted({g.instance_type for g in groups})
            row.cost_usd_per_hour = sum_costs(groups)
        out.append(row)
    total = round(sum(c.cost_usd_per_hour or 0.0 for c in out), 2)
    return ClusterList(clusters=out, total_cost_usd_per_hour=total)


def render_list(r: ClusterList) -> str:
    """One line per cluster after the total."""
    if not r.clusters:
        return "No HyperPod clusters."
    lines = [f"{len(r.clusters)} HyperPod cluster(s), {per_hour(r.total_cost_usd_per_hour)} in total:"]
    for c in r.clusters:
        size = f"{c.instance_count} x {'/'.join(c.instance_types)}" if c.instance_count is not None else "size n/a"
        lines.append(f"- {c.cluster_name}: {c.status}, {size}, {per_hour(c.cost_usd_per_hour)}")
    return "\n".join(lines)


def plan_describe(ctx: ToolContext, args: DescribeClusterArgs) -> Plan:
    """A read: nothing to approve."""
    return read_plan(ctx, "describe_hyperpod_cluster", args, f"describe HyperPod cluster {args.cluster_name}")


def run_describe(ctx: ToolContext, args: DescribeClusterArgs) -> ClusterDetails:
    """The cluster, or a ToolInputError naming the clusters that exist."""
    return cluster_details(ctx, describe_required(ctx, args.cluster_name))


def render_describe(r: ClusterDetails) -> str:
    """Status and cost, then one line per group, node states and any failure."""
    head = f"{r.cluster_name}: {r.status}, {r.orchestrator}, {r.node_count} node(s), {per_hour(r.cost_usd_per_hour)}"
    lines = [head]
    for g in r.groups:
        plan = " on training plan" if g.training_plan_arn else ""
        lines.append(
            f"  {g.group_name}: {g.current_count}/{g.target_count} x {g.instance_type} ({g.status or '?'}), "
            f"{per_hour(g.cost_usd_per_hour)}{plan}"
        )
    if r.nodes_by_status:
        lines.append("  nodes: " + ", ".join(f"{n} {s}" for s, n in sorted(r.nodes_by_status.items())))
    if r.failure_message:
        lines.append(f"  failure: {r.failure_message}")
    return "\n".join(lines)


LIST_TOOL = Tool(
    name="list_hyperpod_clusters",
    domain="training",
    effect=Effect.READ,
    risk=Risk.READ,
    description="List SageMaker HyperPod clusters with status, instance count and hourly cost.",
    args_model=ListClustersArgs,
    plan=plan_list,
    run=run_list,
    render=render_list,
)
DESCRIBE_TOOL = Tool(
    name="describe_hyperpod_cluster",
    domain="training",
    effect=Effect.READ,
    risk=Risk.READ,
    description="Describe a HyperPod cluster: status, instance groups, node counts and cost per hour.",
    args_model=DescribeClusterArgs,
    plan=plan_describe,
    run=run_describe,
    render=render_describe,
)
