"""The training domain's seed: the demo cluster and jobs, the same every time."""

from __future__ import annotations

from typing import Any

from tools.base import ToolContext
from tools.sandbox import ext_training


def _seeded(ctx: ToolContext) -> dict[str, Any]:
    """Seed the training domain alone into an empty sandbox and describe what it made."""
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        sandbox._load_empty()
        ext_training.seed(sandbox)
        sm = sandbox.client("sagemaker")
        clusters = sm.list_clusters()["ClusterSummaries"]
        cluster = sm.describe_cluster(ClusterName="llama-pretrain")
        jobs = {
            j["TrainingJobName"]: sm.describe_training_job(TrainingJobName=j["TrainingJobName"])
            for j in sm.list_training_jobs()["TrainingJobSummaries"]
        }
    return {"clusters": clusters, "cluster": cluster, "jobs": jobs}


def test_seed_creates_the_demo_cluster_and_jobs(ctx: ToolContext) -> None:
    seeded = _seeded(ctx)
    assert [c["ClusterName"] for c in seeded["clusters"]] == ["llama-pretrain"]
    cluster = seeded["cluster"]
    assert cluster["ClusterStatus"] == "InService" and "Orchestrator" not in cluster  # Slurm
    [group] = cluster["InstanceGroups"]
    assert (group["InstanceGroupName"], group["InstanceType"], group["CurrentCount"]) == (
        "workers",
        "ml.trn2.48xlarge",
        4,
    )
    jobs = seeded["jobs"]
    assert {name: j["TrainingJobStatus"] for name, j in jobs.items()} == {
        "llama-pretrain-stage1": "InProgress",
        "llama-sft-v1": "Completed",
    }
    stage1 = jobs["llama-pretrain-stage1"]["ResourceConfig"]
    assert (stage1["InstanceType"], stage1["InstanceCount"]) == ("ml.trn2.48xlarge", 4)


def test_seed_is_deterministic(ctx: ToolContext) -> None:
    first, second = _seeded(ctx), _seeded(ctx)
    assert first["cluster"]["ClusterArn"] == second["cluster"]["ClusterArn"]
    assert sorted(first["jobs"]) == sorted(second["jobs"])
