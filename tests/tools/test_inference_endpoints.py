"""list_endpoints and describe_endpoint against the seeded sandbox."""

from __future__ import annotations

import pytest

from tools import runtime
from tools.errors import NotFoundError, ToolInputError
from tools.registry import get_tool, tools_for_domain


def test_the_inference_domain_has_the_six_catalog_tools() -> None:
    names = {t.name for t in tools_for_domain("inference") if t.domain == "inference"}
    assert names == {
        "recommend_inference_instance",
        "create_inference_endpoint",
        "list_endpoints",
        "describe_endpoint",
        "scale_endpoint",
        "delete_endpoint",
    }
    effects = {n: (get_tool(n).effect, get_tool(n).risk) for n in names}
    assert effects["create_inference_endpoint"] == ("write", "medium")
    assert effects["scale_endpoint"] == ("write", "medium")
    assert effects["delete_endpoint"] == ("destructive", "critical")
    assert effects["list_endpoints"] == ("read", "read")


def test_list_endpoints_shows_the_seeded_endpoints_with_cost(ctx) -> None:
    # WHEN listing on the demo account
    plan = runtime.plan("list_endpoints", {}, ctx)
    out = runtime.run_read("list_endpoints", {}, ctx)
    # THEN the plan is a read and both seeded endpoints come back with type, count and price
    assert plan.effect == "read" and plan.aws_operations == []
    rows = {e["endpoint_name"]: e for e in out.result["endpoints"]}
    assert rows["chat-prod"] == {
        "endpoint_name": "chat-prod",
        "status": "InService",
        "instance_type": "ml.p6-b200.48xlarge",
        "instance_count": 1,
        "cost_usd_per_hour": 142.42,
    }
    assert rows["llama8b-inf2"]["instance_type"] == "ml.inf2.24xlarge"
    assert rows["llama8b-inf2"]["cost_usd_per_hour"] == 8.44
    assert out.result["total_cost_usd_per_hour"] == 150.86
    assert "chat-prod" in out.text and "$150.86/h in total" in out.text


def test_list_endpoints_takes_no_arguments(ctx) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.run_read("list_endpoints", {"region": "eu-west-1"}, ctx)
    assert err.value.field == "region"


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


def test_describe_inf2_endpoint_says_accelerator_use_is_not_in_cloudwatch(ctx) -> None:
    out = runtime.run_read("describe_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx)
    metrics = {m["metric"] for m in out.result["metrics"]}
    assert "CPUUtilization" in metrics and "GPUUtilization" not in metrics
    assert any("no accelerator utilisation" in n for n in out.result["notes"])


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
