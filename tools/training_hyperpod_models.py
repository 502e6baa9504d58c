"""Argument and result models of the HyperPod cluster tools, and the limits they check.

The tools themselves live in ``training_hyperpod_read`` (list, describe), ``training_hyperpod_create``
and ``training_hyperpod`` (scale, delete, and the catalog order of all five).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from tools.base import ToolArgs
from tools.catalog import catalog, check_instance_type
from tools.errors import ToolInputError
from tools.validation import s3_uri, sagemaker_name

MAX_GROUP_INSTANCES = 6758  # UpdateCluster/CreateCluster limit per instance group
DEFAULT_GROUP = "workers"
EKS_ARN = re.compile(r"^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
TRAINING_PLAN_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:training-plan/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$"
)


# ---------------------------------------------------------------------------------- arguments
class ClusterArgs(ToolArgs):
    """Base of the tools that name one cluster."""

    cluster_name: Annotated[str, Field(description="Name of the HyperPod cluster, e.g. llama-pretrain.")]

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name(cls, value: str) -> str:
        return sagemaker_name("cluster_name", value)


class ListClustersArgs(ToolArgs):
    """No arguments: every cluster of the account and region."""


class DescribeClusterArgs(ClusterArgs):
    pass


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


class ScaleClusterArgs(ClusterArgs):
    group_name: Annotated[str, Field(default=DEFAULT_GROUP, description="Instance group to resize.")] = DEFAULT_GROUP
    instance_count: Annotated[
        int, Field(ge=1, le=MAX_GROUP_INSTANCES, description="New total number of instances in the group.")
    ]

    @field_validator("group_name")
    @classmethod
    def _group(cls, value: str) -> str:
        return sagemaker_name("group_name", value)


class DeleteClusterArgs(ClusterArgs):
    pass


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
