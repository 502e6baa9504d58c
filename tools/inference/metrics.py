"""describe_endpoint: one endpoint with its last hour of CloudWatch metrics (invocations, errors,
model latency, CPU and GPU utilisation) and the health verdict of get_endpoint_metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from tools.base import Effect, Risk, Tool, ToolContext
from tools.catalog import catalog, money
from tools.inference.endpoints import EndpointArgs, EndpointInfo, require_endpoint
from tools.inference.health import EndpointHealth, endpoint_health, verdict_line

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
    """describe_endpoint's result: the endpoint and its last hour."""

    endpoint: EndpointInfo
    metrics_start: datetime
    metrics_end: datetime
    metrics: list[MetricSummary]
    notes: list[str]
    health: EndpointHealth = Field(description="The verdict of get_endpoint_metrics over the same hour.")


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


def describe_run(ctx: ToolContext, args: EndpointArgs) -> EndpointDetail:
    """The endpoint, its variants and cost, and the last hour of invocation and utilisation metrics."""
    info = require_endpoint(ctx, args.endpoint_name)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    metrics, notes = _metrics(ctx, info, end)
    health = endpoint_health(ctx, info, int(METRIC_WINDOW.total_seconds() // 60))
    neuron = {
        v.variant_name for v in health.variants if v.accelerator == "neuron" and v.accelerator_percent is not None
    }
    notes = [n for n in notes if not any(n.startswith(f"{name}: ") for name in neuron)]
    for v in health.variants:
        if v.variant_name in neuron:
            notes.append(f"{v.variant_name}: NeuronCores {v.accelerator_percent:g} % busy on average (neuron-monitor)")
    return EndpointDetail(
        endpoint=info,
        metrics_start=end - METRIC_WINDOW,
        metrics_end=end,
        metrics=metrics,
        notes=notes,
        health=health,
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
        f"{money(e.cost_usd_per_hour, per_hour=True)}",
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
    lines.append(verdict_line(r.health))
    return "\n".join(line for line in lines if line)


DESCRIBE_TOOL = Tool(
    name="describe_endpoint",
    description=(
        "Describe one SageMaker endpoint: status, variants, instances, cost, CloudWatch metrics for the "
        "last hour (invocations, errors, model latency, CPU and GPU utilisation) and a health verdict."
    ),
    label="describe an endpoint",
    phrasings=(
        "(anything|something) [weird|wrong|odd|off|strange|unusual|funny] (going on|happening|up) (with|on) [the] "
        "{endpoint_name}",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[me] [on] [the] {endpoint_name}",
        "(how is|hows|how are|how are things with|what is up with|whats up with|what is going on with) "
        "{endpoint_name} [doing|going|looking|holding up|performing]",
        "(status|state|details|detail|info|traffic|load|cost) (of|on|for) {endpoint_name}",
        "what is [the] (status|state|cost) (of|on|for) {endpoint_name}",
        "is {endpoint_name} [still] (up|running|down|alive|busy|idle|InService|in service)",
        "(look|take a look|have a look|peek) at {endpoint_name}",
        "what (instance type|instance|instances|hardware) is {endpoint_name} [running] [on]",
        "what is {endpoint_name} (costing|running on|doing)",
        "how much (is|does) {endpoint_name} (cost|costing|spend|spending|burn|burning)",
        "(what|how much) (is|does) {endpoint_name} cost [us] [per hour|an hour|now]",
        "{endpoint_name} (status|cost)",
        "(describe|show|inspect|check|get|display|look up|lookup|details of|info on|info about|tell me about) "
        "[the|an] [inference] endpoint",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=EndpointArgs,
    run=describe_run,
    render=describe_render,
)
