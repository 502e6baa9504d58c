"""Sandbox HyperPod extension: botocore's shapes, lifecycle on the next call, AWS's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.tools.helpers import grant_all
from tools.base import ToolContext
from tools.sandbox.extensions import validate_output

ROLE = "arn:aws:iam::123456789012:role/opsbot-sagemaker-execution"
WRITES = ("sagemaker:CreateCluster", "sagemaker:UpdateCluster", "sagemaker:DeleteCluster")


@pytest.fixture
def sm(ctx: ToolContext) -> Iterator[Any]:
    """The guarded sandbox SageMaker client, with a grant for cluster writes."""
    with grant_all(*WRITES):
        yield ctx.clients.client("sagemaker")


def _error(call: Callable[[], object]) -> dict[str, str]:
    """The error the sandbox answers ``call`` with, as AWS would (the test fails if it succeeds)."""
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]


def _group(name: str, instance_type: str, count: int) -> dict[str, Any]:
    return {
        "InstanceGroupName": name,
        "InstanceType": instance_type,
        "InstanceCount": count,
        "LifeCycleConfig": {"SourceS3Uri": "s3://lifecycle/scripts/", "OnCreate": "on_create.sh"},
        "ExecutionRole": ROLE,
    }


def _checked(sm: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Call ``operation`` and check its response against botocore's output shape."""
    method = sm.raw.meta.method_to_api_mapping
    python_name = next(k for k, v in method.items() if v == operation)
    response = getattr(sm, python_name)(**params)
    validate_output(sm.raw, operation, response)
    return response


def test_seeded_cluster_is_in_service_with_four_trn2_nodes(sm: Any) -> None:
    described = _checked(sm, "DescribeCluster", ClusterName="llama-pretrain")
    assert described["ClusterStatus"] == "InService"
    [group] = described["InstanceGroups"]
    assert (group["InstanceGroupName"], group["InstanceType"], group["CurrentCount"]) == (
        "workers",
        "ml.trn2.48xlarge",
        4,
    )
    nodes = _checked(sm, "ListClusterNodes", ClusterName="llama-pretrain")["ClusterNodeSummaries"]
    assert len(nodes) == 4 and {n["InstanceStatus"]["Status"] for n in nodes} == {"Running"}


@pytest.mark.parametrize("instance_type", ["ml.trn2.48xlarge", "ml.p5en.48xlarge", "ml.p6-b200.48xlarge"])
def test_create_accepts_the_new_accelerator_types_and_settles_on_the_next_describe(sm: Any, instance_type: str) -> None:
    created = _checked(sm, "CreateCluster", ClusterName="c1", InstanceGroups=[_group("workers", instance_type, 2)])
    assert created["ClusterArn"].startswith("arn:aws:sagemaker:us-east-1:123456789012:cluster/")
    described = _checked(sm, "DescribeCluster", ClusterName="c1")
    assert described["ClusterStatus"] == "InService"
    assert described["InstanceGroups"][0]["CurrentCount"] == 2
    assert _checked(sm, "DescribeCluster", ClusterName=created["ClusterArn"])["ClusterName"] == "c1"


def test_create_is_refused_as_aws_would(sm: Any) -> None:
    def create(name: str, groups: list[dict[str, Any]]) -> dict[str, str]:
        return _error(lambda: sm.create_cluster(ClusterName=name, InstanceGroups=groups))

    assert create("llama-pretrain", [_group("w", "ml.trn2.48xlarge", 1)])["Code"] == "ResourceInUse"
    bad_type = create("c2", [_group("w", "ml.inf2.xlarge", 1)])
    assert bad_type["Code"] == "ValidationException" and "ml.inf2.xlarge" in bad_type["Message"]
    assert create("c3", [_group("w", "ml.trn2.48xlarge", 1)] * 2)["Code"] == "ValidationException"
    plan = "arn:aws:sagemaker:us-east-1:123456789012:training-plan/none"
    no_plan = create("c4", [{**_group("w", "ml.trn2.48xlarge", 1), "TrainingPlanArn": plan}])
    assert "does not exist" in no_plan["Message"]


def test_update_resizes_a_group_and_settles_on_the_next_describe(sm: Any) -> None:
    updated = _checked(
        sm, "UpdateCluster", ClusterName="llama-pretrain", InstanceGroups=[_group("workers", "ml.trn2.48xlarge", 6)]
    )
    described = _checked(sm, "DescribeCluster", ClusterName="llama-pretrain")
    assert updated["ClusterArn"] == described["ClusterArn"]
    assert described["ClusterStatus"] == "InService"
    assert (described["InstanceGroups"][0]["TargetCount"], described["InstanceGroups"][0]["CurrentCount"]) == (6, 6)
    assert len(sm.list_cluster_nodes(ClusterName="llama-pretrain")["ClusterNodeSummaries"]) == 6
    # scaling in removes nodes; a new group is added; a group can be deleted
    sm.update_cluster(ClusterName="llama-pretrain", InstanceGroups=[_group("workers", "ml.trn2.48xlarge", 1)])
    sm.update_cluster(ClusterName="llama-pretrain", InstanceGroups=[_group("login", "ml.c7g.xlarge", 1)])
    nodes = sm.list_cluster_nodes(ClusterName="llama-pretrain")["ClusterNodeSummaries"]
    assert sorted(n["InstanceGroupName"] for n in nodes) == ["login", "workers"]
    sm.update_cluster(ClusterName="llama-pretrain", InstanceGroupsToDelete=["login"])
    assert [g["InstanceGroupName"] for g in sm.describe_cluster(ClusterName="llama-pretrain")["InstanceGroups"]] == [
        "workers"
    ]


def test_update_cannot_change_a_group_type_and_needs_the_cluster(sm: Any) -> None:
    def update(name: str, instance_type: str) -> dict[str, str]:
        return _error(lambda: sm.update_cluster(ClusterName=name, InstanceGroups=[_group("workers", instance_type, 4)]))

    assert update("llama-pretrain", "ml.trn1.32xlarge")["Code"] == "ValidationException"
    assert update("nope", "ml.trn2.48xlarge")["Code"] == "ResourceNotFound"


def test_delete_then_the_cluster_is_gone(sm: Any) -> None:
    _checked(sm, "DeleteCluster", ClusterName="llama-pretrain")
    assert _checked(sm, "ListClusters")["ClusterSummaries"] == []
    assert _error(lambda: sm.describe_cluster(ClusterName="llama-pretrain"))["Code"] == "ResourceNotFound"


def test_list_filters_sorts_and_pages(sm: Any) -> None:
    for name in ("b-one", "a-two", "c-three"):
        sm.create_cluster(ClusterName=name, InstanceGroups=[_group("w", "ml.g5.xlarge", 1)])
    page = _checked(sm, "ListClusters", SortBy="NAME", MaxResults=2)
    assert [c["ClusterName"] for c in page["ClusterSummaries"]] == ["a-two", "b-one"]
    rest = _checked(sm, "ListClusters", SortBy="NAME", MaxResults=2, NextToken=page["NextToken"])
    assert [c["ClusterName"] for c in rest["ClusterSummaries"]] == ["c-three", "llama-pretrain"]
    assert "NextToken" not in rest
    assert [c["ClusterName"] for c in sm.list_clusters(NameContains="two")["ClusterSummaries"]] == ["a-two"]


def test_nodes_page_and_each_node_is_described(sm: Any) -> None:
    first = _checked(sm, "ListClusterNodes", ClusterName="llama-pretrain", MaxResults=3)
    assert len(first["ClusterNodeSummaries"]) == 3 and first["NextToken"]
    node_id = first["ClusterNodeSummaries"][0]["InstanceId"]
    node = _checked(sm, "DescribeClusterNode", ClusterName="llama-pretrain", NodeId=node_id)["NodeDetails"]
    assert (node["InstanceId"], node["InstanceGroupName"]) == (node_id, "workers")


def test_moto_list_tags_finds_sandbox_clusters(sm: Any) -> None:
    arn = sm.create_cluster(
        ClusterName="tagged", InstanceGroups=[_group("w", "ml.trn2.48xlarge", 1)], Tags=[{"Key": "k", "Value": "v"}]
    )["ClusterArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_settled_state_is_saved_for_other_processes(ctx: ToolContext, sm: Any) -> None:
    # GIVEN a cluster created and then described (which settles it to InService)
    sm.create_cluster(ClusterName="persisted", InstanceGroups=[_group("w", "ml.trn2.48xlarge", 1)])
    sm.describe_cluster(ClusterName="persisted")
    # WHEN the saved state is loaded afresh THEN it holds the settled cluster
    sandbox = ctx.clients.sandbox
    sandbox.reload()
    from moto.backends import get_backend

    clusters = get_backend("sagemaker")["123456789012"]["us-east-1"].clusters.values()
    assert {c.name: c.status for c in clusters}["persisted"] == "InService"
