"""get_endpoint_metrics: an endpoint's traffic, errors, latency percentiles and utilisation, per variant,
from CloudWatch, and a health verdict with its reason.

Over the window (one CloudWatch period as long as the window): invocations; 4XX and 5XX as rates of
the invocations; model latency p50, p90 and p99 (extended statistics) and its average; overhead
latency; CPU and memory, GPU and GPU memory on GPU instances, and NeuronCore use on Inferentia (from
the namespace neuron-monitor publishes to, ``settings.neuron_metrics_namespace``: SageMaker publishes
no Neuron utilisation). CloudWatch sums CPU and GPU use over an instance's devices; it is shown per
device.

The verdict (``assess``) is the worst finding against fixed limits, each finding saying the number
and the limit: "5XX 2.1 % over the last hour, above 1 %".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from tools.base import Effect, Risk, Tool, ToolContext
from tools.catalog import catalog
from tools.inference.endpoints import EndpointArgs, EndpointInfo, VariantInfo, require_endpoint
from tools.kinds import ArgKind, Kind

SAGEMAKER = "AWS/SageMaker"
INSTANCE = "/aws/sagemaker/Endpoints"
MAX_WINDOW_MINUTES = 7 * 24 * 60
# Limits of the verdict.
MAX_5XX_PERCENT = 1.0  # server errors: the model or container fails requests
MAX_4XX_PERCENT = 5.0  # client errors: callers send requests the endpoint rejects (or it throttles)
MAX_TAIL_RATIO = 4.0  # p99 model latency over p50: a long tail (queueing, batching, cold paths)
MAX_BUSY_PERCENT = 90.0  # average use of a device: no headroom for a burst

Verdict = Literal["healthy", "idle", "degraded", "unhealthy", "unavailable", "changing", "no data"]
SEVERITY = {"healthy": 0, "no data": 1, "idle": 1, "changing": 2, "degraded": 3, "unhealthy": 4, "unavailable": 5}


class MetricsArgs(EndpointArgs):
    """get_endpoint_metrics' arguments."""

    window_minutes: Annotated[
        int,
        ArgKind(Kind.MINUTES),
        Field(
            default=60,
            ge=5,
            le=MAX_WINDOW_MINUTES,
            description="How far back to look, in minutes (default 60: the last hour; at most a week).",
        ),
    ] = 60


class LatencyMs(BaseModel):
    """Latency statistics over the window, in milliseconds."""

    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    average: float | None = None


class VariantHealth(BaseModel):
    """One variant over the window."""

    variant_name: str
    instance_type: str | None
    instance_count: int | None
    invocations: float | None = None
    invocations_per_minute: float | None = None
    errors_4xx: float | None = None
    errors_5xx: float | None = None
    rate_4xx_percent: float | None = None
    rate_5xx_percent: float | None = None
    model_latency_ms: LatencyMs = Field(default_factory=LatencyMs)
    overhead_latency_ms: LatencyMs = Field(default_factory=LatencyMs)
    cpu_percent_per_vcpu: float | None = None
    memory_percent: float | None = None
    accelerator: Literal["gpu", "neuron"] | None = None
    accelerator_percent: float | None = Field(default=None, description="Average use per GPU or NeuronCore.")
    accelerator_peak_percent: float | None = None
    gpu_memory_percent: float | None = Field(default=None, description="Per GPU.")
    verdict: Verdict = "no data"
    reasons: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class EndpointHealth(BaseModel):
    """get_endpoint_metrics' result."""

    endpoint_name: str
    status: str
    window_minutes: int
    start: datetime
    end: datetime
    variants: list[VariantHealth]
    verdict: Verdict
    reason: str


def window_words(minutes: int) -> str:
    """'the last hour', 'the last 15 minutes', 'the last 3 hours', 'the last day'."""
    if minutes == 60:
        return "the last hour"
    if minutes == 24 * 60:
        return "the last day"
    if minutes % 60 == 0:
        return f"the last {minutes // 60} hours"
    return f"the last {minutes} minutes"


# (namespace, metric, statistics) read for every variant; utilisation namespaces per accelerator below.
TRAFFIC: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (SAGEMAKER, "Invocations", ("Sum",)),
    (SAGEMAKER, "Invocation4XXErrors", ("Sum",)),
    (SAGEMAKER, "Invocation5XXErrors", ("Sum",)),
    (SAGEMAKER, "ModelLatency", ("p50", "p90", "p99", "Average")),
    (SAGEMAKER, "OverheadLatency", ("p50", "p99", "Average")),
    (INSTANCE, "CPUUtilization", ("Average",)),
    (INSTANCE, "MemoryUtilization", ("Average",)),
)
GPU = ((INSTANCE, "GPUUtilization", ("Average", "Maximum")), (INSTANCE, "GPUMemoryUtilization", ("Average",)))


def _accelerator(instance_type: str | None) -> Literal["gpu", "neuron"] | None:
    row = catalog().get(instance_type or "")
    if row is None or row.accelerator is None:
        return None
    return "neuron" if row.accelerator.neuron_cores else "gpu"


def _queries(
    ctx: ToolContext, info: EndpointInfo, period: int
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str, str]]]:
    queries, keys = [], {}
    for vi, variant in enumerate(info.variants):
        dims = [
            {"Name": "EndpointName", "Value": info.endpoint_name},
            {"Name": "VariantName", "Value": variant.variant_name},
        ]
        wanted = list(TRAFFIC)
        kind = _accelerator(variant.instance_type)
        if kind == "gpu":
            wanted += GPU
        elif kind == "neuron":
            wanted.append((ctx.settings.neuron_metrics_namespace, "NeuronCoreUtilization", ("Average", "Maximum")))
        for mi, (namespace, metric, stats) in enumerate(wanted):
            for si, stat in enumerate(stats):
                qid = f"v{vi}m{mi}s{si}"
                keys[qid] = (variant.variant_name, metric, stat)
                queries.append(
                    {
                        "Id": qid,
                        "MetricStat": {
                            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims},
                            "Period": period,
                            "Stat": stat,
                        },
                    }
                )
    return queries, keys


def read_metrics(
    ctx: ToolContext, info: EndpointInfo, start: datetime, end: datetime
) -> dict[tuple[str, str, str], float]:
    """(variant, metric, statistic) -> value over the window from start to end (one period)."""
    cw = ctx.clients.client("cloudwatch")
    period = int((end - start).total_seconds())
    queries, keys = _queries(ctx, info, period)
    values: dict[tuple[str, str, str], float] = {}
    for begin in range(0, len(queries), 500):  # GetMetricData takes 500 queries a request
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries[begin : begin + 500],
                "StartTime": start,
                "EndTime": end,
            }
            if token:
                kwargs["NextToken"] = token
            page = cw.get_metric_data(**kwargs)
            for result in page.get("MetricDataResults", []):
                if result.get("Values"):
                    values[keys[result["Id"]]] = float(result["Values"][0])
            token = page.get("NextToken")
            if not token:
                break
    return values


def _ms(value: float | None) -> float | None:
    return round(value / 1000, 1) if value is not None else None


def _rate(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole, 2)


def variant_health(
    ctx: ToolContext, variant: VariantInfo, values: dict[tuple[str, str, str], float], minutes: int
) -> VariantHealth:
    """One variant's numbers, verdict and reasons."""
    name = variant.variant_name

    def get(metric: str, stat: str) -> float | None:
        return values.get((name, metric, stat))

    row = catalog().get(variant.instance_type or "")
    kind = _accelerator(variant.instance_type)
    calls = get("Invocations", "Sum")
    e4, e5 = get("Invocation4XXErrors", "Sum"), get("Invocation5XXErrors", "Sum")
    if calls is not None:
        e4, e5 = e4 or 0.0, e5 or 0.0  # no error datapoints while there is traffic: no errors
    cpu = get("CPUUtilization", "Average")
    health = VariantHealth(
        variant_name=name,
        instance_type=variant.instance_type,
        instance_count=variant.current_instance_count or variant.desired_instance_count,
        invocations=calls,
        invocations_per_minute=round(calls / minutes, 1) if calls is not None else None,
        errors_4xx=e4,
        errors_5xx=e5,
        rate_4xx_percent=_rate(e4, calls),
        rate_5xx_percent=_rate(e5, calls),
        model_latency_ms=LatencyMs(
            p50=_ms(get("ModelLatency", "p50")),
            p90=_ms(get("ModelLatency", "p90")),
            p99=_ms(get("ModelLatency", "p99")),
            average=_ms(get("ModelLatency", "Average")),
        ),
        overhead_latency_ms=LatencyMs(
            p50=_ms(get("OverheadLatency", "p50")),
            p99=_ms(get("OverheadLatency", "p99")),
            average=_ms(get("OverheadLatency", "Average")),
        ),
        cpu_percent_per_vcpu=round(cpu / row.vcpus, 1) if cpu is not None and row else cpu,
        memory_percent=_round(get("MemoryUtilization", "Average")),
        accelerator=kind,
    )
    if kind == "gpu" and row and row.accelerator:
        gpus = row.accelerator.count
        for stat, attr in (("Average", "accelerator_percent"), ("Maximum", "accelerator_peak_percent")):
            value = get("GPUUtilization", stat)
            setattr(health, attr, round(value / gpus, 1) if value is not None else None)
        memory = get("GPUMemoryUtilization", "Average")
        health.gpu_memory_percent = round(memory / gpus, 1) if memory is not None else None
    elif kind == "neuron":
        health.accelerator_percent = _round(get("NeuronCoreUtilization", "Average"))
        health.accelerator_peak_percent = _round(get("NeuronCoreUtilization", "Maximum"))
        if health.accelerator_percent is None:
            health.notes.append(
                f"no NeuronCore utilisation in CloudWatch namespace {ctx.settings.neuron_metrics_namespace}: SageMaker "
                "publishes none for Inferentia; publish neuron-monitor's there (dimensions EndpointName, VariantName)"
            )
    health.verdict, health.reasons = assess(health, window_words(minutes))
    return health


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def assess(v: VariantHealth, window: str) -> tuple[Verdict, list[str]]:
    """The verdict of one variant and its reasons, worst first, each with its number and limit."""
    if v.invocations is None and v.cpu_percent_per_vcpu is None:
        return "no data", [f"no CloudWatch datapoints over {window} (new endpoint, or metrics not published)"]
    findings: list[tuple[Verdict, str]] = []
    if v.rate_5xx_percent is not None and v.rate_5xx_percent > MAX_5XX_PERCENT:
        findings.append(("unhealthy", f"5XX {v.rate_5xx_percent:.1f} % over {window}, above {MAX_5XX_PERCENT:g} %"))
    if v.rate_4xx_percent is not None and v.rate_4xx_percent > MAX_4XX_PERCENT:
        findings.append(
            (
                "degraded",
                f"4XX {v.rate_4xx_percent:.1f} % over {window}, above {MAX_4XX_PERCENT:g} % (rejected requests)",
            )
        )
    lat = v.model_latency_ms
    if lat.p50 and lat.p99 and lat.p99 > MAX_TAIL_RATIO * lat.p50:
        findings.append(
            (
                "degraded",
                f"model latency p99 {lat.p99:,.0f} ms is {lat.p99 / lat.p50:.1f} x p50 ({lat.p50:,.0f} ms) over "
                f"{window}, above {MAX_TAIL_RATIO:g} x (a long tail)",
            )
        )
    device = {"gpu": "GPU", "neuron": "NeuronCore", None: "device"}[v.accelerator]
    for label, value in ((device, v.accelerator_percent), ("vCPU", v.cpu_percent_per_vcpu)):
        if value is not None and value > MAX_BUSY_PERCENT:
            findings.append(
                ("degraded", f"{label} {value:.0f} % busy on average over {window}, above {MAX_BUSY_PERCENT:g} %")
            )
    if findings:
        findings.sort(key=lambda f: -SEVERITY[f[0]])
        return findings[0][0], [text for _, text in findings]
    if not v.invocations:
        return "idle", [f"no invocations over {window}"]
    parts = [f"5XX {v.rate_5xx_percent or 0:.2f} %"]
    if lat.p99 is not None:
        parts.append(f"p99 {lat.p99:,.0f} ms")
    if v.accelerator_percent is not None:
        parts.append(f"{device} {v.accelerator_percent:.0f} %")
    return "healthy", [f"{', '.join(parts)} over {window}: within limits"]


def endpoint_health(ctx: ToolContext, info: EndpointInfo, minutes: int) -> EndpointHealth:
    """The endpoint's variants over the last ``minutes`` and its overall verdict."""
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes)
    values = read_metrics(ctx, info, start, end)
    variants = [variant_health(ctx, v, values, minutes) for v in info.variants]
    if info.status in ("Failed", "OutOfService"):
        verdict: Verdict = "unavailable"
        reason = f"endpoint is {info.status}" + (f": {info.failure_reason}" if info.failure_reason else "")
    elif info.status != "InService":
        verdict, reason = "changing", f"endpoint is {info.status}"
    elif variants:
        worst = max(variants, key=lambda v: SEVERITY[v.verdict])
        verdict = worst.verdict
        prefix = f"{worst.variant_name}: " if len(variants) > 1 else ""
        reason = prefix + "; ".join(worst.reasons)
    else:
        verdict, reason = "no data", "the endpoint has no variants"
    return EndpointHealth(
        endpoint_name=info.endpoint_name,
        status=info.status,
        window_minutes=minutes,
        start=start,
        end=end,
        variants=variants,
        verdict=verdict,
        reason=reason,
    )


def run_metrics(ctx: ToolContext, args: MetricsArgs) -> EndpointHealth:
    """The endpoint's CloudWatch metrics over the window, per variant, with the verdict."""
    return endpoint_health(ctx, require_endpoint(ctx, args.endpoint_name), args.window_minutes)


def _n(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def verdict_line(h: EndpointHealth) -> str:
    """'health: unhealthy: 5XX 2.1 % over the last hour, above 1 %'."""
    return f"health: {h.verdict}: {h.reason}"


def render_metrics(h: EndpointHealth) -> str:
    """Per variant: traffic and errors, latency percentiles, utilisation; then the verdict."""
    span = f"{h.start:%H:%M}-{h.end:%H:%M} UTC"
    lines = [f"endpoint {h.endpoint_name} ({h.status}), {window_words(h.window_minutes)} ({span}):"]
    for v in h.variants:
        size = f"{v.instance_count} x {v.instance_type}" if v.instance_type else "?"
        lines.append(f"variant {v.variant_name} ({size}):")
        lines.append(
            f"  invocations {_n(v.invocations)} ({_n(v.invocations_per_minute, '/min', 1)}); "
            f"4XX {_n(v.errors_4xx)} ({_n(v.rate_4xx_percent, ' %', 2)}), 5XX {_n(v.errors_5xx)} "
            f"({_n(v.rate_5xx_percent, ' %', 2)})"
        )
        m, o = v.model_latency_ms, v.overhead_latency_ms
        lines.append(
            f"  model latency p50 {_n(m.p50, ' ms')}, p90 {_n(m.p90, ' ms')}, p99 {_n(m.p99, ' ms')} "
            f"(average {_n(m.average, ' ms')}); overhead average {_n(o.average, ' ms', 1)}, p99 {_n(o.p99, ' ms', 1)}"
        )
        use = [f"CPU {_n(v.cpu_percent_per_vcpu, ' %', 1)} per vCPU", f"memory {_n(v.memory_percent, ' %', 1)}"]
        if v.accelerator == "gpu":
            use.append(
                f"GPU {_n(v.accelerator_percent, ' %', 1)} per GPU (peak {_n(v.accelerator_peak_percent, ' %', 1)}), "
                f"GPU memory {_n(v.gpu_memory_percent, ' %', 1)}"
            )
        elif v.accelerator == "neuron":
            use.append(
                f"NeuronCores {_n(v.accelerator_percent, ' %', 1)} (peak {_n(v.accelerator_peak_percent, ' %', 1)})"
            )
        lines.append("  " + ", ".join(use))
        lines += [f"  note: {n}" for n in v.notes]
    lines.append(verdict_line(h))
    return "\n".join(lines)


METRICS_TOOL = Tool(
    name="get_endpoint_metrics",
    description=(
        "An endpoint's CloudWatch metrics per variant over the last window_minutes (default 60): invocations, "
        "4XX and 5XX rates, model latency p50/p90/p99, overhead latency, CPU, GPU or NeuronCore utilisation and "
        "memory, with a health verdict and its reason."
    ),
    label="check an endpoint's health and latency",
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=MetricsArgs,
    run=run_metrics,
    render=render_metrics,
    phrasings=(
        "is {endpoint_name} [still] (healthy|ok|okay|fine|erroring|slow)",
        "is {endpoint_name} (throwing|returning|getting|seeing|serving) [any] (5xx|4xx|errors|500s|400s|timeouts)",
        "{endpoint_name} (p99|p90|p50|latency|errors|5xx|4xx|error rate|metrics|utilization|utilisation|health)",
        "(p99|p90|p50|latency|errors|5xx|4xx|error rate|metrics|utilization|utilisation|health) (of|for|on) "
        "{endpoint_name}",
        "how is {endpoint_name} (holding up|doing|looking|performing) (over|in|for|during) [the] (last|past) "
        "{window_minutes}",
        "(over|in|for|during|from) [the] (last|past) {window_minutes}",
        "how is {endpoint_name} doing",
        "(what is|show|get|check) [the|me] (p99|p90|p50|latency) [latency|numbers|stats] (of|for|on) {endpoint_name}",
        "(p99|p90|p50|latency) [p99|p90|p50|latency] [numbers|stats|metrics] (of|for|on) {endpoint_name}",
        "how is {endpoint_name} [doing|looking|holding up|performing] (p99|p90|p50|latency|errors|5xx|error rate)",
        "[inference|sagemaker] endpoint (metrics|stats|numbers) [of|for|on] {endpoint_name}",
        "why is {endpoint_name} slow",
        "(show|get) [the] metrics (of|for) {endpoint_name} [over the last {window_minutes}]",
        "(error|5xx|4xx) rate (of|for|on) {endpoint_name}",
        "latency (of|for|on) {endpoint_name} [in the last {window_minutes}]",
        "how busy (is|are) [the] (gpus|neuron cores|instances) (of|on) {endpoint_name}",
    ),
)
