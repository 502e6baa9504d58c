"""create_hyperpod_cluster: create a Slurm or EKS HyperPod cluster, once per request.

Instance groups that run on a training plan add no hourly spend (the plan's capacity is prepaid);
their list price is kept in the plan's facts as ``on_demand_equivalent_usd_per_hour``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from tools.aws import create_once
from tools.base import AwsOperation, Effect, Plan, PlannedGroup, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import catalog, check_instance_type, instance_type_for, money, price, price_source
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Count, InstanceType, Kind, Name
from tools.training.clusters import (
    DEFAULT_GROUP,
    MAX_GROUP_INSTANCES,
    ClusterArgs,
    GroupInfo,
    describe_cluster,
    group_cost,
    group_info,
    orchestrator_of,
)
from tools.training.common import is_own_attempt
from tools.validation import S3Uri, SageMakerName, sagemaker_name

ON_CREATE_SCRIPT = "on_create.sh"
EKS_ARN = re.compile(r"^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
TRAINING_PLAN_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:training-plan/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$"
)


class InstanceGroupArgs(ToolArgs):
    """One instance group of a new cluster."""

    group_name: Annotated[
        str, Name("instance_group", new=True), Field(description="Name of the instance group, e.g. workers.")
    ]
    instance_type: Annotated[
        str, InstanceType("hyperpod"), Field(description="HyperPod instance type of the group, e.g. ml.trn2.48xlarge.")
    ]
    instance_count: Annotated[
        int, Count("instance"), Field(ge=1, le=MAX_GROUP_INSTANCES, description="Instances in the group.")
    ]


class CreateClusterArgs(ClusterArgs):
    """create_hyperpod_cluster's arguments: one group (instance_type, instance_count) or several."""

    cluster_name: Annotated[
        str,
        Name("hyperpod_cluster", new=True),
        SageMakerName,
        Field(description="Name of the HyperPod cluster, e.g. llama-pretrain."),
    ]
    instance_type: Annotated[
        str | None,
        InstanceType("hyperpod"),
        instance_type_for("hyperpod"),
        Field(
            default=None, description="Instance type of the single group, e.g. ml.trn2.48xlarge (or instance_groups)."
        ),
    ] = None
    instance_count: Annotated[
        int | None,
        Count("instance"),
        Field(
            default=None, ge=1, le=MAX_GROUP_INSTANCES, description="Instances in the single group (group 'workers')."
        ),
    ] = None
    orchestrator: Annotated[
        Literal["slurm", "eks"],
        ArgKind(Kind.ENUM, synonyms={"eks": ("kubernetes", "k8s")}),
        Field(default="slurm", description="Cluster orchestrator: slurm or eks."),
    ] = "slurm"
    eks_cluster_arn: Annotated[
        str | None,
        ArgKind(Kind.ARN, of="eks_cluster", required_when=("orchestrator", "eks")),
        Field(default=None, description="ARN of the EKS cluster; required when orchestrator is eks."),
    ] = None
    lifecycle_s3_uri: Annotated[
        str | None,
        ArgKind(Kind.S3_URI, role="lifecycle"),
        S3Uri,
        Field(default=None, description="s3:// prefix of the lifecycle scripts (on_create.sh); default from settings."),
    ] = None
    instance_groups: Annotated[
        list[InstanceGroupArgs] | None,
        ArgKind(Kind.LIST),
        Field(default=None, min_length=1, description="Several instance groups, instead of instance_type/count."),
    ] = None
    training_plan_arn: Annotated[
        str | None,
        ArgKind(Kind.ARN, of="training_plan"),
        Field(default=None, description="Run the instances on this training plan's reserved capacity."),
    ] = None

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
            "ExecutionRole": ctx.sagemaker_role_arn,
            "ThreadsPerCore": 1,
        }
        if args.training_plan_arn:
            group["TrainingPlanArn"] = args.training_plan_arn
        groups.append(group)
    request: dict[str, Any] = {"ClusterName": args.cluster_name, "InstanceGroups": groups, "NodeRecovery": "Automatic"}
    if args.orchestrator == "eks":
        request["Orchestrator"] = {"Eks": {"ClusterArn": args.eks_cluster_arn}}
    tags = ctx.request_tags()
    if tags:
        request["Tags"] = tags
    return request


def create_operation(request: dict[str, Any]) -> AwsOperation:
    """CreateCluster, pinned to the cluster's name and groups."""
    return AwsOperation(
        operation="sagemaker:CreateCluster",
        params={"ClusterName": request["ClusterName"], "InstanceGroups": request["InstanceGroups"]},
    )


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
            f"  group {g.group_name}: {g.target_count} x {g.instance_type} at "
            f"{money(g.price_usd_per_hour, per_hour=True)} each"
            for g in groups
        ),
        f"lifecycle scripts: {lifecycle_uri(ctx, args).rstrip('/')}/{ON_CREATE_SCRIPT}",
        f"execution role: {ctx.sagemaker_role_arn}",
        f"cost: {money(hourly, per_hour=True)} added while the cluster exists (all groups, {price_source()})",
    ]
    warnings = []
    if args.training_plan_arn:
        changes.append(
            f"capacity from training plan {args.training_plan_arn} "
            f"(prepaid; list price {money(list_price, per_hour=True)})"
        )
    existing = describe_cluster(ctx, args.cluster_name)
    if existing is not None:
        outcome = (
            "it has this spec, so the run returns it unchanged"
            if _same_spec(existing, args)
            else ("with another spec: the run will refuse")
        )
        warnings.append(f"cluster {args.cluster_name} already exists ({existing['ClusterStatus']}); {outcome}")
    return Plan(
        summary=f"create HyperPod cluster {args.cluster_name}: {total} instance(s), {money(hourly, per_hour=True)}",
        changes=changes,
        aws_operations=[create_operation(create_request(ctx, args))],
        cost_usd_per_hour=round(hourly, 2),
        cost_note=f"runs until deleted; {price_source()}",
        instance_type=costliest.instance_type,
        instance_count=total,
        instance_groups=[
            PlannedGroup(name=g.group_name, instance_type=g.instance_type, instance_count=g.target_count)
            for g in groups
        ],
        facts={
            "orchestrator": args.orchestrator,
            "instance_groups": [
                {"group_name": g.group_name, "instance_type": g.instance_type, "instance_count": g.target_count}
                for g in groups
            ],
            "instance_types": sorted({g.instance_type for g in groups}),
            "lifecycle_s3_uri": lifecycle_uri(ctx, args),
            "execution_role_arn": ctx.sagemaker_role_arn,
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
    found, outcome = create_once(
        lambda: describe_cluster(ctx, args.cluster_name), lambda: sm.create_cluster(**create_request(ctx, args))
    )
    if outcome != "created":
        return _found_existing(ctx, args, found)
    groups = _planned_groups(args)
    return ClusterCreated(
        cluster_name=args.cluster_name,
        cluster_arn=found["ClusterArn"],
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
    text += f"{money(r.cost_usd_per_hour, per_hour=True)} once running\n  {r.cluster_arn}"
    return text + (f"\n  note: {r.note}" if r.note else "")


CREATE_TOOL = Tool(
    name="create_hyperpod_cluster",
    description=(
        "Create a HyperPod cluster (Slurm or EKS) with one group of instance_count x instance_type, "
        "or several instance_groups, optionally on a training plan."
    ),
    label="create a HyperPod cluster",
    phrasings=(
        "(create|launch|spin up|provision|set up|setup|stand up|make|build|start|bring up|deploy|kick off|fire "
        "up|new) [me] [a|an] [new] [hyperpod] cluster",
        "(need|want|would like|like) [a|an] [new] [hyperpod] cluster",
        "(name|call) it {cluster_name}",
        "(named|called) {cluster_name}",
        "name [is|:] {cluster_name}",
        "(create|launch|spin up|provision|set up|setup|stand up|make|build|start|bring up|deploy|kick off|fire "
        "up|new) [me] {cluster_name}",
        "(with|on|using) [the] {orchestrator} [orchestrator|orchestration]",
        "{orchestrator} (orchestrator|orchestration|based)",
        "lifecycle [script|scripts|config] [at|in|from] {lifecycle_s3_uri}",
        "[in|with|on|into|from|using] [the] [eks] cluster {eks_cluster_arn}",
        "[with|on|from|using] [the] [training] plan {training_plan_arn}",
    ),
    effect=Effect.WRITE,
    risk=Risk.HIGH,
    args_model=CreateClusterArgs,
    plan=plan_create,
    run=run_create,
    render=render_create,
)
