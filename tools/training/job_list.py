"""list_training_jobs: the account's training jobs, newest first, with what the running ones cost.

Running jobs show hours so far, cost so far and $/h (on-demand list prices from the instance
catalog); finished jobs their run time and what they cost. Each listed job is described for its
instances, up to ``DESCRIBE_LIMIT`` jobs (running jobs first), because ListTrainingJobs has none.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from tools.aws import paged
from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import money
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Kind
from tools.training.jobs import ACTIVE, JobDetails, describe_job, details_of, job_row

DESCRIBE_LIMIT = 25
MAX_LIMIT = 100
JobStatus = Literal["InProgress", "Completed", "Failed", "Stopping", "Stopped"]
STATUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "InProgress": ("running", "in progress", "active", "in-progress", "ongoing", "still training", "training"),
    "Completed": ("completed", "finished", "done", "succeeded", "successful"),
    "Failed": ("failed", "errored", "broken", "crashed"),
    "Stopping": ("stopping",),
    "Stopped": ("stopped", "cancelled", "canceled", "killed"),
}
_WORD_TO_STATUS = {w: s for s, words in STATUS_SYNONYMS.items() for w in (s.lower(), *words)}
NAME_PART = re.compile(r"^[a-zA-Z0-9-]{1,63}$")


class ListJobsArgs(ToolArgs):
    """list_training_jobs' arguments: optional filters."""

    status: Annotated[
        JobStatus | None,
        ArgKind(Kind.ENUM, synonyms=STATUS_SYNONYMS),
        Field(
            default=None,
            description="Only jobs in this status: InProgress (running), Completed, Failed, Stopping, Stopped.",
        ),
    ] = None
    name_contains: Annotated[
        str | None,
        ArgKind(Kind.TEXT),
        Field(default=None, description="Only jobs whose name contains this, e.g. llama."),
    ] = None
    limit: Annotated[
        int, ArgKind(Kind.LIMIT), Field(default=50, ge=1, le=MAX_LIMIT, description="Most jobs to list (1-100).")
    ] = 50

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        found = _WORD_TO_STATUS.get(value.strip().lower().replace("_", " "))
        if found is None:
            raise ToolInputError(
                "status", value, "expected one of InProgress (running), Completed, Failed, Stopping, Stopped"
            )
        return found

    @field_validator("name_contains")
    @classmethod
    def _name_part(cls, value: str | None) -> str | None:
        if value is not None and not NAME_PART.match(value):
            raise ToolInputError("name_contains", value, "part of a job name: letters, digits and hyphens")
        return value


class JobRow(BaseModel):
    """One listed job."""

    job_name: str
    status: str
    secondary_status: str | None = None
    created_at: datetime | None = None
    ended_at: datetime | None = None
    instance_type: str | None = None
    instance_count: int | None = None
    elapsed_hours: float | None = Field(default=None, description="Hours trained so far (or in all, once ended).")
    cost_usd_per_hour: float | None = Field(default=None, description="Spend per hour while it runs.")
    cost_usd_so_far: float | None = None
    max_runtime_hours: float | None = None
    remaining_hours: float | None = Field(default=None, description="Running: hours left before its max runtime.")


class JobList(BaseModel):
    """list_training_jobs' result: newest first."""

    jobs: list[JobRow]
    status: str | None = None
    name_contains: str | None = None
    running: int = Field(description="Jobs listed that are running.")
    running_cost_usd_per_hour: float = Field(description="Spend per hour of the running jobs listed.")
    limit_reached: bool = False
    not_described: int = Field(
        default=0, description="Jobs listed without their instances (beyond the describe limit)."
    )


def _row(summary: dict[str, Any], details: JobDetails | None) -> JobRow:
    if details is None:
        return JobRow(
            job_name=summary["TrainingJobName"],
            status=summary["TrainingJobStatus"],
            secondary_status=summary.get("SecondaryStatus"),
            created_at=summary.get("CreationTime"),
            ended_at=summary.get("TrainingEndTime"),
        )
    return JobRow(**job_row(details))


def list_jobs(
    ctx: ToolContext, status: str | None = None, name_contains: str | None = None, limit: int = 50
) -> JobList:
    """The jobs, newest first; shared with summarize_spend (which lists the running ones)."""
    sm = ctx.clients.client("sagemaker")
    request: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": min(limit, 100)}
    if status:
        request["StatusEquals"] = status
    if name_contains:
        request["NameContains"] = name_contains
    summaries = paged(sm.list_training_jobs, "TrainingJobSummaries", limit=limit + 1, **request)
    more = len(summaries) > limit
    summaries = summaries[:limit]
    # Running jobs are described first: they are the ones whose cost grows.
    order = sorted(range(len(summaries)), key=lambda i: summaries[i]["TrainingJobStatus"] not in ACTIVE)
    described: dict[int, JobDetails] = {}
    for i in order[:DESCRIBE_LIMIT]:
        found = describe_job(ctx, summaries[i]["TrainingJobName"])
        if found is not None:
            described[i] = details_of(found)
    rows = [_row(s, described.get(i)) for i, s in enumerate(summaries)]
    running = [r for r in rows if r.status in ACTIVE]
    return JobList(
        jobs=rows,
        status=status,
        name_contains=name_contains,
        running=len(running),
        running_cost_usd_per_hour=round(sum(r.cost_usd_per_hour or 0.0 for r in running), 2),
        limit_reached=more,
        not_described=len(summaries) - len(described),
    )


def run_list(ctx: ToolContext, args: ListJobsArgs) -> JobList:
    """ListTrainingJobs (newest first) with the filters, each job described for its size and cost."""
    return list_jobs(ctx, args.status, args.name_contains, args.limit)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"


def render_list(r: JobList) -> str:
    """A head line with the running spend, then one line per job, newest first."""
    which = " ".join(p for p in (r.status, f"matching '{r.name_contains}'" if r.name_contains else None) if p)
    if not r.jobs:
        return f"No {which + ' ' if which else ''}training jobs."
    head = f"{len(r.jobs)} {which + ' ' if which else ''}training job(s), newest first"
    if r.running:
        head += f"; {r.running} running at {money(r.running_cost_usd_per_hour, per_hour=True)}"
    lines = [head + ":"]
    for j in r.jobs:
        size = f"{j.instance_count} x {j.instance_type}" if j.instance_type else "size n/a"
        state = f"{j.status} ({j.secondary_status})" if j.secondary_status not in (None, j.status) else j.status
        if j.status in ACTIVE and j.elapsed_hours is not None:
            left = f", {j.remaining_hours:.1f} h left of max {j.max_runtime_hours:g} h" if j.remaining_hours else ""
            money_part = (
                f"{j.elapsed_hours:.2f} h so far, {money(j.cost_usd_so_far)} so far, "
                f"{money(j.cost_usd_per_hour, per_hour=True)}{left}"
            )
        elif j.elapsed_hours is not None:
            money_part = f"ran {j.elapsed_hours:.2f} h, cost {money(j.cost_usd_so_far)}, ended {_when(j.ended_at)}"
        else:
            money_part = f"created {_when(j.created_at)}"
        lines.append(f"- {j.job_name}: {state}, {size}, {money_part}")
    if r.limit_reached:
        lines.append("(more jobs exist: raise the limit or filter by status or name)")
    if r.not_described:
        lines.append(f"({r.not_described} job(s) listed without their instances and cost)")
    return "\n".join(lines)


LIST_TOOL = Tool(
    name="list_training_jobs",
    description=(
        "List SageMaker training jobs, newest first, optionally by status (InProgress, Completed, Failed, Stopped) "
        "or name; running jobs show hours so far, cost so far and cost per hour."
    ),
    label="list training jobs",
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=ListJobsArgs,
    run=run_list,
    render=render_list,
    phrasings=(
        "(list|show) [me] [all] [the] training jobs",
        "(list|show) [me] [the] {status} [training] jobs",
        "which training jobs are {status}",
        "what [training] jobs are {status} [right now]",
        "(list|show|find) [training] jobs (named|called|containing|matching) {name_contains}",
        "{status} training jobs (named|containing|matching) {name_contains}",
        "what are [our] training jobs costing",
        "(any|are there any|anything|is anything|do we have any) [{status}] [training] jobs [{status}]",
        "(anything|is anything|something) [still] {status} [right now|rn|now]",
        "(list|show|find) [training] jobs with {name_contains} in [the|their] name",
        "how long have [the] training jobs been running",
    ),
)
