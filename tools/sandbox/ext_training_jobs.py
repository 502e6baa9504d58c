"""Sandbox training jobs: Create, Describe, List and Stop, with jobs that stay InProgress.

moto 5.2 finishes every training job at once, silently replaces a job with a reused name and
has no StopTrainingJob, so the sandbox owns these operations. Jobs live in moto's own
``training_jobs`` dict (keyed by name, as the ARN is) so moto's ListTags still finds them.

A job is InProgress until stopped or until its MaxRuntimeInSeconds has passed; StopTrainingJob
makes it Stopping, and the next call that reads it sees Stopped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tools.sandbox.ext_training_common import (
    arn,
    check_enum,
    now,
    paginate,
    sagemaker_backend,
    sort_items,
    tags_of,
    within,
)
from tools.sandbox.extensions import Call, ExtensionError, extension

# Request fields a job keeps and echoes in DescribeTrainingJob.
ECHOED = (
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "Environment",
    "RetryStrategy",
)
MAX_RUNTIME_SECONDS = 28 * 24 * 3600  # SageMaker's limit without a training plan


@dataclass
class SandboxTrainingJob:
    """A training job as the sandbox stores it. ``tags`` is read by moto's ListTags."""

    name: str
    arn: str
    request: dict[str, Any]
    creation_time: datetime
    status: str = "InProgress"
    secondary_status: str = "Starting"
    start_time: datetime | None = None
    end_time: datetime | None = None
    last_modified: datetime | None = None
    failure_reason: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)

    def move(self, secondary: str, message: str, at: datetime) -> None:
        """Record a secondary-status transition at ``at``."""
        if self.transitions:
            self.transitions[-1].setdefault("EndTime", at)
        self.transitions.append({"Status": secondary, "StartTime": at, "StatusMessage": message})
        self.secondary_status = secondary
        self.last_modified = at


def _jobs(call: Call) -> dict[str, Any]:
    return sagemaker_backend(call).training_jobs


def advance(job: SandboxTrainingJob) -> bool:
    """Move a job on: Starting becomes Training, Stopping becomes Stopped, overdue jobs stop.

    Returns True if anything changed (the sandbox must then persist it).
    """
    before = (job.status, job.secondary_status)
    current = now()
    if job.status == "InProgress" and job.secondary_status == "Starting":
        job.start_time = job.start_time or current
        job.move("Training", "Training image download completed. Training in progress.", job.start_time)
    if job.status == "InProgress":
        limit = job.request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", MAX_RUNTIME_SECONDS)
        deadline = (job.start_time or job.creation_time) + timedelta(seconds=limit)
        if current >= deadline:
            job.status, job.end_time = "Stopped", deadline
            job.move("MaxRuntimeExceeded", "Job stopped: it reached MaxRuntimeInSeconds.", deadline)
    if job.status == "Stopping":
        job.status, job.end_time = "Stopped", current
        job.move("Stopped", "Training job stopped by request.", current)
    return (job.status, job.secondary_status) != before


def _find(call: Call, name: str) -> SandboxTrainingJob:
    job = _jobs(call).get(name)
    if not isinstance(job, SandboxTrainingJob):
        # What SageMaker answers for an unknown training job.
        raise ExtensionError("ValidationException", "Requested resource not found.")
    call.changed |= advance(job)
    return job


@extension("sagemaker", "CreateTrainingJob")
def create_training_job(call: Call) -> dict[str, Any]:
    """CreateTrainingJob: names are unique forever in an account and region."""
    p = call.params
    name = p["TrainingJobName"]
    if name in _jobs(call):
        raise ExtensionError(
            "ResourceInUse",
            "Training job names must be unique within an AWS account and region, and a training job "
            f"with this name already exists ({arn(call, 'training-job', name)})",
        )
    resources = p.get("ResourceConfig") or {}
    if "InstanceType" not in resources or resources.get("InstanceCount", 0) < 1:
        raise ExtensionError("ValidationException", "ResourceConfig needs InstanceType and InstanceCount >= 1.")
    check_enum(resources["InstanceType"], "TrainingInstanceType", "resourceConfig.instanceType")
    algo = p.get("AlgorithmSpecification") or {}
    if not (algo.get("TrainingImage") or algo.get("AlgorithmName")):
        raise ExtensionError("ValidationException", "AlgorithmSpecification needs a TrainingImage or AlgorithmName.")
    limit = (p.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
    if limit > MAX_RUNTIME_SECONDS:
        raise ExtensionError("ValidationException", f"MaxRuntimeInSeconds must be at most {MAX_RUNTIME_SECONDS}.")
    created = now()
    request = {k: copy.deepcopy(p[k]) for k in ECHOED if k in p}
    request.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
    job = SandboxTrainingJob(name, arn(call, "training-job", name), request, created, tags=tags_of(call))
    job.move("Starting", "Launching requested ML instances", created)
    _jobs(call)[name] = job
    return {"TrainingJobArn": job.arn}


def _describe(job: SandboxTrainingJob) -> dict[str, Any]:
    out: dict[str, Any] = {
        "TrainingJobName": job.name,
        "TrainingJobArn": job.arn,
        "TrainingJobStatus": job.status,
        "SecondaryStatus": job.secondary_status,
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified or job.creation_time,
        "SecondaryStatusTransitions": copy.deepcopy(job.transitions),
        "ModelArtifacts": {"S3ModelArtifacts": ""},
        **copy.deepcopy(job.request),
    }
    if job.failure_reason:
        out["FailureReason"] = job.failure_reason
    if job.start_time:
        out["TrainingStartTime"] = job.start_time
        seconds = int(((job.end_time or now()) - job.start_time).total_seconds())
        if seconds >= 1:
            out["TrainingTimeInSeconds"] = seconds
            out["BillableTimeInSeconds"] = seconds
    if job.end_time:
        out["TrainingEndTime"] = job.end_time
    if job.status in ("Completed", "Stopped"):
        output = job.request["OutputDataConfig"]["S3OutputPath"].rstrip("/")
        out["ModelArtifacts"] = {"S3ModelArtifacts": f"{output}/{job.name}/output/model.tar.gz"}
    return out


@extension("sagemaker", "DescribeTrainingJob")
def describe_training_job(call: Call) -> dict[str, Any]:
    """DescribeTrainingJob by name."""
    return _describe(_find(call, call.params["TrainingJobName"]))


@extension("sagemaker", "StopTrainingJob")
def stop_training_job(call: Call) -> dict[str, Any]:
    """StopTrainingJob: only an InProgress job can be stopped; it becomes Stopping."""
    job = _find(call, call.params["TrainingJobName"])
    if job.status != "InProgress":
        raise ExtensionError(
            "ValidationException", f"The request was rejected because the training job is in status {job.status}."
        )
    job.status = "Stopping"
    job.move("Stopping", "Stopping the training job", now())
    return {}


@extension("sagemaker", "ListTrainingJobs")
def list_training_jobs(call: Call) -> dict[str, Any]:
    """ListTrainingJobs with the name, status and time filters, sorting and paging."""
    p = call.params
    jobs = [j for j in _jobs(call).values() if isinstance(j, SandboxTrainingJob)]
    for job in jobs:
        call.changed |= advance(job)
    if p.get("NameContains"):
        jobs = [j for j in jobs if p["NameContains"] in j.name]
    if p.get("StatusEquals"):
        jobs = [j for j in jobs if j.status == p["StatusEquals"]]
    jobs = within(jobs, p, "CreationTimeAfter", "CreationTimeBefore", lambda j: j.creation_time)
    jobs = within(jobs, p, "LastModifiedTimeAfter", "LastModifiedTimeBefore", lambda j: j.last_modified)
    keys = {"Name": lambda j: j.name, "Status": lambda j: j.status}
    # SageMaker lists newest first unless asked otherwise.
    order = p.get("SortOrder") or "Descending"
    page, more = paginate(call, sort_items(jobs, keys.get(p.get("SortBy", ""), lambda j: j.creation_time), order))
    summaries = []
    for j in page:
        summary: dict[str, Any] = {
            "TrainingJobName": j.name,
            "TrainingJobArn": j.arn,
            "CreationTime": j.creation_time,
            "LastModifiedTime": j.last_modified or j.creation_time,
            "TrainingJobStatus": j.status,
            "SecondaryStatus": j.secondary_status,
        }
        if j.end_time:
            summary["TrainingEndTime"] = j.end_time
        summaries.append(summary)
    return {"TrainingJobSummaries": summaries, **more}
