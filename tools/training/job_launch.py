"""launch_training_job: a SageMaker training job (Trn2 by default), once per request.

A launch's total cost is the worst case: the hourly cost for the whole ``max_runtime_hours``,
after which SageMaker stops the job.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools.aws import create_once
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolContext
from tools.catalog import instance_type_for, money, price, price_notes, price_source
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Count, InstanceType, Kind, Name
from tools.s3paths import check_bucket, check_objects
from tools.training.common import default_training_image, is_own_attempt
from tools.training.jobs import JobArgs, describe_job
from tools.validation import ImageUri, S3Uri, SageMakerName

MAX_RUNTIME_HOURS = 28 * 24  # SageMaker's longest MaxRuntimeInSeconds
MAX_JOB_INSTANCES = 10000  # a sanity bound; the policy sets the real per-action limit
VOLUME_SIZE_GB = 512  # EBS scratch per instance for the dataset copy and checkpoints
TRAIN_CHANNEL = "train"


class LaunchJobArgs(JobArgs):
    """launch_training_job's arguments."""

    job_name: Annotated[
        str,
        Name("training_job", new=True),
        SageMakerName,
        Field(description="Name of the training job, e.g. llama-pretrain-stage2."),
    ]
    instance_type: Annotated[
        str,
        InstanceType("training"),
        instance_type_for("training"),
        Field(default="ml.trn2.48xlarge", description="Training instance type, e.g. ml.trn2.48xlarge."),
    ] = "ml.trn2.48xlarge"
    instance_count: Annotated[
        int,
        Count("instance"),
        Field(default=1, ge=1, le=MAX_JOB_INSTANCES, description="Number of training instances."),
    ] = 1
    image_uri: Annotated[
        str | None,
        ArgKind(Kind.IMAGE_URI),
        ImageUri,
        Field(default=None, description="ECR training image; default: settings or the Neuron PyTorch training DLC."),
    ] = None
    input_s3_uri: Annotated[
        str,
        ArgKind(Kind.S3_URI, role="input"),
        S3Uri,
        Field(description="s3:// prefix of the training data (channel 'train')."),
    ]
    output_s3_uri: Annotated[
        str,
        ArgKind(Kind.S3_URI, role="output"),
        S3Uri,
        Field(description="s3:// prefix where SageMaker writes the model artifacts."),
    ]
    max_runtime_hours: Annotated[
        float,
        ArgKind(Kind.HOURS),
        Field(default=24, gt=0, le=MAX_RUNTIME_HOURS, description="Hours after which SageMaker stops the job."),
    ] = 24


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
        "RoleArn": ctx.sagemaker_role_arn,
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
    tags = ctx.request_tags()
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
    """The job's size, image, data, time limit and worst-case cost; nothing to do when the same job exists,
    refused when the name is taken by another, when the input prefix has no objects or the output bucket
    does not exist."""
    hourly, total = _costs(args.instance_type, args.instance_count, args.max_runtime_hours)
    request = launch_request(ctx, args)
    image = request["AlgorithmSpecification"]["TrainingImage"]
    warnings = [
        f"{args.instance_type} has no published on-demand price: its cost is an estimate ({n})"
        for n in price_notes([args.instance_type])
    ]
    existing = describe_job(ctx, args.job_name)
    if existing is not None:
        status = existing["TrainingJobStatus"]
        if not _same_spec(existing, request):
            raise ToolInputError(
                "job_name",
                args.job_name,
                f"a training job with this name already exists ({status}) and names are never reused; "
                "choose a new name",
            )
        return Plan(
            summary=f"training job {args.job_name} already exists with this spec ({status}); nothing to launch",
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            facts={"exists": True, "status": status},
        )
    checks = [
        check_objects(ctx, "input_s3_uri", args.input_s3_uri, "training data"),
        check_bucket(ctx, "output_s3_uri", args.output_s3_uri, "artifacts destination"),
    ]
    warnings += [w for c in checks if (w := c.warning())]
    launch = AwsOperation(
        operation="sagemaker:CreateTrainingJob",
        params={"TrainingJobName": args.job_name, "ResourceConfig": request["ResourceConfig"]},
    )
    per_hour = money(hourly, per_hour=True)
    return Plan(
        summary=(
            f"launch training job {args.job_name} on {args.instance_count} x {args.instance_type} "
            f"for at most {args.max_runtime_hours:g} h ({money(total)} max)"
        ),
        changes=[
            f"training job {args.job_name}: {args.instance_count} x {args.instance_type}, image {image}",
            f"data {args.input_s3_uri} {checks[0].note()} -> artifacts {args.output_s3_uri} {checks[1].note()}",
            f"stops after {args.max_runtime_hours:g} h at the latest",
            f"cost: {per_hour} added while it runs; at most {money(total)} ({per_hour} x {args.max_runtime_hours:g} h)",
        ],
        aws_operations=[launch],
        cost_usd_per_hour=hourly,
        cost_usd_total=total,
        cost_note=f"total is the worst case (the full max runtime); {price_source()}",
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        facts={
            "image_uri": image,
            "execution_role_arn": ctx.sagemaker_role_arn,
            "input_s3_uri": args.input_s3_uri,
            "output_s3_uri": args.output_s3_uri,
            "max_runtime_hours": args.max_runtime_hours,
            "data_checks": {c.what: {"uri": c.uri, "ok": c.ok, "detail": c.detail} for c in checks},
            "exists": False,
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
    """CreateTrainingJob, unless this request (or an identical spec) already launched it."""
    sm = ctx.clients.client("sagemaker")
    request = launch_request(ctx, args)
    found, outcome = create_once(lambda: describe_job(ctx, args.job_name), lambda: sm.create_training_job(**request))
    if outcome != "created":
        return _found_existing(ctx, args, request, found)
    return _launched(args, request, found["TrainingJobArn"], "InProgress", created=True)


def render_launch(r: JobLaunched) -> str:
    """Size, cost and time limit, then data and image."""
    verb = "Launched" if r.created else "Kept existing"
    text = (
        f"{verb} training job {r.job_name} ({r.status}): {r.instance_count} x {r.instance_type}, "
        f"{money(r.cost_usd_per_hour, per_hour=True)}, at most {r.max_runtime_hours:g} h = {money(r.cost_usd_max)}\n"
        f"  data {r.input_s3_uri} -> {r.output_s3_uri}\n  image {r.image_uri}"
    )
    return text + (f"\n  note: {r.note}" if r.note else "")


LAUNCH_TOOL = Tool(
    name="launch_training_job",
    description=(
        "Launch a SageMaker training job (default 1 x ml.trn2.48xlarge with the Neuron PyTorch image) "
        "on data in S3, stopped after max_runtime_hours."
    ),
    label="launch a training job",
    phrasings=(
        "(create|launch|spin up|provision|set up|setup|stand up|make|build|start|bring up|deploy|kick off|fire "
        "up|new) [me] [a|an] [new] [training|fine-tuning|finetuning|pretraining|pre-training|sft] (job|run) "
        "[called|named] [{job_name}]",
        "(submit|queue|run) [a|an] [new] [training|fine-tuning|finetuning] (job|run) [called|named] [{job_name}]",
        "(train|fine-tune|finetune|pretrain) [a model] (as|called|named) {job_name}",
        "start training job {job_name}",
        "(name|call) it {job_name}",
        "(named|called) {job_name}",
        "name [is|:] {job_name}",
        "(input|data|dataset|datasets|from|reading|read from|train on|training data|data is in|data is in) [is] "
        "[at|in] {input_s3_uri}",
        "(output|outputs|to|write to|save to|write|save|artifacts to|output to|results to) [is] [at|in] "
        "{output_s3_uri}",
        "(max|at most|up to|for|limit|runtime|max runtime|for up to) {max_runtime_hours}",
        "(image|container|using image|with image) {image_uri}",
    ),
    effect=Effect.WRITE,
    risk=Risk.MEDIUM,
    args_model=LaunchJobArgs,
    plan=plan_launch,
    run=run_launch,
    render=render_launch,
)
