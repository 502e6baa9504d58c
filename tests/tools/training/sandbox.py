"""What the training tests know of the sandbox's demo account, and reading a cluster or a job back."""

from __future__ import annotations

import json
from typing import Any

from tools import runtime
from tools.base import ToolContext
from tools.training.clusters import ClusterDetails
from tools.training.jobs import JobDetails

TRN2 = 55.97  # catalog price of ml.trn2.48xlarge
ROLE = "arn:aws:iam::123456789012:role/opsbot-sagemaker-execution"
LIFECYCLE = "s3://opsbot-lifecycle-123456789012/hyperpod/"
NEURON_DLC = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.29.0-ubuntu24.04"
)


def workers_group(count: int, role: str = ROLE, lifecycle: str = LIFECYCLE) -> dict[str, Any]:
    """The trn2 ``workers`` instance group that opsbot sends to CreateCluster and UpdateCluster: ``count``
    instances, opsbot's lifecycle scripts and execution role, one thread per core."""
    return {
        "InstanceGroupName": "workers",
        "InstanceType": "ml.trn2.48xlarge",
        "InstanceCount": count,
        "LifeCycleConfig": {"SourceS3Uri": lifecycle, "OnCreate": "on_create.sh"},
        "ExecutionRole": role,
        "ThreadsPerCore": 1,
    }


def describe_cluster(ctx: ToolContext, name: str) -> ClusterDetails:
    """describe_hyperpod_cluster's typed result."""
    out = runtime.run_read("describe_hyperpod_cluster", {"cluster_name": name}, ctx)
    return ClusterDetails.model_validate(out.result)


def describe_job(ctx: ToolContext, name: str) -> JobDetails:
    """describe_training_job's typed result."""
    return JobDetails.model_validate(runtime.run_read("describe_training_job", {"job_name": name}, ctx).result)


def sandbox_client(ctx: ToolContext, service: str) -> Any:
    """An unguarded client on the context's sandbox, for setting up a test's account."""
    return ctx.clients.sandbox.client(service)


def put_lifecycle_scripts(ctx: ToolContext, uri: str) -> None:
    """Upload an on_create.sh under ``uri`` (making its bucket if needed)."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    s3 = sandbox_client(ctx, "s3")
    with ctx.clients.sandbox.session():
        if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/on_create.sh".lstrip("/"), Body=b"#!/bin/bash\n")


def make_role(ctx: ToolContext, name: str, service: str = "sagemaker.amazonaws.com") -> str:
    """An IAM role that ``service`` may assume; its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    with ctx.clients.sandbox.session():
        role = sandbox_client(ctx, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(role["Role"]["Arn"])


def demo_network(ctx: ToolContext) -> tuple[list[str], str]:
    """The demo VPC's subnet ids and its EFA-ready security group."""
    ec2 = sandbox_client(ctx, "ec2")
    with ctx.clients.sandbox.session():
        subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["opsbot-hyperpod-private-*"]}])
        groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["opsbot-hyperpod-efa"]}])
    return sorted(s["SubnetId"] for s in subnets["Subnets"]), groups["SecurityGroups"][0]["GroupId"]


def make_security_group(ctx: ToolContext, name: str, self_referencing: bool) -> str:
    """A security group in the demo VPC: all traffic to and from itself, or only HTTPS in."""
    subnets, _ = demo_network(ctx)
    ec2 = sandbox_client(ctx, "ec2")
    with ctx.clients.sandbox.session():
        vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        if self_referencing:
            rule = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}]
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
        else:
            https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=https)
    return str(group)
