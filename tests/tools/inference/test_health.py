"""get_endpoint_metrics on the seeded sandbox: traffic, error rates, latency percentiles, utilisation,
and a verdict with its reason; and the verdict's rules on their own."""

from __future__ import annotations

import pytest

from tools import runtime
from tools.errors import NotFoundError, ToolInputError
from tools.inference.health import EndpointHealth, LatencyMs, VariantHealth, assess


def _health(ctx, **args) -> tuple[EndpointHealth, str]:
    out = runtime.run_read("get_endpoint_metrics", args, ctx)
    return EndpointHealth.model_validate(out.result), out.text


def test_chat_prod_shows_latency_percentiles_and_is_healthy(ctx) -> None:
    # GIVEN chat-prod's hour: ~1,200 calls a minute, 0.5 % 4XX, 0.08 % 5XX, latency distributions
    # around 850 ms (median 0.87 x, p90 1.44 x, p99 2.11 x the mean), GPUs ~70 % busy
    health, text = _health(ctx, endpoint_name="chat-prod")
    [v] = health.variants
    # THEN invocations and error rates are over the hour
    assert 60 * 1100 < (v.invocations or 0) < 60 * 1300
    assert v.rate_4xx_percent == pytest.approx(0.5, abs=0.01) and v.rate_5xx_percent == pytest.approx(0.083, abs=0.01)
    # AND model latency has its percentiles in order, from the extended statistics
    lat = v.model_latency_ms
    assert lat.p50 and lat.p90 and lat.p99 and lat.average
    assert 700 < lat.p50 < 800 < lat.average < 900 < 1100 < lat.p90 < 1300 < 1700 < lat.p99 < 2000
    assert 8 < (v.overhead_latency_ms.average or 0) < 10
    # AND utilisation is per device
    assert v.accelerator == "gpu" and 60 < (v.accelerator_percent or 0) < 80
    assert 10 < (v.cpu_percent_per_vcpu or 0) < 14 and (v.memory_percent or 0) == pytest.approx(35, abs=2)
    # AND the verdict is healthy, with the numbers that say so
    assert health.verdict == "healthy" and health.reason.endswith("over the last hour: within limits")
    for part in ("p50 ", "p90 ", "p99 ", "health: healthy: 5XX 0.08 %"):
        assert part in text


def test_llama8b_inf2_fails_2_1_percent_and_says_so(ctx) -> None:
    health, text = _health(ctx, endpoint_name="llama8b-inf2", window_minutes=15)
    [v] = health.variants
    # THEN NeuronCore use comes from neuron-monitor's namespace and the 5XX rate decides the verdict
    assert v.accelerator == "neuron" and 55 < (v.accelerator_percent or 0) < 75
    assert (health.verdict, health.reason) == ("unhealthy", "5XX 2.1 % over the last 15 minutes, above 1 %")
    assert text.splitlines()[-1] == "health: unhealthy: 5XX 2.1 % over the last 15 minutes, above 1 %"
    assert "NeuronCores " in text


def _variant(**numbers) -> VariantHealth:
    base = {"variant_name": "AllTraffic", "instance_type": "ml.p6-b200.48xlarge", "instance_count": 1}
    return VariantHealth(**{**base, "invocations": 1000.0, "cpu_percent_per_vcpu": 10.0, **numbers})


@pytest.mark.parametrize(
    ("numbers", "verdict", "reason"),
    [
        ({"rate_5xx_percent": 2.1}, "unhealthy", "5XX 2.1 % over the last hour, above 1 %"),
        ({"rate_4xx_percent": 7.5}, "degraded", "4XX 7.5 % over the last hour, above 5 % (rejected requests)"),
        (
            {"model_latency_ms": LatencyMs(p50=200, p99=1000)},
            "degraded",
            "model latency p99 1,000 ms is 5.0 x p50 (200 ms) over the last hour, above 4 x (a long tail)",
        ),
        (
            {"accelerator": "gpu", "accelerator_percent": 95.0},
            "degraded",
            "GPU 95 % busy on average over the last hour, above 90 %",
        ),
        ({"invocations": 0.0}, "idle", "no invocations over the last hour"),
        ({"invocations": None, "cpu_percent_per_vcpu": None}, "no data", "no CloudWatch datapoints over the last hour"),
    ],
)
def test_the_verdict_is_the_worst_finding_with_its_number_and_limit(numbers, verdict, reason) -> None:
    got, reasons = assess(_variant(**numbers), "the last hour")
    assert got == verdict and reasons[0].startswith(reason)


def test_several_findings_are_all_given_worst_first() -> None:
    got, reasons = assess(_variant(rate_4xx_percent=9.0, rate_5xx_percent=3.0), "the last hour")
    assert got == "unhealthy" and [r.split()[0] for r in reasons] == ["5XX", "4XX"]


def test_unknown_endpoint_and_bad_window(ctx) -> None:
    with pytest.raises(NotFoundError):
        runtime.run_read("get_endpoint_metrics", {"endpoint_name": "nope"}, ctx)
    with pytest.raises(ToolInputError) as err:
        runtime.run_read("get_endpoint_metrics", {"endpoint_name": "chat-prod", "window_minutes": 1}, ctx)
    assert err.value.field == "window_minutes"
