"""scale_endpoint on the sandbox, and its request field by field on a stubbed live-mode client."""

from __future__ import annotations

import time

import pytest
from botocore.stub import Stubber

from tests.tools.helpers import approve_and_run, grant_for, record
from tests.tools.inference.stubs import CHAT_PROD_ARN, CHAT_PROD_CONFIG, chat_prod_described
from tools import guard, runtime
from tools.errors import MutationBlockedError, NotFoundError, ToolInputError
from tools.registry import get_tool


# ------------------------------------------------------------------------------------- scale_endpoint
def test_scale_endpoint_on_the_sandbox(ctx) -> None:
    rec = record(ctx)
    args = {"endpoint_name": "chat-prod", "instance_count": 3}
    plan, out = approve_and_run(ctx, "scale_endpoint", args)
    # THEN the plan shows old and new count and the cost change
    assert (plan.instance_type, plan.instance_count) == ("ml.p6-b200.48xlarge", 3)
    assert plan.cost_usd_per_hour == 427.26 and plan.facts["cost_usd_per_hour_delta"] == 284.84
    assert plan.facts["old_count"] == 1 and plan.facts["new_count"] == 3
    assert "$142.42/h -> $427.26/h" in (plan.cost_note or "")
    assert plan.operation_names() == ["sagemaker:UpdateEndpointWeightsAndCapacities"] == rec.writes()
    # AND the result, then the endpoint settles at 3 instances
    r = out.result
    assert (r["old_count"], r["new_count"], r["changed"], r["status"]) == (1, 3, True, "Updating")
    assert "1 -> 3 x ml.p6-b200.48xlarge" in out.text
    detail = runtime.run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]
    assert detail["status"] == "InService" and detail["instance_count"] == 3
    assert detail["cost_usd_per_hour"] == 427.26


def test_scale_to_the_current_count_makes_no_call(ctx) -> None:
    # GIVEN llama8b-inf2 with 1 instance WHEN it is scaled to 1
    rec = record(ctx)
    args = {"endpoint_name": "llama8b-inf2", "instance_count": 1}
    plan, out = approve_and_run(ctx, "scale_endpoint", args)
    # THEN the plan has no AWS operation (so nobody is asked to approve it) and says why
    assert plan.aws_operations == [] and plan.facts["cost_usd_per_hour_delta"] == 0
    assert plan.summary == "endpoint llama8b-inf2 already has 1 instance(s); nothing to change"
    assert rec.writes() == [] and out.result["changed"] is False
    assert "nothing changed" in out.text


def test_a_relative_change_becomes_the_absolute_target_before_the_plan(ctx) -> None:
    # GIVEN chat-prod with 1 instance WHEN asked to add 2, or to double
    rec = record(ctx)
    plan = runtime.plan("scale_endpoint", {"endpoint_name": "chat-prod", "add_instances": 2}, ctx)
    # THEN the plan (and what an approval binds) is the absolute count, and says what was asked
    assert plan.args == {"endpoint_name": "chat-prod", "instance_count": 3}
    assert plan.facts["resolved_from"] == {"add_instances": 2}
    assert plan.changes[0] == "instances of chat-prod: 1 -> 3 x ml.p6-b200.48xlarge"
    assert plan.aws_operations[0].params["DesiredWeightsAndCapacities"][0]["DesiredInstanceCount"] == 3
    doubled = runtime.plan("scale_endpoint", {"endpoint_name": "chat-prod", "scale_factor": 2}, ctx)
    assert doubled.args["instance_count"] == 2 and doubled.facts["resolved_from"] == {"scale_factor": 2.0}
    assert runtime.resolve_args("scale_endpoint", {"endpoint_name": "chat-prod", "scale_factor": 2}, ctx) == {
        "endpoint_name": "chat-prod",
        "instance_count": 2,
    }
    # AND planning wrote nothing
    assert rec.writes() == []


def test_an_approved_relative_change_runs_its_absolute_target(ctx) -> None:
    # GIVEN an approval of "add 2" to chat-prod (1 instance)
    _, out = approve_and_run(ctx, "scale_endpoint", {"endpoint_name": "chat-prod", "add_instances": 2})
    # THEN it runs 1 -> 3
    assert (out.result["old_count"], out.result["new_count"]) == (1, 3)


@pytest.mark.parametrize(
    ("args", "field", "says"),
    [
        ({"add_instances": -1}, "add_instances", "is 1 now, so that makes 0; allowed: 1 to"),
        ({"scale_factor": 0.5}, "scale_factor", "1 x 0.5 = 0.5 is not a whole number"),
        ({"instance_count": 2, "add_instances": 1}, "add_instances", "not both"),
        ({}, "instance_count", "give instance_count"),
    ],
)
def test_a_relative_change_that_cannot_be_made_is_refused_naming_it(ctx, args, field, says) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.plan("scale_endpoint", {"endpoint_name": "chat-prod", **args}, ctx)
    assert err.value.field == field and says in str(err.value)


def test_scale_request_fields(live_ctx) -> None:
    with Stubber(live_ctx.clients.client("sagemaker").raw) as stub:
        stub.add_response("describe_endpoint", chat_prod_described("InService", 1, 1), {"EndpointName": "chat-prod"})
        stub.add_response("describe_endpoint_config", CHAT_PROD_CONFIG, {"EndpointConfigName": "chat-prod-config"})
        stub.add_response(
            "update_endpoint_weights_and_capacities",
            {"EndpointArn": CHAT_PROD_ARN},
            {
                "EndpointName": "chat-prod",
                "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 4}],
            },
        )
        stub.add_response("describe_endpoint", chat_prod_described("Updating", 1, 4), {"EndpointName": "chat-prod"})
        stub.add_response("describe_endpoint_config", CHAT_PROD_CONFIG, {"EndpointConfigName": "chat-prod-config"})
        args = {"endpoint_name": "chat-prod", "instance_count": 4}
        grant = grant_for(live_ctx, "scale_endpoint", args, ["sagemaker:UpdateEndpointWeightsAndCapacities"])
        out = runtime.run_approved("scale_endpoint", args, live_ctx, grant)
        stub.assert_no_pending_responses()
    assert out.result["status"] == "Updating" and out.result["cost_usd_per_hour_after"] == 569.68


def test_scale_bad_input(ctx) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.plan("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 0}, ctx)
    assert err.value.field == "instance_count" and err.value.value == 0
    with pytest.raises(ToolInputError) as err:
        runtime.plan("scale_endpoint", {"endpoint_name": "chat prod", "instance_count": 2}, ctx)
    assert err.value.field == "endpoint_name"
    with pytest.raises(NotFoundError):
        runtime.plan("scale_endpoint", {"endpoint_name": "missing", "instance_count": 2}, ctx)


def test_an_approved_relative_change_runs_the_absolute_target_it_was_approved_for(ctx) -> None:
    # GIVEN "add 2" to chat-prod planned while it had 1 instance: the plan, and so the grant, bind 3
    raw = {"endpoint_name": "chat-prod", "add_instances": 2}
    plan = runtime.plan("scale_endpoint", raw, ctx)
    assert plan.args == {"endpoint_name": "chat-prod", "instance_count": 3}
    grant = grant_for(ctx, "scale_endpoint", plan.args, plan.operation_names(), "ap-rel")
    # AND someone else scales it to 2 before the approved request runs
    approve_and_run(ctx, "scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, approval_id="ap-other")
    runtime.run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx)  # settles at 2
    # WHEN the approved call runs THEN it runs what was approved, 3 (not "2 + 2")
    out = runtime.run_approved("scale_endpoint", plan.args, ctx, grant)
    assert (out.result["old_count"], out.result["new_count"]) == (2, 3)


def test_a_grant_of_a_relative_change_runs_nothing(ctx) -> None:
    # GIVEN a grant that binds "add 2" itself rather than its absolute target
    raw = {"endpoint_name": "chat-prod", "add_instances": 2}
    plan = runtime.plan("scale_endpoint", raw, ctx)
    args = runtime.args_dict(runtime.parse_args(get_tool("scale_endpoint"), raw))
    call = guard.call_hash("scale_endpoint", args, ctx.account, ctx.region, ctx.requester or "", ctx.thread or "")
    grant = guard.Grant.for_operations("ap-rel", call, plan.aws_operations, time.time() + 60)
    # WHEN it runs THEN it is refused, naming the relative argument, and the endpoint keeps its 1 instance
    with pytest.raises(MutationBlockedError, match="add_instances"):
        runtime.run_approved("scale_endpoint", raw, ctx, grant)
    detail = runtime.run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]
    assert detail["instance_count"] == 1
