"""summarize_spend against the sandbox: every running resource by name, per domain and in total,
projected; training plans' upfront fees apart."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.tools.helpers import approve_and_run
from tools import runtime
from tools.base import ToolContext
from tools.cost.spend import SpendSummary
from tools.registry import route_of

TRN2, B200, INF2_24, R7G_XL = 55.97, 142.42, 8.44, 0.437


def _spend(ctx: ToolContext, **args: object) -> tuple[SpendSummary, str]:
    out = runtime.run_read("summarize_spend", args, ctx)
    return SpendSummary.model_validate(out.result), out.text


def test_done_when_it_totals_the_clusters_endpoints_and_caches_by_name(ctx: ToolContext) -> None:
    # GIVEN the demo account: llama-pretrain (4 x trn2), the running job (4 x trn2), chat-prod (p6-b200),
    # llama8b-inf2 (inf2.24xlarge), kv-cache-prod (3 x cache.r7g.xlarge) and expert-cache (serverless)
    spend, text = _spend(ctx)
    rates = {i.name: i.cost_usd_per_hour for i in spend.items}
    # THEN each is there by name with its $/h
    assert rates["llama-pretrain"] == pytest.approx(4 * TRN2)
    assert rates["llama-pretrain-stage1"] == pytest.approx(4 * TRN2)
    assert rates["chat-prod"] == pytest.approx(B200) and rates["llama8b-inf2"] == pytest.approx(INF2_24)
    assert rates["kv-cache-prod"] == pytest.approx(3 * R7G_XL) and 1.0 < (rates["expert-cache"] or 0) < 1.3
    # AND per domain and in total
    assert spend.by_domain["training"] == pytest.approx(8 * TRN2)
    assert spend.by_domain["inference"] == pytest.approx(B200 + INF2_24)
    assert spend.by_domain["cache"] == pytest.approx(3 * R7G_XL + rates["expert-cache"], abs=0.002)
    assert spend.total_usd_per_hour == pytest.approx(sum(spend.by_domain.values()), abs=0.01)
    for name in (
        "llama-pretrain",
        "llama-pretrain-stage1",
        "chat-prod",
        "llama8b-inf2",
        "kv-cache-prod",
        "expert-cache",
    ):
        assert f" {name}: " in text
    assert text.startswith(f"Running now: ${spend.total_usd_per_hour:,.2f}/h across 6 resource(s)")


def test_the_projections_stop_a_job_at_its_max_runtime(ctx: ToolContext) -> None:
    spend, _ = _spend(ctx)
    day, week, month = spend.projections
    assert [p.hours for p in spend.projections] == [24, 168, 730]
    job = next(i for i in spend.items if i.name == "llama-pretrain-stage1")
    assert job.hours_left == pytest.approx(72 - 6.2, abs=0.2)
    always_on = spend.total_usd_per_hour - (job.cost_usd_per_hour or 0)
    assert day.total_usd == pytest.approx(24 * spend.total_usd_per_hour, abs=1)
    # a week: the job runs only its remaining hours
    assert week.total_usd == pytest.approx(168 * always_on + job.hours_left * job.cost_usd_per_hour, abs=1)
    assert month.by_domain["inference"] == pytest.approx(730 * (B200 + INF2_24), abs=0.05)


def test_hours_given_are_the_one_projection(ctx: ToolContext) -> None:
    spend, text = _spend(ctx, hours=10)
    [ten] = spend.projections
    assert (ten.hours, ten.label) == (10, "10 h") and ten.total_usd == pytest.approx(
        10 * spend.total_usd_per_hour, abs=0.5
    )
    assert "projected: 10 h $" in text


def test_a_stopped_job_and_a_new_cluster_change_the_total(ctx: ToolContext) -> None:
    before, _ = _spend(ctx)
    approve_and_run(ctx, "stop_training_job", {"job_name": "llama-pretrain-stage1"})
    approve_and_run(
        ctx, "create_hyperpod_cluster", {"cluster_name": "g5", "instance_type": "g5.xlarge", "instance_count": 2}
    )
    after, _ = _spend(ctx)
    assert "llama-pretrain-stage1" not in {i.name for i in after.items}
    assert after.total_usd_per_hour == pytest.approx(before.total_usd_per_hour - 4 * TRN2 + 2 * 1.41, abs=0.02)


def test_a_training_plan_is_listed_apart_with_its_upfront_fee(ctx: ToolContext) -> None:
    search = {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "duration_hours": 720}
    offering = runtime.run_read("search_training_plans", search, ctx).result["offerings"][0]
    approve_and_run(ctx, "purchase_training_plan", {"plan_name": "q3", "offering_id": offering["offering_id"]})
    spend, text = _spend(ctx)
    [plan] = spend.training_plans
    assert (plan.plan_name, plan.upfront_fee_usd) == ("q3", pytest.approx(offering["upfront_fee_usd"]))
    assert spend.upfront_total_usd == pytest.approx(offering["upfront_fee_usd"])
    assert "q3" not in {i.name for i in spend.items}  # not in the hourly total
    assert "training plans, paid upfront (not in the hourly total)" in text


def test_a_domain_that_cannot_be_read_is_said_and_the_rest_still_add_up(ctx: ToolContext) -> None:
    # GIVEN ElastiCache refuses to be read
    ec = ctx.clients.client("elasticache").raw

    def deny(**_: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeReplicationGroups")

    ec.meta.events.register("before-call.elasticache.DescribeReplicationGroups", deny)
    spend, text = _spend(ctx)
    assert "cache" not in spend.by_domain and "chat-prod" in {i.name for i in spend.items}
    assert spend.unreadable and spend.unreadable[0].startswith("caches: ") and "could not read caches" in text


def test_it_is_a_shared_cost_tool(ctx: ToolContext) -> None:
    assert route_of("summarize_spend") is None and runtime.plan("summarize_spend", {}, ctx).effect == "read"
