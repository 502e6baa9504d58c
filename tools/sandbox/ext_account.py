"""Sandbox seed of what several domains stand on: the SageMaker execution role, the HyperPod
lifecycle scripts, and a VPC whose security group is ready for EFA.

moto has IAM, S3 and EC2, so nothing here needs an extension; only the seed. Its EC2 ids are made
deterministic (moto's random generator is seeded while the VPC is made), so that the demo account's
subnet and security group ids are the same in every sandbox.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox

# moto would otherwise load thousands of default AMIs into every EC2 backend: most of the sandbox's
# saved state, for images opsbot never reads. A value the user set is kept.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

ROLE_NAME = "opsbot-sagemaker-execution"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
LIFECYCLE_PREFIX = "hyperpod/"
LIFECYCLE_SCRIPTS = {
    "on_create.sh": b"#!/bin/bash\n# HyperPod lifecycle: provisioning entry point (sandbox copy)\nset -euo pipefail\n",
    "provisioning_parameters.json": b'{"version": "1.0.0", "workload_manager": "slurm"}\n',
}
VPC_CIDR = "10.90.0.0/16"
SUBNETS = (("10.90.0.0/20", "a"), ("10.90.16.0/20", "b"))
EFA_GROUP = "opsbot-hyperpod-efa"
ID_SEED = 20261101


def lifecycle_bucket(account: str) -> str:
    """The bucket of opsbot's default lifecycle scripts in ``account``."""
    return f"opsbot-lifecycle-{account}"


def seed(sandbox: Sandbox) -> None:
    """The execution role, the lifecycle scripts, and VPC opsbot-hyperpod with two private subnets and
    security group opsbot-hyperpod-efa (all traffic to and from itself)."""
    iam = sandbox.client("iam")
    iam.create_role(
        RoleName=ROLE_NAME,
        AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
        Description="SageMaker execution role for HyperPod, training jobs and models (opsbot demo)",
    )
    s3 = sandbox.client("s3")
    bucket = lifecycle_bucket(sandbox.account)
    s3.create_bucket(Bucket=bucket)
    for name, body in LIFECYCLE_SCRIPTS.items():
        s3.put_object(Bucket=bucket, Key=LIFECYCLE_PREFIX + name, Body=body)
    _seed_network(sandbox)


def _seed_network(sandbox: Sandbox) -> None:
    from moto.moto_api._internal import mock_random

    ec2 = sandbox.client("ec2")
    saved = mock_random.getstate()
    mock_random.seed(ID_SEED)
    try:
        vpc = ec2.create_vpc(
            CidrBlock=VPC_CIDR,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "opsbot-hyperpod"}]}],
        )["Vpc"]["VpcId"]
        for cidr, zone in SUBNETS:
            ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=cidr,
                AvailabilityZone=f"{sandbox.region}{zone}",
                TagSpecifications=[
                    {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": f"opsbot-hyperpod-private-{zone}"}]}
                ],
            )
        group = ec2.create_security_group(
            GroupName=EFA_GROUP, Description="HyperPod nodes: all traffic to and from itself (EFA)", VpcId=vpc
        )["GroupId"]
        everything = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=everything)
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=everything)
    finally:
        mock_random.setstate(saved)
