"""Sandbox extensions and seed data for the training domain.

Importing this module registers the extensions of ``ext_training_hyperpod`` (HyperPod
clusters), ``ext_training_jobs`` (training jobs) and ``ext_training_plans`` (training plan
offerings and plans). ``seed`` creates the demo account's training resources.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tools.sandbox import ext_training_hyperpod, ext_training_jobs, ext_training_plans
from tools.sandbox.ext_training_common import now, sagemaker_backend_for

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox

__all__ = ["ext_training_hyperpod", "ext_training_jobs", "ext_training_plans", "seed"]

NEURON_IMAGE = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.29.0-ubuntu24.04"
)


def _role(sandbox: Sandbox) -> str:
    return f"arn:aws:iam::{sandbox.account}:role/opsbot-sagemaker-execution"


def _job_request(sandbox: Sandbox, name: str, instance_count: int, hours: int) -> dict[str, object]:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": NEURON_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": _role(sandbox),
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://training-data/llama/tokenized/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://checkpoints/llama/"},
        "ResourceConfig": {"InstanceType": "ml.trn2.48xlarge", "InstanceCount": instance_count, "VolumeSizeInGB": 512},
        "StoppingCondition": {"MaxRuntimeInSeconds": hours * 3600},
    }


def seed(sandbox: Sandbox) -> None:
    """Create the demo training resources: HyperPod cluster llama-pretrain and two training jobs."""
    sm = sandbox.client("sagemaker")
    sm.create_cluster(
        ClusterName="llama-pretrain",
        InstanceGroups=[
            {
                "InstanceGroupName": "workers",
                "InstanceType": "ml.trn2.48xlarge",
                "InstanceCount": 4,
                "LifeCycleConfig": {
                    "SourceS3Uri": f"s3://opsbot-lifecycle-{sandbox.account}/hyperpod/",
                    "OnCreate": "on_create.sh",
                },
                "ExecutionRole": _role(sandbox),
                "ThreadsPerCore": 1,
            }
        ],
        NodeRecovery="Automatic",
        Tags=[{"Key": "team", "Value": "pretraining"}],
    )
    sm.describe_cluster(ClusterName="llama-pretrain")  # settles it: InService with 4 nodes

    sm.create_training_job(**_job_request(sandbox, "llama-pretrain-stage1", 4, 72))
    sm.create_training_job(**_job_request(sandbox, "llama-sft-v1", 1, 24))
    # Backdate the jobs so the demo shows a job in its seventh hour and one finished yesterday.
    jobs = sagemaker_backend_for(sandbox.account, sandbox.region).training_jobs
    started = now() - timedelta(hours=6, minutes=12)
    stage1 = jobs["llama-pretrain-stage1"]
    stage1.creation_time = started - timedelta(minutes=9)
    stage1.transitions[0]["StartTime"] = stage1.creation_time
    stage1.start_time = started
    ext_training_jobs.advance(stage1)
    done = jobs["llama-sft-v1"]
    done.creation_time = now() - timedelta(days=1, hours=5)
    done.transitions[0]["StartTime"] = done.creation_time
    done.start_time = done.creation_time + timedelta(minutes=8)
    ext_training_jobs.advance(done)
    finished = done.start_time + timedelta(hours=3, minutes=41)
    done.status, done.end_time = "Completed", finished
    done.move("Uploading", "Uploading generated training model", finished - timedelta(minutes=2))
    done.move("Completed", "Training job completed", finished)
    done.transitions[-1]["EndTime"] = finished
