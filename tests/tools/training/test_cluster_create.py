"""create_hyperpod_cluster against the sandbox: the plan, the exact request, the result, idempotency."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from tests.tools.helpers import approve_and_run, lose_first_answer, record
from tests.tools.training.sandbox import (
    ROLE,
    TRN2,
    demo_network,
    describe_cluster,
    make_role,
    make_security_group,
    put_lifecycle_scripts,
    sandbox_client,
    workers_group,
)
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
    # AND the request is exactly this, in the demo account's one VPC prepared for HyperPod
    subnets, group = demo_network(ctx)
    assert recorder.params("CreateCluster") == {
        "ClusterName": "llama-pt",
        "InstanceGroups": [workers_group(8)],
        "NodeRecovery": "Automatic",
        "VpcConfig": {"SecurityGroupIds": [group], "Subnets": subnets},
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
    # GIVEN settings that name a role and lifecycle scripts that exist
    role = make_role(ctx, "custom-role")
    put_lifecycle_scripts(ctx, "s3://my-lifecycle/scripts/")
    monkeypatch.setattr(ctx.settings, "sagemaker_role_arn", role)
    monkeypatch.setattr(ctx.settings, "hyperpod_lifecycle_s3_uri", "s3://my-lifecycle/scripts/")
    recorder = record(ctx)
    # WHEN a cluster is created
    plan, _ = approve_and_run(
        ctx, "create_hyperpod_cluster", {"cluster_name": "c2", "instance_type": "ml.trn1.32xlarge", "instance_count": 2}
    )
    # THEN the plan checked both, and the request uses both
    assert plan.facts["readiness"]["lifecycle script"]["ok"] is True
    assert plan.facts["readiness"]["execution role"]["detail"].endswith("trusts sagemaker.amazonaws.com")
    [group] = recorder.params("CreateCluster")["InstanceGroups"]
    assert group["ExecutionRole"] == "arn:aws:iam::123456789012:role/custom-role"
    assert group["LifeCycleConfig"]["SourceS3Uri"] == "s3://my-lifecycle/scripts/"


def test_a_create_without_its_lifecycle_script_is_refused(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN lifecycle scripts set to a prefix with no on_create.sh
    monkeypatch.setattr(ctx.settings, "hyperpod_lifecycle_s3_uri", "s3://opsbot-lifecycle-123456789012/missing/")
    # WHEN planned THEN it is refused naming the setting and the object it looked for
    with pytest.raises(ToolInputError) as caught:
        runtime.plan(
            "create_hyperpod_cluster",
            {"cluster_name": "c3", "instance_type": "trn2.48xlarge", "instance_count": 1},
            ctx,
        )
    assert caught.value.field.startswith("lifecycle_s3_uri")
    assert "no lifecycle script s3://opsbot-lifecycle-123456789012/missing/on_create.sh" in str(caught.value)


@pytest.mark.parametrize(
    ("role", "says"),
    [("nobody", "no such IAM role"), ("lambda-only", "does not let sagemaker.amazonaws.com assume it")],
)
def test_a_create_whose_role_is_missing_or_not_for_sagemaker_is_refused(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch, role: str, says: str
) -> None:
    # GIVEN an execution role that does not exist, or that only Lambda may assume
    arn = (
        make_role(ctx, role, service="lambda.amazonaws.com")
        if role == "lambda-only"
        else ROLE.replace("opsbot-sagemaker-execution", role)
    )
    monkeypatch.setattr(ctx.settings, "sagemaker_role_arn", arn)
    # WHEN planned THEN it is refused naming the setting
    with pytest.raises(ToolInputError) as caught:
        runtime.plan(
            "create_hyperpod_cluster",
            {"cluster_name": "c4", "instance_type": "trn2.48xlarge", "instance_count": 1},
            ctx,
        )
    assert caught.value.field.startswith("sagemaker_role_arn") and says in str(caught.value)


def test_an_efa_type_in_the_demo_vpc_is_planned_with_its_readiness(ctx: ToolContext) -> None:
    # GIVEN 18 x ml.p6e-gb200.36xlarge (EFA) in the demo VPC, whose security group talks to itself
    subnets, group = demo_network(ctx)
    raw = {
        "cluster_name": "gb200",
        "instance_type": "ml.p6e-gb200.36xlarge",
        "instance_count": 18,
        "subnet_ids": subnets,
        "security_group_ids": [group],
    }
    recorder = record(ctx)
    plan, _ = approve_and_run(ctx, "create_hyperpod_cluster", raw)
    # THEN the plan reports the EFA check, prices the estimate, and says it is one
    assert plan.facts["readiness"]["EFA"]["ok"] is True
    assert any(c.startswith(f"check EFA: ok: ml.p6e-gb200.36xlarge: {group} allows all traffic") for c in plan.changes)
    assert plan.cost_usd_per_hour == pytest.approx(18 * 71.21) and plan.cost_usd_per_hour > 0
    assert "no published on-demand price" in plan.warnings[0] and "estimated" in (plan.cost_note or "")
    # AND the request carries the VPC, pinned in the plan
    assert recorder.params("CreateCluster")["VpcConfig"] == {"SecurityGroupIds": [group], "Subnets": subnets}
    assert plan.aws_operations[0].params["VpcConfig"]["Subnets"] == subnets


def test_an_efa_type_with_a_group_that_does_not_talk_to_itself_is_refused(ctx: ToolContext) -> None:
    # GIVEN a security group that only lets HTTPS in
    subnets, _ = demo_network(ctx)
    web = make_security_group(ctx, "web-only", self_referencing=False)
    raw = {
        "cluster_name": "p5-pt",
        "instance_type": "ml.p5.48xlarge",
        "instance_count": 2,
        "subnet_ids": subnets,
        "security_group_ids": [web],
    }
    # WHEN planned THEN it is refused with the reason and what to add
    with pytest.raises(ToolInputError) as caught:
        runtime.plan("create_hyperpod_cluster", raw, ctx)
    assert caught.value.field == "security_group_ids"
    assert "ml.p5.48xlarge use EFA" in str(caught.value) and "'All traffic'" in str(caught.value)
    # AND a non-EFA type needs no such group
    plan = runtime.plan(
        "create_hyperpod_cluster", {**raw, "instance_type": "ml.c7g.4xlarge", "cluster_name": "cpu"}, ctx
    )
    assert "EFA" not in plan.facts["readiness"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"subnet_ids": ["subnet-0123456789abcdef0"]}, "security_group_ids"),
        ({"security_group_ids": ["sg-0123456789abcdef0"]}, "subnet_ids"),
        ({"subnet_ids": ["vpc-1"], "security_group_ids": ["sg-0123456789abcdef0"]}, "subnet_ids[0]"),
        ({"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": ["sg-0123456789abcdef0"]}, "subnet_ids"),
    ],
)
def test_a_vpc_is_both_subnets_and_security_groups_that_exist(ctx: ToolContext, extra: dict, field: str) -> None:
    raw = {"cluster_name": "v", "instance_type": "ml.c7g.xlarge", "instance_count": 1, **extra}
    with pytest.raises(ToolInputError) as caught:
        runtime.plan("create_hyperpod_cluster", raw, ctx)
    assert caught.value.field == field


def test_create_with_several_groups_on_eks(ctx: ToolContext) -> None:
    # GIVEN a controller group and a worker group on EKS, with an explicit lifecycle URI
    eks = "arn:aws:eks:us-east-1:123456789012:cluster/training"
    put_lifecycle_scripts(ctx, "s3://lifecycle-bucket/eks/")
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
    # GIVEN llama-pretrain exists with 4 x trn2 WHEN the same create is asked for
    raw = {"cluster_name": "llama-pretrain", "instance_type": "ml.trn2.48xlarge", "instance_count": 4}
    plan = runtime.plan("create_hyperpod_cluster", raw, ctx)
    # THEN there is nothing to do: no AWS operation, so nothing is filed
    assert plan.facts["exists"] and plan.aws_operations == [] and plan.summary.endswith("nothing to create")
    recorder = record(ctx)
    _, out = approve_and_run(ctx, "create_hyperpod_cluster", raw)
    result = ClusterCreated.model_validate(out.result)
    assert (result.created, result.status) == (False, "InService")
    assert "CreateCluster" not in recorder.ops()
    assert out.text.startswith("Kept existing HyperPod cluster llama-pretrain")


def test_create_over_a_different_cluster_of_the_same_name_is_refused(ctx: ToolContext) -> None:
    raw = {"cluster_name": "llama-pretrain", "instance_type": "ml.trn2.48xlarge", "instance_count": 16}
    recorder = record(ctx)
    # THEN the plan already refuses it (nobody is asked to approve a create that cannot happen)
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
            workers_group(
                2,
                role=f"arn:aws:iam::{account}:role/opsbot-sagemaker-execution",
                lifecycle=f"s3://opsbot-lifecycle-{account}/hyperpod/",
            )
        ],
        "NodeRecovery": "Automatic",
        "Tags": [{"Key": "opsbot:request", "Value": "ap-live"}, {"Key": "opsbot:requester", "Value": "bob"}],
    }
    not_found = {"service_error_code": "ResourceNotFound", "service_message": "Cluster live-pt not found."}
    arn = f"arn:aws:sagemaker:us-east-1:{account}:cluster/abcdef123456"
    s3, iam = ctx.clients.client("s3"), ctx.clients.client("iam")
    role = {
        "Path": "/",
        "RoleName": "opsbot-sagemaker-execution",
        "RoleId": "AROAEXAMPLEEXAMPLE01",
        "Arn": f"arn:aws:iam::{account}:role/opsbot-sagemaker-execution",
        "CreateDate": "2026-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": (
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal"
            "%22%3A%7B%22Service%22%3A%22sagemaker.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"
        ),
    }
    with (
        Stubber(sm.raw) as sm_stub,
        Stubber(sts.raw) as sts_stub,
        Stubber(s3.raw) as s3_stub,
        Stubber(iam.raw) as iam_stub,
        Stubber(ctx.clients.client("ec2").raw) as ec2_stub,
    ):
        # The plan and the run look for a VPC prepared for HyperPod: the account has none
        ec2_stub.add_response("describe_vpcs", {"Vpcs": []}, {})
        ec2_stub.add_response("describe_vpcs", {"Vpcs": []}, {})
        sts_stub.add_response(
            "get_caller_identity", {"Account": account, "Arn": f"arn:aws:iam::{account}:user/bob", "UserId": "AID"}
        )
        # The plan checks the lifecycle script and the role (the raw API URL-encodes the trust policy)
        s3_stub.add_response(
            "head_object",
            {"ContentLength": 812},
            {"Bucket": f"opsbot-lifecycle-{account}", "Key": "hyperpod/on_create.sh"},
        )
        iam_stub.add_response("get_role", {"Role": role}, {"RoleName": "opsbot-sagemaker-execution"})
        sm_stub.add_client_error("describe_cluster", expected_params={"ClusterName": "live-pt"}, **not_found)
        sm_stub.add_client_error("describe_cluster", expected_params={"ClusterName": "live-pt"}, **not_found)
        sm_stub.add_response("create_cluster", {"ClusterArn": arn}, expected_params=expected)
        # WHEN it is planned and run under an approval
        _, out = approve_and_run(ctx, "create_hyperpod_cluster", raw, approval_id="ap-live")
        sm_stub.assert_no_pending_responses()
    # THEN the request matched field by field (Stubber checked it) and the result carries the ARN
    assert ClusterCreated.model_validate(out.result).cluster_arn == arn


# ------------------------------------------------------------------------------ default network
DEMO = {"cluster_name": "net-demo", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}


def _second_prepared_vpc(ctx: ToolContext) -> None:
    """GIVEN a second VPC tagged opsbot:hyperpod, with a subnet and an EFA-ready group."""
    ec2 = sandbox_client(ctx, "ec2")
    with ctx.clients.sandbox.session():
        tags = [{"ResourceType": "vpc", "Tags": [{"Key": "opsbot:hyperpod", "Value": "yes"}]}]
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=tags)["Vpc"]["VpcId"]
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")
        group = ec2.create_security_group(GroupName="efa-2", Description="efa", VpcId=vpc)["GroupId"]
        rule = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=rule)


def test_a_create_naming_no_network_uses_the_one_vpc_prepared_for_hyperpod_and_says_so(ctx: ToolContext) -> None:
    # GIVEN the demo account, whose one VPC prepared for HyperPod is opsbot-hyperpod (EFA-ready)
    subnets, group = demo_network(ctx)
    # WHEN a cluster is planned without subnets or security groups
    plan = runtime.plan("create_hyperpod_cluster", DEMO, ctx)
    # THEN the plan uses that VPC's subnets and EFA group, and says why
    assert plan.aws_operations[0].params["VpcConfig"] == {"SecurityGroupIds": [group], "Subnets": subnets}
    [line] = [c for c in plan.changes if c.startswith("network: ")]
    assert "(opsbot-hyperpod), the account's one VPC prepared for HyperPod (EFA-ready)" in line
    assert plan.facts["vpc"]["subnet_ids"] == subnets


def test_with_two_prepared_vpcs_a_create_uses_sagemakers_vpc_and_says_so(ctx: ToolContext) -> None:
    # GIVEN two VPCs prepared for HyperPod
    _second_prepared_vpc(ctx)
    # WHEN a cluster is planned without subnets
    plan = runtime.plan("create_hyperpod_cluster", DEMO, ctx)
    # THEN it does not guess: SageMaker's own VPC, and the plan says why and how to choose
    assert "VpcConfig" not in plan.aws_operations[0].params
    assert (
        "network: SageMaker's own VPC: no subnets given and 2 VPCs prepared for HyperPod (name one with subnet_ids)"
        in plan.changes
    )
