"""create_hyperpod_cluster against the sandbox: the plan, the exact request, the result, idempotency."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from tests.tools.helpers import approve_and_run, lose_first_answer, record
from tests.tools.training.sandbox import LIFECYCLE, ROLE, TRN2, describe_cluster
from tools import runtime
from tools.aws import AwsClients
from tools.base import Effect, Risk, ToolContext
from tools.config import get_settings
from tools.errors import MutationBlockedError, ToolInputError
from tools.registry import get_tool
from tools.training.cluster_create import ClusterCreated
from tools.training.clusters import ClusterList


# --------------------------------------------------------------------------------------- create
def test_create_plans_cost_and_sends_exactly_the_expected_request(ctx: ToolContext) -> None:
    # GIVEN a request for 8 trn2 nodes
    raw = {"cluster_name": "llama-pt", "instance_type": "trn2.48xlarge", "instance_count": 8}
    recorder = record(ctx)
    # WHEN it is planned, approved and run
    plan, out = approve_and_run(ctx, "create_hyperpod_cluster", raw, approval_id="ap-create-1")
    # THEN the plan prices 8 instances and names the one write it makes
    assert (plan.effect, plan.risk) == (Effect.WRITE, Risk.HIGH)
    assert (plan.instance_type, plan.instance_count) == ("ml.trn2.48xlarge", 8)
    assert plan.cost_usd_per_hour == pytest.approx(8 * TRN2)
    assert plan.operation_names() == ["sagemaker:CreateCluster"] == recorder.writes()
    assert any("added while the cluster exists" in c for c in plan.changes)
    # AND the request is exactly this
    assert recorder.params("CreateCluster") == {
        "ClusterName": "llama-pt",
        "InstanceGroups": [
            {
                "InstanceGroupName": "workers",
                "InstanceType": "ml.trn2.48xlarge",
                "InstanceCount": 8,
                "LifeCycleConfig": {"SourceS3Uri": LIFECYCLE, "OnCreate": "on_create.sh"},
                "ExecutionRole": ROLE,
                "ThreadsPerCore": 1,
            }
        ],
        "NodeRecovery": "Automatic",
        "Tags": [{"Key": "opsbot:request", "Value": "ap-create-1"}, {"Key": "opsbot:requester", "Value": "alice"}],
    }
    # AND the typed result says it is being created
    result = ClusterCreated.model_validate(out.result)
    assert (result.status, result.created, result.cost_usd_per_hour) == ("Creating", True, pytest.approx(447.76))
    assert out.text.startswith("Creating HyperPod cluster llama-pt (slurm): workers 8 x ml.trn2.48xlarge")
    # AND the next describe finds it InService with 8 nodes
    details = describe_cluster(ctx, "llama-pt")
    assert (details.status, details.node_count) == ("InService", 8)


def test_create_takes_role_and_lifecycle_from_settings(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx.settings, "sagemaker_role_arn", "arn:aws:iam::123456789012:role/custom-role")
    monkeypatch.setattr(ctx.settings, "hyperpod_lifecycle_s3_uri", "s3://my-lifecycle/scripts/")
    recorder = record(ctx)
    approve_and_run(
        ctx, "create_hyperpod_cluster", {"cluster_name": "c2", "instance_type": "ml.trn1.32xlarge", "instance_count": 2}
    )
    [group] = recorder.params("CreateCluster")["InstanceGroups"]
    assert group["ExecutionRole"] == "arn:aws:iam::123456789012:role/custom-role"
    assert group["LifeCycleConfig"]["SourceS3Uri"] == "s3://my-lifecycle/scripts/"


def test_create_with_several_groups_on_eks(ctx: ToolContext) -> None:
    # GIVEN a controller group and a worker group on EKS, with an explicit lifecycle URI
    eks = "arn:aws:eks:us-east-1:123456789012:cluster/training"
    raw = {
        "cluster_name": "eks-pt",
        "orchestrator": "eks",
        "eks_cluster_arn": eks,
        "lifecycle_s3_uri": "s3://lifecycle-bucket/eks/",
        "instance_groups": [
            {"group_name": "system", "instance_type": "c7g.xlarge", "instance_count": 2},
            {"group_name": "gpu", "instance_type": "ml.p5en.48xlarge", "instance_count": 2},
        ],
    }
    recorder = record(ctx)
    plan, _ = approve_and_run(ctx, "create_hyperpod_cluster", raw)
    # THEN the plan counts all instances, names the costliest type, and lists every group
    assert (plan.instance_type, plan.instance_count) == ("ml.p5en.48xlarge", 4)
    assert plan.cost_usd_per_hour == pytest.approx(2 * 0.19 + 2 * 84.76)
    assert plan.facts["instance_types"] == ["ml.c7g.xlarge", "ml.p5en.48xlarge"]
    # AND the request carries the EKS orchestrator and both groups
    request = recorder.params("CreateCluster")
    assert request["Orchestrator"] == {"Eks": {"ClusterArn": eks}}
    assert [(g["InstanceGroupName"], g["InstanceType"], g["InstanceCount"]) for g in request["InstanceGroups"]] == [
        ("system", "ml.c7g.xlarge", 2),
        ("gpu", "ml.p5en.48xlarge", 2),
    ]
    assert {g["LifeCycleConfig"]["SourceS3Uri"] for g in request["InstanceGroups"]} == {"s3://lifecycle-bucket/eks/"}
    details = describe_cluster(ctx, "eks-pt")
    assert (details.orchestrator, details.eks_cluster_arn, details.node_count) == ("eks", eks, 4)


def test_create_of_an_existing_identical_cluster_returns_it_without_creating(ctx: ToolContext) -> None:
    raw = {"cluster_name": "llama-pretrain", "instance_type": "ml.trn2.48xlarge", "instance_count": 4}
    plan = runtime.plan("create_hyperpod_cluster", raw, ctx)
    assert plan.facts["exists"] and "returns it unchanged" in plan.warnings[0]
    recorder = record(ctx)
    _, out = approve_and_run(ctx, "create_hyperpod_cluster", raw)
    result = ClusterCreated.model_validate(out.result)
    assert (result.created, result.status) == (False, "InService")
    assert "CreateCluster" not in recorder.ops()
    assert out.text.startswith("Kept existing HyperPod cluster llama-pretrain")


def test_create_over_a_different_cluster_of_the_same_name_is_refused(ctx: ToolContext) -> None:
    raw = {"cluster_name": "llama-pretrain", "instance_type": "ml.trn2.48xlarge", "instance_count": 16}
    recorder = record(ctx)
    with pytest.raises(ToolInputError) as caught:
        approve_and_run(ctx, "create_hyperpod_cluster", raw)
    assert caught.value.field == "cluster_name" and "scale_hyperpod_cluster" in str(caught.value)
    assert "CreateCluster" not in recorder.ops()
    assert describe_cluster(ctx, "llama-pretrain").node_count == 4


def test_a_create_retried_after_a_lost_reply_finds_its_own_cluster(ctx: ToolContext) -> None:
    # GIVEN the reply to the first successful CreateCluster is lost (read timeout), once
    lose_first_answer(ctx, "sagemaker", "CreateCluster")
    sm = ctx.clients.client("sagemaker")
    recorder = record(ctx)
    # WHEN the create runs (tenacity retries the timeout)
    raw = {"cluster_name": "retry-pt", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}
    _, out = approve_and_run(ctx, "create_hyperpod_cluster", raw, approval_id="ap-retry")
    # THEN the create was sent twice, the second refused as a duplicate, and exactly one cluster exists
    assert recorder.ops().count("CreateCluster") == 2
    names = [c["ClusterName"] for c in sm.list_clusters()["ClusterSummaries"]]
    assert names.count("retry-pt") == 1
    # AND the result is the cluster this request created (recognised by its request tag)
    result = ClusterCreated.model_validate(out.result)
    assert result.created is True and "earlier attempt" in (result.note or "")
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=result.cluster_arn)["Tags"]}
    assert tags["opsbot:request"] == "ap-retry"


def test_the_guard_blocks_a_create_that_was_not_approved(ctx: ToolContext) -> None:
    # GIVEN the tool's run called directly, with no approval grant active
    tool = get_tool("create_hyperpod_cluster")
    args = runtime.parse_args(
        tool, {"cluster_name": "sneaky", "instance_type": "ml.trn2.48xlarge", "instance_count": 1}
    )
    # WHEN it runs THEN the guard refuses the CreateCluster and nothing is created
    with pytest.raises(MutationBlockedError):
        tool.run(ctx, args)
    listed = ClusterList.model_validate(runtime.run_read("list_hyperpod_clusters", {}, ctx).result)
    assert [c.cluster_name for c in listed.clusters] == ["llama-pretrain"]


def test_create_in_live_mode_sends_the_same_request(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a live-mode context (no sandbox) whose AWS answers are stubbed
    ctx = runtime.make_context(get_settings(live=True), requester="bob", thread="t-live")
    ctx.clients = AwsClients(ctx.settings)
    sm, sts = ctx.clients.client("sagemaker"), ctx.clients.client("sts")
    raw = {"cluster_name": "live-pt", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}
    account = "210987654321"
    expected = {
        "ClusterName": "live-pt",
        "InstanceGroups": [
            {
                "InstanceGroupName": "workers",
                "InstanceType": "ml.trn2.48xlarge",
                "InstanceCount": 2,
                "LifeCycleConfig": {
                    "SourceS3Uri": f"s3://opsbot-lifecycle-{account}/hyperpod/",
                    "OnCreate": "on_create.sh",
                },
                "ExecutionRole": f"arn:aws:iam::{account}:role/opsbot-sagemaker-execution",
                "ThreadsPerCore": 1,
            }
        ],
        "NodeRecovery": "Automatic",
        "Tags": [{"Key": "opsbot:request", "Value": "ap-live"}, {"Key": "opsbot:requester", "Value": "bob"}],
    }
    not_found = {"service_error_code": "ResourceNotFound", "service_message": "Cluster live-pt not found."}
    arn = f"arn:aws:sagemaker:us-east-1:{account}:cluster/abcdef123456"
    with Stubber(sm.raw) as sm_stub, Stubber(sts.raw) as sts_stub:
        sts_stub.add_response(
            "get_caller_identity", {"Account": account, "Arn": f"arn:aws:iam::{account}:user/bob", "UserId": "AID"}
        )
        sm_stub.add_client_error("describe_cluster", expected_params={"ClusterName": "live-pt"}, **not_found)
        sm_stub.add_client_error("describe_cluster", expected_params={"ClusterName": "live-pt"}, **not_found)
        sm_stub.add_response("create_cluster", {"ClusterArn": arn}, expected_params=expected)
        # WHEN it is planned and run under an approval
        _, out = approve_and_run(ctx, "create_hyperpod_cluster", raw, approval_id="ap-live")
        sm_stub.assert_no_pending_responses()
    # THEN the request matched field by field (Stubber checked it) and the result carries the ARN
    assert ClusterCreated.model_validate(out.result).cluster_arn == arn
