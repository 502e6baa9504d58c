"""create_hyperpod_cluster: create a Slurm or EKS HyperPod cluster, once per request.

Instance groups that run on a training plan add no hourly spend (the plan's capacity is prepaid);
their list price is kept in the plan's facts as ``on_demand_equivalent_usd_per_hour``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tools.base import Effect, Plan, PlannedGroup, Risk, Tool, ToolContext
from tools.errors import ToolInputError
from tools.training_common import (
    describe_or_none,
    execution_role_arn,
    is_already_exists,
    is_own_attempt,
    per_hour,
    price,
    price_source,
    request_tags,
)
from tools.training_hyperpod_models import ClusterCreated, CreateClusterArgs, GroupInfo
from tools.training_hyperpod_read import group_cost, group_info, orchestrator_of

ON_CREATE_SCRIPT = "on_create.sh"


def lifecycle_uri(ctx: ToolContext, args: CreateClusterArgs) -> str:
    """Where the lifecycle scripts are: the argument, the setting, or opsbot's bucket of this account."""
    return (
        args.lifecycle_s3_uri
        or ctx.settings.hyperpod_lifecycle_s3_uri
        or f"s3://opsbot-lifecycle-{ctx.account}/hyperpod/"
    )


def create_request(ctx: ToolContext, args: CreateClusterArgs) -> dict[str, Any]:
    """The CreateCluster request for ``args`` (exactly what run sends)."""
    groups = []
    for name, instance_type, count in args.groups():
        group: dict[str, Any] = {
            "InstanceGroupName": name,
            "InstanceType": instance_type,
            "InstanceCount": count,
            "LifeCycleConfig": {"SourceS3Uri": lifecycle_uri(ctx, args), "OnCreate": ON_CREATE_SCRIPT},
            "ExecutionRole": execution_role_arn(ctx),
            "ThreadsPerCore": 1,
        }
        if args.training_plan_arn:
            group["TrainingPlanArn"] = args.training_plan_arn
        groups.append(group)
    request: dict[str, Any] = {"ClusterName": args.cluster_name, "InstanceGroups": groups, "NodeRecovery": "Automatic"}
    if args.orchestrator == "eks":
        request["Orchestrator"] = {"Eks": {"ClusterArn": args.eks_cluster_arn}}
    tags = request_tags(ctx)
    if tags:
        request["Tags"] = tags
    return request


def _planned_groups(args: CreateClusterArgs) -> list[GroupInfo]:
    on_plan = args.training_plan_arn is not None
    return [
        GroupInfo(
            group_name=name,
            instance_type=itype,
            current_count=0,
            target_count=count,
            status="Creating",
            training_plan_arn=args.training_plan_arn,
            price_usd_per_hour=price(itype),
            cost_usd_per_hour=group_cost(itype, count, on_plan),
        )
        for name, itype, count in args.groups()
    ]


def _same_spec(described: dict[str, Any], args: CreateClusterArgs) -> bool:
    have = {(g["InstanceGroupName"], g["InstanceType"], g.get("TargetCount")) for g in described["InstanceGroups"]}
    return have == set(args.groups()) and orchestrator_of(described)[0] == args.orchestrator


def plan_create(ctx: ToolContext, args: CreateClusterArgs) -> Plan:
    """The groups, lifecycle scripts, role and hourly cost; warns when the name is taken."""
    groups = _planned_groups(args)
    hourly = sum(g.cost_usd_per_hour or 0.0 for g in groups)
    list_price = sum((g.price_usd_per_hour or 0.0) * g.target_count for g in groups)
    costliest = max(groups, key=lambda g: (g.price_usd_per_hour or 0.0) * g.target_count)
    total = sum(g.target_count for g in groups)
    changes = [
        f"create HyperPod cluster {args.cluster_name} ({args.orchestrator}) with {total} instance(s):",
        *(
            f"  group {g.group_name}: {g.target_count} x {g.instance_type} at {per_hour(g.price_usd_per_hour)} each"
            for g in groups
        ),
        f"lifecycle scripts: {lifecycle_uri(ctx, args).rstrip('/')}/{ON_CREATE_SCRIPT}",
        f"execution role: {execution_role_arn(ctx)}",
        f"cost: {per_hour(hourly)} added while the cluster exists (all groups, {price_source()})",
    ]
    warnings = []
    if args.training_plan_arn:
        changes.append(
            f"capacity from training plan {args.training_plan_arn} (prepaid; list price {per_hour(list_price)})"
        )
    existing = describe_or_none(ctx.clients.client("sagemaker").describe_cluster, ClusterName=args.cluster_name)
    if existing is not None:
        same = _same_spec(existing, args)
        warnings.append(
            f"cluster {args.cluster_name} already exists ({existing['ClusterStatus']}); "
            + (
                "it has this spec, so the run returns it unchanged"
                if same
                else "with another spec: the run will refuse"
            )
        )
    return Plan(
        tool="create_hyperpod_cluster",
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.WRITE,
        risk=Risk.HIGH,
        summary=f"create HyperPod cluster {args.cluster_name}: {total} instance(s), {per_hour(hourly)}",
        changes=changes,
        aws_operations=["sagemaker:CreateCluster"],
        cost_usd_per_hour=round(hourly, 2),
        cost_note=f"runs until deleted; {price_source()}",
        instance_type=costliest.instance_type,
        instance_count=total,
        instance_groups=[
            PlannedGroup(name=g.group_name, instance_type=g.instance_type, instance_count=g.target_count)
            for g in groups
        ],
        region=ctx.region,
        facts={
            "orchestrator": args.orchestrator,
            "instance_groups": [
                {"group_name": g.group_name, "instance_type": g.instance_type, "instance_count": g.target_count}
                for g in groups
            ],
            "instance_types": sorted({g.instance_type for g in groups}),
            "lifecycle_s3_uri": lifecycle_uri(ctx, args),
            "execution_role_arn": execution_role_arn(ctx),
            "training_plan_arn": args.training_plan_arn,
            "on_demand_equivalent_usd_per_hour": round(list_price, 2),
            "exists": existing is not None,
        },
        warnings=warnings,
    )


def _found_existing(ctx: ToolContext, args: CreateClusterArgs, described: dict[str, Any]) -> ClusterCreated:
    """An existing cluster of this name: ours (same request tag or same spec) is returned, else refused."""
    groups = [group_info(g) for g in described["InstanceGroups"]]
    result = ClusterCreated(
        cluster_name=described["ClusterName"],
        cluster_arn=described["ClusterArn"],
        status=described["ClusterStatus"],
        created=False,
        orchestrator=orchestrator_of(described)[0],
        groups=groups,
        cost_usd_per_hour=sum(g.cost_usd_per_hour or 0.0 for g in _planned_groups(args)),
    )
    if is_own_attempt(ctx, described["ClusterArn"]):
        result.created = True
        result.note = "created by an earlier attempt of this same request"
        return result
    if _same_spec(described, args):
        result.note = "a cluster with this name and spec already existed; nothing was created"
        return result
    raise ToolInputError(
        "cluster_name",
        args.cluster_name,
        "a HyperPod cluster with this name already exists with other groups; choose another name "
        "or use scale_hyperpod_cluster",
    )


def run_create(ctx: ToolContext, args: CreateClusterArgs) -> ClusterCreated:
    """CreateCluster, unless this request (or an identical spec) already made the cluster."""
    sm = ctx.clients.client("sagemaker")
    existing = describe_or_none(sm.describe_cluster, ClusterName=args.cluster_name)
    if existing is not None:
        return _found_existing(ctx, args, existing)
    try:
        arn = sm.create_cluster(**create_request(ctx, args))["ClusterArn"]
    except ClientError as exc:
        # A retried create whose first attempt succeeded (the reply was lost) lands here.
        existing = (
            describe_or_none(sm.describe_cluster, ClusterName=args.cluster_name) if is_already_exists(exc) else None
        )
        if existing is None:
            raise
        return _found_existing(ctx, args, existing)
    groups = _planned_groups(args)
    return ClusterCreated(
        cluster_name=args.cluster_name,
        cluster_arn=arn,
        status="Creating",
        created=True,
        orchestrator=args.orchestrator,
        groups=groups,
        cost_usd_per_hour=round(sum(g.cost_usd_per_hour or 0.0 for g in groups), 2),
    )


def render_create(r: ClusterCreated) -> str:
    """Groups, status and cost once running, then the ARN."""
    verb = "Creating" if r.created else "Kept existing"
    sizes = ", ".join(f"{g.group_name} {g.target_count} x {g.instance_type}" for g in r.groups)
    text = f"{verb} HyperPod cluster {r.cluster_name} ({r.orchestrator}): {sizes}; status {r.status}; "
    text += f"{per_hour(r.cost_usd_per_hour)} once running\n  {r.cluster_arn}"
    return text + (f"\n  note: {r.note}" if r.note else "")


CREATE_TOOL = Tool(
    name="create_hyperpod_cluster",
    domain="training",
    effect=Effect.WRITE,
    risk=Risk.HIGH,
    description=(
        "Create a HyperPod cluster (Slurm or EKS) with one group of instance_count x instance_type, "
        "or several instance_groups, optionally on a training plan."
    ),
    args_model=CreateClusterArgs,
    plan=plan_create,
    run=run_create,
    render=render_create,
)
