"""HyperPod cluster tools: list, describe, create, scale and delete SageMaker HyperPod clusters.

Costs are on-demand list prices from the instance catalog. Instance groups that run on a
training plan add no hourly spend (the plan's capacity is prepaid); their list price is kept
in the plan's facts as ``on_demand_equivalent_usd_per_hour``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator, model_validator

from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import catalog, check_instance_type
from tools.errors import ToolInputError
from tools.training_common import (
    describe_or_none,
    execution_role_arn,
    is_already_exists,
    is_not_found,
    is_own_attempt,
    paged,
    per_hour,
    price,
    price_source,
    read_plan,
    request_tags,
)
from tools.validation import s3_uri, sagemaker_name

MAX_GROUP_INSTANCES = 6758  # UpdateCluster/CreateCluster limit per instance group
DEFAULT_GROUP = "workers"
ON_CREATE_SCRIPT = "on_create.sh"
EKS_ARN = re.compile(r"^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
TRAINING_PLAN_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:training-plan/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$"
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


class ClusterArgs(ToolArgs):
    """Base of the tools that name one cluster."""

    cluster_name: Annotated[str, Field(description="Name of the HyperPod cluster, e.g. llama-pretrain.")]

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name(cls, value: str) -> str:
        return sagemaker_name("cluster_name", value)


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
    clusters: list[ClusterSummary]
    total_cost_usd_per_hour: float = Field(description="Spend per hour of all listed clusters.")


class ClusterCreated(BaseModel):
    """The outcome of create_hyperpod_cluster."""

    cluster_name: str
    cluster_arn: str
    status: str
    created: bool = Field(description="False if an identical cluster already existed and was returned.")
    orchestrator: str
    groups: list[GroupInfo]
    cost_usd_per_hour: float
    note: str | None = None


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


class ClusterDeleted(BaseModel):
    """The outcome of delete_hyperpod_cluster."""

    cluster_name: str
    cluster_arn: str | None
    status: str
    deleted: bool = Field(description="False if the cluster was already gone.")
    instances_released: int
    cost_usd_per_hour_saved: float | None


# ----------------------------------------------------------------------------- shared reading
def _orchestrator(described: dict[str, Any]) -> tuple[str, str | None]:
    eks = (described.get("Orchestrator") or {}).get("Eks")
    return ("eks", eks["ClusterArn"]) if eks else ("slurm", None)


def _group_cost(instance_type: str, count: int, on_plan: bool) -> float | None:
    unit = price(instance_type)
    if unit is None:
        return None
    return 0.0 if on_plan else round(unit * count, 2)


def _group_info(group: dict[str, Any]) -> GroupInfo:
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
        cost_usd_per_hour=_group_cost(group["InstanceType"], current, bool(plan_arn)),
    )


def _sum_costs(groups: list[GroupInfo]) -> float | None:
    costs = [g.cost_usd_per_hour for g in groups]
    return None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 2)


def _details(ctx: ToolContext, described: dict[str, Any]) -> ClusterDetails:
    sm = ctx.clients.client("sagemaker")
    nodes = paged(
        sm.list_cluster_nodes,
        "ClusterNodeSummaries",
        limit=len(described.get("InstanceGroups", [])) * MAX_GROUP_INSTANCES,
        ClusterName=described["ClusterName"],
        MaxResults=100,
    )
    groups = [_group_info(g) for g in described.get("InstanceGroups", [])]
    kind, eks_arn = _orchestrator(described)
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
        cost_usd_per_hour=_sum_costs(groups),
    )


def _existing_names(ctx: ToolContext) -> list[str]:
    sm = ctx.clients.client("sagemaker")
    return [c["ClusterName"] for c in paged(sm.list_clusters, "ClusterSummaries", limit=50, MaxResults=50)]


def _describe_required(ctx: ToolContext, name: str) -> dict[str, Any]:
    """DescribeCluster, or a ToolInputError naming the clusters that do exist."""
    described = describe_or_none(ctx.clients.client("sagemaker").describe_cluster, ClusterName=name)
    if described is None:
        names = ", ".join(_existing_names(ctx)) or "none"
        raise ToolInputError(
            "cluster_name", name, f"no HyperPod cluster with this name in {ctx.account}/{ctx.region}; existing: {names}"
        )
    return described


# -------------------------------------------------------------------------------- list/describe
class ListClustersArgs(ToolArgs):
    """No arguments: every cluster of the account and region."""


DESCRIBE_EACH_LIMIT = 25  # beyond this many clusters the list shows status only


def plan_list(ctx: ToolContext, args: ListClustersArgs) -> Plan:
    return read_plan(ctx, "list_hyperpod_clusters", args, "list HyperPod clusters with their size and hourly cost")


def run_list(ctx: ToolContext, args: ListClustersArgs) -> ClusterList:
    sm = ctx.clients.client("sagemaker")
    summaries = paged(sm.list_clusters, "ClusterSummaries", MaxResults=100, SortBy="NAME", SortOrder="Ascending")
    out = []
    for i, s in enumerate(summaries):
        row = ClusterSummary(cluster_name=s["ClusterName"], status=s["ClusterStatus"], created_at=s.get("CreationTime"))
        described = (
            describe_or_none(sm.describe_cluster, ClusterName=s["ClusterName"]) if i < DESCRIBE_EACH_LIMIT else None
        )
        if described:
            groups = [_group_info(g) for g in described.get("InstanceGroups", [])]
            row.status = described["ClusterStatus"]
            row.instance_count = sum(g.current_count for g in groups)
            row.instance_types = sorted({g.instance_type for g in groups})
            row.cost_usd_per_hour = _sum_costs(groups)
        out.append(row)
    total = round(sum(c.cost_usd_per_hour or 0.0 for c in out), 2)
    return ClusterList(clusters=out, total_cost_usd_per_hour=total)


def render_list(r: ClusterList) -> str:
    if not r.clusters:
        return "No HyperPod clusters."
    lines = [f"{len(r.clusters)} HyperPod cluster(s), {per_hour(r.total_cost_usd_per_hour)} in total:"]
    for c in r.clusters:
        size = f"{c.instance_count} x {'/'.join(c.instance_types)}" if c.instance_count is not None else "size n/a"
        lines.append(f"- {c.cluster_name}: {c.status}, {size}, {per_hour(c.cost_usd_per_hour)}")
    return "\n".join(lines)


class DescribeClusterArgs(ClusterArgs):
    pass


def plan_describe(ctx: ToolContext, args: DescribeClusterArgs) -> Plan:
    return read_plan(ctx, "describe_hyperpod_cluster", args, f"describe HyperPod cluster {args.cluster_name}")


def run_describe(ctx: ToolContext, args: DescribeClusterArgs) -> ClusterDetails:
    return _details(ctx, _describe_required(ctx, args.cluster_name))


def render_describe(r: ClusterDetails) -> str:
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


# ------------------------------------------------------------------------------------- create
class InstanceGroupArgs(ToolArgs):
    group_name: Annotated[str, Field(description="Name of the instance group, e.g. workers or controller.")]
    instance_type: Annotated[str, Field(description="HyperPod instance type of the group, e.g. ml.trn2.48xlarge.")]
    instance_count: Annotated[int, Field(ge=1, le=MAX_GROUP_INSTANCES, description="Instances in the group.")]


class CreateClusterArgs(ClusterArgs):
    instance_type: Annotated[
        str | None,
        Field(
            default=None, description="Instance type of the single group, e.g. ml.trn2.48xlarge (or instance_groups)."
        ),
    ] = None
    instance_count: Annotated[
        int | None,
        Field(
            default=None, ge=1, le=MAX_GROUP_INSTANCES, description="Instances in the single group (group 'workers')."
        ),
    ] = None
    orchestrator: Annotated[
        Literal["slurm", "eks"], Field(default="slurm", description="Cluster orchestrator: slurm or eks.")
    ] = "slurm"
    eks_cluster_arn: Annotated[
        str | None, Field(default=None, description="ARN of the EKS cluster; required when orchestrator is eks.")
    ] = None
    lifecycle_s3_uri: Annotated[
        str | None,
        Field(default=None, description="s3:// prefix of the lifecycle scripts (on_create.sh); default from settings."),
    ] = None
    instance_groups: Annotated[
        list[InstanceGroupArgs] | None,
        Field(default=None, min_length=1, description="Several instance groups, instead of instance_type/count."),
    ] = None
    training_plan_arn: Annotated[
        str | None, Field(default=None, description="Run the instances on this training plan's reserved capacity.")
    ] = None

    @field_validator("instance_type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        return None if value is None else check_instance_type(value, "hyperpod").name

    @field_validator("lifecycle_s3_uri")
    @classmethod
    def _lifecycle(cls, value: str | None) -> str | None:
        return None if value is None else s3_uri("lifecycle_s3_uri", value)

    @field_validator("eks_cluster_arn")
    @classmethod
    def _eks(cls, value: str | None) -> str | None:
        if value is not None and not EKS_ARN.match(value):
            raise ToolInputError("eks_cluster_arn", value, "expected arn:aws:eks:<region>:<account>:cluster/<name>")
        return value

    @field_validator("training_plan_arn")
    @classmethod
    def _plan(cls, value: str | None) -> str | None:
        if value is not None and not TRAINING_PLAN_ARN.match(value):
            raise ToolInputError(
                "training_plan_arn", value, "expected arn:aws:sagemaker:<region>:<account>:training-plan/<name>"
            )
        return value

    @field_validator("instance_groups")
    @classmethod
    def _groups(cls, groups: list[InstanceGroupArgs] | None) -> list[InstanceGroupArgs] | None:
        if groups is None:
            return None
        out = []
        for i, g in enumerate(groups):
            sagemaker_name(f"instance_groups[{i}].group_name", g.group_name)
            row = check_instance_type(g.instance_type, "hyperpod", field=f"instance_groups[{i}].instance_type")
            out.append(g.model_copy(update={"instance_type": row.name}))
        names = [g.group_name for g in out]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ToolInputError("instance_groups", names, f"group names must be unique; repeated: {', '.join(dupes)}")
        return out

    @model_validator(mode="after")
    def _shape(self) -> CreateClusterArgs:
        if self.instance_groups is not None:
            if self.instance_type is not None or self.instance_count is not None:
                raise ToolInputError(
                    "instance_groups",
                    "given with instance_type/instance_count",
                    "give instance_type and instance_count for one group, or instance_groups, not both",
                )
        else:
            if self.instance_type is None:
                allowed = ", ".join(i.name for i in catalog().for_use("hyperpod"))
                raise ToolInputError("instance_type", None, f"required (or give instance_groups); allowed: {allowed}")
            if self.instance_count is None:
                raise ToolInputError("instance_count", None, "required (or give instance_groups): 1 or more instances")
        if self.orchestrator == "eks" and self.eks_cluster_arn is None:
            raise ToolInputError("eks_cluster_arn", None, "required when orchestrator is eks: the EKS cluster's ARN")
        if self.orchestrator == "slurm" and self.eks_cluster_arn is not None:
            raise ToolInputError("eks_cluster_arn", self.eks_cluster_arn, "only allowed when orchestrator is eks")
        return self

    def groups(self) -> list[tuple[str, str, int]]:
        """(group name, instance type, count) of every requested group."""
        if self.instance_groups:
            return [(g.group_name, g.instance_type, g.instance_count) for g in self.instance_groups]
        assert self.instance_type is not None and self.instance_count is not None
        return [(DEFAULT_GROUP, self.instance_type, self.instance_count)]


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
            cost_usd_per_hour=_group_cost(itype, count, on_plan),
        )
        for name, itype, count in args.groups()
    ]


def _same_spec(described: dict[str, Any], args: CreateClusterArgs) -> bool:
    have = {(g["InstanceGroupName"], g["InstanceType"], g.get("TargetCount")) for g in described["InstanceGroups"]}
    return have == set(args.groups()) and _orchestrator(described)[0] == args.orchestrator


def plan_create(ctx: ToolContext, args: CreateClusterArgs) -> Plan:
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
    groups = [_group_info(g) for g in described["InstanceGroups"]]
    result = ClusterCreated(
        cluster_name=described["ClusterName"],
        cluster_arn=described["ClusterArn"],
        status=described["ClusterStatus"],
        created=False,
        orchestrator=_orchestrator(described)[0],
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
    verb = "Creating" if r.created else "Kept existing"
    sizes = ", ".join(f"{g.group_name} {g.target_count} x {g.instance_type}" for g in r.groups)
    text = f"{verb} HyperPod cluster {r.cluster_name} ({r.orchestrator}): {sizes}; status {r.status}; "
    text += f"{per_hour(r.cost_usd_per_hour)} once running\n  {r.cluster_arn}"
    return text + (f"\n  note: {r.note}" if r.note else "")


# -------------------------------------------------------------------------------------- scale
class ScaleClusterArgs(ClusterArgs):
    group_name: Annotated[str, Field(default=DEFAULT_GROUP, description="Instance group to resize.")] = DEFAULT_GROUP
    instance_count: Annotated[
        int, Field(ge=1, le=MAX_GROUP_INSTANCES, description="New total number of instances in the group.")
    ]

    @field_validator("group_name")
    @classmethod
    def _group(cls, value: str) -> str:
        return sagemaker_name("group_name", value)


def _group_or_refuse(described: dict[str, Any], group_name: str) -> dict[str, Any]:
    groups = described.get("InstanceGroups", [])
    group = next((g for g in groups if g["InstanceGroupName"] == group_name), None)
    if group is None:
        names = ", ".join(g["InstanceGroupName"] for g in groups) or "none"
        raise ToolInputError("group_name", group_name, f"cluster {described['ClusterName']} has groups: {names}")
    return group


def plan_scale(ctx: ToolContext, args: ScaleClusterArgs) -> Plan:
    described = _describe_required(ctx, args.cluster_name)
    group = _group_or_refuse(described, args.group_name)
    itype, old = group["InstanceType"], int(group.get("TargetCount", group.get("CurrentCount", 0)))
    on_plan = bool(group.get("TrainingPlanArn"))
    before, after = _group_cost(itype, old, on_plan), _group_cost(itype, args.instance_count, on_plan)
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
        aws_operations=["sagemaker:UpdateCluster"],
        cost_usd_per_hour=after,
        cost_note=f"cost_usd_per_hour is the group's spend after scaling; {price_source()}",
        instance_type=itype,
        instance_count=args.instance_count,
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
    sm = ctx.clients.client("sagemaker")
    described = _describe_required(ctx, args.cluster_name)
    group = _group_or_refuse(described, args.group_name)
    itype, old = group["InstanceType"], int(group.get("TargetCount", group.get("CurrentCount", 0)))
    on_plan = bool(group.get("TrainingPlanArn"))
    changed = old != args.instance_count
    if changed:
        sm.update_cluster(**update_request(described, args.group_name, args.instance_count))
    return ClusterScaled(
        cluster_name=args.cluster_name,
        group_name=args.group_name,
        instance_type=itype,
        old_count=old,
        new_count=args.instance_count,
        changed=changed,
        status="Updating" if changed else described["ClusterStatus"],
        cost_usd_per_hour_before=_group_cost(itype, old, on_plan),
        cost_usd_per_hour_after=_group_cost(itype, args.instance_count, on_plan),
    )


def render_scale(r: ClusterScaled) -> str:
    if not r.changed:
        return f"{r.cluster_name}/{r.group_name} already has {r.new_count} x {r.instance_type}; nothing changed."
    return (
        f"Scaling {r.cluster_name}/{r.group_name}: {r.old_count} -> {r.new_count} x {r.instance_type} "
        f"({r.status}); {per_hour(r.cost_usd_per_hour_before)} -> {per_hour(r.cost_usd_per_hour_after)}"
    )


# ------------------------------------------------------------------------------------- delete
class DeleteClusterArgs(ClusterArgs):
    pass


def plan_delete(ctx: ToolContext, args: DeleteClusterArgs) -> Plan:
    details = _details(ctx, _describe_required(ctx, args.cluster_name))
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
        cost_note="cost_usd_per_hour is the spend after deletion",
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
    groups = [_group_info(g) for g in described.get("InstanceGroups", [])]
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
        cost_usd_per_hour_saved=_sum_costs(groups),
    )


def render_delete(r: ClusterDeleted) -> str:
    if not r.deleted:
        return f"HyperPod cluster {r.cluster_name} does not exist; nothing to delete."
    return (
        f"Deleting HyperPod cluster {r.cluster_name} ({r.status}): {r.instances_released} instance(s) released, "
        f"saves {per_hour(r.cost_usd_per_hour_saved)}"
    )


TOOLS: list[Tool] = [
    Tool(
        name="list_hyperpod_clusters",
        domain="training",
        effect=Effect.READ,
        risk=Risk.READ,
        description="List SageMaker HyperPod clusters with status, instance count and hourly cost.",
        args_model=ListClustersArgs,
        plan=plan_list,
        run=run_list,
        render=render_list,
        keywords=("hyperpod", "clusters", "list clusters"),
    ),
    Tool(
        name="describe_hyperpod_cluster",
        domain="training",
        effect=Effect.READ,
        risk=Risk.READ,
        description="Describe a HyperPod cluster: status, instance groups, node counts and cost per hour.",
        args_model=DescribeClusterArgs,
        plan=plan_describe,
        run=run_describe,
        render=render_describe,
        keywords=("hyperpod", "cluster", "status", "nodes"),
    ),
    Tool(
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
        keywords=("hyperpod", "create cluster", "spin up", "trn2", "slurm", "eks"),
    ),
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
        keywords=("hyperpod", "scale", "resize", "add nodes", "remove nodes"),
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
        keywords=("hyperpod", "delete cluster", "tear down"),
    ),
]
