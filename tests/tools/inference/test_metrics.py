"""describe_endpoint (with its last hour of CloudWatch metrics) against the seeded sandbox."""

from __future__ import annotations

import pytest

from tools import runtime
from tools.errors import NotFoundError, ToolInputError


def test_describe_endpoint_reports_the_last_hour_of_metrics(ctx) -> None:
    out = runtime.run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx)
    r = out.result
    assert r["endpoint"]["status"] == "InService"
    assert r["endpoint"]["variants"][0]["model_name"] == "chat-prod-model"
    metrics = {m["metric"]: m for m in r["metrics"]}
    # The seed puts ~1,200 invocations a minute, 850 ms latency and ~70% per GPU on 8 GPUs.
    assert 60 * 1000 < metrics["Invocations"]["value"] < 60 * 1400
    assert metrics["Invocations"]["datapoints"] >= 11
    assert metrics["ModelLatency"]["unit"] == "Milliseconds"
    assert 750 < metrics["ModelLatency"]["value"] < 950
    assert 60 < metrics["GPUUtilization"]["per_device_percent"] < 80
    assert "invocations:" in out.text and "GPU:" in out.text and "per GPU" in out.text


def test_describe_inf2_endpoint_shows_neuron_use_from_neuron_monitor(ctx) -> None:
    # GIVEN llama8b-inf2, whose NeuronCore use neuron-monitor publishes (SageMaker publishes none)
    out = runtime.run_read("describe_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx)
    metrics = {m["metric"] for m in out.result["metrics"]}
    assert "CPUUtilization" in metrics and "GPUUtilization" not in metrics
    # THEN the notes give it, and the verdict line ends the description
    assert any("NeuronCores" in n and "neuron-monitor" in n for n in out.result["notes"])
    assert out.text.splitlines()[-1] == "health: unhealthy: 5XX 2.1 % over the last hour, above 1 %"


def test_describe_inf2_endpoint_without_neuron_metrics_says_where_to_publish_them(ctx, monkeypatch) -> None:
    # GIVEN the Neuron namespace setting points where nothing is published
    monkeypatch.setattr(ctx.settings, "neuron_metrics_namespace", "Elsewhere")
    out = runtime.run_read("describe_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx)
    # THEN describe says accelerator use is not in CloudWatch, and the health notes where it is looked for
    assert any("no accelerator utilisation" in n for n in out.result["notes"])
    variant = out.result["health"]["variants"][0]
    assert variant["accelerator_percent"] is None and "namespace Elsewhere" in variant["notes"][0]


def test_describe_a_missing_endpoint_names_it(ctx) -> None:
    with pytest.raises(NotFoundError, match="'nope' does not exist in us-east-1"):
        runtime.run_read("describe_endpoint", {"endpoint_name": "nope"}, ctx)


@pytest.mark.parametrize("name", ["bad_name", "-lead", "x" * 64, ""])
def test_describe_refuses_a_name_sagemaker_would_reject(ctx, name) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.run_read("describe_endpoint", {"endpoint_name": name}, ctx)
    assert err.value.field == "endpoint_name" and err.value.value == name


def test_describe_a_new_endpoint_without_traffic_says_so_once(ctx, settings) -> None:
    # GIVEN an endpoint with no CloudWatch datapoints yet
    from tools.sandbox import get_sandbox

    sandbox = get_sandbox(settings)
    with sandbox.session():
        sm = sandbox.client("sagemaker")
        sm.create_model(
            ModelName="fresh-model",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
            PrimaryContainer={"Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1"},
        )
        sm.create_endpoint_config(
            EndpointConfigName="fresh-config",
            ProductionVariants=[
                {"VariantName": "AllTraffic", "ModelName": "fresh-model", "InstanceType": "ml.inf2.xlarge"}
            ],
        )
        sm.create_endpoint(EndpointName="fresh", EndpointConfigName="fresh-config")
    # WHEN it is described
    out = runtime.run_read("describe_endpoint", {"endpoint_name": "fresh"}, ctx)
    # THEN it is still Creating, and the missing metrics are one note, not a line per metric
    assert out.result["endpoint"]["status"] == "Creating"
    assert all(m["value"] is None for m in out.result["metrics"])
    assert "no CloudWatch datapoints in the last hour" in out.text and "no data" not in out.text
