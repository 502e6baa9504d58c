"""Sandbox training-job extension: botocore's shapes, InProgress until stopped, AWS's errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.tools.helpers import grant_all
from tools.base import ToolContext
from tools.sandbox.ext_training_common import now, sagemaker_backend_for
from tools.sandbox.extensions import validate_output

IMAGE = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.29.0-ubuntu24.04"
)


@pytest.fixture
def sm(ctx: ToolContext) -> Iterator[Any]:
    with grant_all("sagemaker:CreateTrainingJob", "sagemaker:StopTrainingJob"):
        yield ctx.clients.client("sagemaker")


def _request(name: str, instance_type: str = "ml.trn2.48xlarge", hours: int = 4) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::123456789012:role/opsbot-sagemaker-execution",
        "OutputDataConfig": {"S3OutputPath": "s3://checkpoints/x/"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 2, "VolumeSizeInGB": 100},
        "StoppingCondition": {"MaxRuntimeInSeconds": hours * 3600},
    }


def test_seeded_jobs(sm: Any) -> None:
    listed = sm.list_training_jobs()
    validate_output(sm.raw, "ListTrainingJobs", listed)
    status = {j["TrainingJobName"]: j["TrainingJobStatus"] for j in listed["TrainingJobSummaries"]}
    assert status == {"llama-pretrain-stage1": "InProgress", "llama-sft-v1": "Completed"}
    stage1 = sm.describe_training_job(TrainingJobName="llama-pretrain-stage1")
    validate_output(sm.raw, "DescribeTrainingJob", stage1)
    assert stage1["ResourceConfig"] == {"InstanceType": "ml.trn2.48xlarge", "InstanceCount": 4, "VolumeSizeInGB": 512}
    done = sm.describe_training_job(TrainingJobName="llama-sft-v1")
    validate_output(sm.raw, "DescribeTrainingJob", done)
    assert done["SecondaryStatus"] == "Completed" and done["ModelArtifacts"]["S3ModelArtifacts"].endswith(
        "model.tar.gz"
    )


def test_create_runs_in_progress_and_echoes_the_request(sm: Any) -> None:
    created = sm.create_training_job(**_request("j1"))
    validate_output(sm.raw, "CreateTrainingJob", created)
    described = sm.describe_training_job(TrainingJobName="j1")
    validate_output(sm.raw, "DescribeTrainingJob", described)
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("InProgress", "Training")
    assert described["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 4 * 3600}


def test_stop_goes_stopping_then_stopped(sm: Any) -> None:
    sm.create_training_job(**_request("j1"))
    stopped = sm.stop_training_job(TrainingJobName="j1")
    validate_output(sm.raw, "StopTrainingJob", stopped)
    described = sm.describe_training_job(TrainingJobName="j1")
    validate_output(sm.raw, "DescribeTrainingJob", described)
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Training",
        "Stopping",
        "Stopped",
    ]
    with pytest.raises(ClientError) as again:
        sm.stop_training_job(TrainingJobName="j1")
    assert "in status Stopped" in again.value.response["Error"]["Message"]


def test_a_job_past_its_max_runtime_is_stopped(ctx: ToolContext, sm: Any) -> None:
    sm.create_training_job(**_request("short", hours=1))
    job = sagemaker_backend_for("123456789012", "us-east-1").training_jobs["short"]
    sm.describe_training_job(TrainingJobName="short")
    job.start_time = now() - timedelta(hours=2)
    described = sm.describe_training_job(TrainingJobName="short")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert described["TrainingTimeInSeconds"] == 3600


def test_errors_follow_aws(sm: Any) -> None:
    with pytest.raises(ClientError) as dup:
        sm.create_training_job(**_request("llama-sft-v1"))
    assert dup.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as bad_type:
        sm.create_training_job(**_request("j2", instance_type="ml.inf2.xlarge"))
    assert bad_type.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        sm.describe_training_job(TrainingJobName="nope")
    assert missing.value.response["Error"]["Message"] == "Requested resource not found."


def test_list_filters_and_pages(sm: Any) -> None:
    sm.create_training_job(**_request("extra-1"))
    in_progress = sm.list_training_jobs(StatusEquals="InProgress", SortBy="Name", SortOrder="Ascending")
    assert [j["TrainingJobName"] for j in in_progress["TrainingJobSummaries"]] == ["extra-1", "llama-pretrain-stage1"]
    page = sm.list_training_jobs(MaxResults=1)
    assert len(page["TrainingJobSummaries"]) == 1 and page["NextToken"]
    assert sm.list_tags(ResourceArn=page["TrainingJobSummaries"][0]["TrainingJobArn"])["Tags"] == []
