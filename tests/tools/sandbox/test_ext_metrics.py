"""Sandbox CloudWatch: distributions kept as one datum, and every statistic, percentiles included,
from GetMetricData and GetMetricStatistics in botocore's output shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.sandbox import get_sandbox
from tools.sandbox.ext_metrics import MetricDistribution
from tools.sandbox.extensions import validate_output

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
DIMS = [{"Name": "EndpointName", "Value": "e"}, {"Name": "VariantName", "Value": "v"}]


@pytest.fixture
def cw(settings) -> Iterator[Any]:
    """GIVEN a sandbox CloudWatch client holding 10 minutes of latency distributions and counts."""
    sandbox = get_sandbox(settings)
    with sandbox.session():
        client = sandbox.client("cloudwatch")
        data = []
        for minute in range(10):
            at = T0 + timedelta(minutes=minute)
            # 1..100 ms, once each: p50 is 50, p90 90, p99 99
            latency = [float(v) for v in range(1, 101)]
            data.append(
                {"MetricName": "Lat", "Dimensions": DIMS, "Timestamp": at, "Values": latency, "Unit": "Milliseconds"}
            )
            data.append({"MetricName": "Calls", "Dimensions": DIMS, "Timestamp": at, "Value": 10.0, "Unit": "Count"})
        client.put_metric_data(Namespace="Test", MetricData=data)
        yield client


def _query(stat: str, metric: str = "Lat", period: int = 600, dims: list | None = None) -> dict[str, Any]:
    return {
        "Id": "q",
        "MetricStat": {
            "Metric": {"Namespace": "Test", "MetricName": metric, "Dimensions": DIMS if dims is None else dims},
            "Period": period,
            "Stat": stat,
        },
    }


def test_a_distribution_is_one_datum_not_one_per_count(cw, settings) -> None:
    from moto.backends import get_backend

    stored = [m for m in get_backend("cloudwatch")["123456789012"]["us-east-1"].metric_data if m.namespace == "Test"]
    assert sum(isinstance(m, MetricDistribution) for m in stored) == 10 and len(stored) == 20


STATS = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 100), ("Average", 50.5), ("Minimum", 1), ("Maximum", 100),
         ("SampleCount", 1000), ("Sum", 50500)]  # fmt: skip


@pytest.mark.parametrize(("stat", "value"), STATS)
def test_get_metric_data_computes_every_statistic(cw, stat: str, value: float) -> None:
    answer = cw.get_metric_data(MetricDataQueries=[_query(stat)], StartTime=T0, EndTime=T0 + timedelta(minutes=10))
    validate_output(cw, "GetMetricData", answer)
    [result] = answer["MetricDataResults"]
    assert result["Values"] == [pytest.approx(value)] and result["StatusCode"] == "Complete"


def test_periods_are_newest_first_unless_asked_otherwise(cw) -> None:
    end = T0 + timedelta(minutes=10)
    newest = cw.get_metric_data(MetricDataQueries=[_query("Sum", "Calls", 300)], StartTime=T0, EndTime=end)
    oldest = cw.get_metric_data(
        MetricDataQueries=[_query("Sum", "Calls", 300)], StartTime=T0, EndTime=end, ScanBy="TimestampAscending"
    )
    assert newest["MetricDataResults"][0]["Timestamps"] == [T0 + timedelta(minutes=5), T0]
    assert oldest["MetricDataResults"][0]["Values"] == [50.0, 50.0]


def test_a_metric_is_its_exact_dimensions(cw) -> None:
    answer = cw.get_metric_data(
        MetricDataQueries=[_query("Sum", "Calls", dims=DIMS[:1])], StartTime=T0, EndTime=T0 + timedelta(minutes=10)
    )
    assert answer["MetricDataResults"][0]["Values"] == []


def test_get_metric_statistics_gives_extended_statistics(cw) -> None:
    answer = cw.get_metric_statistics(
        Namespace="Test",
        MetricName="Lat",
        Dimensions=DIMS,
        StartTime=T0,
        EndTime=T0 + timedelta(minutes=10),
        Period=300,
        Statistics=["Average", "SampleCount"],
        ExtendedStatistics=["p50", "p99"],
    )
    validate_output(cw, "GetMetricStatistics", answer)
    points = sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])
    assert len(points) == 2
    assert points[0]["ExtendedStatistics"] == {"p50": 50.0, "p99": 99.0} and points[0]["SampleCount"] == 500
    assert points[0]["Unit"] == "Milliseconds"


def test_statistic_sets_have_no_percentile(cw) -> None:
    cw.put_metric_data(
        Namespace="Test",
        MetricData=[{"MetricName": "Set", "Dimensions": DIMS, "Timestamp": T0,
                     "StatisticValues": {"SampleCount": 4, "Sum": 40, "Minimum": 5, "Maximum": 15}}],
    )  # fmt: skip
    end = T0 + timedelta(minutes=10)
    average = cw.get_metric_data(MetricDataQueries=[_query("Average", "Set")], StartTime=T0, EndTime=end)
    p99 = cw.get_metric_data(MetricDataQueries=[_query("p99", "Set")], StartTime=T0, EndTime=end)
    assert average["MetricDataResults"][0]["Values"] == [10.0]
    assert p99["MetricDataResults"][0]["Values"] == []


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ({"MetricDataQueries": [_query("tm99")]}, "InvalidParameterValue"),
        ({"MetricDataQueries": [{"Id": "e", "Expression": "SUM(METRICS())", "Period": 60}]}, "ValidationError"),
        ({"MetricDataQueries": [_query("Sum", period=90)]}, "InvalidParameterValue"),
    ],
)
def test_what_the_sandbox_does_not_compute_is_refused(cw, call: dict, code: str) -> None:
    with pytest.raises(ClientError) as err:
        cw.get_metric_data(**call, StartTime=T0, EndTime=T0 + timedelta(minutes=10))
    assert err.value.response["Error"]["Code"] == code


def test_values_and_counts_of_different_sizes_are_refused(cw) -> None:
    with pytest.raises(ClientError, match="same size"):
        cw.put_metric_data(
            Namespace="Test",
            MetricData=[{"MetricName": "Lat", "Dimensions": DIMS, "Values": [1.0, 2.0], "Counts": [1.0]}],
        )
