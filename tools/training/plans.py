"""Training plan tools: search reserved-capacity offerings and buy one.

Instance types that come only in UltraServers (ml.p6e-gb200.36xlarge) are searched by UltraServer:
18 instances are one ml.u-p6e-gb200x72; an UltraServer type may also be named directly, and then
``instance_count`` counts UltraServers.

AWS has no call that describes an offering by id, so ``search_training_plans`` remembers the
offerings it showed (``OPSBOT_HOME/training/offerings.json``, per account and region) and
``purchase_training_plan`` prices its plan from there: an offering nobody searched for cannot
be bought, because nobody could have seen its upfront fee. The plan refuses an unknown offering,
or one whose reservation has begun, before anyone is asked to approve.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from tools.aws import create_once, describe_or_none
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import UltraServer, catalog, check_instance_type, money, normalise_instance_type, price, price_source
from tools.errors import NotFoundError, ToolInputError
from tools.kinds import ArgKind, Count, InstanceType, Kind, Name
from tools.validation import SageMakerName

# Instance types SageMaker sells training plans for (botocore's ReservedCapacityInstanceType).
RESERVABLE = frozenset(
    {
        "ml.p4d.24xlarge",
        "ml.p4de.24xlarge",
        "ml.p5.4xlarge",
        "ml.p5.48xlarge",
        "ml.p5e.48xlarge",
        "ml.p5en.48xlarge",
        "ml.p6-b200.48xlarge",
        "ml.p6-b300.48xlarge",
        "ml.p6e-gb200.36xlarge",
        "ml.trn1.32xlarge",
        "ml.trn2.48xlarge",
    }
)
MAX_PLAN_INSTANCES = 256
MAX_PLAN_HOURS = 182 * 24  # plans last at most 182 days
OFFERING_ID = re.compile(r"^[a-z0-9-]{1,256}$")
CACHE_LIMIT = 200  # offerings remembered per opsbot home


# ------------------------------------------------------------------------------- offering cache
def _cache_file(ctx: ToolContext) -> Path:
    return ctx.settings.home_dir / "training" / "offerings.json"


def _cache_key(ctx: ToolContext, offering_id: str) -> str:
    return f"{ctx.account}/{ctx.region}/{offering_id}"


def _load_cache(ctx: ToolContext) -> dict[str, Any]:
    try:
        return json.loads(_cache_file(ctx).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def remember_offerings(ctx: ToolContext, offerings: list[Offering]) -> None:
    """Keep the offerings just shown, so a purchase can show their fee."""
    cache = _load_cache(ctx)
    for offering in offerings:
        cache.pop(_cache_key(ctx, offering.offering_id), None)
        cache[_cache_key(ctx, offering.offering_id)] = offering.model_dump(mode="json")
    kept = dict(list(cache.items())[-CACHE_LIMIT:])
    path = _cache_file(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(kept, indent=1))
    os.replace(tmp, path)


def recall_offering(ctx: ToolContext, offering_id: str) -> Offering:
    """An offering an earlier search showed in this account and region that can still be bought, or a
    NotFoundError naming it and how to list offerings (AWS has no call that describes one by id)."""
    data = _load_cache(ctx).get(_cache_key(ctx, offering_id))
    how = (
        "search_training_plans lists the offerings (e.g. 'search training plans for 4 x ml.trn2.48xlarge for "
        "24 hours'); buy one of the ids it lists"
    )
    if data is None:
        raise NotFoundError(
            f"training plan offering {offering_id!r} was not found in {ctx.account}/{ctx.region}; {how}",
            field="offering_id",
        )
    offering = Offering.model_validate(data)
    if offering.start is not None and offering.start <= datetime.now(UTC):
        raise NotFoundError(
            f"training plan offering {offering_id!r} is no longer offered: its reservation began "
            f"{_when(offering.start)}; {how}",
            field="offering_id",
        )
    return offering


# -------------------------------------------------------------------------------------- search
class SearchPlansArgs(ToolArgs):
    """search_training_plans' arguments."""

    instance_type: Annotated[
        str,
        InstanceType("training"),
        Field(
            description="Instance type to reserve, e.g. ml.trn2.48xlarge, or an UltraServer type such as "
            "ml.u-p6e-gb200x72."
        ),
    ]
    instance_count: Annotated[
        int,
        Count("instance"),
        Field(
            ge=1,
            le=MAX_PLAN_INSTANCES,
            description="Number of instances to reserve (of UltraServers, for an UltraServer type).",
        ),
    ]
    duration_hours: Annotated[
        int,
        ArgKind(Kind.HOURS),
        Field(ge=1, le=MAX_PLAN_HOURS, description="How long to reserve them, in hours (whole days are sold)."),
    ]
    target: Annotated[
        Literal["hyperpod-cluster", "training-job"],
        ArgKind(Kind.ENUM, synonyms={"hyperpod-cluster": ("hyperpod", "cluster"), "training-job": ("training job",)}),
        Field(default="hyperpod-cluster", description="What will use the capacity: hyperpod-cluster or training-job."),
    ] = "hyperpod-cluster"

    @field_validator("instance_type")
    @classmethod
    def _type(cls, value: str) -> str:
        name = normalise_instance_type(value, "training")
        if catalog().ultraserver(name) is not None:
            return name
        row = check_instance_type(value, "training")
        if row.name not in RESERVABLE:
            allowed = ", ".join(
                [*sorted(i.name for i in catalog().for_use("training") if i.name in RESERVABLE)]
                + [u.name for u in catalog().ultraservers]
            )
            raise ToolInputError(
                "instance_type", value, f"training plans are not sold for {row.name}; allowed: {allowed}"
            )
        return row.name

    @model_validator(mode="after")
    def _whole_ultraservers(self) -> SearchPlansArgs:
        self.ultraserver()  # refuses a count that no UltraServer makes
        return self

    def ultraserver(self) -> tuple[UltraServer, int] | None:
        """(UltraServer type, how many) when the capacity is sold by UltraServer, else None."""
        named = catalog().ultraserver(self.instance_type)
        if named is not None:
            return named, self.instance_count
        kinds = catalog().ultraservers_of(self.instance_type)
        if not kinds:
            return None
        for kind in reversed(kinds):  # the largest UltraServer that makes the count
            if self.instance_count % kind.instance_count == 0:
                return kind, self.instance_count // kind.instance_count
        sizes = " or ".join(f"{u.instance_count} ({u.name})" for u in kinds)
        raise ToolInputError(
            "instance_count",
            self.instance_count,
            f"{self.instance_type} is sold by UltraServer: a multiple of {sizes} instances",
        )


class Offering(BaseModel):
    """One reserved-capacity offering."""

    offering_id: str
    instance_type: str
    instance_count: int
    availability_zone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    duration_hours: int
    upfront_fee_usd: float
    currency: str
    target_resources: list[str]
    ultraserver_type: str | None = None
    ultraserver_count: int | None = None
    on_demand_usd: float | None = Field(description="What the same instance-hours cost on demand.")
    saving_pct: float | None = Field(description="Saving against on-demand, in percent.")
    effective_usd_per_hour: float = Field(description="Upfront fee / duration: the plan's hourly equivalent.")


class OfferingList(BaseModel):
    """search_training_plans' result: the offerings, earliest start first."""

    instance_type: str
    instance_count: int
    duration_hours: int
    offerings: list[Offering]


def _offering(raw: dict[str, Any]) -> Offering:
    reserved = (raw.get("ReservedCapacityOfferings") or [{}])[0]
    hours = int(raw.get("DurationHours") or reserved.get("DurationHours") or 0)
    fee = float(raw.get("UpfrontFee") or 0)
    itype, count = reserved.get("InstanceType", ""), int(reserved.get("InstanceCount", 0))
    unit = price(itype)
    on_demand = round(unit * count * hours, 2) if unit is not None else None
    return Offering(
        offering_id=raw["TrainingPlanOfferingId"],
        instance_type=itype,
        instance_count=count,
        ultraserver_type=reserved.get("UltraServerType"),
        ultraserver_count=reserved.get("UltraServerCount"),
        availability_zone=reserved.get("AvailabilityZone"),
        start=reserved.get("StartTime"),
        end=reserved.get("EndTime"),
        duration_hours=hours,
        upfront_fee_usd=fee,
        currency=raw.get("CurrencyCode", "USD"),
        target_resources=list(raw.get("TargetResources", [])),
        on_demand_usd=on_demand,
        saving_pct=round(100 * (1 - fee / on_demand), 1) if on_demand else None,
        effective_usd_per_hour=round(fee / hours, 2) if hours else 0.0,
    )


def run_search(ctx: ToolContext, args: SearchPlansArgs) -> OfferingList:
    """The offerings for the request, remembered so that one of them can be bought."""
    sm = ctx.clients.client("sagemaker")
    by_ultraserver = args.ultraserver()
    size: dict[str, Any] = (
        {"UltraServerType": by_ultraserver[0].name, "UltraServerCount": by_ultraserver[1]}
        if by_ultraserver
        else {"InstanceType": args.instance_type, "InstanceCount": args.instance_count}
    )
    response = sm.search_training_plan_offerings(
        **size, DurationHours=args.duration_hours, TargetResources=[args.target]
    )
    offerings = sorted(
        (_offering(o) for o in response.get("TrainingPlanOfferings", [])),
        key=lambda o: (o.start is None, o.start or datetime.min, o.upfront_fee_usd),
    )
    remember_offerings(ctx, offerings)
    instance_type, instance_count = args.instance_type, args.instance_count
    if by_ultraserver:
        instance_type, instance_count = (
            by_ultraserver[0].instance_type,
            by_ultraserver[1] * by_ultraserver[0].instance_count,
        )
    return OfferingList(
        instance_type=instance_type,
        instance_count=instance_count,
        duration_hours=args.duration_hours,
        offerings=offerings,
    )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "?"


def render_search(r: OfferingList) -> str:
    """One line per offering: when, where, the fee and the saving."""
    head = f"{r.instance_count} x {r.instance_type} for {r.duration_hours} h"
    if not r.offerings:
        return f"No training plan offerings for {head}; try fewer instances, another duration or another type."
    lines = [f"{len(r.offerings)} offering(s) for {head}:"]
    for o in r.offerings:
        saving = f", {o.saving_pct:g}% under on-demand" if o.saving_pct is not None else ""
        ultra = f", {o.ultraserver_count} x {o.ultraserver_type}" if o.ultraserver_type else ""
        lines.append(
            f"- {o.offering_id}: {_when(o.start)} -> {_when(o.end)} ({o.duration_hours} h, {o.availability_zone}"
            f"{ultra}), upfront {money(o.upfront_fee_usd)} {o.currency}{saving}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ purchase
class PurchasePlanArgs(ToolArgs):
    """purchase_training_plan's arguments."""

    plan_name: Annotated[
        str,
        Name("training_plan", new=True),
        SageMakerName,
        Field(description="Name for the new training plan, e.g. llama-q3-capacity."),
    ]
    offering_id: Annotated[
        str,
        ArgKind(Kind.ID, of="training_plan_offering", listed_by="search_training_plans"),
        Field(description="Offering to buy, as listed by search_training_plans."),
    ]

    @field_validator("offering_id")
    @classmethod
    def _offering(cls, value: str) -> str:
        if not OFFERING_ID.match(value):
            raise ToolInputError("offering_id", value, "expected an offering id of a-z, 0-9 and '-' (e.g. tpo-...)")
        return value


class PlanPurchased(BaseModel):
    """The outcome of purchase_training_plan."""

    plan_name: str
    plan_arn: str
    status: str
    created: bool = Field(description="False if a plan of this name for this offering already existed.")
    upfront_fee_usd: float
    currency: str
    instance_type: str
    instance_count: int
    start: datetime | None = None
    end: datetime | None = None
    duration_hours: int
    note: str | None = None


def purchase_request(ctx: ToolContext, args: PurchasePlanArgs) -> dict[str, Any]:
    """The CreateTrainingPlan request (exactly what run sends)."""
    request: dict[str, Any] = {"TrainingPlanName": args.plan_name, "TrainingPlanOfferingId": args.offering_id}
    tags = ctx.request_tags()
    if tags:
        request["Tags"] = tags
    return request


def plan_purchase(ctx: ToolContext, args: PurchasePlanArgs) -> Plan:
    """The reservation and its upfront fee, from the offering a search showed."""
    offering = recall_offering(ctx, args.offering_id)
    existing = describe_or_none(ctx.clients.client("sagemaker").describe_training_plan, TrainingPlanName=args.plan_name)
    if existing is not None:
        if not _matches(existing, offering):
            raise ToolInputError(
                "plan_name",
                args.plan_name,
                f"a training plan with this name already exists ({existing['Status']}) for other capacity; pick a "
                "new name",
            )
        return Plan(
            summary=f"training plan {args.plan_name} already reserves this capacity ({existing['Status']}); "
            "nothing more to buy",
            cost_usd_total=0.0,
            instance_type=offering.instance_type,
            instance_count=offering.instance_count,
            facts={"exists": True, "status": existing["Status"], "upfront_fee_usd": 0.0},
        )
    buy = AwsOperation(
        operation="sagemaker:CreateTrainingPlan",
        params={"TrainingPlanName": args.plan_name, "TrainingPlanOfferingId": args.offering_id},
    )
    fee = f"{money(offering.upfront_fee_usd)} {offering.currency}"
    return Plan(
        summary=(
            f"buy training plan {args.plan_name}: {offering.instance_count} x {offering.instance_type} "
            f"for {offering.duration_hours} h, upfront {fee}"
        ),
        changes=[
            f"reserve {offering.instance_count} x {offering.instance_type} in {offering.availability_zone} "
            f"from {_when(offering.start)} to {_when(offering.end)} ({offering.duration_hours} h)",
            f"cost: upfront fee {fee}, charged now and not refundable "
            f"(= {money(offering.effective_usd_per_hour, per_hour=True)} over the reservation; on-demand "
            f"{money(offering.on_demand_usd)}, {price_source()})",
        ],
        aws_operations=[buy],
        cost_usd_per_hour=offering.effective_usd_per_hour,
        cost_usd_total=offering.upfront_fee_usd,
        upfront_usd=offering.upfront_fee_usd,
        cost_note="cost_usd_total is the upfront fee; cost_usd_per_hour is that fee spread over the reservation",
        instance_type=offering.instance_type,
        instance_count=offering.instance_count,
        facts={
            "upfront_fee_usd": offering.upfront_fee_usd,
            "currency": offering.currency,
            "start": offering.start.isoformat() if offering.start else None,
            "end": offering.end.isoformat() if offering.end else None,
            "duration_hours": offering.duration_hours,
            "availability_zone": offering.availability_zone,
            "target_resources": offering.target_resources,
            "on_demand_equivalent_usd": offering.on_demand_usd,
            "exists": False,
        },
        warnings=["a training plan cannot be cancelled once bought"],
    )


def _matches(described: dict[str, Any], offering: Offering) -> bool:
    """True if an existing plan reserves what the offering sells (a plan does not name its offering)."""
    reserved = (described.get("ReservedCapacitySummaries") or [{}])[0]
    return (
        reserved.get("InstanceType") == offering.instance_type
        and described.get("TotalInstanceCount", reserved.get("TotalInstanceCount")) == offering.instance_count
        and described.get("StartTime") == offering.start
        and int(described.get("DurationHours", 0)) == offering.duration_hours
    )


def _purchased(args: PurchasePlanArgs, offering: Offering, arn: str, status: str, created: bool) -> PlanPurchased:
    return PlanPurchased(
        plan_name=args.plan_name,
        plan_arn=arn,
        status=status,
        created=created,
        upfront_fee_usd=offering.upfront_fee_usd,
        currency=offering.currency,
        instance_type=offering.instance_type,
        instance_count=offering.instance_count,
        start=offering.start,
        end=offering.end,
        duration_hours=offering.duration_hours,
    )


def _found_existing(args: PurchasePlanArgs, offering: Offering, described: dict[str, Any]) -> PlanPurchased:
    if not _matches(described, offering):
        raise ToolInputError(
            "plan_name",
            args.plan_name,
            "a training plan with this name already exists for other capacity; pick a new name",
        )
    result = _purchased(args, offering, described["TrainingPlanArn"], described["Status"], created=False)
    result.note = "this plan already existed for this capacity; nothing more was bought"
    return result


def run_purchase(ctx: ToolContext, args: PurchasePlanArgs) -> PlanPurchased:
    """CreateTrainingPlan, unless a plan of this name already reserves this capacity."""
    sm = ctx.clients.client("sagemaker")
    offering = recall_offering(ctx, args.offering_id)
    # CreateTrainingPlan takes no client token: the plan name is what makes a retry safe.
    found, outcome = create_once(
        lambda: describe_or_none(sm.describe_training_plan, TrainingPlanName=args.plan_name),
        lambda: sm.create_training_plan(**purchase_request(ctx, args)),
    )
    if outcome == "created":
        return _purchased(args, offering, found["TrainingPlanArn"], "Pending", created=True)
    result = _found_existing(args, offering, found)
    if outcome == "lost":
        result.created, result.note = True, "bought by an earlier attempt of this same request"
    return result


def render_purchase(r: PlanPurchased) -> str:
    """What was bought, when it runs and its fee."""
    verb = "Bought" if r.created else "Already had"
    text = (
        f"{verb} training plan {r.plan_name} ({r.status}): {r.instance_count} x {r.instance_type}, "
        f"{_when(r.start)} -> {_when(r.end)} ({r.duration_hours} h), upfront {money(r.upfront_fee_usd)} {r.currency}\n"
        f"  {r.plan_arn}"
    )
    return text + (f"\n  note: {r.note}" if r.note else "")


SEARCH_TOOL = Tool(
    name="search_training_plans",
    description="Search SageMaker training plan offerings (reserved Trn2/GPU capacity) with start dates and fees.",
    label="search training plan offerings",
    phrasings=(
        "(search|find|look for|look up|show|list|get|check) [me] [for] [a|any|the] [available] (training "
        "plans|training plan|plans|plan offerings|offerings|reserved capacity|capacity|reservations|capacity "
        "blocks)",
        "(are there|any) [available] [training] [plan] offerings",
        "(reserve|reserved) capacity [for]",
        "(training plans|training plan|plans|offerings|capacity) for {instance_count} [x] {instance_type}",
        "for {duration_hours}",
        "(for|over|lasting) [a] [duration of] {duration_hours}",
        "{instance_count} [x] {instance_type} (for|over) {duration_hours}",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=SearchPlansArgs,
    run=run_search,
    render=render_search,
)
PURCHASE_TOOL = Tool(
    name="purchase_training_plan",
    description="Buy a training plan offering found by search_training_plans (upfront fee, not refundable).",
    label="purchase a training plan",
    phrasings=(
        "(purchase|buy|reserve|book|order|accept|grab|take) [the] {offering_id} [as] [training] [plan] "
        "[{plan_name}]",
        "(purchase|buy|reserve|book) [a|the] [training] plan",
        "(purchase|buy|reserve|book) [a|the] [training] plan {plan_name} [from|with|using] [offering] "
        "[{offering_id}]",
        "(name|call) (it|the plan) {plan_name}",
        "as [a] [training] plan [named|called] {plan_name}",
        "plan name [is] {plan_name}",
        "(from|with|using) [offering] {offering_id}",
    ),
    effect=Effect.DESTRUCTIVE,
    risk=Risk.CRITICAL,
    args_model=PurchasePlanArgs,
    plan=plan_purchase,
    run=run_purchase,
    render=render_purchase,
)
