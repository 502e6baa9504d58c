"""SageMaker real-time endpoints on Inf2 and P6-B200: what the endpoint tools share, and the read tools.

An opsbot endpoint ``NAME`` is three resources with deterministic names: the model ``NAME-model``,
the endpoint config ``NAME-config`` (one variant, ``AllTraffic``) and the endpoint ``NAME``, so a
retried or resumed create finds its own earlier attempt instead of making a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator

from tools.aws import error_code
from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import catalog
from tools.errors import NotFoundError
from tools.validation import sagemaker_name

VARIANT = "AllTraffic"
REQUEST_TAG = "opsbot:request"
# The LMI (DJL Serving) deep learning containers: the Neuron build for Inf2, the CUDA build for GPUs.
# 763104351884 publishes them in most regions (not in opt-in regions such as ap-east-1).
NEURON_DLC = "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.30.0-neuronx-sdk2.20.1"
GPU_DLC = "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.36.0-lmi18.0.0-cu128"
METRIC_WINDOW = timedelta(hours=1)
METRIC_PERIOD = 300
# (namespace, metric, statistic): invocation metrics, then per-instance utilisation (summed over
# vCPUs or GPUs by CloudWatch, so 100% means one whole device).
METRICS: tuple[tuple[str, str, str], ...] = (
    ("AWS/SageMaker", "Invocations", "Sum"),
    ("AWS/SageMaker", "Invocation5XXErrors", "Sum"),
    ("AWS/SageMaker", "ModelLatency", "Average"),
    ("/aws/sagemaker/Endpoints", "CPUUtilization", "Average"),
    ("/aws/sagemaker/Endpoints", "MemoryUtilization", "Average"),
    ("/aws/sagemaker/Endpoints", "GPUUtilization", "Average"),
    ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Average"),
)


def model_name(endpoint: str) -> str:
    """The model opsbot creates for ``endpoint``."""
    return f"{endpoint}-model"


def config_name(endpoint: str) -> str:
    """The endpoint config opsbot creates for ``endpoint``."""
    return f"{endpoint}-config"


def check_endpoint_name(value: str) -> str:
    """An endpoint name SageMaker accepts."""
    return sagemaker_name("endpoint_name", value)


class EndpointArgs(ToolArgs):
    endpoint_name: Annotated[str, Field(description="Name of the SageMaker endpoint, e.g. chat-prod.")]

    @field_validator("endpoint_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_endpoint_name(value)


class NoArgs(ToolArgs):
    """No arguments."""


# ------------------------------------------------------------------------------ endpoint lookups
class VariantInfo(BaseModel):
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


def is_not_found(exc: ClientError) -> bool:
    """SageMaker answers a missing endpoint, config or model with ValidationException 'Could not find'."""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return error_code(exc) in ("ValidationException", "ResourceNotFound") and "could not find" in message.lower()


def describe_or_none(call: Any, **kwargs: Any) -> dict[str, Any] | None:
    """``call(**kwargs)``, or None if the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def price_of(instance_type: str | None) -> float | None:
    """Catalog price per hour, or None for a type the catalog does not know."""
    row = catalog().get(instance_type) if instance_type else None
    return row.price_usd_per_hour if row else None


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
        price = price_of(v.instance_type)
        cost = None if cost is None or price is None else cost + n * price
    first = variants[0].instance_type if variants else None
    return EndpointInfo(
        endpoint_name=desc["EndpointName"],
        endpoint_arn=desc["EndpointArn"],
        status=desc["EndpointStatus"],
        endpoint_config_name=desc.get("EndpointConfigName"),
        variants=variants,
        instance_type=first,
        instance_count=count,
        price_usd_per_hour=price_of(first),
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


def money(value: float | None) -> str:
    """Dollars per hour for people, or 'price unknown'."""
    return f"${value:,.2f}/h" if value is not None else "price unknown"


# ---------------------------------------------------------------------------------- list_endpoints
class EndpointRow(BaseModel):
    endpoint_name: str
    status: str
    instance_type: str | None
    instance_count: int
    cost_usd_per_hour: float | None


class EndpointList(BaseModel):
    region: str
    endpoints: list[EndpointRow]
    total_cost_usd_per_hour: float


def list_plan(ctx: ToolContext, args: NoArgs) -> Plan:
    """A read."""
    return Plan(
        tool="list_endpoints",
        args={},
        effect=Effect.READ,
        risk=Risk.READ,
        summary=f"list the SageMaker endpoints in {ctx.region}",
        region=ctx.region,
    )


def list_run(ctx: ToolContext, args: NoArgs) -> EndpointList:
    """Every endpoint with its status, instance type, count and hourly cost."""
    sm = ctx.clients.client("sagemaker")
    names: list[str] = []
    token: str | None = None
    while True:
        page = sm.list_endpoints(
            SortBy="Name", SortOrder="Ascending", MaxResults=100, **({"NextToken": token} if token else {})
        )
        names += [e["EndpointName"] for e in page.get("Endpoints", [])]
        token = page.get("NextToken")
        if not token:
            break
    rows = []
    for name in names:
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
            f"{money(e.cost_usd_per_hour):>14}"
        )
    lines.append(f"{len(r.endpoints)} endpoint(s) in {r.region}, {money(r.total_cost_usd_per_hour)} in total")
    return "\n".join(lines)


# -------------------------------------------------------------------------------- describe_endpoint
class MetricSummary(BaseModel):
    """One CloudWatch metric of one variant over the last hour."""

    variant_name: str
    namespace: str
    metric: str
    statistic: str
    value: float | None = Field(description="Sum over the hour, or the average of the 5-minute averages.")
    unit: str
    per_device_percent: float | None = Field(default=None, description="Utilisation per vCPU or per GPU.")
    datapoints: int


class EndpointDetail(BaseModel):
    endpoint: EndpointInfo
    metrics_start: datetime
    metrics_end: datetime
    metrics: list[MetricSummary]
    notes: list[str]


def _metrics(ctx: ToolContext, info: EndpointInfo, end: datetime) -> tuple[list[MetricSummary], list[str]]:
    cw = ctx.clients.client("cloudwatch")
    queries, keys = [], {}
    for vi, variant in enumerate(info.variants):
        dims = [
            {"Name": "EndpointName", "Value": info.endpoint_name},
            {"Name": "VariantName", "Value": variant.variant_name},
        ]
        for mi, (namespace, metric, stat) in enumerate(METRICS):
            qid = f"m{vi}_{mi}"
            keys[qid] = (variant, namespace, metric, stat)
            queries.append(
                {
                    "Id": qid,
                    "MetricStat": {
                        "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims},
                        "Period": METRIC_PERIOD,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
            )
    values: dict[str, list[float]] = {qid: [] for qid in keys}
    token: str | None = None
    while queries:
        page = cw.get_metric_data(
            MetricDataQueries=queries,
            StartTime=end - METRIC_WINDOW,
            EndTime=end,
            **({"NextToken": token} if token else {}),
        )
        for result in page.get("MetricDataResults", []):
            values.setdefault(result["Id"], []).extend(result.get("Values", []))
        token = page.get("NextToken")
        if not token:
            break
    summaries, notes = [], []
    for qid, (variant, namespace, metric, stat) in keys.items():
        points = values.get(qid, [])
        if not points and metric.startswith("GPU"):
            continue  # not a GPU instance (or no data yet); said once in the notes below
        row = catalog().get(variant.instance_type or "")
        value: float | None = None
        if points:
            value = sum(points) if stat == "Sum" else sum(points) / len(points)
        unit, per_device = "Count", None
        if metric == "ModelLatency":
            unit, value = "Milliseconds", (value / 1000 if value is not None else None)
        elif metric.endswith("Utilization"):
            unit = "Percent"
            devices = None
            if metric == "CPUUtilization" and row:
                devices = row.vcpus
            elif metric.startswith("GPU") and row and row.accelerator:
                devices = row.accelerator.count
            if value is not None and devices:
                per_device = round(value / devices, 1)
        summaries.append(
            MetricSummary(
                variant_name=variant.variant_name,
                namespace=namespace,
                metric=metric,
                statistic=stat,
                value=round(value, 2) if value is not None else None,
                unit=unit,
                per_device_percent=per_device,
                datapoints=len(points),
            )
        )
    for variant in info.variants:
        has_gpu = any(s.metric.startswith("GPU") and s.variant_name == variant.variant_name for s in summaries)
        if not has_gpu:
            notes.append(
                f"{variant.variant_name}: no accelerator utilisation in CloudWatch for {variant.instance_type} "
                "(SageMaker publishes GPUUtilization for GPU instances; Neuron core use needs neuron-monitor)"
            )
    if all(s.value is None for s in summaries):
        notes.append("no CloudWatch datapoints in the last hour (new endpoint, or no traffic)")
    return summaries, notes


def describe_plan(ctx: ToolContext, args: EndpointArgs) -> Plan:
    """A read."""
    return Plan(
        tool="describe_endpoint",
        args=args.model_dump(mode="json"),
        effect=Effect.READ,
        risk=Risk.READ,
        summary=f"describe endpoint {args.endpoint_name} with its CloudWatch metrics for the last hour",
        region=ctx.region,
    )


def describe_run(ctx: ToolContext, args: EndpointArgs) -> EndpointDetail:
    """The endpoint, its variants and cost, and the last hour of invocation and utilisation metrics."""
    info = require_endpoint(ctx, args.endpoint_name)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    metrics, notes = _metrics(ctx, info, end)
    return EndpointDetail(
        endpoint=info, metrics_start=end - METRIC_WINDOW, metrics_end=end, metrics=metrics, notes=notes
    )


UTILISATION_LABELS = {
    "CPUUtilization": ("CPU", "vCPU"),
    "MemoryUtilization": ("memory", "instance"),
    "GPUUtilization": ("GPU", "GPU"),
    "GPUMemoryUtilization": ("GPU memory", "GPU"),
}


def _metric_line(m: MetricSummary) -> str:
    if m.value is None:
        return f"  {m.metric}: no data"
    if m.metric == "Invocations":
        return f"  invocations: {m.value:,.0f} in the hour ({m.value / 60:,.1f}/min)"
    if m.metric == "Invocation5XXErrors":
        return f"  5XX errors: {m.value:,.0f}"
    if m.metric == "ModelLatency":
        return f"  model latency: {m.value:,.1f} ms average"
    label, device = UTILISATION_LABELS.get(m.metric, (m.metric, "device"))
    if m.per_device_percent is None:
        return f"  {label}: {m.value:,.1f}%"
    return f"  {label}: {m.per_device_percent:g}% per {device} (CloudWatch sums devices: {m.value:,.1f}%)"


def describe_render(r: EndpointDetail) -> str:
    """Status, variants and cost, then the metrics of each variant."""
    e = r.endpoint
    lines = [
        f"endpoint {e.endpoint_name}: {e.status}, {e.instance_count} x {e.instance_type or '?'}, "
        f"{money(e.cost_usd_per_hour)}",
        f"  config {e.endpoint_config_name}; created {e.created:%Y-%m-%d %H:%M}" if e.created else "",
    ]
    if e.failure_reason:
        lines.append(f"  failure: {e.failure_reason}")
    for v in e.variants:
        lines.append(
            f"variant {v.variant_name}: {v.instance_type or '?'}, model {v.model_name or '?'}, "
            f"instances {v.current_instance_count if v.current_instance_count is not None else '-'} current / "
            f"{v.desired_instance_count if v.desired_instance_count is not None else '-'} desired"
        )
        mine = [m for m in r.metrics if m.variant_name == v.variant_name]
        if any(m.value is not None for m in mine):  # when none has data, the note below says so once
            lines += [_metric_line(m) for m in mine]
    lines.append(f"metrics {r.metrics_start:%H:%M}-{r.metrics_end:%H:%M} UTC")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(line for line in lines if line)


LIST_TOOL = Tool(
    name="list_endpoints",
    domain="inference",
    effect=Effect.READ,
    risk=Risk.READ,
    description="List the SageMaker inference endpoints with status, instance type, instance count and cost per hour.",
    args_model=NoArgs,
    plan=list_plan,
    run=list_run,
    render=list_render,
)
DESCRIBE_TOOL = Tool(
    name="describe_endpoint",
    domain="inference",
    effect=Effect.READ,
    risk=Risk.READ,
    description=(
        "Describe one SageMaker endpoint: status, variants, instances, cost, and CloudWatch metrics for the "
        "last hour (invocations, errors, model latency, CPU and GPU utilisation)."
    ),
    args_model=EndpointArgs,
    plan=describe_plan,
    run=describe_run,
    render=describe_render,
)
