"""The sandbox's shared foundations: the execution role, the lifecycle scripts, the EFA-ready VPC."""

from __future__ import annotations

from tools.sandbox import get_sandbox
from tools.sandbox.ext_account import EFA_GROUP, ROLE_NAME, lifecycle_bucket
from tools.training.readiness import efa_ready, trusts_sagemaker


def test_the_role_trusts_sagemaker_and_the_scripts_are_there(settings) -> None:
    sandbox = get_sandbox(settings)
    with sandbox.session():
        role = sandbox.client("iam").get_role(RoleName=ROLE_NAME)["Role"]
        head = sandbox.client("s3").head_object(Bucket=lifecycle_bucket(sandbox.account), Key="hyperpod/on_create.sh")
    assert trusts_sagemaker(role["AssumeRolePolicyDocument"])
    assert head["ContentLength"] > 0


def test_the_vpc_has_two_subnets_and_an_efa_ready_group_with_the_same_ids_every_time(settings, tmp_path) -> None:
    sandbox = get_sandbox(settings)
    with sandbox.session():
        ec2 = sandbox.client("ec2")
        [group] = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [EFA_GROUP]}])[
            "SecurityGroups"
        ]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [group["VpcId"]]}])["Subnets"]
    assert efa_ready(group)
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["us-east-1a", "us-east-1b"]
    # A fresh sandbox (reseeded) gets the same ids: the demo can name them
    sandbox.reset()
    with sandbox.session():
        again = sandbox.client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [EFA_GROUP]}])[
            "SecurityGroups"
        ][0]
    assert again["GroupId"] == group["GroupId"]
