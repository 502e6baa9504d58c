"""summarize_spend: what everything opsbot manages costs while it runs, now and projected.

Running now: HyperPod clusters, endpoints, caches (ElastiCache nodes at list price, serverless caches
by their last hour of use) and running training jobs, each with its $/h, per domain and in total; the
projection for a day, a week and a month (730 h), or for the hours asked. A running training job
counts only until its max runtime, when SageMaker stops it. Training plans are paid upfront: they are
listed apart, with their fee, and are not part of the hourly total (a cluster on a plan adds $0/h).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from tools.aws import paged
from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import money, price_notes, price_source
from tools.errors import OpsbotError, aws_error_message
from tools.kinds import ArgKind, Kind

DEFAULT_HORIZONS = ((24.0, "a day"), (168.0, "a week"), (730.0, "a month (730 h)"))
LIVE_PLAN_STATUSES = ("Pending", "Scheduled", "Active")


class SpendArgs(ToolArgs):
    """summarize_spend's arguments."""

    hours: Annotated[
        float | None,
        ArgKind(Kind.HOURS),
        Field(
            default=None,
            gt=0,
            le=24 * 366,
            description="Project the spend over this many hours; default: a day, a week and a month.",
        ),
    ] = None


class SpendItem(BaseModel):
    """One running resource and what it costs."""

    domain: str
    kind: str
    name: str
    detail: str
    cost_usd_per_hour: float | None
    hours_left: float | None = Field(default=None, description="A training job's hours before its max runtime.")
    note: str | None = None


class Projection(BaseModel):
    """Spend over some hours, per domain and in total."""

    hours: float
    label: str
    by_domain: dict[str, float]
    total_usd: float


class PlanPayment(BaseModel):
    """A training plan: paid upfront, not part of the hourly spend."""

    plan_name: str
    status: str
    upfront_fee_usd: float
    currency: str
    capacity: str
    start: datetime | None = None
    end: datetime | None = None


class SpendSummary(BaseModel):
    """summarize_spend's result."""

    items: list[SpendItem]
    by_domain: dict[str, float] = Field(description="$/h per domain.")
    total_usd_per_hour: float
    projections: list[Projection]
    training_plans: list[PlanPayment]
    upfront_total_usd: float
    unreadable: list[str] = Field(default_factory=list, description="What could not be read, and why.")
    notes: list[str] = Field(default_factory=list)
    region: str = Field(default="", description="The region summed.")


def _clusters(ctx: ToolContext) -> list[SpendItem]:
    from tools.training.clusters import ListClustersArgs, run_list

    items = []
    for c in run_list(ctx, ListClustersArgs()).clusters:
        if c.status in ("Deleting", "Failed"):
            continue
        size = f"{c.instance_count} x {'/'.join(c.instance_types)}" if c.instance_count is not None else "size n/a"
        on_plan = c.cost_usd_per_hour == 0 and bool(c.instance_count)
        items.append(
            SpendItem(
                domain="training",
                kind="HyperPod cluster",
                name=c.cluster_name,
                detail=f"{size}, {c.status}",
                cost_usd_per_hour=c.cost_usd_per_hour,
                note="on a training plan: prepaid" if on_plan else None,
            )
        )
    return items


def _jobs(ctx: ToolContext) -> list[SpendItem]:
    from tools.training.job_list import list_jobs

    return [
        SpendItem(
            domain="training",
            kind="training job",
            name=j.job_name,
            detail=f"{j.instance_count} x {j.instance_type}, running {j.elapsed_hours or 0:.1f} h",
            cost_usd_per_hour=j.cost_usd_per_hour,
            hours_left=j.remaining_hours,
        )
        for j in list_jobs(ctx, status="InProgress", limit=100).jobs
    ]


def _endpoints(ctx: ToolContext) -> list[SpendItem]:
    from tools.inference.endpoints import NoArgs, list_run

    return [
        SpendItem(
            domain="inference",
            kind="endpoint",
            name=e.endpoint_name,
            detail=f"{e.instance_count} x {e.instance_type or '?'}, {e.status}",
            cost_usd_per_hour=e.cost_usd_per_hour,
        )
        for e in list_run(ctx, NoArgs()).endpoints
        if e.status not in ("Deleting", "Failed", "OutOfService")
    ]


def _caches(ctx: ToolContext) -> list[SpendItem]:
    from tools.cache.listing import list_caches

    items = []
    for c in list_caches(ctx).caches:
        if c.kind == "serverless":
            detail = f"serverless {c.engine}, {c.data_stored_gb or 0:g} GB stored"
        else:
            detail = f"{c.total_nodes} x {c.node_type}, {c.engine}"
        items.append(
            SpendItem(
                domain="cache",
                kind="cache",
                name=c.cache_id,
                detail=detail,
                cost_usd_per_hour=c.cost_usd_per_hour,
                note="billed by use, from its last hour" if c.kind == "serverless" else None,
            )
        )
    return items


def _plans(ctx: ToolContext) -> list[PlanPayment]:
    sm = ctx.clients.client("sagemaker")
    out = []
    for p in paged(sm.list_training_plans, "TrainingPlanSummaries", limit=1000, MaxResults=100):
        if p.get("Status") not in LIVE_PLAN_STATUSES:
            continue
        reserved = (p.get("ReservedCapacitySummaries") or [{}])[0]
        ultra = (
            f" ({reserved['UltraServerCount']} x {reserved['UltraServerType']})"
            if reserved.get("UltraServerType")
            else ""
        )
        out.append(
            PlanPayment(
                plan_name=p["TrainingPlanName"],
                status=p["Status"],
                upfront_fee_usd=float(p.get("UpfrontFee") or 0),
                currency=p.get("CurrencyCode", "USD"),
                capacity=f"{p.get('TotalInstanceCount', reserved.get('TotalInstanceCount'))} x "
                f"{reserved.get('InstanceType', '?')}{ultra}",
                start=p.get("StartTime"),
                end=p.get("EndTime"),
            )
        )
    return out


def _read(what: str, read: Callable[[ToolContext], Any], ctx: ToolContext, unreadable: list[str]) -> Any:
    """A reader's answer; an AWS refusal leaves it out and says so (one domain's trouble hides no other)."""
    try:
        return read(ctx)
    except (ClientError, BotoCoreError) as exc:
        unreadable.append(f"{what}: {aws_error_message(exc)}")
    except OpsbotError as exc:
        unreadable.append(f"{what}: {exc}")
    return []


def _project(items: list[SpendItem], hours: float, label: str) -> Projection:
    by_domain: dict[str, float] = {}
    for item in items:
        span = hours if item.hours_left is None else min(hours, item.hours_left)
        by_domain[item.domain] = by_domain.get(item.domain, 0.0) + (item.cost_usd_per_hour or 0.0) * span
    rounded = {d: round(v, 2) for d, v in by_domain.items()}
    return Projection(hours=hours, label=label, by_domain=rounded, total_usd=round(sum(by_domain.values()), 2))


def summarize(ctx: ToolContext, hours: float | None = None) -> SpendSummary:
    """Read every domain's running resources and add them up."""
    unreadable: list[str] = []
    items: list[SpendItem] = []
    for what, read in (
        ("HyperPod clusters", _clusters),
        ("training jobs", _jobs),
        ("endpoints", _endpoints),
        ("caches", _caches),
    ):
        items += _read(what, read, ctx, unreadable)
    plans = _read("training plans", _plans, ctx, unreadable)
    by_domain: dict[str, float] = {}
    for item in items:
        by_domain[item.domain] = round(by_domain.get(item.domain, 0.0) + (item.cost_usd_per_hour or 0.0), 3)
    horizons = ((hours, f"{hours:g} h"),) if hours else DEFAULT_HORIZONS
    notes = [f"prices: {price_source()}"]
    unpriced = [i.name for i in items if i.cost_usd_per_hour is None]
    if unpriced:
        notes.append("no price known for " + ", ".join(unpriced) + ": left out of the totals")
    if any(i.hours_left is not None for i in items):
        notes.append("a running training job is projected only until its max runtime stops it")
    types = [part for i in items for part in i.detail.replace(",", " ").split() if part.startswith("ml.")]
    notes += [f"estimate: {n}" for n in price_notes(types)]
    return SpendSummary(
        items=items,
        by_domain=by_domain,
        total_usd_per_hour=round(sum(by_domain.values()), 2),
        projections=[_project(items, h, label) for h, label in horizons],
        training_plans=plans,
        upfront_total_usd=round(sum(p.upfront_fee_usd for p in plans), 2),
        unreadable=unreadable,
        notes=notes,
        region=ctx.region,
    )


def run_spend(ctx: ToolContext, args: SpendArgs) -> SpendSummary:
    """Everything running now, its hourly cost and the projection."""
    return summarize(ctx, args.hours)


def render_spend(r: SpendSummary) -> str:
    """The total, each domain with its resources, the projections, then the upfront plans."""
    if not r.items and not r.training_plans:
        where = f" in {r.region}" if r.region else ""
        head = f"Nothing that opsbot manages is running{where}." + (" (some could not be read)" if r.unreadable else "")
        return "\n".join([head, *(f"could not read {u}" for u in r.unreadable)])
    lines = [f"Running now: {money(r.total_usd_per_hour, per_hour=True)} across {len(r.items)} resource(s)"]
    for domain, rate in sorted(r.by_domain.items(), key=lambda kv: -kv[1]):
        mine = [i for i in r.items if i.domain == domain]
        lines.append(f"{domain}: {money(rate, per_hour=True)}")
        for i in sorted(mine, key=lambda i: -(i.cost_usd_per_hour or 0)):
            extra = []
            if i.hours_left is not None:
                extra.append(f"{i.hours_left:.1f} h left")
            if i.note:
                extra.append(i.note)
            tail = f" ({'; '.join(extra)})" if extra else ""
            digits = 3 if domain == "cache" else 2
            lines.append(
                f"  - {i.kind} {i.name}: {i.detail}, {money(i.cost_usd_per_hour, per_hour=True, digits=digits)}{tail}"
            )
    lines.append(
        "projected: "
        + "; ".join(
            f"{p.label} {money(p.total_usd)} ("
            + ", ".join(f"{d} {money(v)}" for d, v in sorted(p.by_domain.items(), key=lambda kv: -kv[1]))
            + ")"
            for p in r.projections
        )
    )
    if r.training_plans:
        lines.append(f"training plans, paid upfront (not in the hourly total): {money(r.upfront_total_usd)}")
        for p in r.training_plans:
            when = f"{p.start:%Y-%m-%d} -> {p.end:%Y-%m-%d}" if p.start and p.end else ""
            lines.append(
                f"  - {p.plan_name}: {p.capacity}, {p.status} {when}, {money(p.upfront_fee_usd)} {p.currency}".rstrip()
            )
    lines += [f"could not read {u}" for u in r.unreadable]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


SPEND_TOOL = Tool(
    name="summarize_spend",
    description=(
        "What is running now and what it costs: HyperPod clusters, running training jobs, endpoints and caches, "
        "$/h per resource, per domain and in total, projected over a day, a week and a month (or the hours "
        "given); training plans' upfront payments listed apart."
    ),
    label="summarize what we are spending",
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=SpendArgs,
    run=run_spend,
    render=render_spend,
    phrasings=(
        "what are we spending",
        "how much are we spending [per hour|right now]",
        "what (is|are) [our] (spend|costs|burn rate|burn|hourly burn|run rate) [right now|rn|now|today]",
        "(how much|what) will (everything|all this|all of this|it all|this all) cost [us] (over|for|in) [the next] "
        "{hours}",
        "(summarize|show) [our] (spend|spending|costs)",
        "what will [this|everything] cost (over|for) [the next] {hours}",
        "how much does everything cost per (hour|day|month)",
        "what is running and what does it cost",
        "what is running [right now|rn|now|atm|at the moment|currently]",
        "(anything|something|what is) running that costs [money|anything|us]",
        "[our|the] [current|hourly] (burn rate|run rate|burn)",
        "what are we (burning|spending) [per hour|an hour|a day|right now|rn|now|atm]",
        "[daily|weekly|monthly] (spend|cost|costs|burn) (projection|forecast|estimate|outlook)",
    ),
)
