"""Training job tools: launch a SageMaker training job (Trn2 by default), describe it, stop it.

Costs are on-demand list prices from the instance catalog. A launch's total is the worst case:
the hourly cost for the whole ``max_runtime_hours``, after which SageMaker stops the job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import check_instance_type
from tools.errors import ToolInputError
from tools.training_common import (
    default_training_image,
    describe_or_none,
    execution_role_arn,
    is_already_exists,
    is_own_attempt,
    per_hour,
    price,
    price_source,
    read_plan,
    request_tags,
    usd,
)
from tools.validation import image_uri, s3_uri, sagemaker_name

MAX_RUNTIME_HOURS = 28 * 24  # SageMaker's longest MaxRuntimeInSeconds
MAX_JOB_INSTANCES = 10000  # a sanity bound; the policy sets the real per-action limit
VOLUME_SIZE_GB = 512  # EBS scratch per instance for the dataset copy and checkpoints
TRAIN_CHANNEL = "train"
ACTIVE = ("InProgress",)


class JobArgs(ToolArgs):
    """Base of the tools that name one training job."""

    job_name: Annotated[str, Field(description="Name of the training job, e.g. llama-pretrain-stage2.")]

    @field_validator("job_name")
    @classmethod
    def _job_name(cls, value: str) -> str:
        return sagemaker_name("job_name", value)


# -------------------------------------------------------------------------------------- launch
class LaunchJobArgs(JobArgs):
    instance_type: Annotated[
        str, Field(default="ml.trn2.48xlarge", description="Training instance type, e.g. ml.trn2.48xlarge.")
    ] = "ml.trn2.48xlarge"
    instance_count: Annotated[
        int, Field(default=1, ge=1, le=MAX_JOB_INSTANCES, description="Number of training instances.")
    ] = 1
    image_uri: Annotated[
        str | None,
        Field(default=None, description="ECR training image; default: settings or the Neuron PyTorch training DLC."),
    ] = None
    input_s3_uri: Annotated[str, Field(description="s3:// prefix of the training data (channel 'train').")]
    output_s3_uri: Annotated[str, Field(description="s3:// prefix where SageMaker writes the model artifacts.")]
    max_runtime_hours: Annotated[
        float,
        Field(default=24, gt=0, le=MAX_RUNTIME_HOURS, description="Hours after which SageMaker stops the job."),
    ] = 24

    @field_validator("instance_type")
    @classmethod
    def _type(cls, value: str) -> str:
        return check_instance_type(value, "training").name

    @field_validator("image_uri")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return None if value is None else image_uri("image_uri", value)

    @field_validator("input_s3_uri", "output_s3_uri")
    @classmethod
    def _s3(cls, value: str, info: ValidationInfo) -> str:
        return s3_uri(info.field_name or "s3_uri", value)


class JobLaunched(BaseModel):
    """The outcome of launch_training_job."""

    job_name: str
    job_arn: str
    status: str
    created: bool = Field(description="False if an identical job already existed and was returned.")
    instance_type: str
    instance_count: int
    image_uri: str
    input_s3_uri: str
    output_s3_uri: str
    max_runtime_hours: float
    cost_usd_per_hour: float
    cost_usd_max: float = Field(description="Cost if the job runs for its whole max runtime.")
    note: str | None = None


def _runtime_seconds(hours: float) -> int:
    return max(1, round(hours * 3600))


def launch_request(ctx: ToolContext, args: LaunchJobArgs) -> dict[str, Any]:
    """The CreateTrainingJob request for ``args`` (exactly what run sends)."""
    request: dict[str, Any] = {
        "TrainingJobName": args.job_name,
        "AlgorithmSpecification": {
            "TrainingImage": args.image_uri or default_training_image(ctx),
            "TrainingInputMode": "File",
        },
        "RoleArn": execution_role_arn(ctx),
        "InputDataConfig": [
            {
                "ChannelName": TRAIN_CHANNEL,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": args.input_s3_uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": args.output_s3_uri},
        "ResourceConfig": {
            "InstanceType": args.instance_type,
            "InstanceCount": args.instance_count,
            "VolumeSizeInGB": VOLUME_SIZE_GB,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": _runtime_seconds(args.max_runtime_hours)},
    }
    tags = request_tags(ctx)
    if tags:
        request["Tags"] = tags
    return request


def _costs(instance_type: str, count: int, hours: float) -> tuple[float, float]:
    hourly = round((price(instance_type) or 0.0) * count, 2)
    return hourly, round(hourly * hours, 2)


def _same_spec(described: dict[str, Any], request: dict[str, Any]) -> bool:
    def key(d: dict[str, Any]) -> tuple[Any, ...]:
        channels = d.get("InputDataConfig") or [{}]
        return (
            d.get("AlgorithmSpecification", {}).get("TrainingImage"),
            d.get("ResourceConfig", {}).get("InstanceType"),
            d.get("ResourceConfig", {}).get("InstanceCount"),
            channels[0].get("DataSource", {}).get("S3DataSource", {}).get("S3Uri"),
            d.get("OutputDataConfig", {}).get("S3OutputPath"),
            d.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
        )

    return key(described) == key(request)


def plan_launch(ctx: ToolContext, args: LaunchJobArgs) -> Plan:
    hourly, total = _costs(args.instance_type, args.instance_count, args.max_runtime_hours)
    request = launch_request(ctx, args)
    image = request["AlgorithmSpecification"]["TrainingImage"]
    warnings = []
    existing = describe_or_none(ctx.clients.client("sagemaker").describe_training_job, TrainingJobName=args.job_name)
    if existing is not None:
        outcome = "the run returns it" if _same_spec(existing, request) else "names are never reused: the run refuses"
        warnings.append(f"training job {args.job_name} already exists ({existing['TrainingJobStatus']}); {outcome}")
    return Plan(
        tool="launch_training_job",
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        summary=(
            f"launch training job {args.job_name} on {args.instance_count} x {args.instance_type} "
            f"for at most {args.max_runtime_hours:g} h ({usd(total)} max)"
        ),
        changes=[
            f"training job {args.job_name}: {args.instance_count} x {args.instance_type}, image {image}",
            f"data {args.input_s3_uri} -> artifacts {args.output_s3_uri}",
            f"stops after {args.max_runtime_hours:g} h at the latest",
            f"cost: {per_hour(hourly)} added while it runs; at most {usd(total)} "
            f"({per_hour(hourly)} x {args.max_runtime_hours:g} h)",
        ],
        aws_operations=["sagemaker:CreateTrainingJob"],
        cost_usd_per_hour=hourly,
        cost_usd_total=total,
        cost_note=f"total is the worst case (the full max runtime); {price_source()}",
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        region=ctx.region,
        facts={
            "image_uri": image,
            "execution_role_arn": execution_role_arn(ctx),
            "input_s3_uri": args.input_s3_uri,
            "output_s3_uri": args.output_s3_uri,
            "max_runtime_hours": args.max_runtime_hours,
            "exists": existing is not None,
        },
        warnings=warnings,
    )


def _launched(args: LaunchJobArgs, request: dict[str, Any], arn: str, status: str, created: bool) -> JobLaunched:
    hourly, total = _costs(args.instance_type, args.instance_count, args.max_runtime_hours)
    return JobLaunched(
        job_name=args.job_name,
        job_arn=arn,
        status=status,
        created=created,
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        image_uri=request["AlgorithmSpecification"]["TrainingImage"],
        input_s3_uri=args.input_s3_uri,
        output_s3_uri=args.output_s3_uri,
        max_runtime_hours=args.max_runtime_hours,
        cost_usd_per_hour=hourly,
        cost_usd_max=total,
    )


def _found_existing(
    ctx: ToolContext, args: LaunchJobArgs, request: dict[str, Any], described: dict[str, Any]
) -> JobLaunched:
    """A job of this name exists: ours (same request tag or same spec) is returned, else refused."""
    arn, status = described["TrainingJobArn"], described["TrainingJobStatus"]
    if is_own_attempt(ctx, arn):
        result = _launched(args, request, arn, status, created=True)
        result.note = "launched by an earlier attempt of this same request"
        return result
    if _same_spec(described, request):
        result = _launched(args, request, arn, status, created=False)
        result.note = "a job with this name and spec already existed; nothing was launched"
        return result
    raise ToolInputError(
        "job_name", args.job_name, f"a training job with this name already exists ({status}); choose a new name"
    )


def run_launch(ctx: ToolContext, args: LaunchJobArgs) -> JobLaunched:
    sm = ctx.clients.client("sagemaker")
    request = launch_request(ctx, args)
    existing = describe_or_none(sm.describe_training_job, TrainingJobName=args.job_name)
    if existing is not None:
        return _found_existing(ctx, args, request, existing)
    try:
        arn = sm.create_training_job(**request)["TrainingJobArn"]
    except ClientError as exc:
        # A retried create whose first attempt succeeded (the reply was lost) lands here.
        if not is_already_exists(exc):
            raise
        existing = describe_or_none(sm.describe_training_job, TrainingJobName=args.job_name)
        if existing is None:
            raise
        return _found_existing(ctx, args, request, existing)
    return _launched(args, request, arn, "InProgress", created=True)


def render_launch(r: JobLaunched) -> str:
    verb = "Launched" if r.created else "Kept existing"
    text = (
        f"{verb} training job {r.job_name} ({r.status}): {r.instance_count} x {r.instance_type}, "
        f"{per_hour(r.cost_usd_per_hour)}, at most {r.max_runtime_hours:g} h = {usd(r.cost_usd_max)}\n"
        f"  data {r.input_s3_uri} -> {r.output_s3_uri}\n  image {r.image_uri}"
    )
    return text + (f"\n  note: {r.note}" if r.note else "")


# ------------------------------------------------------------------------------------ describe
class JobDetails(BaseModel):
    """A described training job: status, size, time used and what it has cost."""

    job_name: str
    job_arn: str
    status: str
    secondary_status: str | None = None
    status_message: str | None = None
    failure_reason: str | None = None
    instance_type: str | None = None
    instance_count: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    elapsed_hours: float = Field(description="Hours the job has been (or was) training.")
    max_runtime_hours: float | None = None
    cost_usd_per_hour: float | None = None
    cost_usd_so_far: float | None = Field(description="Elapsed hours x hourly cost.")
    image_uri: str | None = None
    input_s3_uris: list[str] = Field(default_factory=list)
    output_s3_uri: str | None = None
    model_artifacts: str | None = None


def _details(described: dict[str, Any]) -> JobDetails:
    resources = described.get("ResourceConfig", {})
    itype, count = resources.get("InstanceType"), resources.get("InstanceCount")
    started, ended = described.get("TrainingStartTime"), described.get("TrainingEndTime")
    elapsed = ((ended or datetime.now(UTC)) - started).total_seconds() / 3600 if started else 0.0
    unit = price(itype) if itype else None
    hourly = round(unit * count, 2) if unit is not None and count else None
    limit = described.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
    transitions = described.get("SecondaryStatusTransitions") or []
    inputs = [
        c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in described.get("InputDataConfig", [])
        if "S3DataSource" in c.get("DataSource", {})
    ]
    return JobDetails(
        job_name=described["TrainingJobName"],
        job_arn=described["TrainingJobArn"],
        status=described["TrainingJobStatus"],
        secondary_status=described.get("SecondaryStatus"),
        status_message=transitions[-1].get("StatusMessage") if transitions else None,
        failure_reason=described.get("FailureReason"),
        instance_type=itype,
        instance_count=count,
        created_at=described.get("CreationTime"),
        started_at=started,
        ended_at=ended,
        elapsed_hours=round(max(elapsed, 0.0), 2),
        max_runtime_hours=round(limit / 3600, 2) if limit else None,
        cost_usd_per_hour=hourly,
        cost_usd_so_far=round(hourly * elapsed, 2) if hourly is not None else None,
        image_uri=described.get("AlgorithmSpecification", {}).get("TrainingImage"),
        input_s3_uris=inputs,
        output_s3_uri=described.get("OutputDataConfig", {}).get("S3OutputPath"),
        model_artifacts=(described.get("ModelArtifacts") or {}).get("S3ModelArtifacts") or None,
    )


def _describe_required(ctx: ToolContext, name: str) -> dict[str, Any]:
    described = describe_or_none(ctx.clients.client("sagemaker").describe_training_job, TrainingJobName=name)
    if described is None:
        raise ToolInputError("job_name", name, f"no training job with this name in {ctx.account}/{ctx.region}")
    return described


class DescribeJobArgs(JobArgs):
    pass


def plan_describe(ctx: ToolContext, args: DescribeJobArgs) -> Plan:
    return read_plan(ctx, "describe_training_job", args, f"describe training job {args.job_name}")


def run_describe(ctx: ToolContext, args: DescribeJobArgs) -> JobDetails:
    return _details(_describe_required(ctx, args.job_name))


def render_describe(r: JobDetails) -> str:
    size = f"{r.instance_count} x {r.instance_type}" if r.instance_type else "size n/a"
    limit = f" of max {r.max_runtime_hours:g} h" if r.max_runtime_hours else ""
    lines = [
        f"{r.job_name}: {r.status} ({r.secondary_status or '-'}), {size}, {per_hour(r.cost_usd_per_hour)}",
        f"  ran {r.elapsed_hours:.2f} h{limit}, cost so far {usd(r.cost_usd_so_far)}",
    ]
    if r.status_message:
        lines.append(f"  {r.status_message}")
    if r.failure_reason:
        lines.append(f"  failure: {r.failure_reason}")
    if r.model_artifacts:
        lines.append(f"  model: {r.model_artifacts}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- stop
class StopJobArgs(JobArgs):
    pass


class JobStopped(BaseModel):
    """The outcome of stop_training_job."""

    job_name: str
    job_arn: str
    status: str
    stopped: bool = Field(description="False if the job was not running, so nothing was stopped.")
    elapsed_hours: float
    cost_usd_so_far: float | None
    cost_usd_per_hour_saved: float | None


def plan_stop(ctx: ToolContext, args: StopJobArgs) -> Plan:
    details = _details(_describe_required(ctx, args.job_name))
    running = details.status in ACTIVE
    saved = details.cost_usd_per_hour if running else 0.0
    return Plan(
        tool="stop_training_job",
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.DESTRUCTIVE,
        risk=Risk.HIGH,
        summary=f"stop training job {args.job_name} ({details.status}, {details.elapsed_hours:.2f} h in)",
        changes=[
            f"stop training job {args.job_name}: work since its last checkpoint is lost",
            f"cost: $0.00/h afterwards (saves {per_hour(saved)}; spent so far {usd(details.cost_usd_so_far)})",
        ],
        aws_operations=["sagemaker:StopTrainingJob"],
        cost_usd_per_hour=0.0,
        cost_note="nothing is billed for the job after it stops",
        region=ctx.region,
        facts={
            "status": details.status,
            "instance_type": details.instance_type,
            "instances_released": details.instance_count if running else 0,
            "elapsed_hours": details.elapsed_hours,
            "cost_usd_per_hour_saved": saved,
        },
        warnings=[] if running else [f"job is {details.status}, not running; the run changes nothing"],
    )


def run_stop(ctx: ToolContext, args: StopJobArgs) -> JobStopped:
    sm = ctx.clients.client("sagemaker")
    details = _details(_describe_required(ctx, args.job_name))
    running = details.status in ACTIVE
    status = details.status
    if running:
        sm.stop_training_job(TrainingJobName=args.job_name)
        status = "Stopping"
    return JobStopped(
        job_name=details.job_name,
        job_arn=details.job_arn,
        status=status,
        stopped=running,
        elapsed_hours=details.elapsed_hours,
        cost_usd_so_far=details.cost_usd_so_far,
        cost_usd_per_hour_saved=details.cost_usd_per_hour if running else 0.0,
    )


def render_stop(r: JobStopped) -> str:
    if not r.stopped:
        return f"Training job {r.job_name} is {r.status}; nothing to stop."
    return (
        f"Stopping training job {r.job_name} ({r.status}) after {r.elapsed_hours:.2f} h; "
        f"spent {usd(r.cost_usd_so_far)}, saves {per_hour(r.cost_usd_per_hour_saved)}"
    )


TOOLS: list[Tool] = [
    Tool(
        name="launch_training_job",
        domain="training",
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        description=(
            "Launch a SageMaker training job (default 1 x ml.trn2.48xlarge with the Neuron PyTorch image) "
            "on data in S3, stopped after max_runtime_hours."
        ),
        args_model=LaunchJobArgs,
        plan=plan_launch,
        run=run_launch,
        render=render_launch,
    ),
    Tool(
        name="describe_training_job",
        domain="training",
        effect=Effect.READ,
        risk=Risk.READ,
        description="Describe a training job: status, instances, time used and cost so far.",
        args_model=DescribeJobArgs,
        plan=plan_describe,
        run=run_describe,
        render=render_describe,
    ),
    Tool(
        name="stop_training_job",
        domain="training",
        effect=Effect.DESTRUCTIVE,
        risk=Risk.HIGH,
        description="Stop a running training job (its instances are released; unsaved progress is lost).",
        args_model=StopJobArgs,
        plan=plan_stop,
        run=run_stop,
        render=render_stop,
    ),
]
