"""describe_training_job and stop_training_job against the sandbox."""

from __future__ import annotations

import pytest

from tests.tools.helpers import approve_and_run, read_as_planned, record
from tests.tools.training.sandbox import TRN2, describe_job
from tools import runtime
from tools.base import Effect, Risk, ToolContext
from tools.errors import ToolInputError
from tools.training.jobs import JobDetails, JobStopped


def test_describe_running_job_shows_time_and_cost_so_far(ctx: ToolContext) -> None:
    out = read_as_planned(ctx, "describe_training_job", {"job_name": "llama-pretrain-stage1"})
    job = JobDetails.model_validate(out.result)
    assert (job.status, job.instance_type, job.instance_count) == ("InProgress", "ml.trn2.48xlarge", 4)
    # The job had run 6.2 h when the sandbox was seeded, and the clock runs on while the suite does
    assert 6.15 <= job.elapsed_hours <= 7.0
    assert job.cost_usd_so_far == pytest.approx(4 * TRN2 * job.elapsed_hours, rel=0.01)
    assert job.max_runtime_hours == 72
    assert out.text.startswith("llama-pretrain-stage1: InProgress (Training), 4 x ml.trn2.48xlarge, $223.88/h")
    assert "of max 72 h, cost so far $" in out.text


def test_describe_completed_job_has_its_model_artifacts(ctx: ToolContext) -> None:
    job = describe_job(ctx, "llama-sft-v1")
    assert job.status == "Completed" and job.ended_at is not None
    assert job.model_artifacts == "s3://checkpoints/llama/llama-sft-v1/output/model.tar.gz"
    assert job.elapsed_hours == pytest.approx(3.68, abs=0.01)


def test_describe_unknown_job(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError) as caught:
        runtime.run_read("describe_training_job", {"job_name": "nope"}, ctx)
    assert caught.value.field == "job_name"


def test_stop_plans_the_saving_and_stops(ctx: ToolContext) -> None:
    recorder = record(ctx)
    plan, out = approve_and_run(ctx, "stop_training_job", {"job_name": "llama-pretrain-stage1"})
    assert (plan.effect, plan.risk, plan.cost_usd_per_hour) == (Effect.DESTRUCTIVE, Risk.HIGH, 0.0)
    assert plan.facts["cost_usd_per_hour_saved"] == pytest.approx(4 * TRN2)
    assert plan.facts["instances_released"] == 4
    assert plan.operation_names() == ["sagemaker:StopTrainingJob"] == recorder.writes()
    assert recorder.params("StopTrainingJob") == {"TrainingJobName": "llama-pretrain-stage1"}
    result = JobStopped.model_validate(out.result)
    assert (result.stopped, result.status) == (True, "Stopping")
    assert out.text.startswith("Stopping training job llama-pretrain-stage1 (Stopping) after 6.")
    assert describe_job(ctx, "llama-pretrain-stage1").status == "Stopped"


def test_stop_of_a_finished_job_changes_nothing(ctx: ToolContext) -> None:
    # GIVEN llama-sft-v1, completed WHEN it is stopped
    recorder = record(ctx)
    plan, out = approve_and_run(ctx, "stop_training_job", {"job_name": "llama-sft-v1"})
    # THEN the plan has no AWS operation (nothing is filed) and says why
    assert plan.aws_operations == [] and "not running; nothing to stop" in plan.summary
    assert recorder.writes() == []
    assert JobStopped.model_validate(out.result).stopped is False
    assert out.text == "Training job llama-sft-v1 is Completed; nothing to stop."
