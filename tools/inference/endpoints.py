"""SageMaker real-time endpoints on Inf2 and P6-B200 as opsbot reads them, and list_endpoints.

An opsbot endpoint ``NAME`` is three resources with deterministic names: the model ``NAME-model``,
the endpoint config ``NAME-config`` (one variant, ``AllTraffic``) and the endpoint ``NAME``, so a
retried or resumed create finds its own earlier attempt instead of making a second one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools.aws import describe_or_none, paged
from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import money, price
from tools.errors import NotFoundError
from tools.kinds import Name
from tools.validation import SageMakerName

VARIANT = "AllTraffic"


def model_name(endpoint: str) -> str:
    """The model opsbot creates for ``endpoint``."""
    return f"{endpoint}-model"


def config_name(endpoint: str) -> str:
    """The endpoint config opsbot creates for ``endpoint``."""
    return f"{endpoint}-config"


class EndpointArgs(ToolArgs):
    """Arguments naming one endpoint."""

    endpoint_name: Annotated[
        str, Name("endpoint"), SageMakerName, Field(description="Name of the SageMaker endpoint, e.g. chat-prod.")
    ]


class NoArgs(ToolArgs):
    """No arguments."""


# ------------------------------------------------------------------------------ endpoint lookups
class VariantInfo(BaseModel):
    """One production variant: its instances and model."""

    variant_name: str
    instance_type: str | None
    model_name: str | None
    current_instance_count: int | None
    desired_instance_count: int | None


class EndpointInfo(BaseModel):
    """An endpoint as opsbot shows it: status, instances and what they cost."""

    endpoint_name: str
    endpoint_arn: str
    status: str
    endpoint_config_name: str | None
    variants: list[VariantInfo]
    instance_type: str | None
    instance_count: int
    price_usd_per_hour: float | None
    cost_usd_per_hour: float | None
    created: datetime | None = None
    last_modified: datetime | None = None
    failure_reason: str | None = None


def fetch_endpoint(ctx: ToolContext, name: str) -> EndpointInfo | None:
    """Describe ``name`` and its endpoint config; None if there is no such endpoint."""
    sm = ctx.clients.client("sagemaker")
    desc = describe_or_none(sm.describe_endpoint, EndpointName=name)
    if desc is None:
        return None
    config_variants: dict[str, dict[str, Any]] = {}
    if desc.get("EndpointConfigName"):
        config = describe_or_none(sm.describe_endpoint_config, EndpointConfigName=desc["EndpointConfigName"])
        config_variants = {v["VariantName"]: v for v in (config or {}).get("ProductionVariants", [])}
    summaries = desc.get("ProductionVariants") or [{"VariantName": n} for n in config_variants]
    variants: list[VariantInfo] = []
    for summary in summaries:
        spec = config_variants.get(summary["VariantName"], {})
        variants.append(
            VariantInfo(
                variant_name=summary["VariantName"],
                instance_type=spec.get("InstanceType"),
                model_name=spec.get("ModelName"),
                current_instance_count=summary.get("CurrentInstanceCount"),
                desired_instance_count=summary.get("DesiredInstanceCount", spec.get("InitialInstanceCount")),
            )
        )
    cost: float | None = 0.0
    count = 0
    for v in variants:
        n = v.current_instance_count if v.current_instance_count is not None else (v.desired_instance_count or 0)
        count += n
        unit = price(v.instance_type)
        cost = None if cost is None or unit is None else cost + n * unit
    first = variants[0].instance_type if variants else None
    return EndpointInfo(
        endpoint_name=desc["EndpointName"],
        endpoint_arn=desc["EndpointArn"],
        status=desc["EndpointStatus"],
        endpoint_config_name=desc.get("EndpointConfigName"),
        variants=variants,
        instance_type=first,
        instance_count=count,
        price_usd_per_hour=price(first),
        cost_usd_per_hour=round(cost, 2) if cost is not None else None,
        created=desc.get("CreationTime"),
        last_modified=desc.get("LastModifiedTime"),
        failure_reason=desc.get("FailureReason"),
    )


def require_endpoint(ctx: ToolContext, name: str) -> EndpointInfo:
    """The endpoint, or NotFoundError naming it and the region."""
    info = fetch_endpoint(ctx, name)
    if info is None:
        raise NotFoundError(f"endpoint {name!r} does not exist in {ctx.region}; `list_endpoints` shows the endpoints")
    return info


# ---------------------------------------------------------------------------------- list_endpoints
class EndpointRow(BaseModel):
    """One line of the endpoint list."""

    endpoint_name: str
    status: str
    instance_type: str | None
    instance_count: int
    cost_usd_per_hour: float | None


class EndpointList(BaseModel):
    """list_endpoints' result."""

    region: str
    endpoints: list[EndpointRow]
    total_cost_usd_per_hour: float


def list_run(ctx: ToolContext, args: NoArgs) -> EndpointList:
    """Every endpoint with its status, instance type, count and hourly cost."""
    sm = ctx.clients.client("sagemaker")
    pages = paged(sm.list_endpoints, "Endpoints", limit=10_000, SortBy="Name", SortOrder="Ascending", MaxResults=100)
    rows = []
    for name in (e["EndpointName"] for e in pages):
        info = fetch_endpoint(ctx, name)
        if info is None:  # deleted between the list and the describe
            continue
        rows.append(
            EndpointRow(
                endpoint_name=info.endpoint_name,
                status=info.status,
                instance_type=info.instance_type,
                instance_count=info.instance_count,
                cost_usd_per_hour=info.cost_usd_per_hour,
            )
        )
    total = sum(r.cost_usd_per_hour or 0.0 for r in rows)
    return EndpointList(region=ctx.region, endpoints=rows, total_cost_usd_per_hour=round(total, 2))


def list_render(r: EndpointList) -> str:
    """A table of endpoints and the total hourly cost."""
    if not r.endpoints:
        return f"no SageMaker endpoints in {r.region}"
    lines = [f"{'endpoint':<28} {'status':<12} {'instance type':<22} {'count':>5} {'cost':>14}"]
    for e in r.endpoints:
        lines.append(
            f"{e.endpoint_name:<28} {e.status:<12} {e.instance_type or '?':<22} {e.instance_count:>5} "
            f"{money(e.cost_usd_per_hour, per_hour=True):>14}"
        )
    total = money(r.total_cost_usd_per_hour, per_hour=True)
    lines.append(f"{len(r.endpoints)} endpoint(s) in {r.region}, {total} in total")
    return "\n".join(lines)


LIST_TOOL = Tool(
    name="list_endpoints",
    description="List the SageMaker inference endpoints with status, instance type, instance count and cost per hour.",
    label="list endpoints",
    phrasings=(
        "(what|which) [is|are] (running|up|deployed|live|serving) (on|in) [the] (inference|serving) "
        "[side|endpoints]",
        "(give me|show me|get me|send me|give us) [the|a] list of [all] [the|our|my] [inference|sagemaker] "
        "endpoints",
        "(list|show|get|display|enumerate|print|give me) [me] [all] [the|our|my] [running] "
        "[inference|sagemaker|model] endpoints",
        "(what|which) [inference|sagemaker] endpoints [do|are|have] [we] "
        "[have|got|running|up|exist|there|deployed]",
        "[are there] any [inference] endpoints",
        "[inference|sagemaker] endpoints [and] [what] [they] [cost]",
        "[which|what|any] eps [are|is] [up|running|live|there]",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=NoArgs,
    run=list_run,
    render=list_render,
)
