"""delete_endpoint on the sandbox, and its requests field by field on a stubbed live-mode client."""

from __future__ import annotations

import time

import pytest
from botocore.stub import Stubber

from tests.tools.helpers import approve_and_run, grant_for, record
from tests.tools.inference.stubs import CHAT_PROD_CONFIG, chat_prod_described
from tools import guard, runtime
from tools.errors import ApprovalRequiredError, NotFoundError, ToolInputError


# ------------------------------------------------------------------------------------ delete_endpoint
def test_delete_endpoint_on_the_sandbox(ctx) -> None:
    rec = record(ctx)
    plan, out = approve_and_run(ctx, "delete_endpoint", {"endpoint_name": "llama8b-inf2"})
    # THEN the plan is destructive and critical, and lists exactly what the run deleted
    assert plan.effect == "destructive" and plan.risk == "critical"
    assert (plan.instance_type, plan.instance_count, plan.cost_usd_per_hour) == ("ml.inf2.24xlarge", 1, 0.0)
    assert plan.facts["cost_usd_per_hour_delta"] == -8.44
    assert plan.operation_names() == [
        "sagemaker:DeleteEndpoint",
        "sagemaker:DeleteEndpointConfig",
        "sagemaker:DeleteModel",
    ]
    assert rec.writes() == plan.operation_names()
    assert out.result["deleted"] == [
        "endpoint llama8b-inf2",
        "endpoint config llama8b-inf2-config",
        "model llama8b-inf2-model",
    ]
    assert "$8.44/h no longer billed" in out.text
    names = [e["EndpointName"] for e in ctx.clients.client("sagemaker").list_endpoints()["Endpoints"]]
    assert names == ["chat-prod"]
    # AND a resumed run finds nothing left to do
    grant = grant_for(ctx, "delete_endpoint", {"endpoint_name": "llama8b-inf2"}, plan.operation_names())
    again = runtime.run_approved("delete_endpoint", {"endpoint_name": "llama8b-inf2"}, ctx, grant)
    assert again.result["already_gone"] is True and again.result["deleted"] == []


def test_delete_keeps_a_config_opsbot_did_not_name(ctx) -> None:
    # GIVEN chat-prod moved to a config with another name
    sm = ctx.clients.client("sagemaker")
    with guard.activated(
        guard.Grant(
            "t", "h", frozenset({"sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint"}), time.time() + 60
        )
    ):
        sm.create_endpoint_config(
            EndpointConfigName="chat-prod-v2",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "chat-prod-model",
                    "InstanceType": "ml.p6-b200.48xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sm.update_endpoint(EndpointName="chat-prod", EndpointConfigName="chat-prod-v2")
    plan = runtime.plan("delete_endpoint", {"endpoint_name": "chat-prod"}, ctx)
    assert plan.operation_names() == ["sagemaker:DeleteEndpoint"]


def test_delete_request_fields(live_ctx) -> None:
    ops = ["sagemaker:DeleteEndpoint", "sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel"]
    with Stubber(live_ctx.clients.client("sagemaker").raw) as stub:
        stub.add_response("describe_endpoint", chat_prod_described(), {"EndpointName": "chat-prod"})
        stub.add_response("describe_endpoint_config", CHAT_PROD_CONFIG, {"EndpointConfigName": "chat-prod-config"})
        stub.add_response("delete_endpoint", {}, {"EndpointName": "chat-prod"})
        stub.add_response("delete_endpoint_config", {}, {"EndpointConfigName": "chat-prod-config"})
        stub.add_response("delete_model", {}, {"ModelName": "chat-prod-model"})
        grant = grant_for(live_ctx, "delete_endpoint", {"endpoint_name": "chat-prod"}, ops)
        out = runtime.run_approved("delete_endpoint", {"endpoint_name": "chat-prod"}, live_ctx, grant)
        stub.assert_no_pending_responses()
    assert out.result["cost_usd_per_hour_saved"] == 142.42


def test_delete_is_refused_without_approval_and_the_endpoint_stays(ctx) -> None:
    with pytest.raises(ApprovalRequiredError):
        runtime.run_read("delete_endpoint", {"endpoint_name": "chat-prod"}, ctx)
    assert ctx.clients.client("sagemaker").describe_endpoint(EndpointName="chat-prod")["EndpointStatus"] == "InService"


def test_delete_bad_input(ctx) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.plan("delete_endpoint", {"endpoint_name": "x" * 64}, ctx)
    assert err.value.field == "endpoint_name"
    with pytest.raises(NotFoundError):
        runtime.plan("delete_endpoint", {"endpoint_name": "not-there"}, ctx)
