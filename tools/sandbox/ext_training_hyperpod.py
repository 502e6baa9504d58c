"""Sandbox HyperPod clusters: every cluster operation opsbot uses, with trn2, p5en and p6 types.

moto 5.2 rejects those instance types, insists on ``s3://sagemaker-`` lifecycle URIs and has no
UpdateCluster, so the sandbox owns all of them: Create, Describe, List, Update, Delete,
ListClusterNodes and DescribeClusterNode. Clusters are kept in moto's own ``clusters`` dict,
keyed by cluster id as in the real ARN, so moto's ListTags/AddTags keep working on them.

Transitions happen on the next call that touches the cluster: Creating and Updating become
InService (nodes follow the target counts), Deleting disappears.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.sandbox.ext_training_common import (
    arn,
    check_enum,
    not_found,
    now,
    paginate,
    sagemaker_backend,
    short_hash,
    sort_items,
    tags_of,
    within,
)
from tools.sandbox.extensions import Call, ExtensionError, extension

# Fields of an instance group request that the cluster keeps and echoes in DescribeCluster.
GROUP_SPEC_FIELDS = (
    "InstanceGroupName",
    "InstanceType",
    "LifeCycleConfig",
    "ExecutionRole",
    "ThreadsPerCore",
    "InstanceStorageConfigs",
    "OnStartDeepHealthChecks",
    "TrainingPlanArn",
    "OverrideVpcConfig",
)
SETTLING = ("Creating", "Updating", "SystemUpdating")


@dataclass
class ClusterNode:
    """One instance of a cluster."""

    group: str
    instance_id: str
    instance_type: str
    launch_time: datetime
    status: str = "Running"


@dataclass
class HyperPodCluster:
    """A cluster as the sandbox stores it. ``tags`` is read by moto's ListTags."""

    cluster_id: str
    name: str
    arn: str
    creation_time: datetime
    groups: list[dict[str, Any]]
    status: str = "Creating"
    orchestrator: dict[str, Any] | None = None
    vpc_config: dict[str, Any] | None = None
    node_recovery: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    nodes: list[ClusterNode] = field(default_factory=list)
    node_seq: int = 0

    def group(self, name: str) -> dict[str, Any] | None:
        return next((g for g in self.groups if g["InstanceGroupName"] == name), None)


def _clusters(call: Call) -> dict[str, HyperPodCluster]:
    return sagemaker_backend(call).clusters


def _advance(call: Call, cluster: HyperPodCluster) -> bool:
    """Move a settling cluster on; False if it was deleted (and is now gone)."""
    if cluster.status == "Deleting":
        _clusters(call).pop(cluster.cluster_id, None)
        call.changed = True
        return False
    if cluster.status in SETTLING:
        call.changed = True
        for group in cluster.groups:
            _sync_nodes(cluster, group)
            group["CurrentCount"] = group["TargetCount"]
            group["Status"] = "InService"
        cluster.status = "InService"
    return True


def _sync_nodes(cluster: HyperPodCluster, group: dict[str, Any]) -> None:
    name = group["InstanceGroupName"]
    mine = [n for n in cluster.nodes if n.group == name]
    for extra in mine[group["TargetCount"] :]:
        cluster.nodes.remove(extra)
    for _ in range(group["TargetCount"] - len(mine)):
        cluster.node_seq += 1
        node_id = "i-" + short_hash(cluster.cluster_id, name, cluster.node_seq, length=17)
        cluster.nodes.append(ClusterNode(name, node_id, group["InstanceType"], now()))


def _find(call: Call, name_or_arn: str) -> HyperPodCluster:
    """The cluster called (or with ARN) ``name_or_arn``, advanced; ResourceNotFound otherwise."""
    for cluster in list(_clusters(call).values()):
        if not isinstance(cluster, HyperPodCluster):
            continue
        if name_or_arn in (cluster.name, cluster.arn) and _advance(call, cluster):
            return cluster
    raise not_found(f"Cluster {name_or_arn} not found.")


def _all(call: Call) -> list[HyperPodCluster]:
    clusters = [c for c in list(_clusters(call).values()) if isinstance(c, HyperPodCluster)]
    return [c for c in clusters if _advance(call, c)]


def _new_group(call: Call, spec: dict[str, Any], where: str) -> dict[str, Any]:
    """A stored group from a request group, checked as AWS checks it."""
    check_enum(spec["InstanceType"], "ClusterInstanceType", f"{where}.instanceType")
    if spec["InstanceCount"] < 0:
        raise ExtensionError("ValidationException", f"{where}.instanceCount must be at least 0")
    if not (spec.get("LifeCycleConfig") or {}).get("SourceS3Uri", "").startswith("s3://"):
        raise ExtensionError("ValidationException", f"{where}.lifeCycleConfig.sourceS3Uri must be an s3:// URI")
    plan_arn = spec.get("TrainingPlanArn")
    if plan_arn:
        _check_training_plan(call, plan_arn, spec["InstanceType"])
    group = {k: copy.deepcopy(spec[k]) for k in GROUP_SPEC_FIELDS if k in spec}
    group.update(CurrentCount=0, TargetCount=spec["InstanceCount"], Status="Creating")
    if plan_arn:
        group["TrainingPlanStatus"] = "Active"
    return group


def _check_training_plan(call: Call, plan_arn: str, instance_type: str) -> None:
    plans = call.state.get("training_plans", {})
    plan = next((p for p in plans.values() if p["TrainingPlanArn"] == plan_arn), None)
    if plan is None:
        raise ExtensionError("ValidationException", f"Training plan {plan_arn} does not exist.")
    plan_type = plan["ReservedCapacitySummaries"][0]["InstanceType"]
    if plan_type != instance_type:
        raise ExtensionError(
            "ValidationException", f"Training plan {plan_arn} reserves {plan_type}, not {instance_type}."
        )


@extension("sagemaker", "CreateCluster")
def create_cluster(call: Call) -> dict[str, Any]:
    """CreateCluster: any HyperPod instance type of botocore's model; the cluster starts Creating."""
    p = call.params
    name = p["ClusterName"]
    if any(c.name == name for c in _all(call)):
        raise ExtensionError(
            "ResourceInUse",
            f"Resource Already Exists: Cluster with name {name} already exists. Choose a different name.",
        )
    specs = p.get("InstanceGroups") or []
    if not specs:
        raise ExtensionError("ValidationException", "InstanceGroups must contain at least one instance group.")
    names = [g["InstanceGroupName"] for g in specs]
    if len(set(names)) != len(names):
        raise ExtensionError("ValidationException", "Instance group names must be unique within a cluster.")
    groups = [_new_group(call, g, f"instanceGroups.{i + 1}.member") for i, g in enumerate(specs)]
    # A counter, not the clock, makes the id unique: a reseeded sandbox gets the same ids again.
    seq = call.state["hyperpod_cluster_seq"] = call.state.get("hyperpod_cluster_seq", 0) + 1
    cluster_id = short_hash(call.account, call.region, name, seq)
    cluster = HyperPodCluster(
        cluster_id=cluster_id,
        name=name,
        arn=arn(call, "cluster", cluster_id),
        creation_time=now(),
        groups=groups,
        orchestrator=copy.deepcopy(p.get("Orchestrator")),
        vpc_config=copy.deepcopy(p.get("VpcConfig")),
        node_recovery=p.get("NodeRecovery"),
        tags=tags_of(call),
    )
    _clusters(call)[cluster_id] = cluster
    return {"ClusterArn": cluster.arn}


def _describe(cluster: HyperPodCluster) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ClusterArn": cluster.arn,
        "ClusterName": cluster.name,
        "ClusterStatus": cluster.status,
        "CreationTime": cluster.creation_time,
        "InstanceGroups": copy.deepcopy(cluster.groups),
    }
    if cluster.orchestrator:
        out["Orchestrator"] = copy.deepcopy(cluster.orchestrator)
    if cluster.vpc_config:
        out["VpcConfig"] = copy.deepcopy(cluster.vpc_config)
    if cluster.node_recovery:
        out["NodeRecovery"] = cluster.node_recovery
    return out


@extension("sagemaker", "DescribeCluster")
def describe_cluster(call: Call) -> dict[str, Any]:
    """DescribeCluster by name or ARN."""
    return _describe(_find(call, call.params["ClusterName"]))


@extension("sagemaker", "ListClusters")
def list_clusters(call: Call) -> dict[str, Any]:
    """ListClusters with the name, time and training-plan filters, sorting and paging."""
    p = call.params
    clusters = _all(call)
    if p.get("NameContains"):
        clusters = [c for c in clusters if p["NameContains"] in c.name]
    clusters = within(clusters, p, "CreationTimeAfter", "CreationTimeBefore", lambda c: c.creation_time)
    if p.get("TrainingPlanArn"):
        clusters = [c for c in clusters if any(g.get("TrainingPlanArn") == p["TrainingPlanArn"] for g in c.groups)]
    key = (lambda c: c.name) if p.get("SortBy") == "NAME" else (lambda c: c.creation_time)
    page, more = paginate(call, sort_items(clusters, key, p.get("SortOrder")))
    summaries = []
    for c in page:
        summary: dict[str, Any] = {
            "ClusterArn": c.arn,
            "ClusterName": c.name,
            "CreationTime": c.creation_time,
            "ClusterStatus": c.status,
        }
        plans = sorted({g["TrainingPlanArn"] for g in c.groups if g.get("TrainingPlanArn")})
        if plans:
            summary["TrainingPlanArns"] = plans
        summaries.append(summary)
    return {"ClusterSummaries": summaries, **more}


@extension("sagemaker", "UpdateCluster")
def update_cluster(call: Call) -> dict[str, Any]:
    """UpdateCluster: new target counts (or specs) for the listed groups, new groups, deletions."""
    p = call.params
    cluster = _find(call, p["ClusterName"])
    if cluster.status != "InService":
        raise ExtensionError("ConflictException", f"Cluster {cluster.name} is {cluster.status}; it must be InService.")
    for i, spec in enumerate(p.get("InstanceGroups") or []):
        where = f"instanceGroups.{i + 1}.member"
        group = cluster.group(spec["InstanceGroupName"])
        if group is None:
            cluster.groups.append(_new_group(call, spec, where))
            continue
        if spec.get("InstanceType") and spec["InstanceType"] != group["InstanceType"]:
            raise ExtensionError(
                "ValidationException",
                f"The instance type of instance group {group['InstanceGroupName']} cannot be changed.",
            )
        if spec["InstanceCount"] < 0:
            raise ExtensionError("ValidationException", f"{where}.instanceCount must be at least 0")
        for key in GROUP_SPEC_FIELDS:
            if key in spec and key != "InstanceType":
                group[key] = copy.deepcopy(spec[key])
        group["TargetCount"] = spec["InstanceCount"]
        group["Status"] = "Updating"
    for name in p.get("InstanceGroupsToDelete") or []:
        group = cluster.group(name)
        if group is None:
            raise ExtensionError("ValidationException", f"Instance group {name} does not exist.")
        cluster.groups.remove(group)
        cluster.nodes = [n for n in cluster.nodes if n.group != name]
    if p.get("NodeRecovery"):
        cluster.node_recovery = p["NodeRecovery"]
    cluster.status = "Updating"
    return {"ClusterArn": cluster.arn}


@extension("sagemaker", "DeleteCluster")
def delete_cluster(call: Call) -> dict[str, Any]:
    """DeleteCluster: the cluster is Deleting, and gone by the next call."""
    cluster = _find(call, call.params["ClusterName"])
    cluster.status = "Deleting"
    for group in cluster.groups:
        group["Status"] = "Deleting"
    return {"ClusterArn": cluster.arn}


def _node_summary(cluster: HyperPodCluster, node: ClusterNode) -> dict[str, Any]:
    return {
        "InstanceGroupName": node.group,
        "InstanceId": node.instance_id,
        "InstanceType": node.instance_type,
        "LaunchTime": node.launch_time,
        "InstanceStatus": {"Status": node.status, "Message": ""},
    }


@extension("sagemaker", "ListClusterNodes")
def list_cluster_nodes(call: Call) -> dict[str, Any]:
    """ListClusterNodes with the group filter, sorting and paging."""
    p = call.params
    cluster = _find(call, p["ClusterName"])
    nodes = list(cluster.nodes)
    if p.get("InstanceGroupNameContains"):
        nodes = [n for n in nodes if p["InstanceGroupNameContains"] in n.group]
    nodes = within(nodes, p, "CreationTimeAfter", "CreationTimeBefore", lambda n: n.launch_time)
    key = (lambda n: (n.group, n.instance_id)) if p.get("SortBy") == "NAME" else (lambda n: n.launch_time)
    page, more = paginate(call, sort_items(nodes, key, p.get("SortOrder")))
    return {"ClusterNodeSummaries": [_node_summary(cluster, n) for n in page], **more}


@extension("sagemaker", "DescribeClusterNode")
def describe_cluster_node(call: Call) -> dict[str, Any]:
    """DescribeClusterNode by instance id."""
    cluster = _find(call, call.params["ClusterName"])
    node_id = call.params.get("NodeId")
    node = next((n for n in cluster.nodes if n.instance_id == node_id), None)
    if node is None:
        raise not_found(f"Node {node_id} not found in cluster {cluster.name}.")
    group = cluster.group(node.group) or {}
    details = _node_summary(cluster, node)
    for key in ("LifeCycleConfig", "ThreadsPerCore", "InstanceStorageConfigs"):
        if key in group:
            details[key] = copy.deepcopy(group[key])
    return {"NodeDetails": details}
