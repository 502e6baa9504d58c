"""Training plan tools against the sandbox: search offerings, buy one, and run a cluster on it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.views import error_view
from tests.tools.helpers import approve_and_run, lose_first_answer, record
from tests.tools.training.sandbox import TRN2
from tools import runtime
from tools.base import Effect, Risk, ToolContext
from tools.errors import NotFoundError, ToolInputError
from tools.training.clusters import ClusterDetails
from tools.training.plans import OfferingList, PlanPurchased, remember_offerings

SEARCH = {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "duration_hours": 720}


def _search(ctx: ToolContext, **overrides: Any) -> OfferingList:
    out = runtime.run_read("search_training_plans", {**SEARCH, **overrides}, ctx)
    return OfferingList.model_validate(out.result)


def _cluster_on_plan(
    ctx: ToolContext, offering_id: str, plan_name: str, cluster: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Buy the offering as ``plan_name``; the plan's ARN, and ``cluster`` (create_hyperpod_cluster's
    arguments) on that plan."""
    _, bought = approve_and_run(ctx, "purchase_training_plan", {"plan_name": plan_name, "offering_id": offering_id})
    plan_arn = bought.result["plan_arn"]
    return plan_arn, {**cluster, "training_plan_arn": plan_arn}


def test_search_lists_dated_offerings_with_fees_below_on_demand(ctx: ToolContext) -> None:
    plan = runtime.plan("search_training_plans", SEARCH, ctx)
    assert (plan.effect, plan.aws_operations) == (Effect.READ, [])
    recorder = record(ctx)
    out = runtime.run_read("search_training_plans", SEARCH, ctx)
    assert recorder.params("SearchTrainingPlanOfferings") == {
        "InstanceType": "ml.trn2.48xlarge",
        "InstanceCount": 8,
        "DurationHours": 720,
        "TargetResources": ["hyperpod-cluster"],
    }
    result = OfferingList.model_validate(out.result)
    assert len(result.offerings) == 3
    on_demand = TRN2 * 8 * 720
    for offering in result.offerings:
        assert (offering.instance_type, offering.instance_count, offering.duration_hours) == (
            "ml.trn2.48xlarge",
            8,
            720,
        )
        assert offering.on_demand_usd == pytest.approx(on_demand)
        assert 0 < offering.upfront_fee_usd < on_demand
        assert offering.effective_usd_per_hour == pytest.approx(offering.upfront_fee_usd / 720, abs=0.01)
    starts = [o.start for o in result.offerings]
    assert starts == sorted(starts)
    assert out.text.startswith("3 offering(s) for 8 x ml.trn2.48xlarge for 720 h:")
    assert f"- {result.offerings[0].offering_id}: " in out.text and "% under on-demand" in out.text


def test_search_for_a_huge_block_finds_nothing_and_says_what_to_try(ctx: ToolContext) -> None:
    out = runtime.run_read("search_training_plans", {**SEARCH, "instance_count": 200}, ctx)
    assert OfferingList.model_validate(out.result).offerings == []
    assert out.text.startswith("No training plan offerings for 200 x ml.trn2.48xlarge")


def test_purchase_needs_an_offering_from_a_search(ctx: ToolContext) -> None:
    # GIVEN no search has shown the offering tpo-unknown
    recorder = record(ctx)
    # WHEN its purchase is planned
    with pytest.raises(NotFoundError) as caught:
        runtime.plan("purchase_training_plan", {"plan_name": "q3", "offering_id": "tpo-unknown"}, ctx)
    # THEN the plan fails before anyone is asked: not found, naming the id and how to list offerings
    message = str(caught.value)
    assert caught.value.field == "offering_id" and "'tpo-unknown' was not found" in message
    assert "search_training_plans lists the offerings" in message
    assert error_view(caught.value).code == "not_found"
    assert recorder.calls == []


def test_an_offering_whose_reservation_began_is_not_found(ctx: ToolContext) -> None:
    # GIVEN an offering a search showed, whose reservation has since begun
    shown = _search(ctx).offerings[0]
    remember_offerings(ctx, [shown.model_copy(update={"offering_id": "tpo-gone", "start": datetime.now(UTC)})])
    # WHEN its purchase is planned
    with pytest.raises(NotFoundError) as caught:
        runtime.plan("purchase_training_plan", {"plan_name": "q3", "offering_id": "tpo-gone"}, ctx)
    # THEN it is no longer offered, and the error says how to find current offerings
    assert "'tpo-gone' is no longer offered" in str(caught.value) and caught.value.field == "offering_id"
    assert "search_training_plans" in str(caught.value)


def test_purchase_plans_the_upfront_fee_and_buys_the_offering(ctx: ToolContext) -> None:
    # GIVEN an offering found by a search
    offering = _search(ctx).offerings[1]
    raw = {"plan_name": "llama-q3", "offering_id": offering.offering_id}
    recorder = record(ctx)
    # WHEN it is planned, approved and bought
    plan, out = approve_and_run(ctx, "purchase_training_plan", raw, approval_id="ap-buy")
    # THEN the plan shows the upfront fee and the reserved capacity
    assert (plan.effect, plan.risk) == (Effect.DESTRUCTIVE, Risk.CRITICAL)
    assert plan.cost_usd_total == pytest.approx(offering.upfront_fee_usd)
    assert plan.cost_usd_per_hour == pytest.approx(offering.upfront_fee_usd / 720, abs=0.01)
    assert (plan.instance_type, plan.instance_count) == ("ml.trn2.48xlarge", 8)
    assert any(f"upfront fee ${offering.upfront_fee_usd:,.2f} USD" in c for c in plan.changes)
    assert plan.operation_names() == ["sagemaker:CreateTrainingPlan"] == recorder.writes()
    # AND CreateTrainingPlan got exactly the name, the offering and the request tags
    assert recorder.params("CreateTrainingPlan") == {
        "TrainingPlanName": "llama-q3",
        "TrainingPlanOfferingId": offering.offering_id,
        "Tags": [{"Key": "opsbot:request", "Value": "ap-buy"}, {"Key": "opsbot:requester", "Value": "alice"}],
    }
    result = PlanPurchased.model_validate(out.result)
    assert (result.created, result.status, result.upfront_fee_usd) == (True, "Pending", offering.upfront_fee_usd)
    assert out.text.startswith("Bought training plan llama-q3 (Pending): 8 x ml.trn2.48xlarge")
    described = ctx.clients.client("sagemaker").describe_training_plan(TrainingPlanName="llama-q3")
    assert described["Status"] == "Scheduled" and described["TotalInstanceCount"] == 8


def test_buying_the_same_plan_again_buys_nothing_more(ctx: ToolContext) -> None:
    offering = _search(ctx).offerings[0]
    raw = {"plan_name": "llama-q3", "offering_id": offering.offering_id}
    approve_and_run(ctx, "purchase_training_plan", raw, approval_id="ap-first")
    recorder = record(ctx)
    plan, out = approve_and_run(ctx, "purchase_training_plan", raw, approval_id="ap-second")
    # THEN the second plan has nothing to buy (no AWS operation, nothing filed) and the run buys nothing
    assert plan.aws_operations == [] and plan.summary.endswith("nothing more to buy")
    assert recorder.writes() == []
    result = PlanPurchased.model_validate(out.result)
    assert result.created is False and out.text.startswith("Already had training plan llama-q3 (Scheduled)")


def test_a_plan_name_taken_by_other_capacity_is_refused(ctx: ToolContext) -> None:
    first, second = _search(ctx).offerings[:2]
    approve_and_run(ctx, "purchase_training_plan", {"plan_name": "llama-q3", "offering_id": first.offering_id})
    recorder = record(ctx)
    with pytest.raises(ToolInputError) as caught:
        runtime.plan("purchase_training_plan", {"plan_name": "llama-q3", "offering_id": second.offering_id}, ctx)
    assert caught.value.field == "plan_name"
    assert recorder.writes() == []


def test_a_purchase_retried_after_a_lost_reply_buys_once(ctx: ToolContext) -> None:
    offering = _search(ctx).offerings[0]
    lose_first_answer(ctx, "sagemaker", "CreateTrainingPlan")
    sm = ctx.clients.client("sagemaker")
    recorder = record(ctx)
    _, out = approve_and_run(ctx, "purchase_training_plan", {"plan_name": "once", "offering_id": offering.offering_id})
    assert recorder.ops().count("CreateTrainingPlan") == 2
    names = [p["TrainingPlanName"] for p in sm.list_training_plans()["TrainingPlanSummaries"]]
    assert names == ["once"]
    assert PlanPurchased.model_validate(out.result).created is True


def test_a_cluster_on_a_training_plan_adds_no_hourly_spend(ctx: ToolContext) -> None:
    # GIVEN a bought plan for 8 trn2
    offering = _search(ctx).offerings[0]
    cluster = {"cluster_name": "on-plan", "instance_type": "ml.trn2.48xlarge", "instance_count": 8}
    plan_arn, raw = _cluster_on_plan(ctx, offering.offering_id, "cap", cluster)
    # WHEN a cluster of 8 trn2 is created on it
    recorder = record(ctx)
    plan, _ = approve_and_run(ctx, "create_hyperpod_cluster", raw)
    # THEN the plan adds no hourly spend but says what the capacity would cost on demand
    assert plan.cost_usd_per_hour == 0.0
    assert plan.facts["on_demand_equivalent_usd_per_hour"] == pytest.approx(8 * TRN2)
    assert any("prepaid" in c for c in plan.changes)
    [group] = recorder.params("CreateCluster")["InstanceGroups"]
    assert group["TrainingPlanArn"] == plan_arn
    details = ClusterDetails.model_validate(
        runtime.run_read("describe_hyperpod_cluster", {"cluster_name": "on-plan"}, ctx).result
    )
    assert details.groups[0].training_plan_arn == plan_arn and details.cost_usd_per_hour == 0.0


def test_p6e_gb200_is_reserved_by_ultraserver_and_runs_a_cluster(ctx: ToolContext) -> None:
    # GIVEN 18 x ml.p6e-gb200.36xlarge, which AWS sells only as UltraServers
    search = {"instance_type": "p6e-gb200.36xlarge", "instance_count": 18, "duration_hours": 24 * 14}
    recorder = record(ctx)
    offerings = runtime.run_read("search_training_plans", search, ctx)
    # THEN the search asks for one ml.u-p6e-gb200x72 and the offerings say so
    assert recorder.params("SearchTrainingPlanOfferings")["UltraServerType"] == "ml.u-p6e-gb200x72"
    assert recorder.params("SearchTrainingPlanOfferings")["UltraServerCount"] == 1
    first = offerings.result["offerings"][0]
    assert (first["instance_type"], first["instance_count"]) == ("ml.p6e-gb200.36xlarge", 18)
    assert (first["ultraserver_type"], first["ultraserver_count"]) == ("ml.u-p6e-gb200x72", 1)
    assert "1 x ml.u-p6e-gb200x72" in offerings.text
    # WHEN it is bought and a cluster of 18 runs on it
    cluster = {"cluster_name": "gb200", "instance_type": "ml.p6e-gb200.36xlarge", "instance_count": 18}
    _, raw = _cluster_on_plan(ctx, first["offering_id"], "gb200-q1", cluster)
    plan, _ = approve_and_run(ctx, "create_hyperpod_cluster", raw)
    # THEN the cluster adds no hourly spend (prepaid) and exists
    assert plan.cost_usd_per_hour == 0.0
    assert (
        ctx.clients.client("sagemaker").describe_cluster(ClusterName="gb200")["InstanceGroups"][0]["TargetCount"] == 18
    )


@pytest.mark.parametrize(
    ("search", "says"),
    [
        ({"instance_type": "ml.p6e-gb200.36xlarge", "instance_count": 10}, "a multiple of 9 (ml.u-p6e-gb200x36)"),
        ({"instance_type": "ml.g6e.xlarge", "instance_count": 1}, "training plans are not sold for ml.g6e.xlarge"),
    ],
)
def test_capacity_that_is_not_sold_that_way_is_refused(ctx: ToolContext, search: dict, says: str) -> None:
    with pytest.raises(ToolInputError, match=re.escape(says)):
        runtime.plan("search_training_plans", {**search, "duration_hours": 48}, ctx)


def test_an_ultraserver_type_counts_ultraservers(ctx: ToolContext) -> None:
    out = runtime.run_read(
        "search_training_plans", {"instance_type": "ml.u-p6e-gb200x36", "instance_count": 2, "duration_hours": 48}, ctx
    )
    assert (out.result["instance_type"], out.result["instance_count"]) == ("ml.p6e-gb200.36xlarge", 18)
    assert {o["ultraserver_type"] for o in out.result["offerings"]} == {"ml.u-p6e-gb200x36"}
