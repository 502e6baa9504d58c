"""create_hyperpod_cluster: create a Slurm or EKS HyperPod cluster, once per request.

Instance groups that run on a training plan add no hourly spend (the plan's capacity is prepaid);
their list price is kept in the plan's facts as ``on_demand_equivalent_usd_per_hour``. The plan checks
what a real create needs (``readiness``): the lifecycle script, the execution role, the subnets and
security groups, and EFA for the instance types that use it; a missing piece refuses the plan.
A cluster of that name with that spec already there is a plan with nothing to do.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from tools.aws import create_once
from tools.base import AwsOperation, Effect, Plan, PlannedGroup, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import catalog, check_instance_type, instance_type_for, money, price, price_notes, price_source
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
from tools.training.readiness import Network, check_lifecycle, check_network, check_role, network_for
from tools.validation import S3Uri, SageMakerName, sagemaker_name

ON_CREATE_SCRIPT = "on_create.sh"
EKS_ARN = re.compile(r"^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
MAX_VPC_IDS = 16  # VpcConfig takes at most 16 subnets and 5 security groups
MAX_SECURITY_GROUPS = 5
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
    subnet_ids: Annotated[
        list[str] | None,
        ArgKind(Kind.ID, of="subnet"),
        Field(
            default=None,
            min_length=1,
            max_length=MAX_VPC_IDS,
            description='VPC subnets for the instances, e.g. ["subnet-0abc..."] (with security_group_ids); '
            "without them the cluster uses SageMaker's own VPC.",
        ),
    ] = None
    security_group_ids: Annotated[
        list[str] | None,
        ArgKind(Kind.ID, of="security_group"),
        Field(
            default=None,
            min_length=1,
            max_length=MAX_SECURITY_GROUPS,
            description="Security groups for the instances (with subnet_ids); for EFA instance types one must "
            "allow all traffic to and from itself.",
        ),
    ] = None

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str] | None) -> list[str] | None:
        for i, item in enumerate(value or []):
            if not SUBNET_ID.match(item):
                raise ToolInputError(f"subnet_ids[{i}]", item, "expected a subnet id like subnet-0123456789abcdef0")
        return value

    @field_validator("security_group_ids")
    @classmethod
    def _security_groups(cls, value: list[str] | None) -> list[str] | None:
        for i, item in enumerate(value or []):
            if not SECURITY_GROUP_ID.match(item):
                raise ToolInputError(
                    f"security_group_ids[{i}]", item, "expected a security group id like sg-0123456789abcdef0"
                )
        return value

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
        if bool(self.subnet_ids) != bool(self.security_group_ids):
            missing = "security_group_ids" if self.subnet_ids else "subnet_ids"
            raise ToolInputError(missing, None, "a VPC needs both subnet_ids and security_group_ids")
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


def create_request(ctx: ToolContext, args: CreateClusterArgs, net: Network | None = None) -> dict[str, Any]:
    """The CreateCluster request for ``args`` (exactly what run sends), in ``net`` (found when not given)."""
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
    net = net or network_for(ctx, args.subnet_ids, args.security_group_ids)
    if net.subnet_ids and net.security_group_ids:
        request["VpcConfig"] = {"SecurityGroupIds": net.security_group_ids, "Subnets": net.subnet_ids}
    if args.orchestrator == "eks":
        request["Orchestrator"] = {"Eks": {"ClusterArn": args.eks_cluster_arn}}
    tags = ctx.request_tags()
    if tags:
        request["Tags"] = tags
    return request


def create_operation(request: dict[str, Any]) -> AwsOperation:
    """CreateCluster, pinned to the cluster's name, groups and network."""
    params = {"ClusterName": request["ClusterName"], "InstanceGroups": request["InstanceGroups"]}
    if "VpcConfig" in request:
        params["VpcConfig"] = request["VpcConfig"]
    return AwsOperation(operation="sagemaker:CreateCluster", params=params)


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


def _existing_plan(args: CreateClusterArgs, existing: dict[str, Any], groups: list[GroupInfo]) -> Plan:
    """A cluster of this name is there: with this spec there is nothing to do; with another, refuse now
    (the run would refuse after someone approved it)."""
    status = existing["ClusterStatus"]
    if not _same_spec(existing, args):
        have = ", ".join(
            f"{g['InstanceGroupName']} {g.get('TargetCount')} x {g['InstanceType']}" for g in existing["InstanceGroups"]
        )
        raise ToolInputError(
            "cluster_name",
            args.cluster_name,
            f"a HyperPod cluster with this name already exists ({status}: {have}); choose another name, or use "
            "scale_hyperpod_cluster to resize it",
        )
    total = sum(g.target_count for g in groups)
    return Plan(
        summary=f"HyperPod cluster {args.cluster_name} already exists with this spec ({status}); nothing to create",
        cost_usd_per_hour=round(sum(g.cost_usd_per_hour or 0.0 for g in groups), 2),
        instance_type=groups[0].instance_type,
        instance_count=total,
        facts={"exists": True, "status": status, "cluster_arn": existing["ClusterArn"]},
    )


def plan_create(ctx: ToolContext, args: CreateClusterArgs) -> Plan:
    """The groups, lifecycle scripts, role, network and hourly cost, after checking that a real create has
    what it needs; nothing to do when the cluster already exists with this spec."""
    groups = _planned_groups(args)
    existing = describe_cluster(ctx, args.cluster_name)
    if existing is not None:
        return _existing_plan(args, existing, groups)
    lifecycle = lifecycle_uri(ctx, args)
    lifecycle_field = (
        "lifecycle_s3_uri" if args.lifecycle_s3_uri else "lifecycle_s3_uri (OPSBOT_HYPERPOD_LIFECYCLE_S3_URI)"
    )
    types = [g.instance_type for g in groups]
    net = network_for(ctx, args.subnet_ids, args.security_group_ids)
    checks = [
        check_lifecycle(ctx, lifecycle, ON_CREATE_SCRIPT, lifecycle_field),
        check_role(ctx, ctx.sagemaker_role_arn),
        *check_network(ctx, net.subnet_ids, net.security_group_ids, types),
    ]
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
        f"lifecycle scripts: {lifecycle.rstrip('/')}/{ON_CREATE_SCRIPT}",
        f"execution role: {ctx.sagemaker_role_arn}",
        f"network: {net.why}",
        *(f"check {c.line()}" for c in checks),
        f"cost: {money(hourly, per_hour=True)} added while the cluster exists (all groups, {price_source()})",
    ]
    notes = price_notes(types)
    estimated = [t for t in dict.fromkeys(types) if price_notes([t])]
    warnings = [f"{t} has no published on-demand price: its cost is an estimate (see the cost note)" for t in estimated]
    warnings += [f"{c.name} not checked: {c.detail}" for c in checks if c.ok is None]
    if args.training_plan_arn:
        changes.append(
            f"capacity from training plan {args.training_plan_arn} "
            f"(prepaid; list price {money(list_price, per_hour=True)})"
        )
    cost_note = f"runs until deleted; {price_source()}" + "".join(f"; {n}" for n in notes)
    return Plan(
        summary=f"create HyperPod cluster {args.cluster_name}: {total} instance(s), {money(hourly, per_hour=True)}",
        changes=changes,
        aws_operations=[create_operation(create_request(ctx, args, net))],
        cost_usd_per_hour=round(hourly, 2),
        cost_note=cost_note,
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
            "lifecycle_s3_uri": lifecycle,
            "execution_role_arn": ctx.sagemaker_role_arn,
            "training_plan_arn": args.training_plan_arn,
            "vpc": {"subnet_ids": net.subnet_ids, "security_group_ids": net.security_group_ids, "why": net.why}
            if net.subnet_ids
            else None,
            "network": net.why,
            "readiness": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
            "on_demand_equivalent_usd_per_hour": round(list_price, 2),
            "exists": False,
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
