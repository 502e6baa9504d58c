"""Sandbox CloudWatch: metric statistics with percentiles, which moto lacks.

moto stores metric data, but its GetMetricData answers nothing for a percentile statistic (p99), its
GetMetricStatistics ignores ExtendedStatistics, and PutMetricData with Values/Counts (how SageMaker
publishes latency distributions) expands every count into a datum of its own. These handlers keep
a distribution as one datum (``MetricDistribution``, in moto's own list so its other operations still
see it) and compute every statistic from the data: SampleCount, Sum, Average, Minimum, Maximum and
percentiles ``pNN`` / ``pNN.N`` (weighted nearest rank over single values and distributions; a
statistic set carries no percentile, as in CloudWatch).

Periods start at StartTime and step by Period while before EndTime; GetMetricData lists newest first
unless ScanBy says TimestampAscending, as CloudWatch does. Metric math expressions are not supported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum, MetricDatumBase

from tools.sandbox.extensions import Call, ExtensionError, extension

PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,2})?|100)$")
BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
MAX_VALUES = 150  # PutMetricData's limit of Values per datum


class MetricDistribution(MetricDatumBase):
    """Values with their counts, as PutMetricData's Values/Counts publish them: one datum, not one per count."""

    def __init__(
        self,
        namespace: str,
        name: str,
        values: list[float],
        counts: list[float],
        dimensions: list[dict[str, str]],
        timestamp: datetime | None,
        unit: Any = None,
    ) -> None:
        super().__init__(namespace, name, dimensions, timestamp, unit)
        self.values = values
        self.counts = counts


def _invalid(message: str, code: str = "InvalidParameterValue") -> ExtensionError:
    return ExtensionError(code, message, 400)


def _naive_utc(value: Any) -> datetime:
    # moto keeps naive UTC timestamps; requests may bring aware ones.
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _backend(call: Call) -> Any:
    from moto.backends import get_backend

    return get_backend("cloudwatch")[call.account][call.region]


@extension("cloudwatch", "PutMetricData")
def put_metric_data(call: Call) -> dict[str, Any]:
    """Single values and statistic sets go to moto as they are; Values/Counts stay one distribution."""
    namespace = call.params["Namespace"]
    plain: list[dict[str, Any]] = []
    backend = _backend(call)
    for i, member in enumerate(call.params.get("MetricData") or [], 1):
        stamp = _naive_utc(member.get("Timestamp") or datetime.now(UTC))
        values = member.get("Values")
        if values:
            counts = member.get("Counts") or [1.0] * len(values)
            if "Value" in member or "StatisticValues" in member:
                raise _invalid(f"MetricData.member.{i}: Values cannot be given with Value or StatisticValues.")
            if len(counts) != len(values) or len(values) > MAX_VALUES:
                raise _invalid(f"MetricData.member.{i}: Values and Counts must be of the same size, at most 150.")
            if any(math.isnan(v) or math.isinf(v) for v in values) or any(c < 0 for c in counts):
                raise _invalid(f"MetricData.member.{i}: Values must be numbers and Counts not negative.")
            backend.metric_data.append(
                MetricDistribution(
                    namespace,
                    member["MetricName"],
                    [float(v) for v in values],
                    [float(c) for c in counts],
                    member.get("Dimensions") or [],
                    stamp,
                    member.get("Unit"),
                )
            )
        else:
            plain.append({**member, "Timestamp": stamp})
    if plain:
        backend.put_metric_data(namespace, plain)
    return {}


@dataclass
class _Sample:
    """What one period's data adds up to."""

    weighted: list[tuple[float, float]] = field(default_factory=list)  # (value, count) of values and distributions
    count: float = 0.0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    def add(self, datum: MetricDatumBase) -> None:
        if isinstance(datum, MetricDistribution):
            pairs = [(v, c) for v, c in zip(datum.values, datum.counts, strict=True) if c > 0]
        elif isinstance(datum, MetricDatum):
            pairs = [(datum.value, 1.0)]
        elif isinstance(datum, MetricAggregatedDatum):
            self.count += datum.sample_count
            self.total += datum.sum
            self.low, self.high = min(self.low, datum.min), max(self.high, datum.max)
            return
        else:
            return
        for value, weight in pairs:
            self.weighted.append((value, weight))
            self.count += weight
            self.total += value * weight
            self.low, self.high = min(self.low, value), max(self.high, value)

    def statistic(self, stat: str) -> float | None:
        if self.count <= 0:
            return None
        if stat == "SampleCount":
            return self.count
        if stat == "Sum":
            return self.total
        if stat == "Average":
            return self.total / self.count
        if stat == "Minimum":
            return self.low
        if stat == "Maximum":
            return self.high
        return self.percentile(float(stat[1:]))

    def percentile(self, p: float) -> float | None:
        """Weighted nearest rank: the smallest value with at least p % of the weight at or below it."""
        if not self.weighted:
            return None  # statistic sets only: CloudWatch has no percentile for them either
        ordered = sorted(self.weighted)
        target = p / 100 * sum(w for _, w in ordered)
        seen = 0.0
        for value, weight in ordered:
            seen += weight
            if seen >= target - 1e-9:
                return value
        return ordered[-1][0]


def _check_stat(stat: str, where: str) -> None:
    if stat in BASIC or PERCENTILE.match(stat):
        return
    raise _invalid(
        f"The value {stat} for parameter {where} is not supported by the sandbox: SampleCount, Average, Sum, "
        "Minimum, Maximum or a percentile such as p99."
    )


def _matching(call: Call, namespace: str, name: str, dims: list[dict[str, str]], unit: str | None) -> list[Any]:
    wanted = sorted((d["Name"], d["Value"]) for d in dims)
    out = []
    for datum in _backend(call).get_all_metrics():
        if datum.namespace != namespace or datum.name != name:
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) != wanted:
            continue  # a metric is its exact set of dimensions
        if unit and datum.unit != unit:
            continue
        out.append(datum)
    return out


def _periods(start: datetime, end: datetime, seconds: int) -> list[tuple[datetime, datetime]]:
    if seconds < 1 or (seconds >= 60 and seconds % 60):
        raise _invalid(f"The parameter Period must be 1, 5, 10, 30 or a multiple of 60; got {seconds}.")
    step, out, at = timedelta(seconds=seconds), [], start
    while at < end:
        out.append((at, min(at + step, end)))
        at += step
    return out


def _samples(data: list[Any], periods: list[tuple[datetime, datetime]]) -> list[tuple[datetime, _Sample]]:
    out = []
    for lo, hi in periods:
        sample = _Sample()
        for datum in data:
            if lo <= datum.timestamp < hi:
                sample.add(datum)
        if sample.count > 0:
            out.append((lo, sample))
    return out


@extension("cloudwatch", "GetMetricData")
def get_metric_data(call: Call) -> dict[str, Any]:
    """MetricStat queries with any basic statistic or percentile; one result per query."""
    p = call.params
    start, end = _naive_utc(p["StartTime"]), _naive_utc(p["EndTime"])
    if start >= end:
        raise _invalid("The parameter StartTime must be less than the parameter EndTime.", "ValidationError")
    descending = (p.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    results = []
    for i, query in enumerate(p["MetricDataQueries"], 1):
        if "MetricStat" not in query:
            raise _invalid(
                f"MetricDataQueries.member.{i}: the sandbox answers MetricStat queries only.", "ValidationError"
            )
        stat_spec = query["MetricStat"]
        metric = stat_spec["Metric"]
        _check_stat(stat_spec["Stat"], f"MetricDataQueries.member.{i}.MetricStat.Stat")
        data = _matching(
            call, metric["Namespace"], metric["MetricName"], metric.get("Dimensions") or [], stat_spec.get("Unit")
        )
        points = [
            (at, value)
            for at, sample in _samples(data, _periods(start, end, int(stat_spec["Period"])))
            if (value := sample.statistic(stat_spec["Stat"])) is not None
        ]
        if descending:
            points.reverse()
        if query.get("ReturnData", True):
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label") or metric["MetricName"],
                    "Timestamps": [at.replace(tzinfo=UTC) for at, _ in points],
                    "Values": [float(v) for _, v in points],
                    "StatusCode": "Complete",
                }
            )
    return {"MetricDataResults": results, "Messages": []}


@extension("cloudwatch", "GetMetricStatistics")
def get_metric_statistics(call: Call) -> dict[str, Any]:
    """Statistics and ExtendedStatistics (percentiles) of one metric, one datapoint per period with data."""
    p = call.params
    stats, extended = list(p.get("Statistics") or []), list(p.get("ExtendedStatistics") or [])
    if not stats and not extended:
        raise _invalid("Must specify either Statistics or ExtendedStatistics.", "InvalidParameterCombination")
    for stat in stats:
        if stat not in BASIC:
            raise _invalid(f"The value {stat} for parameter Statistics is not valid.")
    for stat in extended:
        if not PERCENTILE.match(stat):
            _check_stat(stat, "ExtendedStatistics")
    start, end = _naive_utc(p["StartTime"]), _naive_utc(p["EndTime"])
    if start >= end:
        raise _invalid("The parameter StartTime must be less than the parameter EndTime.")
    data = _matching(call, p["Namespace"], p["MetricName"], p.get("Dimensions") or [], p.get("Unit"))
    datapoints = []
    for at, sample in _samples(data, _periods(start, end, int(p["Period"]))):
        point: dict[str, Any] = {"Timestamp": at.replace(tzinfo=UTC)}
        point.update({stat: sample.statistic(stat) for stat in stats})
        if extended:
            point["ExtendedStatistics"] = {
                stat: value for stat in extended if (value := sample.statistic(stat)) is not None
            }
        unit = next((d.unit for d in data if d.unit), None)
        if unit:
            point["Unit"] = unit
        datapoints.append(point)
    return {"Label": p["MetricName"], "Datapoints": datapoints}
