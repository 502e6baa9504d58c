"""The training domain: SageMaker HyperPod clusters, training jobs and training plans.

Modules by idea: ``clusters`` (reading clusters: list, describe), ``cluster_create`` (with what a
create needs: ``readiness``), ``cluster_scale``, ``cluster_delete``; ``jobs`` (describe, stop),
``job_list`` and ``job_launch``; ``plans`` (search offerings, buy one); ``common`` (the training image,
our own earlier attempts).
"""

from __future__ import annotations

from tools.base import Resource, Toolset
from tools.training.cluster_create import CREATE_TOOL
from tools.training.cluster_delete import DELETE_TOOL
from tools.training.cluster_scale import SCALE_TOOL
from tools.training.clusters import DESCRIBE_TOOL as DESCRIBE_CLUSTER
from tools.training.clusters import LIST_TOOL
from tools.training.job_launch import LAUNCH_TOOL
from tools.training.job_list import LIST_TOOL as LIST_JOBS
from tools.training.jobs import DESCRIBE_TOOL as DESCRIBE_JOB
from tools.training.jobs import STOP_TOOL
from tools.training.plans import PURCHASE_TOOL, SEARCH_TOOL

TOOLSET = Toolset(
    route="training",
    covers=(
        "SageMaker HyperPod clusters, training jobs on Trainium (trn1, trn2) and GPU instances (p5en, g5, g6), "
        "and training plans (reserved capacity)."
    ),
    tools=(
        LIST_TOOL,
        DESCRIBE_CLUSTER,
        CREATE_TOOL,
        SCALE_TOOL,
        DELETE_TOOL,
        LIST_JOBS,
        LAUNCH_TOOL,
        DESCRIBE_JOB,
        STOP_TOOL,
        SEARCH_TOOL,
        PURCHASE_TOOL,
    ),
    # Eleven tools: the specialist sees one focus at a time so each model call stays small.
    focuses={
        "clusters": (
            "list_hyperpod_clusters",
            "describe_hyperpod_cluster",
            "create_hyperpod_cluster",
            "scale_hyperpod_cluster",
            "delete_hyperpod_cluster",
        ),
        "jobs": (
            "list_training_jobs",
            "launch_training_job",
            "describe_training_job",
            "stop_training_job",
            "search_training_plans",
            "purchase_training_plan",
        ),
    },
    resources=(
        Resource(
            kind="hyperpod_cluster",
            nouns=("hyperpod cluster", "cluster", "hyperpod"),
            listed_by="list_hyperpod_clusters",
            names=lambda result: [c["cluster_name"] for c in result.get("clusters", [])],
        ),
        Resource(
            kind="training_job",
            nouns=("training job", "job", "training run", "fine-tuning job"),
            listed_by="list_training_jobs",
            names=lambda result: [j["job_name"] for j in result.get("jobs", [])],
        ),
    ),
    keywords=("hyperpod", "slurm", "training", "train", "pretrain", "pretraining", "fine-tune", "trainium"),
)
