"""estimate_cost: what instances cost, from the instance catalog."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import catalog, money, normalise_instance_type, price_source
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Count, InstanceType, Kind


class EstimateCostArgs(ToolArgs):
    """estimate_cost's arguments."""

    instance_type: Annotated[
        str, InstanceType(), Field(description="Instance type, e.g. ml.trn2.48xlarge or cache.r7g.large.")
    ]
    instance_count: Annotated[
        int, Count("instance"), Field(default=1, ge=1, le=10000, description="Number of instances.")
    ]
    hours: Annotated[
        float, ArgKind(Kind.HOURS), Field(default=1.0, gt=0, le=24 * 366, description="How many hours they run.")
    ]

    @field_validator("instance_type")
    @classmethod
    def _known(cls, value: str) -> str:
        for use in ("training", "cache", "ec2"):
            name = normalise_instance_type(value, use) if use != "ec2" else value.strip().lower()
            if catalog().get(name):
                return name
        names = ", ".join(i.name for i in catalog().instances)
        raise ToolInputError("instance_type", value, f"not in the instance catalog; known: {names}")


class CostEstimate(BaseModel):
    """estimate_cost's result."""

    instance_type: str
    instance_count: int
    hours: float
    price_usd_per_hour: float
    cost_usd_per_hour: float
    cost_usd_total: float
    price_date: str
    price_region: str


def estimate(args: EstimateCostArgs) -> CostEstimate:
    """The cost of ``args`` at the catalog's on-demand list price (no AWS call)."""
    row = catalog().get(args.instance_type)
    assert row is not None
    per_hour = row.price_usd_per_hour * args.instance_count
    return CostEstimate(
        instance_type=row.name,
        instance_count=args.instance_count,
        hours=args.hours,
        price_usd_per_hour=row.price_usd_per_hour,
        cost_usd_per_hour=round(per_hour, 4),
        cost_usd_total=round(per_hour * args.hours, 2),
        price_date=catalog().price_date,
        price_region=catalog().price_region,
    )


def plan(ctx: ToolContext, args: EstimateCostArgs) -> Plan:
    """A read that carries its estimate, so a plan preview shows the cost."""
    est = estimate(args)
    return Plan(
        summary=f"price {args.instance_count} x {est.instance_type} for {args.hours:g} h",
        cost_usd_per_hour=est.cost_usd_per_hour,
        cost_usd_total=est.cost_usd_total,
    )


def run(ctx: ToolContext, args: EstimateCostArgs) -> CostEstimate:
    """The estimate."""
    return estimate(args)


def render(r: CostEstimate) -> str:
    """Unit price, hourly and total cost, and where the price comes from."""
    return (
        f"{r.instance_count} x {r.instance_type} at {money(r.price_usd_per_hour, per_hour=True)} = "
        f"{money(r.cost_usd_per_hour, per_hour=True)}; {r.hours:g} h = {money(r.cost_usd_total)} ({price_source()})"
    )


ESTIMATE_TOOL = Tool(
    name="estimate_cost",
    description="Estimate the on-demand cost of instances for some hours, from the instance catalog.",
    label="estimate the cost of instances",
    phrasings=(
        "(estimate|calculate|quote|price) [the] [cost|price] [of|for]",
        "how much (would|does|do|will|is|are) [it] [cost] [to] [run]",
        "what (would|does|do|will|is) [the] (cost|price|spend)",
        "(cost|price|pricing|spend) (of|for)",
        "{instance_count} [x] {instance_type} (for|over) {hours}",
        "(for|over) [a|an] {hours}",
        "(of|for|run) {instance_count} [x] {instance_type}",
        "[one|a|an] {instance_type} per hour",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=EstimateCostArgs,
    plan=plan,
    run=run,
    render=render,
)
