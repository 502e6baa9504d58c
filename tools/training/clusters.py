"""HyperPod clusters as opsbot reads them: list and describe, and the reading the writes share.

Costs are on-demand list prices from the instance catalog. Instance groups that run on a
training plan add no hourly spend (the plan's capacity is prepaid).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools.aws import describe_or_none, paged
from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import money, price
from tools.errors import ToolInputError
from tools.kinds import Name
from tools.validation import SageMakerName

MAX_GROUP_INSTANCES = 6758  # UpdateCluster/CreateCluster limit per instance group
DEFAULT_GROUP = "workers"
DESCRIBE_EACH_LIMIT = 25  # beyond this many clusters the list shows status only


# ---------------------------------------------------------------------------------- arguments
class ClusterArgs(ToolArgs):
    """Base of the tools that name one cluster."""

    cluster_name: Annotated[
        str,
        Name("hyperpod_cluster"),
        SageMakerName,
        Field(description="Name of the HyperPod cluster, e.g. llama-pretrain."),
    ]


class ListClustersArgs(ToolArgs):
    """No arguments: every cluster of the account and region."""


# ------------------------------------------------------------------------------------ results
class GroupInfo(BaseModel):
    """One instance group as it is (or will be)."""

    group_name: str
    instance_type: str
    current_count: int
    target_count: int
    status: str | None = None
    training_plan_arn: str | None = None
    price_usd_per_hour: float | None = Field(description="On-demand price of one instance.")
    cost_usd_per_hour: float | None = Field(description="Spend of the running instances (0 on a training plan).")


class ClusterDetails(BaseModel):
    """A described cluster: status, groups, nodes and what it costs now."""

    cluster_name: str
    cluster_arn: str
    status: str
    orchestrator: str
    eks_cluster_arn: str | None = None
    created_at: datetime | None = None
    failure_message: str | None = None
    groups: list[GroupInfo]
    node_count: int
    nodes_by_status: dict[str, int]
    cost_usd_per_hour: float | None = Field(description="Spend per hour of the running instances.")


class ClusterSummary(BaseModel):
    """One line of the cluster list."""

    cluster_name: str
    status: str
    created_at: datetime | None = None
    instance_count: int | None = None
    instance_types: list[str] = Field(default_factory=list)
    cost_usd_per_hour: float | None = None


class ClusterList(BaseModel):
    """list_hyperpod_clusters' result."""

    clusters: list[ClusterSummary]
    total_cost_usd_per_hour: float = Field(description="Spend per hour of all listed clusters.")
    region: str = Field(default="", description="The region listed.")


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


def describe_cluster(ctx: ToolContext, name: str) -> dict[str, Any] | None:
    """DescribeCluster, or None when there is no cluster of that name."""
    return describe_or_none(ctx.clients.client("sagemaker").describe_cluster, ClusterName=name)


def describe_required(ctx: ToolContext, name: str) -> dict[str, Any]:
    """DescribeCluster, or a ToolInputError naming the clusters that do exist."""
    described = describe_cluster(ctx, name)
    if described is None:
        sm = ctx.clients.client("sagemaker")
        found = paged(sm.list_clusters, "ClusterSummaries", limit=50, MaxResults=50)
        existing = ", ".join(c["ClusterName"] for c in found) or "none"
        where = f"{ctx.account}/{ctx.region}"
        raise ToolInputError(
            "cluster_name", name, f"no HyperPod cluster with this name in {where}; existing: {existing}"
        )
    return described


# -------------------------------------------------------------------------------- list/describe
def run_list(ctx: ToolContext, args: ListClustersArgs) -> ClusterList:
    """Every cluster; the first DESCRIBE_EACH_LIMIT are described for their size and cost."""
    sm = ctx.clients.client("sagemaker")
    summaries = paged(sm.list_clusters, "ClusterSummaries", MaxResults=100, SortBy="NAME", SortOrder="Ascending")
    out = []
    for i, s in enumerate(summaries):
        row = ClusterSummary(cluster_name=s["ClusterName"], status=s["ClusterStatus"], created_at=s.get("CreationTime"))
        described = describe_cluster(ctx, s["ClusterName"]) if i < DESCRIBE_EACH_LIMIT else None
        if described:
            groups = [group_info(g) for g in described.get("InstanceGroups", [])]
            row.status = described["ClusterStatus"]
            row.instance_count = sum(g.current_count for g in groups)
            row.instance_types = sorted({g.instance_type for g in groups})
            row.cost_usd_per_hour = sum_costs(groups)
        out.append(row)
    total = round(sum(c.cost_usd_per_hour or 0.0 for c in out), 2)
    return ClusterList(clusters=out, total_cost_usd_per_hour=total, region=ctx.region)


def render_list(r: ClusterList) -> str:
    """One line per cluster after the total."""
    if not r.clusters:
        return f"No HyperPod clusters in {r.region}." if r.region else "No HyperPod clusters."
    lines = [f"{len(r.clusters)} HyperPod cluster(s), {money(r.total_cost_usd_per_hour, per_hour=True)} in total:"]
    for c in r.clusters:
        size = f"{c.instance_count} x {'/'.join(c.instance_types)}" if c.instance_count is not None else "size n/a"
        lines.append(f"- {c.cluster_name}: {c.status}, {size}, {money(c.cost_usd_per_hour, per_hour=True)}")
    return "\n".join(lines)


def run_describe(ctx: ToolContext, args: ClusterArgs) -> ClusterDetails:
    """The cluster, or a ToolInputError naming the clusters that exist."""
    return cluster_details(ctx, describe_required(ctx, args.cluster_name))


def render_describe(r: ClusterDetails) -> str:
    """Status and cost, then one line per group, node states and any failure."""
    cost = money(r.cost_usd_per_hour, per_hour=True)
    lines = [f"{r.cluster_name}: {r.status}, {r.orchestrator}, {r.node_count} node(s), {cost}"]
    for g in r.groups:
        plan = " on training plan" if g.training_plan_arn else ""
        lines.append(
            f"  {g.group_name}: {g.current_count}/{g.target_count} x {g.instance_type} ({g.status or '?'}), "
            f"{money(g.cost_usd_per_hour, per_hour=True)}{plan}"
        )
    if r.nodes_by_status:
        lines.append("  nodes: " + ", ".join(f"{n} {s}" for s, n in sorted(r.nodes_by_status.items())))
    if r.failure_message:
        lines.append(f"  failure: {r.failure_message}")
    return "\n".join(lines)


LIST_TOOL = Tool(
    name="list_hyperpod_clusters",
    description="List SageMaker HyperPod clusters with status, instance count and hourly cost.",
    label="list HyperPod clusters",
    phrasings=(
        "(what|which) [is|are] (running|up) (on|in) [the] hyperpod [side|clusters]",
        "(give me|show me|get me|send me|give us) [the|a] list of [all] [the|our|my] [sagemaker] [hyperpod] "
        "clusters",
        "(list|show|get|display|enumerate|print|give me) [me] [all] [the|our|my] [sagemaker] [hyperpod] clusters",
        "(what|which) [sagemaker] [hyperpod] clusters [do|are|have] [we] [have|got|exist|running|up|there]",
        "[are there] any [hyperpod] clusters",
        "hyperpod clusters",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=ListClustersArgs,
    run=run_list,
    render=render_list,
)
DESCRIBE_TOOL = Tool(
    name="describe_hyperpod_cluster",
    description="Describe a HyperPod cluster: status, instance groups, node counts and cost per hour.",
    label="describe a HyperPod cluster",
    phrasings=(
        "(anything|something) [weird|wrong|odd|off|strange|unusual|funny] (going on|happening|up) (with|on) [the] "
        "{cluster_name}",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[me] [on] [the] {cluster_name}",
        "(how is|hows|how are|how are things with|what is up with|whats up with|what is going on with) "
        "{cluster_name} [doing|going|looking]",
        "(status|state|details|detail|info|health|nodes|shape) (of|on|for) {cluster_name}",
        "what is [the] (status|state|shape) of {cluster_name}",
        "what is {cluster_name} (up to|doing)",
        "how many (nodes|instances|machines) (does|has|is) {cluster_name} [have|got|running|using]",
        "is {cluster_name} [still] (ok|okay|healthy|up|fine|running|busy|idle|in use|alive|InService)",
        "(look|take a look|have a look|peek) at {cluster_name}",
        "who (approved|created|owns|made|launched) {cluster_name}",
        "hyperpod describe {cluster_name}",
        "{cluster_name} (status|health|nodes|details)",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=ClusterArgs,
    run=run_describe,
    render=render_describe,
)
