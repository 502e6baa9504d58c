"""delete_hyperpod_cluster: delete a HyperPod cluster and terminate its instances."""

from __future__ import annotations

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from tools.aws import is_not_found
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolContext
from tools.catalog import money
from tools.training.clusters import (
    ClusterArgs,
    cluster_details,
    describe_cluster,
    describe_required,
    group_info,
    sum_costs,
)


class ClusterDeleted(BaseModel):
    """The outcome of delete_hyperpod_cluster."""

    cluster_name: str
    cluster_arn: str | None
    status: str
    deleted: bool = Field(description="False if the cluster was already gone.")
    instances_released: int
    cost_usd_per_hour_saved: float | None


def plan_delete(ctx: ToolContext, args: ClusterArgs) -> Plan:
    """What is terminated and the hourly spend that stops; no AWS write for a cluster already deleting."""
    details = cluster_details(ctx, describe_required(ctx, args.cluster_name))
    nodes = sum(g.current_count for g in details.groups)
    if details.status == "Deleting":
        return Plan(
            summary=f"HyperPod cluster {args.cluster_name} is already being deleted; nothing to do",
            cost_usd_per_hour=0.0,
            facts={"cluster_arn": details.cluster_arn, "status": details.status},
        )
    return Plan(
        summary=f"delete HyperPod cluster {args.cluster_name} and its {nodes} instance(s)",
        changes=[
            f"delete cluster {args.cluster_name} ({details.status}); every node is terminated, local data is lost",
            *(f"  group {g.group_name}: {g.current_count} x {g.instance_type}" for g in details.groups),
            f"cost: $0.00/h afterwards (saves {money(details.cost_usd_per_hour, per_hour=True)})",
        ],
        aws_operations=[AwsOperation(operation="sagemaker:DeleteCluster", params={"ClusterName": args.cluster_name})],
        cost_usd_per_hour=0.0,
        cost_note="nothing is billed for the cluster after deletion",
        facts={
            "cluster_arn": details.cluster_arn,
            "instances_terminated": nodes,
            "instance_types": sorted({g.instance_type for g in details.groups}),
            "cost_usd_per_hour_saved": details.cost_usd_per_hour,
        },
        warnings=["deletion cannot be undone"],
    )


def run_delete(ctx: ToolContext, args: ClusterArgs) -> ClusterDeleted:
    """DeleteCluster; a cluster already gone is reported, not an error."""
    sm = ctx.clients.client("sagemaker")
    described = describe_cluster(ctx, args.cluster_name)
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
        f"saves {money(r.cost_usd_per_hour_saved, per_hour=True)}"
    )


DELETE_TOOL = Tool(
    name="delete_hyperpod_cluster",
    description="Delete a HyperPod cluster and terminate all its instances.",
    label="delete a HyperPod cluster",
    phrasings=(
        "(delete|remove|destroy|tear down|teardown|terminate|kill|drop|get rid of|decommission|shut "
        "down|shutdown|nuke|trash|scrap|wipe|deprovision|delet|rm) {cluster_name}",
        "(delete|remove|destroy|tear down|teardown|terminate|kill|drop|get rid of|decommission|shut "
        "down|shutdown|nuke|trash|scrap|wipe|deprovision|delet|rm) [the|a|an] [hyperpod] cluster",
    ),
    effect=Effect.DESTRUCTIVE,
    risk=Risk.CRITICAL,
    idempotent=True,
    args_model=ClusterArgs,
    plan=plan_delete,
    run=run_delete,
    render=render_delete,
)
