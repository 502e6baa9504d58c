"""Training jobs as opsbot reads them (describe_training_job), and stopping one (stop_training_job).

Costs are on-demand list prices from the instance catalog: time used so far x hourly cost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools.aws import describe_or_none
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import money, price
from tools.errors import ToolInputError
from tools.kinds import Name
from tools.validation import SageMakerName

ACTIVE = ("InProgress",)


class JobArgs(ToolArgs):
    """Base of the tools that name one training job."""

    job_name: Annotated[
        str,
        Name("training_job"),
        SageMakerName,
        Field(description="Name of the training job, e.g. llama-pretrain-stage2."),
    ]


def describe_job(ctx: ToolContext, name: str) -> dict[str, Any] | None:
    """DescribeTrainingJob, or None when there is no job of that name."""
    return describe_or_none(ctx.clients.client("sagemaker").describe_training_job, TrainingJobName=name)


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


def details_of(described: dict[str, Any]) -> JobDetails:
    """A DescribeTrainingJob answer as JobDetails."""
    resources = described.get("ResourceConfig", {})
    itype, count = resources.get("InstanceType"), resources.get("InstanceCount")
    started, ended = described.get("TrainingStartTime"), described.get("TrainingEndTime")
    elapsed = ((ended or datetime.now(UTC)) - started).total_seconds() / 3600 if started else 0.0
    unit = price(itype)
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


def job_row(details: JobDetails) -> dict[str, Any]:
    """The fields of a job a listing shows: running jobs carry their spend per hour and time left."""
    running = details.status in ACTIVE
    remaining = (
        round(max(details.max_runtime_hours - details.elapsed_hours, 0.0), 2)
        if running and details.max_runtime_hours
        else None
    )
    return {
        "job_name": details.job_name,
        "status": details.status,
        "secondary_status": details.secondary_status,
        "created_at": details.created_at,
        "ended_at": details.ended_at,
        "instance_type": details.instance_type,
        "instance_count": details.instance_count,
        "elapsed_hours": details.elapsed_hours,
        "cost_usd_per_hour": details.cost_usd_per_hour if running else None,
        "cost_usd_so_far": details.cost_usd_so_far,
        "max_runtime_hours": details.max_runtime_hours,
        "remaining_hours": remaining,
    }


def job_details(ctx: ToolContext, name: str) -> JobDetails:
    """The job ``name``, or a ToolInputError saying there is none."""
    described = describe_job(ctx, name)
    if described is None:
        raise ToolInputError("job_name", name, f"no training job with this name in {ctx.account}/{ctx.region}")
    return details_of(described)


def run_describe(ctx: ToolContext, args: JobArgs) -> JobDetails:
    """The job with its time used and cost so far."""
    return job_details(ctx, args.job_name)


def render_describe(r: JobDetails) -> str:
    """Status, size and cost, then time used and what went wrong, if anything."""
    size = f"{r.instance_count} x {r.instance_type}" if r.instance_type else "size n/a"
    limit = f" of max {r.max_runtime_hours:g} h" if r.max_runtime_hours else ""
    lines = [
        f"{r.job_name}: {r.status} ({r.secondary_status or '-'}), {size}, {money(r.cost_usd_per_hour, per_hour=True)}",
        f"  ran {r.elapsed_hours:.2f} h{limit}, cost so far {money(r.cost_usd_so_far)}",
    ]
    if r.status_message:
        lines.append(f"  {r.status_message}")
    if r.failure_reason:
        lines.append(f"  failure: {r.failure_reason}")
    if r.model_artifacts:
        lines.append(f"  model: {r.model_artifacts}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- stop
class JobStopped(BaseModel):
    """The outcome of stop_training_job."""

    job_name: str
    job_arn: str
    status: str
    stopped: bool = Field(description="False if the job was not running, so nothing was stopped.")
    elapsed_hours: float
    cost_usd_so_far: float | None
    cost_usd_per_hour_saved: float | None


def plan_stop(ctx: ToolContext, args: JobArgs) -> Plan:
    """What stopping loses and saves; no AWS write for a job that is not running."""
    details = job_details(ctx, args.job_name)
    running = details.status in ACTIVE
    saved = details.cost_usd_per_hour if running else 0.0
    if not running:
        return Plan(
            summary=f"training job {args.job_name} is {details.status}, not running; nothing to stop",
            cost_usd_per_hour=0.0,
            facts={"status": details.status, "instances_released": 0, "cost_usd_per_hour_saved": 0.0},
        )
    stop = AwsOperation(operation="sagemaker:StopTrainingJob", params={"TrainingJobName": args.job_name})
    return Plan(
        summary=f"stop training job {args.job_name} ({details.status}, {details.elapsed_hours:.2f} h in)",
        changes=[
            f"stop training job {args.job_name}: work since its last checkpoint is lost",
            f"cost: $0.00/h afterwards (saves {money(saved, per_hour=True)}; "
            f"spent so far {money(details.cost_usd_so_far)})",
        ],
        aws_operations=[stop],
        cost_usd_per_hour=0.0,
        cost_note="nothing is billed for the job after it stops",
        facts={
            "status": details.status,
            "instance_type": details.instance_type,
            "instances_released": details.instance_count,
            "elapsed_hours": details.elapsed_hours,
            "cost_usd_per_hour_saved": saved,
        },
    )


def run_stop(ctx: ToolContext, args: JobArgs) -> JobStopped:
    """StopTrainingJob if the job is running."""
    sm = ctx.clients.client("sagemaker")
    details = job_details(ctx, args.job_name)
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
    """What was stopped, spent and saved, or that nothing was running."""
    if not r.stopped:
        return f"Training job {r.job_name} is {r.status}; nothing to stop."
    return (
        f"Stopping training job {r.job_name} ({r.status}) after {r.elapsed_hours:.2f} h; "
        f"spent {money(r.cost_usd_so_far)}, saves {money(r.cost_usd_per_hour_saved, per_hour=True)}"
    )


DESCRIBE_TOOL = Tool(
    name="describe_training_job",
    description="Describe a training job: status, instances, time used and cost so far.",
    label="describe a training job",
    phrasings=(
        "(anything|something) [weird|wrong|odd|off|strange|unusual|funny] (going on|happening|up) (with|on) [the] "
        "{job_name}",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[me] [on] [the] [training] [job|run] {job_name}",
        "(how is|hows|how are|how are things with|what is up with|whats up with|what is going on with) {job_name} "
        "(going|doing|progressing|looking|coming along)",
        "(how is|hows|how are|how are things with|what is up with|whats up with|what is going on with) [the] "
        "[training] (job|run) {job_name}",
        "how (did|does) {job_name} (go|do|look|end|finish)",
        "[tell me] how {job_name} (did|went|is going|is doing|turned out|ended)",
        "(status|state|progress|details|loss|metrics) (of|on|for) [training] [job] {job_name}",
        "is {job_name} [still] "
        "(running|done|finished|complete|completed|ok|healthy|going|alive|stuck|chugging|moving|progressing) "
        "[along]",
        "how far (along|in) is {job_name}",
        "is [the] training job {job_name} [still] (running|done|finished|ok)",
        "(check|look|check in|peek) (on|at) {job_name} [for me]",
        "(take a look|have a look) at {job_name}",
        "what is (going on|happening|up) with {job_name}",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[the|a] training (job|run)",
        "{job_name} (status|progress|loss)",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=JobArgs,
    run=run_describe,
    render=render_describe,
)
STOP_TOOL = Tool(
    name="stop_training_job",
    description="Stop a running training job (its instances are released; unsaved progress is lost).",
    label="stop a training job",
    phrasings=(
        "(stop|cancel|halt|abort|kill|terminate|interrupt|end|pause|stpo) {job_name}",
        "(stop|cancel|halt|abort|kill|terminate) [the|a] [training] (job|run)",
    ),
    effect=Effect.DESTRUCTIVE,
    risk=Risk.HIGH,
    idempotent=True,
    args_model=JobArgs,
    plan=plan_stop,
    run=run_stop,
    render=render_stop,
)
