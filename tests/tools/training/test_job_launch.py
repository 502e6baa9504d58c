"""launch_training_job against the sandbox: the plan, the exact request, idempotency."""

from __future__ import annotations

import pytest

from tests.tools.helpers import approve_and_run, lose_first_answer, record
from tests.tools.training.sandbox import NEURON_DLC, ROLE, TRN2, describe_job
from tools import runtime
from tools.base import Effect, Risk, ToolContext
from tools.errors import ToolInputError
from tools.training.job_launch import JobLaunched

LAUNCH = {
    "job_name": "llama-ft-1",
    "instance_count": 2,
    "input_s3_uri": "s3://training-data/datasets/chat-sft/train/",
    "output_s3_uri": "s3://checkpoints/llama-ft-1/",
    "max_runtime_hours": 10,
}


def test_launch_plans_hourly_and_total_cost_and_sends_the_expected_request(ctx: ToolContext) -> None:
    recorder = record(ctx)
    # WHEN a 2-instance job with a 10 h limit is planned, approved and run
    plan, out = approve_and_run(ctx, "launch_training_job", LAUNCH, approval_id="ap-job-1")
    # THEN the plan prices it per hour and for the whole max runtime
    assert (plan.effect, plan.risk) == (Effect.WRITE, Risk.MEDIUM)
    assert (plan.instance_type, plan.instance_count) == ("ml.trn2.48xlarge", 2)
    assert plan.cost_usd_per_hour == pytest.approx(2 * TRN2)
    assert plan.cost_usd_total == pytest.approx(2 * TRN2 * 10)
    assert plan.operation_names() == ["sagemaker:CreateTrainingJob"] == recorder.writes()
    # AND CreateTrainingJob got exactly this (default Neuron image, default role, request tags)
    assert recorder.params("CreateTrainingJob") == {
        "TrainingJobName": "llama-ft-1",
        "AlgorithmSpecification": {"TrainingImage": NEURON_DLC, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://training-data/datasets/chat-sft/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://checkpoints/llama-ft-1/"},
        "ResourceConfig": {"InstanceType": "ml.trn2.48xlarge", "InstanceCount": 2, "VolumeSizeInGB": 512},
        "StoppingCondition": {"MaxRuntimeInSeconds": 36000},
        "Tags": [{"Key": "opsbot:request", "Value": "ap-job-1"}, {"Key": "opsbot:requester", "Value": "alice"}],
    }
    # AND the result and its rendering say what runs and what it may cost
    result = JobLaunched.model_validate(out.result)
    assert (result.status, result.created, result.cost_usd_max) == ("InProgress", True, pytest.approx(1119.4))
    assert out.text.splitlines()[0] == (
        "Launched training job llama-ft-1 (InProgress): 2 x ml.trn2.48xlarge, $111.94/h, at most 10 h = $1,119.40"
    )
    assert describe_job(ctx, "llama-ft-1").status == "InProgress"


def test_launch_uses_the_image_and_role_of_the_settings(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer:1.2"
    monkeypatch.setattr(ctx.settings, "training_image_uri", image)
    monkeypatch.setattr(ctx.settings, "sagemaker_role_arn", "arn:aws:iam::123456789012:role/trainer")
    recorder = record(ctx)
    approve_and_run(ctx, "launch_training_job", {**LAUNCH, "job_name": "with-settings"})
    request = recorder.params("CreateTrainingJob")
    assert request["AlgorithmSpecification"]["TrainingImage"] == image
    assert request["RoleArn"] == "arn:aws:iam::123456789012:role/trainer"


def test_launch_image_argument_wins_and_the_dlc_follows_the_region(ctx: ToolContext) -> None:
    from tools.training.common import default_training_image

    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/custom:7"
    recorder = record(ctx)
    approve_and_run(ctx, "launch_training_job", {**LAUNCH, "job_name": "custom-image", "image_uri": image})
    assert recorder.params("CreateTrainingJob")["AlgorithmSpecification"]["TrainingImage"] == image
    ctx.clients.region = "eu-south-1"
    assert default_training_image(ctx).startswith(
        "692866216735.dkr.ecr.eu-south-1.amazonaws.com/pytorch-training-neuronx"
    )


def test_a_launch_retried_after_a_lost_reply_creates_one_job(ctx: ToolContext) -> None:
    # GIVEN the first successful CreateTrainingJob's reply is lost once
    lose_first_answer(ctx, "sagemaker", "CreateTrainingJob")
    sm = ctx.clients.client("sagemaker")
    recorder = record(ctx)
    # WHEN the launch runs
    _, out = approve_and_run(ctx, "launch_training_job", LAUNCH, approval_id="ap-job-retry")
    # THEN the duplicate was recognised as this request's own job
    assert recorder.ops().count("CreateTrainingJob") == 2
    names = [j["TrainingJobName"] for j in sm.list_training_jobs()["TrainingJobSummaries"]]
    assert names.count("llama-ft-1") == 1
    result = JobLaunched.model_validate(out.result)
    assert result.created and "earlier attempt" in (result.note or "")


def test_launch_with_a_name_already_used_is_refused_without_creating(ctx: ToolContext) -> None:
    # GIVEN llama-sft-v1 exists with another spec WHEN a launch of that name is planned
    raw = {**LAUNCH, "job_name": "llama-sft-v1"}
    # THEN the plan refuses it already, naming the job's status
    with pytest.raises(ToolInputError, match="names are never reused"):
        runtime.plan("launch_training_job", raw, ctx)
    recorder = record(ctx)
    with pytest.raises(ToolInputError) as caught:
        approve_and_run(ctx, "launch_training_job", raw)
    assert caught.value.field == "job_name" and "Completed" in str(caught.value)
    assert "CreateTrainingJob" not in recorder.ops()


def test_launching_the_same_job_again_is_nothing_to_do(ctx: ToolContext) -> None:
    # GIVEN a job launched under an approval
    approve_and_run(ctx, "launch_training_job", LAUNCH, approval_id="ap-first")
    # WHEN the same launch is planned again
    plan = runtime.plan("launch_training_job", LAUNCH, ctx)
    # THEN there is nothing to launch, so nothing would be filed
    assert plan.aws_operations == [] and plan.summary.endswith("nothing to launch")


@pytest.mark.parametrize(
    "instance_type",
    ["ml.p6e-gb200.36xlarge", "ml.p5.48xlarge", "ml.p5e.48xlarge", "ml.g6e.12xlarge", "ml.trn1n.32xlarge"],
)
def test_the_seed_s_training_instances_launch_on_the_sandbox(ctx: ToolContext, instance_type: str) -> None:
    # GIVEN a job on each of the training instance types the catalog gained
    raw = {**LAUNCH, "job_name": "t-" + instance_type.replace(".", "-"), "instance_type": instance_type}
    plan, out = approve_and_run(ctx, "launch_training_job", raw)
    # THEN it is priced from the catalog and the sandbox accepts it
    assert plan.cost_usd_per_hour and plan.cost_usd_per_hour > 0
    assert out.result["status"] == "InProgress"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (
            {"input_s3_uri": "s3://training-data/sft/v2/"},
            "input_s3_uri",
            "no objects under this prefix, so SageMaker would find no training data; under s3://training-data/ "
            "there are: s3://training-data/datasets/",
        ),
        ({"input_s3_uri": "s3://no-such-bucket-xyz/sft/"}, "input_s3_uri", "bucket no-such-bucket-xyz does not"),
        ({"output_s3_uri": "s3://no-such-bucket-xyz/out/"}, "output_s3_uri", "bucket no-such-bucket-xyz does not"),
    ],
)
def test_a_launch_on_missing_data_is_refused_by_its_plan(
    ctx: ToolContext, change: dict[str, str], field: str, says: str
) -> None:
    # GIVEN an input prefix with no objects, or a bucket that does not exist
    recorder = record(ctx)
    args = {**LAUNCH, **change}
    # WHEN the launch is planned
    with pytest.raises(ToolInputError) as caught:
        runtime.plan("launch_training_job", args, ctx)
    # THEN the plan fails before anyone is asked, naming the field and its value, and nothing was written
    assert caught.value.field == field and caught.value.value == args[field]
    assert says in str(caught.value)
    assert recorder.writes() == []


def test_a_launch_plan_says_the_data_was_checked(ctx: ToolContext) -> None:
    # GIVEN the seeded training data and the checkpoints bucket
    # WHEN the launch is planned
    plan = runtime.plan("launch_training_job", LAUNCH, ctx)
    # THEN the plan says what it found at both paths
    assert (
        "data s3://training-data/datasets/chat-sft/train/ (has objects) -> artifacts s3://checkpoints/llama-ft-1/ "
        "(bucket checkpoints exists)" in plan.changes
    )
    assert plan.facts["data_checks"]["training data"]["ok"] is True
