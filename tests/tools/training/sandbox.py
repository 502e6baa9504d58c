"""What the training tests know of the sandbox's demo account, and reading a cluster or a job back."""

from __future__ import annotations

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


def describe_cluster(ctx: ToolContext, name: str) -> ClusterDetails:
    """describe_hyperpod_cluster's typed result."""
    out = runtime.run_read("describe_hyperpod_cluster", {"cluster_name": name}, ctx)
    return ClusterDetails.model_validate(out.result)


def describe_job(ctx: ToolContext, name: str) -> JobDetails:
    """describe_training_job's typed result."""
    return JobDetails.model_validate(runtime.run_read("describe_training_job", {"job_name": name}, ctx).result)
