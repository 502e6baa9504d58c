"""list_training_jobs against the sandbox: newest first, filters, and what running jobs cost."""

from __future__ import annotations

import pytest

from tests.tools.helpers import approve_and_run
from tests.tools.training.sandbox import TRN2
from tools import runtime
from tools.base import Effect, ToolContext
from tools.errors import ToolInputError
from tools.training.job_list import JobList


def _list(ctx: ToolContext, **args: object) -> tuple[JobList, str]:
    out = runtime.run_read("list_training_jobs", args, ctx)
    return JobList.model_validate(out.result), out.text


def test_the_demo_jobs_are_listed_newest_first_with_the_running_one_s_cost(ctx: ToolContext) -> None:
    # GIVEN the demo account: llama-pretrain-stage1 running 6.2 h on 4 x trn2, llama-sft-v1 done yesterday
    # WHEN the jobs are listed
    jobs, text = _list(ctx)
    # THEN both are there, the running one (started last) first
    assert [j.job_name for j in jobs.jobs] == ["llama-pretrain-stage1", "llama-sft-v1"]
    running, done = jobs.jobs
    # AND the running job shows hours so far, cost so far and $/h
    assert running.status == "InProgress" and running.cost_usd_per_hour == pytest.approx(4 * TRN2)
    assert 6.1 <= running.elapsed_hours <= 7.0  # 6.2 h when seeded; the clock runs on during the suite
    assert running.cost_usd_so_far == pytest.approx(4 * TRN2 * running.elapsed_hours, rel=0.01)
    assert running.remaining_hours == pytest.approx(72 - running.elapsed_hours, abs=0.01)
    assert (jobs.running, jobs.running_cost_usd_per_hour) == (1, 223.88)
    # AND the finished one its run time and cost, but no hourly spend
    assert done.status == "Completed" and done.cost_usd_per_hour is None and done.elapsed_hours == pytest.approx(3.68)
    assert text.startswith("2 training job(s), newest first; 1 running at $223.88/h:")
    assert "- llama-pretrain-stage1: InProgress (Training), 4 x ml.trn2.48xlarge, 6." in text
    assert "$223.88/h" in text.splitlines()[1] and "- llama-sft-v1: Completed, 1 x ml.trn2.48xlarge, ran 3.68 h" in text


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"status": "running"}, ["llama-pretrain-stage1"]),
        ({"status": "Completed"}, ["llama-sft-v1"]),
        ({"status": "failed"}, []),
        ({"name_contains": "sft"}, ["llama-sft-v1"]),
        ({"name_contains": "llama", "limit": 1}, ["llama-pretrain-stage1"]),
    ],
)
def test_filters(ctx: ToolContext, args: dict, names: list[str]) -> None:
    jobs, text = _list(ctx, **args)
    assert [j.job_name for j in jobs.jobs] == names
    if not names:
        assert text == "No Failed training jobs in us-east-1."


def test_a_job_launched_now_comes_first(ctx: ToolContext) -> None:
    launch = {"job_name": "newest", "input_s3_uri": "s3://training-data/datasets/chat-sft/", "output_s3_uri": "s3://checkpoints/x/"}
    approve_and_run(ctx, "launch_training_job", launch)
    jobs, _ = _list(ctx)
    assert jobs.jobs[0].job_name == "newest" and jobs.running == 2


def test_it_is_a_read_and_its_names_are_the_training_job_resource(ctx: ToolContext) -> None:
    from tools.registry import toolset_of

    assert runtime.plan("list_training_jobs", {}, ctx).effect is Effect.READ
    [resource] = [r for r in toolset_of("list_training_jobs").resources if r.kind == "training_job"]
    result = runtime.run_read("list_training_jobs", {}, ctx).result
    assert resource.names(result) == ["llama-pretrain-stage1", "llama-sft-v1"]


@pytest.mark.parametrize(
    ("args", "field"),
    [({"status": "sleeping"}, "status"), ({"name_contains": "a b"}, "name_contains"), ({"limit": 0}, "limit")],
)
def test_bad_filters_are_refused_naming_the_field(ctx: ToolContext, args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.run_read("list_training_jobs", args, ctx)
    assert err.value.field == field
