"""The inference toolset, and list_endpoints against the seeded sandbox."""

from __future__ import annotations

import pytest

from tools import runtime
from tools.errors import ToolInputError
from tools.registry import get_tool, tools_for_domain


def test_the_inference_domain_has_the_seven_catalog_tools() -> None:
    names = {t.name for t in tools_for_domain("inference") if t.domain == "inference"}
    assert names == {
        "recommend_inference_instance",
        "create_inference_endpoint",
        "list_endpoints",
        "describe_endpoint",
        "get_endpoint_metrics",
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
    assert plan.effect == "read" and plan.operation_names() == []
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
